"""Mixture of experts (mixlearn.experts): the maths checked against NumPy/SciPy/scikit-learn, EM
properties, recovery, the interface, sparse gating and bad input."""

import copy
import warnings

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import norm

from mixlearn import NotFittedError
from mixlearn.em import DataConversionWarning
from mixlearn.experts import (BLOCK_ROWS, MixtureOfExperts, r_squared, add_intercept, check_target, coefficient_of_variation,
                              expert_log_prob, expert_m_step, gate_gradient_hessian, gate_log_prob,
                              gate_m_step, gate_objective, importance_and_load, top_k_gate)

BAD = (ValueError, TypeError)
GATE_TRUE = np.array([[-4.0, 0.0, 4.0], [0.0, 2.0, -4.0]])          # slopes over intercepts, (d + 1, k)
EXPERTS_TRUE = np.array([[-2.0, -2.0], [1.0, -0.5], [-2.0, 4.0]])    # (slope, intercept) per expert
SIGMA_TRUE = np.array([0.3, 0.15, 0.5])


def _truth(seed=0):
    model = MixtureOfExperts(3, random_state=seed)
    model.gate_coef_, model.gate_intercept_ = GATE_TRUE[:1].copy(), GATE_TRUE[1].copy()
    model.expert_coef_, model.expert_intercept_ = EXPERTS_TRUE[:, :1].copy(), EXPERTS_TRUE[:, 1].copy()
    model.expert_variance_, model.n_features_in_ = SIGMA_TRUE ** 2, 1
    model.weights_ = np.full(3, 1 / 3)                  # reported only: the gate decides
    return model


def _data(seed, n=600):
    X = np.random.default_rng(seed).uniform(-3, 3, size=(n, 1))
    y, z = _truth(seed + 1000).sample(X)                # another seed than X's: z must not be a function of x
    return X, y, z


@pytest.fixture(scope="module")
def data():
    return _data(0)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _ = data
    return MixtureOfExperts(3, n_init=2, random_state=0).fit(X, y)


def _finite_difference_gradient(f, V, h=1e-6):
    out = np.zeros(V.size)
    for a in range(V.size):
        step = np.zeros(V.size)
        step[a] = h
        out[a] = (f(V + step.reshape(V.shape)) - f(V - step.reshape(V.shape))) / (2 * h)
    return out.reshape(V.shape)


# ---- the model's densities ----------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gate_log_prob_is_log_softmax(seed):
    rng = np.random.default_rng(seed)
    X1 = add_intercept(rng.normal(size=(50, 3)))
    V = rng.normal(size=(4, 5)) * 3
    np.testing.assert_allclose(np.exp(gate_log_prob(X1, V)), softmax(X1 @ V, axis=1), rtol=1e-12, atol=1e-300)


def test_gate_probabilities_finite_and_sum_to_one_far_away(fitted):
    far = np.array([[-1e6], [1e6], [-1e150], [1e150], [0.0]])
    proba = fitted.predict_gate(far)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    assert np.isfinite(fitted.predict(far[:2])).all()


def test_expert_log_prob_matches_scipy_and_writes_into_buffer():
    rng = np.random.default_rng(0)
    X1, y = add_intercept(rng.normal(size=(40, 2))), rng.normal(size=40)
    W, variance = rng.normal(size=(3, 3)), rng.uniform(0.1, 2.0, size=3)
    buffer = np.empty((3, 40)).T
    out = expert_log_prob(X1, y, W, variance, out=buffer)
    assert out is buffer
    np.testing.assert_allclose(out, norm.logpdf(y[:, None], X1 @ W.T, np.sqrt(variance)), rtol=1e-12)


def test_conditional_density_integrates_to_one():
    model = _truth()
    y_grid = np.linspace(-15, 15, 30001)
    for x0 in (-2.0, -0.5, 0.7, 1.5):
        log_p = model.log_predictive_density(np.full((len(y_grid), 1), x0), y_grid)
        assert abs(np.trapezoid(np.exp(log_p), y_grid) - 1) < 1e-6


