"""The ingestion service: idempotent upserts, partial updates and references."""

import datetime as dt

import pytest

from consultations.ingestion import IngestResult, Rejection, as_record, ingest
from consultations.models import Agent, Channel, Consultation, Customer, Team

from .ingestion_helpers import create_catalogue, record, row_versions, stored

pytestmark = pytest.mark.django_db

FULL_ROW = {
    "source": "web-chat",
    "external_id": "c-1",
    "started_at": dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC),
    "first_response_at": dt.datetime(2024, 3, 4, 9, 0, 30, tzinfo=dt.UTC),
    "ended_at": dt.datetime(2024, 3, 4, 9, 10, tzinfo=dt.UTC),
    "customer_timezone": "Europe/Berlin",
    "channel__code": "web",
    "consultation_type__code": "pre-sales",
    "business_line__code": "retail",
    "product_category__code": "phones",
    "customer_tier__code": "vip",
    "customer__external_id": "cust-1",
    "agent__external_id": "ana",
    "team__code": "north",
    "converted": True,
    "satisfaction": 4,
    "abandoned": False,
    "message_count": 12,
}


@pytest.fixture(autouse=True)
def catalogue() -> None:
    create_catalogue()


def test_ingest_new_records_stores_them_with_references_resolved() -> None:
    result = ingest([record()], allow_new_dimensions=False)

    assert result == IngestResult(created=1)
    assert stored() == [FULL_ROW]


def test_ingest_same_batch_twice_changes_nothing() -> None:
    # Given a batch that was ingested once
    batch = [record("c-1"), record("c-2", satisfaction=None), record("c-3")]
    ingest(batch, allow_new_dimensions=False)
    rows, versions = stored(), row_versions()

    # When the same batch arrives again
    result = ingest(batch, allow_new_dimensions=False)

    # Then it is counted as unchanged and no row is written, not even updated_at
    assert result == IngestResult(unchanged=3)
    assert stored() == rows
    assert row_versions() == versions


def test_ingest_satisfaction_arriving_later_updates_only_that_field() -> None:
    # Given a consultation stored before its rating and end were known
    ingest([record(satisfaction=None, ended_at=None)], allow_new_dimensions=False)
    versions = row_versions()

    # When a record with only the key, the rating and the end arrives
    result = ingest(
        [
            {
                "source": "web-chat",
                "external_id": "c-1",
                "satisfaction": "4",
                "ended_at": "2024-03-04T09:10:00Z",
            }
        ],
        allow_new_dimensions=False,
    )

    # Then the record is updated, the other fields kept, and updated_at moves
    assert result == IngestResult(updated=1)
    assert stored() == [FULL_ROW]
    assert row_versions()["c-1"][1] > versions["c-1"][1]


def test_ingest_key_present_with_null_clears_the_value() -> None:
    ingest([record()], allow_new_dimensions=False)

    result = ingest(
        [
            {
                "source": "web-chat",
                "external_id": "c-1",
                "agent": None,
                "satisfaction": "",
                "business_line": None,
                "converted": None,
                "message_count": "",
            }
        ],
        allow_new_dimensions=False,
    )

    assert result == IngestResult(updated=1)
    assert stored() == [
        FULL_ROW
        | {
            "agent__external_id": None,
            "team__code": None,
            "satisfaction": None,
            "business_line__code": None,
            "converted": False,
            "message_count": 0,
        }
    ]


def test_ingest_minimal_new_record_takes_the_defaults() -> None:
    result = ingest(
        [
            {
                "source": "web-chat",
                "external_id": "c-9",
                "started_at": "2024-03-04T09:00:00+00:00",
                "channel": "web",
            }
        ],
        allow_new_dimensions=False,
    )

    assert result == IngestResult(created=1)
    assert stored() == [
        dict.fromkeys(FULL_ROW)
        | {
            "source": "web-chat",
            "external_id": "c-9",
            "started_at": dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC),
            "customer_timezone": "",
            "channel__code": "web",
            "converted": False,
            "abandoned": False,
            "message_count": 0,
        }
    ]


def test_ingest_mixed_batch_keeps_its_valid_records() -> None:
    # Given a batch whose second and fourth records are invalid
    batch = [
        record("c-1"),
        record("c-2", satisfaction=9),
        record("c-3"),
        record("c-4", channel="fax"),
    ]

    # When it is ingested as the second page of a larger upload
    result = ingest(batch, allow_new_dimensions=False, start_index=100)

    # Then the valid records are stored and the others rejected by position
    assert result == IngestResult(
        created=2,
        rejected=[
            Rejection(
                101, "satisfaction", "Satisfaction must be between 1 and 5, got 9."
            ),
            Rejection(
                103,
                "channel",
                "There is no channel with code 'fax', and this import may not "
                "create one.",
            ),
        ],
    )
    assert [row["external_id"] for row in stored()] == ["c-1", "c-3"]


