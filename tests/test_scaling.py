"""Chapter 09: EM over blocks of rows, stepwise online EM (`partial_fit`) and Dask."""
import importlib.util
import warnings

import numpy as np
import pytest

from mixlearn import (BernoulliMixture, CategoricalMixture, DirichletMultinomialMixture,
                      DirichletProcessGaussianMixture, GaussianMixture, MultinomialMixture)
from mixlearn.em import BaseMixture
from mixlearn.scaling import em_step_over_blocks, iter_row_blocks

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def _gaussian_data(seed=0, n=1200):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n // 2, 3)), rng.normal(size=(n // 3, 3)) * 0.5 + 4,
                        rng.normal(size=(n - n // 2 - n // 3, 3)) + [0, 6, 0]])
    return X[rng.permutation(len(X))]


def _binary_data(seed=0, n=900):
    rng = np.random.default_rng(seed)
    probs = rng.uniform(0.05, 0.95, size=(3, 12))
    return (rng.random((n, 12)) < probs[rng.integers(3, size=n)]).astype(float)


def _categorical_data(seed=0, n=900):
    "Three latent classes, four features with 2, 3, 4 and 3 categories."
    rng = np.random.default_rng(seed)
    z = rng.integers(3, size=n)
    columns = []
    for c in (2, 3, 4, 3):
        probs = rng.dirichlet(np.full(c, 0.2), size=3)                  # (3, c): one row per class
        columns.append((rng.random(n)[:, None] > np.cumsum(probs[z], axis=1)).sum(axis=1))
    return np.stack(columns, axis=1).astype(float)


def _count_data(seed=0, n=600):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(15), size=3)
    return np.stack([rng.multinomial(40, probs[z]) for z in rng.integers(3, size=n)]).astype(float)


def _overdispersed_count_data(seed=0, n=600):
    "Dirichlet-multinomial rows (precision 20): the DMM's alphas have a finite maximum-likelihood value."
    rng = np.random.default_rng(seed)
    means = rng.dirichlet(np.ones(15), size=3)
    z = rng.integers(3, size=n)
    return np.stack([rng.multinomial(40, rng.dirichlet(20.0 * means[k])) for k in z]).astype(float)


FAMILIES = [
    *[(lambda cov=cov: GaussianMixture(3, covariance_type=cov, random_state=0), _gaussian_data, ("means_", "covariances_"))
      for cov in COVARIANCE_TYPES],
    (lambda: BernoulliMixture(3, random_state=0), _binary_data, ("probs_",)),
    (lambda: CategoricalMixture(3, random_state=0), _categorical_data, ("probs_",)),
    (lambda: MultinomialMixture(3, random_state=0), _count_data, ("probs_",)),
    (lambda: DirichletMultinomialMixture(3, random_state=0), _overdispersed_count_data, ("alphas_",)),
    (lambda: DirichletMultinomialMixture(3, prior_shape=0.1, prior_rate=0.1, random_state=0), _overdispersed_count_data,
     ("alphas_",)),
    *[(lambda cov=cov: DirichletProcessGaussianMixture(5, covariance_type=cov, random_state=0), _gaussian_data,
       ("means_", "covariances_", "weight_concentration_", "degrees_of_freedom_")) for cov in COVARIANCE_TYPES],
]
IDS = ([f"gaussian-{c}" for c in COVARIANCE_TYPES] + ["bernoulli", "categorical", "multinomial", "dmm", "dmm-prior"]
       + [f"dp-{c}" for c in COVARIANCE_TYPES])


def _copy(model):
    import copy
    return copy.deepcopy(model)


def _close(a, b, names, rtol):
    for name in ("weights_",) + names:
        x, y = getattr(a, name), getattr(b, name)
        x, y = (np.concatenate([np.ravel(v) for v in x]), np.concatenate([np.ravel(v) for v in y])) \
            if isinstance(x, list) else (np.asarray(x), np.asarray(y))
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * np.abs(y).max(), err_msg=name)


