"""CSV rows split at commas where they can be, read by the csv module where not."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from consultations.ingestion.adapters.delimited import split_rows

from .ingestion_helpers import create_catalogue, stored


def csv_module_rows(text: str) -> list[tuple[int, list[str]] | str]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]] | str] = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as error:
        rows.append(str(error))
    return rows


def split(text: str) -> list[tuple[int, list[str]] | str]:
    rows: list[tuple[int, list[str]] | str] = []
    try:
        rows.extend(split_rows(io.StringIO(text, newline="")))
    except csv.Error as error:
        rows.append(str(error))
    return rows


@given(st.text(alphabet='ab ,"\n\r\x00é', max_size=60))
def test_split_rows_reads_any_text_as_the_csv_module_does(text: str) -> None:
    # Quoted cells, cells spanning lines, blank lines, every line ending, NUL and
    # unterminated quotes: the same cells, line numbers and errors.
    assert split(text) == csv_module_rows(text)


@pytest.mark.django_db
def test_import_csv_reads_quoted_cells_and_counts_their_lines(tmp_path: Path) -> None:
    # Given a file with a comma and a line break inside quoted cells, a blank line,
    # Windows line endings and a broken row after them
    create_catalogue()
    path = tmp_path / "quoted.csv"
    path.write_bytes(
        b"source,external_id,started_at,channel\r\n"
        b'web-chat,"a,1",2024-03-04T09:00:00Z,web\r\n'
        b'"web-chat","two\r\nlines",2024-03-04T10:00:00Z,"web"\r\n'
        b"\r\n"
        b"web-chat,short\r\n"
    )
    rejects = tmp_path / "rejects.csv"

    # When it is imported
    call_command(
        "import_consultations", str(path), "--rejects", str(rejects), verbosity=0
    )

    # Then the quoted cells keep their comma and line break, and the broken row is
    # reported at its own line, counted past the cell spanning two
    assert [row["external_id"] for row in stored()] == ["a,1", "two\r\nlines"]
    with rejects.open(newline="") as file:
        assert list(csv.reader(file))[1][:2] == ["6", "record"]
