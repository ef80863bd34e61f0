"""The fused E+M pass of chapter 08 (`mixlearn.performance.LinearEStep`) and the engine's use of it:
the pass against an explicit log-softmax, the fused fit against the readable one, the fallbacks,
threads and chunks, and the memory it saves."""

import tracemalloc
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp, softmax
from threadpoolctl import threadpool_limits

from conftest import COVARIANCE_TYPES
from mixlearn import ConvergenceWarning, GaussianMixture
from mixlearn.performance import (FUSED_BUFFER_SHARE, FUSED_CHUNK_ELEMENTS, FUSED_MIN_ROWS, FusedExecutor,
                                  GaussianLinearForm, LinearEStep, available_cores, blas_threads, linear_form,
                                  register_linear_form)


def _features_of(X):
    "phi(x) = [x, x^2, 1] as a (q, rows) writer and the explicit (n, q) matrix."
    def write(block, out):
        d = block.shape[1]
        out[:d] = block.T
        np.square(block.T, out=out[d:2 * d])
        out[2 * d] = 1.0
    return write, np.hstack([X, X ** 2, np.ones((len(X), 1))])


def _explicit(Phi, coefficients, weights=None):
    "S = sum_i w_i r_ik phi_i and sum_i w_i log sum_k exp(theta_k . phi_i), computed the obvious way."
    logits = Phi @ coefficients.T
    w = np.ones(len(Phi)) if weights is None else weights
    resp = softmax(logits, axis=1) * w[:, None]
    return resp.T @ Phi, float(w @ logsumexp(logits, axis=1))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("chunk_rows", [256, 1000])
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_pass_matches_explicit_softmax(workers, chunk_rows, weighted):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2_345, 3))                     # a ragged last chunk
    weights = rng.uniform(0.1, 3.0, len(X)) if weighted else None
    write, Phi = _features_of(X)
    fused = LinearEStep(X, 4, Phi.shape[1], write, weights, workers=workers, chunk_rows=chunk_rows)
    try:
        for step in range(3):                           # first call: maxima; later: last call's normalisers
            coefficients = rng.normal(scale=0.5 + step, size=(4, Phi.shape[1]))
            S, total = fused(coefficients)
            S_ref, total_ref = _explicit(Phi, coefficients, weights)
            np.testing.assert_allclose(S, S_ref, rtol=1e-11, atol=1e-11)
            assert total == pytest.approx(total_ref, rel=1e-12)
            np.testing.assert_allclose(fused.log_normaliser, logsumexp(Phi @ coefficients.T, axis=1), rtol=1e-12)
    finally:
        fused.close()


def test_linear_pass_redoes_rows_whose_density_jumped():
    """After a call, shift every logit by +-1000 (e^1000 overflows): the rows are redone with their own
    maxima and the results stay exact, never inf or NaN."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 2))
    write, Phi = _features_of(X)
    fused = LinearEStep(X, 3, Phi.shape[1], write, workers=1, chunk_rows=256)
    coefficients = rng.normal(size=(3, Phi.shape[1]))
    fused(coefficients)
    for jump in (1000.0, -1000.0):
        moved = coefficients.copy()
        moved[:, -1] += jump                            # the constant feature: every logit moves by `jump`
        with warnings.catch_warnings():
            warnings.simplefilter("error")              # no overflow warning escapes
            S, total = fused(moved)
        S_ref, total_ref = _explicit(Phi, moved)
        np.testing.assert_allclose(S, S_ref, rtol=1e-11)
        assert total == pytest.approx(total_ref, rel=1e-12)
        coefficients = moved


def test_linear_pass_reports_rows_of_zero_density():
    X = np.array([[0.0], [1.0], [2.0]])
    write, Phi = _features_of(X)
    fused = LinearEStep(X, 2, Phi.shape[1], write, workers=1)
    coefficients = np.zeros((2, Phi.shape[1]))
    coefficients[:, -1] = -np.inf                       # every component has zero weight
    _, total = fused(coefficients)
    assert total == -np.inf
    _, total = fused(coefficients)                      # and again, from the last call's normalisers
    assert total == -np.inf


def test_linear_pass_is_exact_where_terms_underflow():
    """Components thousands of nats apart: most terms e^(a_ik - l_i) underflow (the pass raises such logits
    to -700 before exp, which is 7-50x faster there); the statistics and likelihood still equal the
    explicit softmax's, on the first call and on the next."""
    rng = np.random.default_rng(11)
    X = np.concatenate([rng.normal(size=(300, 1)), rng.normal(size=(300, 1)) + 60.0])
    write, Phi = _features_of(X)
    # columns (x, x^2, 1): the logits -(x - m)^2 / 2 of means m = 0, 60, -30
    coefficients = np.array([[0.0, -0.5, 0.0], [60.0, -0.5, -1800.0], [-30.0, -0.5, -450.0]])
    fused = LinearEStep(X, 3, Phi.shape[1], write, workers=1, chunk_rows=256)
    logits = Phi @ coefficients.T
    assert np.mean(logits - logits.max(axis=1, keepdims=True) < -745) > 0.3       # the case is what it claims
    S_ref, total_ref = _explicit(Phi, coefficients)
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            S, total = fused(coefficients)
        np.testing.assert_allclose(S, S_ref, rtol=1e-12, atol=1e-250)
        assert total == pytest.approx(total_ref, rel=1e-13)


