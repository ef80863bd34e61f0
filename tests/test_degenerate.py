"""Degenerate data: duplicates, collapsed components, outliers, constant features, far queries.
The fit must give finite parameters and finite scores, never NaN."""

import warnings

import numpy as np
import pytest

from conftest import COVARIANCE_TYPES, INIT_PARAMS, make_blobs
from mixlearn import ConvergenceWarning, GaussianMixture


def _fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(**params).fit(X)


def assert_finite_model(model, X):
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        value = getattr(model, name)
        assert np.isfinite(value).all(), (name, value)
    np.testing.assert_allclose(model.weights_.sum(), 1.0, rtol=1e-10)
    assert np.all(model.weights_ >= 0)
    assert np.isfinite(model.lower_bound_)
    assert np.isfinite(model.lower_bounds_).all()
    assert np.isfinite(model.score(X))
    assert np.isfinite(model.score_samples(X)).all()
    assert np.isfinite(model.bic(X)) and np.isfinite(model.aic(X)) and np.isfinite(model.icl(X))
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("k", [1, 2])
def test_all_rows_identical(covariance_type, init_params, k):
    X = np.tile([[1.5, -2.0]], (30, 1))
    model = _fit(X, n_components=k, covariance_type=covariance_type, init_params=init_params,
                 random_state=0)
    assert_finite_model(model, X)
    # every used component sits on the point, with variance reg_covar
    used = model.weights_ > 1e-6
    np.testing.assert_allclose(model.means_[used], np.broadcast_to([1.5, -2.0], model.means_[used].shape),
                               atol=1e-8)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_component_collapses_onto_one_point(covariance_type):
    rng = np.random.default_rng(0)
    X, _ = make_blobs(rng, 60, [[0.0, 0.0], [10.0, 0.0]])
    X = np.vstack([X, [[5.0, 40.0]]])  # a lone point far from both blobs
    model = _fit(
        X,
        n_components=3,
        covariance_type=covariance_type,
        means_init=np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 40.0]]),
        max_iter=50,
    )
    assert_finite_model(model, X)
    lone = np.argmin(np.linalg.norm(model.means_ - [5.0, 40.0], axis=1))
    np.testing.assert_allclose(model.means_[lone], [5.0, 40.0], atol=1e-6)
    if covariance_type != "tied":
        assert model.weights_[lone] == pytest.approx(1 / len(X), rel=1e-6)
    assert model.predict(np.array([[5.0, 40.0]]))[0] == lone


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_far_outlier(covariance_type, init_params):
    rng = np.random.default_rng(1)
    X, _ = make_blobs(rng, 80, [[0.0, 0.0], [6.0, 6.0]])
    X = np.vstack([X, [[1e6, -1e6]]])
    model = _fit(X, n_components=2, covariance_type=covariance_type, init_params=init_params,
                 random_state=0)
    assert_finite_model(model, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_constant_feature(covariance_type):
    rng = np.random.default_rng(2)
    X, _ = make_blobs(rng, 60, [[0.0, 0.0], [8.0, 8.0]])
    X = np.column_stack([X, np.full(len(X), 3.0)])
    model = _fit(X, n_components=2, covariance_type=covariance_type, random_state=0)
    assert_finite_model(model, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_two_distinct_points_many_components(covariance_type):
    X = np.array([[0.0, 0.0]] * 10 + [[1.0, 1.0]] * 10)
    model = _fit(X, n_components=4, covariance_type=covariance_type, random_state=0)
    assert_finite_model(model, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_predict_proba_far_away_point(covariance_type):
    rng = np.random.default_rng(3)
    X, _ = make_blobs(rng, 90, [[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    model = _fit(X, n_components=3, covariance_type=covariance_type, random_state=0)
    far = np.array([[1e8, 1e8], [-1e8, 0.0], [0.0, 1e8], [1e8, -3e7]])
    proba = model.predict_proba(far)
    assert np.isfinite(proba).all()
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.isfinite(model.score_samples(far)).all()
    assert np.isfinite(model.score(far))


def test_one_dimensional_data():
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(-3, 0.5, 100), rng.normal(3, 1.0, 100)])[:, None]
    for covariance_type in COVARIANCE_TYPES:
        model = _fit(X, n_components=2, covariance_type=covariance_type, random_state=0)
        assert_finite_model(model, X)
        np.testing.assert_allclose(np.sort(model.means_.ravel()), [-3, 3], atol=0.3)


def test_tiny_and_huge_scales():
    rng = np.random.default_rng(5)
    X, _ = make_blobs(rng, 100, [[0.0, 0.0], [6.0, 6.0]])
    for scale in (1e-5, 1e6):
        model = _fit(X * scale, n_components=2, random_state=0)
        assert_finite_model(model, X * scale)


# ---------------------------------------------------------------------------------------------
# finite but extreme values: raise a clear error or return numbers, never NaN
# ---------------------------------------------------------------------------------------------

BAD = (ValueError, TypeError)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("distance", [1e155, 1e300])
def test_extreme_query_point_never_gives_nan(covariance_type, distance):
    """A finite query so far away that its squared distance overflows float64. The responsibilities
    are still well defined; the log-density may round to -inf, but nothing may be NaN."""
    rng = np.random.default_rng(6)
    X, _ = make_blobs(rng, 60, [[0.0, 0.0], [5.0, 5.0]])
    model = _fit(X, n_components=2, covariance_type=covariance_type, random_state=0)
    _assert_query_never_nan(model, np.array([[distance, -distance], [1.0, 1.0]]))


def _assert_query_never_nan(model, Q):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            proba = model.predict_proba(Q)
        except BAD:
            proba = None
        if proba is not None:
            assert not np.isnan(proba).any(), proba
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
        try:
            log_density = model.score_samples(Q)
        except BAD:
            log_density = None
        if log_density is not None:
            assert not np.isnan(log_density).any(), log_density


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_overflowing_mahalanobis_distance_tight_components(covariance_type):
    """Accepted magnitudes, but the Mahalanobis distance overflows because the fitted variances are
    tiny (reg_covar=0 is allowed, on data of scale 1e-100). No NaN: finite responsibilities (they
    are well defined), or a clear error."""
    rng = np.random.default_rng(10)
    X, _ = make_blobs(rng, 60, [[0.0, 0.0], [5.0, 5.0]])
    model = _fit(X * 1e-100, n_components=2, covariance_type=covariance_type, reg_covar=0.0,
                 random_state=0)
    _assert_query_never_nan(model, np.array([[1e100, -1e100], [0.0, 0.0]]))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_overflowing_mahalanobis_distance_many_features(covariance_type):
    """Default reg_covar, 200 features of tiny spread, a query at 1e150 in every coordinate (an
    accepted magnitude): the squared distance sums 200 terms of ~1e306 and overflows."""
    rng = np.random.default_rng(11)
    X = rng.normal(scale=1e-4, size=(300, 200))
    model = _fit(X, n_components=2, covariance_type=covariance_type, random_state=0)
    _assert_query_never_nan(model, np.vstack([np.full((1, 200), 1e150), X[:1]]))


def _check_extreme_fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = GaussianMixture(2, random_state=0, **params).fit(X)
        except BAD as error:
            message = str(error)
            assert "X" in message or "reg_covar" in message or "scale" in message, message
            return
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert not np.isnan(getattr(model, name)).any(), (name, getattr(model, name))
    assert not np.isnan(model.score(X))


@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("scale", [1e155, 1e-160])
def test_extreme_data_scale_fit_never_gives_nan(init_params, scale):
    """Finite data whose squares overflow (or underflow): fit raises a ValueError/TypeError that
    names X (or says to rescale), or gives finite parameters. Silent NaN parameters, or a raw
    IndexError from inside k-means, are not allowed."""
    rng = np.random.default_rng(7)
    X, _ = make_blobs(rng, 60, [[0.0, 0.0], [5.0, 5.0]])
    _check_extreme_fit(X * scale, init_params=init_params)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_extreme_data_scale_fit_never_gives_nan_user_init(covariance_type):
    """The same with user-given starting means (no k-means involved)."""
    rng = np.random.default_rng(7)
    X, _ = make_blobs(rng, 60, [[0.0, 0.0], [5.0, 5.0]])
    scale = 1e155
    _check_extreme_fit(X * scale, covariance_type=covariance_type,
                       means_init=np.array([[0.0, 0.0], [5.0, 5.0]]) * scale)


def test_warm_start_with_a_different_number_of_features():
    """A warm-started model refitted on data with another number of features must either start
    afresh or raise an error that names X / the features -- not a raw broadcasting error."""
    rng = np.random.default_rng(8)
    X, _ = make_blobs(rng, 60, [[0.0, 0.0], [5.0, 5.0]])
    model = GaussianMixture(2, warm_start=True, random_state=0).fit(X)
    wider = np.hstack([X, X[:, :1]])
    try:
        model.fit(wider)
    except ValueError as error:
        assert "X" in str(error) or "feature" in str(error), str(error)
        return
    assert model.means_.shape == (2, 3)
    assert model.n_features_in_ == 3


def test_warm_start_with_a_different_n_components():
    """Changing n_components between warm-started fits: start afresh or raise a ValueError that
    names n_components -- not a raw shape error from deep inside the E-step."""
    rng = np.random.default_rng(9)
    X, _ = make_blobs(rng, 90, [[0.0, 0.0], [5.0, 5.0], [0.0, 9.0]])
    model = GaussianMixture(2, warm_start=True, random_state=0).fit(X)
    model.set_params(n_components=3)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X)
    except ValueError as error:
        assert "n_components" in str(error), str(error)
        return
    assert model.means_.shape == (3, 2)
    assert model.weights_.shape == (3,)
