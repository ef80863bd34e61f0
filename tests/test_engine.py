"""The EM engine (BaseMixture) through GaussianMixture: bound, restarts, warm start, verbosity,
convergence bookkeeping, max_iter=0, sample_weight, scores and criteria."""

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

from conftest import COVARIANCE_TYPES, INIT_PARAMS, make_blobs, precisions_from_covariances
from mixlearn import ConvergenceWarning, GaussianMixture, NotFittedError
from mixlearn.em import BaseMixture, kmeans_plusplus


def _fit(X, quiet=True, sample_weight=None, **params):
    model = GaussianMixture(**params)
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, sample_weight=sample_weight)


def _overlapping_data(seed=0, n=200):
    """Three overlapping 2-D clusters: EM needs many iterations here."""
    rng = np.random.default_rng(seed)
    X, _ = make_blobs(rng, n, [[0.0, 0.0], [2.0, 0.5], [0.5, 2.5]], scale=1.0)
    return X


def _user_init(covariance_type, k=3, d=2):
    weights = np.array([0.5, 0.3, 0.2])[:k] / np.array([0.5, 0.3, 0.2])[:k].sum()
    means = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])[:k, :d]
    covariances = {
        "full": np.stack([np.eye(d)] * k),
        "tied": np.eye(d),
        "diag": np.ones((k, d)),
        "spherical": np.ones(k),
    }[covariance_type]
    return dict(
        weights_init=weights,
        means_init=means,
        precisions_init=precisions_from_covariances(covariances, covariance_type),
    )


# ---------------------------------------------------------------------------------------------
# exceptions and imports
# ---------------------------------------------------------------------------------------------


def test_exception_hierarchy():
    assert issubclass(ConvergenceWarning, UserWarning)
    assert issubclass(NotFittedError, ValueError)
    assert issubclass(NotFittedError, AttributeError)
    assert issubclass(GaussianMixture, BaseMixture)


def test_fit_returns_self(blobs):
    X, _ = blobs
    model = GaussianMixture(3, random_state=0)
    assert model.fit(X) is model


