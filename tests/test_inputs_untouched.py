"""Inputs and constructor parameters are never modified; memory layout and dtype do not matter."""

import warnings

import numpy as np
import pytest

from conftest import COVARIANCE_TYPES, make_blobs, precisions_from_covariances
from mixlearn import ConvergenceWarning, GaussianMixture


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X, _ = make_blobs(rng, 120, [[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
    return X


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_and_predict_do_not_modify_inputs(data, covariance_type):
    X = data.copy()
    weights = np.linspace(0.5, 1.5, len(X))
    weights_copy = weights.copy()
    model = GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    model.fit(X, sample_weight=weights)
    model.fit_predict(X, sample_weight=weights)
    for method in ("predict", "predict_proba", "score_samples", "score", "bic", "aic", "icl"):
        getattr(model, method)(X)
    np.testing.assert_array_equal(X, data)
    np.testing.assert_array_equal(weights, weights_copy)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_does_not_modify_constructor_parameters(data, covariance_type):
    weights_init = np.array([0.2, 0.3, 0.5])
    means_init = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
    covariances = {"full": np.stack([np.eye(2)] * 3), "tied": np.eye(2), "diag": np.ones((3, 2)),
                   "spherical": np.ones(3)}[covariance_type]
    precisions_init = precisions_from_covariances(covariances, covariance_type)
    copies = [weights_init.copy(), means_init.copy(), precisions_init.copy()]
    model = GaussianMixture(3, covariance_type=covariance_type, weights_init=weights_init,
                            means_init=means_init, precisions_init=precisions_init)
    before = model.get_params()
    model.fit(data)
    after = model.get_params()
    assert before.keys() == after.keys()
    for name in before:
        assert after[name] is before[name], name
    for array, copy in zip((weights_init, means_init, precisions_init), copies):
        np.testing.assert_array_equal(array, copy)
    # the fitted parameters are not views of the user's arrays
    model.means_[0, 0] = 123.0
    assert means_init[0, 0] == 0.0


def test_layout_and_dtype_do_not_matter(data):
    params = dict(n_components=3, random_state=0)
    reference = GaussianMixture(**params).fit(data)
    for X in (np.asfortranarray(data), data[::-1][::-1], np.repeat(data, 2, axis=1)[:, ::2]):
        model = GaussianMixture(**params).fit(X)
        np.testing.assert_allclose(model.means_, reference.means_, rtol=1e-12)
    float32 = GaussianMixture(**params).fit(data.astype(np.float32))
    assert float32.means_.dtype == np.float64
    np.testing.assert_allclose(float32.means_, reference.means_, rtol=1e-5)


def test_init_arrays_may_be_lists(data):
    model = GaussianMixture(
        3,
        weights_init=[0.2, 0.3, 0.5],
        means_init=[[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]],
        precisions_init=[[[1.0, 0.0], [0.0, 1.0]]] * 3,
    ).fit(data)
    assert np.isfinite(model.means_).all()


def test_max_iter_zero_with_partial_init(data):
    means_init = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
    model = GaussianMixture(3, means_init=means_init, max_iter=0, random_state=0).fit(data)
    np.testing.assert_array_equal(model.means_, means_init)
    assert np.isfinite(model.covariances_).all()
    np.testing.assert_allclose(model.weights_.sum(), 1.0)


def test_single_row_queries(data):
    model = GaussianMixture(3, random_state=0).fit(data)
    row = data[:1]
    assert model.predict(row).shape == (1,)
    assert model.predict_proba(row).shape == (1, 3)
    assert model.score_samples(row).shape == (1,)
    assert np.isfinite(model.score(row))


def test_zero_weight_in_weights_init(data):
    """A component that starts with weight 0 never fires: still finite, no NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GaussianMixture(3, weights_init=[0.5, 0.5, 0.0], random_state=0).fit(data)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.isfinite(getattr(model, name)).all(), name
    assert np.isfinite(model.score_samples(data)).all()
    np.testing.assert_allclose(model.predict_proba(data).sum(axis=1), 1.0)


def test_sample_weight_concentrated_on_few_rows(data):
    """Only two rows carry weight, three components: degenerate but finite."""
    weights = np.zeros(len(data))
    weights[[0, 50]] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GaussianMixture(3, random_state=0).fit(data, sample_weight=weights)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.isfinite(getattr(model, name)).all(), name
    assert np.isfinite(model.lower_bound_)
    assert np.isfinite(model.score_samples(data)).all()
