"""The one EM engine: validation, initialisation, the E-step, the loop, restarts and scoring."""

import inspect
import numbers
import sys
import warnings

import numpy as np
from scipy.cluster.vq import kmeans2

from mixlearn.densities import check_random_state

__all__ = ['ConvergenceWarning', 'NotFittedError', 'INIT_PARAMS', 'check_array', 'check_sample_weight',
           'check_integer', 'check_real', 'log_softmax_responsibilities', 'kmeans_plusplus',
           'initial_responsibilities', 'BaseMixture']


class ConvergenceWarning(UserWarning):
    "EM stopped at `max_iter` before the bound changed by less than `tol`."


class NotFittedError(ValueError, AttributeError):
    "A method that needs fitted parameters was called before `fit`."


INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


def _describe(array):
    "A short description of what was got: shape, dtype and counts of non-finite values."
    parts = [f"shape {array.shape}", f"dtype {array.dtype}"]
    if array.dtype.kind in "fc":
        n_nan, n_inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        if n_nan:
            parts.append(f"{n_nan} NaN")
        if n_inf:
            parts.append(f"{n_inf} inf")
    return ", ".join(parts)


def check_array(X, name="X", n_features=None):
    """Validate a data matrix and return it as a C-contiguous float64 array of shape (n, d).

    Raises `TypeError` for non-numeric input (strings, objects, complex numbers) and `ValueError`
    for a wrong number of dimensions, no rows or columns, NaN or infinity, or a wrong `n_features`."""
    if X is None:
        raise TypeError(f"{name} must be a 2-D array-like of real numbers; got None")
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a 2-D array of real numbers; got dtype {array.dtype} "
                        f"({type(X).__name__})")
    if array.ndim != 2:
        hint = " Reshape a single feature with X.reshape(-1, 1)." if array.ndim == 1 else ""
        raise ValueError(f"{name} must be a 2-D array of finite real numbers (n_samples, n_features); "
                         f"got {array.ndim}-D, {_describe(array)}.{hint}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one feature; got {_describe(array)}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must contain only finite numbers; got {_describe(array)}")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(f"{name} has {array.shape[1]} features, but the model was fitted with "
                         f"{n_features} features")
    return array


def check_sample_weight(sample_weight, n_samples):
    "Validate `sample_weight`: None, or n_samples finite non-negative numbers with a positive sum."
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if weights.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be an array of real numbers; got dtype {weights.dtype}")
    weights = weights.astype(np.float64)
    if weights.ndim != 1 or weights.shape[0] != n_samples:
        raise ValueError(f"sample_weight must be a 1-D array of length n_samples={n_samples}; "
                         f"got shape {weights.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f"sample_weight must be finite and non-negative; got {_describe(weights)} "
                         f"with minimum {np.nanmin(weights) if np.isfinite(weights).any() else 'nan'}")
    if weights.sum() <= 0:
        raise ValueError("sample_weight must have a positive sum; got all zeros")
    return weights


def check_integer(name, value, minimum):
    "Return `value` if it is an integer (not a bool) >= `minimum`, else raise."
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def check_real(name, value, minimum):
    "Return `value` as a float if it is a finite real number >= `minimum`, else raise."
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number >= {minimum}; got {value!r} ({type(value).__name__})")
    if not np.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}; got {value}")
    return float(value)


def log_softmax_responsibilities(weighted_log_prob):
    """E-step in place: turn a_ik = log(pi_k) + log p(x_i | theta_k), shape (n, k), into the
    responsibilities gamma_ik = exp(a_ik - logsumexp_j a_ij).

    Returns log p(x_i) = logsumexp_j a_ij, shape (n,); the input now holds gamma (rows sum to one).
    One `exp` per entry and no (n, k) temporaries. An F-ordered input (the engine's layout) is
    reduced along its contiguous (k, n) transpose, several times faster than across short rows."""
    by_component = weighted_log_prob.flags.f_contiguous and not weighted_log_prob.flags.c_contiguous
    a, axis = (weighted_log_prob.T, 0) if by_component else (weighted_log_prob, 1)
    row_max = a.max(axis=axis)
    a -= np.expand_dims(row_max, axis)
    np.exp(a, out=a)
    row_sum = a.sum(axis=axis)
    a *= np.expand_dims(1.0 / row_sum, axis)
    return row_max + np.log(row_sum)


