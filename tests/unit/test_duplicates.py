"""Cross-report duplicate model: each comparison's levels, the EM fit on planted data, scoring and the exact rule."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from faers import duplicates
from faers.duplicates import COMPARISONS, FEATURE_COLUMNS

BY_NAME = {c.name: c for c in COMPARISONS}
TYPES = {"sex": "VARCHAR", "age_years": "DOUBLE", "event_dt": "DATE", "event_precision": "VARCHAR",
         "reporter_country": "VARCHAR", "occr_country": "VARCHAR", "mfr_num": "VARCHAR", "ingredients": "VARCHAR[]",
         "pts": "VARCHAR[]", "outcomes": "VARCHAR[]", "wt_kg": "DOUBLE", "therapy_start": "DATE"}


def level(name: str, left: dict, right: dict) -> str:
    """The level label one comparison gives a pair of reports (fields not given are NULL)."""
    con = duckdb.connect()
    cols = ", ".join(f"CAST(? AS {TYPES[c]}) AS {c}_{side}" for side in ("l", "r") for c in FEATURE_COLUMNS)
    params = [rec.get(c) for rec in (left, right) for c in FEATURE_COLUMNS]
    return con.execute(f"SELECT {duplicates.level_case(BY_NAME[name])} FROM (SELECT {cols})", params).fetchone()[0]


def test_sex_levels():
    assert level("sex", {"sex": "F"}, {"sex": "F"}) == "same"
    assert level("sex", {"sex": "F"}, {"sex": "M"}) == "different"
    assert level("sex", {"sex": "F"}, {}) == "missing"


@pytest.mark.parametrize(("a", "b", "expected"), [
    (60.0, 60.0, "within 0.5 years"), (60.0, 61.9, "within 2 years"), (60.0, 64.5, "within 5 years"),
    (60.0, 70.0, "different"), (60.0, None, "missing"),
])
def test_age_levels_use_converted_years(a, b, expected):
    assert level("age", {"age_years": a}, {"age_years": b}) == expected


def test_event_date_levels_respect_precision():
    day = {"event_dt": dt.date(2023, 5, 17), "event_precision": "day"}
    assert level("event_date", day, day) == "same day"
    assert level("event_date", day, {"event_dt": dt.date(2023, 5, 2), "event_precision": "day"}) == "same month"
    # a month-precision date (2023-05 stored as 2023-05-01) agrees with a day in May only up to the month
    month = {"event_dt": dt.date(2023, 5, 1), "event_precision": "month"}
    assert level("event_date", {"event_dt": dt.date(2023, 5, 1), "event_precision": "day"}, month) == "same month"
    # a year-only date (stored as 2023-01-01) agrees with any 2023 date up to the year, even with January
    year = {"event_dt": dt.date(2023, 1, 1), "event_precision": "year"}
    assert level("event_date", day, year) == "same year"
    assert level("event_date", {"event_dt": dt.date(2023, 1, 1), "event_precision": "day"}, year) == "same year"
    assert level("event_date", day, {"event_dt": dt.date(2021, 5, 17), "event_precision": "day"}) == "different"
    assert level("event_date", day, {}) == "missing"


def test_country_and_manufacturer_number_levels():
    for name, col in (("reporter_country", "reporter_country"), ("occr_country", "occr_country"), ("mfr_num", "mfr_num")):
        assert level(name, {col: "US"}, {col: "US"}) == "same"
        assert level(name, {col: "US"}, {col: "DE"}) == "different"
        assert level(name, {col: "US"}, {}) == "missing"


@pytest.mark.parametrize(("name", "a", "b", "expected"), [
    ("ingredients", ["ADALIMUMAB"], ["ADALIMUMAB"], "same set"),
    ("ingredients", ["ADALIMUMAB", "METHOTREXATE"], ["ADALIMUMAB"], "jaccard >= 0.5"),
    ("ingredients", ["ADALIMUMAB", "METHOTREXATE", "PREDNISONE"], ["ADALIMUMAB"], "overlap"),
    ("ingredients", ["ADALIMUMAB"], ["ETANERCEPT"], "different"),
    ("pts", ["fatigue", "nausea", "rash"], ["fatigue", "nausea", "rash"], "same set"),
    ("pts", ["fatigue", "nausea", "rash"], ["fatigue", "nausea", "rash", "pyrexia"], "jaccard >= 0.6"),  # one extra PT
    ("pts", ["fatigue", "nausea", "rash"], ["fatigue", "nausea"], "jaccard >= 0.6"),  # one missing PT
    ("pts", ["fatigue", "nausea"], ["fatigue", "pyrexia"], "overlap"),
    ("pts", ["fatigue"], ["pyrexia"], "different"),
    ("outcomes", ["HO", "OT"], ["HO"], "jaccard >= 0.5"),
    ("outcomes", ["DE"], None, "missing"),
])
def test_set_levels_measure_overlap(name, a, b, expected):
    col = {"ingredients": "ingredients", "pts": "pts", "outcomes": "outcomes"}[name]
    assert level(name, {col: a}, {col: b}) == expected


def test_weight_and_therapy_start_levels():
    assert level("weight", {"wt_kg": 80.0}, {"wt_kg": 80.6}) == "within 1 kg"
    assert level("weight", {"wt_kg": 80.0}, {"wt_kg": 84.0}) == "within 5 kg"
    assert level("weight", {"wt_kg": 80.0}, {"wt_kg": 95.0}) == "different"
    start = dt.date(2022, 3, 4)
    assert level("therapy_start", {"therapy_start": start}, {"therapy_start": start}) == "same day"
    assert level("therapy_start", {"therapy_start": start}, {"therapy_start": dt.date(2022, 3, 20)}) == "same month"
    assert level("therapy_start", {"therapy_start": start}, {"therapy_start": None}) == "missing"


def test_every_comparison_has_a_missing_first_and_else_last_level():
    for c in COMPARISONS:
        assert c.levels[0][0] == "missing" and c.levels[-1][1] == "ELSE", c.name
        assert len({label for label, _ in c.levels}) == len(c.levels), c.name


def _planted(rng: np.random.Generator, n_match: int, n_non: int, m_true, u_true):
    rows = []
    for is_match, n in ((True, n_match), (False, n_non)):
        probs = m_true if is_match else u_true
        for _ in range(n):
            rows.append([1 + rng.choice(len(p), p=p) for p in probs])
    patterns, counts = np.unique(np.array(rows), axis=0, return_counts=True)
    return patterns, counts.astype(float)


def test_em_recovers_planted_m_probabilities():
    rng = np.random.default_rng(3)
    m_true = [np.array([0.9, 0.1]), np.array([0.8, 0.15, 0.05]), np.array([0.85, 0.15])]
    u_true = [np.array([0.2, 0.8]), np.array([0.05, 0.15, 0.8]), np.array([0.1, 0.9])]
    patterns, counts = _planted(rng, 3000, 7000, m_true, u_true)
    u = [np.concatenate([[0.0], x]) for x in u_true]
    p, m, iterations = duplicates._fellegi_sunter_em(patterns, counts, u, [True, True, True], max_iterations=200)
    assert p == pytest.approx(0.3, abs=0.03)
    for got, want in zip(m, m_true, strict=True):
        assert got[1:] == pytest.approx(want, abs=0.05)
    assert 1 < iterations <= 200


def test_em_leaves_inactive_comparisons_alone_and_caps_iterations():
    rng = np.random.default_rng(4)
    m_true = [np.array([0.9, 0.1]), np.array([0.7, 0.3])]
    u_true = [np.array([0.3, 0.7]), np.array([0.2, 0.8])]
    patterns, counts = _planted(rng, 500, 500, m_true, u_true)
    u = [np.concatenate([[0.0], x]) for x in u_true]
    _, m, iterations = duplicates._fellegi_sunter_em(patterns, counts, u, [True, False], max_iterations=3)
    assert m[1] is None and m[0] is not None and iterations == 3


def test_score_is_the_fellegi_sunter_weight_and_missing_levels_carry_no_evidence():
    m = [np.array([0.0, 0.9, 0.1])]
    u = [np.array([0.0, 0.1, 0.9])]
    weight, probability = duplicates._score(np.array([[1], [2], [0]]), m, u, lam=0.01)
    prior = np.log2(0.01 / 0.99)
    assert weight == pytest.approx([prior + np.log2(9), prior + np.log2(1 / 9), prior])
    assert probability == pytest.approx(2.0 ** weight / (1 + 2.0 ** weight))
    assert probability[0] > probability[2] > probability[1]


def test_unknown_method_or_threshold_is_refused():
    con = duckdb.connect()
    with pytest.raises(duplicates.DuplicatesError, match="unknown duplicates method"):
        duplicates.find(con, "vigimatch")
    with pytest.raises(duplicates.DuplicatesError, match="between 0 and 1"):
        duplicates.find(con, "exact", 1.5)
    with pytest.raises(duplicates.DuplicatesError, match="not a loaded faers database"):
        duplicates.find(con, "exact")
