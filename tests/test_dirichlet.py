"""Count mixtures (mixlearn.dirichlet): recovery, EM properties, sampling, cross-checks, bad input."""

import warnings

import numpy as np
import pytest
from scipy.special import digamma, gammaln
from scipy.stats import dirichlet_multinomial, multinomial

from mixlearn import NotFittedError
from mixlearn.dirichlet import (DirichletMultinomialMixture, MultinomialMixture, check_counts,
                                dirichlet_multinomial_fixed_point, dirichlet_multinomial_log_prob,
                                multinomial_log_coefficient, multinomial_log_prob, multinomial_m_step)

CLASSES = (MultinomialMixture, DirichletMultinomialMixture)
BAD = (ValueError, TypeError)


def _truth_multinomial(seed, V=30):
    rng = np.random.default_rng(seed)
    model = MultinomialMixture(3, random_state=seed)
    model.weights_ = np.array([0.25, 0.35, 0.4])
    model.probs_ = rng.dirichlet(np.full(V, 0.3), size=3)
    model.n_features_in_, model.n_trials_ = V, 100
    return model


def _truth_dm(seed, V=30):
    rng = np.random.default_rng(seed)
    model = DirichletMultinomialMixture(3, random_state=seed)
    model.weights_ = np.array([0.25, 0.35, 0.4])
    model.alphas_ = rng.dirichlet(np.full(V, 0.3), size=3) * np.array([10.0, 50.0, 300.0])[:, None]
    model.n_features_in_, model.n_trials_ = V, 150
    return model


def _match(fitted_probs, true_probs):
    "For each true component, the fitted component with the closest mean probabilities (L1)."
    match = np.array([np.argmin(np.abs(fitted_probs - p).sum(1)) for p in true_probs])
    assert sorted(match) == list(range(len(true_probs))), match
    return match


@pytest.fixture(scope="module")
def X_counts():
    X, _ = _truth_dm(0).sample(300)
    return X


# ---- recovery --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multinomial_recovery(seed):
    truth = _truth_multinomial(seed)
    X, _ = truth.sample(800)
    model = MultinomialMixture(3, alpha=0.01, n_init=2, random_state=seed).fit(X)
    match = _match(model.probs_, truth.probs_)
    np.testing.assert_allclose(model.weights_[match], truth.weights_, atol=0.05)
    assert np.abs(model.probs_[match] - truth.probs_).max() < 0.02


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dirichlet_multinomial_recovery(seed):
    truth = _truth_dm(seed)
    X, _ = truth.sample(1200)
    model = DirichletMultinomialMixture(3, n_init=2, random_state=seed).fit(X)
    match = _match(model.probs_, truth.probs_)
    np.testing.assert_allclose(model.weights_[match], truth.weights_, atol=0.05)
    np.testing.assert_allclose(model.precisions_[match], truth.alphas_.sum(1), rtol=0.35)
    assert np.abs(model.probs_[match] - truth.probs_).max() < 0.05


# ---- EM properties ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_bound_monotone_and_resp_sum_to_one(cls, init_params, X_counts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(3, init_params=init_params, max_iter=40, tol=1e-8, random_state=0).fit(X_counts)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9 * np.abs(model.lower_bounds_[:-1]).max())
    resp = model.predict_proba(X_counts)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-12)
    assert np.isfinite(model.score_samples(X_counts)).all()
    np.testing.assert_allclose(model.score(X_counts), model.score_samples(X_counts).mean())


def test_dm_m_step_does_not_decrease_expected_complete_loglik(X_counts):
    "Each generalised M-step (capped fixed point) increases Q for the responsibilities it was given."
    model = DirichletMultinomialMixture(3, fixed_point_max_iter=3, random_state=0)
    model.fit(X_counts[:50])                                   # to get a fitted shell
    X = X_counts.astype(float)
    rng = np.random.default_rng(0)
    model.alphas_ = rng.uniform(0.5, 3.0, size=(3, X.shape[1]))
    model.weights_ = np.full(3, 1 / 3)
    for _ in range(15):
        _, resp = model._e_step(X)
        resp = resp.copy()

        def q():
            log_prob = dirichlet_multinomial_log_prob(X, model.alphas_)
            with np.errstate(divide="ignore"):
                return np.sum(resp * (np.log(model.weights_) + log_prob))
        before = q()
        model._update(X, resp)
        assert q() >= before - 1e-8 * abs(before)


