"""The import command on CSV and JSON Lines files, and its format registry."""

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest
from django.core.management import CommandError, call_command

from consultations.ingestion.adapters import ADAPTERS, Adapter, SourceRow, register
from consultations.models import Consultation

from .ingestion_helpers import create_catalogue, record, stored

pytestmark = pytest.mark.django_db

COLUMNS = list(record())


@pytest.fixture(autouse=True)
def catalogue() -> None:
    create_catalogue()


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_consultations", *args, stdout=out, verbosity=0)
    return out.getvalue()


def summary(output: str) -> str:
    """Return the first line of the command's output without its timing."""
    return output.splitlines()[0].split(" in ")[0]


def read_rejects(path: Path) -> list[list[str]]:
    with path.open(newline="") as file:
        return list(csv.reader(file))


def test_import_csv_creates_then_leaves_unchanged(tmp_path: Path) -> None:
    # Given a CSV file of three consultations, all values as text
    path = write_csv(
        tmp_path / "day.csv",
        [record(f"c-{n}", converted="true", satisfaction="4") for n in range(3)],
    )

    # When it is imported twice
    first = run(str(path), "--rejects", str(tmp_path / "rejects.csv"))
    second = run(str(path), "--rejects", str(tmp_path / "rejects.csv"))

    # Then the first run creates them and the second changes nothing
    assert summary(first) == (
        "3 created, 0 updated, 0 unchanged, 0 rejected, 0 skipped"
    )
    assert summary(second) == (
        "0 created, 0 updated, 3 unchanged, 0 rejected, 0 skipped"
    )
    assert [row["external_id"] for row in stored()] == ["c-0", "c-1", "c-2"]
    assert not (tmp_path / "rejects.csv").exists()


def test_import_csv_with_broken_rows_writes_them_with_reasons(tmp_path: Path) -> None:
    # Given a CSV file with a short row, a bad rating, an unknown channel and a
    # naive time among good rows
    path = tmp_path / "broken.csv"
    path.write_text(
        "source,external_id,started_at,channel,satisfaction\n"
        "web-chat,ok-1,2024-03-04T09:00:00Z,web,5\n"
        "web-chat,short,2024-03-04T09:00:00Z\n"
        "web-chat,bad-rating,2024-03-04T09:00:00Z,web,7\n"
        "web-chat,fax,2024-03-04T09:00:00Z,fax,\n"
        "web-chat,naive,2024-03-04 09:00,web,\n"
        "web-chat,ok-2,2024-03-04T10:00:00+01:00,web,\n"
    )
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()

    # When it is imported without permission to create dimension values
    output = run(str(path), "--rejects", str(rejects), "--no-create-dimensions")

    # Then the good rows are stored and each broken one is written with its line,
    # field and reason
    assert summary(output) == (
        "2 created, 0 updated, 0 unchanged, 4 rejected, 0 skipped"
    )
    assert output.splitlines()[1] == f"Rejected rows and their reasons: {rejects}"
    assert read_rejects(rejects) == [
        ["line", "field", "reason", "row"],
        [
            "3",
            "record",
            "The row has 3 columns; the header has 5.",
            "web-chat,short,2024-03-04T09:00:00Z",
        ],
        [
            "4",
            "satisfaction",
            "Satisfaction must be between 1 and 5, got 7.",
            "web-chat,bad-rating,2024-03-04T09:00:00Z,web,7",
        ],
        [
            "5",
            "channel",
            "There is no channel with code 'fax', and this import may not create one.",
            "web-chat,fax,2024-03-04T09:00:00Z,fax,",
        ],
        [
            "6",
            "started_at",
            "2024-03-04T09:00:00 has no UTC offset; add one, e.g. "
            "2024-05-01T09:30:00+08:00 or a trailing Z.",
            "web-chat,naive,2024-03-04 09:00,web,",
        ],
    ]
    assert [(row["external_id"], row["started_at"]) for row in stored()] == [
        ("ok-1", dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)),
        ("ok-2", dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)),
    ]


