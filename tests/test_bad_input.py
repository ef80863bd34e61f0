"""Bad input: every wrong argument raises ValueError or TypeError whose message names it."""

import warnings

import numpy as np
import pytest

from mixlearn import GaussianMixture, NotFittedError

BAD = (ValueError, TypeError)


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + 6.0])


@pytest.fixture(scope="module")
def fitted(X):
    return GaussianMixture(2, random_state=0).fit(X)


# ---------------------------------------------------------------------------------------------
# X
# ---------------------------------------------------------------------------------------------


def _with(X, value, index=(3, 1)):
    X = X.copy()
    X[index] = value
    return X


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(lambda X: _with(X, np.nan), id="nan"),
        pytest.param(lambda X: _with(X, np.inf), id="inf"),
        pytest.param(lambda X: _with(X, -np.inf), id="-inf"),
        pytest.param(lambda X: np.empty((0, 2)), id="no-rows"),
        pytest.param(lambda X: np.empty((5, 0)), id="no-columns"),
        pytest.param(lambda X: X[:, 0], id="1-D"),
        pytest.param(lambda X: X[None], id="3-D"),
        pytest.param(lambda X: np.float64(3.0), id="scalar"),
        pytest.param(lambda X: X.astype(complex) + 1j, id="complex"),
        pytest.param(lambda X: X.astype(str), id="string"),
        pytest.param(lambda X: np.array([["a", "b"], ["c", "d"], ["e", "f"]]), id="letters"),
        pytest.param(lambda X: np.array([[1.0, None], [2.0, 3.0], [4.0, 5.0]], dtype=object), id="object-None"),
        pytest.param(lambda X: np.array([[1.0, {}], [2.0, 3.0], [4.0, 5.0]], dtype=object), id="object-dict"),
        pytest.param(lambda X: [[1.0, 2.0], [3.0]], id="ragged"),
        pytest.param(lambda X: None, id="None"),
    ],
)
def test_fit_rejects_bad_X(X, make_bad):
    bad = make_bad(X)
    with pytest.raises(BAD, match=r"\bX\b"):
        GaussianMixture(1).fit(bad)
    with pytest.raises(BAD, match=r"\bX\b"):
        GaussianMixture(1).fit_predict(bad)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic", "icl"])
@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(lambda X: X[:, :1], id="too-few-features"),
        pytest.param(lambda X: np.hstack([X, X]), id="too-many-features"),
        pytest.param(lambda X: _with(X, np.nan), id="nan"),
        pytest.param(lambda X: _with(X, np.inf), id="inf"),
        pytest.param(lambda X: X[:, 0], id="1-D"),
        pytest.param(lambda X: np.empty((0, 2)), id="no-rows"),
        pytest.param(lambda X: X.astype(complex), id="complex"),
    ],
)
def test_fitted_methods_reject_bad_X(X, fitted, method, make_bad):
    with pytest.raises(BAD, match=r"\bX\b"):
        getattr(fitted, method)(make_bad(X))


def test_wrong_number_of_features_message_mentions_features(X, fitted):
    with pytest.raises(ValueError, match="feature"):
        fitted.predict(np.ones((3, 5)))


def test_array_likes_are_accepted(X):
    """Lists of lists and integer arrays are array-likes of finite real numbers."""
    model = GaussianMixture(2, random_state=0).fit(X.tolist())
    assert model.means_.shape == (2, 2)
    model = GaussianMixture(2, random_state=0).fit(np.round(X * 10).astype(np.int64))
    assert np.isfinite(model.means_).all()
    assert model.predict(X.tolist()).shape == (len(X),)