# ---- the M-steps -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expert_m_step_is_lstsq_on_sqrt_weighted_rows(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 3))
    X1, y = add_intercept(X), X @ rng.normal(size=3) + rng.normal(size=200)
    resp = rng.dirichlet(np.ones(4), size=200) * rng.uniform(0.2, 3.0, size=(200, 1))
    params, variance = expert_m_step(X1, y, resp)
    for k in range(4):
        root = np.sqrt(resp[:, k])
        solution = np.linalg.lstsq(X1 * root[:, None], y * root, rcond=None)[0]
        np.testing.assert_allclose(params[k], solution, rtol=1e-10, atol=1e-12)
        mse = np.sum(resp[:, k] * (y - X1 @ solution) ** 2) / resp[:, k].sum()
        np.testing.assert_allclose(variance[k], mse, rtol=1e-10)


def test_expert_m_step_ridge_matches_sklearn():
    from sklearn.linear_model import Ridge
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 4))
    y = X @ rng.normal(size=4) + 2 + rng.normal(size=150)
    resp = rng.dirichlet(np.ones(2), size=150)
    params, variance = expert_m_step(add_intercept(X), y, resp, l2=3.0)
    for k in range(2):
        ridge = Ridge(alpha=3.0).fit(X, y, sample_weight=resp[:, k])
        np.testing.assert_allclose(params[k], np.r_[ridge.coef_, ridge.intercept_], rtol=1e-9, atol=1e-10)
        sum_squares = np.sum(resp[:, k] * (y - ridge.predict(X)) ** 2) + 3.0 * np.sum(ridge.coef_ ** 2)
        np.testing.assert_allclose(variance[k], sum_squares / resp[:, k].sum(), rtol=1e-9)


def test_expert_m_step_guards_empty_experts_and_collapse():
    rng = np.random.default_rng(4)
    X1 = add_intercept(rng.normal(size=(30, 1)))
    y = 2 * X1[:, 0] + rng.normal(size=30)
    resp = np.zeros((30, 3))
    resp[:, 0] = 1.0                                  # expert 0 takes everything
    resp[:2, 1] = 1.0                                 # expert 1: two points, a line through them exactly
    params, variance = expert_m_step(X1, y, resp, min_variance=1e-3)
    assert np.isfinite(params).all() and np.isfinite(variance).all()
    assert variance[1] == 1e-3                        # collapsed to the floor, not 0
    pooled, _ = expert_m_step(X1, y, resp.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(params[2], pooled[0])  # the empty expert gets the fit to all rows (weights s_i)
    resp_one = np.zeros((30, 1))
    resp_one[5] = 1.0                                 # one row: singular system -> minimum-norm solution
    params, variance = expert_m_step(X1, y, resp_one, min_variance=1e-3)
    assert np.isfinite(params).all()
    np.testing.assert_allclose(X1[5] @ params[0], y[5], rtol=1e-8)


@pytest.mark.parametrize("seed", [0, 1])
def test_gate_gradient_and_hessian_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    X1 = add_intercept(rng.normal(size=(120, 2)))
    resp = rng.dirichlet(np.ones(3), size=120) * rng.uniform(0.5, 2.0, size=(120, 1))
    V = rng.normal(size=(3, 3))
    gradient, hessian = gate_gradient_hessian(X1, resp, V, l2=0.7)
    fd = _finite_difference_gradient(lambda W: gate_objective(X1, resp, W, 0.7), V)
    assert np.abs(gradient - fd).max() < 1e-6 * np.abs(gradient).max()
    fd_hessian = -np.column_stack([
        _finite_difference_gradient(lambda W: gate_gradient_hessian(X1, resp, W, 0.7)[0].ravel()[a], V).ravel()
        for a in range(9)])
    assert np.abs(hessian - fd_hessian).max() < 1e-6 * np.abs(hessian).max()
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-10)
    assert np.linalg.eigvalsh(hessian).min() > -1e-9