def test_import_csv_naive_times_are_read_in_the_timezone_given(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "naive.csv",
        [
            {
                "source": "shop",
                "external_id": "n-1",
                "started_at": "2024-07-01 09:00:00",
                "ended_at": "2024-07-01T09:30:00",
                "channel": "web",
            }
        ],
    )

    output = run(str(path), "--timezone", "Asia/Shanghai")

    assert summary(output) == "1 created, 0 updated, 0 unchanged, 0 rejected, 0 skipped"
    consultation = Consultation.objects.get()
    assert (consultation.started_at, consultation.ended_at) == (
        dt.datetime(2024, 7, 1, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 7, 1, 1, 30, tzinfo=dt.UTC),
    )


def test_import_json_lines_reads_typed_values_and_rejects_bad_lines(
    tmp_path: Path,
) -> None:
    # Given a JSON Lines file with typed values, a blank line, broken JSON and a
    # line that is not an object
    path = tmp_path / "feed.jsonl"
    path.write_text(
        json.dumps(record("j-1", satisfaction=5, converted=False))
        + "\n\n"
        + '{"source": "web-chat", "external_id": \n'
        + "[1, 2]\n"
        + json.dumps(record("j-2", message_count=-3))
        + "\n"
        + json.dumps(record("j-3", satisfaction=None))
        + "\n"
    )
    rejects = tmp_path / "rejects.csv"

    output = run(str(path), "--rejects", str(rejects))

    assert summary(output) == "2 created, 0 updated, 0 unchanged, 3 rejected, 0 skipped"
    assert [row[:3] for row in read_rejects(rejects)] == [
        ["line", "field", "reason"],
        [
            "3",
            "record",
            "The line is not valid JSON: Expecting value: line 1 column 39 (char 38).",
        ],
        ["4", "record", "The line is not a JSON object."],
        ["5", "message_count", "The message count cannot be negative, got -3."],
    ]
    assert read_rejects(rejects)[2][3] == "[1, 2]"
    assert [(row["external_id"], row["satisfaction"]) for row in stored()] == [
        ("j-1", 5),
        ("j-3", None),
    ]


def test_import_key_repeated_across_chunks_is_updated_by_the_later_row(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "updates.csv",
        [
            record("c-1", satisfaction=""),
            record("c-2"),
            record("c-1", satisfaction="2"),
        ],
    )

    output = run(str(path), "--chunk-size", "2")

    assert summary(output) == "2 created, 1 updated, 0 unchanged, 0 rejected, 0 skipped"
    assert [(row["external_id"], row["satisfaction"]) for row in stored()] == [
        ("c-1", 2),
        ("c-2", 4),
    ]


def test_import_default_rejects_file_is_named_after_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_csv(tmp_path / "in.csv", [record(satisfaction="9")])

    run(str(path))

    assert read_rejects(tmp_path / "in.csv.rejects.csv")[1][:3] == [
        "2",
        "satisfaction",
        "Satisfaction must be between 1 and 5, got 9.",
    ]


@pytest.mark.parametrize(
    ("file_name", "args", "message"),
    [
        (
            "data.xml",
            [],
            "Cannot tell the format of data.xml from its extension; give --format "
            "(known formats: anonymous-bank, csv, jsonl).",
        ),
        (
            "data.csv",
            ["--format", "xml"],
            "Unknown import format 'xml'; known formats: anonymous-bank, csv, jsonl.",
        ),
        (
            "data.csv",
            ["--timezone", "Moon/Base"],
            "'Moon/Base' is not a known IANA time zone name.",
        ),
        (
            "data.txt",
            ["--format", "anonymous-bank"],
            "The anonymous-bank format holds local clock times: give the zone they "
            "are in with --timezone.",
        ),
        ("data.csv", ["--chunk-size", "0"], "--chunk-size must be at least 1."),
    ],
)
def test_import_bad_options_fail_with_a_clear_message(
    tmp_path: Path, file_name: str, args: list[str], message: str
) -> None:
    path = tmp_path / file_name
    path.write_text("source,external_id\n")

    with pytest.raises(CommandError) as error:
        run(str(path), *args)

    assert str(error.value) == message