def test_ingest_unknown_codes_create_dimension_values_when_allowed() -> None:
    result = ingest(
        [record(channel="wechat", customer_tier="gold", agent="new-agent")],
        allow_new_dimensions=True,
    )

    assert result == IngestResult(created=1)
    assert Channel.objects.get(code="wechat").name == "wechat"
    assert Agent.objects.get(external_id="new-agent").team is None
    assert stored() == [
        FULL_ROW
        | {
            "channel__code": "wechat",
            "customer_tier__code": "gold",
            "agent__external_id": "new-agent",
            "team__code": None,
        }
    ]


def test_ingest_unknown_codes_are_rejected_when_creation_is_refused() -> None:
    result = ingest(
        [record("c-1", customer_tier="gold"), record("c-2", agent="new-agent")],
        allow_new_dimensions=False,
    )

    assert result == IngestResult(
        rejected=[
            Rejection(
                0,
                "customer_tier",
                "There is no customer tier with code 'gold', and this import may "
                "not create one.",
            ),
            Rejection(
                1,
                "agent",
                "There is no agent with external id 'new-agent', and this import "
                "may not create one.",
            ),
        ]
    )
    assert stored() == []
    assert not Agent.objects.filter(external_id="new-agent").exists()


def test_ingest_rejected_record_creates_no_dimension_value_or_customer() -> None:
    result = ingest(
        [record(channel="wechat", customer="cust-9", satisfaction=0)],
        allow_new_dimensions=True,
    )

    assert result.rejected == [
        Rejection(0, "satisfaction", "Satisfaction must be between 1 and 5, got 0.")
    ]
    assert not Channel.objects.filter(code="wechat").exists()
    assert not Customer.objects.filter(external_id="cust-9").exists()


def test_ingest_key_listed_twice_in_a_batch_applies_both_in_order() -> None:
    # Given a batch that creates a consultation and then rates it
    batch = [
        record(satisfaction=None),
        {"source": "web-chat", "external_id": "c-1", "satisfaction": 4},
    ]

    # When it is ingested
    result = ingest(batch, allow_new_dimensions=False)

    # Then the first record creates it, the second updates it, and the last wins
    assert result == IngestResult(created=1, updated=1)
    assert stored() == [FULL_ROW]


def test_ingest_key_repeated_after_a_rejected_record_applies_on_the_accepted() -> None:
    # Given a batch that creates a consultation, then sends an end before its
    # start for it, then rates it, with another consultation after that
    key = {"source": "web-chat", "external_id": "c-1"}
    batch = [
        record(satisfaction=None),
        key | {"ended_at": "2024-03-04T08:00:00Z"},
        key | {"satisfaction": 4},
        record("c-2"),
    ]

    # When it is ingested
    result = ingest(batch, allow_new_dimensions=False)

    # Then the second record alone is rejected and the third applies on the first
    assert result.rejected == [
        Rejection(
            1,
            "ended_at",
            "The end (2024-03-04T08:00:00+00:00) is before the start "
            "(2024-03-04T09:00:00+00:00).",
        )
    ]
    assert (result.created, result.updated) == (2, 1)
    assert stored() == [FULL_ROW, FULL_ROW | {"external_id": "c-2"}]


def test_ingest_records_of_a_batch_keep_each_the_keys_they_leave_out() -> None:
    # Given two stored consultations
    ingest([record(), record("c-2")], allow_new_dimensions=False)

    # When one record rates the first and another converts the second
    result = ingest(
        [
            {"source": "web-chat", "external_id": "c-1", "satisfaction": 2},
            {"source": "web-chat", "external_id": "c-2", "converted": False},
        ],
        allow_new_dimensions=False,
    )

    # Then each changes its own field only
    assert result == IngestResult(updated=2)
    assert stored() == [
        FULL_ROW | {"satisfaction": 2},
        FULL_ROW | {"external_id": "c-2", "converted": False},
    ]


def test_ingest_keeps_the_team_of_the_agent_at_ingestion_time() -> None:
    # Given a consultation handled by Ana while she was in team North
    ingest([record()], allow_new_dimensions=False)

    # When Ana moves to team South and the record is delivered again, rated
    south = Team.objects.create(code="south", name="South")
    Agent.objects.filter(external_id="ana").update(team=south)
    result = ingest([record(satisfaction=5)], allow_new_dimensions=False)

    # Then the consultation stays with North; a new one of hers goes to South
    assert result == IngestResult(updated=1)
    ingest([record("c-2")], allow_new_dimensions=False)
    assert [(row["external_id"], row["team__code"]) for row in stored()] == [
        ("c-1", "north"),
        ("c-2", "south"),
    ]


