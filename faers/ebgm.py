"""Multi-item Gamma Poisson Shrinker (DuMouchel 1999): prior fit, posterior EBGM/EB05/EB95, squashing, stratified E.

Notation as everywhere in faers: for a drug-event pair, ``n`` is the observed count (cell ``a``) and ``e`` the
expected count E. The prior for the true ratio lambda = mu/E is the two-gamma mixture

    pi(lambda) = P * Gamma(lambda; alpha1, beta1) + (1 - P) * Gamma(lambda; alpha2, beta2)      (rate form)

so the marginal of n is a mixture of negative binomials, NB(n; size=alpha, prob=beta/(beta+E))
(DuMouchel 1999, Am Stat 53:177, eqs. 5-12). The prior is fitted by maximum likelihood on the pairs with
n >= 1, with the zero-truncated likelihood of DuMouchel & Pregibon (2001, KDD '01) exactly as openEBGM's
``negLL``/``negLLsquash`` write it (each component truncated separately, P mixing the truncated components),
so negLL values are comparable with openEBGM's (4162.4557 on its ``caers`` data). The fit keeps theta in
openEBGM hyperEM's box (alpha, beta in [1e-5, 20], P in [0.001, 0.999]), records where it is flat, and
falls back to DuMouchel's 1999 prior when the data cannot identify one (docs/statistics.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import warnings
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import polars as pl
from scipy import optimize, special

from faers.errors import FaersError

log = logging.getLogger(__name__)

THETA_NAMES = ("alpha1", "beta1", "alpha2", "beta2", "p")

#: DuMouchel 1999 prior fitted on the FDA SRS (Table 2 of the paper).
DUMOUCHEL_1999_PRIOR = (0.2041, 0.05816, 1.415, 1.838, 0.0969)
#: Starting points suggested by Canida & Ihrie (2017, J Stat Softw 82(?)/openEBGM vignette).
CANIDA_IHRIE_2017_STARTS = (
    (0.2, 0.1, 2.0, 4.0, 1 / 3),
    (0.2, 0.06, 1.4, 1.8, 0.1),
    (0.1, 0.1, 10.0, 10.0, 0.2),
    (0.5, 0.5, 5.0, 5.0, 0.5),
)
DEFAULT_STARTS = (*CANIDA_IHRIE_2017_STARTS, DUMOUCHEL_1999_PRIOR)

#: Starts "agree" when their optimum negLL lies within this many log-likelihood units of the best one.
#: The likelihood is flat in theta, so the value of the objective (not theta) is what must agree.
AGREEMENT_TOLERANCE = 0.01


class PriorFitError(FaersError):
    """The MGPS prior could not be fitted (no pair with a >= 1, or every start failed)."""


class PriorDisagreementWarning(UserWarning):
    """Starting points of the MGPS prior fit reached different optima (the best one is kept)."""


class PriorNotIdentifiableWarning(PriorDisagreementWarning):
    """The MGPS prior is not identifiable on these data; the fallback prior is used (see PriorFit.note)."""


# --- the likelihood -------------------------------------------------------------------------------


def _validate_theta(theta) -> tuple[float, float, float, float, float]:
    values = tuple(float(t) for t in theta)
    if len(values) != 5:
        raise PriorFitError(f"prior needs 5 numbers alpha1,beta1,alpha2,beta2,p; got {len(values)}")
    a1, b1, a2, b2, p = values
    # p may reach 0 or 1 when a fit on a handful of pairs degenerates to one component; still a valid prior
    if not all(math.isfinite(v) for v in values) or min(a1, b1, a2, b2) <= 0 or not 0 <= p <= 1:
        raise PriorFitError(f"prior {values}: alpha and beta must be > 0 and 0 <= p <= 1")
    return values


def _log_nbinom_pmf(n, e, alpha, beta, gammaln=special.gammaln):
    """log NB(n; size=alpha, prob=beta/(beta+E)), the marginal of n under one gamma component (DuMouchel eq. 5).

    gammaln: the log-gamma function to use (the posterior passes one that evaluates per distinct n).
    """
    log1p_e_beta = np.log1p(e / beta)
    return (
        gammaln(alpha + n)
        - special.gammaln(alpha)
        - gammaln(n + 1.0)
        - alpha * log1p_e_beta
        + special.xlogy(n, e / (beta + e))
    )


class _Points:
    """The points (n >= 1, E > 0, weight) of the likelihood, with what does not depend on theta computed once.

    The counts n take few distinct values (850 on the 348,355 pairs of FAERS 2023), so gammaln and digamma
    of alpha + n are evaluated per distinct n: the objective then costs a few cheap operations per point.
    """

    def __init__(self, n, e, w):
        self.n, self.e, self.w = (np.asarray(x, dtype=float) for x in (n, e, w))
        self.distinct_n, self.index = np.unique(self.n, return_inverse=True)
        self.log_n_factorial = special.gammaln(self.n + 1.0)
        with np.errstate(divide="ignore"):
            self.log_e = np.log(self.e)
        self.total = float(self.w.sum())

    def __len__(self) -> int:
        return len(self.n)

    def of_n(self, func, alpha):
        """func(alpha + n) for every point, evaluated once per distinct n."""
        return func(alpha + self.distinct_n)[self.index]


def _component_terms(points: _Points, alpha, beta):
    """log of the zero-truncated NB pmf and its derivatives in log(alpha), log(beta).

    log g = log NB(n) - log(1 - NB(0)), NB(0) = (beta/(beta+E))^alpha = exp(-s), s = alpha log(1 + E/beta).
    """
    n, e = points.n, points.e
    log1p_e_beta = np.log1p(e / beta)
    s = alpha * log1p_e_beta  # -log P(n = 0)
    log_g = (points.of_n(special.gammaln, alpha) - special.gammaln(alpha) - points.log_n_factorial - s
             + n * (points.log_e - math.log(beta) - log1p_e_beta) - np.log(-np.expm1(-s)))
    inv_expm1_s = 1.0 / np.expm1(s)
    d_alpha = points.of_n(special.digamma, alpha) - special.digamma(alpha) - log1p_e_beta * (1.0 + inv_expm1_s)
    d_beta = alpha / beta - (alpha + n) / (beta + e) + alpha * e / (beta * (beta + e)) * inv_expm1_s
    return log_g, d_alpha * alpha, d_beta * beta


def neg_log_likelihood(theta, n, e, weight=None) -> float:
    """Zero-truncated negative log marginal likelihood of the two-gamma prior (openEBGM ``negLL``, N* = 1).

    negLL = -sum_i w_i log[P f1(n_i)/(1 - f1(0)) + (1 - P) f2(n_i)/(1 - f2(0))], f_k = NB(alpha_k, beta_k/(beta_k+E_i)).
    Only pairs with n >= 1 belong in it (DuMouchel & Pregibon 2001).
    """
    n = np.asarray(n, dtype=float)
    points = _Points(n, np.asarray(e, dtype=float), _weights(weight, len(n)))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        value, _ = _neg_log_likelihood_and_gradient(_to_free(theta), points)
    return value


def _weights(weight, size):
    return np.ones(size) if weight is None else np.asarray(weight, dtype=float)


def per_distinct(func, x, *args):
    """func(x, *args) evaluated once per distinct value of x (exact: the same inputs give the same bits).

    Many pairs share a count a (and all share N), so special functions of a alone, such as gammaln(alpha + a),
    need a few thousand evaluations instead of millions. Falls back to the plain call when most values differ.
    """
    x = np.asarray(x, dtype=float)
    if x.size < 1024:
        return func(x, *args)
    distinct, inverse = np.unique(x, return_inverse=True)
    if distinct.size > x.size // 4:
        return func(x, *args)
    return func(distinct, *args)[inverse.reshape(x.shape)]


def _to_free(theta):
    a1, b1, a2, b2, p = theta
    p = min(max(p, 1e-300), 1 - 1e-16)  # logit of a boundary p stays finite
    return np.array([math.log(a1), math.log(b1), math.log(a2), math.log(b2), math.log(p / (1 - p))])


def _from_free(x):
    a1, b1, a2, b2 = np.exp(x[:4])
    p = special.expit(x[4])
    return float(a1), float(b1), float(a2), float(b2), float(p)


def _dot(x, y) -> float:
    """sum(x * y) without BLAS: OpenBLAS's ddot wakes its thread pool, which on a busy machine costs ~0.3 ms
    a call (ten times the sum itself on a 20,000-point subsample)."""
    return float(np.einsum("i,i->", x, y))


def _neg_log_likelihood_and_gradient(x, points: _Points):
    """negLL and its gradient in the free parameters (log alpha, log beta, logit P) — analytic, for speed."""
    a1, b1, a2, b2, p = _from_free(x)
    log_p, log_q = special.log_expit(x[4]), special.log_expit(-x[4])  # log P, log(1-P) even when P rounds to 1
    log_g1, da1, db1 = _component_terms(points, a1, b1)
    log_g2, da2, db2 = _component_terms(points, a2, b2)
    # log L_i = log[P g1 + (1-P) g2] = log(1-P) + log g2 - log expit(-diff), diff = log(P g1) - log((1-P) g2)
    diff = log_g1 - log_g2
    diff += log_p - log_q
    w = points.w
    value = -(points.total * log_q + _dot(w, log_g2) - _dot(w, special.log_expit(-diff)))
    if not math.isfinite(value):
        return math.inf, np.zeros(5)
    w1 = w * special.expit(diff)  # weight x share of component 1 in the likelihood of each pair
    w2 = w - w1
    share1 = float(w1.sum())
    grad = -np.array([
        _dot(w1, da1),
        _dot(w1, db1),
        _dot(w2, da2),
        _dot(w2, db2),
        share1 * (1 - p) - (points.total - share1) * p,  # d log L / d logit(P) = (r1/P - r2/(1-P)) * P(1-P)
    ])
    if not np.all(np.isfinite(grad)):
        return math.inf, np.zeros(5)  # parameters ran off to where the terms overflow: reject the step
    return value, grad


# --- data reduction -------------------------------------------------------------------------------


def compress(n, e, weight=None):
    """Merge identical (n, E) points, summing their weights: lossless (the likelihood is a sum over points).

    Returns the distinct points sorted by (n, E), as ``np.unique(axis=0)`` would, but by two stable
    argsorts (``np.unique`` on rows sorts a structured view, ~15x slower at 10 million points); the
    weights of a point are summed in input order, so the result is the same to the last bit.
    """
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    w = _weights(weight, len(n))
    if len(n) == 0:
        return n.copy(), e.copy(), w.copy()
    order = np.argsort(e, kind="stable")
    order = order[np.argsort(n[order], kind="stable")]
    sorted_n, sorted_e = n[order], e[order]
    first = np.empty(len(n), dtype=bool)
    first[0] = True
    np.not_equal(sorted_n[1:], sorted_n[:-1], out=first[1:])
    first[1:] |= sorted_e[1:] != sorted_e[:-1]
    group = np.cumsum(first) - 1
    summed = np.bincount(group, weights=w[order], minlength=int(group[-1]) + 1)
    return sorted_n[first], sorted_e[first], summed


def squash(n, e, weight=None, *, count=1, bin_size=50, keep_pts=100, min_bin=50, min_pts=500):
    """Data squashing as openEBGM 0.9.1 ``squashData`` (DuMouchel & Pregibon 2001), one count at a time.

    Points with n == count are sorted by E; the keep_pts largest E stay as they are (most informative);
    the rest are cut into consecutive bins of bin_size points, each replaced by (count, mean E, weight = bin
    size; the last bin takes the remainder). Other counts pass unchanged. Not done (data returned as is) when
    fewer than min_pts points have this count or fewer than min_bin bins would result.
    Returns (n, e, weight) sorted by n.
    """
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    w = _weights(weight, len(n))
    at_count = n == count
    num_squash = int(at_count.sum()) - keep_pts
    if int(at_count.sum()) < min_pts or math.ceil(max(num_squash, 0) / bin_size) < min_bin:
        return n, e, w
    order = np.argsort(e[at_count], kind="stable")
    e_sorted = e[at_count][order]
    w_sorted = w[at_count][order]
    to_squash, kept_e, kept_w = e_sorted[:num_squash], e_sorted[num_squash:], w_sorted[num_squash:]
    starts = np.arange(0, num_squash, bin_size)
    bin_weight = np.diff(np.append(starts, num_squash)).astype(float)
    bin_mean = np.add.reduceat(to_squash, starts) / bin_weight
    out_n = np.concatenate([n[~at_count], np.full(len(starts) + len(kept_e), float(count))])
    out_e = np.concatenate([e[~at_count], bin_mean, kept_e])
    out_w = np.concatenate([w[~at_count], bin_weight, kept_w])
    order = np.argsort(out_n, kind="stable")
    return out_n[order], out_e[order], out_w[order]


def auto_squash(n, e, *, max_points_per_count=2000, keep_pts=100):
    """Squash every count that has many points so that at most ~max_points_per_count bins remain per count.

    Counts 1, 2, 3, ... are squashed with openEBGM's rule (``squash``), the bin size chosen per count; used
    for FAERS-scale tables (millions of pairs), where the fit would otherwise be slow. The same result as
    calling ``squash`` count after count (points sorted by n, stable), but in one pass: each count's
    points are binned on their own instead of re-sorting all points once per count.
    """
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    order = np.argsort(n, kind="stable")
    n, e = n[order], e[order]
    counts, starts, sizes = np.unique(n, return_index=True, return_counts=True)
    pieces_n, pieces_e, pieces_w = [], [], []
    for count, start, size in zip(counts, starts, sizes, strict=True):
        seg_e = e[start:start + size]
        if size <= max_points_per_count + keep_pts:
            pieces_n.append(n[start:start + size])
            pieces_e.append(seg_e)
            pieces_w.append(np.ones(size))
            continue
        bin_size = max(math.ceil((size - keep_pts) / max_points_per_count), 2)
        sq_n, sq_e, sq_w = squash(np.full(size, count), seg_e, count=count, bin_size=bin_size, keep_pts=keep_pts,
                                  min_bin=1, min_pts=1)
        pieces_n.append(sq_n)
        pieces_e.append(sq_e)
        pieces_w.append(sq_w)
    if not pieces_n:
        return n, e, np.ones(0)
    return np.concatenate(pieces_n), np.concatenate(pieces_e), np.concatenate(pieces_w)


# --- the fit --------------------------------------------------------------------------------------

#: The box the fit keeps theta in (docs/statistics.md, "Bounds"): alpha and beta in [1e-5, 20], P in
#: [0.001, 0.999], the limits of openEBGM 0.9.1's hyperEM (param_lower, param_upper, and its bounds on P).
#: Why a floor: as alpha1 -> 0 the truncated likelihood tends to a finite limit (component 1 becomes a
#: log-series distribution), so it is flat there, while Qn, which is proportional to alpha1 for alpha1 << 1,
#: keeps falling; an unbounded optimiser drifts into that corner (alpha1 = 8.8e-303 on FAERS 2023) and the
#: posterior loses component 1. Why a ceiling: alpha, beta -> infinity at a fixed ratio is a point-mass
#: component, another flat limit (beta = 5e10 on the demo database).
SHAPE_RATE_BOUNDS = (1e-5, 20.0)
P_BOUNDS = (1e-3, 1 - 1e-3)
#: A rise of the profile negLL below this counts as flat: half the 95 % quantile of chi-square(1), the
#: likelihood-ratio interval of one parameter.
FLAT_RISE = 1.92
#: The strongest signals (by EBGM at the fit) whose EBGM range across a flat region the fit record gives.
TOP_SIGNALS = 10
#: A flat direction along which the EBGM of one of those moves by more than this (relative) makes the
#: prior not identifiable: the data then do not decide the values an analyst reads.
FLAT_EBGM_TOLERANCE = 0.05
#: Above this many distinct (n, E) points the data are squashed (auto_squash) before the fit.
SQUASH_ABOVE_POINTS = 500_000
#: Above this many points the starts run on a weighted subsample of this size first, then each is
#: polished on all points.
COARSE_POINTS = 20_000


def _free_bounds() -> list[tuple[float, float]]:
    lo, hi = (math.log(v) for v in SHAPE_RATE_BOUNDS)
    p_lo, p_hi = (math.log(v / (1 - v)) for v in P_BOUNDS)
    return [(lo, hi)] * 4 + [(p_lo, p_hi)]


FREE_BOUNDS = _free_bounds()


@dataclass
class StartResult:
    """One optimisation run from one starting point."""

    start: tuple[float, ...]
    theta: tuple[float, ...]
    neg_log_lik: float
    converged: bool
    iterations: int
    message: str


@dataclass
class PriorFit:
    """A fitted (or given) MGPS prior: theta = (alpha1, beta1, alpha2, beta2, p) and how it was obtained.

    source: "fitted"; "given" (hyperparameters supplied); "fallback" (the fit was not identifiable, see
    note and fitted_theta, and theta is the fallback prior). at_bounds names the parameters the fit left on
    a bound of the box (SHAPE_RATE_BOUNDS, P_BOUNDS); flat describes, for each of those, the profile
    likelihood beyond and inside the bound and the EBGM range of the strongest signals where it is flat.
    """

    theta: tuple[float, float, float, float, float]
    neg_log_lik: float  # on the data as fitted (squashed if squashed)
    converged: bool
    starts_agree: bool
    starts: list[StartResult] = field(default_factory=list)
    n_pairs: int = 0  # pairs with n >= 1 in the likelihood
    n_points: int = 0  # points actually optimised over (after merging duplicates / squashing)
    squashed: bool = False
    neg_log_lik_full: float | None = None  # on all pairs at theta: shows the effect of squashing
    source: str = "fitted"  # "fitted", "given" or "fallback"
    seconds: float = 0.0
    neg_log_lik_spread: float = 0.0  # worst start's optimum minus the best one
    identifiable: bool = True
    note: str = ""  # why the fit is not identifiable, or where it is flat
    fitted_theta: tuple[float, ...] | None = None  # the best fit, when a fallback prior replaced it
    at_bounds: list[str] = field(default_factory=list)  # e.g. ["alpha1 lower"]
    flat: list[dict] = field(default_factory=list)
    bounds: dict = field(default_factory=lambda: {"alpha_beta": list(SHAPE_RATE_BOUNDS), "p": list(P_BOUNDS)})

    def to_dict(self) -> dict:
        out = asdict(self)
        out["theta"] = dict(zip(THETA_NAMES, self.theta, strict=True))
        if self.fitted_theta is not None:
            out["fitted_theta"] = dict(zip(THETA_NAMES, self.fitted_theta, strict=True))
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=True)

    def summary(self) -> str:
        theta = ", ".join(f"{k}={v:.6g}" for k, v in zip(THETA_NAMES, self.theta, strict=True))
        if self.source == "given":
            return f"EBGM prior given: {theta}; negLL on {self.n_pairs} pairs = {self.neg_log_lik_full:.6f}"
        if self.source == "fallback":
            return (f"EBGM prior not identifiable on {self.n_pairs:,} pairs with a>=1 ({self.note}); "
                    f"using the fallback prior {theta} instead (recorded in the fit; give --prior to choose one)")
        agree = "starts agree" if self.starts_agree else "STARTS DISAGREE (best kept)"
        squashed = (f"; squashed to {self.n_points} points, negLL on all pairs {self.neg_log_lik_full:.6f}"
                    if self.squashed else "")
        flat = f"; {self.note}" if self.note else ""
        return (f"EBGM prior fit: {theta}; negLL {self.neg_log_lik:.6f} on {self.n_pairs} pairs with a>=1, "
                f"{len(self.starts)} starts, {agree} (spread {self.neg_log_lik_spread:.2g}), "
                f"converged={self.converged}{squashed}{flat}")


def given_prior(theta, n, e) -> PriorFit:
    """Wrap hyperparameters supplied by the user as a PriorFit, with the negLL they reach on these data."""
    theta = _validate_theta(theta)
    n_pos, e_pos = _positive_counts(n, e)
    value = neg_log_likelihood(theta, n_pos, e_pos) if len(n_pos) else math.nan
    return PriorFit(theta=theta, neg_log_lik=value, converged=True, starts_agree=True, n_pairs=len(n_pos),
                    n_points=len(n_pos), neg_log_lik_full=value, source="given")


def _positive_counts(n, e):
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    keep = n >= 1
    if np.any(keep & ~(e > 0)):
        row = int(np.flatnonzero(keep & ~(e > 0))[0])
        raise PriorFitError(f"row {row}: a = {n[row]:g} >= 1 but expected count E = {e[row]} (must be > 0)")
    return n[keep], e[keep]


def fit_prior(n, e, *, starts=DEFAULT_STARTS, squash_data: bool | None = None,
              agreement_tolerance=AGREEMENT_TOLERANCE, fallback=DUMOUCHEL_1999_PRIOR,
              flat_profile: bool = True) -> PriorFit:
    """Maximum-likelihood fit of the DuMouchel (1999) two-gamma prior on the pairs with n >= 1.

    Minimises the zero-truncated negLL (``neg_log_likelihood``) with L-BFGS-B and the analytic gradient over
    (log alpha1, log beta1, log alpha2, log beta2, logit P) inside the box SHAPE_RATE_BOUNDS / P_BOUNDS, from
    every start (default: the four Canida & Ihrie 2017 starts and the DuMouchel 1999 prior). Identical
    (n, E) points are merged first (lossless). Above COARSE_POINTS points each start runs on a weighted
    subsample first and is then polished on all points by a fresh L-BFGS-B run (no curvature carried over).
    squash_data: None = squash only when more than SQUASH_ABOVE_POINTS distinct points remain
    (``auto_squash``); the fit then reports negLL on the squashed data and on all pairs at the fitted theta.

    Starts agree when their optima lie within agreement_tolerance + 1e-7 negLL of the best. The prior is
    *not identifiable* when they do not, when the best run did not converge, or when P ends on its bound
    (one component, whose partner's alpha and beta the data then do not determine). Then, with a fallback
    prior (default: DuMouchel 1999), that prior is returned as source="fallback" with the reason in note and
    the best fit in fitted_theta; with fallback=None the best fit is kept and a PriorDisagreementWarning
    issued. An alpha or beta on its bound is a flat direction: the fit record's ``flat`` gives the profile
    likelihood along it and the EBGM range of the strongest signals across it (flat_profile=False skips
    this); it makes the prior not identifiable only when that range exceeds FLAT_EBGM_TOLERANCE.
    """
    import time

    started = time.perf_counter()
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    n_pos, e_pos = _positive_counts(n, e)
    if len(n_pos) == 0:
        raise PriorFitError("no pair with a >= 1: the EBGM prior cannot be fitted; give --prior instead")
    distinct = compress(n_pos, e_pos)
    pn, pe, pw = distinct
    if squash_data is None:
        squash_data = len(pn) > SQUASH_ABOVE_POINTS
    if squash_data:
        pn, pe, pw = compress(*auto_squash(n_pos, e_pos))
    points = _Points(pn, pe, pw)
    with _one_blas_thread(), np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        if len(points) > COARSE_POINTS:
            coarse = _Points(*_subsample(pn, pe, pw, COARSE_POINTS))
            results = _polish_all([_fit_from(start, coarse) for start in starts], points)
        else:
            results = [_fit_from(start, points) for start in starts]
    finite = [r for r in results if math.isfinite(r.neg_log_lik)]
    if not finite:
        raise PriorFitError(f"every start of the EBGM prior fit failed: {[r.message for r in results]}")
    best = min(finite, key=lambda r: r.neg_log_lik)
    spread = max(r.neg_log_lik for r in results) - best.neg_log_lik
    # the objective is a sum over pairs: allow rounding that grows with its size
    tolerance = agreement_tolerance + 1e-7 * abs(best.neg_log_lik)
    agree = all(r.converged and r.neg_log_lik - best.neg_log_lik <= tolerance for r in results)
    full_value = neg_log_likelihood(best.theta, n_pos, e_pos) if squash_data else best.neg_log_lik
    fit = PriorFit(theta=best.theta, neg_log_lik=best.neg_log_lik, converged=best.converged, starts_agree=agree,
                   starts=results, n_pairs=len(n_pos), n_points=len(pn), squashed=bool(squash_data),
                   neg_log_lik_full=full_value, neg_log_lik_spread=spread, at_bounds=_at_bounds(best.theta))
    problems = _identifiability_problems(fit, results, tolerance)
    if not problems and fit.at_bounds and flat_profile:
        with _one_blas_thread(), np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
            fit.flat = [_flat_direction(fit, name, points, n, e, distinct) for name in fit.at_bounds]
        fit.note = "; ".join(d["summary"] for d in fit.flat)
        # flat is harmless where it does not move what the analyst reads: the strongest signals' EBGM
        problems = [f"the likelihood is flat along {d['parameter']} (on its {d['bound']} bound {d['value']:.3g}) and "
                    f"the EBGM of the strongest signals moves by up to {100 * d['top_signals_max_relative_change']:.2g} "
                    f"% along it" for d in fit.flat if d["top_signals_max_relative_change"] > FLAT_EBGM_TOLERANCE]
    if problems:
        fit.identifiable = False
        fit.note = "; ".join(problems)
        if fallback is not None:
            fit = _with_fallback(fit, fallback, points, n_pos, e_pos, squash_data)
            warnings.warn(fit.summary(), PriorNotIdentifiableWarning, stacklevel=2)
        else:
            message = (f"EBGM prior fit: {fit.note}; keeping the best {best.neg_log_lik:.6f} at theta "
                       f"{best.theta}. Check the fit or give --prior.")
            warnings.warn(message, PriorDisagreementWarning, stacklevel=2)
    fit.seconds = time.perf_counter() - started
    return fit


@contextlib.contextmanager
def prior_warnings_logged():
    """Inside: the fit's PriorDisagreementWarning / PriorNotIdentifiableWarning become one log line each
    (WARNING), for commands that report the fit themselves; other warnings pass on unchanged."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PriorDisagreementWarning)
        yield
    for w in caught:
        if issubclass(w.category, PriorDisagreementWarning):
            log.warning(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _one_blas_thread():
    """L-BFGS-B makes hundreds of BLAS calls on 5-vectors; each wakes OpenBLAS's thread pool, which on a
    busy machine costs milliseconds (80 % of the wall time of a small fit). One thread is faster."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _identifiability_problems(fit: PriorFit, results: list[StartResult], tolerance: float) -> list[str]:
    """Why the prior is not identifiable (empty when it is), each reason a phrase for the message."""
    problems = []
    stalled = sum(not r.converged for r in results)
    if stalled:
        problems.append(f"{stalled} of its {len(results)} starting points did not converge")
    if not fit.starts_agree and not stalled:
        values = sorted(r.neg_log_lik for r in results)
        optima = 1 + sum(b - a > tolerance for a, b in zip(values, values[1:], strict=False))
        problems.append(f"its {len(results)} starting points reach {optima} different optima, negLL "
                        f"{values[0]:.2f} to {values[-1]:.2f}")
    for name in fit.at_bounds:
        if name.startswith("p "):
            other = 2 if fit.theta[4] > 0.5 else 1
            problems.append(f"P ended on its bound {fit.theta[4]:.4g}: the data support one gamma component, so "
                            f"alpha{other} and beta{other} are not determined")
    return problems


def _with_fallback(fit: PriorFit, fallback, points, n_pos, e_pos, squashed) -> PriorFit:
    """The not-identifiable fit with the fallback prior as theta (its negLL on the same data) and the best fit
    kept as fitted_theta."""
    theta = _validate_theta(fallback)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        value, _ = _neg_log_likelihood_and_gradient(_to_free(theta), points)
    full = neg_log_likelihood(theta, n_pos, e_pos) if squashed else value
    return replace(fit, theta=theta, neg_log_lik=value, neg_log_lik_full=full, source="fallback",
                   fitted_theta=fit.theta)


def _at_bounds(theta, rtol=1e-6) -> list[str]:
    """Names of the parameters on a bound of the box, with the side: ["alpha1 lower", ...]."""
    x = _to_free(theta)
    out = []
    for name, value, (lo, hi) in zip(THETA_NAMES, x, FREE_BOUNDS, strict=True):
        if value <= lo + rtol * max(1.0, abs(lo)):
            out.append(f"{name} lower")
        elif value >= hi - rtol * max(1.0, abs(hi)):
            out.append(f"{name} upper")
    return out


def _flat_direction(fit: PriorFit, at_bound: str, points: _Points, n, e, distinct) -> dict:
    """Profile of the negLL along a parameter the fit left on a bound, and what it does to EBGM.

    The parameter is fixed at values beyond the bound (x 1e-3 or x 1e3: what the bound rules out) and from
    the bound into the box in steps of a factor 10, the others refitted each time (beyond a ceiling the
    partner alpha or beta may follow), until the profile rises by more than FLAT_RISE. Where it is no more
    than FLAT_RISE above the fit (the flat region, and any better point beyond the bound) the EBGM of the
    TOP_SIGNALS strongest signals (distinct (n, E) points by EBGM at the fit, each with its first input row)
    and of every point as fitted is evaluated.
    A bound is *binding* when beyond it the negLL is lower by more than FLAT_RISE (the data want the
    parameter beyond it); that point then counts in the EBGM range too.
    """
    name, side = at_bound.split()
    i = THETA_NAMES.index(name)
    x_fit = _to_free(fit.theta)
    inward = 1.0 if side == "lower" else -1.0
    step = math.log(10)
    lo, hi = FREE_BOUNDS[i]
    profile, flat_thetas = [], [fit.theta]
    x = x_fit.copy()
    for k in range(8):  # k = 0: beyond the bound; k >= 1: into the box
        value = x_fit[i] + inward * (k * step if k else -3 * math.log(10))
        if k > 0 and not lo - 1e-12 <= value <= hi + 1e-12:
            break
        bounds = list(FREE_BOUNDS)
        bounds[i] = (value, value)
        if side == "upper" and i < 4:  # beyond a ceiling, the partner (alpha <-> beta) may follow
            bounds[i ^ 1] = (bounds[i ^ 1][0], max(bounds[i ^ 1][1], value))
        if k == 1:
            x = x_fit.copy()
        if side == "upper" and i < 4:  # toward a point mass: start at the same component mean alpha / beta
            x[i ^ 1] += value - x[i]
        x[i] = value  # from the previous point inside the box: the path is smooth, each refit short
        run = _fit_from(_from_free(x), points, bounds=bounds, tolerance=PROFILE_TOLERANCE)
        x = _to_free(run.theta)
        rise = run.neg_log_lik - fit.neg_log_lik
        profile.append({name: run.theta[i], "neg_log_lik_rise": rise, "inside_bounds": k > 0,
                        "converged": run.converged, "theta": dict(zip(THETA_NAMES, run.theta, strict=True))})
        if rise <= FLAT_RISE:  # as good as the fit, or better (beyond a bound the data press against)
            flat_thetas.append(run.theta)
        elif k > 0:
            break
    dn, de, _ = distinct  # every pair with n >= 1, as distinct (n, E) points
    at_fit = ebgm(fit.theta, dn, de)
    top = np.argsort(-at_fit, kind="stable")[:TOP_SIGNALS]
    rows = [int(np.flatnonzero((n == dn[j]) & (e == de[j]))[0]) for j in top]  # the first input row of each
    top_values = np.array([ebgm(t, dn[top], de[top]) for t in flat_thetas])
    # pairs whose EBGM moves by more than 10 %: counted on the points as fitted (squashed bins stand for
    # their pairs), which at FAERS scale is a tenth of the distinct points
    base = ebgm(fit.theta, points.n, points.e)
    moved = np.zeros(len(points), dtype=bool)
    for t in flat_thetas[1:]:
        moved |= np.abs(ebgm(t, points.n, points.e) / base - 1) > 0.1
    dw = points.w
    top_change = float(np.max(top_values.max(axis=0) / top_values.min(axis=0) - 1))
    flat_values = [p[name] for p in profile if p["neg_log_lik_rise"] <= FLAT_RISE] + [fit.theta[i]]
    pairs_moved = int(dw[moved].sum())
    bound = fit.theta[i]
    beyond = profile[0]
    binding = beyond["neg_log_lik_rise"] < -FLAT_RISE
    where = (f"{name} pressed against its {side} bound {bound:.3g} (at {beyond[name]:.2g} the negLL is "
             f"{-beyond['neg_log_lik_rise']:.4g} lower)" if binding else
             f"{name} on its {side} bound {bound:.3g}, where the likelihood is flat (profile within {FLAT_RISE} "
             f"of the optimum for {name} from {min(flat_values):.2g} to {max(flat_values):.2g})")
    summary = (f"{where}; across that range the EBGM of the {len(top)} strongest signals moves by up to "
               f"{100 * top_change:.2g} % and {pairs_moved:,} of {int(dw.sum()):,} pairs' EBGM by more than 10 %")
    return {
        "parameter": name, "bound": side, "value": bound, "profile": profile, "binding": binding,
        "flat_range": [min(flat_values), max(flat_values)],
        "top_signals": [{"row": rows[k], "a": float(dn[j]), "expected": float(de[j]),
                         "ebgm": float(at_fit[j]), "ebgm_min": float(top_values[:, k].min()),
                         "ebgm_max": float(top_values[:, k].max())} for k, j in enumerate(top)],
        "top_signals_max_relative_change": top_change,
        "pairs_ebgm_moved_over_10pct": pairs_moved,
        "summary": summary,
    }


def _subsample(n, e, w, size, seed=20240501):
    """A reproducible random subsample of points, weights scaled so the negLL keeps the full data's scale."""
    rng = np.random.default_rng(seed)
    # draws with replacement, proportional to weight: each draw stands for total_weight / size pairs
    # (without replacement, numpy's weighted choice is quadratic)
    chosen = rng.choice(len(n), size=size, replace=True, p=w / w.sum())
    return compress(n[chosen], e[chosen], np.full(size, w.sum() / size))


def _polish_all(coarse: list[StartResult], points: _Points, same=1e-4) -> list[StartResult]:
    """Refit on all points from each distinct subsample optimum with a fresh L-BFGS-B run.

    The subsample's curvature is not carried over: along log alpha1 it is far from the full data's, and
    seeding the old BFGS polish with it threw alpha1 to 8.8e-303. Starts whose subsample optima coincide
    (free parameters within `same`) share one polish: from the same point it takes the same path.
    """
    polished: list[tuple[np.ndarray, StartResult]] = []
    out = []
    for run in coarse:
        origin = run.theta if math.isfinite(run.neg_log_lik) else run.start
        x = _to_free(origin)
        shared = next((r for y, r in polished if np.max(np.abs(x - y)) < same), None)
        result = shared if shared is not None else _fit_from(origin, points)
        if shared is None:
            polished.append((x, result))
        out.append(replace(result, start=run.start, iterations=run.iterations + result.iterations))
    return out


#: L-BFGS-B stopping rules (on the per-pair mean negLL): the fit's, and the looser profile refits' (a
#: profile point needs its negLL to ~1e-4 on any table, not to the last bit).
FIT_TOLERANCE = {"ftol": 1e-15, "gtol": 1e-10}
PROFILE_TOLERANCE = {"ftol": 1e-12, "gtol": 1e-6}


def _fit_from(start, points: _Points, bounds=FREE_BOUNDS, tolerance=None) -> StartResult:
    start = _validate_theta(start)
    lower, upper = (np.array(b) for b in zip(*bounds, strict=True))
    x0 = np.clip(_to_free(start), lower, upper)  # a start outside the box begins on its edge
    total = points.total

    def mean_objective(x):
        # per-pair mean: the gradient tolerance then means the same on 17 thousand or 10 million pairs
        value, grad = _neg_log_likelihood_and_gradient(x, points)
        return value / total, grad / total

    try:
        res = optimize.minimize(mean_objective, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": 2000, **(tolerance or FIT_TOLERANCE)})
    except (ValueError, FloatingPointError, OverflowError) as exc:  # a start that wanders off fails alone
        return StartResult(start=start, theta=start, neg_log_lik=math.inf, converged=False, iterations=0,
                           message=f"failed: {exc}")
    theta = _from_free(res.x)
    # L-BFGS-B often stops on a line search that cannot gain more right at the optimum: judge convergence
    # by the projected gradient (zero for a parameter on a bound that pushes outward)
    projected = np.where((res.x <= lower) & (res.jac > 0) | (res.x >= upper) & (res.jac < 0) | (lower == upper),
                         0.0, res.jac)
    converged = bool(math.isfinite(res.fun) and (res.success or np.max(np.abs(projected)) < 1e-6))
    return StartResult(start=start, theta=theta, neg_log_lik=float(res.fun) * total, converged=converged,
                       iterations=int(res.nit), message=str(res.message))


# --- the posterior --------------------------------------------------------------------------------


def posterior_qn(theta, n, e):
    """Qn = P f1(n) / (P f1(n) + (1 - P) f2(n)), posterior weight of component 1 (DuMouchel 1999 eq. 6).

    In log space, Qn = expit(log P + log f1(n) - log(1-P) - log f2(n)): the ratio never under- or overflows,
    and Qn is 0 or 1 only where the true value is within 1e-300 of it.
    """
    a1, b1, a2, b2, p = _validate_theta(theta)
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    with np.errstate(divide="ignore"):
        log1 = np.log(p) + _log_nbinom_pmf(n, e, a1, b1, _distinct_gammaln)
        log2 = np.log1p(-p) + _log_nbinom_pmf(n, e, a2, b2, _distinct_gammaln)
    return special.expit(log1 - log2)


def _distinct_gammaln(x):
    return per_distinct(special.gammaln, x)


def ebgm(theta, n, e, qn=None):
    """EBGM = exp(E[log lambda | n]) = exp(Qn (psi(a1+n) - log(b1+E)) + (1-Qn)(psi(a2+n) - log(b2+E))) (eqs. 9-11)."""
    a1, b1, a2, b2, _ = _validate_theta(theta)
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    qn = posterior_qn(theta, n, e) if qn is None else qn
    psi1, psi2 = per_distinct(special.digamma, a1 + n), per_distinct(special.digamma, a2 + n)
    mean_log = qn * (psi1 - np.log(b1 + e)) + (1 - qn) * (psi2 - np.log(b2 + e))
    return np.exp(mean_log)


def posterior_quantile(theta, n, e, prob, qn=None, *, rtol=1e-12, max_iter=200):
    """x with Qn G(x; a1+n, b1+E) + (1-Qn) G(x; a2+n, b2+E) = prob (G: gamma cdf, rate form); EB05 = prob 0.05.

    Vectorised safeguarded Newton on the mixture cdf (monotone, so the root is unique): it starts at the
    Wilson-Hilferty approximation of the dominant component's quantile, keeps a bracket [lo, hi] from the
    sign of F(x) - prob, and halves (geometrically) whenever a Newton step leaves the bracket. Converges to
    relative rtol (default 1e-12) in a handful of steps; replaces openEBGM's ``quantBisect``.
    """
    a1, b1, a2, b2, _ = _validate_theta(theta)
    n, e = np.broadcast_arrays(np.atleast_1d(np.asarray(n, dtype=float)), np.atleast_1d(np.asarray(e, dtype=float)))
    qn = posterior_qn(theta, n, e) if qn is None else np.broadcast_to(np.asarray(qn, dtype=float), n.shape)
    shape1, rate1, shape2, rate2 = a1 + n, b1 + e, a2 + n, b2 + e
    log_norm1 = shape1 * np.log(rate1) - _distinct_gammaln(shape1)  # log of the gamma pdf's constant
    log_norm2 = shape2 * np.log(rate2) - _distinct_gammaln(shape2)
    first = qn >= 0.5
    x = _wilson_hilferty(np.where(first, shape1, shape2), prob) / np.where(first, rate1, rate2)
    lo = np.zeros_like(x)
    hi = np.full_like(x, np.inf)
    active = np.arange(len(x))
    for _ in range(max_iter):
        if active.size == 0:
            break
        xa, qa = x[active], qn[active]
        s1, r1, s2, r2 = shape1[active], rate1[active], shape2[active], rate2[active]
        cdf = qa * special.gammainc(s1, r1 * xa) + (1 - qa) * special.gammainc(s2, r2 * xa) - prob
        # the mixture density in log space: no 0 * inf when one component's density overflows where Qn = 0
        with np.errstate(divide="ignore"):
            pdf = np.exp(np.logaddexp(np.log(qa) + log_norm1[active] + special.xlogy(s1 - 1, xa) - r1 * xa,
                                      np.log1p(-qa) + log_norm2[active] + special.xlogy(s2 - 1, xa) - r2 * xa))
        lo_a = np.where(cdf < 0, xa, lo[active])
        hi_a = np.where(cdf > 0, xa, hi[active])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = xa - cdf / pdf
        outside = ~((newton > lo_a) & (newton < hi_a)) | ~np.isfinite(newton)
        halfway = np.where(np.isinf(hi_a), 2 * xa, np.where(lo_a > 0, np.sqrt(lo_a * hi_a), 0.5 * hi_a))
        new_x = np.where(outside, halfway, newton)
        # at the root to within the accuracy of gammainc itself (for shapes of thousands the step
        # criterion alone would chase rounding noise); also covers Qn = 1 with x a component quantile
        at_root = np.abs(cdf) <= 1e-14
        new_x = np.where(at_root, xa, new_x)
        lo[active], hi[active], x[active] = lo_a, hi_a, new_x
        done = at_root | (~outside & (np.abs(new_x - xa) <= rtol * new_x)) | (np.isfinite(hi_a) & (hi_a - lo_a <= rtol * hi_a))
        active = active[~done]
    return x


def _wilson_hilferty(shape, prob):
    """Approximate standard gamma quantile (Wilson & Hilferty 1931), a starting point for Newton."""
    z = special.ndtri(prob)
    c = 1.0 / (9.0 * shape)
    return np.maximum(shape * (1 - c + z * np.sqrt(c)) ** 3, 1e-3 * shape)


def posterior(theta, n, e) -> dict[str, np.ndarray]:
    """Qn, EBGM, EB05 and EB95 (5th/95th percentiles of the posterior of lambda) for every pair."""
    qn = posterior_qn(theta, n, e)
    return {
        "qn": qn,
        "ebgm": ebgm(theta, n, e, qn),
        "eb05": posterior_quantile(theta, n, e, 0.05, qn),
        "eb95": posterior_quantile(theta, n, e, 0.95, qn),
    }


# --- counts from report-level data ----------------------------------------------------------------


def report_counts(reports: pl.DataFrame, *, id_col="id", drug_col="var1", event_col="var2",
                  strata: list[str] | None = None) -> pl.DataFrame:
    """a, b, c, d and E for every observed (drug, event) pair, counting distinct report ids (openEBGM ``processRaw``).

    a = reports with drug and event; a+b = reports with the drug; a+c = reports with the event; N = all reports
    (each a count of distinct ids, so a report listing a drug twice counts once). Unstratified
    E = (a+b)(a+c)/N. With strata (e.g. ["sex", "age_band", "year"]), E = sum over strata s of
    (a+b)_s (a+c)_s / N_s (DuMouchel 1999; ``processRaw(stratify=TRUE)``); a, b, c, d stay unstratified
    (PRR and ROR ignore strata, as in openEBGM). Output columns: drug_col, event_col, a, b, c, d, expected.
    """
    missing = [c for c in [id_col, drug_col, event_col, *(strata or [])] if c not in reports.columns]
    if missing:
        raise FaersError(f"report-level input lacks column(s) {missing}; it has {reports.columns}")
    rows = reports.select([id_col, drug_col, event_col, *(strata or [])]).unique()
    total = rows[id_col].n_unique()
    pairs = rows.group_by([drug_col, event_col]).agg(pl.col(id_col).n_unique().alias("a"))
    drug_margin = rows.group_by(drug_col).agg(pl.col(id_col).n_unique().alias("drug_reports"))
    event_margin = rows.group_by(event_col).agg(pl.col(id_col).n_unique().alias("event_reports"))
    out = (
        pairs.join(drug_margin, on=drug_col).join(event_margin, on=event_col)
        .with_columns(
            b=pl.col("drug_reports") - pl.col("a"),
            c=pl.col("event_reports") - pl.col("a"),
            d=pl.lit(total) - pl.col("drug_reports") - pl.col("event_reports") + pl.col("a"),
        )
    )
    if strata:
        stratum_total = rows.group_by(strata).agg(pl.col(id_col).n_unique().alias("n_s"))
        drug_s = rows.group_by([drug_col, *strata]).agg(pl.col(id_col).n_unique().alias("drug_s"))
        event_s = rows.group_by([event_col, *strata]).agg(pl.col(id_col).n_unique().alias("event_s"))
        expected = (
            pairs.select(drug_col, event_col).join(drug_s, on=drug_col).join(event_s, on=[event_col, *strata])
            .join(stratum_total, on=strata)
            .group_by([drug_col, event_col])
            .agg((pl.col("drug_s") * pl.col("event_s") / pl.col("n_s")).sum().alias("expected"))
        )
        out = out.join(expected, on=[drug_col, event_col], how="left")
    else:
        out = out.with_columns(expected=pl.col("drug_reports") * pl.col("event_reports") / pl.lit(total))
    return out.select(drug_col, event_col, "a", "b", "c", "d", "expected").sort(drug_col, event_col)
