"""faers.render: every format shows the values; the table fits 80 and 120 columns by eliding whole columns."""

from __future__ import annotations

import datetime as dt
import io
import json

import polars as pl
import pytest

from faers.render import Format, render

# A row shaped like the `cases` view: many columns, long text, NULLs, dates, numbers.
WIDE = pl.DataFrame({
    "primaryid": [100123456, 100987654, 101000001],
    "caseid": [10012345, 10098765, 10100000],
    "quarter": ["2023Q4", "2024Q1", "2024Q1"],
    **{f"field_{i:02d}": [f"text {i} with several words", None, "x"] for i in range(22)},
    "fda_dt": [dt.date(2023, 11, 2), dt.date(2024, 1, 5), None],
    "age_years": [61.5, None, 7.0],
    "reporter_country": ["US", "COUNTRY NOT SPECIFIED", "DE"],
})


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip("│").split("│")]


@pytest.mark.parametrize("width", [80, 120])
def test_a_wide_table_fits_and_shows_its_first_and_last_columns(width):
    text = render(WIDE, Format.table, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    header = cells(lines[1])
    assert header[0] == "primaryid" and header[-1] == "reporter_country" and "…" in header
    assert all(header), header  # no column squeezed to nothing
    for value in ("100123456", "100987654", "101000001", "US", "DE"):
        assert value in text
    shown = len(header) - 1
    assert lines[-1].strip() == f"3 rows, {WIDE.width} columns ({shown} shown; --format line shows every column)"
    # one drawn line per row (nothing wrapped), the ids whole, in order
    assert [cells(line)[0] for line in lines[4:-2]] == ["100123456", "100987654", "101000001"]


def test_more_room_shows_more_columns():
    narrow, wide = (cells(render(WIDE, width=w).splitlines()[1]) for w in (80, 120))
    assert len(wide) > len(narrow)


def test_a_table_that_fits_hides_nothing():
    df = WIDE.select("primaryid", "quarter", "reporter_country")
    text = render(df, width=80)
    assert cells(text.splitlines()[1]) == ["primaryid", "quarter", "reporter_country"]
    assert "COUNTRY NOT SPECIFIED" in text and text.splitlines()[-1].strip() == "3 rows"


def test_long_results_show_head_and_tail_and_say_how_many():
    df = pl.DataFrame({"n": range(25_000), "label": [f"row {i}" for i in range(25_000)]})
    text = render(df, max_rows=10, width=80)
    assert "row 0" in text and "row 24999" in text and "row 12000" not in text
    assert text.splitlines()[-1].strip() == "25,000 rows (10 shown, --max-rows for more)"
    assert "·" in text  # DuckDB's marker of the elided rows
    default = render(df, width=80)  # 40 rows: the first and the last 20
    assert "row 19 " in default and "row 20 " not in default and "row 24980 " in default and "row 24979 " not in default
    assert default.splitlines()[-1].strip() == "25,000 rows (40 shown, --max-rows for more)"


def test_narrower_than_a_table_falls_back_to_one_field_per_line():
    text = render(WIDE, width=60)
    assert "primaryid = 100123456" in text and "reporter_country = COUNTRY NOT SPECIFIED" in text
    assert "wider than 60 columns" in text


def test_line_format_shows_every_field_of_every_row():
    text = render(WIDE, Format.line)
    blocks = text.strip().split("\n\n")
    assert len(blocks) == 3 and all(len(b.splitlines()) == WIDE.width for b in blocks)
    assert "field_21 = text 21 with several words" in blocks[0]
    assert "age_years = NULL" in blocks[1] and "fda_dt = 2024-01-05" in blocks[1]
    assert render(WIDE, Format.line, max_rows=1).count("primaryid = ") == 1


def test_csv_and_json_round_trip_every_value():
    back = pl.read_csv(io.StringIO(render(WIDE, Format.csv)), try_parse_dates=True)
    assert back.columns == WIDE.columns and back.height == 3
    assert back["primaryid"].to_list() == WIDE["primaryid"].to_list()
    assert back["reporter_country"].to_list() == WIDE["reporter_country"].to_list()
    rows = json.loads(render(WIDE, Format.json))
    assert rows[1]["reporter_country"] == "COUNTRY NOT SPECIFIED" and rows[1]["age_years"] is None
    assert len(json.loads(render(WIDE, "json", max_rows=2))) == 2
    nested = render(pl.DataFrame({"pts": [["Nausea", "Rash"]], "n": [1]}), Format.csv)
    assert nested.splitlines()[1] == '"[""Nausea"", ""Rash""]",1'


def test_markdown_is_a_pipe_table_with_escaped_cells():
    df = pl.DataFrame({"product": ["axi-cel", "a|b"], "a": [12, 3]})
    lines = render(df, Format.markdown).splitlines()
    assert lines == ["| product | a |", "|---|---:|", "| axi-cel | 12 |", "| a\\|b | 3 |"]
    assert "2 rows, the first 1 shown" in render(df, Format.markdown, max_rows=1)


def test_empty_results():
    empty = WIDE.head(0)
    assert render(empty, width=80).splitlines()[-1].strip() == "0 rows"
    assert render(empty, Format.csv).splitlines() == [",".join(WIDE.columns)]
    assert render(pl.DataFrame(), width=80) == "(no columns, 0 rows)\n"
