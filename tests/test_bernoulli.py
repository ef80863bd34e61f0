"""BernoulliMixture and CategoricalMixture: recovery, EM properties, naive-Bayes cross-checks, bad input."""

import warnings

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.stats import bernoulli

from mixlearn.bernoulli import (BernoulliMixture, CategoricalMixture, bernoulli_log_prob, bernoulli_parameters,
                                bernoulli_statistics, categorical_log_prob, categorical_parameters,
                                categorical_statistics, one_hot)
from mixlearn.em import NotFittedError

BAD = (ValueError, TypeError)

pytestmark = pytest.mark.filterwarnings("ignore::mixlearn.em.ConvergenceWarning")


def bernoulli_data(seed, n=3000, d=30, weights=(0.5, 0.3, 0.2)):
    rng = np.random.default_rng(seed)
    weights = np.asarray(weights)
    probs = rng.beta(0.6, 0.6, size=(len(weights), d))
    labels = rng.choice(len(weights), size=n, p=weights)
    X = (rng.random((n, d)) < probs[labels]).astype(np.int64)
    return X, labels, weights, probs


def categorical_data(seed, n=3000, n_categories=(2, 3, 4, 5, 3, 2, 4), weights=(0.45, 0.35, 0.2)):
    rng = np.random.default_rng(seed)
    weights = np.asarray(weights)
    thetas = [rng.dirichlet(np.full(c, 0.5), size=len(weights)) for c in n_categories]
    labels = rng.choice(len(weights), size=n, p=weights)
    X = np.stack([(rng.random(n)[:, None] > np.cumsum(theta[labels], axis=1)).sum(axis=1)
                  for theta in thetas], axis=1)
    X = np.minimum(X, np.asarray(n_categories) - 1)
    return X, labels, weights, thetas


def match(true_params, fitted_params):
    cost = np.abs(true_params[:, None, :] - fitted_params[None, :, :]).sum(axis=2)
    return linear_sum_assignment(cost)[1]


@pytest.fixture(scope="module")
def binary():
    return bernoulli_data(0, n=400, d=12)[0]


@pytest.fixture(scope="module")
def fitted_bernoulli(binary):
    return BernoulliMixture(2, random_state=0).fit(binary)


@pytest.fixture(scope="module")
def codes():
    return categorical_data(0, n=400)[0]


@pytest.fixture(scope="module")
def fitted_categorical(codes):
    return CategoricalMixture(2, random_state=0).fit(codes)


# ---------------------------------------------------------------------------------------------
# the maths
# ---------------------------------------------------------------------------------------------


def test_bernoulli_log_prob_matches_scipy_and_out_buffer():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, size=(50, 7))
    probs = rng.uniform(0.01, 0.99, size=(4, 7))
    expected = np.stack([bernoulli.logpmf(X, p).sum(axis=1) for p in probs], axis=1)
    np.testing.assert_allclose(bernoulli_log_prob(X, probs), expected, rtol=1e-12, atol=1e-12)
    buffer = np.empty((4, 50)).T
    assert bernoulli_log_prob(X, probs, out=buffer) is buffer
    np.testing.assert_allclose(buffer, expected, rtol=1e-12, atol=1e-12)


def test_categorical_log_prob_matches_loop():
    X, _, _, thetas = categorical_data(2, n=40)
    n_categories = [t.shape[1] for t in thetas]
    log_probs = np.log(np.concatenate(thetas, axis=1))
    expected = np.array([[sum(np.log(t[k, x[j]]) for j, t in enumerate(thetas)) for k in range(3)] for x in X])
    np.testing.assert_allclose(categorical_log_prob(one_hot(X, n_categories), log_probs), expected, rtol=1e-12)