def kmeans_plusplus(X, n_components, rng):
    """Indices of `n_components` rows of X chosen by k-means++ seeding (Arthur & Vassilvitskii 2007):
    the first uniformly, each next one with probability proportional to the squared distance to the
    nearest centre chosen so far."""
    n = X.shape[0]
    indices = np.empty(n_components, dtype=np.intp)
    indices[0] = rng.integers(n)
    closest = np.sum((X - X[indices[0]]) ** 2, axis=1)
    for j in range(1, n_components):
        total = closest.sum()
        if total > 0:
            indices[j] = rng.choice(n, p=closest / total)
        else:                                   # every point sits on a centre already
            indices[j] = rng.integers(n)
        np.minimum(closest, np.sum((X - X[indices[j]]) ** 2, axis=1), out=closest)
    return indices


def initial_responsibilities(X, n_components, init_params, rng):
    """Starting responsibilities (n, k) for one of scikit-learn's four initialisations.

    "kmeans": hard labels from k-means (scipy's `kmeans2` with k-means++ seeds); "k-means++": one
    seed row per component; "random": uniform random rows normalised to one; "random_from_data":
    one random row per component."""
    n = X.shape[0]
    resp = np.zeros((n, n_components))
    if init_params == "kmeans":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # scipy warns on an empty cluster; EM copes with it
            _, labels = kmeans2(X, n_components, minit="++", rng=rng, check_finite=False)
        resp[np.arange(n), labels] = 1.0
    elif init_params == "k-means++":
        resp[kmeans_plusplus(X, n_components, rng), np.arange(n_components)] = 1.0
    elif init_params == "random":
        resp[:] = rng.uniform(size=(n, n_components))
        resp /= resp.sum(axis=1, keepdims=True)
    elif init_params == "random_from_data":
        resp[rng.choice(n, size=n_components, replace=False), np.arange(n_components)] = 1.0
    else:
        raise ValueError(f"init_params must be one of {INIT_PARAMS}; got {init_params!r}")
    return resp


