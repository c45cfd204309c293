"""Bad input gets an answer in our words — the file, the line, what is wrong, what to do — and never the
advice of the library underneath (polars' 'truncate_ragged_lines', DuckDB's 'Conversion Error')."""

from __future__ import annotations

import pytest

from faers import load, paths
from faers.cli import main

# Words of polars and DuckDB that mean nothing to a user of `faers`.
FOREIGN = ("truncate_ragged_lines", "Schema", "ComputeError", "polars", "dtype", "Consider setting", " Error: ",
           "offset in the file")


def stats_error(capsys, path) -> str:
    capsys.readouterr()
    assert main(["stats", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    message = " ".join(captured.err.split())  # rich wraps long lines
    assert message.startswith(f"error: {path}") and not any(word in message for word in FOREIGN), message
    return message


def test_stats_on_a_binary_file(tmp_path, capsys):
    path = tmp_path / "counts.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4)
    message = stats_error(capsys, path)
    assert "not a text file" in message and "Export it as CSV" in message


def test_stats_on_a_text_file_that_is_not_csv(tmp_path, capsys):
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    message = stats_error(capsys, path)
    assert "line 1: one column only" in message and "not comma-separated" in message and "a, b, c, d" in message
    assert "'root:x:0:0:root:/root:/bin/bash'" in message  # quoted as written: ':x:' is not an emoji


def test_stats_on_a_csv_with_a_missing_column(tmp_path, capsys):
    path = tmp_path / "pairs.csv"
    path.write_text("drug,event,a,b,c\naxi-cel,spm,12,300,40\n")
    message = stats_error(capsys, path)
    assert "missing column(s) d" in message and "found drug, event, a, b, c" in message


@pytest.mark.parametrize("body,line,fields", [
    ("drug,a,b,c,d\nX,1,2,3,4\nY,1,2,3,4,5,6\n", 3, 7),  # more fields than the header
    ("drug,a,b,c,d\nX,1,2,3,4\nY,1,2,3,4\nZ,5\n", 4, 2),  # fewer: polars would pad them with empty cells
])
def test_stats_on_a_csv_with_ragged_rows(tmp_path, capsys, body, line, fields):
    path = tmp_path / "ragged.csv"
    path.write_text(body)
    message = stats_error(capsys, path)
    assert f"line {line}: {fields} field(s) where the header (line 1) has 5" in message
    assert "double quotes" in message


def test_stats_names_the_line_of_a_bad_count_even_after_a_quoted_line_break(tmp_path, capsys):
    path = tmp_path / "pairs.csv"
    path.write_text('drug,note,a,b,c,d\nX,"two\nlines",1,2,3,4\nY,,1,2,many,4\n')
    message = stats_error(capsys, path)
    assert message == f"error: {path}, line 4: c = 'many' is not a count (need an integer >= 0)"


@pytest.mark.parametrize("body,expected", [
    (b"", "the file is empty"),
    ("a,b,c,d\n1,2,3,4\n".encode("utf-16"), "UTF-16"),
    (b'a,b,c,d\n1,2,"3,4\n', "line 2: a double quote opens a value that is never closed"),
])
def test_stats_other_unreadable_files(tmp_path, capsys, body, expected):
    path = tmp_path / "pairs.csv"
    path.write_bytes(body)
    assert expected in stats_error(capsys, path)


@pytest.fixture(scope="module")
def home(tmp_path_factory, faers_real):
    home = tmp_path_factory.mktemp("sql-errors") / "home"
    load.load(paths.resolve(home=home, environ={}),
              [load.local_zip(faers_real / "yunuuuu-faers-r-sample" / "faers_ascii_2017q2.zip")])
    return home


@pytest.mark.parametrize("query,what,todo", [
    ("SELECT * FROM case", "the query is not valid SQL", "needs double quotes"),
    ("SELECT * FROM drug", 'does not have: Table with name drug does not exist! Did you mean "drugs"?',
     "the views are cases, drugs"),
    ("SELECT nonsense FROM cases", 'Referenced column "nonsense" not found', 'DESCRIBE cases'),
    ("SELECT primaryid FROM cases WHERE sex = 1", "Could not convert string", "TRY_CAST"),
    ("SELECT * FROM read_csv('/etc/passwd')", "reads the database only", "DuckDB CLI"),
])
def test_sql_errors_say_what_is_wrong_and_what_to_do(home, capsys, query, what, todo):
    capsys.readouterr()
    assert main(["--home", str(home), "sql", query]) != 0
    message = " ".join(capsys.readouterr().err.split())
    assert what in message and todo in message, message
    assert not any(kind in message for kind in ("Parser Error", "Catalog Error", "Binder Error", "Conversion Error"))