@pytest.mark.parametrize("cls", CLASSES)
def test_fit_predict_equals_predict(cls, X_counts):
    a = cls(3, random_state=0).fit_predict(X_counts)
    b = cls(3, random_state=0).fit(X_counts).predict(X_counts)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("truth", [_truth_multinomial(0), _truth_dm(0)])
def test_integer_sample_weight_equals_repetition(truth, X_counts):
    X = X_counts[:60]
    w = np.random.default_rng(0).integers(1, 4, size=len(X))
    init = {"weights_init": truth.weights_}
    init.update({"probs_init": truth.probs_} if isinstance(truth, MultinomialMixture) else {"alphas_init": truth.alphas_})
    cls = type(truth)
    weighted = cls(3, max_iter=10, tol=0.0, **init)
    repeated = cls(3, max_iter=10, tol=0.0, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted.fit(X, sample_weight=w)
        repeated.fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-9)
    np.testing.assert_allclose(weighted.probs_, repeated.probs_, rtol=1e-7, atol=1e-12)
    assert weighted.n_trials_ == repeated.n_trials_ == int(round(np.average(X.sum(1), weights=w)))


# ---- sampling --------------------------------------------------------------------------------

@pytest.mark.parametrize("truth", [_truth_multinomial(0), _truth_dm(0)])
def test_sample_integer_counts_with_requested_totals(truth):
    X, labels = truth.sample(50)
    assert X.dtype == np.int64 and X.shape == (50, 30) and (X >= 0).all()
    assert (X.sum(1) == truth.n_trials_).all()
    assert labels.shape == (50,) and set(labels) <= {0, 1, 2}
    X, _ = truth.sample(5, n_trials=7)
    assert (X.sum(1) == 7).all()
    totals = np.array([0, 1, 10, 100, 1000])
    X, _ = truth.sample(5, n_trials=totals)
    np.testing.assert_array_equal(X.sum(1), totals)
    np.testing.assert_array_equal(truth.sample(4)[0], truth.sample(4)[0])   # int random_state: reproducible


@pytest.mark.parametrize("cls", CLASSES)
def test_n_trials_default_is_mean_training_total(cls, X_counts):
    X = X_counts.copy()
    X[:10] *= 2
    model = cls(2, random_state=0).fit(X)
    assert model.n_trials_ == int(round(X.sum(1).mean()))
    assert (model.sample(3)[0].sum(1) == model.n_trials_).all()


@pytest.mark.parametrize("n_trials", [-1, 2.5, [1, 2], np.array([[1, 2]]), "3"])
def test_bad_n_trials(n_trials):
    with pytest.raises(BAD, match="n_trials"):
        _truth_dm(0).sample(3, n_trials=n_trials)


def test_dm_sample_with_tiny_alphas_is_finite():
    truth = _truth_dm(0)
    truth.alphas_ = np.full_like(truth.alphas_, 1e-10)
    X, _ = truth.sample(20)
    assert (X.sum(1) == truth.n_trials_).all()


# ---- cross-checks ----------------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [1e-3, 0.5, 1.0, 2.0])
def test_m_step_equals_multinomial_nb(alpha):
    from sklearn.naive_bayes import MultinomialNB
    rng = np.random.default_rng(1)
    X = rng.poisson(2.0, size=(80, 12)).astype(float)
    labels = rng.integers(4, size=80)
    weights, probs = multinomial_m_step(X, np.eye(4)[labels], alpha)
    nb = MultinomialNB(alpha=alpha).fit(X, labels)
    np.testing.assert_allclose(np.log(probs), nb.feature_log_prob_, atol=1e-12)
    np.testing.assert_allclose(np.log(weights), nb.class_log_prior_, atol=1e-12)


