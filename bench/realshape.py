"""Benchmark quarters in the real shape of FAERS: each quarter's real row count per table, values resampled from
the real shared samples, written as FDA-format zips.

Row counts: `quarter-shapes/quarter_table_rows.csv` (FDA's 90 real quarters, 2004Q1-2026Q2, 328 M rows).
Values: whole reports resampled from the real samples, the FAERS eras from the 1,000-report 2025Q4 sample and the
legacy era from the 2004Q1 legacy sample, each copy under new ids. About a quarter of each quarter's reports are
follow-up versions (caseversion 2, i_f_code F) of cases first published the quarter before, and quarters with a
`Deleted/` folder list 5,000 earlier cases, so dedup has real work. Member names, headers, trailing '$', CRLF and
junk files follow the mirror's per-era layout (`faers.mirror.layout`). No planted defects: the mirror keeps those
for the tests; this is the clean volume a user's refresh loads.

Generation is vectorised (numpy indices into the sample, polars string building) and bound by deflate: with ISA-L
(the `isal` package, a dev dependency) at its level 2, ~5x faster than zlib's fastest level and as small; without
it zlib at level 1.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from faers.mirror.layout import QuarterLayout, quarter_layout
from faers.mirror.site import EXPORTS_PATH, INDEX_PATH, index_html
from faers.mirror.writer import release_time
from faers.paths import data_dir
from faers.quarters import Quarter

# $FAERS_SHARED (as the tests read it, tests/conftest.py), else ../shared beside the checkout (CI), or beside a
# folder of worktrees above it.
SHARED = (Path(os.environ["FAERS_SHARED"]) / "faers-real" if os.environ.get("FAERS_SHARED") else
          next((p / "shared" / "faers-real" for p in Path(__file__).resolve().parents[1:]
                if (p / "shared" / "faers-real").is_dir()), Path("../shared/faers-real")))
FOLLOW_UP_SHARE = 0.25  # reports that are a new version of a case first published the quarter before
DELETED_PER_QUARTER = 5000  # real DELETE files list 4-8 k caseids
_CHUNK_ROWS = 400_000  # lines built and compressed per step (bounds memory on the largest tables)
# Headers that name a sample column differently (2012Q4's quirks, the legacy key names).
_ALIASES = {"lot_nbr": "lot_num", "outc_code": "outc_cod", "gndr_cod": "sex", "case": "caseid", "isr": "primaryid",
            "i_f_cod": "i_f_code"}
_PANDAS_FLOAT = re.compile(r"^(-?\d+)\.0$")  # the 2025Q4 sample went through pandas: 20141226.0, 61.0


# --- the real shapes ---------------------------------------------------------------------------------


def quarter_rows(path: Path | None = None) -> dict[Quarter, dict[str, int]]:
    """quarter -> {table (upper case): real data rows}, from quarter-shapes/quarter_table_rows.csv."""
    path = path or SHARED / "quarter-shapes" / "quarter_table_rows.csv"
    out: dict[Quarter, dict[str, int]] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(Quarter.parse(row["quarter"]), {})[row["table"].upper()] = int(row["rows"])
    return dict(sorted(out.items()))


def real_zip_bytes(path: Path | None = None) -> dict[Quarter, int]:
    """quarter -> the size of FDA's real zip (quarter-shapes/quarter_zips.csv)."""
    path = path or SHARED / "quarter-shapes" / "quarter_zips.csv"
    with path.open(newline="") as fh:
        return {Quarter.parse(r["quarter"]): int(r["bytes"]) for r in csv.DictReader(fh)}


# --- the sample pools --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """One era's real sample: per table its rows (columns by lower-case name), each row's sample report index."""

    reports: int
    tables: dict[str, pl.DataFrame]  # upper-case table -> rows with a `_rep` column (0..reports-1)

    def report_rows(self, table: str) -> tuple[np.ndarray, np.ndarray]:
        """(first row, row count) of each sample report in `table` (rows are sorted by report)."""
        rep = self.tables[table]["_rep"].to_numpy()
        counts = np.bincount(rep, minlength=self.reports)
        return np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


def _read_member(text: bytes) -> pl.DataFrame:
    frame = pl.read_csv(text, separator="$", quote_char=None, infer_schema=False, encoding="utf8-lossy",
                        truncate_ragged_lines=True)
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    keep = [c for c in frame.columns if not re.fullmatch(r"v\d+", c) and c]  # fread's name for the trailing '$'
    return frame.select(keep).with_columns(pl.all().fill_null("").str.strip_chars_end("\r")
                                           .str.replace(_PANDAS_FLOAT.pattern, "${1}"))