@pytest.mark.parametrize("make, data, names", FAMILIES, ids=IDS)
@pytest.mark.parametrize("block_rows", [1, 7, 250, 10_000])
@pytest.mark.parametrize("weighted", [False, True])
def test_one_em_iteration_over_blocks_equals_in_memory(make, data, names, block_rows, weighted):
    X = data()
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(X)) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = make().set_params(max_iter=2, tol=0).fit(X, sample_weight=w)
    in_memory = _copy(start).set_params(warm_start=True, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory.fit(X, sample_weight=w)
    blocked = _copy(start)
    bound = em_step_over_blocks(blocked, list(iter_row_blocks(X, block_rows, w)))
    # every family's one objective (MAP: with its log prior; DP: the ELBO), whichever executor summed the rows
    assert bound == pytest.approx(in_memory.lower_bounds_[0], rel=1e-10)
    _close(blocked, in_memory, names, rtol=1e-9)


@pytest.mark.parametrize("make, data, names", FAMILIES, ids=IDS)
def test_partial_fit_approaches_fit(make, data, names):
    X = data(n=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = make().set_params(max_iter=3, tol=0).fit(X)
    batch = _copy(start).set_params(warm_start=True, max_iter=500, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch.fit(X)
    online = _copy(start)                        # partial_fit continues from the fitted parameters
    for epoch in range(10):
        order = np.random.default_rng(epoch).permutation(len(X))
        for start_row in range(0, len(X), 300):
            online.partial_fit(X[order[start_row:start_row + 300]])
    assert online.n_steps_ == 100 and online.n_samples_seen_ == 10 * len(X)
    assert abs(batch.score(X) - online.score(X)) < 5e-3 * abs(batch.score(X))
    if isinstance(batch, DirichletProcessGaussianMixture):
        # stochastic VI and batch VI may keep a different number of the truncation's components alive
        # (pruning is slow on both), and after 10 passes the online posterior counts 10 n rows (its
        # statistics are scaled to the weight seen), so its factors are sharper than batch VI's on n:
        # what must agree is the fitted density, point by point, to a few hundredths of a nat
        gap = np.abs(online.score_samples(X) - batch.score_samples(X))
        assert np.median(gap) < 0.06 and np.mean(gap) < 0.1
        return
    _close(online, batch, names, rtol=0.05)


def test_partial_fit_from_scratch_initialises_on_the_first_block():
    X = _gaussian_data(n=2000)
    model = GaussianMixture(3, random_state=0)
    for start in range(0, len(X), 200):
        model.partial_fit(X[start:start + 200])
    assert model.n_steps_ == 10 and np.isfinite(model.score(X))
    np.testing.assert_allclose(model.weights_.sum(), 1.0)


@pytest.mark.parametrize("bad, error, match", [
    (lambda X: X[:, :2], ValueError, "features"),
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), ValueError, "NaN|finite"),
    (lambda X: X[0], ValueError, "2-D|2D|two-dimensional"),
])
def test_partial_fit_rejects_a_bad_block(bad, error, match):
    X = _gaussian_data()
    model = GaussianMixture(3, random_state=0).partial_fit(X[:300])
    with pytest.raises(error, match=match):
        model.partial_fit(bad(X[300:600]))


@pytest.mark.parametrize("decay", [0.5, 1.5, -1.0])
def test_partial_fit_rejects_bad_learning_decay(decay):
    model = GaussianMixture(2)
    model.learning_decay = decay
    with pytest.raises(ValueError, match="learning_decay"):
        model.partial_fit(_gaussian_data()[:100])


@pytest.mark.parametrize("offset", [-1.0, float("nan")])
def test_partial_fit_rejects_bad_learning_offset(offset):
    with pytest.raises(ValueError, match="learning_offset"):
        GaussianMixture(2, learning_offset=offset).partial_fit(_gaussian_data()[:100])


@pytest.mark.parametrize("make", [lambda: GaussianMixture(2), lambda: BernoulliMixture(2),
                                  lambda: CategoricalMixture(2), lambda: MultinomialMixture(2)])
def test_learning_rate_is_a_constructor_parameter(make):
    from sklearn.base import clone
    model = make()
    assert model.get_params()["learning_decay"] == 0.7 and model.get_params()["learning_offset"] == 2.0
    model.set_params(learning_decay=0.9, learning_offset=5.0)
    twin = clone(model)
    assert (twin.learning_decay, twin.learning_offset) == (0.9, 5.0)
    assert "learning_decay=0.9" in repr(model)


def test_partial_fit_is_a_method_of_every_estimator_after_import_mixlearn():
    import subprocess
    import sys
    code = ("from mixlearn import GaussianMixture, BernoulliMixture; "
            "assert callable(GaussianMixture().partial_fit) and callable(BernoulliMixture().partial_fit)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_step_sizes_follow_the_schedule():
    "With one component the statistics do not depend on the parameters: the running average is explicit."
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) + [1.0, -2.0]
    model = GaussianMixture(1, learning_decay=0.8, learning_offset=3.0)
    blocks = np.split(X, 6)
    for block in blocks:
        model.partial_fit(block)
    running = blocks[0].mean(axis=0)
    for t, block in enumerate(blocks[1:], start=1):
        step = (t + 3.0) ** -0.8
        running = (1 - step) * running + step * block.mean(axis=0)
    np.testing.assert_allclose(model.means_[0], running, rtol=1e-12)


def test_partial_fit_with_one_component_and_harmonic_steps_is_fit():
    "kappa = 1, t0 = 1 and equal blocks: the running average is the mean of the blocks, prior included."
    X = _binary_data(n=600)
    model = BernoulliMixture(1, alpha=2.0, learning_decay=1.0, learning_offset=1.0)
    for block in np.split(X, 12):
        model.partial_fit(block)
    np.testing.assert_allclose(model.probs_, BernoulliMixture(1, alpha=2.0).fit(X).probs_, rtol=1e-12)


def test_partial_fit_after_fit_restarts_the_running_average():
    "A fit between partial_fit calls replaces the parameters: the old stream's average must not come back."
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2)) + 50.0
    model = GaussianMixture(2, random_state=0)
    for start in range(0, 2000, 200):
        model.partial_fit(A[start:start + 200])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(B)
    model.partial_fit(B[:200])
    assert model.n_steps_ == 1 and model.n_samples_seen_ == 200
    assert np.all(np.abs(model.means_ - 50.0) < 1.0)


