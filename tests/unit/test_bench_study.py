"""bench/study.py's BENCH_STUDY_COMMANDS: re-measuring some analysis commands keeps the others' last figures, each
marked with the run it comes from, so results.md never shows an old figure as new."""

from __future__ import annotations

import pytest

from bench import study

PREVIOUS = {
    "config": {"at": "2026-12-02T16:34:43"},
    "commands": {"report": {"seconds": 144.7}, "duplicates": {"timed_out_after_s": 900.0}},
    "rows": [["2. faers report (history DB)", "144.7 s, 2674 MB peak", "", "", "≤ 60 s", "**no**"],
             ["2. faers duplicates (history DB)", "> 900 s (killed)", "", "", "", ""]],
}


def test_the_chosen_commands_default_to_all_and_refuse_unknown_names():
    assert study.chosen_commands("") == list(study.COMMANDS)
    assert study.chosen_commands("duplicates, report") == ["duplicates", "report"]
    with pytest.raises(SystemExit, match="unknown.*'dups'"):
        study.chosen_commands("dups")


def test_a_kept_figure_is_marked_with_its_run_once():
    entry, row = study._kept(PREVIOUS, "report")
    assert entry == {"seconds": 144.7, "measured_at": "2026-12-02T16:34:43"}
    assert row[1] == "144.7 s, 2674 MB peak (run of 2026-12-02T16:34)" and row[4:] == ["≤ 60 s", "**no**"]
    later = {"config": {"at": "2026-12-03T09:00:00"}, "commands": {"report": entry}, "rows": [row]}
    assert study._kept(later, "report") == (entry, row)  # kept again: still the first run's date, not marked twice
    assert study._kept(PREVIOUS, "vocab audit") is None  # never measured: measured now
    failed = {**PREVIOUS, "commands": {"report": {"failed": "Out of Memory"}}}
    assert study._kept(failed, "report") is None  # a failure is not a figure to keep
