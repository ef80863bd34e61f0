"""Hypothesis property tests: responsibilities, monotone bound, permutation and translation
invariance, density helpers. Data are built from drawn seeds so each example is cheap."""

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

from conftest import COVARIANCE_TYPES, INIT_PARAMS, full_covariances, random_covariances
from mixlearn import ConvergenceWarning, GaussianMixture
from mixlearn.densities import (
    compute_precision_cholesky,
    covariances_from_precision_cholesky,
    gaussian_log_prob,
    precision_cholesky_from_precisions,
)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
covariance_types = st.sampled_from(COVARIANCE_TYPES)
init_params = st.sampled_from(INIT_PARAMS)


def _data(seed, n, d, k, spread=4.0):
    """n rows around k random centres, with per-cluster random scales."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=spread, size=(k, d))
    labels = rng.integers(k, size=n)
    scales = rng.uniform(0.3, 2.0, size=(k, 1))
    return centres[labels] + scales[labels] * rng.normal(size=(n, d))


def _user_init(seed, X, k, covariance_type):
    rng = np.random.default_rng(seed + 1)
    n, d = X.shape
    weights = rng.dirichlet(np.full(k, 5.0))
    means = X[rng.choice(n, size=k, replace=False)] + 0.1 * rng.normal(size=(k, d))
    covariances = random_covariances(rng, covariance_type, k, d)
    precisions = (
        np.linalg.inv(covariances) if covariance_type in ("full", "tied") else 1.0 / covariances
    )
    return dict(weights_init=weights, means_init=means, precisions_init=precisions)


def _fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(**params).fit(X)


@settings(max_examples=40)
@given(
    seed=seeds,
    n=st.integers(10, 80),
    d=st.integers(1, 4),
    k=st.integers(1, 4),
    covariance_type=covariance_types,
    init=init_params,
    far=st.floats(0.0, 1e6),
)
def test_responsibilities_are_probabilities(seed, n, d, k, covariance_type, init, far):
    X = _data(seed, n, d, k)
    model = _fit(X, n_components=k, covariance_type=covariance_type, init_params=init,
                 max_iter=20, random_state=seed)
    rng = np.random.default_rng(seed)
    X_new = np.vstack([X, rng.normal(scale=far + 1.0, size=(5, d))])
    proba = model.predict_proba(X_new)
    assert proba.shape == (n + 5, k)
    assert np.isfinite(proba).all()
    assert np.all(proba >= 0.0) and np.all(proba <= 1.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(model.score_samples(X_new)).all()
    labels = model.predict(X_new)
    assert labels.min() >= 0 and labels.max() < k


@settings(max_examples=40)
@given(
    seed=seeds,
    n=st.integers(20, 100),
    d=st.integers(1, 3),
    k=st.integers(1, 4),
    covariance_type=covariance_types,
    init=init_params,
    weighted=st.booleans(),
)
def test_bound_never_decreases(seed, n, d, k, covariance_type, init, weighted):
    X = _data(seed, n, d, k)
    sample_weight = np.random.default_rng(seed).uniform(0.0, 3.0, size=n) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GaussianMixture(n_components=k, covariance_type=covariance_type, init_params=init,
                                tol=0.0, max_iter=25, random_state=seed).fit(X, sample_weight=sample_weight)
    bounds = np.asarray(model.lower_bounds_)
    assert len(bounds) == model.n_iter_ == 25
    assert np.isfinite(bounds).all()
    scale = max(1.0, np.abs(bounds).max())
    assert np.all(np.diff(bounds) >= -1e-10 * scale), np.diff(bounds).min()


@settings(max_examples=30)
@given(seed=seeds, n=st.integers(10, 60), d=st.integers(1, 3), k=st.integers(1, 3),
       covariance_type=covariance_types)
def test_fit_and_score_invariant_to_row_permutation(seed, n, d, k, covariance_type):
    X = _data(seed, n, d, k)
    perm = np.random.default_rng(seed).permutation(n)
    init = _user_init(seed, X, k, covariance_type)
    params = dict(n_components=k, covariance_type=covariance_type, tol=0.0, max_iter=10, **init)
    model = _fit(X, **params)
    permuted = _fit(X[perm], **params)

    np.testing.assert_allclose(model.score(X[perm]), model.score(X), rtol=1e-12)
    np.testing.assert_allclose(permuted.score(X), model.score(X), rtol=1e-8)
    np.testing.assert_allclose(permuted.means_, model.means_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(permuted.weights_, model.weights_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(permuted.lower_bounds_, model.lower_bounds_, rtol=1e-8)


@settings(max_examples=30)
@given(seed=seeds, n=st.integers(10, 60), d=st.integers(1, 3), k=st.integers(1, 3),
       covariance_type=covariance_types)
def test_predict_proba_invariant_to_row_permutation(seed, n, d, k, covariance_type):
    X = _data(seed, n, d, k)
    model = _fit(X, n_components=k, covariance_type=covariance_type, max_iter=10, random_state=seed)
    perm = np.random.default_rng(seed).permutation(n)
    np.testing.assert_allclose(model.predict_proba(X[perm]), model.predict_proba(X)[perm],
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.score_samples(X[perm]), model.score_samples(X)[perm], rtol=1e-12)


@settings(max_examples=30)
@given(
    seed=seeds,
    n=st.integers(15, 60),
    d=st.integers(1, 3),
    k=st.integers(1, 3),
    covariance_type=covariance_types,
    shift=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
)
def test_means_follow_a_translation(seed, n, d, k, covariance_type, shift):
    X = _data(seed, n, d, k)
    t = np.asarray(shift[:d])
    init = _user_init(seed, X, k, covariance_type)
    params = dict(n_components=k, covariance_type=covariance_type, tol=0.0, max_iter=10)
    model = _fit(X, **params, **init)
    shifted_init = dict(init, means_init=init["means_init"] + t)
    moved = _fit(X + t, **params, **shifted_init)

    np.testing.assert_allclose(moved.means_, model.means_ + t, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(moved.covariances_, model.covariances_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(moved.weights_, model.weights_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(moved.score(X + t), model.score(X), rtol=1e-8)
    np.testing.assert_allclose(moved.predict_proba(X + t), model.predict_proba(X), atol=1e-7)


@settings(max_examples=40)
@given(seed=seeds, k=st.integers(1, 4), d=st.integers(1, 5), covariance_type=covariance_types)
def test_gaussian_log_prob_matches_scipy(seed, k, d, covariance_type):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=5.0, size=(k, d))
    covariances = random_covariances(rng, covariance_type, k, d, scale=rng.uniform(0.01, 100.0))
    X = rng.normal(scale=5.0, size=(7, d))
    log_prob = gaussian_log_prob(X, means, compute_precision_cholesky(covariances, covariance_type),
                                 covariance_type)
    full = full_covariances(covariances, covariance_type, k, d)
    expected = np.column_stack([multivariate_normal(means[j], full[j]).logpdf(X).reshape(7)
                                for j in range(k)])
    np.testing.assert_allclose(log_prob, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=40)
@given(seed=seeds, k=st.integers(1, 4), d=st.integers(1, 5), covariance_type=covariance_types)
def test_precision_cholesky_round_trip(seed, k, d, covariance_type):
    rng = np.random.default_rng(seed)
    covariances = random_covariances(rng, covariance_type, k, d, scale=rng.uniform(0.01, 100.0))
    precisions_cholesky = compute_precision_cholesky(covariances, covariance_type)
    np.testing.assert_allclose(
        covariances_from_precision_cholesky(precisions_cholesky, covariance_type),
        covariances, rtol=1e-8, atol=1e-12)
    precisions = (np.linalg.inv(covariances) if covariance_type in ("full", "tied")
                  else 1.0 / covariances)
    np.testing.assert_allclose(
        precision_cholesky_from_precisions(precisions, covariance_type), precisions_cholesky,
        rtol=1e-7, atol=1e-10 * np.abs(precisions_cholesky).max())