def test_chunk_buffers_are_a_share_of_the_data():
    """Small data: one worker, and the chunk buffers take at most FUSED_BUFFER_SHARE of X plus an (n, k)
    array; large data: the default workers, chunks of about FUSED_CHUNK_ELEMENTS entries."""
    n, d, k, q = 10_000, 10, 5, 65
    fused = LinearEStep(np.zeros((n, d)), k, q, lambda block, out: None)
    assert fused.workers == 1 and fused.rows >= FUSED_MIN_ROWS
    buffers = sum(F.nbytes + A.nbytes for F, A in fused.buffers)
    assert buffers <= FUSED_BUFFER_SHARE * 8 * n * (d + k)
    n, q = 400_000, 20
    fused = LinearEStep(np.zeros((n, d)), k, q, lambda block, out: None)
    assert fused.workers == min(available_cores(), blas_threads())
    assert fused.rows == FUSED_CHUNK_ELEMENTS // (q + 1)
    fused.close()


def test_workers_follow_the_blas_limit():
    X = np.zeros((100_000, 1))
    fused = LinearEStep(X, 2, 3, lambda block, out: None, chunk_rows=1000)
    assert fused.workers == min(available_cores(), blas_threads())
    fused.close()
    with threadpool_limits(limits=1, user_api="blas"):
        fused = LinearEStep(X, 2, 3, lambda block, out: None, chunk_rows=1000)
        assert fused.workers == 1


def _fit(X, fused, sample_weight=None, **params):
    "A fit on the fused executor (fused=True), the readable one (False) or the engine's choice (None)."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GaussianMixture(executor={True: "fused", False: "memory", None: "auto"}[fused], **params)
        return model.fit(X, sample_weight=sample_weight)


