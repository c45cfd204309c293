"""FDA-format FAERS mirror: quarter zips in each era's exact layout, an FDA-shaped index page, and truth.json.

FDA's site is unreachable from CI and the demo, so the project generates the data itself. Layout on disk (serve
the directory as a static site):

    OUT/extensions/FPD-QDE-FAERS/FPD-QDE-FAERS.html   index page, relative links
    OUT/content/Exports/<aers|faers>_ascii_YYYY[qQ]N.zip  quarter data; *_xml_* / *_sgml_* are placeholders
    OUT/truth.json                                       what was planted, from the generator's model
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from faers.errors import ConfigError
from faers.mirror import truth as _truth
from faers.mirror.layout import link_name, quarter_layout
from faers.mirror.plan import Planner
from faers.mirror.reports import ReportBuilder
from faers.mirror.site import EXPORTS_PATH, INDEX_PATH, index_html, index_url, serve
from faers.mirror.vocab import vocabulary
from faers.mirror.writer import write_placeholder_zip, write_quarter
from faers.quarters import Quarter

__all__ = ["DEMO_PRESET", "MirrorResult", "generate", "index_url", "preset", "serve"]

# Every era and quirk, every CAR T approval quarter, small enough to generate in seconds.
DEMO_PRESET = tuple(
    Quarter.parse(q)
    for q in (
        "2004Q1", "2005Q3", "2010Q2", "2011Q2", "2011Q4", "2012Q1",  # legacy: no/with REPORTER_COUNTRY, broken lines
        "2012Q4", "2013Q1", "2014Q3",  # FAERS 2012Q4 quirks, the 2012Q4/2013Q1 overlap, version B
        "2017Q3", "2017Q4", "2018Q1",  # tisa-cel, axi-cel, DEMO18Q1_new.txt
        "2019Q1", "2020Q3", "2021Q1", "2021Q4",  # ASCII/ + Deleted/, brexu-cel, liso-cel + ide-cel, duplicate rows
        "2022Q1", "2022Q3", "2023Q2", "2023Q4", "2024Q1", "2024Q4", "2025Q4",  # cilta-cel, mixed q/Q, obe-cel
    )
)
PRESETS = {"demo": DEMO_PRESET}


def preset(name: str) -> list[Quarter]:
    try:
        return list(PRESETS[name])
    except KeyError:
        raise ConfigError(f"unknown mirror preset {name!r}: choose one of {', '.join(PRESETS)}") from None


@dataclass(frozen=True)
class MirrorResult:
    root: Path
    index_path: Path
    zip_paths: dict[Quarter, Path]
    truth_path: Path
    truth: dict


def generate(out_dir: str | Path, *, quarters: list[Quarter] | None = None, reports_per_quarter: int = 300, seed: int = 0) -> MirrorResult:
    """Write an FDA-format mirror to out_dir. Deterministic: the same arguments give byte-identical files."""
    if reports_per_quarter < 1:
        raise ConfigError(f"reports per quarter must be at least 1, got {reports_per_quarter}")
    chosen = sorted(set(quarters if quarters is not None else DEMO_PRESET))
    if not chosen:
        raise ConfigError("no quarters to generate: pass quarters or use the demo preset")
    root = Path(out_dir)
    exports = root / EXPORTS_PATH
    exports.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary()
    planner = Planner(chosen, reports_per_quarter, seed, vocab)
    builder = ReportBuilder(vocab, seed, {})
    written: dict[str, dict] = {}
    zip_paths: dict[Quarter, Path] = {}
    for quarter in chosen:
        plan = planner.plan(quarter)
        builder.car_t_cases.update({c.caseid: c for c, _ in plan.car_t_entries})
        builder.planted.update(planner.planted)
        layout = quarter_layout(quarter)
        zip_path = exports / layout.zip_name
        written[str(quarter)] = write_quarter(layout, plan, builder, zip_path, root)
        write_placeholder_zip(exports / link_name(quarter, "xml"), quarter)
        zip_paths[quarter] = zip_path

    index_path = root / INDEX_PATH
    index_path.parent.mkdir(parents=True, exist_ok=True)
    index_path.write_text(index_html({q: p.stat().st_size for q, p in zip_paths.items()}), encoding="utf-8")
    truth = _truth.build(planner, written, vocab, seed=seed, reports_per_quarter=reports_per_quarter,
                         built_car_t=builder.built_car_t)
    truth_path = root / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return MirrorResult(root, index_path, zip_paths, truth_path, truth)
