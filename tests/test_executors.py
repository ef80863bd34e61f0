"""One loop, several executors: the same fit gives the same numbers whichever executor runs it.

The in-memory executor (chapter 01, or chapter 08's fused pass where the family has a linear form)
and the Dask executor (chapter 09) are driven by the engine's one loop, so the starts, restarts,
`sample_weight`, `max_iter` (0 included), `warm_start` and `lower_bounds_` mean the same on both.
Everything here goes through public API: `fit` on a NumPy or a Dask array, `executor_`.
"""
import copy
import importlib.util
import warnings

import numpy as np
import pytest

import mixlearn.performance
import mixlearn.scaling
from test_scaling import FAMILIES, IDS, _binary_data, _close, _count_data, _gaussian_data, _regression_data

requires_dask = pytest.mark.skipif(importlib.util.find_spec("dask") is None, reason="needs the dask extra")
RTOL = 1e-10


def _fit(model, X, y=None, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # short fits on purpose: "did not converge"
        return model.fit(X, **kwargs) if y is None else model.fit(X, y, **kwargs)


def _weights(n):
    return np.random.default_rng(7).uniform(0.5, 2.0, size=n)


def _same_fit(a, b, names):
    _close(a, b, names, rtol=RTOL)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=RTOL)
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=RTOL)
    assert (a.n_iter_, a.converged_) == (b.n_iter_, b.converged_)


@pytest.mark.parametrize("make, data, names", FAMILIES, ids=IDS)
@pytest.mark.parametrize("max_iter", [0, 4])
def test_the_block_executor_gives_the_readable_fit(make, data, names, max_iter, monkeypatch):
    "executor='blocks' (blocks of 97 rows here) against executor='memory': the same starts, the same numbers."
    monkeypatch.setattr(mixlearn.scaling, "BLOCK_ROWS", 97)
    X = data()
    w = _weights(len(X))
    settings = dict(max_iter=max_iter, tol=0, n_init=2, init_params="random")   # distinct starts: no tie to break
    readable = _fit(make().set_params(executor="memory", **settings), X, sample_weight=w)
    blocked = _fit(make().set_params(executor="blocks", **settings), X, sample_weight=w)
    assert (readable.executor_, blocked.executor_) == ("memory", "blocks")
    _same_fit(blocked, readable, names)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("max_iter", [0, 6])
def test_the_fused_executor_gives_the_readable_fit(covariance_type, max_iter):
    from mixlearn import GaussianMixture
    X = _gaussian_data()
    w = _weights(len(X))
    settings = dict(covariance_type=covariance_type, max_iter=max_iter, tol=0, n_init=2, init_params="random",
                    random_state=0)
    readable = _fit(GaussianMixture(3, executor="memory", **settings), X, sample_weight=w)
    fused = _fit(GaussianMixture(3, executor="fused", **settings), X, sample_weight=w)
    assert (readable.executor_, fused.executor_) == ("memory", "fused")
    _same_fit(fused, readable, ("means_", "covariances_"))


def _code_data(seed=0, n=600):
    "Integer codes of five features with 2 to 5 categories."
    return np.random.default_rng(seed).integers(0, [2, 3, 5, 4, 3], size=(n, 5)).astype(float)


@pytest.mark.parametrize("family, data", [("BernoulliMixture", _binary_data), ("MultinomialMixture", _count_data),
                                          ("CategoricalMixture", _code_data)])
@pytest.mark.parametrize("max_iter", [0, 4])
def test_the_fused_executor_gives_the_readable_fit_of_bernoulli_multinomial_categorical(family, data, max_iter):
    "Chapter 08's Bernoulli, multinomial and categorical linear forms: executor='fused' against executor='memory'."
    import mixlearn
    X = data()
    w = _weights(len(X))
    settings = dict(max_iter=max_iter, tol=0, n_init=2, init_params="random", random_state=0)
    readable = _fit(getattr(mixlearn, family)(3, executor="memory", **settings), X, sample_weight=w)
    fused = _fit(getattr(mixlearn, family)(3, executor="fused", **settings), X, sample_weight=w)
    automatic = _fit(getattr(mixlearn, family)(3, **settings), X, sample_weight=w)
    assert (readable.executor_, fused.executor_, automatic.executor_) == ("memory", "fused", "fused")
    _same_fit(fused, readable, ("probs_",))


@requires_dask
@pytest.mark.parametrize("make, data, names", FAMILIES, ids=IDS)
@pytest.mark.parametrize("max_iter", [0, 4])
def test_a_dask_fit_is_the_in_memory_fit(make, data, names, max_iter):
    "One chunk: the starts are drawn from the same rows, so every number must agree, restarts and weights included."
    import dask.array as da
    X = data()
    w = _weights(len(X))
    settings = dict(max_iter=max_iter, tol=0, n_init=2, init_params="random")   # distinct starts: no tie to break
    in_memory = _fit(make().set_params(**settings), X, sample_weight=w)
    on_dask = _fit(make().set_params(**settings), da.from_array(X, chunks=X.shape), sample_weight=w)
    assert in_memory.executor_ in ("memory", "fused") and on_dask.executor_ == "dask"
    _same_fit(on_dask, in_memory, names)
    assert np.isfinite(on_dask.lower_bound_)          # max_iter=0: the start, scored (not -inf)


