"""Test support for the vocabulary tests: the loader's user views as small in-memory DuckDB tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from faers import vocab

DRUG_COLUMNS = "primaryid BIGINT, caseid BIGINT, quarter VARCHAR, drug_seq BIGINT, role_cod VARCHAR, drugname VARCHAR, prod_ai VARCHAR"
REACTION_COLUMNS = "primaryid BIGINT, caseid BIGINT, quarter VARCHAR, pt VARCHAR, drug_rec_act VARCHAR"
INDICATION_COLUMNS = "primaryid BIGINT, caseid BIGINT, quarter VARCHAR, indi_drug_seq BIGINT, indi_pt VARCHAR"


def database(drugs=(), reactions=(), indications=(), install=True) -> duckdb.DuckDBPyConnection:
    """An in-memory database with cases/drugs/reactions/indications tables.

    drugs: (primaryid, role_cod, drugname, prod_ai) tuples; drug_seq numbers them per report.
    reactions: (primaryid, pt); indications: (primaryid, indi_pt).
    """
    con = duckdb.connect()
    con.execute("create table cases (primaryid BIGINT, caseid BIGINT, quarter VARCHAR)")
    con.execute(f"create table drugs ({DRUG_COLUMNS})")
    con.execute(f"create table reactions ({REACTION_COLUMNS})")
    con.execute(f"create table indications ({INDICATION_COLUMNS})")
    seq: dict[int, int] = {}
    for primaryid, role_cod, drugname, prod_ai in drugs:
        seq[primaryid] = seq.get(primaryid, 0) + 1
        con.execute("insert into drugs values (?, ?, '2023Q4', ?, ?, ?, ?)",
                    [primaryid, primaryid // 10, seq[primaryid], role_cod, drugname, prod_ai])
    for primaryid, pt in reactions:
        con.execute("insert into reactions values (?, ?, '2023Q4', ?, NULL)", [primaryid, primaryid // 10, pt])
    for primaryid, indi_pt in indications:
        con.execute("insert into indications values (?, ?, '2023Q4', 1, ?)", [primaryid, primaryid // 10, indi_pt])
    con.execute("insert into cases select distinct primaryid, caseid, quarter from drugs")
    if install:
        vocab.install(con)
    return con


def read_sample(path: Path) -> str:
    """SQL for reading one FAERS '$' file as published (quote='' because FAERS has no quoting)."""
    return f"read_csv('{path}', delim='$', quote='', header=true, all_varchar=true, encoding='latin-1')"


def sample_database(drug_file: Path, reaction_file: Path, indication_file: Path | None, quarter: str):
    """The four user views built from real FAERS sample files (ids kept as published)."""
    con = duckdb.connect()
    con.execute(
        f"create table drugs as select cast(primaryid as bigint) as primaryid, cast(caseid as bigint) as caseid, "
        f"'{quarter}' as quarter, cast(drug_seq as bigint) as drug_seq, role_cod, drugname, prod_ai "
        f"from {read_sample(drug_file)}"
    )
    con.execute(
        f"create table reactions as select cast(primaryid as bigint) as primaryid, cast(caseid as bigint) as caseid, "
        f"'{quarter}' as quarter, pt, drug_rec_act from {read_sample(reaction_file)}"
    )
    if indication_file is None:
        con.execute(f"create table indications ({INDICATION_COLUMNS})")
    else:
        con.execute(
            f"create table indications as select cast(primaryid as bigint) as primaryid, "
            f"cast(caseid as bigint) as caseid, '{quarter}' as quarter, cast(indi_drug_seq as bigint) as indi_drug_seq, "
            f"indi_pt from {read_sample(indication_file)}"
        )
    con.execute("create table cases as select distinct primaryid, caseid, quarter from drugs")
    vocab.install(con)
    return con