def test_blocked_sums_match_one_pass_over_all_rows():
    "Both M-steps sum over blocks of BLOCK_ROWS rows; with several blocks they must equal one einsum over all rows."
    rng = np.random.default_rng(8)
    n = 2 * BLOCK_ROWS + 77
    X1 = add_intercept(rng.normal(size=(n, 2)))
    y = X1 @ rng.normal(size=3) + rng.normal(size=n)
    resp = rng.dirichlet(np.ones(3), size=n) * rng.uniform(0.5, 2.0, size=(n, 1))
    V = rng.normal(size=(3, 3))
    _, hessian = gate_gradient_hessian(X1, resp, V, l2=0.3)
    s, G = resp.sum(axis=1), softmax(X1 @ V, axis=1)
    reference = (np.einsum("i,ij,jl,ia,ib->ajbl", s, G, np.eye(3), X1, X1)
                 - np.einsum("i,ij,il,ia,ib->ajbl", s, G, G, X1, X1)).reshape(9, 9)
    reference[np.diag_indices(9)] += np.repeat([0.3, 0.3, 0.0], 3)
    np.testing.assert_allclose(hessian, reference, rtol=1e-10, atol=1e-8)
    params, _ = expert_m_step(X1, y, resp)
    gram = np.einsum("ik,ia,ib->kab", resp, X1, X1)
    np.testing.assert_allclose(params, np.linalg.solve(gram, np.einsum("ik,ia,i->ka", resp, X1, y)[:, :, None])[:, :, 0],
                               rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gate_m_step_never_decreases_objective(seed):
    rng = np.random.default_rng(seed)
    X1 = add_intercept(rng.normal(size=(200, 2)) * 2)
    resp = rng.dirichlet(np.full(4, 0.3), size=200)
    V = rng.normal(size=(3, 4)) * 10                  # far from the optimum: plain Newton would overshoot
    for l2 in (0.0, 0.1):
        previous = gate_objective(X1, resp, V, l2)
        W = V
        for _ in range(12):
            W = gate_m_step(X1, resp, W, l2, max_iter=1)
            current = gate_objective(X1, resp, W, l2)
            assert current >= previous - 1e-9 * abs(previous)
            previous = current


@pytest.mark.parametrize("seed,k", [(0, 3), (1, 4)])
def test_gate_m_step_matches_sklearn_logistic_regression(seed, k):
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(seed)
    labels = rng.integers(k, size=300)
    X = rng.normal(size=(300, 2)) + rng.normal(size=(k, 2))[labels] * 1.5
    one_hot = np.eye(k)[labels]
    for l2 in (0.0, 2.0):
        V = gate_m_step(add_intercept(X), one_hot, np.zeros((3, k)), l2, max_iter=100, tol=1e-15)
        C = np.inf if l2 == 0 else 1 / l2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, labels)
        np.testing.assert_allclose(np.exp(gate_log_prob(add_intercept(X), V)), reference.predict_proba(X),
                                   atol=1e-9)


# ---- the estimator: cross-checks and EM properties -------------------------------------------

def test_one_expert_is_ordinary_least_squares():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(250, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3 + rng.normal(size=250)
    model = MixtureOfExperts(1).fit(X, y)
    ols = np.linalg.lstsq(add_intercept(X), y, rcond=None)[0]
    mse = np.mean((y - add_intercept(X) @ ols) ** 2)
    np.testing.assert_allclose(model.expert_coef_[0], ols[:-1], rtol=1e-10)
    np.testing.assert_allclose(model.expert_intercept_[0], ols[-1], rtol=1e-10)
    np.testing.assert_allclose(model.expert_variance_[0], mse, rtol=1e-10)
    np.testing.assert_allclose(model.log_predictive_density(X, y).mean(), norm.logpdf(y, add_intercept(X) @ ols, np.sqrt(mse)).mean())
    np.testing.assert_allclose(model.predict(X), add_intercept(X) @ ols, rtol=1e-10, atol=1e-10)
    assert model.n_iter_ <= 2 and model.converged_


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
@pytest.mark.parametrize("gate_l2,expert_l2", [(0.0, 0.0), (1e-3, 0.0), (1.0, 2.0)])
def test_bound_never_decreases(data, init_params, gate_l2, expert_l2):
    X, y, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixtureOfExperts(3, init_params=init_params, gate_l2=gate_l2, expert_l2=expert_l2, tol=1e-9,
                                 max_iter=40, random_state=1).fit(X, y)
    bounds = np.array(model.lower_bounds_)
    assert len(bounds) > 3
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds).max())
    assert np.isfinite(model.log_predictive_density(X, y)).all()