def test_partial_fit_state_survives_copy_and_pickle():
    import copy
    import pickle
    X = _gaussian_data(n=1200)
    model = GaussianMixture(3, random_state=0)
    for start in range(0, 600, 100):
        model.partial_fit(X[start:start + 100])
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        twin.partial_fit(X[600:700])
        assert twin.n_steps_ == 7                       # continued, not restarted
    model.partial_fit(X[600:700])
    np.testing.assert_array_equal(twin.means_, model.means_)


def test_a_family_without_statistics_fails_at_definition():
    "Every family supplies its statistics (the protocol's required hooks): a class without them is refused at once."
    with pytest.raises(TypeError, match="NoStatistics does not define the hook.s. _statistics, _m_step"):
        class NoStatistics(BaseMixture):
            def _log_prob(self, X, out=None):
                return np.zeros((len(X), self.n_components))

            def _n_parameters(self):
                return 1

            def _sample(self, n_samples, rng):
                return np.zeros((n_samples, 1)), np.zeros(n_samples, dtype=int)


# the Dask tests need the `dask` extra (CI installs it with the dev extras); the others run without it
requires_dask = pytest.mark.skipif(importlib.util.find_spec("dask") is None,
                                   reason="the dask extra is not installed (pip install mixlearn[dask])")


@requires_dask
def test_dask_fit_of_the_dirichlet_multinomial_equals_in_memory_fit():
    "Histogram statistics merged over chunks (keys differ from chunk to chunk): the in-memory fit, prior included."
    import dask.array as da
    X = _overdispersed_count_data(n=900)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = DirichletMultinomialMixture(3, prior_shape=0.1, prior_rate=0.1, random_state=0, max_iter=2, tol=0).fit(X)
        in_memory = _copy(start).set_params(warm_start=True, max_iter=6).fit(X)
        lazy = _copy(start).set_params(warm_start=True, max_iter=6).fit(da.from_array(X, chunks=(200, 15)))
    _close(lazy, in_memory, ("alphas_",), rtol=1e-8)
    np.testing.assert_allclose(lazy.lower_bounds_, in_memory.lower_bounds_, rtol=1e-10)


