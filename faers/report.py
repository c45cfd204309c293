"""Report: run the CAR T SPM study into tables (`run_study` -> StudyTables, no file I/O), then write its CSVs,
report.md, a self-contained report.html (inline SVG charts, no scripts) and manifest.json into DIR/car_t_spm/
(`write_outputs`). report.md and report.html render from one list of sections (`sections`)."""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from faers import __version__, casebook, duplicates, published, signals, study
from faers.paths import Settings

REPORT_DIR = "car_t_spm"
# The CSVs of the report, in the order they are written (and counted in manifest.json row_counts).
CSV_FILES = ("summary.csv", "products.csv", "categories.csv", "signals.csv", "published_vs_computed.csv",
             "sensitivity.csv", "time_to_onset.csv", "timeline.csv", "funnel.csv", "spm_cases.csv",
             "spm_pt_counts.csv", "table1.csv")


@dataclass
class StudyTables:
    """Everything the report shows, as data: one polars DataFrame per CSV (keyed by file name, CSV_FILES), the
    per-report onset rows behind the time-to-onset chart, and the provenance and parameters of the run."""

    frames: dict[str, pl.DataFrame]
    onset_rows: pl.DataFrame
    parameters: dict
    provenance: dict  # quarters loaded, extraction date, vocabulary versions, dedup rule, duplicates model
    ebgm_prior: dict
    ebgm_fit: dict | None
    row_counts: dict  # counts of the main selection that are not a CSV's rows
    database: str
    generated_at: str
    seconds: float = 0.0
    summary: dict = field(init=False)

    def __post_init__(self) -> None:
        self.summary = dict(self.frames["summary.csv"].iter_rows())

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]


@dataclass
class ReportResult:
    directory: Path
    html_path: Path
    seconds: float
    summary: dict


def run_study(settings: Settings, *, through: str | None = None, roles: study.Roles | str | None = None,
              comparator: study.Comparator | str | None = None, sensitivity: bool = True, prior="database",
              options: study.StudyOptions | None = None, preset: str | None = None,
              install_vocab=None) -> StudyTables:
    """Run the study on the database in `settings` and return its tables (nothing is written).
    prior: the EBGM prior, 'database' (fitted once on every ingredient x PT pair of the selection), 'table'
    (fitted on the signals table) or five numbers alpha1,beta1,alpha2,beta2,p (a tuple or its text).
    options: comparator and counting options (study.StudyOptions). preset: a published source's settings
    (published.PRESETS) for the main tables; through/roles/comparator/options given explicitly win over it.
    roles and comparator are checked here, once (study.Roles, study.Comparator), for everything below."""
    prior = signals.parse_prior_choice(prior) if prior is None or isinstance(prior, str) else tuple(prior)
    options = options or study.DEFAULT_OPTIONS
    if preset is not None:
        chosen = published.preset(preset)
        window = published.source_window(chosen.source)
        through = through or window[1]
        roles = roles or chosen.roles
        comparator = comparator or chosen.comparator
        if options.comparator_from is None:
            options = published.source_options(chosen.source, options)
    roles = study.Roles(roles or study.Roles.suspect)
    comparator = study.Comparator(comparator or study.Comparator.indication)
    started = time.perf_counter()
    generated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    st = study.open_study(settings, install_vocab=install_vocab)
    try:
        main = study.select(st, st.db_rule, through, options)
        exposure = study.expose(main, roles)
        study.require_car_t(exposure)
        counts = study.signal_counts(exposure)
        main_tables = study.tables_from_counts(exposure, counts, comparator)
        theta, database_fit = signals.resolve_prior(main, prior, roles, stratified=True)
        signal_df, fit = signals.signal_table(study.with_expected(exposure, counts), prior=theta)
        signal_df = signals.keep_ebgm_where(signal_df, *study.ebgm_applies(main))
        prior_used = signals.prior_record(prior, fit, database_fit, stratified=True)
        signal_df = signal_df.select([c for c in signals.SIGNAL_COLUMNS] +
                                     [c for c in signal_df.columns if c not in signals.SIGNAL_COLUMNS])
        # a fixed row order, so the same database gives a byte-identical signals.csv
        signal_df = signal_df.sort(["product", "event_group", "comparator"], maintain_order=True)
        onset_rows, onset_df = study.time_to_onset(exposure)
        frames = {
            "summary.csv": study.summary(counts, exposure), "products.csv": study.products(counts),
            "categories.csv": study.categories(counts), "signals.csv": signal_df,
            "time_to_onset.csv": onset_df, "timeline.csv": study.timeline(exposure, comparator),
            "funnel.csv": study.funnel(exposure), "spm_cases.csv": casebook.spm_cases(exposure),
            "spm_pt_counts.csv": casebook.pt_appendix(exposure), "table1.csv": casebook.table1(exposure, study.PRODUCTS),
        }
        row_counts = {"reports_selected": main.scalar("study_selected_report_count"),
                      "car_t_drug_rows": main.scalar("study_car_t_drug_row_count")}
        rule = main.rule
        # the sweep visits the main selection and, where its selections are the published sources' windows,
        # takes their tables there, so each selection is built once
        tables_at: dict[tuple, dict] = {(main.through, main.options): main_tables}
        wanted = [(study.resolve_cutoff(st, t), o) for t, o in published.wanted_settings(main.options)]

        def take(sel_through: str | None, sel_options) -> dict:
            key = (study.resolve_cutoff(st, sel_through), sel_options)
            if key not in tables_at:
                tables_at[key] = study.run_tables(st, rule, key[0], roles, comparator, sel_options)
            return tables_at[key]

        def take_published(selection: study.Selection) -> None:
            for want_through, want_options in wanted:
                if selection.rule == rule and selection.through == want_through:
                    take(want_through, want_options)

        if sensitivity:
            frames["sensitivity.csv"] = pl.concat([study.sensitivity(main, at_selection=take_published),
                                                   study.variant_rows(main, roles)], how="diagonal_relaxed")
        else:
            frames["sensitivity.csv"] = pl.DataFrame()
        frames["published_vs_computed.csv"] = published.published_vs_computed(
            take, main.options, str(roles), str(comparator), study.PRODUCTS, study.ALL_CAR_T)
        provenance = _provenance(st)
        provenance["duplicates_model"] = duplicates.last_run(st.con)  # None until `faers duplicates` ran
    finally:
        st.close()
    params = {"through": main.through, "roles": str(roles), "role_codes": roles.codes, "comparator": str(comparator),
              "preset": preset, "options": dict(options.__dict__), "published_figures": published.published_version(),
              "dedup_rule": rule, "min_reports_for_ror": signals.MIN_REPORTS,
              "signal_criterion": study.SIGNAL_CRITERION, "event_groups": list(study.EVENT_GROUPS),
              "sensitivity": {"roles": [str(r) for r in study.Roles], "dedup_rules": list(study.DEDUP_RULES),
                              "cutoffs": list(study.SENSITIVITY_CUTOFFS), "comparators": list(study.COMPARATORS)}}
    used_fit = database_fit or fit
    return StudyTables(frames={name: frames[name] for name in CSV_FILES}, onset_rows=onset_rows, parameters=params,
                       provenance=provenance, ebgm_prior=prior_used,
                       ebgm_fit=used_fit.to_dict() if used_fit is not None else None, row_counts=row_counts,
                       database=str(settings.db_path), generated_at=generated_at,
                       seconds=time.perf_counter() - started)