def _members_of(source: Path) -> dict[str, bytes]:
    """Table (upper case) -> raw bytes, from a zip or a folder of FDA-named files."""
    name_re = re.compile(r"(?i)(demo|drug|reac|outc|rpsr|ther|indi)\d\dq[1-4]\.txt$")
    out = {}
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():
                if m := name_re.search(info.filename):
                    out[m.group(1).upper()] = zf.read(info)
    else:
        for path in source.iterdir():
            if m := name_re.search(path.name):
                out[m.group(1).upper()] = path.read_bytes()
    return out


@cache
def pool(era_group: str) -> Pool:
    """'legacy': the 2004Q1 legacy sample (100 reports); 'faers': the 2025Q4 sample (1,000 reports)."""
    if era_group == "legacy":
        source, key = SHARED / "yunuuuu-faers-r-sample" / "aers_ascii_2004q1.zip", "isr"
    else:
        source, key = SHARED / "nico8270-2025q4-sample" / "ASCII", "primaryid"
    frames = {t: _read_member(b) for t, b in _members_of(source).items()}
    demo = frames["DEMO"].unique(subset=[key], keep="first", maintain_order=True)
    if era_group == "legacy":  # 2004Q1 predates REPORTER_COUNTRY (from 2005Q3): borrow 2025Q4's, as AERS names
        demo = demo.with_columns(reporter_country=pl.Series(_legacy_countries(len(demo))))
    index = dict(zip(demo[key].to_list(), range(len(demo)), strict=True))
    tables = {"DEMO": demo.with_columns(_rep=pl.int_range(len(demo), dtype=pl.Int64))}
    for table, frame in frames.items():
        if table == "DEMO":
            continue
        rep = pl.Series([index.get(v, -1) for v in frame[key].to_list()], dtype=pl.Int64)
        tables[table] = frame.with_columns(_rep=rep).filter(pl.col("_rep") >= 0).sort("_rep", maintain_order=True)
    return Pool(len(demo), tables)


