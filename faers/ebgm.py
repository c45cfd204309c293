"""Multi-item Gamma Poisson Shrinker (DuMouchel 1999): prior fit, posterior EBGM/EB05/EB95, squashing, stratified E.

Notation as everywhere in faers: for a drug-event pair, ``n`` is the observed count (cell ``a``) and ``e`` the
expected count E. The prior for the true ratio lambda = mu/E is the two-gamma mixture

    pi(lambda) = P * Gamma(lambda; alpha1, beta1) + (1 - P) * Gamma(lambda; alpha2, beta2)      (rate form)

so the marginal of n is a mixture of negative binomials, NB(n; size=alpha, prob=beta/(beta+E))
(DuMouchel 1999, Am Stat 53:177, eqs. 5-12). The prior is fitted by maximum likelihood on the pairs with
n >= 1, with the zero-truncated likelihood of DuMouchel & Pregibon (2001, KDD '01) exactly as openEBGM's
``negLL``/``negLLsquash`` write it (each component truncated separately, P mixing the truncated components),
so negLL values are comparable with openEBGM's (4162.4557 on its ``caers`` data).
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import asdict, dataclass, field

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


def _component_terms(n, e, alpha, beta):
    """log of the zero-truncated NB pmf and its derivatives in log(alpha), log(beta)."""
    log1p_e_beta = np.log1p(e / beta)
    s = alpha * log1p_e_beta  # -log P(n = 0)
    one_minus_f0 = -np.expm1(-s)
    log_g = _log_nbinom_pmf(n, e, alpha, beta) - np.log(one_minus_f0)
    inv_expm1_s = 1.0 / np.expm1(s)
    d_alpha = special.digamma(alpha + n) - special.digamma(alpha) - log1p_e_beta * (1.0 + inv_expm1_s)
    d_beta = alpha / beta - (alpha + n) / (beta + e) + alpha * e / (beta * (beta + e)) * inv_expm1_s
    return log_g, d_alpha * alpha, d_beta * beta


def neg_log_likelihood(theta, n, e, weight=None) -> float:
    """Zero-truncated negative log marginal likelihood of the two-gamma prior (openEBGM ``negLL``, N* = 1).

    negLL = -sum_i w_i log[P f1(n_i)/(1 - f1(0)) + (1 - P) f2(n_i)/(1 - f2(0))], f_k = NB(alpha_k, beta_k/(beta_k+E_i)).
    Only pairs with n >= 1 belong in it (DuMouchel & Pregibon 2001).
    """
    value, _ = _neg_log_likelihood_and_gradient(_to_free(theta), np.asarray(n, float), np.asarray(e, float),
                                                _weights(weight, len(np.asarray(n))))
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


def _neg_log_likelihood_and_gradient(x, n, e, w):
    """negLL and its gradient in the free parameters (log alpha, log beta, logit P) — analytic, for speed."""
    a1, b1, a2, b2, p = _from_free(x)
    log_p, log_q = special.log_expit(x[4]), special.log_expit(-x[4])  # log P, log(1-P) even when P rounds to 1
    log_g1, da1, db1 = _component_terms(n, e, a1, b1)
    log_g2, da2, db2 = _component_terms(n, e, a2, b2)
    log_l = np.logaddexp(log_p + log_g1, log_q + log_g2)
    r1 = np.exp(log_p + log_g1 - log_l)  # share of component 1 in the likelihood of each pair
    r2 = 1.0 - r1
    value = -float(np.dot(w, log_l))
    if not math.isfinite(value):
        return math.inf, np.zeros(5)
    grad = -np.array([
        np.dot(w, r1 * da1),
        np.dot(w, r1 * db1),
        np.dot(w, r2 * da2),
        np.dot(w, r2 * db2),
        np.dot(w, r1 * (1 - p) - r2 * p),  # d log L / d logit(P) = (r1/P - r2/(1-P)) * P(1-P)
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
    """A fitted (or given) MGPS prior: theta = (alpha1, beta1, alpha2, beta2, p) and how it was obtained."""

    theta: tuple[float, float, float, float, float]
    neg_log_lik: float  # on the data as fitted (squashed if squashed)
    converged: bool
    starts_agree: bool
    starts: list[StartResult] = field(default_factory=list)
    n_pairs: int = 0  # pairs with n >= 1 in the likelihood
    n_points: int = 0  # points actually optimised over (after merging duplicates / squashing)
    squashed: bool = False
    neg_log_lik_full: float | None = None  # on all pairs at theta: shows the effect of squashing
    source: str = "fitted"  # "fitted" or "given"
    seconds: float = 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        out["theta"] = dict(zip(THETA_NAMES, self.theta, strict=True))
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=True)

    def summary(self) -> str:
        theta = ", ".join(f"{k}={v:.6g}" for k, v in zip(THETA_NAMES, self.theta, strict=True))
        if self.source == "given":
            return f"EBGM prior given: {theta}; negLL on {self.n_pairs} pairs = {self.neg_log_lik_full:.6f}"
        agree = "starts agree" if self.starts_agree else "STARTS DISAGREE (best kept)"
        squashed = (f"; squashed to {self.n_points} points, negLL on all pairs {self.neg_log_lik_full:.6f}"
                    if self.squashed else "")
        return (f"EBGM prior fit: {theta}; negLL {self.neg_log_lik:.6f} on {self.n_pairs} pairs with a>=1, "
                f"{len(self.starts)} starts, {agree}, converged={self.converged}{squashed}")


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
              agreement_tolerance=AGREEMENT_TOLERANCE) -> PriorFit:
    """Maximum-likelihood fit of the DuMouchel (1999) two-gamma prior on the pairs with n >= 1.

    Minimises the zero-truncated negLL (``neg_log_likelihood``) with BFGS and the analytic gradient over
    (log alpha1, log beta1, log alpha2, log beta2, logit P) from every start (default: the four Canida &
    Ihrie 2017 starts and the DuMouchel 1999 prior). Identical (n, E) points are merged first (lossless).
    squash_data: None = squash only when more than 200,000 distinct points remain (``auto_squash``);
    the fit then reports negLL on the squashed data and on all pairs at the fitted theta.
    When the starts' optima differ by more than agreement_tolerance, a PriorDisagreementWarning is issued,
    the fit is flagged (starts_agree=False) and the best optimum is kept.
    """
    import time

    started = time.perf_counter()
    n_pos, e_pos = _positive_counts(n, e)
    if len(n_pos) == 0:
        raise PriorFitError("no pair with a >= 1: the EBGM prior cannot be fitted; give --prior instead")
    pn, pe, pw = compress(n_pos, e_pos)
    if squash_data is None:
        squash_data = len(pn) > 200_000
    if squash_data:
        pn, pe, pw = auto_squash(n_pos, e_pos)
        pn, pe, pw = compress(pn, pe, pw)
    # Many points: run the starts on a weighted random subsample (fast), then polish the best on all points.
    coarse = _subsample(pn, pe, pw, COARSE_POINTS) if len(pn) > COARSE_POINTS else (pn, pe, pw)
    results = [_fit_from(start, *coarse) for start in starts]
    finite = [r for r in results if math.isfinite(r.neg_log_lik)]
    if not finite:
        raise PriorFitError(f"every start of the EBGM prior fit failed: {[r.message for r in results]}")
    best = min(finite, key=lambda r: r.neg_log_lik)
    # the objective is a sum over pairs: allow rounding that grows with its size
    tolerance = agreement_tolerance + 1e-7 * abs(best.neg_log_lik)
    agree = all(r.converged and r.neg_log_lik - best.neg_log_lik <= tolerance for r in results)
    if len(pn) > COARSE_POINTS:
        best = _polish(best, pn, pe, pw)
        results.append(best)
    if not agree:
        spread = ", ".join(f"{r.neg_log_lik:.4f}{'' if r.converged else ' (not converged)'}" for r in results)
        message = (f"EBGM prior fit: starting points disagree (negLL {spread}); keeping the best "
                   f"{best.neg_log_lik:.6f} at theta {best.theta}. Check the fit or give --prior.")
        log.warning(message)
        warnings.warn(message, PriorDisagreementWarning, stacklevel=2)
    fitted_value = best.neg_log_lik
    full_value = neg_log_likelihood(best.theta, n_pos, e_pos) if squash_data else fitted_value
    return PriorFit(theta=best.theta, neg_log_lik=fitted_value, converged=best.converged, starts_agree=agree,
                    starts=results, n_pairs=len(n_pos), n_points=len(pn), squashed=bool(squash_data),
                    neg_log_lik_full=full_value, seconds=time.perf_counter() - started)


#: Above this many distinct points the starts run on a weighted subsample of this size before the polish.
COARSE_POINTS = 20_000


def _subsample(n, e, w, size, seed=20240501):
    """A reproducible random subsample of points, weights scaled so the negLL keeps the full data's scale."""
    rng = np.random.default_rng(seed)
    # draws with replacement, proportional to weight: each draw stands for total_weight / size pairs
    # (without replacement, numpy's weighted choice is quadratic)
    chosen = rng.choice(len(n), size=size, replace=True, p=w / w.sum())
    return compress(n[chosen], e[chosen], np.full(size, w.sum() / size))


