"""Missing entries (nan_policy="omit", chapter 10): exact EM on the observed entries, for the Gaussian (four
covariance types), Bernoulli and categorical mixtures, on every executor that takes rows with NaN; the
imputer; and the errors for NaN and holes the option does not allow."""
import importlib.util
import warnings

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from mixlearn import BernoulliMixture, CategoricalMixture, GaussianMixture, MixtureImputer, NotFittedError
from mixlearn.densities import compute_precision_cholesky
from mixlearn.missing import (bernoulli_observed_log_prob, conditional_gaussian, expected_statistics,
                              gaussian_impute, missing_weight, observed_log_prob)

from conftest import COVARIANCE_TYPES, random_spd

requires_dask = pytest.mark.skipif(importlib.util.find_spec("dask") is None,
                                   reason="the dask extra is not installed (pip install mixlearn[dask])")


def holes(X, fraction, rng):
    "X with each entry NaN with probability `fraction`, plus a row with one observed entry and a row with none."
    X = np.where(rng.random(X.shape) < fraction, np.nan, X)
    X[0] = np.nan
    X[1, 1:] = np.nan
    return X


def two_clusters(rng, n=400, d=3):
    "Two well-separated correlated Gaussian clusters."
    A = np.linalg.cholesky(random_spd(rng, d))
    return np.r_[rng.normal(size=(n // 2, d)) @ A.T, rng.normal(size=(n - n // 2, d)) @ A.T + 5.0]


def random_parameters(rng, covariance_type, k, d):
    full = np.stack([random_spd(rng, d) for _ in range(k)])
    covariances = {"full": full, "tied": full[0], "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
                   "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1)}[covariance_type]
    as_full = {"full": full, "tied": np.broadcast_to(full[0], (k, d, d)),
               "diag": np.stack([np.diag(c) for c in np.diagonal(full, axis1=1, axis2=2)]),
               "spherical": np.stack([np.eye(d) * c for c in np.diagonal(full, axis1=1, axis2=2).mean(axis=1)])}
    return rng.normal(size=(k, d)) * 2, covariances, as_full[covariance_type]


# ---------------------------------------------------------------------------------------------------
# the vectorised E- and M-steps against a loop over rows

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_steps_equal_a_per_row_loop(covariance_type, seed):
    rng = np.random.default_rng(seed)
    n, d, k = 150, 5, 3
    X = holes(rng.normal(size=(n, d)) * 3 + 1, 0.45, rng)
    means, covariances, full = random_parameters(rng, covariance_type, k, d)
    resp = rng.dirichlet(np.ones(k), size=n)
    shift = np.nanmean(X, axis=0)
    U = compute_precision_cholesky(covariances, covariance_type)
    log_prob = observed_log_prob(X, means, U, covariance_type)
    statistics = expected_statistics(X, resp, means, U, covariances, covariance_type, shift)
    naive_log_prob = np.zeros((n, k))
    sums, second = np.zeros((k, d)), np.zeros((k, d, d))
    for i, x in enumerate(X):
        m = np.isnan(x)
        for j in range(k):
            conditional_mean, conditional_covariance, naive_log_prob[i, j] = conditional_gaussian(x, means[j], full[j])
            filled = x.copy()
            filled[m] = conditional_mean
            correction = np.zeros((d, d))
            correction[np.ix_(m, m)] = conditional_covariance
            sums[j] += resp[i, j] * (filled - shift)
            second[j] += resp[i, j] * (np.outer(filled - shift, filled - shift) + correction)
    second = {"full": second, "tied": second.sum(axis=0), "diag": np.diagonal(second, axis1=1, axis2=2),
              "spherical": np.trace(second, axis1=1, axis2=2)}[covariance_type]
    np.testing.assert_allclose(log_prob, naive_log_prob, rtol=0, atol=1e-10)
    assert (log_prob[0] == 0).all()                                   # nothing observed: density 1
    np.testing.assert_allclose(statistics["counts"], resp.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(statistics["sums"], sums, rtol=0, atol=1e-10 * np.abs(sums).max())
    np.testing.assert_allclose(statistics["second"], second, rtol=0, atol=1e-10 * np.abs(second).max())


def test_the_marginal_density_is_scipys_on_the_observed_block():
    from scipy.stats import multivariate_normal
    rng = np.random.default_rng(3)
    covariance, mean = random_spd(rng, 4), rng.normal(size=4)
    x = np.array([0.3, np.nan, -1.2, np.nan])
    _, _, log_density = conditional_gaussian(x, mean, covariance)
    o = ~np.isnan(x)
    assert abs(log_density - multivariate_normal(mean[o], covariance[np.ix_(o, o)]).logpdf(x[o])) < 1e-12


def test_bernoulli_steps_equal_a_per_row_loop():
    rng = np.random.default_rng(4)
    X = holes((rng.random((120, 6)) < 0.4).astype(float), 0.3, rng)
    probs = rng.uniform(0.05, 0.95, size=(3, 6))
    resp = rng.dirichlet(np.ones(3), size=120)
    naive = np.array([[sum(np.log(p[j]) if x[j] == 1 else np.log1p(-p[j]) for j in range(6) if not np.isnan(x[j]))
                       for p in probs] for x in X])
    np.testing.assert_allclose(bernoulli_observed_log_prob(X, probs), naive, rtol=0, atol=1e-12)
    np.testing.assert_allclose(missing_weight(X, resp), np.array(
        [[sum(resp[i, k] for i in range(120) if np.isnan(X[i, j])) for j in range(6)] for k in range(3)]), atol=1e-12)


def test_categorical_log_density_drops_missing_codes():
    rng = np.random.default_rng(5)
    X = holes(rng.integers(0, 3, size=(200, 4)).astype(float), 0.3, rng)
    model = CategoricalMixture(2, nan_policy="omit", random_state=0).fit(X)
    log_prob = model._log_prob(X)
    naive = np.array([[sum(np.log(model.probs_[j][k, int(x[j])]) for j in range(4) if not np.isnan(x[j]))
                       for k in range(2)] for x in X])
    np.testing.assert_allclose(log_prob, naive, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# the fit: no change without NaN, monotone with NaN, the same on every executor

FAMILIES = [
    (lambda **kw: GaussianMixture(2, covariance_type="full", **kw), lambda rng: two_clusters(rng)),
    (lambda **kw: GaussianMixture(2, covariance_type="tied", **kw), lambda rng: two_clusters(rng)),
    (lambda **kw: GaussianMixture(2, covariance_type="diag", **kw), lambda rng: two_clusters(rng)),
    (lambda **kw: GaussianMixture(2, covariance_type="spherical", **kw), lambda rng: two_clusters(rng)),
    (lambda **kw: BernoulliMixture(2, **kw), lambda rng: (rng.random((400, 8)) < np.where(
        np.arange(400)[:, None] < 200, 0.8, 0.25)).astype(float)),
    (lambda **kw: CategoricalMixture(2, **kw), lambda rng: np.where(
        np.arange(400)[:, None] < 200, rng.integers(0, 2, (400, 5)), rng.integers(1, 4, (400, 5))).astype(float)),
]
FAMILY_IDS = ["full", "tied", "diag", "spherical", "bernoulli", "categorical"]


@pytest.mark.parametrize("make, data", FAMILIES, ids=FAMILY_IDS)
@pytest.mark.parametrize("executor", ["auto", "memory", "blocks"])
def test_without_nan_the_option_changes_nothing(make, data, executor):
    X = data(np.random.default_rng(6))
    plain = make(random_state=0, executor=executor).fit(X)
    omit = make(random_state=0, executor=executor, nan_policy="omit").fit(X)
    for name in ("weights_", "means_", "covariances_", "probs_", "lower_bounds_"):
        if hasattr(plain, name):
            a, b = getattr(plain, name), getattr(omit, name)
            assert all(np.array_equal(x, y) for x, y in zip(a, b)) if isinstance(a, list) else np.array_equal(a, b), name
    np.testing.assert_array_equal(plain.score_samples(X), omit.score_samples(X))


@pytest.mark.parametrize("make, data", FAMILIES, ids=FAMILY_IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_observed_data_likelihood_never_decreases(make, data, seed):
    rng = np.random.default_rng(seed)
    X = holes(data(rng), 0.35, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make(random_state=seed, nan_policy="omit", tol=1e-10, max_iter=200, init_params="random").fit(X)
    bounds = np.array(model.lower_bounds_)
    assert len(bounds) > 5 and np.diff(bounds).min() > -1e-10 * np.abs(bounds).max(), np.diff(bounds).min()
    # the recorded bound is the observed-data objective of the parameters it was computed for: rescoring agrees
    assert np.isfinite(model.score(X))


def _given_start(make, X):
    "Every *_init given, so that no start depends on which rows an executor draws it from."
    model = make()
    if isinstance(model, GaussianMixture):
        d = X.shape[1]
        shape = {"full": (2, d, d), "tied": (d, d), "diag": (2, d), "spherical": (2,)}[model.covariance_type]
        precisions = {"full": np.stack([np.eye(d)] * 2), "tied": np.eye(d), "diag": np.ones((2, d)),
                      "spherical": np.ones(2)}[model.covariance_type]
        assert precisions.shape == shape
        return dict(weights_init=[0.5, 0.5], means_init=[np.zeros(d), np.full(d, 5.0)], precisions_init=precisions)
    if isinstance(model, BernoulliMixture):
        return dict(weights_init=[0.5, 0.5], probs_init=np.r_[np.full((1, X.shape[1]), 0.6), np.full((1, X.shape[1]), 0.4)])
    return None


@pytest.mark.parametrize("make, data", FAMILIES[:5], ids=FAMILY_IDS[:5])
def test_blocks_dask_and_partial_fit_give_the_in_memory_result(make, data, monkeypatch):
    rng = np.random.default_rng(7)
    X = holes(data(rng), 0.3, rng)
    start = _given_start(make, X)
    in_memory = make(nan_policy="omit", **start).fit(X)
    import mixlearn.scaling
    monkeypatch.setattr(mixlearn.scaling, "BLOCK_ROWS", 64)          # several blocks
    blocks = make(nan_policy="omit", executor="blocks", **start).fit(X)
    assert blocks.executor_ == "blocks" and blocks.n_iter_ == in_memory.n_iter_
    for name in ("weights_", "means_", "covariances_", "probs_"):
        if hasattr(in_memory, name):
            np.testing.assert_allclose(getattr(blocks, name), getattr(in_memory, name), rtol=1e-10, atol=1e-12)
    one = make(nan_policy="omit", max_iter=1, **start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one.fit(X)
    stepwise = make(nan_policy="omit", **start).partial_fit(X)
    for name in ("weights_", "means_", "covariances_", "probs_"):
        if hasattr(one, name):
            np.testing.assert_allclose(getattr(stepwise, name), getattr(one, name), rtol=1e-10, atol=1e-12)
    if importlib.util.find_spec("dask") is not None:
        import dask
        import dask.array as da
        with dask.config.set(scheduler="synchronous"):
            chunked = make(nan_policy="omit", **start).fit(da.from_array(X, chunks=(100, X.shape[1])))
        assert chunked.executor_ == "dask"
        for name in ("weights_", "means_", "covariances_", "probs_"):
            if hasattr(in_memory, name):
                np.testing.assert_allclose(getattr(chunked, name), getattr(in_memory, name), rtol=1e-10, atol=1e-12)


def test_the_fused_executor_is_not_used_for_rows_with_nan():
    rng = np.random.default_rng(8)
    X = holes(two_clusters(rng), 0.2, rng)
    assert GaussianMixture(2, nan_policy="omit", random_state=0).fit(X).executor_ == "memory"
    assert GaussianMixture(2, nan_policy="omit", random_state=0).fit(two_clusters(rng)).executor_ == "fused"
    with pytest.raises(ValueError, match="executor='fused' cannot fit rows with missing entries"):
        GaussianMixture(2, nan_policy="omit", executor="fused").fit(X)


# ---------------------------------------------------------------------------------------------------
# recovery: closer to the truth than listwise deletion and mean imputation

def _parameter_error(model, means, covariances):
    "Matched (Hungarian) mean distance plus covariance Frobenius distance, averaged over components."
    cost = np.linalg.norm(model.means_[:, None] - means[None], axis=2)
    rows, cols = linear_sum_assignment(cost)
    return float(np.mean([cost[r, c] + np.linalg.norm(model.covariances_[r] - covariances[c])
                          for r, c in zip(rows, cols)]))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_recovery_at_30_percent_mcar_beats_both_shortcuts(seed):
    rng = np.random.default_rng(seed)
    d = 4
    means = np.array([np.zeros(d), np.r_[5.0, 5.0, 0.0, 0.0], np.r_[0.0, 5.0, 5.0, 5.0]])
    covariances = np.stack([random_spd(rng, d, scale=0.3) for _ in range(3)])
    labels = rng.choice(3, size=1500, p=[0.4, 0.35, 0.25])
    X = np.stack([rng.multivariate_normal(means[z], covariances[z]) for z in labels])
    X_holes = np.where(rng.random(X.shape) < 0.3, np.nan, X)
    settings = dict(n_components=3, n_init=5, random_state=seed, max_iter=500)
    em = GaussianMixture(nan_policy="omit", **settings).fit(X_holes)
    listwise = GaussianMixture(**settings).fit(X_holes[~np.isnan(X_holes).any(axis=1)])
    imputed = GaussianMixture(**settings).fit(np.where(np.isnan(X_holes), np.nanmean(X_holes, axis=0), X_holes))
    errors = [_parameter_error(m, means, covariances) for m in (em, listwise, imputed)]
    print("EM, listwise deletion, mean imputation:", np.round(errors, 3))
    assert errors[0] < errors[1] and errors[0] < errors[2], errors


# ---------------------------------------------------------------------------------------------------
# scoring rows with holes

def test_a_row_with_nothing_observed_gets_the_weights_and_log_density_zero():
    rng = np.random.default_rng(9)
    X = holes(two_clusters(rng), 0.2, rng)
    for model in (GaussianMixture(2, nan_policy="omit", random_state=0).fit(X),
                  GaussianMixture(2, covariance_type="diag", nan_policy="omit", random_state=0).fit(X),
                  BernoulliMixture(2, nan_policy="omit", random_state=0).fit((np.nan_to_num(X, nan=0) > 2) * 1.0)):
        empty = np.full((2, model.n_features_in_), np.nan)
        np.testing.assert_allclose(model.predict_proba(empty), np.tile(model.weights_, (2, 1)), rtol=1e-12)
        assert np.abs(model.score_samples(empty)).max() < 1e-12            # log sum_k pi_k = log 1


def test_scores_of_rows_with_holes_are_the_marginal_mixture_density():
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal
    rng = np.random.default_rng(10)
    X = holes(two_clusters(rng), 0.3, rng)
    model = GaussianMixture(2, nan_policy="omit", random_state=0).fit(X)
    for x in X[:30]:
        o = ~np.isnan(x)
        if not o.any():
            continue
        expected = logsumexp([np.log(w) + multivariate_normal(m[o], c[np.ix_(o, o)]).logpdf(x[o])
                              for w, m, c in zip(model.weights_, model.means_, model.covariances_)])
        assert abs(model.score_samples(x[None])[0] - expected) < 1e-10


# ---------------------------------------------------------------------------------------------------
# bad input: each a clear error

def test_nan_without_the_option_says_where_and_how_to_allow_it():
    X = two_clusters(np.random.default_rng(11))
    X[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN \(the first NaN at row 7, column 2\)\. To read NaN as missing "
                                         r"entries, pass nan_policy='omit' to GaussianMixture"):
        GaussianMixture(2).fit(X)
    fitted = GaussianMixture(2).fit(np.nan_to_num(X))
    for method in (fitted.predict, fitted.predict_proba, fitted.score_samples, fitted.score):
        with pytest.raises(ValueError, match="nan_policy='omit'"):
            method(X)
    from mixlearn import MultinomialMixture
    with pytest.raises(ValueError, match="MultinomialMixture does not model missing entries"):
        MultinomialMixture(2).fit(np.where(np.isnan(X), np.nan, np.abs(np.round(X))))


@pytest.mark.parametrize("make", [lambda: GaussianMixture(2, nan_policy="omit"),
                                  lambda: BernoulliMixture(2, nan_policy="omit"),
                                  lambda: CategoricalMixture(2, nan_policy="omit")])
def test_a_column_with_nothing_observed_is_an_error(make):
    X = (np.random.default_rng(12).random((50, 3)) < 0.5).astype(float)
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match="X column 1 has no observed entry"):
        make().fit(X)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_columns_never_observed_together_are_an_error_for_full_and_tied(covariance_type):
    X = two_clusters(np.random.default_rng(13))
    X[:200, 0] = np.nan
    X[200:, 1] = np.nan
    with pytest.raises(ValueError, match="X columns 0 and 1 are never observed in the same row"):
        GaussianMixture(2, covariance_type=covariance_type, nan_policy="omit").fit(X)
    assert GaussianMixture(2, covariance_type="diag", nan_policy="omit", random_state=0).fit(X).converged_


@pytest.mark.parametrize("bad, message", [(np.inf, "An infinity is a value out of range"),
                                          (-np.inf, "An infinity is a value out of range")])
def test_infinity_is_an_error_even_with_the_option(bad, message):
    X = two_clusters(np.random.default_rng(14))
    X[3, 0], X[4, 1] = np.nan, bad
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, nan_policy="omit").fit(X)


def test_nan_policy_must_be_raise_or_omit():
    X = two_clusters(np.random.default_rng(15))
    for bad in ("propagate", None, 1):
        with pytest.raises(ValueError, match="nan_policy must be 'raise' or 'omit'"):
            GaussianMixture(2, nan_policy=bad).fit(X)


def test_values_other_than_codes_are_still_refused_beside_nan():
    X = (np.random.default_rng(16).random((50, 3)) < 0.5).astype(float)
    X[0, 0], X[1, 1] = np.nan, 0.5
    with pytest.raises(ValueError, match="only 0 and 1"):
        BernoulliMixture(2, nan_policy="omit").fit(X)
    with pytest.raises(ValueError, match="integer category codes"):
        CategoricalMixture(2, nan_policy="omit").fit(X)


# ---------------------------------------------------------------------------------------------------
# the imputer

def test_imputer_fills_conditional_means_and_keeps_observed_entries():
    rng = np.random.default_rng(17)
    X = holes(two_clusters(rng), 0.3, rng)
    imputer = MixtureImputer(GaussianMixture(2, random_state=0)).fit(X)
    filled = imputer.transform(X)
    observed = ~np.isnan(X)
    assert not np.isnan(filled).any() and np.array_equal(filled[observed], X[observed])
    model = imputer.mixture_
    assert model.nan_policy == "omit" and imputer.mixture.nan_policy == "raise"     # the template is untouched
    resp = model.predict_proba(X)
    for i in range(2, 40):
        m = np.isnan(X[i])
        if m.any():
            expected = sum(resp[i, k] * conditional_gaussian(X[i], model.means_[k], model.covariances_[k])[0]
                           for k in range(2))
            np.testing.assert_allclose(filled[i, m], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(filled[0], model.weights_ @ model.means_, rtol=1e-10)   # nothing observed


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_imputer_draws_average_to_the_conditional_mean(covariance_type):
    rng = np.random.default_rng(18)
    X = holes(two_clusters(rng), 0.3, rng)[:30]
    model = GaussianMixture(2, covariance_type=covariance_type, nan_policy="omit", random_state=0).fit(
        holes(two_clusters(rng), 0.3, rng))
    resp = model.predict_proba(X)
    mean = gaussian_impute(X, resp, model.means_, model.precisions_cholesky_, covariance_type)
    draws = np.stack([gaussian_impute(X, resp, model.means_, model.precisions_cholesky_, covariance_type,
                                      np.random.default_rng(s)) for s in range(3000)])
    assert np.abs(draws.mean(axis=0) - mean).max() < 0.15
    assert draws.std(axis=0)[np.isnan(X)].min() > 0 and (np.ptp(draws, axis=0)[~np.isnan(X)] == 0).all()


def test_imputer_draws_change_between_calls_and_follow_random_state():
    rng = np.random.default_rng(19)
    X = holes(two_clusters(rng), 0.3, rng)
    first = MixtureImputer(GaussianMixture(2, random_state=0), sample_posterior=True, random_state=1).fit(X)
    second = MixtureImputer(GaussianMixture(2, random_state=0), sample_posterior=True, random_state=1).fit(X)
    a, b = first.transform(X), first.transform(X)
    assert not np.array_equal(a, b) and np.array_equal(a, second.transform(X))


@pytest.mark.parametrize("mixture, data", [
    (BernoulliMixture(2, random_state=0), lambda rng: (rng.random((200, 5)) < 0.5).astype(float)),
    (CategoricalMixture(2, random_state=0), lambda rng: rng.integers(0, 3, (200, 5)).astype(float))])
def test_imputer_for_binary_and_categorical_data(mixture, data):
    rng = np.random.default_rng(20)
    X = holes(data(rng), 0.3, rng)
    for sample_posterior in (False, True):
        filled = MixtureImputer(mixture, sample_posterior=sample_posterior, random_state=0).fit_transform(X)
        assert not np.isnan(filled).any() and np.array_equal(filled[~np.isnan(X)], X[~np.isnan(X)])
        if sample_posterior or isinstance(mixture, CategoricalMixture):
            assert set(np.unique(filled)) <= set(np.unique(X[~np.isnan(X)]))


def test_imputer_in_a_pipeline_and_cloned():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    rng = np.random.default_rng(21)
    X = two_clusters(rng)
    y = (np.arange(len(X)) >= len(X) // 2).astype(int)
    X = holes(X, 0.3, rng)
    pipeline = make_pipeline(MixtureImputer(GaussianMixture(2, random_state=0)), LogisticRegression())
    assert pipeline.fit(X, y).score(X, y) > 0.9
    copy = clone(MixtureImputer(GaussianMixture(3), sample_posterior=True))
    assert copy.mixture.n_components == 3 and copy.sample_posterior is True
    del sklearn


def test_imputer_errors():
    X = two_clusters(np.random.default_rng(22))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        MixtureImputer().transform(X)
    from mixlearn import MultinomialMixture
    with pytest.raises(TypeError, match="mixture must be a GaussianMixture"):
        MixtureImputer(MultinomialMixture(2)).fit(X)
    with pytest.raises(ValueError, match="Invalid parameter"):
        MixtureImputer().set_params(n_components=2)
    with pytest.raises(ValueError, match="X has 2 features, but GaussianMixture is expecting 3"):
        MixtureImputer(GaussianMixture(2)).fit(X).transform(X[:, :2])


def test_more_than_62_features_take_the_other_pattern_key():
    "Patterns are keyed by an integer up to d = 62, by their columns beyond: both give the per-row result."
    rng = np.random.default_rng(23)
    d, k = 70, 2
    X = holes(rng.normal(size=(40, d)), 0.1, rng)
    X[5] = X[6]                                             # two rows with one pattern
    means = rng.normal(size=(k, d))
    covariances = np.stack([random_spd(rng, d) for _ in range(k)])
    U = compute_precision_cholesky(covariances, "full")
    naive = np.array([[conditional_gaussian(x, means[j], covariances[j])[2] for j in range(k)] for x in X])
    np.testing.assert_allclose(observed_log_prob(X, means, U, "full"), naive, rtol=0, atol=1e-9)


def test_categorical_blocks_give_the_in_memory_result(monkeypatch):
    "Blocks start from the same rows as the in-memory fit, so the same random_state gives the same start."
    rng = np.random.default_rng(24)
    make, data = FAMILIES[5]
    X = holes(data(rng), 0.3, rng)
    in_memory = make(nan_policy="omit", random_state=0, executor="memory").fit(X)
    import mixlearn.scaling
    monkeypatch.setattr(mixlearn.scaling, "BLOCK_ROWS", 64)
    blocks = make(nan_policy="omit", random_state=0, executor="blocks").fit(X)
    assert blocks.n_iter_ == in_memory.n_iter_
    for a, b in zip(blocks.probs_, in_memory.probs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
