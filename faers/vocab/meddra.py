"""Optional licensed MedDRA: load a user's MedDRA ASCII release into meddra_* tables and expand group definitions.

MedDRA is licensed, so nothing of it ships with faers. With a release loaded, event groups can be defined by
SOC / HLGT / HLT / SMQ name (faers/data/vocab/event_group_meddra.csv) and LLTs map to their PTs.
File layouts follow the MedDRA ASCII distribution: '$'-delimited, no header, every line ending in '$'.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from faers import connection, sqlfiles
from faers.errors import ConfigError
from faers.vocab.common import relations

# file name -> (table, columns, required). Codes are integers; everything else text as published.
FILES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "soc.asc": ("meddra_soc", ("soc_code", "soc_name", "soc_abbrev", "soc_whoart_code", "soc_harts_code",
                               "soc_costart_sym", "soc_icd9_code", "soc_icd9cm_code", "soc_icd10_code",
                               "soc_jart_code"), True),
    "hlgt.asc": ("meddra_hlgt", ("hlgt_code", "hlgt_name", "hlgt_whoart_code", "hlgt_harts_code", "hlgt_costart_sym",
                                 "hlgt_icd9_code", "hlgt_icd9cm_code", "hlgt_icd10_code", "hlgt_jart_code"), True),
    "hlt.asc": ("meddra_hlt", ("hlt_code", "hlt_name", "hlt_whoart_code", "hlt_harts_code", "hlt_costart_sym",
                               "hlt_icd9_code", "hlt_icd9cm_code", "hlt_icd10_code", "hlt_jart_code"), True),
    "pt.asc": ("meddra_pt", ("pt_code", "pt_name", "null_field", "pt_soc_code", "pt_whoart_code", "pt_harts_code",
                             "pt_costart_sym", "pt_icd9_code", "pt_icd9cm_code", "pt_icd10_code", "pt_jart_code"), True),
    "llt.asc": ("meddra_llt", ("llt_code", "llt_name", "pt_code", "llt_whoart_code", "llt_harts_code",
                               "llt_costart_sym", "llt_icd9_code", "llt_icd9cm_code", "llt_icd10_code", "llt_currency",
                               "llt_jart_code"), True),
    "mdhier.asc": ("meddra_mdhier", ("pt_code", "hlt_code", "hlgt_code", "soc_code", "pt_name", "hlt_name", "hlgt_name",
                                     "soc_name", "soc_abbrev", "null_field", "pt_soc_code", "primary_soc_fg"), True),
    "hlt_pt.asc": ("meddra_hlt_pt", ("hlt_code", "pt_code"), True),
    "hlgt_hlt.asc": ("meddra_hlgt_hlt", ("hlgt_code", "hlt_code"), True),
    "soc_hlgt.asc": ("meddra_soc_hlgt", ("soc_code", "hlgt_code"), True),
    "smq_list.asc": ("meddra_smq_list", ("smq_code", "smq_name", "smq_level", "smq_description", "smq_source",
                                         "smq_note", "meddra_version", "status", "smq_algorithm"), False),
    "smq_content.asc": ("meddra_smq_content", ("smq_code", "term_code", "term_level", "term_scope", "term_category",
                                               "term_weight", "term_status", "term_addition_version",
                                               "term_last_modified_version"), False),
}
INTEGER_COLUMNS = {"soc_code", "hlgt_code", "hlt_code", "pt_code", "llt_code", "pt_soc_code", "smq_code",
                   "term_code", "term_level", "term_scope", "smq_level"}
LEVELS = ("soc", "hlgt", "hlt", "pt", "llt", "smq")


def _find(directory: Path, name: str) -> Path | None:
    """A release file by name, case-insensitively (releases ship both 'pt.asc' and 'PT.ASC')."""
    for path in directory.iterdir():
        if path.name.lower() == name:
            return path
    return None


def read_asc(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """Parse one MedDRA ASCII file; a line with the wrong number of fields is an error naming file and line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # older English releases are Latin-1
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("$")
        if fields[-1] == "":  # the '$' that ends every line
            fields.pop()
        if len(fields) != len(columns):
            raise ConfigError(
                f"{path}: line {number} has {len(fields)} '$'-separated fields, expected {len(columns)} "
                f"({', '.join(columns)}); is this a MedDRA ASCII release?"
            )
        for column, value in zip(columns, fields, strict=True):
            if column in INTEGER_COLUMNS and value.strip() and not value.strip().isdigit():
                raise ConfigError(f"{path}: line {number}: {column} = {value!r} is not a MedDRA code (a number); "
                                  "is this the file of a MedDRA ASCII release, unedited?")
        rows.append(fields)
    frame = pl.DataFrame(rows, schema=list(columns), orient="row") if rows else pl.DataFrame(
        schema={c: pl.Utf8 for c in columns})
    return frame


def load(con, directory) -> dict[str, int]:
    """Load a MedDRA ASCII release from `directory` into meddra_* tables; returns rows per table.

    Required: soc, hlgt, hlt, pt, llt, mdhier, hlt_pt, hlgt_hlt, soc_hlgt (.asc); SMQ files are optional.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"MedDRA directory {directory} does not exist: pass the release's MedAscii folder")
    frames = {}
    for name, (table, columns, required) in FILES.items():
        path = _find(directory, name)
        if path is None:
            if required:
                raise ConfigError(f"{directory}: no {name}; pass the MedAscii folder of a MedDRA release")
            frames[table] = pl.DataFrame(schema={c: pl.Utf8 for c in columns})
            continue
        frames[table] = read_asc(path, columns)
    with connection.transaction(con):
        with tempfile.TemporaryDirectory(prefix="faers-meddra-") as staging:
            for table, frame in frames.items():
                # staged through a clean CSV: DuckDB reads it in one pass (row inserts take minutes for llt.asc)
                staged = Path(staging) / f"{table}.csv"
                frame.write_csv(staged)
                columns = ", ".join(
                    f"cast(nullif({c}, '') as bigint) as {c}" if c in INTEGER_COLUMNS else c for c in frame.columns)
                # table and column names come from the FILES constant above, never from input
                con.execute(
                    f"create or replace table {table} as select {columns} "
                    "from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '\"')",
                    {"path": str(staged)},
                )
        sqlfiles.run(con, "vocab_meddra_term_pts")
    return {table: frame.height for table, frame in frames.items()}


def is_loaded(con) -> bool:
    return "meddra_term_pts" in relations(con)


def expand(con, level: str, term: str, scope: str = "narrow") -> list[str]:
    """PT names under a MedDRA term: level 'soc'|'hlgt'|'hlt'|'pt'|'llt'|'smq'; SMQ scope 'narrow' or 'broad'
    (broad includes narrow). Names match case-insensitively; every path counts, not only the primary SOC."""
    if level not in LEVELS:
        raise ConfigError(f"unknown MedDRA level {level!r}: use one of {', '.join(LEVELS)}")
    if scope not in ("narrow", "broad"):
        raise ConfigError(f"unknown SMQ scope {scope!r}: use narrow or broad")
    rows = sqlfiles.run(con, "vocab_meddra_expand", {"level": level, "term": term, "scope": scope}).fetchall()
    return [pt for (pt,) in rows]


def add_hierarchy_groups(con, definitions_path: str) -> None:
    """Add the groups of event_group_meddra.csv, expanded to PTs, to vocab_event_groups (called by install)."""
    sqlfiles.run(con, "vocab_event_groups_meddra", {"path": definitions_path})
