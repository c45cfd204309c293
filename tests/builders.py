"""Small FDA-format quarter zips for loader tests: explicit rows, each era's header and line conventions."""

from __future__ import annotations

import zipfile
from pathlib import Path

from faers.extract import era_columns
from faers.quarters import Quarter


def header_for(table: str, quarter: Quarter) -> list[str]:
    """The raw header an FDA file of this era carries (first accepted name of each column present)."""
    return [spec.raw_names[0] for spec in era_columns(table, quarter.era) if spec.raw_names]


def write_quarter_zip(
    directory: Path,
    quarter: Quarter,
    rows: dict[str, list[dict[str, str]]],
    *,
    raw_lines: dict[str, list[bytes]] | None = None,
    deleted: list[int] | None = None,
    drop_tables: tuple[str, ...] = (),
) -> Path:
    """Write faers_ascii_YYYYqN.zip with the given rows (dict by raw column name) in the era's layout.

    Legacy files get upper-case headers, CRLF and the undeclared trailing '$' on data rows; `raw_lines`
    appends literal lines (for broken-line tests) after the rows of a table.
    """
    legacy = quarter.era == "legacy"
    prefix = "aers" if legacy else "faers"
    path = directory / f"{prefix}_ascii_{quarter.year}q{quarter.q}.zip"
    folder = "ascii" if quarter < Quarter(2019, 1) else "ASCII"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi"):
            if table in drop_tables:
                continue
            header = header_for(table, quarter)
            lines = ["$".join(h.upper() if legacy else h for h in header)]
            for row in rows.get(table, []):
                values = [str(row.get(h, "")) for h in header]
                lines.append("$".join(values) + ("$" if legacy else ""))
            body = ("\r\n".join(lines) + "\r\n").encode()
            for raw in (raw_lines or {}).get(table, []):
                body += raw + b"\r\n"
            name = f"{table.upper()}{quarter.yyqq}.{'TXT' if legacy else 'txt'}"
            zf.writestr(f"{folder}/{name}", body)
        if legacy:
            zf.writestr(f"{folder}/STAT{quarter.yyqq}.TXT", "junk statistics\r\n")
            zf.writestr(f"SIZE{quarter.yyqq}.TXT", "junk sizes\r\n")
        if deleted is not None:
            zf.writestr(f"Deleted/DELETE{quarter.yyqq}.txt", " \n" + "".join(f"{c}\n" for c in deleted))
    return path


def zip_from_files(directory: Path, quarter: Quarter, files: dict[str, Path], *, folder: str = "ascii",
                   extra: dict[str, bytes] | None = None) -> Path:
    """Zip real sample files under FDA member names (e.g. {'DEMO20Q3.txt': path})."""
    prefix = "aers" if quarter.era == "legacy" else "faers"
    path = directory / f"{prefix}_ascii_{quarter.year}q{quarter.q}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, src in files.items():
            zf.write(src, f"{folder}/{name}")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path
