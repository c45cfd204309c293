"""Fuzz the quarter parser with mutated real sample files zipped as a quarter: every input ends with
read = loaded + repaired + rejected for every file (and `read` equals the lines actually in the member), or
one clear FaersError. Never another exception, never a hang (each example has a deadline)."""

from __future__ import annotations

import io
import zipfile

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faers import load
from faers.errors import FaersError
from faers.extract import TABLES
from faers.quarters import Quarter

pytestmark = pytest.mark.faults

Q = Quarter(2017, 2)


@pytest.fixture(scope="module")
def members(faers_real) -> dict[str, bytes]:
    with zipfile.ZipFile(faers_real / "yunuuuu-faers-r-sample" / "faers_ascii_2017q2.zip") as zf:
        return {t: zf.read(f"ascii/{t.upper()}17Q2.txt") for t in TABLES}


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    c = duckdb.connect(str(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb"))
    load.ensure_schema(c)
    yield c
    c.close()


def mutate(data: st.DataObject, body: bytes) -> bytes:
    """One mutation of a member's bytes, of a kind FDA files (or a broken transfer) have shown."""
    kind = data.draw(st.sampled_from(["random bytes", "drop $", "extra $", "truncate line", "truncate file",
                                      "wrong header", "huge field", "invalid utf-8", "nul bytes", "empty",
                                      "header only", "crlf mix", "bom"]))
    lines = body.split(b"\n")
    at = data.draw(st.integers(0, max(0, len(body) - 1)))
    line = data.draw(st.integers(0, max(0, len(lines) - 1)))
    if kind == "random bytes":
        return body[:at] + data.draw(st.binary(min_size=1, max_size=64)) + body[at:]
    if kind == "drop $":
        lines[line] = lines[line].replace(b"$", b"", data.draw(st.integers(1, 3)))
    elif kind == "extra $":
        pos = data.draw(st.integers(0, len(lines[line])))
        lines[line] = lines[line][:pos] + b"$" * data.draw(st.integers(1, 3)) + lines[line][pos:]
    elif kind == "truncate line":
        lines[line] = lines[line][: data.draw(st.integers(0, len(lines[line])))]
    elif kind == "truncate file":
        return body[:at]
    elif kind == "wrong header":
        lines[0] = data.draw(st.sampled_from([b"", b"foo$bar", lines[0].upper(), lines[0] + b"$extra",
                                              b"$".join(reversed(lines[0].split(b"$")))]))
    elif kind == "huge field":
        lines[line] = lines[line] + b"X" * data.draw(st.sampled_from([70_000, 1_500_000]))
    elif kind == "invalid utf-8":
        return body[:at] + data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80"])) + body[at:]
    elif kind == "nul bytes":
        return body[:at] + b"\x00" * data.draw(st.integers(1, 8)) + body[at:]
    elif kind == "empty":
        return b""
    elif kind == "header only":
        return lines[0] + b"\n"
    elif kind == "crlf mix":
        return body.replace(b"\n", b"\r\n", data.draw(st.integers(1, 50)))
    elif kind == "bom":
        return b"\xef\xbb\xbf" + body
    return b"\n".join(lines)


def data_lines(body: bytes) -> int:
    """Lines after the header, counted independently of the loader (a cut-off last line counts)."""
    body = body.removeprefix(b"\xef\xbb\xbf")
    _, newline, rest = body.partition(b"\n")
    if not newline:
        return 0
    return rest.count(b"\n") + (1 if rest.rsplit(b"\n", 1)[-1].strip(b"\r") else 0)


def well_formed_records(body: bytes, n: int) -> set[tuple[str, str]]:
    """(primaryid, pt) of every REAC line, or pair of adjacent lines joined, that splits into n fields —
    decoded and cleaned as FDA's files should be (UTF-8 else latin-1; CR and control bytes dropped)."""
    control = bytes([*range(0, 9), 11, 12, *range(13, 32), 127])
    texts = []
    for raw in body.removeprefix(b"\xef\xbb\xbf").split(b"\n")[1:]:
        raw = raw.translate(None, control)
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(raw.decode("latin-1"))
    out = set()
    for i, text in enumerate(texts):
        for candidate in (text, text + texts[i + 1] if i + 1 < len(texts) else None):
            fields = None if candidate is None else candidate.split("$")
            if fields and len(fields) == n and fields[0].strip().isdigit():
                out.add((str(int(fields[0].strip())), fields[2]))
    return out


def fuzz_one(con, tmp_path, members, data, tally: dict[str, int]):
    files = dict(members)
    for _ in range(data.draw(st.integers(1, 3))):
        table = data.draw(st.sampled_from(TABLES))
        if data.draw(st.integers(0, 15)) == 0:
            files.pop(table, None)  # a missing table
        elif table in files:
            files[table] = mutate(data, files[table])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table, body in files.items():
            zf.writestr(f"ascii/{table.upper()}17Q2.txt", body)
    zip_path = tmp_path / "faers_ascii_2017q2.zip"
    zip_path.write_bytes(buf.getvalue())
    tally["tried"] += 1
    try:
        load.load_quarter(con, Q, zip_path, "fuzz", tmp_path / "tmp")
    except FaersError as exc:
        assert "2017Q2" in str(exc) or zip_path.name in str(exc), exc
        tally["clear error"] += 1
        return
    tally["loaded"] += 1
    rows = con.execute("SELECT table_name, member, rows_read, rows_loaded, rows_repaired, rows_rejected, rows_inserted "
                       "FROM load_files WHERE quarter = '2017Q2'").fetchall()
    assert {r[0] for r in rows} == set(TABLES)
    for table, member, read, loaded, repaired, rejected, inserted in rows:
        assert read == loaded + repaired + rejected, (table, read, loaded, repaired, rejected)
        assert read == data_lines(files[table]), table
        assert min(loaded, repaired, rejected) >= 0
        in_table = con.execute(f"SELECT count(*) FROM {table}_all WHERE quarter = '2017Q2'").fetchone()[0]
        assert in_table == inserted
        assert con.execute("SELECT count(*) FROM load_rejects WHERE quarter = '2017Q2' AND member = ?",
                           [member]).fetchone()[0] == rejected
    # Values, not just counts: every loaded reaction is the (primaryid, pt) of an input line (or of two adjacent
    # lines joined) with exactly the header's field count — a row shifted by a stray '$' is never loaded.
    header_fields = len(files["reac"].split(b"\n", 1)[0].rstrip(b"\r$").split(b"$"))
    allowed = well_formed_records(files["reac"], header_fields)
    loaded = con.execute("SELECT primaryid, coalesce(pt, '') FROM reac_all WHERE quarter = '2017Q2'").fetchall()
    assert all((str(pid), pt) in allowed for pid, pt in loaded), [r for r in loaded if (str(r[0]), r[1]) not in allowed]


FUZZ = dict(derandomize=True, database=None, deadline=20_000,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


def campaign(con, tmp_path, members, examples: int) -> dict[str, int]:
    """Run `examples` fuzzed quarters and return how each ended; the tally belongs to this run alone, so the
    test passes or fails the same run alone or in any order."""
    tally = {"tried": 0, "loaded": 0, "clear error": 0}

    @settings(max_examples=examples, **FUZZ)
    @given(data=st.data())
    def one(data):
        fuzz_one(con, tmp_path, members, data, tally)

    one()
    print("fuzz inputs:", tally)
    assert tally["tried"] >= examples and tally["loaded"] + tally["clear error"] == tally["tried"]
    return tally


def test_fuzzed_quarters_are_accounted_for_or_refused_clearly(con, tmp_path, members):
    campaign(con, tmp_path, members, 60)


@pytest.mark.slow
def test_fuzzed_quarters_long_campaign(con, tmp_path, members):
    campaign(con, tmp_path, members, 600)