# ---------------------------------------------------------------------------------------------
# not fitted
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda m, X: m.predict(X), id="predict"),
        pytest.param(lambda m, X: m.predict_proba(X), id="predict_proba"),
        pytest.param(lambda m, X: m.score_samples(X), id="score_samples"),
        pytest.param(lambda m, X: m.score(X), id="score"),
        pytest.param(lambda m, X: m.bic(X), id="bic"),
        pytest.param(lambda m, X: m.aic(X), id="aic"),
        pytest.param(lambda m, X: m.icl(X), id="icl"),
        pytest.param(lambda m, X: m.sample(5), id="sample"),
    ],
)
def test_methods_before_fit_raise_not_fitted(X, call):
    model = GaussianMixture(2)
    with pytest.raises(NotFittedError):
        call(model, X)
    # and it is both a ValueError and an AttributeError (scikit-learn's NotFittedError is both)
    with pytest.raises(ValueError):
        call(model, X)
    with pytest.raises(AttributeError):
        call(model, X)


# ---------------------------------------------------------------------------------------------
# hyperparameters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(n_components=0), "n_components"),
        (dict(n_components=-1), "n_components"),
        (dict(n_components=1.5), "n_components"),
        (dict(n_components="3"), "n_components"),
        (dict(n_components=None), "n_components"),
        (dict(n_components=41), "n_components"),  # more components than the 40 samples
        (dict(tol=-1e-3), "tol"),
        (dict(tol=np.nan), "tol"),
        (dict(tol="small"), "tol"),
        (dict(max_iter=-1), "max_iter"),
        (dict(max_iter=2.5), "max_iter"),
        (dict(n_init=0), "n_init"),
        (dict(n_init=-2), "n_init"),
        (dict(reg_covar=-1e-6), "reg_covar"),
        (dict(reg_covar=np.nan), "reg_covar"),
        (dict(covariance_type="banana"), "covariance_type"),
        (dict(covariance_type=None), "covariance_type"),
        (dict(init_params="banana"), "init_params"),
        (dict(init_params="k-means"), "init_params"),
        (dict(verbose_interval=0), "verbose_interval"),
    ],
)
def test_bad_hyperparameters(X, params, name):
    with pytest.raises(BAD, match=name):
        GaussianMixture(**params).fit(X)


def test_n_components_equal_to_n_samples_is_allowed():
    X = np.arange(8, dtype=float).reshape(4, 2) ** 1.5
    model = GaussianMixture(4, random_state=0, init_params="random_from_data", max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
    assert np.isfinite(model.means_).all()


def test_numpy_integer_hyperparameters_are_accepted(X):
    model = GaussianMixture(np.int64(2), max_iter=np.int32(50), n_init=np.int64(1), random_state=0).fit(X)
    assert model.means_.shape == (2, 2)


# ---------------------------------------------------------------------------------------------
# sample_weight
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(lambda n: np.ones(n - 1), id="too-short"),
        pytest.param(lambda n: np.ones(n + 1), id="too-long"),
        pytest.param(lambda n: np.r_[-1.0, np.ones(n - 1)], id="negative"),
        pytest.param(lambda n: np.r_[np.nan, np.ones(n - 1)], id="nan"),
        pytest.param(lambda n: np.r_[np.inf, np.ones(n - 1)], id="inf"),
        pytest.param(lambda n: np.zeros(n), id="all-zero"),
        pytest.param(lambda n: np.ones((n, 1)), id="2-D"),
        pytest.param(lambda n: np.ones((n, 2)), id="2-D-wide"),
        pytest.param(lambda n: np.array(["a"] * n), id="strings"),
    ],
)
def test_bad_sample_weight(X, make_bad):
    with pytest.raises(BAD, match="sample_weight"):
        GaussianMixture(2, random_state=0).fit(X, sample_weight=make_bad(len(X)))
    with pytest.raises(BAD, match="sample_weight"):
        GaussianMixture(2, random_state=0).fit_predict(X, sample_weight=make_bad(len(X)))


# ---------------------------------------------------------------------------------------------
# user-given initial parameters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights_init",
    [
        pytest.param([1.0], id="too-short"),
        pytest.param([0.2, 0.3, 0.5], id="too-long"),
        pytest.param([[0.5, 0.5]], id="2-D"),
        pytest.param([1.5, -0.5], id="negative"),
        pytest.param([0.3, 0.3], id="sum-below-one"),
        pytest.param([0.7, 0.7], id="sum-above-one"),
        pytest.param([np.nan, 0.5], id="nan"),
    ],
)
def test_bad_weights_init(X, weights_init):
    with pytest.raises(BAD, match="weights_init"):
        GaussianMixture(2, weights_init=np.array(weights_init)).fit(X)


