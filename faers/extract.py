"""Extract: find a quarter's tables inside its zip, copy them out normalised, map headers, repair broken lines.

The bulk parsing is DuckDB's (see load.py); this module prepares files for it and repairs the few lines
DuckDB rejects. Repairs are a general mechanism driven by field counts, plus literal corrections kept as data
(`faers/data/corrections.csv`), never line-number patches.
"""

from __future__ import annotations

import csv
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from faers.errors import LoadError
from faers.paths import data_dir
from faers.quarters import Quarter

TABLES = ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")

# Member names: DEMO04Q1.TXT, demo12q4.txt, DEMO18Q1_new.txt, in ascii/ or ASCII/ (any folder, any case).
_MEMBER_RE = re.compile(r"^(demo|drug|reac|outc|rpsr|ther|indi)(\d\d)q([1-4])(_new)?\.txt$", re.IGNORECASE)
_DELETED_RE = re.compile(r"del", re.IGNORECASE)
# Bytes removed while copying a member out: CR (line endings) and control characters FDA says never belong
# in QDE files (legacy DRUG has \x08 and \x7f). Tab is kept as data.
_CONTROL = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_CONTROL_RE = re.compile(b"[" + re.escape(_CONTROL) + b"]")
_BOM = b"\xef\xbb\xbf"
# Largest accepted expansion of a member: real FAERS text compresses ~8-12x; a bomb is thousands.
MAX_COMPRESSION_RATIO = 200
MAX_MEMBER_BYTES = 20 * 1024**3


@dataclass(frozen=True)
class ColumnSpec:
    canonical: str
    type: str
    raw_names: tuple[str, ...]  # accepted raw header names in this era (empty: absent in this era)
    optional: bool


@dataclass
class QuarterMembers:
    tables: dict[str, zipfile.ZipInfo]
    deleted: list[zipfile.ZipInfo]


@dataclass
class PreparedFile:
    """A member copied out to a plain LF text file, with what the copy changed."""

    table: str
    member: str
    path: Path
    header: list[str]  # raw header names, lower-cased and trimmed
    n_fields: int  # fields per data line the file actually uses
    data_lines: int
    control_lines: set[int] = field(default_factory=set)  # 1-based file line numbers that lost control chars


@dataclass
class Repair:
    """The repair step's verdict on the rejected lines of one file."""

    rows: list[list[str]] = field(default_factory=list)  # repaired records, n_fields each
    lines_repaired: int = 0
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw text)
    notes: list[str] = field(default_factory=list)


# --- column maps (data) ------------------------------------------------------------------------------


@cache
def column_map(table: str) -> list[dict[str, str]]:
    path = data_dir() / "column_maps" / f"{table}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def canonical_columns(table: str) -> list[tuple[str, str]]:
    """(name, SQL type) of the unified table's data columns, in order."""
    return [(row["canonical"], row["type"]) for row in column_map(table)]


def era_columns(table: str, era: str) -> list[ColumnSpec]:
    specs = []
    for row in column_map(table):
        cell = row[era].strip()
        optional = cell.startswith("?")
        names = tuple(n.strip() for n in cell.lstrip("?").split("|") if n.strip())
        specs.append(ColumnSpec(row["canonical"], row["type"], names, optional))
    return specs


def map_header(table: str, quarter: Quarter, member: str, header: list[str]) -> dict[str, str | None]:
    """canonical column -> raw header name (None when the era lacks it). Fails loudly on drift."""
    specs = era_columns(table, quarter.era)
    known = {name for spec in specs for name in spec.raw_names}
    unknown = [h for h in header if h not in known]
    if unknown:
        raise LoadError(
            f"{quarter} {member}: unknown column(s) {', '.join(map(repr, unknown))} in the header. FDA may have "
            f"changed the {table.upper()} layout: add the column to faers/data/column_maps/{table}.csv"
        )
    mapping: dict[str, str | None] = {}
    for spec in specs:
        present = [n for n in spec.raw_names if n in header]
        if len(present) > 1:
            raise LoadError(f"{quarter} {member}: columns {present} both map to {spec.canonical}")
        if not present and spec.raw_names and not spec.optional:
            raise LoadError(
                f"{quarter} {member}: expected column {spec.raw_names[0]!r} ({spec.canonical}) is missing "
                f"from the header. If FDA dropped it, mark it optional in faers/data/column_maps/{table}.csv"
            )
        mapping[spec.canonical] = present[0] if present else None
    return mapping


# --- corrections (data) ------------------------------------------------------------------------------