def test_m_step_never_decreases_penalised_q(data):
    "Each M-step raises the expected complete-data log-likelihood minus the penalty, for its responsibilities."
    X, y, _ = data
    model = MixtureOfExperts(3, gate_l2=0.1, expert_l2=0.5, max_iter=1, random_state=0, init_params="random")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    Z = model._check_X(X, reset=False, y=y)

    def q(resp):
        return np.sum(resp * model._weighted_log_prob(Z)) - model._penalty()

    for _ in range(10):
        _, resp = model._e_step(Z)
        resp = resp.copy()
        before = q(resp)
        model._update(Z, resp)
        assert q(resp) >= before - 1e-9 * abs(before)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovery_of_a_known_mixture_of_experts(seed):
    X, y, _ = _data(seed, n=1500)
    model = MixtureOfExperts(3, n_init=3, random_state=seed).fit(X, y)
    fitted = np.column_stack([model.expert_coef_, model.expert_intercept_])
    match = [int(np.argmin(np.abs(fitted - w).sum(axis=1))) for w in EXPERTS_TRUE]
    assert sorted(match) == [0, 1, 2]
    np.testing.assert_allclose(fitted[match, 0], EXPERTS_TRUE[:, 0], atol=0.15)            # slopes
    centres = np.array([[-2.0], [0.5], [2.25]])                                            # where each expert rules
    np.testing.assert_allclose(np.diag(model.predict_expert_means(centres)[:, match]),
                               np.diag(_truth().predict_expert_means(centres)), atol=0.06)
    np.testing.assert_allclose(np.sqrt(model.expert_variance_[match]), SIGMA_TRUE, rtol=0.15)
    assert np.all(np.diag(model.predict_gate(centres)[:, match]) > 0.9)
    X_new, y_new, _ = _data(seed + 10, n=4000)
    assert abs(model.log_predictive_density(X_new, y_new).mean() - _truth().log_predictive_density(X_new, y_new).mean()) < 0.03


def test_piecewise_linear_r_squared():
    rng = np.random.default_rng(4)
    x = rng.uniform(-3, 3, size=(500, 1))
    f = np.where(x[:, 0] < 0, -2 * x[:, 0] - 1, np.where(x[:, 0] < 1.5, 1.5 * x[:, 0] - 1, -3 * (x[:, 0] - 1.5) + 1.25))
    y = f + 0.2 * rng.standard_normal(500)

    def r2(model):
        return 1 - np.sum((y - model.predict(x)) ** 2) / np.sum((y - y.mean()) ** 2)
    assert r2(MixtureOfExperts(3, n_init=3, random_state=0).fit(x, y)) > 0.97
    assert r2(MixtureOfExperts(1).fit(x, y)) < 0.8


