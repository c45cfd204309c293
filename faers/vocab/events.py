"""Event groups in the loaded data: which groups, which PTs, how many reports."""

from __future__ import annotations

import polars as pl

from faers import sqlfiles
from faers.vocab.common import query_frame


def group_counts(con) -> pl.DataFrame:
    """One row per (group, PT) with the reports having that PT and counting it for the group (after exclusions),
    and the group's total reports. Columns: group_name, pt, subgroup, reports, excluded_reports, group_reports."""
    return query_frame(con, sqlfiles.sql("vocab_event_group_counts"))