def write_outputs(tables: StudyTables, out_dir: Path) -> ReportResult:
    """Write a run's tables as files into out_dir/car_t_spm/: every CSV of CSV_FILES, manifest.json, report.md and
    report.html (both rendered from `sections(tables)`). Returns where they are."""
    started = time.perf_counter()
    directory = Path(out_dir) / REPORT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for name, df in tables.frames.items():
        _write_csv(df, directory / name)
    seconds = tables.seconds + time.perf_counter() - started
    manifest = manifest_of(tables, seconds)
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str) + "\n", encoding="utf-8")
    parts = sections(tables)
    (directory / "report.md").write_text(render_markdown(parts), encoding="utf-8")
    (directory / "report.html").write_text(render_html(parts), encoding="utf-8")
    return ReportResult(directory, directory / "report.html", seconds, tables.summary)


def write_report(settings: Settings, out_dir: Path, **kwargs) -> ReportResult:
    """run_study(settings, **kwargs), then write_outputs(its tables, out_dir)."""
    return write_outputs(run_study(settings, **kwargs), out_dir)


MEASURES = {"ror": "a*d/(b*c), Woolf 95 % CI; empty when a < 3",
            "prr": "(a/(a+b))/(c/(c+d))", "chi2_yates": "Yates-corrected chi-square",
            "ic": "Norén et al. 2013 shrinkage IC, log2((a+0.5)/(E+0.5)), gamma credibility limits",
            "ebgm": "DuMouchel 1999 MGPS; prior: see ebgm_prior"}


def manifest_of(tables: StudyTables, seconds: float) -> dict:
    """manifest.json: software, provenance, parameters, measures, the EBGM prior and fit, row counts."""
    return {
        "software": {"name": "faers", "version": __version__},
        "generated_at": tables.generated_at,
        "database": tables.database,
        **tables.provenance,
        "parameters": tables.parameters,
        "measures": MEASURES,
        "ebgm_prior": tables.ebgm_prior,
        "ebgm_fit": tables.ebgm_fit,
        "row_counts": {**tables.row_counts, **{name: df.height for name, df in tables.frames.items()},
                       "time_to_onset_report_rows": tables.onset_rows.height},
        "seconds": round(seconds, 2),
    }


CASE_COLUMNS = ["caseid", "caseversion", "primaryid", "quarter", "car_t_products", "neoplasm_terms", "indications",
                "age_years", "sex", "occr_country", "occp_cod", "report_sources", "outcomes", "event_dt",
                "first_car_t_start", "days_from_infusion", "init_fda_dt", "pre_existing", "counted_as_spm"]