@cache
def corrections() -> list[dict[str, str]]:
    with (data_dir() / "corrections.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def corrections_for(quarter: Quarter, table: str) -> list[tuple[str, str]]:
    return [(c["find"], c["replace"]) for c in corrections() if c["quarter"] == str(quarter) and c["table"] == table]


# --- zip members -----------------------------------------------------------------------------------


def check_member_safety(zip_path: Path, info: zipfile.ZipInfo) -> None:
    """Refuse members that could write outside the work folder or expand absurdly (before any write)."""
    name = info.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        raise LoadError(f"{zip_path.name}: member {name!r} has an absolute or parent path (zip slip); refusing the file")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise LoadError(f"{zip_path.name}: member {name!r} is a symbolic link; refusing the file")
    if info.file_size > MAX_MEMBER_BYTES or (
        info.compress_size > 0 and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO and info.file_size > 10**7
    ):
        raise LoadError(
            f"{zip_path.name}: member {name!r} declares {info.file_size:,} bytes from {info.compress_size:,} "
            "compressed (a zip bomb?); refusing the file"
        )


def find_members(zip_path: Path, zf: zipfile.ZipFile, quarter: Quarter) -> QuarterMembers:
    """Locate the seven tables and the deleted-case lists, case-insensitively, ignoring STAT/SIZE/PDF/doc."""
    tables: dict[str, zipfile.ZipInfo] = {}
    deleted: list[zipfile.ZipInfo] = []
    for info in zf.infolist():
        if info.is_dir():
            continue
        check_member_safety(zip_path, info)
        pure = PurePosixPath(info.filename.replace("\\", "/"))
        if pure.suffix.lower() == ".zip":
            raise LoadError(f"{zip_path.name}: nested zip {info.filename!r} is not a FAERS layout; refusing the file")
        folders = [p.lower() for p in pure.parts[:-1]]
        if any(f.startswith("del") for f in folders) and _DELETED_RE.search(pure.name) and pure.suffix.lower() == ".txt":
            deleted.append(info)
            continue
        m = _MEMBER_RE.match(pure.name)
        if not m:
            continue
        table = m.group(1).lower()
        if (2000 + int(m.group(2)), int(m.group(3))) != (quarter.year, quarter.q):
            raise LoadError(f"{zip_path.name}: member {info.filename!r} belongs to another quarter than {quarter}")
        if table in tables:
            raise LoadError(f"{zip_path.name}: two {table.upper()} files ({tables[table].filename!r}, {info.filename!r})")
        tables[table] = info
    missing = [t.upper() for t in TABLES if t not in tables]
    if missing:
        raise LoadError(
            f"{quarter} ({zip_path.name}): table(s) {', '.join(missing)} not found in the zip. The file may be "
            "incomplete: delete it from the downloads folder and run `faers download` again"
        )
    return QuarterMembers(tables=tables, deleted=deleted)


def copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, table: str, dest: Path) -> PreparedFile:
    """Stream a member to `dest` without CR/control bytes and without the header line; parse the header.

    Control characters are counted per line so that the loader can report those lines as repaired.
    """
    chunk_size = 1 << 22
    control_lines: set[int] = set()
    lines_before = 0  # newlines written before the current chunk (file line numbers are 1-based, header = 1)
    with zf.open(info) as src, dest.open("wb") as out:
        first = src.read(chunk_size)
        if first.startswith(_BOM):
            first = first[len(_BOM) :]
        header_end = first.find(b"\n")
        while header_end < 0:  # a header longer than one chunk: keep reading
            more = src.read(chunk_size)
            if not more:
                break
            first += more
            header_end = first.find(b"\n")
        header_bytes = first if header_end < 0 else first[:header_end]
        rest = b"" if header_end < 0 else first[header_end + 1 :]
        header_text = header_bytes.replace(b"\r", b"").decode("utf-8", errors="replace")
        lines_before = 1
        sample = bytearray()
        data_newlines = 0
        ends_with_newline = True
        chunk = rest
        while True:
            if chunk:
                cleaned = chunk.translate(None, _CONTROL)
                if len(cleaned) != len(chunk) - chunk.count(b"\r"):
                    for m in _CONTROL_RE.finditer(chunk):
                        if m.group() != b"\r":
                            control_lines.add(lines_before + 1 + chunk.count(b"\n", 0, m.start()))
                out.write(cleaned)
                if len(sample) < 65536:
                    sample += cleaned[: 65536 - len(sample)]
                n = chunk.count(b"\n")
                data_newlines += n
                lines_before += n
                ends_with_newline = chunk.endswith(b"\n")
            chunk = src.read(chunk_size)
            if not chunk:
                break
        if not ends_with_newline:
            out.write(b"\n")  # a truncated last line still gets read (and reported), not dropped
            data_newlines += 1
    header = [h.strip().lower() for h in header_text.split("$")]
    while header and header[-1] == "":
        header.pop()  # a header ending in '$'
    # R's fread names the undeclared trailing field V23/V13/...; re-serialised samples carry it as a column.
    while header and re.fullmatch(r"v\d+", header[-1]):
        header.pop()
    n_fields = _dominant_field_count(bytes(sample), len(header))
    return PreparedFile(table, info.filename, dest, header, n_fields, data_newlines, control_lines)


