"""GaussianMixture: the closed-form M-step for four covariance types, on the one EM engine."""

import numpy as np

from mixlearn.densities import (QUADRATIC_MAX_FEATURES, check_covariance_type, compute_precision_cholesky,
                                covariances_from_precision_cholesky, gaussian_log_prob,
                                precision_cholesky_from_precisions, quadratic_features,
                                sample_gaussian_mixture)
from mixlearn.em import BaseMixture, NotFittedError, check_real

__all__ = ['gaussian_statistics', 'gaussian_parameters', 'GaussianMixture']


def gaussian_statistics(X, resp, covariance_type, shift=None):
    """Responsibility-weighted sufficient statistics of the rows of X about a fixed point c (`shift`).

    N_k = sum_i r_ik,  S1_k = sum_i r_ik (x_i - c), and the second moments
    full: S2_k = sum_i r_ik (x_i - c)(x_i - c)^T (k, d, d); tied: sum_i (sum_k r_ik)(x_i - c)(x_i - c)^T
    (d, d); diag: sum_i r_ik (x_i - c)^2 (k, d); spherical: sum_i r_ik ||x_i - c||^2 (k,).
    Sums over rows, so statistics of blocks add up. c defaults to the column mean of X: centring keeps
    the digits that E[x x^T] - mu mu^T loses when |mu| >> sigma. Every sum is a GEMM of the (k, n)
    responsibilities with features of the centred rows (for full covariance at small d, the
    quadratic features x_i x_j, i <= j), in row chunks."""
    X = np.asarray(X, dtype=float)
    resp_by_component = np.ascontiguousarray(np.asarray(resp, dtype=float).T)      # (k, n)
    n, d = X.shape
    k = resp_by_component.shape[0]
    shift = X.mean(axis=0) if shift is None else np.asarray(shift, dtype=float)
    counts = resp_by_component.sum(axis=1)
    quadratic = covariance_type == "full" and d <= QUADRATIC_MAX_FEATURES
    width = {"full": d * (d + 1) // 2 if quadratic else k * d, "tied": d, "diag": d, "spherical": 1}
    sums = np.zeros((k, d))
    second = np.zeros({"full": (k, d * (d + 1) // 2) if quadratic else (k, d, d), "tied": (d, d),
                       "diag": (k, d), "spherical": (k,)}[covariance_type])
    rows = int(max(256, min(n, (1 << 18) // (width[covariance_type] + d))))
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        centred = X[start:stop] - shift
        r = resp_by_component[:, start:stop]                                 # (k, rows)
        sums += r @ centred
        if quadratic:
            second += r @ quadratic_features(centred)
        elif covariance_type == "full":
            # k weighted scatter matrices in one batched GEMM: (r_k * xc)^T @ xc
            second += np.matmul(np.swapaxes(r[:, :, None] * centred, 1, 2), centred)
        elif covariance_type == "tied":
            second += (centred * r.sum(axis=0)[:, None]).T @ centred
        elif covariance_type == "diag":
            second += r @ np.square(centred)
        else:
            second += r @ np.einsum("ij,ij->i", centred, centred)
    if quadratic:                                      # unpack the products x_i x_j, i <= j
        packed, second = second, np.empty((k, d, d))
        upper_rows, upper_cols = np.triu_indices(d)
        second[:, upper_rows, upper_cols] = packed
        second[:, upper_cols, upper_rows] = packed
    return {"counts": counts, "sums": sums, "second": second, "shift": shift}


def gaussian_parameters(statistics, covariance_type, reg_covar=1e-6):
    """M-step from sufficient statistics: (weights (k,), means (k, d), covariances).

    pi_k = N_k / N,  mu_k = c + S1_k / N_k,  Sigma_k = S2_k / N_k - m_k m_k^T + reg_covar I
    with m_k = S1_k / N_k (Bishop PRML 9.24-9.26). N_k is floored at 10 machine epsilons so an empty
    component gives finite numbers, and `reg_covar` keeps every covariance positive definite."""
    counts = statistics["counts"] + 10 * np.finfo(float).eps
    centred_means = statistics["sums"] / counts[:, None]
    second = statistics["second"]
    k, d = centred_means.shape
    weights = counts / counts.sum()
    means = statistics["shift"] + centred_means
    if covariance_type == "full":
        covariances = second / counts[:, None, None] - centred_means[:, :, None] * centred_means[:, None, :]
        covariances = 0.5 * (covariances + np.swapaxes(covariances, 1, 2))   # exact symmetry
        covariances[:, np.arange(d), np.arange(d)] += reg_covar
    elif covariance_type == "tied":
        covariances = (second - (centred_means.T * counts) @ centred_means) / counts.sum()
        covariances = 0.5 * (covariances + covariances.T)
        covariances[np.arange(d), np.arange(d)] += reg_covar
    elif covariance_type == "diag":
        covariances = np.maximum(second / counts[:, None] - centred_means ** 2, 0.0) + reg_covar
    else:
        spread = second / counts - np.sum(centred_means ** 2, axis=1)
        covariances = np.maximum(spread / d, 0.0) + reg_covar
    return weights, means, covariances


class GaussianMixture(BaseMixture):
    """A mixture of k Gaussians fitted by EM: p(x) = sum_k pi_k N(x | mu_k, Sigma_k).

    Parameters and attributes follow scikit-learn's `GaussianMixture`. After `fit`: `weights_` (k,),
    `means_` (k, d), `covariances_`, `precisions_`, `precisions_cholesky_` (full (k, d, d), tied (d, d),
    diag (k, d), spherical (k,)), `converged_`, `n_iter_`, `lower_bound_`, `lower_bounds_`,
    `n_features_in_`."""

    _parameter_names = ("weights_", "means_", "covariances_", "precisions_cholesky_")

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, random_state=None, warm_start=False, verbose=0,
                 verbose_interval=10):
        super().__init__(n_components, tol=tol, max_iter=max_iter, n_init=n_init,
                         init_params=init_params, random_state=random_state, warm_start=warm_start,
                         verbose=verbose, verbose_interval=verbose_interval)
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init

    def _check_parameters(self, X):
        check_covariance_type(self.covariance_type)
        check_real("reg_covar", self.reg_covar, 0.0)
        k, d = self.n_components, X.shape[1]
        if self.weights_init is not None:
            weights = _check_init_array("weights_init", self.weights_init, (k,))
            if (weights < 0).any() or (weights > 1).any():
                raise ValueError(f"weights_init must lie in [0, 1]; got min {weights.min():.4g}, "
                                 f"max {weights.max():.4g}")
            if not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-6):
                raise ValueError(f"weights_init must sum to 1; got sum {weights.sum():.6g}")
        if self.means_init is not None:
            _check_init_array("means_init", self.means_init, (k, d))
        if self.precisions_init is not None:
            shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
            precisions = _check_init_array("precisions_init", self.precisions_init,
                                           shape[self.covariance_type])
            if self.covariance_type in ("full", "tied"):
                if not np.allclose(precisions, np.swapaxes(precisions, -1, -2)):
                    raise ValueError(f"precisions_init must be symmetric ({self.covariance_type})")
                if (np.linalg.eigvalsh(precisions) <= 0).any():
                    raise ValueError(f"precisions_init must be positive definite ({self.covariance_type})")
            elif (precisions <= 0).any():
                raise ValueError(f"precisions_init must be positive ({self.covariance_type}); "
                                 f"got min {precisions.min():.4g}")

    def _needs_initial_responsibilities(self):
        return self.weights_init is None or self.means_init is None or self.precisions_init is None

    def _initialize(self, X, resp):
        "First parameters: one M-step from `resp`, then any user-given `*_init` replaces its part."
        if resp is not None:
            statistics = gaussian_statistics(X, resp, self.covariance_type)
            weights, means, covariances = gaussian_parameters(statistics, self.covariance_type,
                                                              self.reg_covar)
        self.weights_ = weights if self.weights_init is None else np.array(self.weights_init, dtype=float)
        self.means_ = means if self.means_init is None else np.array(self.means_init, dtype=float)
        if self.precisions_init is None:
            self.covariances_ = covariances
            self.precisions_cholesky_ = compute_precision_cholesky(covariances, self.covariance_type)
        else:
            self.precisions_cholesky_ = precision_cholesky_from_precisions(self.precisions_init,
                                                                           self.covariance_type)
            self.covariances_ = covariances_from_precision_cholesky(self.precisions_cholesky_,
                                                                    self.covariance_type)

    def _m_step(self, X, resp):
        statistics = gaussian_statistics(X, resp, self.covariance_type)
        self.weights_, self.means_, self.covariances_ = gaussian_parameters(
            statistics, self.covariance_type, self.reg_covar)
        self.precisions_cholesky_ = compute_precision_cholesky(self.covariances_, self.covariance_type)

    def _log_prob(self, X, out=None):
        return gaussian_log_prob(X, self.means_, self.precisions_cholesky_, self.covariance_type, out=out)

    def _n_parameters(self):
        "Free parameters: k - 1 weights, k d means and the covariance entries of the chosen type."
        k, d = self.means_.shape
        covariance = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2,
                      "diag": k * d, "spherical": k}[self.covariance_type]
        return int(covariance + k * d + k - 1)

    def _sample(self, n_samples, rng):
        return sample_gaussian_mixture(n_samples, self.weights_, self.means_, self.covariances_,
                                       self.covariance_type, rng)

    @property
    def precisions_(self):
        "Precision matrices Sigma^-1 = U U^T, in the shape of `covariances_`."
        if not hasattr(self, "precisions_cholesky_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet.")
        U = self.precisions_cholesky_
        if self.covariance_type in ("full", "tied"):
            return U @ np.swapaxes(U, -1, -2)
        return U ** 2


def _check_init_array(name, value, shape):
    "A user-given initial parameter as a finite float array of the expected shape."
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
    array = array.astype(float)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must contain only finite numbers; got {int((~np.isfinite(array)).sum())} "
                         "non-finite value(s)")
    return array