def test_multinomial_log_prob_vs_scipy():
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(7), size=4)
    X = rng.multinomial(rng.integers(0, 40, size=25), probs[rng.integers(4, size=25)]).astype(float)
    ours = multinomial_log_prob(X, probs)
    ref = np.array([[multinomial.logpmf(x, int(x.sum()), p) for p in probs] for x in X])
    np.testing.assert_allclose(ours, ref, atol=1e-10)
    np.testing.assert_allclose(multinomial_log_coefficient(X),
                               gammaln(X.sum(1) + 1) - gammaln(X + 1).sum(1), atol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_dm_log_density_vs_scipy(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(2, 12))
    alphas = np.exp(rng.uniform(-4, 4, size=(3, V)))
    X = rng.integers(0, 20, size=(15, V)) * (rng.uniform(size=(15, V)) < 0.6)
    X = X.astype(float)
    ours = dirichlet_multinomial_log_prob(X, alphas)
    ref = np.array([[dirichlet_multinomial.logpmf(x, a, int(x.sum())) for a in alphas] for x in X])
    np.testing.assert_allclose(ours, ref, atol=1e-9, rtol=1e-12)


def _weighted_dm_loglik(X, r, alpha):
    A = alpha.sum()
    return r @ (gammaln(A) - gammaln(X.sum(1) + A) + (gammaln(X + alpha) - gammaln(alpha)).sum(1))


@pytest.mark.parametrize("seed", [0, 1])
def test_minka_fixed_point_zeroes_gradient(seed):
    rng = np.random.default_rng(seed)
    alpha_true = rng.gamma(1.0, 1.0, size=8) * 4
    X = rng.multinomial(40, rng.dirichlet(alpha_true, size=300)).astype(float)
    r = rng.uniform(size=(300, 1))
    alpha = dirichlet_multinomial_fixed_point(X, r, np.ones((1, 8)), max_iter=20000, tol=1e-14)[0]
    A = alpha.sum()
    analytic = r[:, 0] @ ((digamma(A) - digamma(X.sum(1) + A))[:, None] + digamma(X + alpha) - digamma(alpha))
    scale = r[:, 0] @ (digamma(X.sum(1) + A) - digamma(A))
    assert np.abs(analytic).max() < 1e-8 * scale
    h = 1e-6 * alpha
    numeric = np.array([(_weighted_dm_loglik(X, r[:, 0], alpha + h[j] * np.eye(8)[j])
                         - _weighted_dm_loglik(X, r[:, 0], alpha - h[j] * np.eye(8)[j])) / (2 * h[j])
                        for j in range(8)])
    assert np.abs(numeric).max() < 1e-4 * scale
    # and each sweep increases the weighted log-likelihood
    alpha, values = np.ones(8), []
    for _ in range(50):
        values.append(_weighted_dm_loglik(X, r[:, 0], alpha))
        alpha = dirichlet_multinomial_fixed_point(X, r, alpha[None], max_iter=1)[0]
    assert np.all(np.diff(values) >= -1e-9)


def test_alpha_floor_keeps_unseen_words_finite():
    X = np.array([[3, 0, 2], [1, 0, 4], [2, 0, 2]], dtype=float)
    alphas = dirichlet_multinomial_fixed_point(X, np.ones((3, 1)), np.ones((1, 3)), max_iter=500)
    assert alphas[0, 1] == pytest.approx(1e-10)
    model = DirichletMultinomialMixture(1, random_state=0).fit(X)
    assert model.alphas_.min() >= 1e-10
    assert np.isfinite(model.score_samples(np.array([[1.0, 1.0, 1.0]]))).all()


def _map_objective(X, r, alpha, shape, rate):
    return _weighted_dm_loglik(X, r, alpha) + np.sum(shape * np.log(alpha) - rate * alpha)


@pytest.mark.parametrize("seed", [0, 1])
def test_map_fixed_point_zeroes_gradient_in_log_alpha_and_never_decreases(seed):
    rng = np.random.default_rng(seed)
    X = rng.multinomial(40, rng.dirichlet(rng.gamma(1.0, 1.0, size=8) * 4, size=300)).astype(float)
    X[:, 2] = 0                                                     # an unseen word
    r = rng.uniform(size=(300, 1))
    shape, rate = 0.3, 0.2
    alpha, values = np.ones(8), []
    for _ in range(50):
        values.append(_map_objective(X, r[:, 0], alpha, shape, rate))
        alpha = dirichlet_multinomial_fixed_point(X, r, alpha[None], max_iter=1, prior_shape=shape,
                                                  prior_rate=rate)[0]
    assert np.all(np.diff(values) >= -1e-9)
    alpha = dirichlet_multinomial_fixed_point(X, r, alpha[None], max_iter=20000, tol=1e-14,
                                              prior_shape=shape, prior_rate=rate)[0]
    A = alpha.sum()
    gradient_alpha = r[:, 0] @ ((digamma(A) - digamma(X.sum(1) + A))[:, None] + digamma(X + alpha) - digamma(alpha))
    gradient_log_alpha = alpha * gradient_alpha + shape - rate * alpha
    assert np.abs(gradient_log_alpha).max() < 1e-8 * A
    b = r[:, 0] @ (digamma(X.sum(1) + A) - digamma(A))
    assert alpha[2] == pytest.approx(shape / (b + rate), rel=1e-10)


@pytest.mark.filterwarnings("ignore::mixlearn.ConvergenceWarning")      # tol=0: runs all 30 iterations
def test_map_bound_monotone_and_includes_the_prior(X_counts):
    model = DirichletMultinomialMixture(3, prior_shape=0.1, prior_rate=0.1, random_state=0, tol=0,
                                        max_iter=30).fit(X_counts)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-9)
    plain = model.score(X_counts)
    # lower_bound_ is the mean log posterior (without constant) of the parameters before the last M-step
    log_prior = np.sum(0.1 * np.log(model.alphas_) - 0.1 * model.alphas_) / len(X_counts)
    assert model.lower_bound_ == pytest.approx(plain + log_prior, abs=1e-3)
    assert log_prior < -1e-3                                       # the prior term is really there


