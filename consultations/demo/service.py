"""
Service outcomes of consultations: waits, abandonment, handling, ratings, messages.

Service quality follows load: the load of a slot is its arrivals over the capacity
staffed for it. Waits grow with load, customers abandon when their patience runs out
before the first response, and ratings fall with the wait. A wait is judged against
what its channel makes usual: a minute is long in chat, nothing by e-mail.
"""

from dataclasses import dataclass

import numpy as np

from .catalogue import CHANNEL_CODES, CHANNEL_MEDIA, TYPE_CODES

# Per channel, in the order of CHANNEL_CODES: web, app, wechat, social, phone, email.
WAIT_MEDIAN_SECONDS = np.array([12, 12, 15, 120, 20, 3 * 3600], dtype=float)
PATIENCE_MEAN_SECONDS = np.array([900, 900, 900, 3600, 600, np.inf])
RATING_SHARE = np.array([0.45, 0.45, 0.40, 0.25, 0.30, 0.20])
MAX_WAIT_SECONDS = np.array([2700, 2700, 2700, 2700, 2700, 3 * 86400], dtype=float)
HANDLE_MEDIAN_SECONDS = {"chat": 420.0, "voice": 300.0, "message": 900.0}
SOCIAL_HANDLE_MEDIAN_SECONDS = 600.0
CHATBOT_HANDLE_MEDIAN_SECONDS = 150.0
CHATBOT_WAIT_SECONDS = 2.0
WAIT_SD = 0.7
HANDLE_SD = 0.6

# Per consultation type, in the order of TYPE_CODES.
HANDLE_TYPE_FACTOR = np.array([0.9, 1.0, 1.5, 1.3])
SATISFACTION_TYPE_SHIFT = np.array([0.1, 0.0, -1.1, -0.25])
COMPLAINT_RATING_SHARE = 0.6

# A queue's median wait grows by 1 + WAIT_GROWTH * load ** 2, an inbox's linearly.
WAIT_GROWTH = 3.0
EMAIL_WAIT_GROWTH = 0.3
WAIT_SATISFACTION_PENALTY = 0.45
OVERLOAD_SATISFACTION_PENALTY = 0.25
CHATBOT_SATISFACTION_SHIFT = -0.4
SATISFACTION_BASE = 4.4
SATISFACTION_SD = 0.75


@dataclass(frozen=True)
class Timeline:
    """When each consultation was answered and ended; -1 for no answer."""

    wait: np.ndarray
    handle: np.ndarray
    abandoned: np.ndarray
    responded: np.ndarray
    ended: np.ndarray


def timeline(
    rng: np.random.Generator,
    started: np.ndarray,
    channel: np.ndarray,
    kind: np.ndarray,
    load: np.ndarray,
    chatbot: np.ndarray,
) -> Timeline:
    """Draw waits and handling times; a customer whose patience ends first leaves."""
    wait = _wait(rng, channel, load, chatbot)
    patience = rng.exponential(1.0, len(started)) * PATIENCE_MEAN_SECONDS[channel]
    abandoned = ~chatbot & (patience < wait)
    handle = _handle(rng, channel, kind, chatbot)

    responded = started + np.rint(wait).astype(np.int64)
    # E-mail has infinite patience, so the minimum keeps every end finite.
    left = started + np.rint(np.minimum(patience, wait)).astype(np.int64)
    return Timeline(
        wait=wait,
        handle=handle,
        abandoned=abandoned,
        responded=np.where(abandoned, -1, responded),
        ended=np.where(abandoned, left, responded + np.rint(handle).astype(np.int64)),
    )


def _wait(
    rng: np.random.Generator,
    channel: np.ndarray,
    load: np.ndarray,
    chatbot: np.ndarray,
) -> np.ndarray:
    """Return seconds to the first response: queues grow with load, e-mail barely."""
    email = np.asarray(CHANNEL_MEDIA)[channel] == "message"
    growth = np.where(email, 1 + EMAIL_WAIT_GROWTH * load, 1 + WAIT_GROWTH * load**2)
    median = np.where(
        chatbot, CHATBOT_WAIT_SECONDS, WAIT_MEDIAN_SECONDS[channel] * growth
    )
    wait = median * rng.lognormal(0.0, WAIT_SD, len(channel))
    return np.minimum(wait, MAX_WAIT_SECONDS[channel])


def _handle(
    rng: np.random.Generator,
    channel: np.ndarray,
    kind: np.ndarray,
    chatbot: np.ndarray,
) -> np.ndarray:
    """Return seconds from first response to the end, lognormal per channel and type."""
    medium_median = np.array(
        [
            SOCIAL_HANDLE_MEDIAN_SECONDS
            if code == "social"
            else HANDLE_MEDIAN_SECONDS[medium]
            for code, medium in zip(CHANNEL_CODES, CHANNEL_MEDIA, strict=True)
        ]
    )
    median = np.where(chatbot, CHATBOT_HANDLE_MEDIAN_SECONDS, medium_median[channel])
    median = median * HANDLE_TYPE_FACTOR[kind]
    return median * rng.lognormal(0.0, HANDLE_SD, len(channel))


def satisfaction(
    rng: np.random.Generator,
    channel: np.ndarray,
    kind: np.ndarray,
    delay: np.ndarray,
    load: np.ndarray,
    chatbot: np.ndarray,
) -> np.ndarray:
    """Draw ratings 1-5 (0 when not rated) that fall with the wait and with overload."""
    rated = rng.random(len(channel)) < np.where(
        kind == TYPE_CODES.index("complaint"),
        COMPLAINT_RATING_SHARE,
        RATING_SHARE[channel],
    )
    score = (
        SATISFACTION_BASE
        - WAIT_SATISFACTION_PENALTY * np.log1p(delay / 4)
        - OVERLOAD_SATISFACTION_PENALTY * np.maximum(load - 1.0, 0.0)
        + SATISFACTION_TYPE_SHIFT[kind]
        + np.where(chatbot, CHATBOT_SATISFACTION_SHIFT, 0.0)
        + rng.normal(0.0, SATISFACTION_SD, len(channel))
    )
    return np.where(rated, np.clip(np.rint(score), 1, 5), 0).astype(np.int64)


def message_counts(
    rng: np.random.Generator,
    channel: np.ndarray,
    handle: np.ndarray,
    abandoned: np.ndarray,
) -> np.ndarray:
    """Count messages: none on calls, a thread by e-mail, a few a minute in chat."""
    medium = np.asarray(CHANNEL_MEDIA)[channel]
    per_message = np.where(channel == CHANNEL_CODES.index("social"), 90.0, 45.0)
    chat = 2 + rng.poisson(handle / per_message)
    thread = 1 + rng.poisson(2.0, len(channel))
    counts = np.select([medium == "voice", medium == "message"], [0, thread], chat)
    return np.where(abandoned, np.where(medium == "voice", 0, 1), counts)


def delay(wait: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Return each wait in multiples of its channel's usual wait."""
    return wait / WAIT_MEDIAN_SECONDS[channel]