def _data(seed=0, n=3000, d=3, offset=0.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(4, d)) + offset
    return centres[rng.integers(0, 4, n)] + rng.normal(size=(n, d))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_fit_equals_readable_fit(covariance_type, weighted):
    """Same parameters and the same bound at every iteration, whether EM runs the fused pass or the
    E-step into the (n, k) buffer and the M-step from responsibilities."""
    X = _data(offset=1e3)                               # far from the origin: the centring matters
    weights = np.random.default_rng(3).uniform(0.2, 2.0, len(X)) if weighted else None
    params = dict(n_components=4, covariance_type=covariance_type, tol=0.0, max_iter=25, random_state=0)
    fused, readable = _fit(X, True, weights, **params), _fit(X, False, weights, **params)
    np.testing.assert_allclose(fused.lower_bounds_, readable.lower_bounds_, rtol=1e-12)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(getattr(fused, name), getattr(readable, name), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("d", [2, 12, 40])
def test_fused_full_covariance_over_products_equals_readable(d):
    """Full covariances use the d(d+1)/2 products where d + 1 <= 8 k (k = 5: d <= 39), the direct form
    elsewhere: both agree with the readable path."""
    X = _data(n=1500, d=d)
    params = dict(n_components=5, covariance_type="full", tol=0.0, max_iter=8, random_state=1)
    has_form = GaussianLinearForm(GaussianMixture(**params)).features(X, None) is not None
    assert has_form == (d + 1 <= 8 * 5)
    if not has_form:                     # executor="fused" is refused; "auto" takes the readable path
        with pytest.raises(ValueError, match="executor='fused' cannot fit GaussianMixture"):
            _fit(X, True, **params)
    fused, readable = _fit(X, True if has_form else None, **params), _fit(X, False, **params)
    np.testing.assert_allclose(fused.covariances_, readable.covariances_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fused.lower_bounds_, readable.lower_bounds_, rtol=1e-12)


def test_far_component_falls_back_to_the_readable_path():
    """A component 1e6 of its standard deviations from the centre is declined by the fused pass (its
    expansion would lose too many digits): the fit is then the readable one exactly."""
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(size=(500, 2)), 1e6 + 1e-3 * rng.normal(size=(20, 2))])
    params = dict(n_components=2, covariance_type="diag", tol=0.0, max_iter=5, random_state=0,
                  means_init=[[0.0, 0.0], [1e6, 1e6]])
    model = _fit(X, True, **params)
    readable = _fit(X, False, **params)
    np.testing.assert_array_equal(model.means_, readable.means_)
    np.testing.assert_array_equal(model.covariances_, readable.covariances_)
    assert model.covariances_[1].max() < 1e-5          # the tight far cluster keeps its digits


def test_fit_predict_equals_fit_then_predict():
    X = _data(seed=5)
    params = dict(n_components=4, covariance_type="diag", random_state=0)
    labels = GaussianMixture(**params).fit_predict(X)
    np.testing.assert_array_equal(labels, GaussianMixture(**params).fit(X).predict(X))


def test_fused_fit_allocates_no_responsibilities():
    """With the starting parameters given, a fit keeps no (n, k) array: its peak is far below the
    8 n k bytes of the responsibilities (here 32 MB)."""
    rng = np.random.default_rng(6)
    n, k = 200_000, 20
    X = rng.normal(size=(n, 2))
    init = dict(weights_init=np.full(k, 1 / k), means_init=X[:k], precisions_init=np.ones((k, 2)))
    _fit(X[:1000], True, n_components=k, covariance_type="diag", max_iter=1, **init)        # warm the imports
    tracemalloc.start()
    _fit(X, True, n_components=k, covariance_type="diag", max_iter=3, tol=0.0, **init)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.25 * 8 * n * k


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_small_fused_fit_works_in_a_fraction_of_its_data(covariance_type):
    """n = 1e4, d = 10, k = 5: the fit's peak working memory is under half of X plus the (n, k)
    responsibilities (1.2 MB here; it was 5.6 MB for full covariances before the buffers were bounded by
    the data and the products written without temporaries)."""
    rng = np.random.default_rng(12)
    n, d, k = 10_000, 10, 5
    X = rng.normal(size=(n, d))
    precisions = np.tile(np.eye(d), (k, 1, 1)) if covariance_type == "full" else np.ones((k, d))
    init = dict(weights_init=np.full(k, 1 / k), means_init=X[:k], precisions_init=precisions)
    _fit(X[:1000], True, n_components=k, covariance_type=covariance_type, max_iter=1, **init)   # warm imports
    tracemalloc.start()
    _fit(X, True, n_components=k, covariance_type=covariance_type, max_iter=3, tol=0.0, **init)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.5 * (X.nbytes + 8 * n * k)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_far_component_gets_its_exact_form(covariance_type):
    """A tight cluster (variance 1e-8) 50 units from the rest is too far for the expansion about the centre:
    the fused pass takes its exact log-density and recomputes its statistics about its own mean, and
    the fit equals the readable one (which does the same in chapter 00 and 02)."""
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(size=(400, 3)), rng.normal(size=(400, 3)) + 4.0,
                   50.0 + 1e-4 * rng.normal(size=(30, 3))])
    means = [[0.0] * 3, [4.0] * 3, [50.0] * 3]
    params = dict(n_components=3, covariance_type=covariance_type, tol=0.0, max_iter=6, means_init=means,
                  random_state=0, reg_covar=1e-12)
    fused, readable = _fit(X, True, **params), _fit(X, False, **params)
    np.testing.assert_allclose(fused.means_, readable.means_, rtol=1e-12)
    # atol: the pass raises logits below -700 to -700 before exp (_EXP_FLOOR), so where the readable
    # E-step's terms underflow to exactly 0 the pass's are e^-700 = 1e-304: a covariance entry that is 0
    # there may be 1e-285 here
    np.testing.assert_allclose(fused.covariances_, readable.covariances_, rtol=1e-7, atol=1e-250)
    np.testing.assert_allclose(fused.lower_bounds_, readable.lower_bounds_, rtol=1e-10)
    if covariance_type != "tied":
        assert np.max(fused.covariances_[2]) < 1e-7          # the tight cluster keeps its tiny variance