@requires_dask
@pytest.mark.parametrize("cov", COVARIANCE_TYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_dask_fit_of_the_dirichlet_process_equals_in_memory_fit(cov, weighted):
    """Variational inference over chunks: the default priors from all chunks (one Dask pass), warm-started
    from the same factors, the same ELBO at every iteration and the same factors as the in-memory fit."""
    import dask.array as da
    X = _gaussian_data(n=2000)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(X)) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = DirichletProcessGaussianMixture(6, covariance_type=cov, random_state=0, max_iter=2, tol=0).fit(X, sample_weight=w)
        in_memory = _copy(start).set_params(warm_start=True, max_iter=10).fit(X, sample_weight=w)
        lazy = _copy(start).set_params(warm_start=True, max_iter=10).fit(
            da.from_array(X, chunks=(300, 3)), sample_weight=None if w is None else da.from_array(w, chunks=450))
    np.testing.assert_allclose(lazy.mean_prior_, in_memory.mean_prior_, rtol=1e-12)
    np.testing.assert_allclose(lazy.covariance_prior_, in_memory.covariance_prior_, rtol=1e-10)
    _close(lazy, in_memory, ("means_", "covariances_", "weight_concentration_", "mean_precision_"), rtol=1e-8)
    np.testing.assert_allclose(lazy.lower_bounds_, in_memory.lower_bounds_, rtol=1e-10)
    assert np.all(np.diff(lazy.lower_bounds_) >= -1e-9 * np.abs(lazy.lower_bounds_[1:]))   # the ELBO never decreases