def test_import_csv_with_unknown_columns_fails_before_storing(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("source,external_id,colour\nweb-chat,c-1,red\n")

    with pytest.raises(CommandError) as error:
        run(str(path))

    assert str(error.value) == (
        f"Cannot read {path}: Unknown columns in the header: colour. Known: "
        + ", ".join(COLUMNS)
        + "."
    )
    assert not Consultation.objects.exists()


def test_import_missing_file_fails_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as error:
        run(str(tmp_path / "nowhere.csv"))

    assert str(error.value) == f"No such file: {tmp_path / 'nowhere.csv'}"


class PipeAdapter(Adapter):
    """A format of `external_id|started_at` lines, to show the plug-in point."""

    name = "pipes"
    extensions = (".pipes",)

    def rows(self, stream: TextIO) -> Iterator[SourceRow]:
        for line_number, line in enumerate(stream, 1):
            text = line.strip()
            if text.startswith("#"):
                yield SourceRow(line_number, text)
                continue
            external_id, started_at = text.split("|")
            yield SourceRow(
                line_number,
                text,
                {
                    "source": "pipes",
                    "external_id": external_id,
                    "started_at": started_at,
                    "channel": "web",
                },
            )


@pytest.fixture
def pipes_format() -> Iterator[None]:
    register(PipeAdapter)
    yield
    del ADAPTERS["pipes"]


def test_import_registered_adapter_is_found_by_extension(
    tmp_path: Path, pipes_format: None
) -> None:
    path = tmp_path / "calls.pipes"
    path.write_text("# comment\np-1|2024-03-04T09:00:00Z\n")

    output = run(str(path))

    assert summary(output) == "1 created, 0 updated, 0 unchanged, 0 rejected, 1 skipped"
    assert Consultation.objects.get().external_id == "p-1"


@pytest.mark.django_db(transaction=True)
def test_import_partial_updates_of_the_chunk_in_flight_apply_in_order(
    tmp_path: Path,
) -> None:
    # Given a file whose later records update earlier ones a chunk or two back,
    # sending only the fields that change
    lines = [
        record("c-1", satisfaction=None),
        record("c-2"),
        {"source": "web-chat", "external_id": "c-1", "satisfaction": 2},
        record("c-3", satisfaction=9),
        {"source": "web-chat", "external_id": "c-1", "ended_at": None},
        record("c-4"),
    ]
    path = tmp_path / "updates.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    rejects = tmp_path / "rejects.csv"

    # When it is imported two records a chunk, outside any transaction, so that
    # a chunk is prepared while the one before it is still being written
    output = run(str(path), "--chunk-size", "2", "--rejects", str(rejects))

    # Then every update applies to what the chunk before it left
    assert summary(output) == "3 created, 2 updated, 0 unchanged, 1 rejected, 0 skipped"
    assert [row[:3] for row in read_rejects(rejects)] == [
        ["line", "field", "reason"],
        ["4", "satisfaction", "Satisfaction must be between 1 and 5, got 9."],
    ]
    assert [
        (row["external_id"], row["satisfaction"], row["ended_at"]) for row in stored()
    ] == [
        ("c-1", 2, None),
        ("c-2", 4, dt.datetime(2024, 3, 4, 9, 10, tzinfo=dt.UTC)),
        ("c-4", 4, dt.datetime(2024, 3, 4, 9, 10, tzinfo=dt.UTC)),
    ]


def test_import_help_names_the_known_formats(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        call_command("import_consultations", "--help")

    assert exit_.value.code == 0
    assert (
        " ".join(capsys.readouterr().out.split()).count(
            "--format FORMAT The file's format, one of anonymous-bank, csv, jsonl; "
            "guessed from its extension when left out."
        )
        == 1
    )


def test_import_stops_at_undecodable_bytes_keeping_the_chunks_before(
    tmp_path: Path,
) -> None:
    # Given a CSV file of a hundred consultations (some 25 KiB), then bytes that
    # are not UTF-8
    path = write_csv(tmp_path / "cut.csv", [record(f"c-{n}") for n in range(100)])
    with path.open("ab") as file:
        file.write(b"web-chat,c-100,\xff\xfe\n")

    # When it is imported ten rows a chunk
    with pytest.raises(CommandError) as error:
        run(str(path), "--chunk-size", "10")

    # Then the command fails naming the file and the decoding error, and the
    # chunks read before the bad bytes are stored
    assert str(error.value).startswith(
        f"Cannot read {path}: 'utf-8' codec can't decode byte 0xff"
    )
    assert Consultation.objects.count() >= 60
