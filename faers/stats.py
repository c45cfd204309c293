"""Disproportionality statistics over 2x2 tables: ROR, PRR, chi-squared, Fisher, IC, EBGM, signal flags.

Cells are named once, everywhere: a = drug & event, b = drug & other events, c = other drugs & event,
d = neither; N = a+b+c+d; E = (a+b)(a+c)/N. Every measure is a pure vectorised function of numpy arrays
(10 million pairs in seconds, no per-row Python loop); ``disproportionality`` applies them all to a polars
table. Formulas, references, the zero-cell policy and tolerances are in docs/statistics.md.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
from scipy import special, stats

from faers import ebgm as mgps
from faers.errors import FaersError

Z95 = float(stats.norm.ppf(0.975))  # 1.959963984540054; pass z=1.96 to reproduce tools that round it

CELLS = ("a", "b", "c", "d")
#: The output columns every caller may rely on, in this order, after the input columns.
MAIN_COLUMNS = (
    "expected", "ror", "ror_lower", "ror_upper", "prr", "prr_lower", "prr_upper", "chi2", "chi2_yates",
    "ic", "ic025", "ic975", "fisher_p", "ebgm", "eb05", "eb95",
)
EXTRA_COLUMNS = (
    "qn", "fisher_p_greater", "fisher_p_less", "fisher_midp_greater", "ic025_gamma", "ic975_gamma",
    "ic_gould", "ic_gould_var", "ic_gould025", "ic_gould975",
    "signal_ror", "signal_prr_evans", "signal_ic025", "signal_eb05", "signal_ema", "signal_mhra",
)


class InvalidCountsError(FaersError):
    """A 2x2 table is missing a cell column or holds a count that is not a non-negative integer."""

    exit_code = 2

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row  # 0-based index of the offending row, for callers that know the file's line numbers


def _floats(*arrays):
    return [np.asarray(x, dtype=float) for x in arrays]


# --- basic measures -------------------------------------------------------------------------------


def expected(a, b, c, d):
    """E = (a+b)(a+c)/N: the count of the pair expected if drug and event were independent (N = a+b+c+d)."""
    a, b, c, d = _floats(a, b, c, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a + b) * (a + c) / (a + b + c + d)


def ror(a, b, c, d, z=Z95):
    """Reporting odds ratio ad/(bc) with Woolf's 95 % CI exp(ln ROR +- z sqrt(1/a+1/b+1/c+1/d)).

    Woolf B (1955) Ann Hum Genet 19:251; van Puijenbroek EP et al. (2002) PDS 11:3. Returns (ror, lower,
    upper); NaN or inf where a cell is 0 (the caller decides the zero-cell policy).
    """
    a, b, c, d = _floats(a, b, c, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = a * d / (b * c)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        return point, point * np.exp(-z * se), point * np.exp(z * se)


def prr(a, b, c, d, z=Z95):
    """Proportional reporting ratio [a/(a+b)]/[c/(c+d)] with 95 % CI exp(ln PRR +- z se).

    se = sqrt(1/a - 1/(a+b) + 1/c - 1/(c+d)) (Evans SJW et al. 2001, PDS 10:483; Rothman & Greenland).
    Returns (prr, lower, upper).
    """
    a, b, c, d = _floats(a, b, c, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = (a / (a + b)) / (c / (c + d))
        se = np.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
        return point, point * np.exp(-z * se), point * np.exp(z * se)


def _cross_difference(a, b, c, d):
    """ad - bc, exact in int64 when the cells are integers (float64 loses digits once ad > 2**53)."""
    if all(np.issubdtype(np.asarray(x).dtype, np.integer) for x in (a, b, c, d)):
        a, b, c, d = (np.asarray(x, dtype=np.int64) for x in (a, b, c, d))
        return (a * d - b * c).astype(float)
    a, b, c, d = _floats(a, b, c, d)
    return a * d - b * c


def chi2(a, b, c, d):
    """Pearson chi-squared of the 2x2 table, N (ad - bc)^2 / [(a+b)(c+d)(a+c)(b+d)], 1 df, no correction."""
    diff = _cross_difference(a, b, c, d)
    a, b, c, d = _floats(a, b, c, d)
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        return n * diff**2 / ((a + b) * (c + d) * (a + c) * (b + d))


def chi2_yates(a, b, c, d):
    """Yates-corrected chi-squared, N max(0, |ad - bc| - N/2)^2 / [(a+b)(c+d)(a+c)(b+d)].

    Yates F (1934) JRSS Suppl 1:217; as R ``chisq.test(correct=TRUE)`` (the correction never exceeds
    |O - E|, so tables with |a - E| < 0.5 score 0). The statistic of Evans' PRR criterion.
    """
    diff = np.abs(_cross_difference(a, b, c, d))
    a, b, c, d = _floats(a, b, c, d)
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        return n * np.maximum(0.0, diff - n / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))


# --- information component ------------------------------------------------------------------------


def ic_shrinkage(a, e):
    """Norén 2013 shrinkage IC = log2((a + 0.5)/(E + 0.5)) with its analytic 95 % credibility approximation.

    IC025 = IC - 3.3 (a+0.5)^-1/2 - 2 (a+0.5)^-3/2, IC975 = IC + 2.4 (a+0.5)^-1/2 - 0.5 (a+0.5)^-3/2
    (Norén GN, Hopstadius J, Bate A (2013) Stat Methods Med Res 22:57, the WHO-UMC IC). Returns (ic, ic025, ic975).
    """
    a, e = _floats(a, e)
    ic = np.log2((a + 0.5) / (e + 0.5))
    root = (a + 0.5) ** -0.5
    return ic, ic - 3.3 * root - 2.0 * root**3, ic + 2.4 * root - 0.5 * root**3


def ic_gamma_interval(a, e, level=0.95):
    """Exact credibility interval of the shrinkage IC: log2 of the gamma(a + 0.5, rate E + 0.5) quantiles.

    The posterior of the observed-to-expected ratio under Norén 2013's shrinkage is Gamma(a + 1/2, E + 1/2);
    the approximation in ``ic_shrinkage`` was fitted to these quantiles. Returns (lower, upper).
    """
    a, e = _floats(a, e)
    tail = (1 - level) / 2
    # the quantiles of Gamma(a + 1/2, 1) depend on a alone: one evaluation per distinct count
    lower = mgps.per_distinct(special.gammaincinv, a + 0.5, tail) / (e + 0.5)
    upper = mgps.per_distinct(special.gammainccinv, a + 0.5, tail) / (e + 0.5)
    return np.log2(lower), np.log2(upper)


def ic_gould(a, b, c, d, z=Z95):
    """BCPNN IC with Gould's exact posterior expectation and variance (Gould AL 2003, PDS 12:559).

    With n1. = a+b, n.1 = a+c: p1 = 1+n1., p2 = 1+N-n1., q1 = 1+n.1, q2 = 1+N-n.1, r1 = 1+a,
    r2' = N - a - 1 + (N+2)^2/(q1 p1);
    E[IC] = [psi(r1) - psi(r1+r2') - (psi(p1) - psi(p1+p2) + psi(q1) - psi(q1+q2))] / ln 2,
    V[IC] = [psi'(r1) - psi'(r1+r2') + psi'(p1) - psi'(p1+p2) + psi'(q1) - psi'(q1+q2)] / (ln 2)^2,
    interval E +- z sqrt(V) (normal approximation, as PhViD's BCPNN with MC=FALSE).
    Returns (ic, variance, lower, upper).
    """
    a, b, c, d = _floats(a, b, c, d)
    n = a + b + c + d
    p1, p2 = 1 + a + b, 1 + n - (a + b)
    q1, q2 = 1 + a + c, 1 + n - (a + c)
    r1 = 1 + a
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = n - a - 1 + (n + 2) ** 2 / (q1 * p1)
    # r1 = 1 + a, p1 + p2 = q1 + q2 = N + 2 and the margins p1, q1 repeat across pairs: evaluate the
    # digamma and trigamma once per distinct value (exact), only r1 + r2 is new for every pair
    def psi(x):
        return mgps.per_distinct(special.digamma, x)

    def tri(x):
        return mgps.per_distinct(_trigamma, x)

    mean = (psi(r1) - special.digamma(r1 + r2) - (psi(p1) - psi(p1 + p2) + psi(q1) - psi(q1 + q2))) / math.log(2)
    var = (tri(r1) - _trigamma(r1 + r2) + tri(p1) - tri(p1 + p2) + tri(q1) - tri(q1 + q2)) / math.log(2) ** 2
    sd = np.sqrt(var)
    return mean, var, mean - z * sd, mean + z * sd


def _trigamma(x):
    return special.polygamma(1, x)


# --- Fisher's exact test --------------------------------------------------------------------------

# Relative tolerance for "as or less probable than the observed table" in the two-sided test, as R's
# fisher.test and scipy.stats.fisher_exact (guards against rounding in the probabilities).
_FISHER_RELATIVE_TIE = 1e-7
# Stop summing a tail once the next term is this small relative to the sum so far (below double precision).
_TAIL_STOP = 1e-17


def _log_gamma_ratio(x, h):
    """log Gamma(x + h) - log Gamma(x) without the cancellation of two huge gammaln values.

    For x >= 10 from Stirling's series: (x+h-1/2) log1p(h/x) + h (log x - 1) + r(x+h) - r(x), with
    r(z) = 1/(12z) - 1/(360z^3) + 1/(1260z^5) - 1/(1680z^7) (error < 1e-14); plain gammaln below.
    At FAERS scale (N ~ 1e8) the direct difference loses ~7 digits, this keeps the p-values to ~1e-12.
    """
    x = np.asarray(x, dtype=float)
    h = np.asarray(h, dtype=float)
    large = x >= 10
    xs = np.where(large, x, 10.0)
    z = xs + h

    def remainder(v):
        inv = 1.0 / v
        inv2 = inv * inv
        return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))

    stirling = (z - 0.5) * np.log1p(h / xs) + h * (np.log(xs) - 1) + remainder(z) - remainder(xs)
    return np.where(large, stirling, special.gammaln(x + h) - special.gammaln(x))


def log_table_probability(a, b, c, d):
    """log of the hypergeometric probability of the 2x2 table given its margins (Fisher 1935).

    P = (a+b)! (c+d)! (a+c)! (b+d)! / (N! a! b! c! d!), evaluated as sums of ``_log_gamma_ratio`` terms so
    that no two numbers of size N log N cancel: log P = R(b+1, a) + R(c+1, a) - log a! + R(d+1, b) - R(c+d+1, a+b)
    with R(x, h) = log Gamma(x+h) - log Gamma(x). -inf for impossible tables (a negative cell).
    """
    a, b, c, d = _floats(a, b, c, d)
    possible = (a >= 0) & (b >= 0) & (c >= 0) & (d >= 0)
    a, b, c, d = (np.where(possible, x, 0.0) for x in (a, b, c, d))
    value = (_log_gamma_ratio(b + 1, a) + _log_gamma_ratio(c + 1, a) - special.gammaln(a + 1)
             + _log_gamma_ratio(d + 1, b) - _log_gamma_ratio(c + d + 1, a + b))
    return np.where(possible, value, -np.inf)


class _Hypergeometric:
    """The null distribution of a given the margins: hypergeometric(total N, a+c events, a+b drug reports)."""

    def __init__(self, a, b, c, d):
        self.total = a + b + c + d
        self.events = a + c
        self.drug = a + b
        self.lowest = np.maximum(0.0, self.drug + self.events - self.total)  # = max(0, a - d)
        self.highest = np.minimum(self.drug, self.events)
        self.mode = np.floor((self.drug + 1) * (self.events + 1) / (self.total + 2))

    def logpmf(self, x, rows=slice(None)):
        """log P(X = x): the table with a = x and the same margins (``log_table_probability``)."""
        drug, events = self.drug[rows], self.events[rows]
        return log_table_probability(x, drug - x, events - x, self.total[rows] - drug - events + x)

    def tail(self, x, step, log_start, rows):
        """log P(X >= x) (step +1) or log P(X <= x) (step -1), summing pmf terms away from the mode.

        The terms decrease monotonically away from the mode, so summation stops as soon as a term is
        negligible; pmf ratios of neighbours are exact rational numbers (no repeated logpmf calls).
        """
        events, drug, total = self.events[rows], self.drug[rows], self.total[rows]
        lowest, highest = self.lowest[rows], self.highest[rows]
        x = np.array(x, dtype=float)
        total_sum = np.ones(len(x))
        term = np.ones(len(x))
        active = np.flatnonzero(np.where(step > 0, x < highest, x > lowest))
        while active.size:
            xa = x[active]
            k, m, t = events[active], drug[active], total[active]
            if step > 0:
                ratio = (k - xa) * (m - xa) / ((xa + 1) * (t - k - m + xa + 1))
            else:
                ratio = xa * (t - k - m + xa) / ((k - xa + 1) * (m - xa + 1))
            new_term = term[active] * ratio
            total_sum[active] += new_term
            term[active] = new_term
            x[active] = xa + step
            keep = (new_term > _TAIL_STOP * total_sum[active]) & np.where(
                step > 0, x[active] < highest[active], x[active] > lowest[active])
            active = active[keep]
        return log_start + np.log(total_sum)


def fisher_exact(a, b, c, d) -> dict[str, np.ndarray]:
    """Fisher's exact test of the 2x2 tables, vectorised: two-sided, one-sided and mid-p values.

    Under H0 a ~ hypergeometric(N, a+c, a+b) (Fisher RA 1935, J R Stat Soc 98:39).
    - fisher_p: two-sided, sum of P(X = x) over every x with P(X = x) <= P(X = a)(1 + 1e-7) (R
      ``fisher.test``, scipy ``fisher_exact``: the minimum-likelihood, not the doubled, two-sided p).
    - fisher_p_greater = P(X >= a) (excess reporting), fisher_p_less = P(X <= a).
    - fisher_midp_greater = P(X > a) + P(X = a)/2 (Lancaster's one-sided mid-p).
    Tails are summed term by term away from the mode with exact pmf ratios, so the cost grows with the
    spread of the distribution (about sqrt(E) terms), not with N; scipy's hypergeom.sf takes minutes per
    million FAERS-sized tables. Relative accuracy about 1e-9 (the logpmf of the starting term).
    """
    a, b, c, d = _floats(a, b, c, d)
    dist = _Hypergeometric(a, b, c, d)
    everything = np.arange(len(a))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_pa = dist.logpmf(a)
        above = a >= dist.mode  # the upper tail from a runs away from the mode
        log_upper = np.full(len(a), np.nan)  # log P(X >= a)
        log_lower = np.full(len(a), np.nan)  # log P(X <= a)
        log_upper[above] = dist.tail(a[above], +1, log_pa[above], everything[above])
        log_lower[~above] = dist.tail(a[~above], -1, log_pa[~above], everything[~above])
        # the other one-sided tail as a complement, from the tail beyond a (away from the mode again)
        beyond_up = ~above & (a < dist.highest)  # P(X >= a) = 1 - P(X <= a-1)
        log_upper[~above] = 0.0
        rows = everything[beyond_up]
        log_upper[beyond_up] = np.log1p(-np.exp(dist.tail(a[rows] - 1, -1, dist.logpmf(a[rows] - 1, rows), rows)))
        log_lower[above] = 0.0
        below = above & (a < dist.highest)  # P(X <= a) = 1 - P(X >= a+1), a+1 above the mode
        rows = everything[below]
        log_lower[below] = np.log1p(-np.exp(dist.tail(a[rows] + 1, +1, dist.logpmf(a[rows] + 1, rows), rows)))
        p_greater = np.exp(log_upper)
        p_less = np.exp(log_lower)
        p_two = _fisher_two_sided(a, dist, log_pa, log_upper, log_lower, above)
        midp = p_greater - 0.5 * np.exp(log_pa)
    bad = ~np.isfinite(dist.total) | (dist.total <= 0)
    for values in (p_greater, p_less, p_two, midp):
        values[bad] = np.nan
    return {
        "fisher_p": np.minimum(p_two, 1.0),
        "fisher_p_greater": np.minimum(p_greater, 1.0),
        "fisher_p_less": np.minimum(p_less, 1.0),
        "fisher_midp_greater": np.clip(midp, 0.0, 1.0),
    }


def _fisher_two_sided(a, dist, log_pa, log_upper, log_lower, above):
    """The observed tail plus the tables on the other side of the mode that are at most as probable."""
    everything = np.arange(len(a))
    threshold = log_pa + math.log1p(_FISHER_RELATIVE_TIE)
    log_mode = dist.logpmf(dist.mode)
    p = np.where(above, np.exp(log_upper), np.exp(log_lower))
    whole = threshold >= log_mode
    # other side: below the mode when a is above it (pmf rises from `lowest` to the mode) and vice versa
    far_end = np.where(above, dist.lowest, dist.highest)
    has_other = ~whole & (dist.logpmf(far_end) <= threshold)
    rows = everything[has_other]
    if rows.size:
        up = above[rows]
        inside, outside = _other_tail_bracket(dist, a, rows, up, far_end[rows], threshold[rows])
        # binary search between them for the last x (counted from the far end) whose pmf is <= threshold
        open_rows = np.flatnonzero(np.abs(outside - inside) > 1)
        while open_rows.size:
            mid = np.floor((inside[open_rows] + outside[open_rows]) / 2)
            ok = dist.logpmf(mid, rows[open_rows]) <= threshold[rows[open_rows]]
            inside[open_rows] = np.where(ok, mid, inside[open_rows])
            outside[open_rows] = np.where(ok, outside[open_rows], mid)
            open_rows = open_rows[np.abs(outside[open_rows] - inside[open_rows]) > 1]
        other = np.empty(rows.size)
        lower_side = up  # a above the mode: the other tail is P(X <= inside)
        start = dist.logpmf(inside, rows)
        if lower_side.any():
            other[lower_side] = dist.tail(inside[lower_side], -1, start[lower_side], rows[lower_side])
        if (~lower_side).any():
            other[~lower_side] = dist.tail(inside[~lower_side], +1, start[~lower_side], rows[~lower_side])
        p[rows] += np.exp(other)
    p[whole] = 1.0
    return p


def _other_tail_bracket(dist, a, rows, up, far_end, threshold):
    """Bracket the start of the opposite tail by galloping from the mirror image of a about the mean.

    The null distribution is nearly symmetric when the tail exists at all, so the boundary is usually
    within a few steps of 2 * mean - a; galloping (steps 1, 2, 4, ...) needs a few probability
    evaluations where a plain binary search from the far end needs ~25. Returns (inside, outside):
    pmf <= threshold at `inside` (towards the far end), > threshold at `outside` (towards the mode).
    """
    mode = dist.mode[rows]
    mean = dist.drug[rows] * dist.events[rows] / dist.total[rows]
    low, high = np.where(up, far_end, mode), np.where(up, mode, far_end)
    guess = np.clip(np.round(2 * mean - a[rows]), low, high)
    towards_far = np.where(up, -1.0, 1.0)
    ok = dist.logpmf(guess, rows) <= threshold
    inside = np.where(ok, guess, far_end)
    outside = np.where(ok, mode, guess)
    # gallop from the guess: towards the mode while still inside, towards the far end while outside
    position = guess.copy()
    step = np.ones(len(rows))
    pending = np.flatnonzero(position != np.where(ok, mode, far_end))
    direction = np.where(ok, -towards_far, towards_far)
    while pending.size:
        candidate = np.clip(position[pending] + direction[pending] * step[pending], low[pending], high[pending])
        now_ok = dist.logpmf(candidate, rows[pending]) <= threshold[pending]
        was_ok = ok[pending]
        crossed = now_ok != was_ok
        # still on the same side: move on and double the step; crossed: the bracket is found
        inside[pending] = np.where(now_ok, candidate, inside[pending])
        outside[pending] = np.where(now_ok, outside[pending], candidate)
        position[pending] = candidate
        step[pending] *= 2
        at_end = candidate == np.where(was_ok, mode[pending], far_end[pending])
        pending = pending[~crossed & ~at_end]
    return inside, outside


# --- multiple testing -----------------------------------------------------------------------------


def benjamini_hochberg(p):
    """Benjamini-Hochberg (1995, JRSS B 57:289) adjusted p-values (q-values); NaN p stay NaN, not counted in m."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return q
    order = valid[np.argsort(p[valid], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


# --- signal criteria ------------------------------------------------------------------------------

#: The project's one signal rule (the study, `faers signals`, signals.csv, the timeline and `faers stats`'s
#: signal_ror column all apply `signal_ror`); SIGNAL_RULE is its text for the manifest and the reports.
SIGNAL_MIN_REPORTS = 3
SIGNAL_RULE = f"ror_lower > 1 and a >= {SIGNAL_MIN_REPORTS}"


def signal_ror(ror_lower, a, min_reports: int = SIGNAL_MIN_REPORTS) -> np.ndarray:
    """The signal rule: the lower limit of the ROR's 95 % CI above 1, with at least `min_reports` (3) reports
    of the pair (a). A missing (NaN/None) lower limit never signals.

    van Puijenbroek EP et al. (2002) PDS 11:3 (ROR with CI); the a >= 3 floor as in Evans et al. (2001)
    PDS 10:483 and the CAR T SPM study this project reproduces (Elsallab et al., Blood 2024).
    """
    lower, a = _floats(ror_lower, a)
    with np.errstate(invalid="ignore"):
        return (lower > 1) & (a >= min_reports)


def reported_ror(a, b, c, d, min_reports: int = SIGNAL_MIN_REPORTS) -> tuple[float | None, float | None, float | None]:
    """`ror` of one table as the signal rule reads it: (ror, lower, upper), or (None, None, None) when a
    < min_reports or a cell is 0 (no ROR is reported for such a table)."""
    if a < min_reports or min(a, b, c, d) <= 0:
        return None, None, None
    return tuple(float(v) for v in ror(a, b, c, d))


def signal_flags(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The usual signal criteria, each named; a missing (NaN) measure never signals.

    - signal_ror: ROR lower 95 % limit > 1 and a >= 3 (`signal_ror`, the project's rule).
    - signal_prr_evans: PRR >= 2, Yates chi-squared >= 4 and a >= 3 (Evans et al. 2001).
    - signal_ic025: IC025 > 0 (WHO-UMC, Norén 2013 shrinkage IC).
    - signal_eb05: EB05 >= 2 (DuMouchel 1999 / FDA).
    - signal_ema: PRR lower 95 % limit >= 1 and a >= 5 (EMA EudraVigilance screening).
    - signal_mhra: EB05 >= 1.8, a >= 3 and EBGM >= 2.5 (MHRA).
    """
    a = columns["a"]
    with np.errstate(invalid="ignore"):
        return {
            "signal_ror": signal_ror(columns["ror_lower"], a),
            "signal_prr_evans": (columns["prr"] >= 2) & (columns["chi2_yates"] >= 4) & (a >= 3),
            "signal_ic025": columns["ic025"] > 0,
            "signal_eb05": columns["eb05"] >= 2,
            "signal_ema": (columns["prr_lower"] >= 1) & (a >= 5),
            "signal_mhra": (columns["eb05"] >= 1.8) & (a >= 3) & (columns["ebgm"] >= 2.5),
        }


# --- the table function ---------------------------------------------------------------------------


def validate_counts(table: pl.DataFrame) -> dict[str, np.ndarray]:
    """Check the a, b, c, d columns and return them as int64 arrays; errors name the row (1-based, data rows)."""
    missing = [c for c in CELLS if c not in table.columns]
    if missing:
        raise InvalidCountsError(f"missing column(s) {', '.join(missing)}: a 2x2 table needs columns a, b, c, d "
                                 f"(a drug&event, b drug&other events, c other drugs&event, d neither); "
                                 f"found {', '.join(table.columns) or 'no columns'}")
    cells = {}
    for name in CELLS:
        column = table[name]
        as_float = column.cast(pl.Float64, strict=False)
        values = as_float.to_numpy()
        bad = np.isnan(values) | ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InvalidCountsError(f"row {row + 1}: {name} = {column[row]!r} is not a count (need an integer >= 0)",
                                     row)
        for problem, mask in (("negative", values < 0), ("not a whole number", values != np.floor(values))):
            if mask.any():
                row = int(np.flatnonzero(mask)[0])
                raise InvalidCountsError(f"row {row + 1}: {name} = {column[row]!r} is {problem} (need an integer >= 0)",
                                         row)
        cells[name] = values.astype(np.int64)
    total = cells["a"] + cells["b"] + cells["c"] + cells["d"]
    if (total == 0).any():
        row = int(np.flatnonzero(total == 0)[0])
        raise InvalidCountsError(f"row {row + 1}: a+b+c+d = 0 (an empty table has no statistics)", row)
    return cells


def disproportionality(table: pl.DataFrame, *, prior=None, continuity: float | None = None,
                       fdr: bool = False, z: float = Z95) -> tuple[pl.DataFrame, mgps.PriorFit | None]:
    """Every measure for every row of a table of 2x2 counts; returns (table with measures, EBGM prior fit).

    Input: columns a, b, c, d (non-negative integers); optional ``expected`` overrides E (e.g. the
    stratified E of ``faers.ebgm.report_counts``) for IC and EBGM; every other column passes through
    unchanged. Output: the input columns, then MAIN_COLUMNS (``expected`` only if not given), then
    EXTRA_COLUMNS, then ``fisher_q_bh`` when fdr=True (Benjamini-Hochberg over fisher_p).
    Zero cells: ROR, PRR and their limits are null when any cell is 0, unless continuity (e.g. 0.5) is
    given, which is added to all four cells for ROR and PRR only. Undefined values are null, never NaN.
    prior: None fits the MGPS prior on all rows with a >= 1 (``faers.ebgm.fit_prior``); a tuple
    (alpha1, beta1, alpha2, beta2, p) is used as given. The fit is None only for an empty table.
    """
    cells = validate_counts(table)
    clashes = [c for c in (*MAIN_COLUMNS, *EXTRA_COLUMNS, "fisher_q_bh") if c in table.columns and c != "expected"]
    if clashes:
        raise InvalidCountsError(f"input already has output column(s) {', '.join(clashes)}: rename or drop them")
    a, b, c, d = (cells[k] for k in CELLS)
    if "expected" in table.columns:
        e = table["expected"].cast(pl.Float64, strict=False).to_numpy()
        bad = np.isnan(e) | (e < 0) | ~np.isfinite(e)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InvalidCountsError(f"row {row + 1}: expected = {table['expected'][row]!r} (need a number >= 0)", row)
    else:
        e = expected(a, b, c, d)
    fit = None
    if len(a):
        fit = mgps.given_prior(prior, a, e) if prior is not None else mgps.fit_prior(a, e)
    names = [name for name in (*MAIN_COLUMNS, *EXTRA_COLUMNS) if name != "expected"]
    out = {name: np.empty(len(a), dtype=bool if name.startswith("signal_") else float) for name in names}
    out["expected"] = e

    def fill(rows: slice) -> None:
        chunk = _row_measures(a[rows], b[rows], c[rows], d[rows], e[rows], fit.theta, continuity, z)
        for name in names:
            out[name][rows] = chunk[name]

    # Row-wise measures in chunks: bounded temporary memory at 10 M rows, and two threads (numpy and
    # scipy.special release the GIL inside their loops) use both cores.
    chunks = [slice(start, start + CHUNK_ROWS) for start in range(0, len(a), CHUNK_ROWS)]
    with ThreadPoolExecutor(max_workers=min(2, max(1, len(chunks)))) as pool:
        list(pool.map(fill, chunks))
    if fdr:
        out["fisher_q_bh"] = benjamini_hochberg(out["fisher_p"])
    added = [name for name in (*MAIN_COLUMNS, *EXTRA_COLUMNS, *(["fisher_q_bh"] if fdr else []))
             if name not in table.columns]
    series = [_as_series(name, out.pop(name)) for name in added]
    return table.with_columns(series), fit


#: Rows per chunk of the row-wise measures (about 60 temporary float arrays of this length per thread).
CHUNK_ROWS = 250_000


def _row_measures(a, b, c, d, e, theta, continuity, z) -> dict[str, np.ndarray]:
    """Every measure except the prior fit for one chunk of rows (the prior theta is given)."""
    out: dict[str, np.ndarray] = {"a": a}
    if continuity is None:
        ror_cols, prr_cols = ror(a, b, c, d, z), prr(a, b, c, d, z)
        any_zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
        for values in (*ror_cols, *prr_cols):
            values[any_zero] = np.nan
    else:
        shifted = [x + float(continuity) for x in (a, b, c, d)]
        ror_cols, prr_cols = ror(*shifted, z), prr(*shifted, z)
    out.update(zip(("ror", "ror_lower", "ror_upper"), ror_cols, strict=True))
    out.update(zip(("prr", "prr_lower", "prr_upper"), prr_cols, strict=True))
    out["chi2"], out["chi2_yates"] = chi2(a, b, c, d), chi2_yates(a, b, c, d)
    out["ic"], out["ic025"], out["ic975"] = ic_shrinkage(a, e)
    out.update(fisher_exact(a, b, c, d))
    out.update(mgps.posterior(theta, a, e))
    out["ic025_gamma"], out["ic975_gamma"] = ic_gamma_interval(a, e)
    out["ic_gould"], out["ic_gould_var"], out["ic_gould025"], out["ic_gould975"] = ic_gould(a, b, c, d, z)
    out.update(signal_flags(out))
    return out


def _as_series(name: str, values: np.ndarray) -> pl.Series:
    if values.dtype == bool:
        return pl.Series(name, values)
    values = np.where(np.isfinite(values), values, np.nan)
    return pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)