def test_ingest_stores_the_customer_country_on_the_customer() -> None:
    ingest([record(customer_country="at")], allow_new_dimensions=False)
    ingest([record("c-2", customer_country="CH")], allow_new_dimensions=False)

    assert list(Customer.objects.values_list("external_id", "country")) == [
        ("cust-1", "CH")
    ]


@pytest.mark.parametrize(
    ("given", "customer", "expected"),
    [
        # The record's own zone comes first.
        (
            {"customer_timezone": "Asia/Tokyo"},
            {"timezone": "Europe/Paris"},
            "Asia/Tokyo",
        ),
        # Then the customer's zone.
        ({"customer_timezone": ""}, {"timezone": "Europe/Paris"}, "Europe/Paris"),
        # Also when the record gives a country.
        (
            {"customer_timezone": "", "customer_country": "NP"},
            {"timezone": "Europe/Paris"},
            "Europe/Paris",
        ),
        # Then the zone of the country given with the record, when it has one.
        ({"customer_country": "NP"}, {"country": "US"}, "Asia/Kathmandu"),
        # Then the zone of the customer's stored country.
        ({}, {"country": "IN"}, "Asia/Kolkata"),
        # A country with several zones leaves the zone unknown.
        ({}, {"country": "US"}, ""),
    ],
)
def test_ingest_customer_timezone_falls_back_to_customer_then_country(
    given: dict[str, str], customer: dict[str, str], expected: str
) -> None:
    Customer.objects.create(external_id="cust-1", **customer)
    values = record()
    del values["customer_timezone"], values["customer_country"]
    values |= given

    result = ingest([values], allow_new_dimensions=False)

    assert result == IngestResult(created=1)
    assert Consultation.objects.get().customer_timezone == expected


def test_ingest_customer_timezone_is_unknown_without_a_customer() -> None:
    values = record(customer=None, customer_country=None)
    del values["customer_timezone"]

    ingest([values], allow_new_dimensions=False)

    assert Consultation.objects.get().customer_timezone == ""


def test_as_record_ingested_again_changes_nothing() -> None:
    # Given a stored consultation read back as a record
    ingest([record(), record("c-2", customer=None)], allow_new_dimensions=False)
    records = [
        as_record(consultation)
        for consultation in Consultation.objects.with_references().order_by(
            "external_id"
        )
    ]
    versions = row_versions()

    # When the record is ingested as it is
    result = ingest(records, allow_new_dimensions=False)

    # Then nothing changes
    assert result == IngestResult(unchanged=2)
    assert row_versions() == versions
    assert records[0] == {
        "source": "web-chat",
        "external_id": "c-1",
        "started_at": dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC),
        "first_response_at": dt.datetime(2024, 3, 4, 9, 0, 30, tzinfo=dt.UTC),
        "ended_at": dt.datetime(2024, 3, 4, 9, 10, tzinfo=dt.UTC),
        "customer_timezone": "Europe/Berlin",
        "channel": "web",
        "consultation_type": "pre-sales",
        "business_line": "retail",
        "product_category": "phones",
        "customer_tier": "vip",
        "customer": "cust-1",
        "customer_country": "DE",
        "agent": "ana",
        "converted": True,
        "satisfaction": 4,
        "abandoned": False,
        "message_count": 12,
    }


def test_ingest_more_records_than_a_chunk_counts_them_all() -> None:
    batch = [record(f"c-{n}", customer=f"cust-{n % 7}") for n in range(5_003)]

    first = ingest(batch, allow_new_dimensions=False)
    second = ingest(batch, allow_new_dimensions=False)

    assert (first, second) == (
        IngestResult(created=5_003),
        IngestResult(unchanged=5_003),
    )
    assert Consultation.objects.count() == 5_003
    assert Customer.objects.count() == 7


def test_ingest_keys_with_quotes_backslashes_and_commas_are_found_again() -> None:
    # Given keys and customer ids that an array literal must escape
    keys = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "ü-名"]
    batch = [record(key, customer=key) for key in keys]

    # When they are ingested twice
    first = ingest(batch, allow_new_dimensions=False)
    second = ingest(batch, allow_new_dimensions=False)

    # Then the second run finds every one of them
    assert (first, second) == (IngestResult(created=7), IngestResult(unchanged=7))
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == sorted(
        keys
    )