def _write_csv(df: pl.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    df.write_csv(tmp)
    tmp.replace(path)


def _provenance(st: study.Study) -> dict:
    quarters = [dict(zip(("quarter", "zip_name", "sha256", "loaded_at"), r, strict=True))
                for r in st.query("study_quarters_loaded").rows()]
    # a vocabulary without a versions table is reported as such
    versions = ([dict(zip(("vocabulary", "version", "date"), r, strict=True))
                 for r in st.query("study_vocabulary_versions").rows()]
                if st.query("study_relation_exists", {"schema": "main", "name": "vocab_versions"}).item() else [])
    extraction = max((q["loaded_at"] for q in quarters), default=None)
    return {"quarters_loaded": quarters, "extraction_date": extraction, "vocabulary_versions": versions,
            "database_dedup_rule": st.db_rule}


# --- rendering --------------------------------------------------------------------------------------------


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def _md_table(df: pl.DataFrame, columns: list[str] | None = None, limit: int | None = None) -> str:
    if df.is_empty():
        return "_(no rows)_\n"
    cols = columns or df.columns
    rows = df.select(cols).head(limit) if limit else df.select(cols)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_fmt(v) for v in r) + " |" for r in rows.iter_rows()]
    return "\n".join(out) + "\n"


def method_sections(tables: StudyTables) -> list[tuple[str, str]]:
    """The method summary in READUS-PV order: (heading, text)."""
    params, manifest = tables.parameters, {**tables.provenance, "generated_at": tables.generated_at,
                                           "ebgm_prior": tables.ebgm_prior}
    quarters = manifest["quarters_loaded"]
    span = f"{quarters[0]['quarter']} to {quarters[-1]['quarter']}" if quarters else "none"
    roles = ", ".join(params["role_codes"])
    return [
        ("Database", f"FDA Adverse Event Reporting System (FAERS) quarterly ASCII extracts, quarters loaded: {span} "
                     f"({len(quarters)} quarters, sha256 of each zip in manifest.json). Analysis through "
                     f"{params['through']}."),
        ("Extraction dates", f"Quarters loaded into the database up to {manifest['extraction_date']} (UTC); "
                             f"report generated {manifest['generated_at']}."),
        ("Pre-processing", "Raw $-delimited files parsed with per-era column maps; broken lines repaired or "
                           "rejected with reasons; PTs matched case-insensitively; CAR T products matched on "
                           "drugname and prod_ai by curated brand/INN/code-name variants (vocabulary versions in "
                           "manifest.json)."),
        ("Deduplication", f"Rule `{params['dedup_rule']}`: cases in FDA's deleted-case lists are dropped; per "
                          "CASEID the latest version (max caseversion, then later quarter, then max primaryid) "
                          "is kept. Reports are counted as distinct deduplicated reports."),
        ("Drug roles", f"A report is a CAR T report when it names a product with role {roles} "
                       f"(`--roles {params['roles']}`). A report counts once per product it names."),
        ("Event groups", "Reaction terms (PTs, LLTs, old spellings) are classified by versioned rules "
                         "(faers/data/vocab/neoplasm_rules.csv; MedDRA's primary SOC path when a licensed release is "
                         "loaded) into neoplasm / malignancy / category. A report is an SPM report when a malignant "
                         "neoplasm term is not excluded for it: the treated disease of its CAR T target or indication "
                         "(B-cell lymphomas, B-ALL, CLL after CD19; plasma cell neoplasms after BCMA), a relapse of a "
                         "disease CAR T treats, metastases, complications, unnamed progression, benign or "
                         "unspecified-malignancy and unnamed-type terms (funnel.csv counts each). Categories: "
                         "leukemia, skin, other haematopoietic, nervous system, respiratory, T-cell malignancy "
                         "(T-cell NHL + T-cell leukaemias; T-LGL apart), plasma cell, other solid."),
        ("Comparator", f"`{params['comparator']}`: " + {
            "indication": "reports naming no CAR T product whose indications fall in the product's approved "
                          "indication groups (the paper's choice).",
            "all": "every other report in the database (not naming the product in any role).",
            "class": "reports naming another CAR T product (and not this one)."}[params["comparator"]]),
        ("Comparator and counting options", _options_text(params)),
        ("Measures and thresholds", f"ROR with Woolf 95 % CI, not computed with fewer than "
                                    f"{params['min_reports_for_ror']} reports; signal: {params['signal_criterion']}. "
                                    "Also PRR, Yates chi-square, the Norén 2013 shrinkage IC (IC025) and the "
                                    "DuMouchel 1999 MGPS EBGM (EB05). " + _prior_text(manifest["ebgm_prior"])),
        ("Caveat", "Disproportionality analysis of spontaneous reports is hypothesis-generating: it cannot "
                   "estimate incidence or establish causality; reporting is influenced by awareness (e.g. "
                   "FDA's November 2023 safety communication), duplicates and missing data."),
    ]