def test_fitted_attribute_shapes(blobs):
    X, _ = blobs
    k, d = 3, 2
    shapes = {
        "full": (k, d, d),
        "tied": (d, d),
        "diag": (k, d),
        "spherical": (k,),
    }
    for covariance_type, shape in shapes.items():
        model = _fit(X, n_components=k, covariance_type=covariance_type, random_state=0)
        assert model.weights_.shape == (k,)
        assert model.means_.shape == (k, d)
        assert model.covariances_.shape == shape
        assert model.precisions_.shape == shape
        assert model.precisions_cholesky_.shape == shape
        assert model.n_features_in_ == d
        np.testing.assert_allclose(model.weights_.sum(), 1.0, rtol=1e-12)
        # precisions_ is the inverse of covariances_
        if covariance_type in ("full", "tied"):
            product = model.covariances_ @ model.precisions_
            np.testing.assert_allclose(product, np.broadcast_to(np.eye(d), product.shape), atol=1e-8)
        else:
            np.testing.assert_allclose(model.covariances_ * model.precisions_, 1.0, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# the bound
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_bound_never_decreases(covariance_type, init_params):
    X = _overlapping_data()
    model = _fit(
        X,
        n_components=3,
        covariance_type=covariance_type,
        init_params=init_params,
        tol=1e-12,
        max_iter=60,
        random_state=1,
    )
    bounds = np.asarray(model.lower_bounds_)
    assert np.isfinite(bounds).all()
    assert len(bounds) >= 2
    scale = max(1.0, np.abs(bounds).max())
    assert np.all(np.diff(bounds) >= -1e-10 * scale), np.diff(bounds).min()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_lower_bounds_bookkeeping(covariance_type):
    """lower_bounds_ has one entry per iteration; lower_bound_ is the last; the bound at iteration
    t is the mean log-likelihood of the parameters before the t-th M-step (scikit-learn's meaning),
    so refitting with max_iter=t-1 and scoring reproduces it."""
    X = _overlapping_data()
    init = _user_init(covariance_type)
    model = _fit(X, n_components=3, covariance_type=covariance_type, tol=0, max_iter=8, **init)
    assert model.n_iter_ == 8 == len(model.lower_bounds_)
    assert model.lower_bound_ == pytest.approx(model.lower_bounds_[-1], rel=1e-12)
    for t in (1, 4, 8):
        earlier = _fit(X, n_components=3, covariance_type=covariance_type, tol=0, max_iter=t - 1, **init)
        assert model.lower_bounds_[t - 1] == pytest.approx(earlier.score(X), rel=1e-10)


def test_converged_and_n_iter_consistent():
    X = _overlapping_data()
    for tol in (1e-1, 1e-3, 1e-6):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            model = GaussianMixture(3, tol=tol, max_iter=500, random_state=0).fit(X)
        assert model.converged_ is True or model.converged_ == True  # noqa: E712
        assert 1 <= model.n_iter_ < 500
        assert len(model.lower_bounds_) == model.n_iter_
        bounds = np.asarray(model.lower_bounds_)
        if model.n_iter_ >= 2:
            assert abs(bounds[-1] - bounds[-2]) < tol
            # it did not stop earlier than it should have
            assert np.all(np.abs(np.diff(bounds[:-1])) >= tol)

    model = _fit(X, n_components=3, tol=0.0, max_iter=7, random_state=0)
    assert not model.converged_
    assert model.n_iter_ == 7 == len(model.lower_bounds_)


def test_convergence_warning_with_max_iter_1():
    X = _overlapping_data()
    with pytest.warns(ConvergenceWarning):
        model = GaussianMixture(3, max_iter=1, random_state=0).fit(X)
    assert not model.converged_
    assert model.n_iter_ == 1


def test_no_warning_when_converged(blobs):
    X, _ = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = GaussianMixture(3, random_state=0).fit(X)
    assert model.converged_


# ---------------------------------------------------------------------------------------------
# restarts and warm start
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_n_init_keeps_best_bound(init_params):
    X = _overlapping_data(seed=3)
    for seed in (0, 1, 2):
        single = _fit(X, n_components=3, init_params=init_params, n_init=1, random_state=seed)
        several = _fit(X, n_components=3, init_params=init_params, n_init=5, random_state=seed)
        assert several.lower_bound_ >= single.lower_bound_ - 1e-12
        # the kept parameters are the ones whose bound is reported
        assert several.lower_bound_ == pytest.approx(several.lower_bounds_[-1], rel=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_warm_start_continues_where_it_left_off(covariance_type):
    """Two warm-started fits of 5 iterations equal one cold fit of 10 (same random_state);
    n_init is ignored on the second call."""
    X = _overlapping_data()
    common = dict(n_components=3, covariance_type=covariance_type, tol=0.0, random_state=4)
    cold = _fit(X, max_iter=10, **common)

    warm = GaussianMixture(max_iter=5, warm_start=True, **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X)
        first_bounds = list(warm.lower_bounds_)
        first_bound = warm.lower_bound_
        warm.set_params(n_init=4)
        warm.fit(X)
    second_bounds = list(warm.lower_bounds_)
    assert len(first_bounds) == 5 and len(second_bounds) == 5
    # starts at (not below) the previous bound
    assert second_bounds[0] >= first_bound - 1e-10 * abs(first_bound)
    np.testing.assert_allclose(first_bounds + second_bounds, cold.lower_bounds_, rtol=1e-9)
    np.testing.assert_allclose(warm.means_, cold.means_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(warm.covariances_, cold.covariances_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(warm.weights_, cold.weights_, rtol=1e-8)


def test_warm_start_false_restarts(blobs):
    X, _ = blobs
    model = GaussianMixture(3, tol=0.0, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = model.fit(X).lower_bounds_[:]
        second = model.fit(X).lower_bounds_[:]
    np.testing.assert_array_equal(first, second)


# ---------------------------------------------------------------------------------------------
# verbose
# ---------------------------------------------------------------------------------------------


def test_verbose_prints_iterations(capsys):
    X = _overlapping_data()
    model = _fit(X, n_components=3, tol=0.0, max_iter=6, verbose=2, verbose_interval=1, random_state=0)
    out = capsys.readouterr().out
    iteration_lines = [line for line in out.splitlines() if "iteration" in line.lower()]
    assert len(iteration_lines) >= model.n_iter_ == 6


def test_verbose_zero_is_silent(capsys):
    X = _overlapping_data()
    _fit(X, n_components=3, max_iter=6, verbose=0, random_state=0)
    captured = capsys.readouterr()
    assert captured.out == ""


def test_verbose_one_prints_something(capsys):
    X = _overlapping_data()
    _fit(X, n_components=3, max_iter=6, verbose=1, random_state=0)
    assert capsys.readouterr().out.strip() != ""


# ---------------------------------------------------------------------------------------------
# max_iter = 0
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_max_iter_zero_returns_user_initialisation(covariance_type):
    X = _overlapping_data()
    init = _user_init(covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no warning for max_iter=0
        model = GaussianMixture(3, covariance_type=covariance_type, max_iter=0, **init).fit(X)
    assert model.n_iter_ == 0
    np.testing.assert_array_equal(model.weights_, init["weights_init"])
    np.testing.assert_array_equal(model.means_, init["means_init"])
    np.testing.assert_allclose(model.precisions_, init["precisions_init"], rtol=1e-12)
    expected_covariances = (
        np.linalg.inv(init["precisions_init"])
        if covariance_type in ("full", "tied")
        else 1.0 / init["precisions_init"]
    )
    np.testing.assert_allclose(model.covariances_, expected_covariances, rtol=1e-12)
    # and the model is usable
    assert np.isfinite(model.score(X))
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


@pytest.mark.parametrize("init_params", ["k-means++", "random_from_data"])
def test_max_iter_zero_means_are_data_rows(init_params):
    """These two initialisations put each starting mean on a data row."""
    X = _overlapping_data()
    model = GaussianMixture(3, init_params=init_params, max_iter=0, random_state=0).fit(X)
    assert model.n_iter_ == 0
    for mean in model.means_:
        assert np.any(np.all(np.isclose(X, mean, rtol=0, atol=1e-12), axis=1))
    assert len({tuple(m) for m in model.means_}) == 3


def test_max_iter_zero_random_init_is_the_weighted_average():
    """init_params='random': one M-step from random responsibilities -> means inside the data hull
    and weights summing to one."""
    X = _overlapping_data()
    model = GaussianMixture(3, init_params="random", max_iter=0, random_state=0).fit(X)
    np.testing.assert_allclose(model.weights_.sum(), 1.0)
    assert np.all(model.means_ >= X.min(axis=0)) and np.all(model.means_ <= X.max(axis=0))


# ---------------------------------------------------------------------------------------------
# kmeans_plusplus
# ---------------------------------------------------------------------------------------------


def test_kmeans_plusplus_indices():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [100.0, 100.0]])
    X, labels = make_blobs(rng, 400, centers, scale=1.0)
    for seed in range(5):
        indices = np.asarray(kmeans_plusplus(X, 4, np.random.default_rng(seed)))
        assert indices.shape == (4,)
        assert np.issubdtype(indices.dtype, np.integer)
        assert np.all((indices >= 0) & (indices < len(X)))
        assert len(set(indices.tolist())) == 4
        # far-apart blobs: one seed per blob
        assert sorted(labels[indices].tolist()) == [0, 1, 2, 3]
    a = kmeans_plusplus(X, 4, np.random.default_rng(7))
    b = kmeans_plusplus(X, 4, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------------------
# predictions and scores
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("max_iter", [1, 3, 100])
def test_fit_predict_equals_fit_then_predict(covariance_type, max_iter):
    X = _overlapping_data()
    params = dict(n_components=3, covariance_type=covariance_type, max_iter=max_iter, random_state=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = GaussianMixture(**params).fit_predict(X)
        model = GaussianMixture(**params).fit(X)
    np.testing.assert_array_equal(labels, model.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_scores_are_consistent(covariance_type):
    X = _overlapping_data()
    model = _fit(X, n_components=3, covariance_type=covariance_type, random_state=0)
    score_samples = model.score_samples(X)
    proba = model.predict_proba(X)
    assert score_samples.shape == (len(X),)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(model.score(X), score_samples.mean(), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))

    # score_samples is the mixture density written out with scipy
    from scipy.stats import multivariate_normal

    from conftest import full_covariances

    full = full_covariances(model.covariances_, covariance_type, 3, 2)
    component = np.column_stack(
        [multivariate_normal(model.means_[j], full[j]).logpdf(X) for j in range(3)]
    )
    expected = logsumexp(component + np.log(model.weights_), axis=1)
    np.testing.assert_allclose(score_samples, expected, rtol=1e-9)
    np.testing.assert_allclose(proba, np.exp(component + np.log(model.weights_) - expected[:, None]), atol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_aic_bic_icl_definitions(covariance_type):
    X = _overlapping_data()
    n, d = X.shape
    k = 3
    model = _fit(X, n_components=k, covariance_type=covariance_type, random_state=0)
    covariance_parameters = {
        "full": k * d * (d + 1) / 2,
        "tied": d * (d + 1) / 2,
        "diag": k * d,
        "spherical": k,
    }[covariance_type]
    n_parameters = covariance_parameters + k * d + k - 1
    log_likelihood = model.score_samples(X).sum()
    np.testing.assert_allclose(model.bic(X), -2 * log_likelihood + n_parameters * np.log(n), rtol=1e-12)
    np.testing.assert_allclose(model.aic(X), -2 * log_likelihood + 2 * n_parameters, rtol=1e-12)

    resp = model.predict_proba(X)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.sum(np.where(resp > 0, resp * np.log(resp), 0.0))
    assert entropy > 0
    np.testing.assert_allclose(model.icl(X), model.bic(X) + 2 * entropy, rtol=1e-10)


def test_icl_equals_bic_for_hard_assignments(blobs):
    """Well separated blobs: responsibilities are 0/1 up to rounding, so ICL ~ BIC."""
    rng = np.random.default_rng(0)
    X, _ = make_blobs(rng, 150, [[0.0, 0.0], [50.0, 0.0], [0.0, 50.0]])
    model = _fit(X, n_components=3, random_state=0)
    assert model.icl(X) == pytest.approx(model.bic(X), abs=1e-6)
    assert model.icl(X) >= model.bic(X)


# ---------------------------------------------------------------------------------------------
# sampling from a fitted model
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_from_fitted_model(covariance_type):
    X = _overlapping_data()
    model = _fit(X, n_components=3, covariance_type=covariance_type, random_state=0)
    samples, labels = model.sample(50_000)
    assert samples.shape == (50_000, 2) and labels.shape == (50_000,)
    assert set(np.unique(labels)) <= {0, 1, 2}
    n = len(samples)
    frequencies = np.bincount(labels, minlength=3) / n
    w = model.weights_
    assert np.all(np.abs(frequencies - w) <= 5 * np.sqrt(w * (1 - w) / n))
    # each label's rows come from that component
    from conftest import full_covariances

    full = full_covariances(model.covariances_, covariance_type, 3, 2)
    for j in range(3):
        rows = samples[labels == j]
        se = np.sqrt(np.diag(full[j]) / len(rows))
        assert np.all(np.abs(rows.mean(axis=0) - model.means_[j]) <= 5 * se)
    one, one_label = model.sample()
    assert one.shape == (1, 2) and one_label.shape == (1,)


# ---------------------------------------------------------------------------------------------
# sample_weight
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_sample_weight_equals_repeated_rows(covariance_type):
    X = _overlapping_data(n=60)
    init = _user_init(covariance_type)
    params = dict(n_components=3, covariance_type=covariance_type, tol=0.0, max_iter=15, **init)

    weights = np.ones(len(X))
    weights[0] = 2
    weights[5] = 3
    weighted = _fit(X, sample_weight=weights, **params)
    repeated_X = np.repeat(X, weights.astype(int), axis=0)
    repeated = _fit(repeated_X, **params)

    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(
            getattr(weighted, name), getattr(repeated, name), rtol=1e-9, atol=1e-12, err_msg=name
        )
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-9)
    np.testing.assert_allclose(weighted.lower_bound_, repeated.lower_bound_, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_weight_zero_drops_row_and_scale_is_irrelevant(covariance_type):
    X = _overlapping_data(n=60)
    X[7] = [30.0, -30.0]  # an outlier that weight 0 must remove entirely
    init = _user_init(covariance_type)
    params = dict(n_components=3, covariance_type=covariance_type, tol=0.0, max_iter=15, **init)

    weights = np.ones(len(X))
    weights[7] = 0.0
    zeroed = _fit(X, sample_weight=weights, **params)
    dropped = _fit(np.delete(X, 7, axis=0), **params)
    scaled = _fit(X, sample_weight=3.5 * weights, **params)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(zeroed, name), getattr(dropped, name), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(getattr(scaled, name), getattr(dropped, name), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(zeroed.lower_bounds_, dropped.lower_bounds_, rtol=1e-9)


def test_unit_sample_weight_equals_no_weight():
    X = _overlapping_data()
    params = dict(n_components=3, tol=0.0, max_iter=10, random_state=0)
    plain = _fit(X, **params)
    weighted = _fit(X, sample_weight=np.ones(len(X)), **params)
    np.testing.assert_allclose(plain.means_, weighted.means_, rtol=1e-10)
    np.testing.assert_allclose(plain.lower_bounds_, weighted.lower_bounds_, rtol=1e-10)


def test_fit_predict_accepts_sample_weight():
    X = _overlapping_data()
    weights = np.linspace(0.5, 2.0, len(X))
    params = dict(n_components=3, random_state=0)
    labels = GaussianMixture(**params).fit_predict(X, sample_weight=weights)
    model = GaussianMixture(**params).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(labels, model.predict(X))


# ---------------------------------------------------------------------------------------------
# parameters API
# ---------------------------------------------------------------------------------------------

EXPECTED_DEFAULTS = dict(
    n_components=1,
    executor="auto",
    nan_policy="raise",
    covariance_type="full",
    tol=1e-3,
    reg_covar=1e-6,
    max_iter=100,
    n_init=1,
    init_params="kmeans",
    weights_init=None,
    means_init=None,
    precisions_init=None,
    random_state=None,
    warm_start=False,
    verbose=0,
    verbose_interval=10,
    learning_decay=0.7,
    learning_offset=2.0,
)


def test_get_params_defaults():
    assert GaussianMixture().get_params() == EXPECTED_DEFAULTS
    assert GaussianMixture().get_params(deep=False) == EXPECTED_DEFAULTS


def test_set_params_round_trip():
    model = GaussianMixture()
    assert model.set_params(n_components=4, covariance_type="diag", tol=1e-5) is model
    params = model.get_params()
    assert params["n_components"] == 4
    assert params["covariance_type"] == "diag"
    assert params["tol"] == 1e-5
    assert model.n_components == 4


def test_set_params_rejects_unknown_name():
    with pytest.raises(ValueError, match="n_componentz"):
        GaussianMixture().set_params(n_componentz=3)


def test_init_does_not_validate_or_modify_parameters():
    """scikit-learn's convention (which clone relies on): __init__ stores parameters unchanged."""
    means = np.array([[0.0, 1.0]])
    model = GaussianMixture(n_components=1, means_init=means, tol=-1)
    assert model.means_init is means
    assert model.tol == -1


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 18])
@pytest.mark.parametrize("layout", ["engine", "C"])
def test_log_softmax_in_blocks_equals_scipy(monkeypatch, block, layout):
    """log_softmax_responsibilities works in row blocks of SOFTMAX_BLOCK_ELEMENTS entries: every block
    size (a block smaller than one row included) gives SciPy's logsumexp and softmax, with the
    all -inf row kept at -inf."""
    from scipy.special import logsumexp, softmax
    import mixlearn.em as em
    monkeypatch.setattr(em, "SOFTMAX_BLOCK_ELEMENTS", block)
    rng = np.random.default_rng(0)
    a = rng.normal(scale=50.0, size=(203, 5))
    a[17] = -np.inf
    buffer = np.empty((5, 203)).T if layout == "engine" else np.empty((203, 5))
    buffer[:] = a
    log_norm = em.log_softmax_responsibilities(buffer)
    finite = np.arange(203) != 17
    np.testing.assert_allclose(log_norm[finite], logsumexp(a[finite], axis=1), rtol=1e-13)
    np.testing.assert_allclose(buffer[finite], softmax(a[finite], axis=1), rtol=1e-12, atol=1e-300)
    assert log_norm[17] == -np.inf


def test_warm_start_after_max_iter_zero_runs_em():
    """A model scored at its initialisation (max_iter=0) and then warm-started runs EM from there: it
    does not stop after one iteration because its first bound equals the stored score."""
    X = _overlapping_data()
    model = GaussianMixture(3, max_iter=0, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
        start = model.lower_bound_
        model.set_params(max_iter=200, tol=1e-6).fit(X)
    assert model.n_iter_ > 2
    assert model.lower_bound_ > start + 1e-3