def test_far_components_are_exact_in_the_pass():
    "The pass takes the exact form for the far component only (and the expansion for the others)."
    rng = np.random.default_rng(8)
    X = np.vstack([rng.normal(size=(300, 2)), 50.0 + 1e-4 * rng.normal(size=(20, 2))])
    model = GaussianMixture(2, covariance_type="diag")
    model.weights_ = np.array([300.0, 20.0]) / 320.0                # a tight cluster (sd 1e-4) 50 units away
    model.means_ = np.array([[0.0, 0.0], [50.0, 50.0]])
    model.covariances_ = np.array([[1.0, 1.0], [1e-8, 1e-8]])
    model.precisions_cholesky_ = 1.0 / np.sqrt(model.covariances_)
    form = GaussianLinearForm(model)
    form.features(X, None)
    coefficients, exact = form.coefficients()
    components, values = exact(X)
    assert list(components) == [1]
    np.testing.assert_allclose(values[0], model._weighted_log_prob(X)[:, 1], rtol=1e-10)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(workers=0), ValueError, "workers must be an integer >= 1"),
    (dict(workers=1.5), TypeError, "workers must be an integer >= 1"),
    (dict(chunk_rows=0), ValueError, "chunk_rows must be an integer >= 1"),
    (dict(chunk_rows=-256), ValueError, "chunk_rows must be an integer >= 1"),
    (dict(chunk_rows="256"), TypeError, "chunk_rows must be an integer >= 1"),
])
def test_linear_pass_rejects_bad_workers_and_chunks(kwargs, error, match):
    with pytest.raises(error, match=match):
        LinearEStep(np.zeros((100, 2)), 2, 5, lambda block, out: None, **kwargs)


class _MyGaussians(GaussianMixture):
    "A subclass: it has the Gaussian's linear form through its class's MRO."


class _NoForm:
    n_components = 2


def test_linear_forms_are_found_along_the_mro():
    X = _data(n=500, d=2)
    assert isinstance(linear_form(_MyGaussians(2)), GaussianLinearForm)
    assert _MyGaussians(2, random_state=0).fit(X).executor_ == "fused"
    assert linear_form(_NoForm()) is None and FusedExecutor.make(_NoForm(), X, None) is None


def test_a_family_without_a_registered_form_runs_the_readable_path():
    from mixlearn import DirichletMultinomialMixture
    X = np.floor(np.abs(3 * _data(n=500, d=4)))
    assert FusedExecutor.make(DirichletMultinomialMixture(2), X, None) is None
    assert DirichletMultinomialMixture(2, random_state=0).fit(X).executor_ == "memory"
    with pytest.raises(ValueError, match="executor='fused' cannot fit DirichletMultinomialMixture"):
        DirichletMultinomialMixture(2, executor="fused").fit(X)


def test_a_registered_form_is_used_by_the_executor(monkeypatch):
    "register_linear_form makes the executor ask a family's own form (here one that counts the calls)."
    calls = []

    class CountingForm(GaussianLinearForm):
        def statistics(self, S):
            calls.append(1)
            return super().statistics(S)

    import mixlearn.performance
    monkeypatch.setattr(mixlearn.performance, "_LINEAR_FORMS", dict(mixlearn.performance._LINEAR_FORMS))
    register_linear_form(_MyGaussians, CountingForm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _MyGaussians(2, tol=0.0, max_iter=3, random_state=0).fit(_data(n=500, d=2))
    assert len(calls) == 3