@requires_dask
@pytest.mark.parametrize("make, data, names", FAMILIES, ids=IDS)
@pytest.mark.parametrize("max_iter", [0, 3])
def test_a_warm_started_fit_over_many_chunks_is_the_in_memory_fit(make, data, names, max_iter):
    "From the same fitted parameters, EM over 13 uneven chunks is EM in memory, to rounding."
    import dask.array as da
    X = data()
    w = _weights(len(X))
    start = _fit(make().set_params(max_iter=2, tol=0), X, sample_weight=w)
    in_memory = _fit(copy.deepcopy(start).set_params(warm_start=True, max_iter=max_iter, tol=0), X, sample_weight=w)
    on_dask = _fit(copy.deepcopy(start).set_params(warm_start=True, max_iter=max_iter, tol=0),
                   da.from_array(X, chunks=(97, X.shape[1])), sample_weight=da.from_array(w, chunks=50))
    _same_fit(on_dask, in_memory, names)


@requires_dask
@pytest.mark.parametrize("update", ["irls", "newton"])
@pytest.mark.parametrize("chunks", [None, 97])
def test_the_mixture_of_experts_on_dask_is_the_in_memory_fit(chunks, update):
    "Its gate's guarded Newton steps (irls) pass over the chunks as they pass over the rows in memory."
    import dask.array as da
    from mixlearn import MixtureOfExperts
    X, y = _regression_data()
    w = _weights(len(y))
    names = ("gate_coef_", "gate_intercept_", "expert_coef_", "expert_intercept_", "expert_variance_")
    # (random_state=0: both restarts reach the same maximum, labels swapped, and which is kept is a rounding tie)
    make = lambda: MixtureOfExperts(2, gate_update=update, random_state=1, max_iter=4, tol=0, n_init=2)
    if chunks is None:                                # one chunk: the same starts
        in_memory = _fit(make(), X, y, sample_weight=w)
        on_dask = _fit(make(), da.from_array(X, chunks=X.shape), da.from_array(y), sample_weight=w)
    else:                                             # many chunks: from the same fitted parameters
        start = _fit(make().set_params(max_iter=2), X, y, sample_weight=w)
        warm = lambda: copy.deepcopy(start).set_params(warm_start=True)
        in_memory = _fit(warm(), X, y, sample_weight=w)
        on_dask = _fit(warm(), da.from_array(X, chunks=(chunks, 2)), da.from_array(y, chunks=chunks), sample_weight=w)
    assert on_dask.executor_ == "dask"
    _same_fit(on_dask, in_memory, names)


@pytest.mark.parametrize("model, executor, match", [
    ("dmm", "fused", "executor='fused' cannot fit DirichletMultinomialMixture on this data: it runs families whose"),
    ("gaussian", "dask", "executor='dask' cannot fit GaussianMixture on this data: it runs a dask.array.Array"),
    ("gaussian", "online", "it runs stepwise EM through partial_fit, not fit"),
    ("gaussian", "gpu", r"executor must be 'auto' or one of \['blocks', 'dask', 'fused', 'memory', 'online'\]; got 'gpu'"),
])
def test_an_executor_that_cannot_run_the_fit_is_a_clear_error(model, executor, match):
    from mixlearn import DirichletMultinomialMixture, GaussianMixture
    X = (_gaussian_data() > 0).astype(float)
    estimator = (DirichletMultinomialMixture if model == "dmm" else GaussianMixture)(2, executor=executor)
    with pytest.raises(ValueError, match=match):
        estimator.fit(X)


@requires_dask
def test_an_in_memory_executor_refuses_a_dask_array():
    import dask.array as da
    from mixlearn import GaussianMixture
    with pytest.raises(ValueError, match="executor='memory' cannot fit a Array: only executor='dask'"):
        GaussianMixture(2, executor="memory").fit(da.from_array(_gaussian_data(), chunks=(100, 3)))


def test_every_fit_says_which_executor_ran():
    from mixlearn import (BernoulliMixture, CategoricalMixture, DirichletMultinomialMixture, GaussianMixture,
                          MultinomialMixture)
    X = np.random.default_rng(0).normal(size=(300, 2))
    assert _fit(GaussianMixture(2, random_state=0), X).executor_ == "fused"       # chapter 08's pass
    assert _fit(GaussianMixture(2, random_state=0, executor="memory"), X).executor_ == "memory"
    assert _fit(BernoulliMixture(2, random_state=0), (X > 0).astype(float)).executor_ == "fused"
    assert _fit(MultinomialMixture(2, random_state=0), np.floor(np.abs(3 * X))).executor_ == "fused"
    assert _fit(CategoricalMixture(2, random_state=0), (X > 0).astype(float)).executor_ == "fused"
    assert _fit(DirichletMultinomialMixture(2, random_state=0), np.floor(np.abs(3 * X))).executor_ == "memory"