@pytest.mark.parametrize("alpha", [1e-3, 0.5, 1.0, 2.0])
def test_m_step_with_one_hot_responsibilities_is_bernoulli_naive_bayes(alpha):
    from sklearn.naive_bayes import BernoulliNB
    X, labels, _, _ = bernoulli_data(3, n=500, d=20)
    weights, probs = bernoulli_parameters(bernoulli_statistics(X, np.eye(3)[labels]), alpha)
    nb = BernoulliNB(alpha=alpha, fit_prior=True).fit(X, labels)
    np.testing.assert_allclose(np.log(probs), nb.feature_log_prob_, rtol=0, atol=1e-11)
    np.testing.assert_allclose(np.log(weights), nb.class_log_prior_, rtol=0, atol=1e-11)
    assert ((probs > 0) & (probs < 1)).all()


@pytest.mark.parametrize("alpha", [1e-3, 0.5, 1.0, 2.0])
def test_m_step_with_one_hot_responsibilities_is_categorical_naive_bayes(alpha):
    from sklearn.naive_bayes import CategoricalNB
    X, labels, _, _ = categorical_data(4, n=500)
    n_categories = X.max(axis=0) + 1
    statistics = categorical_statistics(one_hot(X, n_categories), np.eye(3)[labels])
    weights, probs = categorical_parameters(statistics, n_categories, alpha)
    nb = CategoricalNB(alpha=alpha).fit(X, labels)
    for ours, theirs in zip(probs, nb.feature_log_prob_):
        np.testing.assert_allclose(np.log(ours), theirs, rtol=0, atol=1e-11)
    np.testing.assert_allclose(np.log(weights), nb.class_log_prior_, rtol=0, atol=1e-11)


def test_empty_component_gets_one_half():
    _, probs = bernoulli_parameters({"counts": np.array([3.0, 0.0]), "sums": np.array([[3.0, 0.0], [0.0, 0.0]])}, 1.0)
    np.testing.assert_allclose(probs[1], 0.5)
    assert np.isfinite(np.log(probs)).all()


# ---------------------------------------------------------------------------------------------
# recovery and EM properties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bernoulli_recovery(seed):
    X, _, weights, probs = bernoulli_data(seed)
    model = BernoulliMixture(3, n_init=3, random_state=seed).fit(X)
    order = match(probs, model.probs_)
    np.testing.assert_allclose(model.weights_[order], weights, atol=0.04)
    assert np.abs(model.probs_[order] - probs).max() < 0.1
    assert model.converged_


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_categorical_recovery(seed):
    X, _, weights, thetas = categorical_data(seed)
    # LCA has local maxima and slow plateaus: run each start to convergence (the default tol stops on a plateau)
    model = CategoricalMixture(3, n_init=10, tol=1e-6, max_iter=1000, random_state=seed).fit(X)
    flat_true, flat_fit = np.concatenate(thetas, axis=1), np.concatenate(model.probs_, axis=1)
    order = match(flat_true, flat_fit)
    np.testing.assert_allclose(model.weights_[order], weights, atol=0.05)
    assert np.abs(flat_fit[order] - flat_true).max() < 0.12
    np.testing.assert_array_equal(model.n_categories_, [t.shape[1] for t in thetas])


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_bound_monotone_and_responsibilities(binary, codes, init_params):
    weights = np.random.default_rng(0).uniform(0.2, 3.0, size=binary.shape[0])
    for model, X in ((BernoulliMixture(3, init_params=init_params, tol=0, max_iter=30, random_state=0), binary),
                     (CategoricalMixture(3, init_params=init_params, tol=0, max_iter=30, random_state=0), codes)):
        for sample_weight in (None, weights):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X, sample_weight=sample_weight)
            assert np.all(np.diff(model.lower_bounds_) >= -1e-10), type(model).__name__
            resp = model.predict_proba(X)
            np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)
            np.testing.assert_array_equal(model.fit_predict(X, sample_weight=sample_weight), model.predict(X))