def _legacy_countries(n: int) -> list[str]:
    names = {}
    with (data_dir() / "countries.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            names.setdefault(row["iso2"], row["name"])
    iso = [c for c in pool("faers").tables["DEMO"]["reporter_country"].to_list() if c in names]
    return [names[iso[i % len(iso)]] for i in range(n)]


# --- one quarter ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterIds:
    """The ids of one generated quarter's reports."""

    caseid: np.ndarray
    version: np.ndarray  # 1 initial, 2 follow-up
    primaryid: np.ndarray
    new_cases: tuple[int, int]  # [first, end) of the caseids first published in this quarter


def quarter_ids(quarter: Quarter, n_reports: int, previous: tuple[int, int] | None, rng: np.random.Generator) -> QuarterIds:
    """New caseids from a per-quarter range; a share are follow-ups of the previous quarter's new cases."""
    first = _first_caseid(quarter)
    n_follow = 0
    if previous and previous[1] > previous[0]:
        n_follow = min(round(n_reports * FOLLOW_UP_SHARE), previous[1] - previous[0])
    follow = np.sort(rng.choice(np.arange(*previous), size=n_follow, replace=False)) if n_follow else np.array([], int)
    n_new = n_reports - n_follow
    caseid = np.concatenate([follow, np.arange(first, first + n_new)]).astype(np.int64)
    version = np.concatenate([np.full(n_follow, 2), np.ones(n_new)]).astype(np.int64)
    return QuarterIds(caseid, version, caseid * 10 + version, (first, first + n_new))


def _child_rows(pool_: Pool, table: str, picks: np.ndarray, wanted: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(report index, sample row index) of exactly `wanted` rows: each report takes its sample report's rows;
    when that falls short of the real count, further passes give reports the rows of other sample reports."""
    starts, counts = pool_.report_rows(table)
    reps, rows, have = [], [], 0
    report_picks = picks
    while have < wanted and counts.sum() > 0:
        n = counts[report_picks]
        total = int(n.sum())
        report = np.repeat(np.arange(len(report_picks)), n)
        offset = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
        row = np.repeat(starts[report_picks], n) + offset
        take = min(total, wanted - have)
        reps.append(report[:take])
        rows.append(row[:take])
        have += take
        report_picks = rng.integers(0, pool_.reports, len(picks))
    report, row = np.concatenate(reps), np.concatenate(rows)
    order = np.argsort(report, kind="stable")  # FDA's files come in report order
    return report[order], row[order]


def _rest_column(pool_: Pool, table: str, names: list[str]) -> pl.Series:
    """Each sample row's fields after the generated key fields, '$'-joined in the header's order."""
    frame = pool_.tables[table]
    cols = [pl.col(n) if n in frame.columns else pl.col(_ALIASES[n]) if _ALIASES.get(n) in frame.columns else pl.lit("")
            for n in names]
    if not cols:
        return pl.Series([""] * len(frame))
    return frame.select(pl.concat_str(cols, separator="$").alias("rest")).to_series()


def _key_names(layout: QuarterLayout, table: str) -> int:
    """How many leading header fields the generator writes itself (ids, version, initial/follow-up)."""
    if table == "DEMO":
        return 3 if layout.legacy else 4  # ISR CASE I_F_COD / primaryid caseid caseversion i_f_code
    return 1 if layout.legacy else 2


def table_lines(layout: QuarterLayout, table: str, ids: QuarterIds, picks: np.ndarray, wanted: int,
                rng: np.random.Generator, isr: np.ndarray) -> Callable[[], list[bytes]]:
    """The table's data lines as CRLF-terminated byte chunks (generated lazily, chunk by chunk)."""
    pool_ = pool("legacy" if layout.legacy else "faers")
    header = [h.strip().lower() for h in layout.tables[table].header]
    k = _key_names(layout, table)
    rest = _rest_column(pool_, table, header[k:])
    if table == "DEMO":
        report, row = np.arange(len(picks)), picks[: len(picks)]
    else:
        report, row = _child_rows(pool_, table, picks, wanted, rng)
    suffix = "$" if layout.trailing_dollar_rows else ""

    def chunks():
        for lo in range(0, len(report), _CHUNK_ROWS):
            rep, rw = report[lo:lo + _CHUNK_ROWS], row[lo:lo + _CHUNK_ROWS]
            if layout.legacy:
                keys = [isr[rep]] if table != "DEMO" else [isr[rep], ids.caseid[rep]]
            else:
                keys = [ids.primaryid[rep], ids.caseid[rep]] + ([ids.version[rep]] if table == "DEMO" else [])
            frame = pl.DataFrame({f"k{i}": v for i, v in enumerate(keys)})
            parts = [pl.col(c).cast(pl.String) for c in frame.columns]
            if table == "DEMO":
                frame = frame.with_columns(v=ids.version[rep])
                parts.append(pl.when(pl.col("v") == 1).then(pl.lit("I")).otherwise(pl.lit("F")))
            frame = frame.with_columns(rest=rest.gather(rw))
            line = pl.concat_str([*parts, pl.col("rest")], separator="$") + pl.lit(suffix + "\r\n")
            yield frame.select(line.alias("l")).to_series().str.join("").item().encode("utf-8")

    return chunks


@contextlib.contextmanager
def _fast_deflate() -> Iterator[None]:
    """zipfile's deflate from ISA-L when installed (same format, ~5x faster). zipfile has no hook for its
    compressor, so its private factory is swapped for the duration and restored after."""
    try:
        from isal import isal_zlib
    except ImportError:
        yield
        return
    original = zipfile._get_compressor

    def compressor(compress_type, compresslevel=None):
        if compress_type == zipfile.ZIP_DEFLATED:
            return isal_zlib.compressobj(2, zlib.DEFLATED, -15)
        return original(compress_type, compresslevel)

    zipfile._get_compressor = compressor
    try:
        yield
    finally:
        zipfile._get_compressor = original


def write_quarter(quarter: Quarter, rows: dict[str, int], previous: tuple[int, int] | None, out_dir: Path,
                  *, seed: int = 16, level: int = 1, deleted: int = DELETED_PER_QUARTER) -> dict:
    """One quarter's FDA-format zip with `rows[table]` data lines per table, `deleted` caseids of the previous
    quarter in its Deleted/ file (where the era has one); returns what was written."""
    layout = quarter_layout(quarter)
    rng = np.random.default_rng([seed, quarter.index])
    pool_ = pool("legacy" if layout.legacy else "faers")
    ids = quarter_ids(quarter, rows["DEMO"], previous, rng)
    picks = rng.integers(0, pool_.reports, rows["DEMO"])
    isr = ids.caseid * 10 + ids.version if layout.legacy else ids.primaryid  # AERS ISR: one per report version
    path = out_dir / layout.zip_name
    tmp = path.with_name(path.name + ".tmp")
    when = release_time(quarter)
    written = {}
    with _fast_deflate(), zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        _dir(zf, layout.folder + "/", when)
        for table, tl in layout.tables.items():
            info = zipfile.ZipInfo(tl.member, date_time=when)
            info.create_system, info.external_attr, info.compress_type = 0, 0x20, zipfile.ZIP_DEFLATED
            header = "$".join(tl.header) + ("$" if layout.trailing_dollar_header else "") + "\r\n"
            lines = 0
            with zf.open(info, "w") as dst:
                dst.write((b"\xef\xbb\xbf" if tl.bom else b"") + header.encode("ascii"))
                for block in table_lines(layout, table, ids, picks, rows[table], rng, isr)():
                    dst.write(block)
                    lines += block.count(b"\n")
            written[table] = lines
        for name in layout.junk_members:
            zf.writestr(zipfile.ZipInfo(name, date_time=when), f"placeholder for FDA's {name}\r\n")
        if layout.deleted_member and previous:
            deleted = rng.choice(np.arange(*previous), size=min(deleted, previous[1] - previous[0]), replace=False)
            _dir(zf, "Deleted/", when)
            zf.writestr(zipfile.ZipInfo(layout.deleted_member, date_time=when),
                        " \n" + "".join(f"{c}\n" for c in np.sort(deleted)))
    tmp.replace(path)
    return {"quarter": str(quarter), "zip": str(path), "zip_bytes": path.stat().st_size, "rows": written,
            "new_cases": list(ids.new_cases)}


def _dir(zf: zipfile.ZipFile, name: str, when: tuple) -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    info.external_attr = 0x10
    zf.writestr(info, b"")


# --- a whole history -----------------------------------------------------------------------------------


def _first_caseid(quarter: Quarter) -> int:
    return 10_000_000 + (quarter.index - Quarter(2004, 1).index) * 600_000  # 8 digits, like FDA's


def new_case_ranges(shapes: dict[Quarter, dict[str, int]], scale: float) -> dict[Quarter, tuple[int, int]]:
    """[first, end) of each quarter's new caseids: known before any quarter is written, so quarters can be
    generated in parallel and follow-ups still point at the previous quarter's new cases."""
    out, previous = {}, None
    for quarter in sorted(shapes):
        n = max(1, round(shapes[quarter]["DEMO"] * scale))
        n_follow = min(round(n * FOLLOW_UP_SHARE), previous[1] - previous[0]) if previous else 0
        first = _first_caseid(quarter)
        out[quarter] = previous = (first, first + n - n_follow)
    return out


def _write_one(args: tuple) -> dict:
    quarter, rows, previous, out_dir, level, deleted = args
    return write_quarter(quarter, rows, previous, out_dir, level=level, deleted=deleted)


def generate(root: Path, quarters: list[Quarter] | None = None, *, scale: float = 1.0, level: int = 1,
             workers: int = 2, say: Callable[[str], None] = print) -> dict[Quarter, dict]:
    """The chosen quarters (default all 90) at `scale` x their real row counts, as FDA-format zips laid out like
    the mirror's site under root (serve it with faers.mirror.serve for `faers refresh`), cached: a quarter already
    in root/manifest.json is not rewritten. `workers` processes in parallel."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shapes = quarter_rows()
    chosen = sorted(quarters or shapes)
    ranges = new_case_ranges(shapes, scale)
    order = sorted(shapes)
    previous = {q: (ranges[order[i - 1]] if i else None) for i, q in enumerate(order)}
    out_dir = root / EXPORTS_PATH
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    todo = [q for q in chosen if str(q) not in manifest]
    jobs = [(q, {t: max(1, round(n * scale)) for t, n in shapes[q].items()}, previous[q], out_dir, level,
             max(1, round(DELETED_PER_QUARTER * scale))) for q in todo]
    if jobs:
        say(f"generating {len(jobs)} real-shape quarters ({sum(sum(j[1].values()) for j in jobs):,} rows) "
            f"under {out_dir} with {workers} processes (once; cached)")
        if workers <= 1:  # in this process: no pool (and no fork of a process that already runs threads)
            entries = map(_write_one, jobs)
        else:  # spawn, not fork: a forked child of a process with DuckDB/polars threads can deadlock on their locks
            pool_ = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            entries = pool_.map(_write_one, jobs)
        try:
            for entry in entries:
                manifest[entry["quarter"]] = entry
                manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
                say(f"generated {entry['quarter']}: {sum(entry['rows'].values()):,} rows, {entry['zip_bytes'] / 1e6:.1f} MB")
        finally:
            if workers > 1:
                pool_.shutdown()
    index = root / INDEX_PATH
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(index_html({Quarter.parse(q): e["zip_bytes"] for q, e in manifest.items()}), encoding="utf-8")
    return {q: manifest[str(q)] for q in chosen}