class BaseMixture:
    """The EM engine shared by every mixture family.

    A family subclasses it and supplies:
    - `_log_prob(X, out=None) -> (n, k)`: log p(x_i | theta_k);
    - `_m_step(X, resp)`: new parameters from responsibilities (already times `sample_weight`);
    - `_n_parameters() -> int`; `_sample(n_samples, rng) -> (X, labels)`;
    - `_check_parameters(X)` (hyperparameters) and `_validate_data(X)` (data checks), optional;
    - `_initialize(X, resp)`: first parameters from starting responsibilities (default `_m_step`);
    - `_parameter_names`: the fitted attributes that make up the parameters (for restarts)."""

    _parameter_names = ("weights_",)

    def __init__(self, n_components, *, tol, max_iter, n_init, init_params, random_state,
                 warm_start, verbose, verbose_interval):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # ---- the parameters API (scikit-learn's contract, without depending on scikit-learn) ----
    @classmethod
    def _get_param_names(cls):
        signature = inspect.signature(cls.__init__)
        return sorted(p.name for p in signature.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))

    def get_params(self, deep=True):
        "The constructor's parameters as a dict (`deep` is accepted for scikit-learn compatibility)."
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        "Set constructor parameters by name; returns self."
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters are {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            same = value is default or (isinstance(value, (int, float, str, bool, type(None)))
                                        and type(value) is type(default) and value == default)
            if not same:
                text = repr(value)
                changed.append(f"{name}={text if len(text) < 60 else '...'}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        "Tags for scikit-learn >= 1.6 utilities (only called when scikit-learn is installed)."
        from sklearn.utils import Tags, TargetTags
        return Tags(estimator_type="density_estimator", target_tags=TargetTags(required=False))

    # ---- validation ----
    def _check_common_parameters(self, X):
        check_integer("n_components", self.n_components, 1)
        if self.n_components > X.shape[0]:
            raise ValueError(f"n_components={self.n_components} must be <= n_samples={X.shape[0]}")
        check_real("tol", self.tol, 0.0)
        check_integer("max_iter", self.max_iter, 0)
        check_integer("n_init", self.n_init, 1)
        check_integer("verbose", self.verbose, 0)
        check_integer("verbose_interval", self.verbose_interval, 1)
        if not isinstance(self.init_params, str) or self.init_params not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}; got {self.init_params!r}")
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False; got {self.warm_start!r}")

    def _check_parameters(self, X):
        "Family-specific hyperparameter checks (override)."

    def _validate_data(self, X):
        "Family-specific data checks (override); returns X."
        return X

    def _check_X(self, X, reset):
        if reset:
            X = check_array(X)
        else:
            self._check_is_fitted()
            X = check_array(X, n_features=self.n_features_in_)
        return self._validate_data(X)

    def _check_is_fitted(self):
        if not hasattr(self, "n_features_in_") or not hasattr(self, self._parameter_names[0]):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; "
                                 "call fit(X) before using this method.")

    # ---- the pieces of EM that every family shares ----
    def _initialize(self, X, resp):
        "First parameters from starting responsibilities: by default one M-step."
        self._m_step(X, resp)

    def _needs_initial_responsibilities(self):
        "False when user-given initial parameters make the starting responsibilities unnecessary."
        return True

    def _weighted_log_prob(self, X, out=None):
        "log pi_k + log p(x_i | theta_k), shape (n, k)."
        out = self._log_prob(X, out=out)
        with np.errstate(divide="ignore"):
            out += np.log(self.weights_)
        return out

    def _e_step(self, X, out=None):
        """Responsibilities gamma (n, k) and log p(x_i) (n,), by the in-place log-softmax."""
        weighted = self._weighted_log_prob(X, out=out)
        log_prob_norm = log_softmax_responsibilities(weighted)
        return log_prob_norm, weighted

    def _compute_lower_bound(self, log_prob_norm, resp, sample_weight):
        "The bound EM maximises: the (weighted) mean log-likelihood per sample."
        return float(np.average(log_prob_norm, weights=sample_weight))

    def _get_parameters(self):
        return {name: np.copy(getattr(self, name)) for name in self._parameter_names}

    def _set_parameters(self, params):
        for name, value in params.items():
            setattr(self, name, value)

    # ---- fitting ----
    def fit(self, X, y=None, sample_weight=None):
        """Estimate the parameters by EM; the best of `n_init` restarts is kept. Returns self.

        X: (n_samples, n_features); y: ignored; sample_weight: (n_samples,) non-negative, optional
        (an integer weight counts a row that many times)."""
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        "Fit, then return the most responsible component of each sample, shape (n,)."
        resp = self._fit(X, sample_weight)
        return resp.argmax(axis=1)

    def _fit(self, X, sample_weight):
        X = self._check_X(X, reset=True)
        self._check_common_parameters(X)
        self._check_parameters(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        rng = check_random_state(self.random_state)
        self.n_features_in_ = X.shape[1]
        # one (k, n) buffer reused by every E-step; families see its (n, k) transpose
        buffer = np.empty((self.n_components, X.shape[0])).T

        best_bound, best_params, best_bounds = -np.inf, None, []
        best_n_iter, best_converged = 0, False
        for init in range(n_init):
            if do_init:
                resp = None
                if self._needs_initial_responsibilities():
                    resp = initial_responsibilities(X, self.n_components, self.init_params, rng)
                    if sample_weight is not None:
                        resp *= sample_weight[:, None]
                self._initialize(X, resp)
            bound = -np.inf if do_init else self.lower_bound_
            bounds, converged, n_iter = [], False, 0
            if self.verbose:
                print(f"Initialization {init}")
            for n_iter in range(1, self.max_iter + 1):
                previous = bound
                log_prob_norm, resp = self._e_step(X, out=buffer)
                bound = self._compute_lower_bound(log_prob_norm, resp, sample_weight)
                if sample_weight is not None:
                    resp *= sample_weight[:, None]
                self._m_step(X, resp)
                bounds.append(bound)
                change = bound - previous
                if self.verbose >= 2 and n_iter % self.verbose_interval == 0:
                    print(f"  Iteration {n_iter}\t bound {bound:.6f}\t change {change:.6g}")
                if abs(change) < self.tol:
                    converged = True
                    break
            if self.max_iter == 0:              # the initialisation is the answer: score it
                log_prob_norm, resp = self._e_step(X, out=buffer)
                bound = self._compute_lower_bound(log_prob_norm, resp, sample_weight)
            if self.verbose:
                print(f"Initialization {'converged' if converged else 'did not converge'}: "
                      f"bound {bound:.6f} after {n_iter} iterations")
            if best_params is None or bound > best_bound:
                best_bound, best_params, best_bounds = bound, self._get_parameters(), bounds
                best_n_iter, best_converged = n_iter, converged

        if not best_converged and self.max_iter > 0:
            warnings.warn(f"{type(self).__name__}: the best of {n_init} initialisation(s) did not "
                          f"converge in max_iter={self.max_iter} iterations (tol={self.tol}). "
                          "Increase max_iter or tol, try other init_params, or check for degenerate data.",
                          ConvergenceWarning, stacklevel=3)
        self._set_parameters(best_params)
        self.converged_ = best_converged
        self.n_iter_ = best_n_iter
        self.lower_bound_ = best_bound
        self.lower_bounds_ = best_bounds
        # a final E-step so that fit_predict(X) always equals fit(X).predict(X)
        _, resp = self._e_step(X, out=buffer)
        return resp

    # ---- using a fitted model ----
    def score_samples(self, X):
        "log p(x_i) under the fitted mixture, shape (n,)."
        X = self._check_X(X, reset=False)
        return log_softmax_responsibilities(self._weighted_log_prob(X))

    def score(self, X, y=None, sample_weight=None):
        "Mean log-likelihood per sample (weighted by `sample_weight` when given)."
        X = self._check_X(X, reset=False)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        log_prob_norm = log_softmax_responsibilities(self._weighted_log_prob(X))
        return float(np.average(log_prob_norm, weights=sample_weight))

    def predict_proba(self, X):
        "Responsibilities p(z_i = k | x_i), shape (n, k); rows sum to one."
        X = self._check_X(X, reset=False)
        _, resp = self._e_step(X)
        return resp

    def predict(self, X):
        "The most responsible component of each sample, shape (n,)."
        return self.predict_proba(X).argmax(axis=1)

    def sample(self, n_samples=1):
        "Draw `(X, labels)` from the fitted mixture; an int `random_state` gives the same draw each call."
        self._check_is_fitted()
        check_integer("n_samples", n_samples, 1)
        return self._sample(n_samples, check_random_state(self.random_state))

    def _log_likelihood_and_count(self, X):
        X = self._check_X(X, reset=False)
        log_prob_norm = log_softmax_responsibilities(self._weighted_log_prob(X))
        return float(log_prob_norm.sum()), X.shape[0], X

    def aic(self, X):
        "Akaike information criterion: -2 log L + 2 p (lower is better)."
        log_likelihood, _, _ = self._log_likelihood_and_count(X)
        return -2.0 * log_likelihood + 2.0 * self._n_parameters()

    def bic(self, X):
        "Bayesian information criterion: -2 log L + p log n (lower is better)."
        log_likelihood, n, _ = self._log_likelihood_and_count(X)
        return -2.0 * log_likelihood + self._n_parameters() * np.log(n)

    def icl(self, X):
        """Integrated completed likelihood (Biernacki et al. 2000): BIC + 2 * entropy of the
        responsibilities, -sum_i sum_k gamma_ik log gamma_ik (lower is better)."""
        log_likelihood, n, X = self._log_likelihood_and_count(X)
        weighted = self._weighted_log_prob(X)
        log_resp = weighted - log_softmax_responsibilities(weighted.copy())[:, None]
        resp = np.exp(log_resp)
        entropy = -np.sum(resp * log_resp, where=resp > 0)      # 0 log 0 = 0
        return -2.0 * log_likelihood + self._n_parameters() * np.log(n) + 2.0 * entropy