def test_integer_sample_weight_equals_repetition(data):
    X, y, _ = data
    X, y = X[:200], y[:200]
    w = np.random.default_rng(0).integers(0, 4, size=len(X))
    start = MixtureOfExperts(3, random_state=0, max_iter=3, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start.fit(X, y)
        weighted, repeated = copy.deepcopy(start), copy.deepcopy(start)
        weighted.fit(X, y, sample_weight=w)
        repeated.fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    for name in ("gate_coef_", "gate_intercept_", "expert_coef_", "expert_intercept_", "expert_variance_", "weights_"):
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(weighted.score(X, y, sample_weight=w), repeated.score(np.repeat(X, w, 0), np.repeat(y, w)))


def test_weights_are_mean_gate_probabilities(fitted, data):
    X, y, _ = data
    np.testing.assert_allclose(fitted.weights_, fitted.predict_gate(X).mean(axis=0), rtol=1e-10)
    assert fitted.n_components == fitted.n_experts == 3
    moved = copy.deepcopy(fitted)
    moved.n_components = 4                     # scikit-learn's name for n_experts sets it
    assert moved.n_experts == 4


# ---- the interface ---------------------------------------------------------------------------

def test_sample_matches_predictive_moments_and_quantiles(fitted):
    x = np.full((40000, 1), -0.5)
    draws, experts = fitted.sample(x)
    assert draws.shape == experts.shape == (40000,) and set(np.unique(experts)) <= {0, 1, 2}
    mean, variance = fitted.predict(x[:1])[0], fitted.predict_variance(x[:1])[0]
    assert abs(draws.mean() - mean) < 4 * np.sqrt(variance / len(draws))
    # the standard error of a sample variance, (mu_4 - sigma^4) / n, from the draws' own fourth moment
    standard_error = np.sqrt(np.var((draws - draws.mean()) ** 2) / len(draws))
    assert abs(draws.var() - variance) < 4 * standard_error
    q = fitted.predict_quantiles(x[:1], (0.1, 0.5, 0.9))[0]
    np.testing.assert_allclose(np.quantile(draws, [0.1, 0.5, 0.9]), q, atol=0.05)
    again, _ = fitted.sample(x)
    np.testing.assert_array_equal(draws, again)              # an int random_state: the same draw


def test_predict_quantiles_invert_the_mixture_cdf(fitted):
    X = np.linspace(-3, 3, 25)[:, None]
    levels = np.array([0.01, 0.25, 0.5, 0.9, 0.999])
    q = fitted.predict_quantiles(X, levels)
    assert q.shape == (25, 5) and np.all(np.diff(q, axis=1) > 0)
    means, std = fitted.predict_expert_means(X), np.sqrt(fitted.expert_variance_)
    cdf = np.einsum("ik,iqk->iq", fitted.predict_gate(X), norm.cdf((q[:, :, None] - means[:, None, :]) / std))
    np.testing.assert_allclose(cdf, np.broadcast_to(levels, cdf.shape), atol=1e-10)


def test_score_bic_and_parameter_count(fitted, data):
    X, y, _ = data
    log_p = fitted.log_predictive_density(X, y)
    assert log_p.shape == (len(X),)
    np.testing.assert_allclose(fitted.score(X, y), r_squared(y, fitted.predict(X)))
    assert fitted._n_parameters() == 2 * 2 + 3 * 2 + 3
    np.testing.assert_allclose(fitted.bic(X, y), -2 * log_p.sum() + 13 * np.log(len(X)))
    np.testing.assert_allclose(fitted.aic(X, y), -2 * log_p.sum() + 26)
    assert fitted.icl(X, y) >= fitted.bic(X, y)


def test_fit_predict_and_column_y_and_determinism(data):
    X, y, _ = data
    a = MixtureOfExperts(3, random_state=0).fit_predict(X, y)
    b = MixtureOfExperts(3, random_state=0).fit(X, y[:, None]).predict(X)
    np.testing.assert_allclose(a, b)


def test_inputs_are_not_modified(data):
    X, y, _ = data
    X_copy, y_copy = X.copy(), y.copy()
    MixtureOfExperts(2, random_state=0).fit(X, y).score(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_max_iter_zero_returns_the_initialisation(data):
    X, y, _ = data
    model = MixtureOfExperts(3, max_iter=0, random_state=0).fit(X, y)
    assert model.n_iter_ == 0 and model.lower_bounds_ == [] and np.isfinite(model.lower_bound_)
    assert np.isfinite(model.predict(X)).all()


def test_warm_start_continues_and_checks_shapes(data):
    X, y, _ = data
    model = MixtureOfExperts(3, max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
        first = list(model.lower_bounds_)
        model.fit(X, y)
    assert model.lower_bounds_[0] >= first[-1] - 1e-12
    assert model.n_features_in_ == 1
    with pytest.raises(ValueError, match="warm-started model was fitted with 1 features"):
        model.fit(np.c_[X, X], y)
    model.n_experts = 2
    with pytest.raises(ValueError, match="n_experts=2, but this warm-started model has 3 components"):
        model.fit(X, y)
    assert model.n_features_in_ == 1 and np.isfinite(model.predict(X)).all()   # still usable


def test_parameters_api_and_sklearn_interop(data):
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score
    X, y, _ = data
    model = MixtureOfExperts(3, gate_l2=0.01, random_state=0)
    copy_ = clone(model)
    assert copy_.get_params() == model.get_params() and "n_components" not in model.get_params()
    assert repr(model) == "MixtureOfExperts(gate_l2=0.01, n_experts=3, random_state=0)"
    scores = cross_val_score(model, X, y, cv=3)               # score = held-out mean log-likelihood
    assert scores.shape == (3,) and np.isfinite(scores).all()


# ---- sparse gating -------------------------------------------------------------------------------

def test_top_k_gate_properties():
    rng = np.random.default_rng(6)
    gates = rng.dirichlet(np.ones(6), size=100)
    for k in range(1, 7):
        sparse = top_k_gate(gates, k)
        np.testing.assert_allclose(sparse.sum(axis=1), 1.0)
        assert np.all((sparse > 0).sum(axis=1) == k)
        kept = np.sort(gates, axis=1)[:, -k:]                # the k largest survive, in the same ratios
        np.testing.assert_allclose(np.sort(sparse, axis=1)[:, -k:], kept / kept.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(top_k_gate(gates, 6), gates)
    logits = rng.normal(size=(100, 6)) * 3
    masked = np.where(logits >= np.sort(logits, axis=1)[:, [-2]], logits, -np.inf)   # KeepTopK(a, 2)
    np.testing.assert_allclose(top_k_gate(softmax(logits, axis=1), 2), softmax(masked, axis=1), atol=1e-15)
    with pytest.raises(ValueError, match="k must be at most the number of experts, 6; got 7"):
        top_k_gate(gates, 7)
    with pytest.raises(ValueError, match="k must be an integer >= 1; got 0"):
        top_k_gate(gates, 0)


def test_predict_with_top_k(fitted, data):
    X, y, _ = data
    np.testing.assert_allclose(fitted.predict(X, top_k=3), fitted.predict(X), rtol=1e-12, atol=1e-12)
    errors = [np.abs(fitted.predict(X, top_k=k) - fitted.predict(X)).mean() for k in (3, 2, 1)]
    assert errors[0] <= errors[1] <= errors[2] and errors[2] > 0
    means = fitted.predict_expert_means(X)
    top1 = means[np.arange(len(X)), fitted.predict_gate(X).argmax(axis=1)]
    np.testing.assert_allclose(fitted.predict(X, top_k=1), top1)


def test_importance_load_and_coefficient_of_variation():
    gates = top_k_gate(np.random.default_rng(7).dirichlet(np.ones(4), size=50), 1)
    importance, load = importance_and_load(gates)
    np.testing.assert_allclose(importance, load)             # top-1: every routed input has gate value 1
    assert load.sum() == 50
    assert coefficient_of_variation(np.ones(4)) == 0
    np.testing.assert_allclose(coefficient_of_variation([1, 0, 0, 0]), np.sqrt(3))


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make, error, match", [
    (lambda X, y: (X[:, 0], y), ValueError, "X must be a 2-D array.*got 1-D"),
    (lambda X, y: (X, y[:-1]), ValueError, "X and y must have the same number of samples; got 600 rows in X and 599"),
    (lambda X, y: (X, np.r_[y[:-1], np.nan]), ValueError, "y must contain only finite numbers; got 1 NaN"),
    (lambda X, y: (X, np.r_[y[:-1], np.inf]), ValueError, "y must contain only finite numbers; got 0 NaN and 1 inf"),
    (lambda X, y: (np.r_[X[:-1], [[np.nan]]], y), ValueError, "X must contain only finite numbers"),
    (lambda X, y: (X, np.c_[y, y]), ValueError, r"y must be a 1-D array of shape \(n_samples,\).*got shape \(600, 2\)"),
    (lambda X, y: (X, y.astype(str)), TypeError, "y must be a 1-D array of real numbers; got dtype"),
    (lambda X, y: (X, None), ValueError, "requires y to be passed, but the target y is None"),
    (lambda X, y: (X, 1e200 * np.ones_like(y)), ValueError, "y must contain numbers of magnitude at most"),
    (lambda X, y: (np.empty((0, 1)), np.empty(0)), ValueError, "X must have at least one sample"),
])
def test_bad_data(data, make, error, match):
    X, y, _ = data
    with pytest.raises(error, match=match):
        MixtureOfExperts(2).fit(*make(X, y))


@pytest.mark.parametrize("params, error, match", [
    (dict(n_experts=0), ValueError, "n_experts must be an integer >= 1; got 0"),
    (dict(n_experts=2.5), TypeError, "n_experts must be an integer >= 1; got 2.5"),
    (dict(n_experts=601), ValueError, "n_experts=601 must be <= n_samples=600"),
    (dict(gate_l2=-1.0), ValueError, "gate_l2 must be a finite number >= 0"),
    (dict(expert_l2=np.nan), ValueError, "expert_l2 must be a finite number >= 0"),
    (dict(min_variance_ratio=0.0), ValueError, "min_variance_ratio must be > 0"),
    (dict(gate_max_iter=0), ValueError, "gate_max_iter must be an integer >= 1; got 0"),
    (dict(tol=-1.0), ValueError, "tol must be a finite number >= 0"),
    (dict(max_iter=-1), ValueError, "max_iter must be an integer >= 0"),
    (dict(init_params="bogus"), ValueError, "init_params must be one of"),
    (dict(random_state="seed"), TypeError, "random_state must be None, an int"),
])
def test_bad_hyperparameters(data, params, error, match):
    X, y, _ = data
    with pytest.raises(error, match=match):
        MixtureOfExperts(**params).fit(X, y)


def test_bad_sample_weight(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="sample_weight must be a 1-D array of length n_samples=600"):
        MixtureOfExperts(2).fit(X, y, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="sample_weight must be finite and non-negative"):
        MixtureOfExperts(2).fit(X, y, sample_weight=-np.ones(600))


def test_use_before_fit_and_wrong_features(fitted, data):
    X, y, _ = data
    fresh = MixtureOfExperts(2)
    for call in (lambda: fresh.predict(X), lambda: fresh.predict_gate(X), lambda: fresh.score(X, y),
                 lambda: fresh.sample(X), lambda: fresh.bic(X, y)):
        with pytest.raises(NotFittedError, match=r"not fitted yet. Call .fit."):
            call()
    with pytest.raises(ValueError, match="X has 2 features, but MixtureOfExperts is expecting 1 features as input"):
        fitted.predict(np.c_[X, X])
    with pytest.raises(ValueError, match="X and y must have the same number of samples"):
        fitted.score(X, y[:10])
    with pytest.raises(ValueError, match="quantiles must be a 1-D sequence of numbers strictly between 0 and 1"):
        fitted.predict_quantiles(X, (0.5, 1.0))
    with pytest.raises(ValueError, match="k must be at most the number of experts, 3; got 4"):
        fitted.predict(X, top_k=4)


def test_check_target_accepts_a_column_and_lists():
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed when a 1d array was expected"):
        np.testing.assert_array_equal(check_target([[1], [2], [3]], 3), [1.0, 2.0, 3.0])
    assert check_target([1, 2, 3], 3).dtype == np.float64
