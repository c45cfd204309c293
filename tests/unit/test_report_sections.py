"""faers report in two steps: run_study returns the tables and writes nothing; write_outputs writes exactly the
files of its tables; report.md and report.html are rendered from one section list (a section added there is in
both)."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from faers import report, study
from tests import fake_vocab
from tests.study_data import build_db


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    settings = build_db(tmp_path_factory.mktemp("sections"))[0]
    before = sorted(p.name for p in settings.home.rglob("*"))
    tables = report.run_study(settings, sensitivity=False, roles="suspect", comparator="all",
                              install_vocab=fake_vocab.install)
    assert sorted(p.name for p in settings.home.rglob("*")) == before  # run_study wrote nothing
    return tables


def test_run_study_returns_every_table_as_data(tables):
    assert tuple(tables.frames) == report.CSV_FILES
    assert all(isinstance(df, pl.DataFrame) for df in tables.frames.values())
    assert tables.summary["car_t_reports"] == tables["summary.csv"].filter(pl.col("metric") == "car_t_reports")["value"][0]
    assert tables.parameters["roles"] == "suspect" and tables.parameters["comparator"] == "all"
    assert tables.row_counts["reports_selected"] >= int(tables.summary["reports_in_database"]) > 0


def test_write_outputs_writes_the_tables_it_is_given(tables, tmp_path):
    result = report.write_outputs(tables, tmp_path)
    assert sorted(p.name for p in result.directory.iterdir()) == sorted(
        [*report.CSV_FILES, "manifest.json", "report.md", "report.html"])
    for name, df in tables.frames.items():
        if df.width:
            assert pl.read_csv(result.directory / name, infer_schema_length=None).height == df.height, name
    manifest = json.loads((result.directory / "manifest.json").read_text())
    assert manifest["row_counts"]["signals.csv"] == tables["signals.csv"].height
    assert manifest["parameters"] == json.loads(json.dumps(tables.parameters, default=str))


def test_markdown_and_html_come_from_one_section_list(tables):
    parts = report.sections(tables)
    md, page = report.render_markdown(parts), report.render_html(parts)
    titled = [p for p in parts if p.title]
    assert len(titled) >= 12
    for part in titled:
        assert f"## {part.title}\n" in md and f"<h2>{report._esc(part.title)}</h2>" in page, part.title
    # the order of the sections is the same in both documents
    md_order = re.findall(r"^## (.+)$", md, re.M)
    html_order = [report.html.unescape(t) for t in re.findall(r"<h2>(.*?)</h2>", page)]
    assert md_order == html_order == [p.title for p in titled]
    # a section added once is in both, with its table
    extra = report.Section("Reviewer's extra table", "Added once.", pl.DataFrame({"x": ["only here"]}))
    md, page = report.render_markdown([*parts, extra]), report.render_html([*parts, extra])
    assert "## Reviewer's extra table" in md and "| only here |" in md
    assert "Reviewer&#x27;s extra table" in page and "<td>only here</td>" in page


def test_roles_and_comparator_are_checked_once_at_the_boundary(tables):
    with pytest.raises(study.StudyError, match="unknown roles 'suspects': choose one of ps, suspect, any"):
        report.run_study(None, roles="suspects")
    with pytest.raises(study.StudyError, match="unknown comparator 'indications': choose one of indication, all, class"):
        report.run_study(None, comparator="indications")
