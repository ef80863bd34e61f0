"""Dirichlet-process mixtures (mixlearn.dirichlet_process): stick-breaking, the Chinese restaurant
process, the variational updates and ELBO, parity with scikit-learn, recovery, bad input."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from scipy.special import logsumexp

from mixlearn import NotFittedError
from mixlearn.dirichlet_process import (DirichletProcessGaussianMixture, beta_kl, chinese_restaurant_process,
                                        component_statistics, expected_log_gaussian, expected_log_likelihood,
                                        expected_log_stick_weights, expected_stick_weights, expected_tables,
                                        log_stick_breaking, normal_wishart_posterior, stick_breaking,
                                        stick_posterior, truncation_mass)

from conftest import COVARIANCE_TYPES, INIT_PARAMS, make_blobs

BAD = (ValueError, TypeError)
SK_NAMES = ("weights_", "means_", "covariances_", "weight_concentration_", "mean_precision_",
            "degrees_of_freedom_", "precisions_cholesky_")


def _blobs(seed, n=400, k=4, d=2, spacing=8.0):
    "k well-separated isotropic blobs on a grid (distance `spacing`, unit variance)."
    rng = np.random.default_rng(seed)
    grid = np.array([[i, j] for i in range(3) for j in range(3)], dtype=float)[:k] * spacing
    centres = np.hstack([grid, np.zeros((k, d - 2))]) if d > 2 else grid
    return make_blobs(rng, n, centres)


@pytest.fixture(scope="module")
def X4():
    X, _ = _blobs(0)
    return X


def _same_start(resp):
    "Ours and scikit-learn's estimator classes, both starting from the responsibilities `resp`."
    from sklearn.mixture import BayesianGaussianMixture

    class Sklearn(BayesianGaussianMixture):
        def _initialize_parameters(self, X, random_state, *args, **kwargs):
            self._initialize(X, resp.copy())

    class Ours(DirichletProcessGaussianMixture):
        def _initialize(self, X, responsibilities):
            super()._initialize(X, lambda: resp.copy())
            self.regularisation_terms_ = []                 # one per iteration, from here on

        def _m_step(self, statistics, sums=None):
            bound = super()._m_step(statistics, sums)
            counts, d = self._factor_statistics[0], self.n_features_in_
            P = self.precisions_
            trace = {"full": lambda: np.trace(P, axis1=1, axis2=2), "tied": lambda: np.trace(P),
                     "diag": lambda: P.sum(1), "spherical": lambda: d * P}[self.covariance_type]()
            self.__dict__.setdefault("regularisation_terms_", []).append(0.5 * self.reg_covar * float(np.sum(counts * trace)))
            return bound

    return Ours, Sklearn


def _fit_quietly(model, X, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, **kwargs)


# ---- stick-breaking --------------------------------------------------------------------------

def test_stick_breaking_shape_and_first_weights():
    rng = np.random.default_rng(0)
    v = rng.beta(1.0, 2.0, size=(3, 4, 7))
    w = stick_breaking(v)
    assert w.shape == v.shape
    assert (w >= 0).all() and (w.sum(-1) <= 1).all()
    np.testing.assert_allclose(w[..., 0], v[..., 0], rtol=1e-14)
    np.testing.assert_allclose(w[..., 1], v[..., 1] * (1 - v[..., 0]), rtol=1e-14)
    # the rest of the stick is prod (1 - v_k)
    np.testing.assert_allclose(1 - w.sum(-1), np.prod(1 - v, axis=-1), atol=1e-14)


@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 12)),
              elements=st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 1 - 1e-16, 1e-300]))))
def test_stick_breaking_properties(v):
    w = stick_breaking(v)
    assert w.shape == v.shape and np.isfinite(w).all()
    assert (w >= 0).all() and (w.sum(-1) <= 1.0).all()
    np.testing.assert_allclose(w[:, 0], v[:, 0], rtol=1e-14)
    log_w = log_stick_breaking(v)
    assert not np.isnan(log_w).any()


def test_stick_breaking_stable_for_1000_sticks_near_one():
    v = np.full(1000, 1 - 1e-12)
    log_w = log_stick_breaking(v)
    exact = np.log(v[0]) + np.arange(1000) * np.log1p(-v[0])
    np.testing.assert_allclose(log_w, exact, rtol=1e-13)        # exact where the product underflows
    w = stick_breaking(v)
    assert np.isfinite(w).all() and (w >= 0).all() and w.sum() <= 1
    assert w[-1] == 0.0 and w[0] == v[0]
    # random sticks near 1 and exact ones: no NaN anywhere, weights after a v = 1 are exactly 0
    rng = np.random.default_rng(1)
    v = 1 - rng.uniform(0, 1e-9, size=(5, 1000))
    v[:, 500] = 1.0
    w = stick_breaking(v)
    assert np.isfinite(w).all() and (w.sum(-1) <= 1).all() and (w[:, 501:] == 0).all()


def test_stick_breaking_matches_loop():
    rng = np.random.default_rng(2)
    v = rng.beta(1.0, 0.5, size=50)
    expected, left = [], 1.0
    for fraction in v:
        expected.append(fraction * left)
        left *= 1 - fraction
    np.testing.assert_allclose(stick_breaking(v), expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("bad", [np.array([0.5, 1.2]), np.array([-0.1, 0.5]), np.array([0.5, np.nan]),
                                 np.float64(0.5), np.empty(0), np.array(["a", "b"]), np.array([0.5, 1j])])
def test_stick_breaking_rejects_bad_v(bad):
    with pytest.raises(BAD, match=r"\bv\b"):
        stick_breaking(bad)


def test_expected_weights_closed_form_and_monte_carlo():
    alpha, T = 1.5, 10
    prior = np.array([np.ones(T), np.full(T, alpha)])
    closed = (1 / (1 + alpha)) * (alpha / (1 + alpha)) ** np.arange(T)
    np.testing.assert_allclose(expected_stick_weights(prior), closed, rtol=1e-14)
    draws = stick_breaking(np.random.default_rng(3).beta(1.0, alpha, size=(30_000, T)))
    assert np.all(np.abs(draws.mean(0) - closed) < 4 * draws.std(0) / np.sqrt(len(draws)))


@pytest.mark.parametrize("alpha, T", [(0.5, 4), (2.0, 10), (10.0, 30)])
def test_truncation_mass_monte_carlo(alpha, T):
    v = np.random.default_rng(4).beta(1.0, alpha, size=(30_000, T))
    leftover = np.exp(np.log1p(-v).sum(1))
    assert abs(leftover.mean() - truncation_mass(alpha, T)) < 4 * leftover.std() / np.sqrt(len(leftover))
    np.testing.assert_allclose(truncation_mass(alpha, T), (alpha / (1 + alpha)) ** T)


def test_expected_log_stick_weights_monte_carlo():
    sticks = stick_posterior(np.array([50.0, 20.0, 3.0, 0.2, 0.0]), concentration=0.8)
    np.testing.assert_allclose(sticks, [[51, 21, 4, 1.2, 1], [0.8 + 23.2, 0.8 + 3.2, 0.8 + 0.2, 0.8, 0.8]])
    draws = log_stick_breaking(np.random.default_rng(5).beta(sticks[0], sticks[1], size=(100_000, 5)))
    assert np.all(np.abs(draws.mean(0) - expected_log_stick_weights(sticks)) < 4 * draws.std(0) / np.sqrt(len(draws)))


# ---- Chinese restaurant process --------------------------------------------------------------

def test_crp_labels_are_canonical_and_shaped():
    labels = chinese_restaurant_process(200, 3.0, size=(4, 5), random_state=0)
    assert labels.shape == (4, 5, 200) and labels.dtype.kind == "i"
    assert (labels[..., 0] == 0).all()
    # every label is at most 1 + the largest label before it (tables open in order)
    running_max = np.maximum.accumulate(labels, axis=-1)
    assert (labels[..., 1:] <= running_max[..., :-1] + 1).all()
    assert chinese_restaurant_process(10, 1.0, random_state=1).shape == (10,)
    np.testing.assert_array_equal(chinese_restaurant_process(50, 2.0, size=3, random_state=7),
                                  chinese_restaurant_process(50, 2.0, size=3, random_state=7))


@pytest.mark.parametrize("alpha", [0.3, 2.0, 20.0])
def test_crp_expected_tables(alpha):
    n = 300
    tables = chinese_restaurant_process(n, alpha, size=3000, random_state=2).max(axis=1) + 1
    p = alpha / (alpha + np.arange(n))
    np.testing.assert_allclose(expected_tables(n, alpha), p.sum(), rtol=1e-12)
    assert abs(tables.mean() - expected_tables(n, alpha)) < 4 * np.sqrt(np.sum(p * (1 - p)) / len(tables))


def test_crp_partition_probabilities_ewens():
    alpha, draws = 0.7, 100_000
    labels = chinese_restaurant_process(3, alpha, size=draws, random_state=3)
    partitions, counts = np.unique(labels, axis=0, return_counts=True)
    norm = alpha * (alpha + 1) * (alpha + 2)
    exact = {(0, 0, 0): 2 * alpha / norm, (0, 1, 2): alpha ** 3 / norm}
    exact.update({p: alpha ** 2 / norm for p in [(0, 0, 1), (0, 1, 0), (0, 1, 1)]})
    assert len(partitions) == 5
    for partition, count in zip(map(tuple, partitions), counts):
        p = exact[partition]
        assert abs(count / draws - p) < 4.5 * np.sqrt(p * (1 - p) / draws), partition


def test_crp_first_table_is_first_stick():
    n, alpha = 400, 1.5
    first = (chinese_restaurant_process(n, alpha, size=4000, random_state=4) == 0).sum(1)
    reference = stats.betabinom(n - 1, 1.0, alpha)
    assert abs(first.mean() - 1 - reference.mean()) < 4 * reference.std() / np.sqrt(len(first))


@pytest.mark.parametrize("call, name", [
    (lambda: chinese_restaurant_process(0, 1.0), "n_customers"),
    (lambda: chinese_restaurant_process(5, 0.0), "concentration"),
    (lambda: chinese_restaurant_process(5, np.nan), "concentration"),
    (lambda: expected_tables(5, -1.0), "concentration"),
    (lambda: expected_tables(-5, 1.0), "n_customers"),
    (lambda: truncation_mass(0.0, 10), "concentration"),
])
def test_process_functions_reject_bad_input(call, name):
    with pytest.raises(BAD, match=name):
        call()


# ---- the variational pieces ----------------------------------------------------------------

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_expected_log_likelihood_matches_direct_sum(covariance_type, X4):
    rng = np.random.default_rng(6)
    resp = rng.dirichlet(np.ones(5), size=len(X4))
    prior = dict(mean_prior=X4.mean(0), mean_precision_prior=0.7, degrees_of_freedom_prior=2.5,
                 covariance_prior={"full": np.cov(X4.T), "tied": np.cov(X4.T), "diag": X4.var(0),
                                   "spherical": X4.var(0).mean()}[covariance_type])
    statistics = component_statistics(X4, resp, covariance_type)
    beta, m, nu, covariances = normal_wishart_posterior(*statistics, covariance_type, **prior)
    from mixlearn.densities import compute_precision_cholesky
    U = compute_precision_cholesky(covariances, covariance_type)
    direct = np.sum(resp * expected_log_gaussian(X4, m, U, beta, nu, covariance_type))
    np.testing.assert_allclose(expected_log_likelihood(*statistics, m, U, beta, nu, covariance_type), direct,
                               rtol=1e-12)


def test_beta_kl_against_quadrature():
    from scipy import integrate
    a, b, a0, b0 = 2.5, 4.0, 1.0, 3.0
    value, _ = integrate.quad(lambda v: stats.beta(a, b).pdf(v) * (stats.beta(a, b).logpdf(v)
                                                                   - stats.beta(a0, b0).logpdf(v)), 0, 1)
    np.testing.assert_allclose(beta_kl(a, b, a0, b0), value, rtol=1e-9)
    assert abs(beta_kl(1.0, 3.0, 1.0, 3.0)) < 1e-14


# ---- the estimator -----------------------------------------------------------------------------

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_elbo_never_decreases(covariance_type, init_params, X4):
    model = _fit_quietly(DirichletProcessGaussianMixture(10, covariance_type=covariance_type, init_params=init_params,
                                                         tol=1e-9, max_iter=150, random_state=0), X4)
    bounds = np.asarray(model.lower_bounds_)
    assert len(bounds) == model.n_iter_ and np.isfinite(bounds).all()
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds).max())
    assert model.lower_bound_ == bounds[-1]
    np.testing.assert_allclose(model.weights_.sum(), 1.0)
    np.testing.assert_allclose(model.predict_proba(X4).sum(1), 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k_true, d", [(3, 2), (4, 2), (5, 3)])
def test_effective_components_equal_truth(seed, k_true, d):
    X, labels = _blobs(seed, n=150 * k_true, k=k_true, d=d, spacing=10.0)
    model = DirichletProcessGaussianMixture(15, random_state=seed).fit(X)
    assert (model.weights_ > 0.02).sum() == k_true
    # and the used components are the true clusters
    predicted = model.predict(X)
    agreement = max(np.mean(predicted[labels == c] == np.bincount(predicted[labels == c]).argmax())
                    for c in range(k_true))
    assert agreement > 0.98


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_with_scikit_learn(covariance_type, X4):
    resp = np.random.default_rng(7).dirichlet(np.ones(8), size=len(X4))
    Ours, Sklearn = _same_start(resp)
    common = dict(covariance_type=covariance_type, tol=0.0, max_iter=40, mean_precision_prior=0.5,
                  degrees_of_freedom_prior=3.0)
    ours = _fit_quietly(Ours(8, concentration=0.6, **common), X4)
    theirs = _fit_quietly(Sklearn(n_components=8, weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=0.6, **common), X4)
    assert ours.n_iter_ == theirs.n_iter_ == 40
    for name in SK_NAMES:
        a, b = np.asarray(getattr(ours, name), dtype=float), np.asarray(getattr(theirs, name), dtype=float)
        assert a.shape == b.shape, name
        assert np.abs(a - b).max() <= 1e-6 * np.abs(b).max(), name
    np.testing.assert_allclose(ours.precisions_, theirs.precisions_, rtol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X4), theirs.predict_proba(X4), atol=1e-8)
    np.testing.assert_allclose(ours.score_samples(X4), theirs.score_samples(X4), rtol=1e-9)


@pytest.mark.parametrize("reg_covar", [0.0, 1e-6, 1e-3])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_elbo_minus_sklearn_bound_is_constant(covariance_type, reg_covar, X4):
    from scipy.special import multigammaln
    resp = np.random.default_rng(8).dirichlet(np.ones(6), size=len(X4))
    Ours, Sklearn = _same_start(resp)
    common = dict(covariance_type=covariance_type, tol=0.0, max_iter=25, reg_covar=reg_covar)
    ours = _fit_quietly(Ours(6, concentration=2.0, **common), X4)
    theirs = _fit_quietly(Sklearn(n_components=6, weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=2.0, **common), X4)
    difference = np.asarray(ours.lower_bounds_) - np.asarray(theirs.lower_bounds_, dtype=float).ravel()
    (n, d), T = X4.shape, 6
    nu0, Psi0 = ours.degrees_of_freedom_prior_, ours.covariance_prior_
    if covariance_type in ("full", "tied"):
        log_det_psi0 = np.linalg.slogdet(Psi0)[1]
    else:
        log_det_psi0 = np.sum(np.log(Psi0)) if covariance_type == "diag" else d * np.log(Psi0)
    log_b0 = 0.5 * nu0 * log_det_psi0 - 0.5 * nu0 * d * np.log(2) - multigammaln(0.5 * nu0, d)
    offset = (T * np.log(2.0) + 0.5 * T * d * np.log(1.0) + T * (log_b0 + 0.25 * d * (d - 1) * np.log(np.pi))
              - 0.5 * n * d * np.log(2 * np.pi))
    residual = difference - offset - np.asarray(ours.regularisation_terms_)
    assert np.abs(residual).max() < 1e-9 * np.abs(ours.lower_bounds_).max()
    if reg_covar == 0:
        assert np.ptp(difference) < 1e-9 * np.abs(ours.lower_bounds_).max()
    if reg_covar == 1e-3:                                   # the reg_covar term is real, not noise
        assert np.ptp(difference) > 1e-6


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_sample_weight_is_repetition(covariance_type, X4):
    rng = np.random.default_rng(9)
    X = X4[:120]
    counts = rng.integers(1, 4, size=len(X))
    start = rng.dirichlet(np.ones(5), size=len(X))

    class FromStart(DirichletProcessGaussianMixture):
        def _initialize(self, X, responsibilities):
            super()._initialize(X, lambda: self.start)

    weighted, repeated = (FromStart(5, covariance_type=covariance_type, tol=0.0, max_iter=15) for _ in range(2))
    weighted.start = start * counts[:, None]
    repeated.start = np.repeat(start, counts, axis=0)
    _fit_quietly(weighted, X, sample_weight=counts)
    _fit_quietly(repeated, np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)
    for name in SK_NAMES + ("mean_prior_", "covariance_prior_"):
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-9, atol=1e-12)


def test_zero_weight_rows_are_ignored(X4):
    weights = np.ones(len(X4))
    weights[::3] = 0.0
    kept = X4[weights > 0]
    a = DirichletProcessGaussianMixture(6, init_params="random", random_state=0)
    a.fit(X4, sample_weight=weights)
    np.testing.assert_allclose(a.mean_prior_, kept.mean(0))
    np.testing.assert_allclose(a.covariance_prior_, np.cov(kept.T))


def test_api_clone_params_pickle_reproducible(X4):
    from sklearn.base import clone
    model = DirichletProcessGaussianMixture(7, concentration=0.5, covariance_type="diag", random_state=3)
    assert model.n_components == 7
    model.n_components = 3                     # scikit-learn's name for truncation sets it
    assert model.truncation == 3
    model.set_params(truncation=7)
    params = model.get_params()
    assert params["truncation"] == 7 and "n_components" not in params
    assert clone(model).get_params() == params
    assert "truncation=7" in repr(model) and "concentration=0.5" in repr(model)
    model.fit(X4)
    again = DirichletProcessGaussianMixture(7, concentration=0.5, covariance_type="diag", random_state=3).fit(X4)
    np.testing.assert_array_equal(model.means_, again.means_)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X4), model.predict(X4))
    assert model.weight_concentration_.shape == (2, 7) and model.degrees_of_freedom_.shape == (7,)
    np.testing.assert_allclose(model.precisions_, 1 / model.covariances_)
    samples, labels = model.sample(50)
    assert samples.shape == (50, 2) and labels.shape == (50,)
    assert np.array_equal(model.fit_predict(X4), model.predict(X4))
    assert np.isfinite(model.score(X4))


def test_warm_start_n_init_and_max_iter_zero(X4):
    model = _fit_quietly(DirichletProcessGaussianMixture(6, max_iter=5, tol=0.0, warm_start=True, random_state=0), X4)
    first = model.lower_bound_
    _fit_quietly(model, X4)
    assert model.lower_bounds_[0] >= first - 1e-9 * abs(first)
    best = DirichletProcessGaussianMixture(6, n_init=3, init_params="random", random_state=1).fit(X4)
    first_start = DirichletProcessGaussianMixture(6, init_params="random", random_state=1).fit(X4)
    assert best.lower_bound_ >= first_start.lower_bound_        # the first restart is that single fit
    zero = DirichletProcessGaussianMixture(6, max_iter=0, random_state=0).fit(X4)
    assert zero.n_iter_ == 0 and np.isfinite(zero.lower_bound_) and zero.lower_bounds_ == []


def test_constant_feature_uses_regularised_prior():
    rng = np.random.default_rng(10)
    X = np.column_stack([rng.normal(size=100), np.full(100, 3.0)])
    model = DirichletProcessGaussianMixture(4, random_state=0).fit(X)
    assert np.isfinite(model.lower_bounds_).all() and np.all(np.linalg.eigvalsh(model.covariance_prior_) > 0)
    with pytest.raises(ValueError, match="covariance_prior"):
        DirichletProcessGaussianMixture(4, reg_covar=0.0).fit(X)


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make_bad", [
    lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X),
    lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X),
    lambda X: X[:, 0], lambda X: np.empty((0, 2)), lambda X: X.astype(complex) + 1j,
    lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, "a", X.astype(object)), lambda X: None])
def test_rejects_bad_X(make_bad, X4):
    with pytest.raises(BAD, match=r"\bX\b"):
        DirichletProcessGaussianMixture(3).fit(make_bad(X4))


@pytest.mark.parametrize("kwargs, name", [
    (dict(truncation=0), "truncation"), (dict(truncation=2.5), "truncation"), (dict(truncation=True), "truncation"),
    (dict(truncation=10_000), "truncation"),
    (dict(concentration=0.0), "concentration"), (dict(concentration=-1.0), "concentration"),
    (dict(concentration=np.inf), "concentration"), (dict(concentration="1"), "concentration"),
    (dict(mean_precision_prior=0.0), "mean_precision_prior"), (dict(mean_precision_prior=-2.0), "mean_precision_prior"),
    (dict(degrees_of_freedom_prior=1.0), "degrees_of_freedom_prior"),
    (dict(degrees_of_freedom_prior=0.5), "degrees_of_freedom_prior"),
    (dict(mean_prior=[0.0, 1.0, 2.0]), "mean_prior"), (dict(mean_prior=[0.0, np.nan]), "mean_prior"),
    (dict(covariance_prior=np.array([[1.0, 2.0], [2.0, 1.0]])), "covariance_prior"),       # not PD
    (dict(covariance_prior=np.array([[1.0, 0.5], [0.0, 1.0]])), "covariance_prior"),       # not symmetric
    (dict(covariance_prior=np.eye(3)), "covariance_prior"),
    (dict(covariance_type="diag", covariance_prior=[1.0, -1.0]), "covariance_prior"),
    (dict(covariance_type="diag", covariance_prior=np.eye(2)), "covariance_prior"),
    (dict(covariance_type="spherical", covariance_prior=0.0), "covariance_prior"),
    (dict(covariance_type="banana"), "covariance_type"), (dict(init_params="magic"), "init_params"),
    (dict(tol=-1.0), "tol"), (dict(max_iter=-1), "max_iter"), (dict(n_init=0), "n_init"),
    (dict(reg_covar=-1e-3), "reg_covar"),
])
def test_rejects_bad_hyperparameters(kwargs, name, X4):
    with pytest.raises(BAD, match=name):
        DirichletProcessGaussianMixture(**{"truncation": 3, **kwargs}).fit(X4)


def test_rejects_bad_sample_weight_and_predict_misuse(X4):
    with pytest.raises(BAD, match="sample_weight"):
        DirichletProcessGaussianMixture(3).fit(X4, sample_weight=-np.ones(len(X4)))
    with pytest.raises(BAD, match="sample_weight"):
        DirichletProcessGaussianMixture(3).fit(X4, sample_weight=np.ones(3))
    with pytest.raises(BAD, match="covariance_prior"):         # total weight <= 1: no default covariance
        DirichletProcessGaussianMixture(3).fit(X4, sample_weight=np.full(len(X4), 1e-3))
    with pytest.raises(NotFittedError):
        DirichletProcessGaussianMixture(3).predict(X4)
    model = DirichletProcessGaussianMixture(3, random_state=0).fit(X4)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((4, 3)))
    model.set_params(truncation=4, warm_start=True)
    with pytest.raises(ValueError, match="truncation"):
        model.fit(X4)


def test_responsibilities_are_the_variational_e_step(X4):
    "predict_proba and score_samples come from E[log w_k] + E[log N(x | mu_k, Lambda_k^-1)]."
    model = DirichletProcessGaussianMixture(5, covariance_type="tied", random_state=0).fit(X4)
    log_r = expected_log_stick_weights(model.weight_concentration_) + expected_log_gaussian(
        X4, model.means_, model.precisions_cholesky_, model.mean_precision_, model.degrees_of_freedom_, "tied")
    np.testing.assert_allclose(model.score_samples(X4), logsumexp(log_r, axis=1), rtol=1e-12)
    np.testing.assert_allclose(model.predict_proba(X4), np.exp(log_r - logsumexp(log_r, axis=1, keepdims=True)),
                               rtol=1e-9, atol=1e-300)
    a, b = model.weight_concentration_
    model.weight_concentration_ = np.array([a, 50 * b])        # other sticks, other responsibilities
    assert np.abs(model.predict_proba(X4) - np.exp(log_r - logsumexp(log_r, axis=1, keepdims=True))).max() > 1e-3