def _dominant_field_count(sample: bytes, header_fields: int) -> int:
    """Fields per data line: the header's count, or one more when rows end with an undeclared '$'."""
    counts: dict[int, int] = {}
    for line in sample.split(b"\n")[:-1][:500]:
        k = line.count(b"$") + 1
        counts[k] = counts.get(k, 0) + 1
    if counts.get(header_fields + 1, 0) > counts.get(header_fields, 0):
        return header_fields + 1
    return header_fields


# --- repairs -----------------------------------------------------------------------------------------


def read_lines(path: Path, line_numbers: Iterable[int]) -> dict[int, bytes]:
    """Raw bytes of the given 1-based file lines (header = line 1; the prepared file starts at line 2)."""
    wanted = set(line_numbers)
    found: dict[int, bytes] = {}
    if not wanted:
        return found
    last = max(wanted)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=2):
            if lineno in wanted:
                found[lineno] = raw.rstrip(b"\n")
            if lineno >= last:
                break
    return found


def decode(raw: bytes) -> tuple[str, bool]:
    """UTF-8, else latin-1 (FDA says QDE is ASCII; older files are not always). Returns (text, fell_back)."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("latin-1"), True


def repair_lines(
    prepared: PreparedFile,
    rejected: dict[int, bytes],
    fixes: list[tuple[str, str]],
    last_line: int,
) -> Repair:
    """Turn DuckDB's rejected lines into records or reasoned rejects.

    Rules, in order, on each rejected line (or pair of consecutive lines):
    1. literal corrections from faers/data/corrections.csv (quarter, table, find -> replace);
    2. a line that only failed UTF-8 decoding and has the right field count (latin-1 fallback);
    3. a line missing only the undeclared trailing '$' (or with one extra empty trailing field);
    4. a record split across lines: this line and the next rejected line joined give the field count;
    5. two records collapsed onto one line (trailing-'$' files): 2n-1 fields split after field n-1;
    6. otherwise rejected with the reason (e.g. a truncated last line).
    """
    n = prepared.n_fields
    trailing = n == len(prepared.header) + 1
    result = Repair()
    pending = sorted(rejected)
    used: set[int] = set()

    def fields_of(text: str) -> list[str]:
        for find, replace in fixes:
            text = text.replace(find, replace)
        return text.split("$")

    def accept(fields: list[str]) -> list[str] | None:
        if len(fields) == n:
            return fields
        if trailing and len(fields) == n - 1:
            return [*fields, ""]
        if len(fields) == n + 1 and fields[-1] == "":
            return fields[:-1]
        return None

    for i, lineno in enumerate(pending):
        if lineno in used:
            continue
        text, _ = decode(rejected[lineno])
        fields = fields_of(text)
        record = accept(fields)
        if record is not None:
            result.rows.append(record)
            result.lines_repaired += 1
            used.add(lineno)
            continue
        nxt = pending[i + 1] if i + 1 < len(pending) else None
        if nxt == lineno + 1 and len(fields) < n:
            joined_text = text + decode(rejected[nxt])[0]
            joined = accept(fields_of(joined_text))
            if joined is not None:
                result.rows.append(joined)
                result.lines_repaired += 2
                used.update((lineno, nxt))
                continue
        if trailing and len(fields) == 2 * n - 1 and fields[n - 1].strip().isdigit():
            result.rows.extend([[*fields[: n - 1], ""], fields[n - 1 :]])
            result.lines_repaired += 1
            result.notes.append(f"line {lineno}: two records on one line, split")
            used.add(lineno)
            continue
        if lineno == last_line and len(fields) < n:
            reason = f"truncated last line: {len(fields)} of {n} fields"
        else:
            reason = f"expected {n} fields, found {len(fields)}"
        result.rejects.append((lineno, reason, text))
        used.add(lineno)
    return result


def read_deleted(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[list[int], list[tuple[int, str, str]]]:
    """CASEIDs from a Deleted/ file (first line may be blank; no header, one id per line)."""
    ids: list[int] = []
    rejects: list[tuple[int, str, str]] = []
    text, _ = decode(zf.read(info))
    for lineno, line in enumerate(text.splitlines(), start=1):
        value = line.strip().strip("$").strip()
        if not value:
            continue
        if value.isdigit():
            ids.append(int(value))
        else:
            rejects.append((lineno, "not a caseid", line))
    return ids, rejects