def _polish(coarse_best: StartResult, n, e, w) -> StartResult:
    """Refit on all points from the subsample optimum, reusing its curvature when that is positive definite."""
    hess_inv = getattr(coarse_best, "_hess_inv", None)
    if hess_inv is not None:
        hess_inv = (hess_inv + hess_inv.T) / 2
        if not np.all(np.linalg.eigvalsh(hess_inv) > 0):
            hess_inv = None
    polished = _fit_from(coarse_best.theta, n, e, w, hess_inv0=hess_inv)
    if not math.isfinite(polished.neg_log_lik) and hess_inv is not None:
        polished = _fit_from(coarse_best.theta, n, e, w)
    return polished


def _fit_from(start, n, e, w, hess_inv0=None) -> StartResult:
    start = _validate_theta(start)
    x0 = _to_free(start)
    total = float(w.sum())

    def mean_objective(x):
        # per-pair mean: the gradient tolerance then means the same on 17 thousand or 10 million pairs
        value, grad = _neg_log_likelihood_and_gradient(x, n, e, w)
        return value / total, grad / total

    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
            options = {"gtol": 1e-8, "maxiter": 1000}
            if hess_inv0 is not None:  # curvature from the subsample fit: the polish needs few steps
                options["hess_inv0"] = hess_inv0
            res = optimize.minimize(mean_objective, x0, jac=True, method="BFGS", options=options)
    except (ValueError, FloatingPointError, OverflowError) as exc:  # a start that wanders off fails alone
        return StartResult(start=start, theta=start, neg_log_lik=math.inf, converged=False, iterations=0,
                           message=f"failed: {exc}")
    theta = _from_free(res.x)
    # BFGS often stops on "precision loss" right at the optimum; judge convergence by the gradient.
    converged = bool(res.success or np.max(np.abs(res.jac)) < 1e-6)
    result = StartResult(start=start, theta=theta, neg_log_lik=float(res.fun) * total, converged=converged,
                         iterations=int(res.nit), message=str(res.message))
    result._hess_inv = res.hess_inv  # not a field: kept out of to_dict/JSON
    return result


# --- the posterior --------------------------------------------------------------------------------


def posterior_qn(theta, n, e):
    """Qn = P f1(n) / (P f1(n) + (1 - P) f2(n)), posterior weight of component 1 (DuMouchel 1999 eq. 6)."""
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
        pdf = (qa * np.exp(log_norm1[active] + special.xlogy(s1 - 1, xa) - r1 * xa)
               + (1 - qa) * np.exp(log_norm2[active] + special.xlogy(s2 - 1, xa) - r2 * xa))
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