@requires_dask
@pytest.mark.parametrize("family", ["multinomial", "dmm"])
def test_a_count_mixture_fitted_on_dask_knows_its_row_total_and_samples(family):
    import dask.array as da
    from mixlearn import DirichletMultinomialMixture, MultinomialMixture
    from test_scaling import _count_data
    X = _count_data()
    w = list(_weights(len(X)))                       # a plain list, as a user may pass it
    make = (MultinomialMixture if family == "multinomial" else DirichletMultinomialMixture)
    on_dask = _fit(make(3, random_state=0, max_iter=3), da.from_array(X, chunks=(100, X.shape[1])), sample_weight=w)
    in_memory = _fit(make(3, random_state=0, max_iter=3), X, sample_weight=w)
    assert on_dask.n_trials_ == in_memory.n_trials_ == 40
    assert (on_dask.sample(5)[0].sum(axis=1) == 40).all()


def _far_outlier_data():
    "Two blobs and one row 1e6 away: the outlier's component lies far from the centre of the statistics."
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) + [8.0, 0.0], [[1e6, -1e6]]])
    means = np.array([[0.0, 0.0], [8.0, 0.0], [1e6, -1e6]])
    return X, means


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
@pytest.mark.parametrize("executor", ["blocks", "fused", "dask"])
def test_far_components_are_recentred_by_every_executor(covariance_type, executor, monkeypatch):
    "The far component's covariance is reg_covar (one row) and its mean the row, whichever executor ran."
    from mixlearn import GaussianMixture
    if executor == "dask" and importlib.util.find_spec("dask") is None:
        pytest.skip("needs the dask extra")
    monkeypatch.setattr(mixlearn.scaling, "BLOCK_ROWS", 50)
    X, means = _far_outlier_data()
    settings = dict(covariance_type=covariance_type, means_init=means, weights_init=np.full(3, 1 / 3),
                    precisions_init={"full": np.tile(np.eye(2), (3, 1, 1)), "diag": np.ones((3, 2)),
                                     "spherical": np.ones(3)}[covariance_type], max_iter=3, tol=0)
    readable = _fit(GaussianMixture(3, executor="memory", **settings), X)
    data = X
    if executor == "dask":
        import dask.array as da
        data = da.from_array(X, chunks=(60, 2))
    other = _fit(GaussianMixture(3, executor=executor, **settings), data)
    assert other.executor_ == executor
    np.testing.assert_allclose(other.means_[2], [1e6, -1e6], rtol=1e-15)
    expected = {"full": 1e-6 * np.eye(2), "diag": np.full(2, 1e-6), "spherical": 1e-6}[covariance_type]
    np.testing.assert_allclose(other.covariances_[2], expected, rtol=1e-8, atol=1e-20)
    _same_fit(other, readable, ("means_", "covariances_"))


@pytest.mark.parametrize("update", ["irls", "newton", "bound"])
@pytest.mark.parametrize("max_iter", [0, 4])
def test_the_block_executor_gives_the_readable_fit_of_the_experts(update, max_iter, monkeypatch):
    "executor='blocks' for the mixture of experts (its IRLS gate passes over the blocks): the readable fit."
    from mixlearn import MixtureOfExperts
    monkeypatch.setattr(mixlearn.scaling, "BLOCK_ROWS", 97)
    X, y = _regression_data()
    w = _weights(len(y))
    settings = dict(gate_update=update, max_iter=max_iter, tol=0, n_init=2, init_params="random", random_state=0)
    readable = _fit(MixtureOfExperts(2, executor="memory", **settings), X, y, sample_weight=w)
    blocked = _fit(MixtureOfExperts(2, executor="blocks", **settings), X, y, sample_weight=w)
    assert (readable.executor_, blocked.executor_) == ("memory", "blocks")
    _same_fit(blocked, readable, ("gate_coef_", "gate_intercept_", "expert_coef_", "expert_intercept_",
                                  "expert_variance_"))


@pytest.mark.parametrize("make, data, names", FAMILIES, ids=IDS)
@pytest.mark.parametrize("executor", ["blocks", "fused"])
def test_a_warm_started_fit_is_the_same_on_every_executor(make, data, names, executor, monkeypatch):
    "warm_start from the same fitted parameters: the next iterations (weighted) are the readable ones."
    monkeypatch.setattr(mixlearn.scaling, "BLOCK_ROWS", 97)
    X = data()
    w = _weights(len(X))
    start = _fit(make().set_params(executor="memory", max_iter=2, tol=0), X, sample_weight=w)
    if executor == "fused" and mixlearn.performance.linear_form(start) is None:
        pytest.skip("no linear form for this family")
    warm = lambda name: copy.deepcopy(start).set_params(warm_start=True, max_iter=3, executor=name)
    readable = _fit(warm("memory"), X, sample_weight=w)
    other = _fit(warm(executor), X, sample_weight=w)
    assert other.executor_ == executor
    _same_fit(other, readable, names)