def _options_text(params: dict) -> str:
    """The comparator and counting options of the run, for the method section (docs/report.md)."""
    o = study.StudyOptions(**params["options"]) if params.get("options") else study.DEFAULT_OPTIONS
    parts = [("Indications count for a product's comparator only once FDA approved them by the cutoff."
              if o.approved_only else "Indications count for the comparator regardless of their approval date."),
             (f"Comparator reports from {o.comparator_from} on (case first in FAERS)." if o.comparator_from
              else "Comparator reports from the whole database period."),
             ("Reports naming an SPM-labelled drug (lenalidomide, pomalidomide, thalidomide) are left out of the "
              "comparator." if o.exclude_masking else "Reports naming SPM-labelled drugs stay in the comparator."),
             ("SPMs dated before the first CAR T therapy start are counted." if o.keep_pre_existing else
              "SPMs dated before the first CAR T therapy start (pre-existing) are not counted as SPM reports."),
             f"Stratum: {o.stratum}." if o.stratum else "No stratum restriction.",
             f"Preset: {params['preset']}." if params.get("preset") else ""]
    return " ".join(p for p in parts if p)


SIGNALS_SHOWN_NOTE = ("Rows shown: a >= 3 or signal, sorted by product and event group; every product x event "
                      "group x comparator row is in signals.csv. EBGM/EB05 are filled only on comparator `all` rows "
                      "(column ebgm_basis): the prior is fitted on the whole database with E stratified by age band x "
                      "sex x FDA year and does not describe a restricted comparator.")


def signals_shown(signal_df: pl.DataFrame, comparator: str) -> pl.DataFrame:
    """The signals rows worth reading in the report: the chosen comparator, a >= 3 or a signal."""
    return (signal_df.filter((pl.col("comparator") == comparator)
                             & ((pl.col("a") >= signals.MIN_REPORTS) | pl.col("signal")))
            .sort("product", "event_group"))


def _prior_text(record: dict) -> str:
    """One sentence on the EBGM prior for the method section."""
    if "theta" not in record:
        return f"EBGM prior: {record['prior']} ({record['fitted_on']})."
    theta = ", ".join(f"{k} {v:.4g}" for k, v in record["theta"].items())
    agree = "the starting points agreed" if record["starts_agree"] else "the starting points DISAGREED (best kept)"
    squashed = (f"; data squashed to {record['n_points']:,} points, negLL on all pairs {record['neg_log_lik_full']:.3f}"
                if record["squashed"] else "")
    how = {"database": f"fitted once on {record['n_pairs']:,} ingredient x PT pairs with a >= 1 of the database",
           "table": f"fitted on the {record['n_pairs']:,} rows of the signals table with a >= 1",
           "given": "given with --prior"}[record["prior"]]
    if record.get("fit_source") == "fallback":
        return (f"EBGM prior `{record['prior']}`: {how}, but not identifiable there ({record['note']}), so the "
                f"DuMouchel 1999 FDA prior was used instead, theta ({theta}) (manifest.json).")
    flat = f"; {record['note']}" if record.get("note") else ""
    return (f"EBGM prior `{record['prior']}`: {how}, {record['expected_count']}; theta ({theta}), "
            f"negLL {record['neg_log_lik']:.3f}{squashed}; {agree}{flat} (manifest.json).")


PUBLISHED_SHOWN = ["source", "item", "metric", "published", "computed", "difference", "through", "settings", "note"]
SENSITIVITY_NOTE = (f"{study.GAP_COLUMN}: sum of the relative differences of the CAR T and SPM report counts from "
                    "Elsallab's 12,394 / 536. It says how close a setting comes to the paper's counts, not how good "
                    "the setting is: picking settings by it fits the analysis to the target.")
SENSITIVITY_COLUMNS = ["roles", "dedup_rule", "cutoff", "through", "car_t_reports", "spm_reports", "spm_pct",
                       "t_cell_malignancy_reports", "ror_spm_all_car_t", "ror_spm_all_car_t_lower", study.GAP_COLUMN]


def sensitivity_views(sensitivity_df: pl.DataFrame, comparator: str) -> list[tuple[str, pl.DataFrame, list[str]]]:
    """The sweep in the report: the roles x dedup x cutoff grid in a fixed order, then the option and stratum
    variants of the main selection (comparator of the run)."""
    if not sensitivity_df.height:
        return [("Sensitivity", sensitivity_df, [])]
    rows = sensitivity_df.filter(pl.col("comparator") == comparator)
    grid = rows.filter(pl.col("variant") == "base").sort("roles", "dedup_rule", "cutoff")
    variants = rows.filter(pl.col("variant") != "base")
    return [(f"Sensitivity: roles x dedup rule x cutoff (comparator {comparator})", grid, SENSITIVITY_COLUMNS),
            (f"Sensitivity: comparator options and strata at the main selection (comparator {comparator})", variants,
             ["variant", *SENSITIVITY_COLUMNS[4:]])]



# --- SVG charts (inline, no scripts) ---------------------------------------------------------------------

_W = 760


def _esc(s) -> str:
    return html.escape(str(s), quote=True)


