"""Interoperability with scikit-learn's tools (a dev dependency only), pickle, repr and
reproducibility."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from conftest import COVARIANCE_TYPES, INIT_PARAMS, make_blobs
import mixlearn
from mixlearn import ConvergenceWarning, GaussianMixture, NotFittedError


@pytest.fixture(scope="module")
def two_clusters():
    rng = np.random.default_rng(0)
    X, _ = make_blobs(rng, 240, [[0.0, 0.0], [6.0, 6.0]], scale=1.0)
    return X


def test_top_level_imports():
    from mixlearn import ConvergenceWarning as C, GaussianMixture as G, NotFittedError as N  # noqa: F401

    assert mixlearn.GaussianMixture is mixlearn.gaussian.GaussianMixture
    assert mixlearn.ConvergenceWarning is mixlearn.em.ConvergenceWarning
    assert mixlearn.NotFittedError is mixlearn.em.NotFittedError


def test_mixlearn_does_not_import_sklearn_or_matplotlib():
    """scikit-learn is a dev dependency only; plotting is imported lazily."""
    import subprocess
    import sys

    code = (
        "import sys, mixlearn, mixlearn.densities, mixlearn.em, mixlearn.gaussian, mixlearn.datasets;"
        "bad = [m for m in ('sklearn', 'matplotlib') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_clone_gives_equal_params():
    means = np.array([[0.0, 0.0], [1.0, 1.0]])
    model = GaussianMixture(2, covariance_type="diag", tol=1e-4, means_init=means, random_state=3)
    copy = clone(model)
    assert copy is not model
    params, copy_params = model.get_params(), copy.get_params()
    assert params.keys() == copy_params.keys()
    for name, value in params.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(copy_params[name], value)
        else:
            assert copy_params[name] == value, name


def test_clone_of_fitted_model_is_unfitted(two_clusters):
    model = GaussianMixture(2, random_state=0).fit(two_clusters)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(two_clusters)


def test_pipeline_fits_and_scores(two_clusters):
    pipeline = Pipeline([("scale", StandardScaler()), ("gm", GaussianMixture(2, random_state=0))])
    pipeline.fit(two_clusters)
    score = pipeline.score(two_clusters)
    assert np.isfinite(score)
    scaler = StandardScaler().fit(two_clusters)
    direct = GaussianMixture(2, random_state=0).fit(scaler.transform(two_clusters))
    assert score == pytest.approx(direct.score(scaler.transform(two_clusters)), rel=1e-10)
    labels = pipeline.predict(two_clusters)
    assert labels.shape == (len(two_clusters),)
    assert np.allclose(pipeline.predict_proba(two_clusters).sum(axis=1), 1.0)


def test_grid_search_picks_sensible_k(two_clusters):
    rng = np.random.default_rng(1)
    X = two_clusters[rng.permutation(len(two_clusters))]
    search = GridSearchCV(GaussianMixture(random_state=0), {"n_components": [1, 2, 3]}, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X)
    assert search.best_params_["n_components"] in (2, 3)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert scores[1] > scores[0] + 0.5  # two clusters beat one by a wide margin (nats per sample)
    assert isinstance(search.best_estimator_, GaussianMixture)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_pickle_round_trip(two_clusters, covariance_type):
    model = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(two_clusters)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(two_clusters), model.predict(two_clusters))
    np.testing.assert_array_equal(restored.predict_proba(two_clusters), model.predict_proba(two_clusters))
    np.testing.assert_array_equal(restored.score_samples(two_clusters), model.score_samples(two_clusters))
    np.testing.assert_array_equal(restored.precisions_, model.precisions_)
    assert restored.get_params() == model.get_params()


def test_pickle_unfitted():
    model = GaussianMixture(3, tol=1e-5)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.get_params() == model.get_params()


def test_repr():
    text = repr(GaussianMixture(n_components=3, covariance_type="tied"))
    assert text.startswith("GaussianMixture(")
    assert "n_components=3" in text
    assert "tied" in text
    assert repr(GaussianMixture()).startswith("GaussianMixture(")
    # arrays in parameters do not break repr
    assert repr(GaussianMixture(2, means_init=np.zeros((2, 300)))).startswith("GaussianMixture(")


def _fitted_attributes(model):
    return [model.weights_, model.means_, model.covariances_, model.precisions_cholesky_,
            np.asarray(model.lower_bounds_), model.n_iter_]


@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("covariance_type", ["full", "spherical"])
def test_same_random_state_gives_identical_results(two_clusters, init_params, covariance_type):
    params = dict(n_components=3, covariance_type=covariance_type, init_params=init_params, n_init=2,
                  max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for random_state in (0, lambda: np.random.default_rng(5), lambda: np.random.RandomState(5)):
            make = random_state if callable(random_state) else (lambda: random_state)
            a = GaussianMixture(random_state=make(), **params).fit(two_clusters)
            b = GaussianMixture(random_state=make(), **params).fit(two_clusters)
            for x, y in zip(_fitted_attributes(a), _fitted_attributes(b)):
                np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(a.sample(20)[0], b.sample(20)[0])


def test_refitting_same_int_seed_is_identical(two_clusters):
    model = GaussianMixture(3, init_params="random", max_iter=5, random_state=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = [np.copy(x) for x in _fitted_attributes(model.fit(two_clusters))]
        second = _fitted_attributes(model.fit(two_clusters))
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("init_params", ["random", "random_from_data", "k-means++"])
def test_different_seeds_give_different_initialisations(two_clusters, init_params):
    a = GaussianMixture(3, init_params=init_params, max_iter=0, random_state=0).fit(two_clusters)
    b = GaussianMixture(3, init_params=init_params, max_iter=0, random_state=1).fit(two_clusters)
    assert not np.array_equal(a.means_, b.means_)


def test_random_state_none_works(two_clusters):
    model = GaussianMixture(2, random_state=None).fit(two_clusters)
    assert np.isfinite(model.means_).all()


def test_y_is_ignored(two_clusters):
    y = np.arange(len(two_clusters))
    a = GaussianMixture(2, random_state=0).fit(two_clusters, y)
    b = GaussianMixture(2, random_state=0).fit(two_clusters)
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(GaussianMixture(2, random_state=0).fit_predict(two_clusters, y),
                                  b.predict(two_clusters))
    assert a.score(two_clusters, y) == b.score(two_clusters)


def test_pandas_dataframe_input(two_clusters):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(two_clusters, columns=["a", "b"])
    a = GaussianMixture(2, random_state=0).fit(frame)
    b = GaussianMixture(2, random_state=0).fit(two_clusters)
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.predict(frame), b.predict(two_clusters))