def test_twins_k1_reproduces_dirichlet_multinomial_package():
    """Holmes, Harris & Quince's Bioconductor package (1.40.0, bench/reference_dmn.R) gives, for the Twins data
    and K = 1: NLE 39162.1117 and theta 24.36115 with its Gamma(0.1, 0.1) prior on log alpha."""
    from mixlearn.datasets import load_twins_gut
    X, _, _ = load_twins_gut()
    model = DirichletMultinomialMixture(1, prior_shape=0.1, prior_rate=0.1, tol=1e-10, max_iter=50,
                                        fixed_point_max_iter=5000, fixed_point_tol=1e-13).fit(X)
    nle = -(model.score(X) * len(X) + np.sum(0.1 * np.log(model.alphas_) - 0.1 * model.alphas_)
            + model.alphas_.size * (0.1 * np.log(0.1) - gammaln(0.1)))
    assert nle == pytest.approx(39162.1117, abs=2e-3)
    assert model.precisions_[0] == pytest.approx(24.36115, rel=2e-5)


def test_dm_beats_multinomial_on_real_species_counts():
    from mixlearn.datasets import load_twins_gut
    X, _, _ = load_twins_gut()
    split = np.random.default_rng(1).permutation(len(X))
    train, test = X[split[70:]], X[split[:70]]
    dm = DirichletMultinomialMixture(1, random_state=0).fit(train)
    mm = MultinomialMixture(3, n_init=2, random_state=0, max_iter=300).fit(train)
    assert dm.score(test) > mm.score(test) + 500


def test_dm_beats_multinomial_on_overdispersed_data():
    truth = _truth_dm(3)
    X, _ = truth.sample(600)
    test, train = X[:200], X[200:]
    dm = DirichletMultinomialMixture(3, random_state=0).fit(train)
    mm = MultinomialMixture(3, random_state=0).fit(train)
    assert dm.score(test) > mm.score(test) + 1.0
    assert dm.bic(test) < mm.bic(test)


# ---- bad input -------------------------------------------------------------------------------

def _with(X, value, index=(3, 1)):
    X = np.array(X, dtype=float)
    X[index] = value
    return X


BAD_X = [
    pytest.param(lambda X: _with(X, np.nan), "finite", id="nan"),
    pytest.param(lambda X: _with(X, np.inf), "finite", id="inf"),
    pytest.param(lambda X: _with(X, -np.inf), "finite", id="-inf"),
    pytest.param(lambda X: _with(X, -1.0), "non-negative integer counts", id="negative"),
    pytest.param(lambda X: _with(X, 2.5), "non-integer", id="non-integer"),
    pytest.param(lambda X: X[0], "2-D", id="1-D"),
    pytest.param(lambda X: X[:0], "at least one sample", id="empty"),
    pytest.param(lambda X: X.astype(complex), "real", id="complex"),
    pytest.param(lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, {"a": 1}, X.astype(object)), "real",
                 id="object"),
    pytest.param(lambda X: [["a"] * X.shape[1]] * 5, "real", id="strings"),
]


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("make_bad, message", BAD_X)
def test_fit_rejects_bad_X(cls, make_bad, message, X_counts):
    with pytest.raises(BAD, match=message) as info:
        cls(2, random_state=0).fit(make_bad(X_counts))
    assert "X" in str(info.value)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "score", "score_samples", "bic"])