def svg_bars(labels: list[str], values: list[float], title: str, unit: str = "", axis: str = "") -> str:
    """Horizontal bar chart; `axis` names what the bar length measures, with its unit."""
    row_h, left, right = 26, 200, 80
    height = 40 + row_h * len(labels) + (18 if axis else 0)
    top = max([v for v in values if v is not None] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" role="img" aria-label="{_esc(title)}">',
             f'<text x="0" y="18" font-weight="bold">{_esc(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 32 + i * row_h
        w = 0 if not value else (_W - left - right) * value / top
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{_esc(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="#3b6ea5"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}">{_esc(_fmt(value))}{_esc(unit)}</text>')
    if axis:
        parts.append(f'<text x="{left}" y="{height - 6}" font-size="11">bar length: {_esc(axis)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def funnel_wide(funnel_df: pl.DataFrame) -> pl.DataFrame:
    """funnel.csv as one row per step (removed steps named by reason) and one column per product."""
    if funnel_df.is_empty():
        return funnel_df
    labelled = funnel_df.with_columns(
        pl.when(pl.col("reason").is_null()).then(pl.col("step"))
        .otherwise(pl.lit("removed: ") + pl.col("reason")).alias("step_label"))
    wide = labelled.pivot(on="product", index=["step_order", "step_label"], values="reports", aggregate_function="first")
    return wide.sort("step_order").drop("step_order").rename({"step_label": "step"})


def svg_funnel(funnel_df: pl.DataFrame, title: str) -> str:
    """The flow diagram (all CAR T products): boxes for CAR T reports -> with a neoplasm term -> SPM reports, and a
    side box per exclusion reason with the reports it removed (reasons that removed none are left out)."""
    rows = funnel_df.filter(pl.col("product") == "all_car_t") if funnel_df.height else funnel_df
    if not rows.height:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="40"><text x="0" y="18">{_esc(title)}: no data</text></svg>'
    get = {(r["step"], r["reason"]): r["reports"] for r in rows.iter_rows(named=True)}
    removed = [(r["reason"], r["reports"]) for r in rows.filter(pl.col("step") == "removed").iter_rows(named=True)
               if r["reports"]]
    box_w, box_h, gap, side_x = 300, 44, 34, 420
    main = [("CAR T reports", get[("car_t_reports", None)]), ("with any neoplasm term", get[("with_neoplasm_term", None)]),
            ("SPM reports", get[("spm_reports", None)])]
    side_rows = max(len(removed), 1)
    height = max(40 + 3 * box_h + 2 * gap + 20, 40 + side_rows * 30 + 40)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" role="img" aria-label="{_esc(title)}">',
             f'<text x="0" y="18" font-weight="bold">{_esc(title)}</text>']
    ys = [36 + i * (box_h + gap) for i in range(3)]
    for (label, n), y in zip(main, ys, strict=True):
        fill = "#dfe8f3" if label != "SPM reports" else "#f6dede"
        parts.append(f'<rect x="20" y="{y}" width="{box_w}" height="{box_h}" rx="4" fill="{fill}" stroke="#3b6ea5"/>')
        parts.append(f'<text x="{20 + box_w / 2}" y="{y + 18}" text-anchor="middle">{_esc(label)}</text>')
        parts.append(f'<text x="{20 + box_w / 2}" y="{y + 36}" text-anchor="middle" font-weight="bold">{n:,}</text>')
    for a, b in ((ys[0], ys[1]), (ys[1], ys[2])):
        x = 20 + box_w / 2
        parts.append(f'<line x1="{x}" y1="{a + box_h}" x2="{x}" y2="{b - 4}" stroke="#3b6ea5" stroke-width="2"/>')
        parts.append(f'<polygon points="{x - 5},{b - 9} {x + 5},{b - 9} {x},{b - 1}" fill="#3b6ea5"/>')
    mid = ys[1] + box_h + gap / 2
    parts.append(f'<line x1="{20 + box_w / 2}" y1="{mid}" x2="{side_x - 8}" y2="{mid}" stroke="#999" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{side_x}" y="{36 + 12}" font-size="12" font-weight="bold">removed (no neoplasm term counts), by first reason</text>')
    for i, (reason, n) in enumerate(removed):
        y = 36 + 22 + i * 30
        parts.append(f'<rect x="{side_x}" y="{y}" width="{_W - side_x - 10}" height="24" rx="3" fill="#f3f3f3" stroke="#999"/>')
        parts.append(f'<text x="{side_x + 8}" y="{y + 16}" font-size="12">{_esc(reason.replace("_", " "))}: {n:,}</text>')
    if not removed:
        parts.append(f'<text x="{side_x}" y="{36 + 36}" font-size="12">none</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_forest(rows: list[dict], title: str) -> str:
    """Forest plot of RORs with 95 % CIs on a log axis; a dashed line at ROR = 1."""
    row_h, left, right = 22, 250, 120
    rows = [r for r in rows if r.get("ror")]
    height = 76 + row_h * max(len(rows), 1)
    if not rows:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="60"><text x="0" y="18" font-weight="bold">'
                f'{_esc(title)}</text><text x="0" y="44">No ROR computed (every cell below 3 reports).</text></svg>')
    lo = min(min(r["ror_lower"] for r in rows), 0.5)
    hi = max(max(r["ror_upper"] for r in rows), 2.0)
    lmin, lmax = math.log10(lo), math.log10(hi)

    def x(v: float) -> float:
        return left + (_W - left - right) * (math.log10(v) - lmin) / (lmax - lmin)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" role="img" aria-label="{_esc(title)}">',
             f'<text x="0" y="18" font-weight="bold">{_esc(title)}</text>',
             f'<line x1="{x(1):.1f}" y1="28" x2="{x(1):.1f}" y2="{height - 36}" stroke="#888" stroke-dasharray="4 3"/>']
    for tick in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100):
        if lo <= tick <= hi:
            parts.append(f'<text x="{x(tick):.1f}" y="{height - 20}" text-anchor="middle" font-size="11">{tick:g}</text>')
    parts.append(f'<text x="{(left + _W - right) / 2:.0f}" y="{height - 4}" text-anchor="middle" font-size="11">'
                 'reporting odds ratio (log scale, no unit); right: ROR (95 % CI)</text>')
    for i, r in enumerate(rows):
        y = 40 + i * row_h
        color = "#b22222" if r.get("signal") else "#3b6ea5"
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" font-size="12">{_esc(r["product"])} · {_esc(r["event_group"])}</text>')
        parts.append(f'<line x1="{x(r["ror_lower"]):.1f}" y1="{y}" x2="{x(r["ror_upper"]):.1f}" y2="{y}" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<rect x="{x(r["ror"]) - 4:.1f}" y="{y - 4}" width="8" height="8" fill="{color}"/>')
        parts.append(f'<text x="{_W - right + 8}" y="{y + 4}" font-size="11">{r["ror"]:.2f} ({r["ror_lower"]:.2f}–{r["ror_upper"]:.2f})</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_onset(onset_rows: pl.DataFrame, title: str) -> str:
    """Time-to-onset strip plot per product (SPM reports), with the median marked."""
    data = onset_rows.filter((pl.col("event_group") == "spm") & pl.col("days").is_not_null()) if onset_rows.height else onset_rows
    groups = [p for p in (*study.PRODUCTS, study.ALL_CAR_T) if data.height and p in set(data["product"].to_list())]
    row_h, left, right = 26, 120, 40
    height = 60 + row_h * max(len(groups), 1)
    if not groups:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="60"><text x="0" y="18" font-weight="bold">'
                f'{_esc(title)}</text><text x="0" y="44">No SPM report with both dates to the day.</text></svg>')
    top = max(data["days"].max(), 1)

    def x(v: float) -> float:
        return left + (_W - left - right) * v / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" role="img" aria-label="{_esc(title)}">',
             f'<text x="0" y="18" font-weight="bold">{_esc(title)}</text>']
    for i, product in enumerate(groups):
        y = 40 + i * row_h
        days = data.filter(pl.col("product") == product)["days"]
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" font-size="12">{_esc(product)} (n={days.len()})</text>')
        for d in days.to_list():
            parts.append(f'<circle cx="{x(d):.1f}" cy="{y}" r="3" fill="#3b6ea5" fill-opacity="0.6"/>')
        median = float(days.median())
        parts.append(f'<line x1="{x(median):.1f}" y1="{y - 8}" x2="{x(median):.1f}" y2="{y + 8}" stroke="#b22222" stroke-width="2"/>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="11">0 days</text>'
                 f'<text x="{_W - right}" y="{height - 6}" text-anchor="end" font-size="11">{top} days</text>'
                 f'<text x="{(left + _W - right) / 2:.0f}" y="{height - 6}" text-anchor="middle" font-size="11">'
                 'days from CAR T therapy start to event date (one dot per report)</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_timeline(timeline_df: pl.DataFrame, title: str) -> str:
    """Cumulative ROR lower bound per quarter (all CAR T) for SPM and T-cell malignancy; line at 1."""
    data = timeline_df.filter(pl.col("product") == study.ALL_CAR_T) if timeline_df.height else timeline_df
    quarters = sorted(set(data["quarter"].to_list())) if data.height else []
    height, left, right, top_pad, bottom = 260, 60, 20, 30, 50
    if not quarters:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="40"><text x="0" y="18">{_esc(title)}: no data</text></svg>'
    values = [v for v in data["ror_lower"].to_list() if v]
    vmax = max(values + [2.0])

    def x(q: str) -> float:
        return left + (_W - left - right) * (quarters.index(q) / max(len(quarters) - 1, 1))

    def y(v: float) -> float:
        return top_pad + (height - top_pad - bottom) * (1 - v / vmax)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" role="img" aria-label="{_esc(title)}">',
             f'<text x="0" y="18" font-weight="bold">{_esc(title)}</text>',
             f'<line x1="{left}" y1="{y(1):.1f}" x2="{_W - right}" y2="{y(1):.1f}" stroke="#888" stroke-dasharray="4 3"/>',
             f'<text x="{left - 6}" y="{y(1) + 4:.1f}" text-anchor="end" font-size="11">1</text>',
             f'<text x="{left - 6}" y="{y(vmax) + 4:.1f}" text-anchor="end" font-size="11">{vmax:.3g}</text>']
    if "2023Q4" in quarters:
        parts.append(f'<line x1="{x("2023Q4"):.1f}" y1="{top_pad}" x2="{x("2023Q4"):.1f}" y2="{height - bottom}" stroke="#999"/>'
                     f'<text x="{x("2023Q4") - 4:.1f}" y="{height - bottom - 6}" text-anchor="end" font-size="11" '
                     'fill="#666">FDA communication Nov 2023</text>')
    for group, color in (("spm", "#3b6ea5"), ("t_cell_malignancy", "#b22222")):
        pts = [(r["quarter"], r["ror_lower"]) for r in data.filter(pl.col("event_group") == group).iter_rows(named=True) if r["ror_lower"]]
        if pts:
            path = " ".join(f"{x(q):.1f},{y(v):.1f}" for q, v in pts)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
            parts.append(f'<text x="{x(pts[-1][0]) - 4:.1f}" y="{y(pts[-1][1]) - 6:.1f}" text-anchor="end" fill="{color}" font-size="12">{_esc(group)}</text>')
    for i, q in enumerate(quarters):
        if i % max(1, len(quarters) // 10) == 0 or q == quarters[-1]:
            parts.append(f'<text x="{x(q):.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11">{_esc(q)}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="11">x: quarter a case first reached FAERS (cumulative); '
                 'y: ROR lower 95 % bound (ratio, no unit)</text>')
    parts.append(f'<text x="14" y="{(top_pad + height - bottom) / 2:.0f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(top_pad + height - bottom) / 2:.0f})">ROR lower bound</text>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(df: pl.DataFrame, columns: list[str] | None = None, limit: int | None = None) -> str:
    if df.is_empty():
        return "<p><em>no rows</em></p>"
    cols = columns or df.columns
    rows = df.select(cols).head(limit) if limit else df.select(cols)
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_esc(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows.iter_rows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}th,td{border:1px solid #ccc;
padding:3px 7px;text-align:right}th{background:#f0f3f7}td:first-child,th:first-child{text-align:left}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}dt{font-weight:bold;margin-top:.5em}
svg{font-family:inherit;display:block;margin:1em 0}.lead{font-size:1.15em}"""




# --- the report's sections: one list, rendered as Markdown and as HTML ------------------------------------


@dataclass
class Section:
    """One part of the report. Both report.md and report.html show its title, text, items (a definition list) and
    table; `figure` (an inline SVG) is drawn in report.html only, and `html_table` replaces the table there."""

    title: str | None  # None: no heading (the lead paragraph, the footer)
    text: str = ""
    table: pl.DataFrame | None = None
    columns: list[str] | None = None
    figure: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)
    html_table: str | None = None
    empty: str = "no rows"


REPORT_TITLE = "Second primary malignancies after CAR T-cell therapy in FAERS"
SIGNAL_SHOWN_COLUMNS = ["product", "event_group", "a", "b", "c", "d", "ror", "ror_lower", "ror_upper", "prr",
                        "chi2_yates", "ic025", "eb05", "signal", "note"]
ONSET_SHOWN_COLUMNS = ["product", "event_group", "reports", "computed", "median_days", "q1_days", "q3_days"]


def sections(tables: StudyTables) -> list[Section]:
    """The report, in order: the lead, the method, then each table with its chart and its note."""
    s, params = tables.summary, tables.parameters
    comparator = params["comparator"]
    products_df, categories_df = tables["products.csv"], tables["categories.csv"]
    funnel_df, timeline_df, onset_df = tables["funnel.csv"], tables["timeline.csv"], tables["time_to_onset.csv"]
    shown = signals_shown(tables["signals.csv"], comparator)
    forest_rows = shown.filter(pl.col("event_group").is_in(["spm", "t_cell_malignancy", "leukemia"])).to_dicts()
    products_plot = products_df.filter(pl.col("car_t_reports") > 0)
    first = (timeline_df.filter(pl.col("product") == study.ALL_CAR_T).group_by("event_group", maintain_order=True)
             .agg(pl.col("first_signal_quarter").first()) if timeline_df.height else pl.DataFrame())
    spm_cases_df = tables["spm_cases.csv"]
    parts = [
        Section(None, f"{s['spm_reports']} SPM reports among {s['car_t_reports']} CAR T reports ({s['spm_pct']} %); "
                      f"T-cell malignancies: {s['t_cell_malignancy_reports']}. Through {params['through']}, roles "
                      f"{params['roles']}, comparator {comparator}. Published (Elsallab et al., Blood 2024): 536 of "
                      "12,394 (4.3 %)."),
        Section("Methods (READUS-PV)", items=method_sections(tables)),
        Section("Summary (summary.csv)", table=tables["summary.csv"]),
        Section("From CAR T reports to SPM reports (funnel.csv)", table=funnel_wide(funnel_df),
                figure=svg_funnel(funnel_df, "Report flow: CAR T reports, neoplasm terms, exclusions, SPM "
                                             "(all CAR T products)")),
        Section("SPM reports by product (products.csv)", table=products_df,
                figure=svg_bars(products_plot["product"].to_list(), products_plot["spm_share_pct"].to_list(),
                                "Share of SPM reports by product", " %", "share of all CAR T SPM reports (%)")),
        Section("SPM categories (categories.csv)", table=categories_df,
                figure=svg_bars(categories_df["category"].to_list(), categories_df["reports"].to_list(),
                                "CAR T reports per SPM category",
                                axis="CAR T reports with an event in the category (count of reports)")),
        Section(f"Disproportionality (comparator: {comparator}; signals.csv)", SIGNALS_SHOWN_NOTE, shown,
                SIGNAL_SHOWN_COLUMNS, figure=svg_forest(forest_rows, "Reporting odds ratio with 95 % CI (red: signal)")),
        Section("Time to onset (days from CAR T start to event; time_to_onset.csv)", table=onset_df,
                columns=[c for c in ONSET_SHOWN_COLUMNS if c in onset_df.columns],
                figure=svg_onset(tables.onset_rows, "Days from CAR T therapy start to the SPM event date (red: median)")),
        Section("Signal timeline (all CAR T, first quarter meeting the criterion; timeline.csv)", table=first,
                figure=svg_timeline(timeline_df, "Could FAERS have flagged it earlier? (all CAR T products)")),
        Section("Published vs computed (published_vs_computed.csv)", table=tables["published_vs_computed.csv"],
                columns=PUBLISHED_SHOWN),
        *[Section(title, SENSITIVITY_NOTE, df, cols or None, empty="not run")
          for title, df, cols in sensitivity_views(tables["sensitivity.csv"], comparator)],
        Section("Table 1: CAR T and SPM reports (table1.csv)",
                "Reports of the main selection and roles; a report naming two products counts under each product. "
                "Percentages of the column total.", tables["table1.csv"]),
        Section("SPM case line listing (spm_cases.csv)",
                "One row per CAR T report with a counted SPM term (roles as selected), grouped by SPM category (a "
                "report appears under each of its categories). pre_existing: event date before the first CAR T "
                "therapy start; such reports are not counted as SPM reports unless --keep-pre-existing. Every field "
                "is in spm_cases.csv.",
                spm_cases_df.select([c for c in ["spm_categories", *CASE_COLUMNS] if c in spm_cases_df.columns]),
                html_table=cases_by_category(spm_cases_df)),
        Section("Appendix: PTs per SPM category (spm_pt_counts.csv)",
                "CAR T reports of the selection with each neoplasm PT, counted or excluded (with the reason).",
                tables["spm_pt_counts.csv"]),
        Section(None, f"faers {__version__} · generated {tables.generated_at} · database {tables.database} · "
                      "provenance in manifest.json"),
    ]
    return parts


def cases_by_category(spm_cases_df: pl.DataFrame) -> str:
    """The case listing in HTML: one table per SPM category (a report appears under each of its categories)."""
    grouped = []
    if spm_cases_df.height:
        exploded = spm_cases_df.with_columns(pl.col("spm_categories").fill_null("(none counted)")
                                             .str.split("; ").alias("category")).explode("category")
        for (category,), part in exploded.group_by(["category"], maintain_order=True):
            grouped.append(f"<h3>{_esc(category)} ({part.height} reports)</h3>" + _html_table(part, CASE_COLUMNS))
    return "".join(grouped) or "<p><em>no SPM reports</em></p>"


def render_markdown(parts: list[Section]) -> str:
    """report.md from the sections (charts are in report.html)."""
    out = [f"# {REPORT_TITLE}\n"]
    for part in parts:
        if part.title:
            out.append(f"## {part.title}\n")
        if part.text:
            out.append(part.text + "\n")
        out += [f"**{heading}.** {text}\n" for heading, text in part.items]
        if part.table is not None:
            out.append(_md_table(part.table, part.columns) if part.table.height else f"_({part.empty})_\n")
    return "\n".join(out)


def render_html(parts: list[Section]) -> str:
    """report.html from the sections: self-contained, inline SVG charts, no scripts."""
    body = [f"<h1>{_esc(REPORT_TITLE)}</h1>"]
    for i, part in enumerate(parts):
        if part.title:
            body.append(f"<h2>{_esc(part.title)}</h2>")
        body.append(part.figure)
        if part.text:
            lead = ' class="lead"' if i == 0 and part.title is None else ""
            body.append(f"<p{lead}>{_esc(part.text)}</p>")
        if part.items:
            body.append("<dl>" + "".join(f"<dt>{_esc(h)}</dt><dd>{_esc(t)}</dd>" for h, t in part.items) + "</dl>")
        if part.html_table is not None:
            body.append(part.html_table)
        elif part.table is not None:
            body.append(_html_table(part.table, part.columns) if part.table.height else f"<p><em>{_esc(part.empty)}</em></p>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CAR T second primary malignancies"
            f" — FAERS</title><style>{_CSS}</style></head><body>" + "\n".join(p for p in body if p) + "</body></html>\n")