def test_integer_sample_weight_equals_repeated_rows(binary):
    rng = np.random.default_rng(5)
    counts = rng.integers(1, 4, size=binary.shape[0])
    start = dict(weights_init=[0.5, 0.5], probs_init=rng.uniform(0.2, 0.8, size=(2, binary.shape[1])))
    weighted = BernoulliMixture(2, **start, tol=0, max_iter=20).fit(binary, sample_weight=counts)
    repeated = BernoulliMixture(2, **start, tol=0, max_iter=20).fit(np.repeat(binary, counts, axis=0))
    np.testing.assert_allclose(weighted.probs_, repeated.probs_, rtol=1e-10)
    np.testing.assert_allclose(weighted.weights_, repeated.weights_, rtol=1e-10)


def test_sample_types(fitted_bernoulli, fitted_categorical):
    X, labels = fitted_bernoulli.sample(500)
    assert X.shape == (500, fitted_bernoulli.n_features_in_) and labels.shape == (500,)
    assert X.dtype.kind == "i" and set(np.unique(X)) <= {0, 1}
    X, labels = fitted_categorical.sample(500)
    assert X.shape == (500, fitted_categorical.n_features_in_) and X.dtype.kind == "i"
    assert (X >= 0).all() and (X < fitted_categorical.n_categories_).all()
    np.testing.assert_array_equal(fitted_categorical.sample(5)[0], fitted_categorical.sample(5)[0])


def test_sample_frequencies_match_probs():
    model = BernoulliMixture(1)
    model.weights_, model.probs_, model.n_features_in_ = np.array([1.0]), np.array([[0.1, 0.5, 0.9]]), 3
    model.random_state = 0
    X, _ = model.sample(20000)
    np.testing.assert_allclose(X.mean(axis=0), [0.1, 0.5, 0.9], atol=0.015)


def test_criteria_and_parameter_counts(binary, fitted_bernoulli, codes, fitted_categorical):
    k, d = fitted_bernoulli.probs_.shape
    assert fitted_bernoulli._n_parameters() == (k - 1) + k * d
    c = fitted_categorical.n_categories_
    assert fitted_categorical._n_parameters() == 1 + 2 * int(np.sum(c - 1))
    for model, X in ((fitted_bernoulli, binary), (fitted_categorical, codes)):
        log_likelihood = model.score(X) * X.shape[0]
        p = model._n_parameters()
        np.testing.assert_allclose(model.bic(X), -2 * log_likelihood + p * np.log(X.shape[0]))
        np.testing.assert_allclose(model.aic(X), -2 * log_likelihood + 2 * p)
        assert model.icl(X) >= model.bic(X) - 1e-9


def test_max_iter_zero_returns_initialisation(binary):
    probs = np.full((2, binary.shape[1]), 0.3)
    probs[1] = 0.7
    model = BernoulliMixture(2, max_iter=0, weights_init=[0.4, 0.6], probs_init=probs).fit(binary)
    np.testing.assert_allclose(model.probs_, probs)
    np.testing.assert_allclose(model.weights_, [0.4, 0.6])


def test_lower_bound_is_map_objective(binary, codes):
    probs = np.random.default_rng(6).uniform(0.2, 0.8, size=(2, binary.shape[1]))
    model = BernoulliMixture(2, alpha=0.7, max_iter=0, weights_init=[0.3, 0.7], probs_init=probs).fit(binary)
    log_prior = 0.7 * np.sum(np.log(probs) + np.log1p(-probs))
    np.testing.assert_allclose(model.lower_bound_, model.score(binary) + log_prior / binary.shape[0], rtol=1e-12)
    model = CategoricalMixture(2, alpha=0.7, max_iter=0, random_state=0).fit(codes)
    log_prior = 0.7 * sum(np.log(theta).sum() for theta in model.probs_)
    np.testing.assert_allclose(model.lower_bound_, model.score(codes) + log_prior / codes.shape[0], rtol=1e-12)


