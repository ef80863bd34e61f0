"""GaussianMixture against scikit-learn's GaussianMixture, from identical user-given starting points.

With weights_init, means_init and precisions_init all given, both libraries run deterministic EM, so
every fitted attribute and every score must agree to rounding (rtol 1e-6, a tiny atol for
probabilities near zero).
"""

import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from conftest import COVARIANCE_TYPES
from mixlearn import GaussianMixture

RTOL = 1e-6
OFFSET = 1e4


def class_initialisation(X, labels, covariance_type):
    """Starting weights, means and precisions from the iris classes (deterministic)."""
    k = labels.max() + 1
    weights = np.bincount(labels) / len(labels)
    means = np.array([X[labels == j].mean(axis=0) for j in range(k)])
    covariances = np.array([np.cov(X[labels == j].T, bias=True) for j in range(k)])
    if covariance_type == "full":
        precisions = np.linalg.inv(covariances)
    elif covariance_type == "tied":
        precisions = np.linalg.inv(np.einsum("k,kij->ij", weights, covariances))
    elif covariance_type == "diag":
        precisions = 1.0 / np.array([np.diag(c) for c in covariances])
    else:
        precisions = 1.0 / np.array([np.diag(c).mean() for c in covariances])
    # start away from the optimum so that EM has some way to go
    rng = np.random.default_rng(0)
    means = means + rng.normal(scale=0.3, size=means.shape)
    weights = np.array([0.5, 0.3, 0.2])
    return weights, means, precisions


def short_fit_initialisation(X, covariance_type):
    """Starting parameters from a 2-iteration scikit-learn fit (a different kind of start)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkGaussianMixture(
            3, covariance_type=covariance_type, max_iter=2, init_params="random", random_state=1
        ).fit(X)
    return sk.weights_, sk.means_, sk.precisions_


def fit_both(X, covariance_type, weights, means, precisions, max_iter=30, tol=0.0, reg_covar=1e-6):
    kwargs = dict(
        covariance_type=covariance_type,
        tol=tol,
        max_iter=max_iter,
        reg_covar=reg_covar,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GaussianMixture(3, **kwargs).fit(X)
        theirs = SkGaussianMixture(3, **kwargs).fit(X)
    return ours, theirs


def assert_parity(ours, theirs, X_ours, X_theirs, mean_shift=0.0):
    """Every fitted attribute and score agrees; X_ours = X_theirs + mean_shift."""
    assert ours.weights_.shape == theirs.weights_.shape
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=RTOL)
    np.testing.assert_allclose(ours.means_ - mean_shift, theirs.means_, rtol=RTOL, atol=1e-9)
    for name in ("covariances_", "precisions_", "precisions_cholesky_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.shape == b.shape, name
        scale = np.abs(b).max()
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12 * scale, err_msg=name)
    np.testing.assert_allclose(ours.score(X_ours), theirs.score(X_theirs), rtol=RTOL)
    np.testing.assert_allclose(
        ours.score_samples(X_ours), theirs.score_samples(X_theirs), rtol=RTOL, atol=1e-9
    )
    np.testing.assert_allclose(ours.bic(X_ours), theirs.bic(X_theirs), rtol=RTOL)
    np.testing.assert_allclose(ours.aic(X_ours), theirs.aic(X_theirs), rtol=RTOL)
    np.testing.assert_allclose(
        ours.predict_proba(X_ours), theirs.predict_proba(X_theirs), rtol=RTOL, atol=1e-10
    )
    np.testing.assert_array_equal(ours.predict(X_ours), theirs.predict(X_theirs))
    assert len(ours.lower_bounds_) == len(theirs.lower_bounds_)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=RTOL)
    np.testing.assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=RTOL)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_iris_from_class_means(iris, covariance_type):
    X, labels = iris
    init = class_initialisation(X, labels, covariance_type)
    ours, theirs = fit_both(X, covariance_type, *init)
    assert_parity(ours, theirs, X, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_iris_from_short_fit(iris, covariance_type):
    X, _ = iris
    init = short_fit_initialisation(X, covariance_type)
    ours, theirs = fit_both(X, covariance_type, *init)
    assert_parity(ours, theirs, X, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_iris_offset_1e4(iris, covariance_type):
    """Data far from the origin: our fit on X + 1e4 equals scikit-learn's fit on X, shifted.

    scikit-learn itself loses ~1e-6 relative accuracy at this offset for tied/diag/spherical
    (it computes E[x^2] - mu^2), so the oracle is scikit-learn on the unshifted data: a Gaussian
    mixture fit is translation-equivariant, and a centred computation keeps that to rounding."""
    X, labels = iris
    weights, means, precisions = class_initialisation(X, labels, covariance_type)
    X_far = X + OFFSET
    ours, _ = fit_both(X_far, covariance_type, weights, means + OFFSET, precisions)
    _, theirs = fit_both(X, covariance_type, weights, means, precisions)
    assert_parity(ours, theirs, X_far, X, mean_shift=OFFSET)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_offset_1e6_keeps_translation_equivariance(iris, covariance_type):
    """Further out still (1e6): same fit as scikit-learn on the centred data, to 1e-5."""
    X, labels = iris
    weights, means, precisions = class_initialisation(X, labels, covariance_type)
    ours, _ = fit_both(X + 1e6, covariance_type, weights, means + 1e6, precisions)
    _, theirs = fit_both(X, covariance_type, weights, means, precisions)
    np.testing.assert_allclose(ours.means_ - 1e6, theirs.means_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-5,
                               atol=1e-9 * np.abs(theirs.covariances_).max())
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-5)
    np.testing.assert_allclose(ours.score(X + 1e6), theirs.score(X), rtol=1e-5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_with_default_tolerance_stops_at_the_same_iteration(iris, covariance_type):
    """tol has scikit-learn's meaning: |change of the mean log-likelihood| < tol."""
    X, labels = iris
    init = class_initialisation(X, labels, covariance_type)
    ours, theirs = fit_both(X, covariance_type, *init, max_iter=200, tol=1e-3)
    assert theirs.converged_
    assert_parity(ours, theirs, X, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_with_large_reg_covar(iris, covariance_type):
    X, labels = iris
    init = class_initialisation(X, labels, covariance_type)
    ours, theirs = fit_both(X, covariance_type, *init, max_iter=10, reg_covar=0.05)
    assert_parity(ours, theirs, X, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_scores_on_new_data(iris, covariance_type):
    X, labels = iris
    init = class_initialisation(X, labels, covariance_type)
    ours, theirs = fit_both(X, covariance_type, *init, max_iter=5)
    X_new = np.random.default_rng(3).normal(loc=X.mean(axis=0), scale=2 * X.std(axis=0), size=(40, 4))
    np.testing.assert_allclose(ours.score_samples(X_new), theirs.score_samples(X_new), rtol=RTOL)
    np.testing.assert_allclose(
        ours.predict_proba(X_new), theirs.predict_proba(X_new), rtol=RTOL, atol=1e-10
    )
    np.testing.assert_allclose(ours.bic(X_new), theirs.bic(X_new), rtol=RTOL)


def test_parity_one_component(iris):
    """k=1: the maximum-likelihood Gaussian, reached in one M-step."""
    X, _ = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GaussianMixture(1).fit(X)
        theirs = SkGaussianMixture(1).fit(X)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=RTOL)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=RTOL)
    np.testing.assert_allclose(ours.means_[0], X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(
        ours.covariances_[0], np.cov(X.T, bias=True) + 1e-6 * np.eye(4), rtol=1e-10
    )
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=RTOL)