@pytest.mark.parametrize(
    "means_init",
    [
        pytest.param(np.zeros((3, 2)), id="too-many-rows"),
        pytest.param(np.zeros((2, 3)), id="too-many-features"),
        pytest.param(np.zeros(2), id="1-D"),
        pytest.param(np.zeros((1, 2, 2)), id="3-D"),
        pytest.param(np.array([[0.0, np.nan], [1.0, 1.0]]), id="nan"),
        pytest.param(np.array([[0.0, np.inf], [1.0, 1.0]]), id="inf"),
    ],
)
def test_bad_means_init(X, means_init):
    with pytest.raises(BAD, match="means_init"):
        GaussianMixture(2, means_init=means_init).fit(X)


NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]])  # symmetric, eigenvalues 3 and -1

@pytest.mark.parametrize(
    "covariance_type, precisions_init",
    [
        pytest.param("full", np.stack([np.eye(2)] * 3), id="full-too-many"),
        pytest.param("full", np.eye(2), id="full-2-D"),
        pytest.param("full", np.stack([np.eye(2), NOT_PD]), id="full-not-pd"),
        pytest.param("full", np.stack([np.eye(2), np.zeros((2, 2))]), id="full-singular"),
        pytest.param("full", np.stack([np.eye(2), [[1.0, 0.5], [0.0, 1.0]]]), id="full-asymmetric"),
        pytest.param("full", np.stack([np.eye(2), [[1.0, np.nan], [np.nan, 1.0]]]), id="full-nan"),
        pytest.param("tied", np.stack([np.eye(2)] * 2), id="tied-3-D"),
        pytest.param("tied", np.eye(3), id="tied-wrong-d"),
        pytest.param("tied", NOT_PD, id="tied-not-pd"),
        pytest.param("diag", np.ones(2), id="diag-1-D"),
        pytest.param("diag", np.ones((2, 3)), id="diag-wrong-d"),
        pytest.param("diag", np.array([[1.0, -1.0], [1.0, 1.0]]), id="diag-negative"),
        pytest.param("diag", np.array([[1.0, 0.0], [1.0, 1.0]]), id="diag-zero"),
        pytest.param("spherical", np.ones(3), id="spherical-too-long"),
        pytest.param("spherical", np.ones((2, 2)), id="spherical-2-D"),
        pytest.param("spherical", np.array([1.0, -2.0]), id="spherical-negative"),
        pytest.param("spherical", np.array([1.0, np.inf]), id="spherical-inf"),
    ],
)
def test_bad_precisions_init(X, covariance_type, precisions_init):
    with pytest.raises(BAD, match="precisions_init"):
        GaussianMixture(2, covariance_type=covariance_type, precisions_init=precisions_init).fit(X)


# ---------------------------------------------------------------------------------------------
# sample
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_samples", [0, -1, 2.5, "3", None])
def test_bad_n_samples(fitted, n_samples):
    with pytest.raises(BAD, match="n_samples"):
        fitted.sample(n_samples)


def test_sample_accepts_numpy_integer(fitted):
    X, labels = fitted.sample(np.int64(4))
    assert X.shape == (4, 2) and labels.shape == (4,)


# ---------------------------------------------------------------------------------------------
# nothing silently NaN
# ---------------------------------------------------------------------------------------------


def test_bad_input_never_returns_nan(X, fitted):
    """Each public method either raises or returns finite numbers, for a mix of awkward inputs."""
    awkward = [
        X,
        X * 1e-8,  # tiny scale
        X * 1e8,  # huge scale
        X + 1e9,  # far from the origin
        np.vstack([X, [[1e12, -1e12]]]),
    ]
    for data in awkward:
        for method in ("score_samples", "predict_proba", "score", "bic", "aic", "icl"):
            try:
                out = getattr(fitted, method)(data)
            except BAD:
                continue
            assert not np.isnan(out).any(), (method, data[:2])
