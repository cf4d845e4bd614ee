"""
The demo data generator: reproducible, idempotent, and carrying the patterns its
ground-truth file declares.

Pattern tests share one run of 61 days ending 2025-11-30, read back from the database
into columns and rolled back before the first test, so nothing stays behind for other
test modules.
"""

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command, load_command_class
from django.db import connection, transaction
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from consultations.demo.generator import generate_demo_data
from consultations.demo.scenario import DemoOptions
from consultations.models import Agent, Consultation, Customer
from tests.consultations.ingestion_helpers import CODED_FIELDS

BUSINESS_ZONE = "Asia/Shanghai"
END = date(2025, 11, 30)
PATTERN_SEED = 7


def options(
    *, days: int = 28, per_day: int = 300, seed: int = 1, end: date = END
) -> DemoOptions:
    return DemoOptions(
        days=days, per_day=per_day, seed=seed, end=end, time_zone=BUSINESS_ZONE
    )


def content_digest(*, ids_from: str = "", ids_below: str = "~") -> str:
    """Hash the stored demo consultations by their codes, not their primary keys."""
    rows = Consultation.objects.filter(
        source="demo", external_id__gte=ids_from, external_id__lt=ids_below
    ).order_by("external_id")
    digest = hashlib.sha256()
    for row in rows.values_list(*CODED_FIELDS):
        digest.update(repr(row).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Frame:
    """The stored consultations of one run as columns, with the run's ground truth."""

    started_at: np.ndarray  # epoch seconds
    waited: np.ndarray  # seconds, NaN when abandoned
    line: np.ndarray
    kind: np.ndarray
    converted: np.ndarray
    customer_timezone: np.ndarray
    satisfaction: np.ndarray  # NaN when not rated
    abandoned: np.ndarray
    truth: dict

    def local(self, zone: str = BUSINESS_ZONE) -> np.ndarray:
        """Return local datetimes of every start in a zone."""
        tz = ZoneInfo(zone)
        return np.array(
            [datetime.fromtimestamp(s, UTC).astimezone(tz) for s in self.started_at]
        )


@pytest.fixture(scope="module")
def frame(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Frame:
    with django_db_blocker.unblock():
        with transaction.atomic():
            result = generate_demo_data(
                DemoOptions(
                    days=61,
                    per_day=800,
                    seed=PATTERN_SEED,
                    end=END,
                    time_zone=BUSINESS_ZONE,
                )
            )
            rows = list(
                Consultation.objects.filter(source="demo").values_list(
                    "started_at",
                    "first_response_at",
                    "business_line__code",
                    "consultation_type__code",
                    "converted",
                    "customer_timezone",
                    "satisfaction",
                    "abandoned",
                )
            )
            transaction.set_rollback(True)
        # The connection opened for this module's data can outlive the test
        # session's own, which would keep the test database from being dropped.
        connection.close()

    started, responded, line, kind, converted, zone, rating, abandoned = zip(
        *rows, strict=True
    )
    started_at = np.array([s.timestamp() for s in started])
    return Frame(
        started_at=started_at,
        waited=np.array([np.nan if r is None else r.timestamp() for r in responded])
        - started_at,
        line=np.array(line),
        kind=np.array(kind),
        converted=np.array(converted),
        customer_timezone=np.array(zone),
        satisfaction=np.array([np.nan if r is None else r for r in rating]),
        abandoned=np.array(abandoned),
        truth=result.truth,
    )


@pytest.fixture(scope="module")
def local_dates(frame: Frame) -> np.ndarray:
    return np.array([moment.date() for moment in frame.local()])


@pytest.fixture(scope="module")
def local_hours(frame: Frame) -> np.ndarray:
    return np.array([moment.hour for moment in frame.local()])


def special_days(truth: dict) -> set[date]:
    """Return the days whose volume an injected event changes, for every line."""
    keys = (
        "adjusted_working_days",
        "pre_holiday_days",
        "post_holiday_days",
    )
    days = {date.fromisoformat(d) for key in keys for d in truth[key]}
    days |= {date.fromisoformat(h["date"]) for h in truth["holidays"]}
    days |= {date.fromisoformat(c["date"]) for c in truth["campaigns"]}
    days |= {date.fromisoformat(o["date"]) for o in truth["outages"]}
    return days


def ordinary_days(truth: dict, *, weekend: bool) -> list[date]:
    start, end = date.fromisoformat(truth["start"]), date.fromisoformat(truth["end"])
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    month_ends = {date.fromisoformat(d) for d in truth["month_end"]["dates"]}
    return [
        day
        for day in days
        if (day.weekday() >= 5) == weekend
        and day not in special_days(truth)
        and day not in month_ends
    ]


def mean_daily(
    local_dates: np.ndarray, days: list[date], mask: np.ndarray | None = None
) -> float:
    selected = local_dates if mask is None else local_dates[mask]
    return float(np.isin(selected, days).sum()) / len(days)


# Reproducibility and idempotency


@pytest.mark.django_db
def test_generate_demo_data_same_seed_twice_stores_identical_content() -> None:
    # given a first run and its digest
    first = generate_demo_data(options())
    first_digest = content_digest()

    # when the consultations are removed and the same options run again
    Consultation.objects.filter(source="demo").delete()
    second = generate_demo_data(options())

    # then the content and the ground truth are identical
    assert content_digest() == first_digest
    assert (second.generated, second.created) == (first.generated, first.generated)
    assert second.truth == first.truth


@pytest.mark.django_db
def test_generate_demo_data_rerun_adds_and_changes_nothing() -> None:
    # given a run
    first = generate_demo_data(options())
    digest = content_digest()
    counts = (
        Consultation.objects.count(),
        Customer.objects.count(),
        Agent.objects.count(),
    )

    # when the same command runs again
    again = generate_demo_data(options())

    # then nothing is created and nothing changed
    assert (again.generated, again.created) == (first.generated, 0)
    assert content_digest() == digest
    assert (
        Consultation.objects.count(),
        Customer.objects.count(),
        Agent.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_generate_demo_data_other_seed_stores_other_content() -> None:
    # given the digest of seed 1
    generate_demo_data(options(seed=1))
    seed_one = content_digest()
    Consultation.objects.filter(source="demo").delete()

    # when seed 2 runs on the same range
    result = generate_demo_data(options(seed=2))

    # then the content differs and the external ids carry the seed
    assert content_digest() != seed_one
    assert result.created == Consultation.objects.count()
    assert not Consultation.objects.exclude(external_id__startswith="s2-").exists()


@pytest.mark.django_db
def test_generate_demo_data_later_end_agrees_on_shared_days() -> None:
    # given a run over 22 October to 20 November
    first = generate_demo_data(options(days=30, end=date(2025, 11, 20)))
    shared = {"ids_from": "s1-20251027", "ids_below": "s1-20251121"}
    first_shared = content_digest(**shared)
    Consultation.objects.filter(source="demo").delete()

    # when the same seed runs over 27 October to 25 November
    later = generate_demo_data(options(days=30, end=date(2025, 11, 25)))

    # then the 25 days both cover hold the same consultations and the same events
    assert content_digest(**shared) == first_shared
    assert shared_events(later.truth) == shared_events(first.truth)
    assert len(shared_events(first.truth)["expected_volume"]) == 25
    assert "2025-11-11" in [c["date"] for c in shared_events(first.truth)["campaigns"]]


def shared_events(truth: dict) -> dict:
    """Return the events and expected volumes of 27 October to 20 November."""

    def shared(day: str) -> bool:
        return "2025-10-27" <= day <= "2025-11-20"

    return {
        "campaigns": [c for c in truth["campaigns"] if shared(c["date"])],
        "outages": [o for o in truth["outages"] if shared(o["date"])],
        "expected_volume": {
            day: volume
            for day, volume in truth["expected_volume"].items()
            if shared(day)
        },
    }


# Injected patterns


def test_demo_volume_peaks_in_office_hours_not_at_night(
    local_hours: np.ndarray,
) -> None:
    # given the share of the volume in each local hour
    share = np.bincount(local_hours, minlength=24) / len(local_hours)

    # when the two daily peaks are set against the small hours
    morning, afternoon, night = share[9:11].sum(), share[14:16].sum(), share[1:5].sum()

    # then each peak holds many times the volume of the night
    assert morning > 6 * night
    assert afternoon > 6 * night
    assert night < 0.03


def test_demo_peak_windows_of_the_truth_are_busy_hours(
    frame: Frame, local_dates: np.ndarray, local_hours: np.ndarray
) -> None:
    # given the ordinary working days and each line's hourly mean on them
    days = ordinary_days(frame.truth, weekend=False)
    on_days = np.isin(local_dates, days)
    for code, line in frame.truth["business_lines"].items():
        hourly = np.bincount(
            local_hours[on_days & (frame.line == code)], minlength=24
        ) / len(days)

        # when the declared windows are read as hours
        hours = [
            hour
            for window in line["peak_windows"]["working_day"]
            for hour in range(int(window[:2]), int(window[6:8]))
        ]

        # then every hour in a window reaches the peak factor of the day's mean hour
        factor = frame.truth["load"]["peak_factor"]
        assert all(hourly[hour] >= factor * hourly.mean() for hour in hours), code
    assert frame.truth["business_lines"]["retail"]["peak_windows"]["working_day"] == [
        "09:00-11:00",
        "14:00-16:00",
        "19:00-22:00",
    ]


def test_demo_weekend_effect_follows_each_line(
    frame: Frame, local_dates: np.ndarray
) -> None:
    # given ordinary weekdays and weekends
    weekdays = ordinary_days(frame.truth, weekend=False)
    weekends = ordinary_days(frame.truth, weekend=True)

    # when each line's weekend volume is set against its weekday volume
    ratios = {
        code: mean_daily(local_dates, weekends, frame.line == code)
        / mean_daily(local_dates, weekdays, frame.line == code)
        for code in ("retail", "enterprise", "finance")
    }

    # then retail rises, enterprise collapses and finance drops, as declared
    declared = {
        code: line["weekend_factor"]
        for code, line in frame.truth["business_lines"].items()
    }
    assert declared == {"retail": 1.35, "enterprise": 0.2, "finance": 0.6}
    assert ratios["retail"] > 1.2
    assert ratios["enterprise"] < 0.4
    assert 0.45 < ratios["finance"] < 0.8


def test_demo_finance_month_end_days_exceed_mid_month(
    frame: Frame, local_dates: np.ndarray
) -> None:
    # given finance working days at the end of the month and in its middle
    finance = frame.line == "finance"
    month_end = [
        date.fromisoformat(d)
        for d in frame.truth["month_end"]["dates"]
        if date.fromisoformat(d).weekday() < 5
        and date.fromisoformat(d) not in special_days(frame.truth)
    ]
    middle = [d for d in ordinary_days(frame.truth, weekend=False) if 10 <= d.day <= 20]

    # when their mean daily finance volumes are compared
    ratio = mean_daily(local_dates, month_end, finance) / mean_daily(
        local_dates, middle, finance
    )

    # then the month end is clearly busier
    assert len(month_end) >= 3
    assert ratio > 1.3


def test_demo_campaign_days_far_exceed_ordinary_days(
    frame: Frame, local_dates: np.ndarray
) -> None:
    # given the campaigns of the truth and the ordinary working days
    campaigns = [
        (c["name"], date.fromisoformat(c["date"])) for c in frame.truth["campaigns"]
    ]
    ordinary = mean_daily(local_dates, ordinary_days(frame.truth, weekend=False))

    # when each campaign day's volume is set against an ordinary day
    ratios = {
        day: mean_daily(local_dates, [day]) / ordinary for _name, day in campaigns
    }

    # then 11.11 far exceeds an ordinary day and each month's flash sale lifts it
    sales = [day for name, day in campaigns if name == "Flash sale"]
    assert ("Singles' Day (11.11)", date(2025, 11, 11)) in campaigns
    assert len(campaigns) == 3
    assert [day.month for day in sales] == [10, 11]
    assert ratios[date(2025, 11, 11)] > 1.6
    assert all(ratios[day] > 1.2 for day in sales)


def test_demo_outage_windows_are_near_empty(frame: Frame) -> None:
    # given one outage window a month, in business local time
    outages = frame.truth["outages"]
    ordinary = ordinary_days(frame.truth, weekend=False)

    # when each window is set against the same window on ordinary working days
    def count(start: float, end: float) -> int:
        return int(((frame.started_at >= start) & (frame.started_at < end)).sum())

    for outage in outages:
        start = datetime.fromisoformat(outage["start_utc"])
        end = datetime.fromisoformat(outage["end_utc"])
        shifts = [
            86400 * (day - date.fromisoformat(outage["date"])).days for day in ordinary
        ]
        normal = np.mean(
            [count(start.timestamp() + s, end.timestamp() + s) for s in shifts]
        )

        # then each holds almost nothing
        assert outage["start_local"].endswith("+08:00")
        assert normal > 100
        assert count(start.timestamp(), end.timestamp()) < 0.1 * normal
    assert [date.fromisoformat(o["date"]).month for o in outages] == [10, 11]


def test_demo_overseas_customers_consult_in_their_daytime(frame: Frame) -> None:
    # given the overseas consultations and their customers' zones
    zones = [z["time_zone"] for z in frame.truth["overseas"]["zones"]]
    overseas = np.isin(frame.customer_timezone, zones)
    hours = np.array(
        [
            datetime.fromtimestamp(s, UTC).astimezone(ZoneInfo(z)).hour
            for s, z in zip(
                frame.started_at[overseas],
                frame.customer_timezone[overseas],
                strict=True,
            )
        ]
    )

    # when their start hours are read in their own zone and in Shanghai
    daytime = ((hours >= 8) & (hours < 20)).mean()
    new_york = frame.customer_timezone == "America/New_York"
    shanghai_hours = np.array(
        [moment.hour for moment in frame.local()[new_york]], dtype=int
    )

    # then most fall in their own daytime, which is night in Shanghai for New York
    assert overseas.sum() > 1000
    assert set(frame.customer_timezone[overseas]) == set(zones)
    assert daytime > 0.85
    assert ((shanghai_hours >= 8) & (shanghai_hours < 20)).mean() < 0.3


def test_demo_service_degrades_at_high_load(frame: Frame) -> None:
    # given the consultations grouped by 15-minute slot
    slot = (frame.started_at // 900).astype(np.int64)
    _slots, index, counts = np.unique(slot, return_inverse=True, return_counts=True)
    load = counts[index]
    high = load >= np.quantile(load, 0.9)
    low = load <= np.quantile(load, 0.3)
    rated = ~np.isnan(frame.satisfaction)

    # when the busiest slots are set against the quietest
    satisfaction = [frame.satisfaction[rated & part].mean() for part in (high, low)]
    wait = [np.nanmedian(frame.waited[part]) for part in (high, low)]
    abandoned = [frame.abandoned[part].mean() for part in (high, low)]

    # then ratings fall, waits grow and more customers give up
    assert satisfaction[0] < satisfaction[1] - 0.15
    assert wait[0] > 2 * wait[1]
    assert abandoned[0] > 2 * abandoned[1]


def test_demo_conversions_come_from_pre_sales_and_late_retail_buys(
    frame: Frame, local_hours: np.ndarray
) -> None:
    # given retail pre-sales consultations
    pre_sales = frame.kind == "pre_sales"
    retail = pre_sales & (frame.line == "retail")
    window = frame.truth["high_conversion"]
    start, end = int(window["window"][:2]), int(window["window"][6:8])

    # when conversion rates are compared by type and by hour
    late = retail & (local_hours >= start) & (local_hours < end)
    peaks = retail & (local_hours >= 14) & (local_hours < 16)
    rates = [frame.converted[part].mean() for part in (late, peaks)]

    # then pre-sales brings most conversions, and late retail converts best
    assert window == {"business_line": "retail", "window": "22:00-24:00", "factor": 1.6}
    assert frame.converted[pre_sales].mean() > 5 * frame.converted[~pre_sales].mean()
    assert pre_sales[frame.converted].mean() > 0.7
    assert rates[0] > 1.2 * rates[1]


def test_demo_truth_dates_lie_in_range_and_show_their_effect(
    frame: Frame, local_dates: np.ndarray
) -> None:
    # given the holidays and adjusted working days of the truth
    truth = frame.truth
    holidays = [date.fromisoformat(h["date"]) for h in truth["holidays"]]
    adjusted = [date.fromisoformat(d) for d in truth["adjusted_working_days"]]
    enterprise = frame.line == "enterprise"

    # when enterprise volume on those days is set against working days and weekends
    working = mean_daily(local_dates, ordinary_days(truth, weekend=False), enterprise)
    weekend = mean_daily(local_dates, ordinary_days(truth, weekend=True), enterprise)
    on_holidays = mean_daily(local_dates, holidays, enterprise)
    on_adjusted = mean_daily(local_dates, adjusted, enterprise)

    # then the National Day week is quiet and the Saturday worked looks like a
    # working day rather than a weekend
    assert holidays == [date(2025, 10, day) for day in (1, 2, 3, 6, 7, 8)]
    assert adjusted == [date(2025, 10, 11)]
    assert sorted(truth["expected_volume"]) == [
        (date(2025, 10, 1) + timedelta(days=n)).isoformat() for n in range(61)
    ]
    assert on_holidays < 0.35 * working
    assert abs(on_adjusted - working) < abs(on_adjusted - weekend)


# The commands


@pytest.mark.django_db
def test_generate_demo_data_command_writes_truth_and_summary(tmp_path: Path) -> None:
    # given a truth path in a folder that does not exist yet
    path = tmp_path / "nested" / "truth.json"
    out = io.StringIO()

    # when the command runs
    call_command(
        "generate_demo_data",
        "--days=7",
        "--per-day=100",
        "--seed=3",
        "--end=2025-06-20",
        f"--truth={path}",
        stdout=out,
        verbosity=0,
    )

    # then the truth is written and the summary names the counts
    truth = json.loads(path.read_text())
    count = Consultation.objects.count()
    assert truth["arguments"] == {
        "days": 7,
        "per_day": 100,
        "seed": 3,
        "end": "2025-06-20",
    }
    assert {c["name"]: c["date"] for c in truth["campaigns"]}[
        "Mid-year sale (6.18)"
    ] == "2025-06-18"
    assert re.fullmatch(
        rf"Generated {count} consultations from 2025-06-14 to 2025-06-20 "
        rf"\({count} new, 0 already stored\), \d+ customers, 61 agents in "
        rf"[0-9.]+ s; ground truth in {re.escape(str(path))}\.\n",
        out.getvalue(),
    )


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--days=0", "--days must be at least 1, got 0."),
        ("--per-day=-5", "--per-day must be at least 1, got -5."),
        ("--seed=-1", "--seed must not be negative, got -1."),
        ("--end=30.11.2025", "--end must be a date as YYYY-MM-DD, got 30.11.2025."),
    ],
)
def test_generate_demo_data_command_bad_argument_is_refused(
    argument: str, message: str
) -> None:
    # when the command runs with a bad argument
    with pytest.raises(CommandError) as error:
        call_command("generate_demo_data", argument, verbosity=0)

    # then it names the argument and the value
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("command", "description"),
    [
        ("generate_demo_data", "Generate demo consultations ending at --end"),
        ("create_demo_superuser", 'Create the superuser "demo" with a new random'),
    ],
)
def test_demo_command_help_prints_its_description(
    command: str, description: str
) -> None:
    # given the command's parser
    parser = load_command_class("consultations", command).create_parser(
        "manage.py", command
    )

    # when its help is formatted, then it opens with the description
    assert parser.format_help().split("\n\n")[1].startswith(description)


@pytest.mark.django_db
def test_create_demo_superuser_password_logs_in_and_rerun_resets_it(
    settings: Settings,
) -> None:
    # given a fast hasher, and the command has run once
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    first = io.StringIO()
    call_command("create_demo_superuser", stdout=first)
    old_password = _printed_password(first.getvalue())

    # when it runs again
    second = io.StringIO()
    call_command("create_demo_superuser", stdout=second)
    password = _printed_password(second.getvalue())

    # then one superuser exists, the new password logs in and the old one does not
    user = authenticate(username="demo", password=password)
    assert user is not None
    assert (user.is_superuser, user.is_staff, user.is_active) == (True, True, True)
    assert get_user_model().objects.filter(username="demo").count() == 1
    assert authenticate(username="demo", password=old_password) is None
    assert second.getvalue() == (
        f"Username: demo / Password: {password}\nAdmin: http://127.0.0.1:8000/admin/\n"
    )


def _printed_password(output: str) -> str:
    match = re.search(r"Username: demo / Password: (\S+)", output)
    assert match is not None, output
    return match.group(1)