@requires_dask
def test_dask_fit_on_lazily_generated_data_with_sample_weight():
    "A Dask array that never exists in memory, with Dask sample weights: equal to the in-memory fit."
    import dask.array as da
    generator = da.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [4.0, 1.0]])
    labels = generator.integers(0, 2, size=5000, chunks=1000)
    X = generator.normal(size=(5000, 2), chunks=(1000, 2)) + da.from_array(centres)[labels]
    w = generator.uniform(0.5, 2.0, size=5000, chunks=1000)
    init = dict(weights_init=[0.5, 0.5], means_init=centres + 0.3, precisions_init=np.tile(np.eye(2), (2, 1, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = GaussianMixture(2, max_iter=8, tol=0, **init).fit(X, sample_weight=w)
        in_memory = GaussianMixture(2, max_iter=8, tol=0, **init).fit(X.compute(), sample_weight=w.compute())
    _close(lazy, in_memory, ("means_", "covariances_"), rtol=1e-8)


@requires_dask
@pytest.mark.parametrize("cov", COVARIANCE_TYPES)
def test_dask_fit_equals_in_memory_fit(cov):
    import dask.array as da
    X = _gaussian_data(n=3000)
    start = GaussianMixture(3, covariance_type=cov, random_state=0, max_iter=1, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start.fit(X)
    init = dict(weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = GaussianMixture(3, covariance_type=cov, max_iter=15, tol=0, **init).fit(X)
        lazy = GaussianMixture(3, covariance_type=cov, max_iter=15, tol=0, **init).fit(da.from_array(X, chunks=(700, 3)))
    _close(lazy, in_memory, ("means_", "covariances_"), rtol=1e-8)
    np.testing.assert_allclose(lazy.lower_bounds_, in_memory.lower_bounds_, rtol=1e-10)


@requires_dask
def test_dask_fit_on_a_local_cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install mixlearn[dask])")
    import dask.array as da
    X = _gaussian_data(n=2000)
    init = dict(weights_init=np.full(3, 1 / 3), means_init=X[:3], precisions_init=np.tile(np.eye(3), (3, 1, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = GaussianMixture(3, max_iter=10, tol=0, **init).fit(X)
        # two workers talking TCP over loopback (threads of this process: no spawned interpreters)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            assert client.scheduler_info()["address"].startswith("tcp://127.0.0.1:")
            lazy = GaussianMixture(3, max_iter=10, tol=0, **init).fit(da.from_array(X, chunks=(500, 3)))
    _close(lazy, in_memory, ("means_", "covariances_"), rtol=1e-8)


@requires_dask
def test_dask_fit_rejects_nan_with_a_clear_error():
    import dask.array as da
    X = _gaussian_data()
    X[700, 1] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        GaussianMixture(3, random_state=0).fit(da.from_array(X, chunks=(300, 3)))


# ---- the mixture of experts: experts' sums and Böhning's bound for the gate ----
def _regression_data(seed=0, n=900):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 2))
    y = np.where(X[:, 0] < 0, 2 * X[:, 0] + X[:, 1], -X[:, 0] + 1) + 0.3 * rng.normal(size=n)
    return X, y


def _experts_start(X, y, w=None):
    from mixlearn import MixtureOfExperts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MixtureOfExperts(2, gate_update="newton", random_state=0, max_iter=3, tol=0).fit(X, y, sample_weight=w)


EXPERT_NAMES = ("gate_coef_", "gate_intercept_", "expert_coef_", "expert_intercept_", "expert_variance_")


@pytest.mark.parametrize("block_rows", [1, 7, 250, 10_000])
@pytest.mark.parametrize("weighted", [False, True])
def test_experts_em_iteration_over_blocks_equals_in_memory(block_rows, weighted):
    X, y = _regression_data()
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y)) if weighted else None
    start = _experts_start(X, y, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = _copy(start).set_params(warm_start=True, max_iter=1).fit(X, y, sample_weight=w)
    blocked = _copy(start)
    Z = blocked._check_X(X, reset=False, y=y)
    bound = em_step_over_blocks(blocked, list(iter_row_blocks(Z, block_rows, w)))
    assert bound == pytest.approx(in_memory.lower_bounds_[0], rel=1e-10)
    _close(blocked, in_memory, EXPERT_NAMES, rtol=1e-9)


def test_experts_bound_step_never_lowers_the_bound():
    from mixlearn import MixtureOfExperts
    X, y = _regression_data(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixtureOfExperts(3, gate_update="bound", random_state=1, max_iter=80, tol=0).fit(X, y)
    bounds = np.array(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


@pytest.mark.parametrize("update", ["newton", "bound"])
def test_experts_blocks_with_either_step(update):
    "Both steps from sums: one iteration over blocks equals the in-memory one with the same gate_update."
    X, y = _regression_data()
    start = _experts_start(X, y).set_params(gate_update=update)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = _copy(start).set_params(warm_start=True, max_iter=1).fit(X, y)
    blocked = _copy(start)
    em_step_over_blocks(blocked, list(iter_row_blocks(blocked._check_X(X, reset=False, y=y), 100)))
    _close(blocked, in_memory, EXPERT_NAMES, rtol=1e-9)


def test_experts_newton_from_sums_reaches_the_irls_solution():
    from mixlearn import MixtureOfExperts
    X, y = _regression_data(n=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        irls = MixtureOfExperts(2, random_state=0, max_iter=500, tol=1e-10).fit(X, y)
        sums = MixtureOfExperts(2, gate_update="newton", random_state=0, max_iter=500, tol=1e-10).fit(X, y)
    assert sums.score(X, y) == pytest.approx(irls.score(X, y), rel=1e-6)
    np.testing.assert_allclose(np.sort(sums.expert_coef_[:, 0]), np.sort(irls.expert_coef_[:, 0]), rtol=1e-5)


def test_experts_partial_fit_approaches_fit():
    X, y = _regression_data(n=3000)
    start = _experts_start(X, y)
    batch = _copy(start).set_params(warm_start=True, max_iter=2000, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch.fit(X, y)
    online = _copy(start)
    for epoch in range(10):
        order = np.random.default_rng(epoch).permutation(len(y))
        for start_row in range(0, len(y), 300):
            rows = order[start_row:start_row + 300]
            online.partial_fit(X[rows], y[rows])
    assert online.n_steps_ == 100 and online.n_features_in_ == 2
    # the gate of these data sharpens towards a step at x = 0 (slope ~50 at the optimum): the stream gets the
    # experts to 1e-3 and the fit to within 10% of the batch score after 10 passes
    assert abs(batch.score(X, y) - online.score(X, y)) < 0.1 * abs(batch.score(X, y))
    np.testing.assert_allclose(np.sort(online.expert_coef_[:, 0]), np.sort(batch.expert_coef_[:, 0]), atol=5e-3)


def test_experts_partial_fit_from_scratch_and_bad_blocks():
    from mixlearn import MixtureOfExperts
    X, y = _regression_data()
    model = MixtureOfExperts(2, random_state=0).partial_fit(X[:200], y[:200])
    assert model.n_features_in_ == 2 and model.n_steps_ == 1
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:50, :1], y[:50])
    with pytest.raises(ValueError, match="y"):
        model.partial_fit(X[:50], y[:40])
    assert model.n_features_in_ == 2 and model.n_steps_ == 1
    with pytest.raises(ValueError, match="gate_update"):
        MixtureOfExperts(2, gate_update="lbfgs").fit(X, y)


@requires_dask
@pytest.mark.parametrize("weighted", [False, True])
def test_experts_dask_fit_equals_in_memory_fit(weighted):
    import dask.array as da
    X, y = _regression_data(n=2000)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y)) if weighted else None
    start = _experts_start(X, y, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = _copy(start).set_params(warm_start=True, max_iter=10).fit(X, y, sample_weight=w)
        lazy = _copy(start).set_params(warm_start=True, max_iter=10).fit(
            da.from_array(X, chunks=(300, 2)), da.from_array(y, chunks=300),
            sample_weight=None if w is None else da.from_array(w, chunks=500))
    assert lazy.n_features_in_ == 2
    _close(lazy, in_memory, EXPERT_NAMES, rtol=1e-8)
    np.testing.assert_allclose(lazy.lower_bounds_, in_memory.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(lazy.predict(X), in_memory.predict(X), rtol=1e-8, atol=1e-10)


@requires_dask
def test_a_failed_dask_fit_leaves_no_state_behind():
    """A chunk rejected half-way (NaN in a later chunk): the error names the problem, and the model keeps
    neither the Dask data's moments nor the statistics' centre, so a later in-memory fit uses its own data."""
    import dask.array as da
    X = _gaussian_data(n=1200)
    bad = X.copy()
    bad[900, 1] = np.nan
    model = DirichletProcessGaussianMixture(3, covariance_type="diag", random_state=0)
    with pytest.raises(ValueError, match="finite"):
        model.fit(da.from_array(bad, chunks=(300, 3)))
    assert "_data_moments" not in model.__dict__ and "_statistics_shift" not in model.__dict__
    gaussian = GaussianMixture(3, random_state=0)                   # rejected during an EM iteration
    with pytest.raises(ValueError, match="finite"):
        gaussian.fit(da.from_array(bad, chunks=(300, 3)))
    assert "_statistics_shift" not in gaussian.__dict__
    wide = DirichletProcessGaussianMixture(50, random_state=0)
    with pytest.raises(ValueError, match="truncation"):             # rejected after the moments pass
        wide.fit(da.from_array(X, chunks=(30, 3)))
    assert "_data_moments" not in wide.__dict__
    other = X[:600] + 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(other)
    np.testing.assert_allclose(model.mean_prior_, other.mean(axis=0), rtol=1e-12)


def test_experts_parameters_rejects_an_unknown_gate_update():
    from mixlearn.experts import add_intercept, experts_parameters, experts_statistics
    X, y = _regression_data(n=100)
    statistics = experts_statistics(add_intercept(X), y, np.full((100, 2), 0.5), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="gate_update"):
        experts_parameters(statistics, gate_update="irls")
