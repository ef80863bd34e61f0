"""Gaussian log-densities for four covariance types, the mixture density in log space, and sampling."""

import numbers

import numpy as np
from scipy.special import logsumexp

__all__ = ['COVARIANCE_TYPES', 'check_random_state', 'check_covariance_type', 'compute_precision_cholesky',
           'precision_cholesky_from_precisions', 'covariances_from_precision_cholesky', 'log_det_cholesky',
           'QUADRATIC_MAX_FEATURES', 'quadratic_features', 'gaussian_log_prob', 'mixture_log_density', 'sample_gaussian_mixture']

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def check_random_state(random_state=None):
    """Turn `random_state` (None, an int, a `numpy.random.Generator` or a legacy
    `numpy.random.RandomState`) into a `numpy.random.Generator`."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # draw a seed from the legacy generator: reproducible, and it advances like scikit-learn's
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer; got {random_state}")
        return np.random.default_rng(int(random_state))
    raise TypeError("random_state must be None, an int, a numpy.random.Generator or a "
                    f"numpy.random.RandomState; got {type(random_state).__name__}")


def check_covariance_type(covariance_type):
    "Return `covariance_type` if it is one of `COVARIANCE_TYPES`, else raise a `ValueError`."
    if not isinstance(covariance_type, str) or covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}; got {covariance_type!r}")
    return covariance_type


_ILL_DEFINED = ("Fitting the mixture model failed because some components have ill-defined empirical "
                "covariance (for instance caused by singleton or collapsed samples). Try to decrease "
                "the number of components, increase reg_covar, or scale the input data.")


def compute_precision_cholesky(covariances, covariance_type):
    """Cholesky factor U of each precision matrix, Sigma^-1 = U U^T with U upper triangular.

    covariances: full (k, d, d), tied (d, d), diag (k, d), spherical (k,).
    Returns an array of the same shape. With Sigma = L L^T (L lower), U = L^-T."""
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type in ("full", "tied"):
        try:
            lower = np.linalg.cholesky(covariances)          # batched over the leading axis
        except np.linalg.LinAlgError:
            raise ValueError(_ILL_DEFINED) from None
        return np.swapaxes(np.linalg.inv(lower), -1, -2)
    if np.any(covariances <= 0.0) or not np.all(np.isfinite(covariances)):
        raise ValueError(_ILL_DEFINED)
    return 1.0 / np.sqrt(covariances)


def precision_cholesky_from_precisions(precisions, covariance_type):
    """U upper triangular with precision = U U^T, computed from the precision matrices themselves.

    Reversing rows and columns (J P J, J the exchange matrix) turns the lower Cholesky factor of
    J P J into an upper factor of P: P = (J L J)(J L J)^T."""
    precisions = np.asarray(precisions, dtype=float)
    if covariance_type in ("full", "tied"):
        flipped = precisions[..., ::-1, ::-1]
        try:
            lower = np.linalg.cholesky(flipped)
        except np.linalg.LinAlgError:
            raise ValueError("precisions must be symmetric positive definite") from None
        return np.ascontiguousarray(lower[..., ::-1, ::-1])
    return np.sqrt(precisions)


def covariances_from_precision_cholesky(precisions_cholesky, covariance_type):
    """Sigma = (U U^T)^-1 = U^-T U^-1, the inverse of `compute_precision_cholesky`."""
    precisions_cholesky = np.asarray(precisions_cholesky, dtype=float)
    if covariance_type in ("full", "tied"):
        inverse = np.linalg.inv(precisions_cholesky)
        return np.swapaxes(inverse, -1, -2) @ inverse
    return 1.0 / precisions_cholesky ** 2


def log_det_cholesky(precisions_cholesky, covariance_type, n_features):
    """log det(U) = -1/2 log det(Sigma) for each component: (k,) or a scalar for tied."""
    if covariance_type in ("full", "tied"):
        return np.log(np.diagonal(precisions_cholesky, axis1=-2, axis2=-1)).sum(axis=-1)
    if covariance_type == "diag":
        return np.log(precisions_cholesky).sum(axis=1)
    return n_features * np.log(precisions_cholesky)


def _chunk_rows(n_samples, width, budget=1 << 18):
    "Row-chunk size so that a (rows, width) float64 temporary stays near `budget` elements (2 MB)."
    return int(max(256, min(n_samples, budget // max(width, 1))))


# Up to this many features, full-covariance Mahalanobis terms use quadratic features (see below).
QUADRATIC_MAX_FEATURES = 24


def quadratic_features(centred):
    """The d(d+1)/2 products x_i x_j (i <= j) of each row, shape (n, d(d+1)/2)."""
    rows, cols = np.triu_indices(centred.shape[1])
    return centred[:, rows] * centred[:, cols]


def _quadratic_coefficients(precisions, centred_means):
    """Write (x - m)^T P (x - m) = q(x) . a + x . b + c for every component at once.

    precisions (k, d, d), centred_means (k, d) -> a (k, d(d+1)/2), b (k, d), c (k,). Off-diagonal
    entries are doubled because q(x) holds each product x_i x_j (i < j) once."""
    k, d = centred_means.shape
    rows, cols = np.triu_indices(d)
    a = precisions[:, rows, cols] * np.where(rows == cols, 1.0, 2.0)
    projected = np.einsum("kij,kj->ki", precisions, centred_means)       # P_k m_k
    return a, -2.0 * projected, np.einsum("ki,ki->k", centred_means, projected)


def gaussian_log_prob(X, means, precisions_cholesky, covariance_type="full", out=None):
    """log N(x_i | mu_k, Sigma_k) for every sample i and component k, shape (n, k).

    log N = -d/2 log(2 pi) + log det U_k - 1/2 ||(x_i - mu_k)^T U_k||^2,  with Sigma_k^-1 = U_k U_k^T.

    Vectorized over samples and components, in row chunks so temporaries stay small; every term of
    every component comes out of a GEMM, written straight into a (k, n) array (the result is its
    transpose, so reductions over components later run along contiguous memory). X and the means are
    first shifted by the mean of the means, so data far from the origin keep their digits.
    Full covariance: for d <= QUADRATIC_MAX_FEATURES the quadratic form is expanded over quadratic
    features (one GEMM of width d(d+1)/2 + d); above, all k projections come from one GEMM
    X @ [U_1 ... U_k]. `out`, if given, is an (n, k) float64 array to fill (fastest F-ordered)."""
    X = np.asarray(X, dtype=float)
    means = np.asarray(means, dtype=float)
    precisions_cholesky = np.asarray(precisions_cholesky, dtype=float)
    n, d = X.shape
    k = means.shape[0]
    out_by_component = np.empty((k, n)) if out is None else out.T             # (k, n)
    shift = means.mean(axis=0)
    centred_means = means - shift
    constant = -0.5 * d * np.log(2 * np.pi) + log_det_cholesky(precisions_cholesky, covariance_type, d)
    stacked = None
    if covariance_type == "full" and d <= QUADRATIC_MAX_FEATURES:
        precisions = precisions_cholesky @ np.swapaxes(precisions_cholesky, 1, 2)
        a, b, c = _quadratic_coefficients(precisions, centred_means)
        coefficients = np.ascontiguousarray(np.hstack([a, b]))                 # (k, q + d)
        width = a.shape[1] + d
    elif covariance_type == "full":
        # [U_1 ... U_k] as one (d, k*d) matrix and the projected means mu_k^T U_k as (k*d,)
        stacked = np.ascontiguousarray(np.transpose(precisions_cholesky, (1, 0, 2)).reshape(d, k * d))
        projected_means = np.einsum("kd,kde->ke", centred_means, precisions_cholesky).reshape(k * d)
        width = k * d
    elif covariance_type == "tied":
        projected_means = centred_means @ precisions_cholesky                 # (k, d)
        c = np.sum(projected_means ** 2, axis=1)
        coefficients = -2.0 * projected_means
        width = d
    else:
        if covariance_type == "diag":
            precisions = precisions_cholesky ** 2                             # (k, d)
        else:
            precisions = np.repeat(precisions_cholesky[:, None] ** 2, d, axis=1)
        weighted_means = centred_means * precisions
        c = np.sum(centred_means * weighted_means, axis=1)
        coefficients = np.ascontiguousarray(np.hstack([precisions, -2.0 * weighted_means]))  # (k, 2d)
        width = 2 * d
    rows = _chunk_rows(n, width)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        centred = X[start:stop] - shift
        block = out_by_component[:, start:stop]                               # (k, rows)
        if stacked is not None:
            y = centred @ stacked
            y -= projected_means
            np.square(y, out=y)
            block[:] = y.reshape(stop - start, k, d).sum(axis=2).T
        elif covariance_type == "full":
            features = np.hstack([quadratic_features(centred), centred])
            np.matmul(coefficients, features.T, out=block)
        elif covariance_type == "tied":
            y = centred @ precisions_cholesky
            np.matmul(coefficients, y.T, out=block)
            block += np.einsum("ij,ij->i", y, y)
        else:
            features = np.hstack([np.square(centred), centred])
            np.matmul(coefficients, features.T, out=block)
        if stacked is None:
            block += c[:, None]
    np.maximum(out_by_component, 0.0, out=out_by_component)    # squared distances are >= 0
    out_by_component *= -0.5
    out_by_component += np.reshape(constant, (-1, 1))
    return out_by_component.T


def mixture_log_density(log_prob, weights):
    """log p(x_i) = logsumexp_k (log pi_k + log p_k(x_i)), shape (n,).

    log_prob: (n, k) component log-densities; weights: (k,) mixing weights summing to one."""
    with np.errstate(divide="ignore"):          # a zero weight is a component that never fires
        log_weights = np.log(np.asarray(weights, dtype=float))
    return logsumexp(np.asarray(log_prob, dtype=float) + log_weights, axis=1)


def sample_gaussian_mixture(n_samples, weights, means, covariances, covariance_type="full",
                            random_state=None):
    """Ancestral sampling: z_i ~ Categorical(pi), x_i | z_i = k ~ N(mu_k, Sigma_k).

    Returns `(X, labels)` with X (n_samples, d) and labels (n_samples,), in the order drawn.
    Vectorized over samples; a loop over components applies each Cholesky factor to its own rows."""
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}")
    rng = check_random_state(random_state)
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    k, d = means.shape
    labels = rng.choice(k, size=n_samples, p=weights / weights.sum())
    X = rng.standard_normal((n_samples, d))
    if covariance_type in ("full", "tied"):
        factors = np.linalg.cholesky(np.asarray(covariances, dtype=float))
        if covariance_type == "tied":
            X = X @ factors.T
        else:
            for component in range(k):
                rows = labels == component
                X[rows] = X[rows] @ factors[component].T
    else:
        scales = np.sqrt(np.asarray(covariances, dtype=float))               # (k, d) or (k,)
        X *= scales[labels] if covariance_type == "diag" else scales[labels][:, None]
    X += means[labels]
    return X, labels
