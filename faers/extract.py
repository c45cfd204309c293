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
_STRIPPED = _CONTROL + b"\r"
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
    cleaned_lines: set[int] = field(default_factory=set)  # file lines (header = 1) decoded as latin-1 or stripped of control chars
    unterminated: bytes | None = None  # a last line without a line break: held back for the loader to judge


@dataclass
class Repair:
    """The repair step's verdict on the rejected lines of one file."""

    rows: list[list[str]] = field(default_factory=list)  # repaired records, n_fields each
    lines_repaired: int = 0
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw text)


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
    """Stream a member to `dest` as clean UTF-8 text without CR/control bytes and without the header line.

    Lines that are not valid UTF-8 are decoded as latin-1 (FDA's older files) and lines that lose control
    characters are recorded, so the loader can report both as repaired. A last line without a line break is
    held back: the loader decides whether it is a complete record (loaded as a repair) or a file cut off
    mid-record (reported as truncated).
    """
    chunk_size = 1 << 22
    with zf.open(info) as src:
        head = src.read(chunk_size)
        if head.startswith(_BOM):
            head = head[len(_BOM) :]
        while b"\n" not in head:  # a header longer than one chunk: keep reading
            more = src.read(chunk_size)
            if not more:
                break
            head += more
        header_bytes, _, rest = head.partition(b"\n")
        header = _parse_header(header_bytes.replace(b"\r", b"").decode("utf-8", errors="replace"))
        copier = _LineCopier(dest)
        carry = rest
        while True:
            chunk = src.read(chunk_size)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            copier.write_lines(data[:cut])
            carry = data[cut:]
            if not chunk:
                break
        unterminated = carry.translate(None, _STRIPPED) if carry.strip(b"\r") else None
        copier.close()
    n_fields = _dominant_field_count(copier.sample, len(header))
    data_lines = copier.lines + (1 if unterminated is not None else 0)
    return PreparedFile(table, info.filename, dest, header, n_fields, data_lines, copier.repaired_lines, unterminated)


def _parse_header(text: str) -> list[str]:
    header = [h.strip().lower() for h in text.split("$")]
    while header and header[-1] == "":
        header.pop()  # a header ending in '$'
    # R's fread names the undeclared trailing field V23/V13/...; re-serialised samples carry it as a column.
    while header and re.fullmatch(r"v\d+", header[-1]):
        header.pop()
    return header


class _LineCopier:
    """Writes whole-line blocks, cleaned; remembers which file lines it had to change and why."""

    def __init__(self, dest: Path):
        self.out = dest.open("wb")
        self.lines = 0  # data lines written (file line = self.lines + 1 with the header as line 1)
        self.repaired_lines: set[int] = set()
        self.sample = b""

    def write_lines(self, block: bytes) -> None:
        if not block:
            return
        cleaned = block.translate(None, _STRIPPED)
        if len(cleaned) != len(block) - block.count(b"\r"):
            for m in _CONTROL_RE.finditer(block):
                self.repaired_lines.add(self.lines + 2 + block.count(b"\n", 0, m.start()))
        if not cleaned.isascii():  # ASCII (nearly every block) is valid UTF-8: skip the decode
            try:
                cleaned.decode("utf-8")
            except UnicodeDecodeError:
                cleaned = self._fix_encoding(cleaned)
        if len(self.sample) < 65536:
            self.sample += cleaned[: 65536 - len(self.sample)]
        self.out.write(cleaned)
        self.lines += cleaned.count(b"\n")

    def _fix_encoding(self, block: bytes) -> bytes:
        fixed = []
        for i, line in enumerate(block.split(b"\n")):
            text, fell_back = decode(line)
            if fell_back:
                self.repaired_lines.add(self.lines + 2 + i)
            fixed.append(text.encode("utf-8"))
        return b"\n".join(fixed)

    def close(self) -> None:
        self.out.close()


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


def decode(raw: bytes) -> tuple[str, bool]:
    """UTF-8, else latin-1 (FDA says QDE is ASCII; older files are not always). Returns (text, fell_back)."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("latin-1"), True


def repair_lines(
    prepared: PreparedFile,
    rejected: dict[int, str],
    fixes: list[tuple[str, str]],
    last_line_complete: bool = False,
) -> Repair:
    """Turn lines with the wrong field count into records, or into rejects with a reason.

    Rules, in order, on each such line (file line numbers, header = 1):
    1. literal corrections from faers/data/corrections.csv (quarter, table, find -> replace);
    2. a record split across lines: a short line joined with the next rejected line gives the field count;
    3. a line missing only the undeclared trailing '$' of its file;
    4. two records collapsed onto one line (trailing-'$' files): 2n-1 fields split after field n-1 when the
       second part starts with a report id;
    5. otherwise rejected with the reason (a blank line, a field count that fits no rule).
    A last line without a line break is taken as it is when the loader found it complete (repair "no final line
    break"), else rejected as truncated: no other rule applies to it, as a cut can fall anywhere in a record.
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

    def valid(fields: list[str]) -> bool:
        return len(fields) == n and (not trailing or fields[-1] == "")

    for i, lineno in enumerate(pending):
        if lineno in used:
            continue
        used.add(lineno)
        text = rejected[lineno]
        if prepared.unterminated is not None and lineno == prepared.data_lines + 1:
            if last_line_complete:  # repair "no final line break"
                result.rows.append(text.split("$"))
                result.lines_repaired += 1
            else:
                result.rejects.append((lineno, "truncated last line: the file ends without a line break in the "
                                               "middle of a record", text))
            continue
        if not text:
            result.rejects.append((lineno, "blank line", text))
            continue
        fields = fields_of(text)
        if valid(fields):
            result.rows.append(fields)
            result.lines_repaired += 1
            continue
        nxt = pending[i + 1] if i + 1 < len(pending) else None
        if nxt == lineno + 1 and len(fields) < n:
            joined = fields_of(text + rejected[nxt])
            if valid(joined):
                result.rows.append(joined)
                result.lines_repaired += 2
                used.add(nxt)
                continue
        if trailing and len(fields) == n - 1:
            result.rows.append([*fields, ""])
            result.lines_repaired += 1
            continue
        if trailing and len(fields) == 2 * n - 1 and fields[n - 1].strip().isdigit():
            first, second = [*fields[: n - 1], ""], fields[n - 1 :]
            if valid(second):
                result.rows.extend([first, second])
                result.lines_repaired += 1
                continue
        if trailing and len(fields) == n:
            reason = "a value in the undeclared trailing field (a '$' inside a value?)"
        else:
            reason = f"expected {n} fields, found {len(fields)}"
        result.rejects.append((lineno, reason, text))
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