@pytest.mark.parametrize("make_bad, message", [p for p in BAD_X if p.id in ("nan", "negative", "non-integer")])
def test_fitted_methods_reject_bad_X(cls, method, make_bad, message, X_counts):
    model = cls(2, random_state=0, max_iter=100).fit(X_counts)
    with pytest.raises(BAD, match=message):
        getattr(model, method)(make_bad(X_counts))
    with pytest.raises(ValueError, match="features"):
        getattr(model, method)(X_counts[:, :-1])


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "score", "score_samples", "sample"])
def test_not_fitted(cls, method, X_counts):
    with pytest.raises(NotFittedError):
        getattr(cls(2), method)(*(() if method == "sample" else (X_counts,)))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("params, name", [({"n_components": 0}, "n_components"),
                                          ({"n_components": 10_000}, "n_components"),
                                          ({"n_components": 2.0}, "n_components"),
                                          ({"tol": -1.0}, "tol"), ({"max_iter": -1}, "max_iter"),
                                          ({"n_init": 0}, "n_init"), ({"init_params": "bad"}, "init_params"),
                                          ({"weights_init": [0.5, 0.6]}, "weights_init"),
                                          ({"weights_init": [1.0]}, "weights_init")])
def test_bad_common_hyperparameters(cls, params, name, X_counts):
    params = {"n_components": 2, **params}
    with pytest.raises(BAD, match=name):
        cls(**params).fit(X_counts)


@pytest.mark.parametrize("params, name", [({"alpha": 0.0}, "alpha"), ({"alpha": -1.0}, "alpha"),
                                          ({"alpha": np.nan}, "alpha"), ({"alpha": "1"}, "alpha"),
                                          ({"probs_init": np.full((2, 3), 1 / 3)}, "probs_init"),
                                          ({"probs_init": np.full((2, 30), 0.5)}, "probs_init"),
                                          ({"probs_init": np.full((2, 30), np.nan)}, "probs_init")])
def test_bad_multinomial_hyperparameters(params, name, X_counts):
    with pytest.raises(BAD, match=name):
        MultinomialMixture(2, **params).fit(X_counts)


@pytest.mark.parametrize("params, name", [({"alphas_init": np.ones((2, 3))}, "alphas_init"),
                                          ({"alphas_init": -np.ones((2, 30))}, "alphas_init"),
                                          ({"alphas_init": np.zeros((2, 30))}, "alphas_init"),
                                          ({"fixed_point_max_iter": 0}, "fixed_point_max_iter"),
                                          ({"fixed_point_tol": -1.0}, "fixed_point_tol"),
                                          ({"alpha_floor": 0.0}, "alpha_floor"),
                                          ({"prior_shape": -0.1}, "prior_shape"),
                                          ({"prior_rate": np.inf}, "prior_rate"),
                                          ({"prior_rate": "0.1"}, "prior_rate")])
def test_bad_dm_hyperparameters(params, name, X_counts):
    with pytest.raises(BAD, match=name):
        DirichletMultinomialMixture(2, **params).fit(X_counts)


def test_user_initial_parameters_are_used(X_counts):
    truth = _truth_dm(0)
    model = DirichletMultinomialMixture(3, weights_init=truth.weights_, alphas_init=truth.alphas_, max_iter=0)
    model.fit(X_counts)
    np.testing.assert_allclose(model.alphas_, truth.alphas_)
    probs = truth.probs_
    model = MultinomialMixture(3, weights_init=truth.weights_, probs_init=probs, max_iter=0).fit(X_counts)
    np.testing.assert_allclose(model.probs_, probs)


def test_check_counts_accepts_integer_floats_and_int_arrays():
    X = np.array([[0.0, 3.0], [1.0, 0.0]])
    assert check_counts(X) is X
    MultinomialMixture(1).fit(np.array([[0, 3], [1, 0], [2, 2]]))


def test_inputs_untouched(X_counts):
    X = X_counts.copy()
    for cls in CLASSES:
        model = cls(2, random_state=0).fit(X)
        model.predict(X)
    np.testing.assert_array_equal(X, X_counts)
