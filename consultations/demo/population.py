"""
The customers and agents of the demo organisation, before they are stored.

Both are independent of the seed, so that runs with different seeds share one set of
customers and agents. Customers are grouped in buckets by business line and zone; a
bucket's customers keep their attributes when a larger `--per-day` adds more of them.
"""

from dataclasses import dataclass

import numpy as np

from .catalogue import (
    AGENT_PREFIX,
    CUSTOMER_PREFIX,
    ENGLISH_FAMILY_NAMES,
    ENGLISH_GIVEN_NAMES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    LINES,
    OVERSEAS_ZONES,
    TEAMS,
    TeamSpec,
)

CUSTOMERS_PER_DAILY_CONSULTATION = 10
MIN_BUCKET_SIZE = 5
POOL_SEED = 20_240_601
DOMESTIC_SLUG = "home"


@dataclass(frozen=True)
class CustomerPool:
    """Customers in bucket order; `offsets` and `sizes` are indexed by line, zone."""

    external_ids: list[str]
    line: np.ndarray
    zone: np.ndarray  # 0 for domestic, k for OVERSEAS_ZONES[k - 1]
    tier: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray


@dataclass(frozen=True)
class AgentSpec:
    external_id: str
    name: str
    team: TeamSpec


@dataclass(frozen=True)
class Roster:
    """Agents in team order; `offsets` and `sizes` are indexed like TEAMS."""

    agents: list[AgentSpec]
    offsets: np.ndarray
    sizes: np.ndarray


def customer_pool(per_day: int) -> CustomerPool:
    """Return the customers that consultations of `per_day` a day are drawn from."""
    zone_slugs = [DOMESTIC_SLUG, *(zone.slug for zone in OVERSEAS_ZONES)]
    zone_weights = [1.0, *(zone.weight for zone in OVERSEAS_ZONES)]
    sizes = np.zeros((len(LINES), len(zone_slugs)), dtype=np.int64)
    external_ids: list[str] = []
    tiers = []
    for i, line in enumerate(LINES):
        for k, slug in enumerate(zone_slugs):
            share = line.overseas_share if k else 1 - line.overseas_share
            size = round(
                per_day
                * CUSTOMERS_PER_DAILY_CONSULTATION
                * line.share
                * share
                * zone_weights[k]
            )
            sizes[i, k] = max(MIN_BUCKET_SIZE, size)
            external_ids += [
                f"{CUSTOMER_PREFIX}{line.code}-{slug}-{n:06d}"
                for n in range(1, sizes[i, k] + 1)
            ]
            tiers.append(
                _bucket_tiers(line.tiers, i * len(zone_slugs) + k, sizes[i, k])
            )

    offsets = np.concatenate([[0], np.cumsum(sizes.ravel())[:-1]]).reshape(sizes.shape)
    buckets = np.arange(sizes.size)
    return CustomerPool(
        external_ids=external_ids,
        line=np.repeat(buckets // sizes.shape[1], sizes.ravel()),
        zone=np.repeat(buckets % sizes.shape[1], sizes.ravel()),
        tier=np.concatenate(tiers),
        offsets=offsets,
        sizes=sizes,
    )


def _bucket_tiers(weights: tuple[float, ...], bucket: int, size: int) -> np.ndarray:
    # One stream per bucket: the first n draws stay the same when the bucket grows.
    draws = np.random.default_rng([POOL_SEED, bucket]).random(size)
    cumulative = np.cumsum(weights) / sum(weights)
    return np.minimum(
        np.searchsorted(cumulative, draws, side="right"), len(weights) - 1
    )


def roster() -> Roster:
    """Return the agents of every team, with readable names."""
    agents = []
    for team in TEAMS:
        for n in range(team.size):
            agents.append(
                AgentSpec(
                    external_id=f"{AGENT_PREFIX}{team.code}-{n + 1:02d}",
                    name=_agent_name(team, len(agents)),
                    team=team,
                )
            )
    sizes = np.array([team.size for team in TEAMS], dtype=np.int64)
    return Roster(
        agents=agents,
        offsets=np.concatenate([[0], np.cumsum(sizes)[:-1]]),
        sizes=sizes,
    )


def _agent_name(team: TeamSpec, n: int) -> str:
    if team.employment == "chatbot":
        return team.name
    if "zh" not in team.skills:
        return _pair(ENGLISH_GIVEN_NAMES, ENGLISH_FAMILY_NAMES, n)
    return _pair(FAMILY_NAMES, GIVEN_NAMES, n)


def _pair(firsts: tuple[str, ...], seconds: tuple[str, ...], n: int) -> str:
    # Co-prime list lengths keep the pairs distinct for the first len * len agents.
    return f"{firsts[n % len(firsts)]} {seconds[n % len(seconds)]}"