def test_warm_start_continues(codes):
    model = CategoricalMixture(2, max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(codes)
        first = model.lower_bound_
        model.fit(codes)
    assert model.lower_bound_ >= first - 1e-12


def test_boolean_and_integer_X_accepted(binary):
    as_float = BernoulliMixture(2, random_state=0).fit(binary.astype(float))
    as_bool = BernoulliMixture(2, random_state=0).fit(binary.astype(bool))
    np.testing.assert_allclose(as_bool.probs_, as_float.probs_)


def test_given_n_categories_allows_unseen_codes():
    X = np.array([[0, 1], [1, 0], [0, 0], [1, 1]])
    model = CategoricalMixture(1, n_categories=[2, 3]).fit(X)
    assert [p.shape for p in model.probs_] == [(1, 2), (1, 3)]
    assert np.isfinite(model.score_samples([[0, 2]])).all()     # code 2 was given, never seen


def test_no_reference_to_training_data_kept(codes, fitted_categorical):
    assert not any(isinstance(v, np.ndarray) and v.shape[0] == codes.shape[0]
                   for v in vars(fitted_categorical).values())


def test_inputs_untouched(binary, codes):
    for model, X in ((BernoulliMixture(2, random_state=0), binary), (CategoricalMixture(2, random_state=0), codes)):
        copy = X.copy()
        model.fit(X).predict(X)
        np.testing.assert_array_equal(X, copy)


def test_sklearn_clone_and_params():
    from sklearn.base import clone
    for model in (BernoulliMixture(3, alpha=0.5, random_state=1), CategoricalMixture(3, alpha=2.0, n_categories=[2, 3])):
        twin = clone(model)
        assert twin is not model and twin.get_params() == model.get_params()
        assert "alpha" in model.get_params()
        twin.set_params(n_components=4)
        assert twin.n_components == 4 and model.n_components == 3
        with pytest.raises(ValueError, match="Invalid parameter"):
            model.set_params(bogus=1)


def test_grid_search_over_alpha(binary):
    from sklearn.model_selection import GridSearchCV
    search = GridSearchCV(BernoulliMixture(2, random_state=0), {"alpha": [0.1, 1.0]}, cv=2).fit(binary)
    assert search.best_params_["alpha"] in (0.1, 1.0)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def _with(X, value, index=(3, 1)):
    X = X.astype(float)
    X[index] = value
    return X


COMMON_BAD_X = [
    pytest.param(lambda X: _with(X, np.nan), id="nan"),
    pytest.param(lambda X: _with(X, np.inf), id="inf"),
    pytest.param(lambda X: np.empty((0, X.shape[1])), id="no-rows"),
    pytest.param(lambda X: np.empty((5, 0)), id="no-columns"),
    pytest.param(lambda X: X[:, 0], id="1-D"),
    pytest.param(lambda X: X[None], id="3-D"),
    pytest.param(lambda X: X.astype(complex), id="complex"),
    pytest.param(lambda X: X.astype(str), id="string"),
    pytest.param(lambda X: None, id="None"),
    pytest.param(lambda X: [[0, 1], [1]], id="ragged"),
]


@pytest.mark.parametrize("make_bad", COMMON_BAD_X)
@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
def test_fit_rejects_bad_X(binary, codes, family, make_bad):
    X, model = (binary, BernoulliMixture(1)) if family == "bernoulli" else (codes, CategoricalMixture(1))
    with pytest.raises(BAD, match=r"\bX\b"):
        model.fit(make_bad(X))


@pytest.mark.parametrize("value", [0.5, 2.0, -1.0, 3])
def test_bernoulli_rejects_non_binary(binary, value):
    with pytest.raises(ValueError, match=r"X must contain only 0 and 1.*\[" + f"{float(value)!r}".replace(".", r"\.")):
        BernoulliMixture(1).fit(_with(binary, value))


def test_bernoulli_message_lists_values():
    with pytest.raises(ValueError, match=r"\[0\.5, 2\.0\]"):
        BernoulliMixture(1).fit([[0, 0.5], [1, 2.0], [0, 1]])


def test_bernoulli_predict_rejects_non_binary(binary, fitted_bernoulli):
    for method in ("predict", "predict_proba", "score_samples", "score", "bic"):
        with pytest.raises(ValueError, match="0 and 1"):
            getattr(fitted_bernoulli, method)(_with(binary, 0.3))


@pytest.mark.parametrize("value, pattern", [(-1, r"negative or non-integer.*-1\.0"), (1.5, r"1\.5"), (0.001, "non-integer")])
def test_categorical_rejects_bad_codes(codes, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        CategoricalMixture(1).fit(_with(codes, value))


def test_categorical_rejects_unseen_category(codes, fitted_categorical):
    bad = codes[:3].copy()
    bad[1, 2] = fitted_categorical.n_categories_[2]
    with pytest.raises(ValueError, match="feature 2.*not seen at fit"):
        fitted_categorical.predict(bad)


@pytest.mark.parametrize("n_categories", [[2, 3], [2, 3, 4, 5, 3, 2, 0], [2.0] * 7, "abc"])
def test_categorical_rejects_bad_n_categories(codes, n_categories):
    with pytest.raises(BAD, match="n_categories"):
        CategoricalMixture(1, n_categories=n_categories).fit(codes)


def test_categorical_rejects_codes_beyond_given_n_categories(codes):
    with pytest.raises(ValueError, match="n_categories"):
        CategoricalMixture(1, n_categories=[2] * codes.shape[1]).fit(codes)


@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic", "icl", "sample"])
def test_not_fitted(binary, family, method):
    model = BernoulliMixture(1) if family == "bernoulli" else CategoricalMixture(1)
    with pytest.raises(NotFittedError):
        getattr(model, method)(5) if method == "sample" else getattr(model, method)(binary)


@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
def test_wrong_number_of_features(binary, codes, fitted_bernoulli, fitted_categorical, family):
    model, X = (fitted_bernoulli, binary) if family == "bernoulli" else (fitted_categorical, codes)
    with pytest.raises(ValueError, match=r"\bX\b.*features"):
        model.predict(X[:, :-1])


@pytest.mark.parametrize("params", [
    {"alpha": 0}, {"alpha": -1.0}, {"alpha": np.nan}, {"alpha": "one"}, {"alpha": None},
    {"n_components": 0}, {"n_components": 10_000}, {"n_components": 2.5}, {"tol": -1.0},
    {"max_iter": -1}, {"n_init": 0}, {"init_params": "bogus"}, {"warm_start": "yes"},
])
@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
def test_bad_hyperparameters(binary, codes, family, params):
    model, X = (BernoulliMixture(), binary) if family == "bernoulli" else (CategoricalMixture(), codes)
    name = next(iter(params))
    with pytest.raises(BAD, match=name):
        model.set_params(**params).fit(X)


@pytest.mark.parametrize("params, name", [
    ({"weights_init": [0.5, 0.6]}, "weights_init"),
    ({"weights_init": [0.5, 0.3, 0.2]}, "weights_init"),
    ({"weights_init": [-0.5, 1.5]}, "weights_init"),
    ({"probs_init": np.full((2, 3), 0.5)}, "probs_init"),
    ({"probs_init": np.zeros((2, 12))}, "probs_init"),
    ({"probs_init": np.full((2, 12), np.nan)}, "probs_init"),
    ({"probs_init": np.full((2, 12), "a")}, "probs_init"),
])
def test_bad_init(binary, params, name):
    with pytest.raises(BAD, match=name):
        BernoulliMixture(2, **params).fit(binary)


@pytest.mark.parametrize("sample_weight", [np.ones(3), -np.ones(400), np.zeros(400), np.full(400, np.nan)])
@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
def test_bad_sample_weight(binary, codes, family, sample_weight):
    model, X = (BernoulliMixture(1), binary) if family == "bernoulli" else (CategoricalMixture(1), codes)
    with pytest.raises(BAD, match="sample_weight"):
        model.fit(X, sample_weight=sample_weight)
