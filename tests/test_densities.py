"""mixlearn.densities: Gaussian log-densities, mixture density, sampling, Cholesky helpers.

Oracles: scipy.stats.multivariate_normal, numerical integration, closed-form mixture moments.
"""

import numpy as np
import pytest
from scipy import integrate
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from conftest import COVARIANCE_TYPES, full_covariances, random_covariances, random_spd
from mixlearn.densities import (
    COVARIANCE_TYPES as LIB_COVARIANCE_TYPES,
    check_random_state,
    compute_precision_cholesky,
    covariances_from_precision_cholesky,
    gaussian_log_prob,
    mixture_log_density,
    precision_cholesky_from_precisions,
    sample_gaussian_mixture,
)


def test_covariance_types_constant():
    assert tuple(LIB_COVARIANCE_TYPES) == ("full", "tied", "diag", "spherical")


# ---------------------------------------------------------------------------------------------
# gaussian_log_prob against scipy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("k, d", [(1, 1), (3, 1), (1, 2), (3, 2), (4, 5)])
def test_gaussian_log_prob_matches_scipy(covariance_type, k, d):
    rng = np.random.default_rng(100 * k + d)
    n = 40
    means = rng.normal(scale=3.0, size=(k, d))
    covariances = random_covariances(rng, covariance_type, k, d)
    X = rng.normal(scale=4.0, size=(n, d))

    precisions_cholesky = compute_precision_cholesky(covariances, covariance_type)
    log_prob = gaussian_log_prob(X, means, precisions_cholesky, covariance_type)

    assert log_prob.shape == (n, k)
    full = full_covariances(covariances, covariance_type, k, d)
    expected = np.column_stack(
        [multivariate_normal(means[j], full[j]).logpdf(X).reshape(n) for j in range(k)]
    )
    np.testing.assert_allclose(log_prob, expected, rtol=1e-10, atol=1e-10)


def test_gaussian_log_prob_default_is_full():
    rng = np.random.default_rng(1)
    means = rng.normal(size=(2, 3))
    covariances = np.stack([random_spd(rng, 3), random_spd(rng, 3)])
    X = rng.normal(size=(10, 3))
    precisions_cholesky = compute_precision_cholesky(covariances, "full")
    np.testing.assert_allclose(
        gaussian_log_prob(X, means, precisions_cholesky),
        gaussian_log_prob(X, means, precisions_cholesky, "full"),
    )


def test_gaussian_log_prob_far_from_mean_is_finite():
    """A point 1e8 standard deviations away has a huge negative but finite log-density."""
    means = np.zeros((1, 2))
    precisions_cholesky = compute_precision_cholesky(np.array([[[1.0, 0.0], [0.0, 1.0]]]), "full")
    X = np.array([[1e8, -1e8]])
    log_prob = gaussian_log_prob(X, means, precisions_cholesky, "full")
    assert np.isfinite(log_prob).all()
    np.testing.assert_allclose(log_prob[0, 0], -0.5 * 2e16 - np.log(2 * np.pi), rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("offset", [1e4, 1e6])
def test_gaussian_log_prob_is_translation_invariant_far_from_origin(covariance_type, offset):
    """Data and means far from the origin: the centred computation keeps the digits."""
    rng = np.random.default_rng(9)
    k, d = 3, 3
    means = rng.normal(size=(k, d))
    covariances = random_covariances(rng, covariance_type, k, d, scale=0.1)
    X = rng.normal(size=(30, d))
    precisions_cholesky = compute_precision_cholesky(covariances, covariance_type)
    near = gaussian_log_prob(X, means, precisions_cholesky, covariance_type)
    far = gaussian_log_prob(X + offset, means + offset, precisions_cholesky, covariance_type)
    np.testing.assert_allclose(far, near, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_log_prob_overflowing_distance_is_minus_inf_not_nan(covariance_type):
    """Finite X so far out that the squared distance overflows: the correctly rounded log-density
    is -inf. It must never be NaN (inf - inf from an expanded square)."""
    means = np.array([[1.0, 2.0], [-3.0, 0.5]])
    covariances = {"full": np.stack([np.eye(2), 2 * np.eye(2)]), "tied": np.eye(2),
                   "diag": np.ones((2, 2)), "spherical": np.ones(2)}[covariance_type]
    X = np.array([[1e200, -1e200], [1e160, 3.0], [-1e300, 1e300]])
    with np.errstate(all="ignore"):
        log_prob = gaussian_log_prob(X, means, compute_precision_cholesky(covariances, covariance_type),
                                     covariance_type)
    assert not np.isnan(log_prob).any(), log_prob
    assert np.all(log_prob == -np.inf), log_prob


# ---------------------------------------------------------------------------------------------
# densities integrate to one
# ---------------------------------------------------------------------------------------------


def _mixture_density(X, weights, means, covariances, covariance_type):
    precisions_cholesky = compute_precision_cholesky(covariances, covariance_type)
    log_prob = gaussian_log_prob(X, means, precisions_cholesky, covariance_type)
    return np.exp(mixture_log_density(log_prob, weights))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_mixture_density_integrates_to_one_1d(covariance_type):
    rng = np.random.default_rng(7)
    k = 3
    weights = np.array([0.2, 0.5, 0.3])
    means = np.array([[-4.0], [0.5], [6.0]])
    covariances = random_covariances(rng, covariance_type, k, 1)
    sd = np.sqrt(full_covariances(covariances, covariance_type, k, 1).max())

    def density(x):
        return _mixture_density(np.array([[x]]), weights, means, covariances, covariance_type)[0]

    lo, hi = means.min() - 40 * sd, means.max() + 40 * sd
    total, _ = integrate.quad(density, lo, hi, points=list(means.ravel()), limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_mixture_density_integrates_to_one_2d(covariance_type):
    rng = np.random.default_rng(8)
    k = 3
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[0.0, 0.0], [3.0, -2.0], [-2.0, 4.0]])
    covariances = random_covariances(rng, covariance_type, k, 2, scale=0.3)
    sd = np.sqrt(np.linalg.eigvalsh(full_covariances(covariances, covariance_type, k, 2)).max())

    # trapezoid rule on a fine grid: spectrally accurate for a smooth density that has decayed
    # to zero at the edges of the box
    grid = np.linspace(means.min() - 12 * sd, means.max() + 12 * sd, 701)
    xx, yy = np.meshgrid(grid, grid, indexing="ij")
    points = np.column_stack([xx.ravel(), yy.ravel()])
    density = _mixture_density(points, weights, means, covariances, covariance_type)
    density = density.reshape(xx.shape)
    total = integrate.trapezoid(integrate.trapezoid(density, grid, axis=1), grid)
    assert total == pytest.approx(1.0, abs=1e-6)


def test_mixture_integrates_to_one_2d_adaptive_cubature():
    """Adaptive (vectorized) cubature over a box: an independent check of the grid result."""
    means = np.array([[1.0, -1.0], [-2.0, 2.0]])
    covariances = np.array([[[2.0, 0.6], [0.6, 0.5]], [[0.3, -0.1], [-0.1, 0.8]]])
    weights = np.array([0.7, 0.3])

    def density(points):  # points: (m, 2)
        return _mixture_density(points, weights, means, covariances, "full")

    # the box reaches >= 8 standard deviations from each mean: the mass outside is < 1e-14
    result = integrate.cubature(density, [-13.0, -8.0], [14.0, 9.5], rtol=1e-10, atol=1e-12)
    assert result.status == "converged"
    assert result.estimate == pytest.approx(1.0, abs=1e-8)


# ---------------------------------------------------------------------------------------------
# mixture_log_density
# ---------------------------------------------------------------------------------------------


def test_mixture_log_density_matches_naive_for_moderate_values():
    rng = np.random.default_rng(3)
    log_prob = rng.uniform(-20, 5, size=(50, 4))
    weights = rng.dirichlet(np.ones(4))
    naive = np.log(np.sum(weights * np.exp(log_prob), axis=1))
    result = mixture_log_density(log_prob, weights)
    assert result.shape == (50,)
    np.testing.assert_allclose(result, naive, rtol=1e-12, atol=1e-12)


def test_mixture_log_density_stays_finite_where_naive_underflows():
    rng = np.random.default_rng(4)
    d, k = 200, 3
    means = rng.normal(size=(k, d))
    covariances = rng.uniform(0.5, 1.0, size=k)
    weights = np.array([0.2, 0.3, 0.5])
    X = rng.normal(scale=3.0, size=(20, d)) + 5.0
    precisions_cholesky = compute_precision_cholesky(covariances, "spherical")
    log_prob = gaussian_log_prob(X, means, precisions_cholesky, "spherical")
    assert log_prob.max() < -800  # exp underflows to 0 in float64

    with np.errstate(divide="ignore", under="ignore"):
        naive = np.log(np.sum(weights * np.exp(log_prob), axis=1))
    assert np.isinf(naive).all()  # the naive product-then-log fails here

    result = mixture_log_density(log_prob, weights)
    assert np.isfinite(result).all()
    np.testing.assert_allclose(result, logsumexp(log_prob + np.log(weights), axis=1), rtol=1e-12)


def test_mixture_log_density_far_point_1d():
    means = np.array([[0.0], [1.0]])
    precisions_cholesky = compute_precision_cholesky(np.array([1.0, 2.0]), "spherical")
    weights = np.array([0.5, 0.5])
    X = np.array([[1e4], [-1e4]])
    log_prob = gaussian_log_prob(X, means, precisions_cholesky, "spherical")
    result = mixture_log_density(log_prob, weights)
    assert np.isfinite(result).all()
    np.testing.assert_allclose(result, logsumexp(log_prob + np.log(weights), axis=1), rtol=1e-12)


def test_mixture_log_density_zero_weight_is_ignored():
    log_prob = np.array([[-1.0, -2.0, -3.0], [-50.0, -2.0, 0.0]])
    result = mixture_log_density(log_prob, np.array([0.5, 0.5, 0.0]))
    assert np.isfinite(result).all()
    np.testing.assert_allclose(result, logsumexp(log_prob[:, :2] + np.log(0.5), axis=1), rtol=1e-14)


def test_mixture_log_density_no_overflow_for_large_values():
    log_prob = np.array([[1000.0, 999.0], [-1000.0, 1000.0]])
    weights = np.array([0.25, 0.75])
    result = mixture_log_density(log_prob, weights)
    assert np.isfinite(result).all()
    np.testing.assert_allclose(result, logsumexp(log_prob + np.log(weights), axis=1), rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# Cholesky-of-precision helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 5])
def test_precision_cholesky_full_is_upper_triangular_factor_of_precision(d):
    rng = np.random.default_rng(d)
    covariances = np.stack([random_spd(rng, d) for _ in range(3)])
    U = compute_precision_cholesky(covariances, "full")
    assert U.shape == (3, d, d)
    for j in range(3):
        # upper triangular up to rounding (inverting the lower factor may leave ~1e-18 below)
        np.testing.assert_allclose(np.tril(U[j], -1), 0.0, atol=1e-13 * np.abs(U[j]).max())
        assert (np.diag(U[j]) > 0).all()
        np.testing.assert_allclose(U[j] @ U[j].T, np.linalg.inv(covariances[j]), rtol=1e-10, atol=1e-12)


def test_precision_cholesky_tied_diag_spherical_shapes_and_values():
    rng = np.random.default_rng(11)
    d, k = 3, 4
    tied = random_spd(rng, d)
    U = compute_precision_cholesky(tied, "tied")
    assert U.shape == (d, d)
    np.testing.assert_allclose(np.tril(U, -1), 0.0, atol=1e-13 * np.abs(U).max())
    np.testing.assert_allclose(U @ U.T, np.linalg.inv(tied), rtol=1e-10, atol=1e-12)

    diag = rng.uniform(0.1, 4.0, size=(k, d))
    np.testing.assert_allclose(compute_precision_cholesky(diag, "diag"), 1 / np.sqrt(diag), rtol=1e-14)

    spherical = rng.uniform(0.1, 4.0, size=k)
    result = compute_precision_cholesky(spherical, "spherical")
    assert result.shape == (k,)
    np.testing.assert_allclose(result, 1 / np.sqrt(spherical), rtol=1e-14)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("d", [1, 3])
def test_precision_cholesky_round_trips(covariance_type, d):
    rng = np.random.default_rng(20 + d)
    k = 3
    covariances = random_covariances(rng, covariance_type, k, d)
    precisions = (
        np.linalg.inv(covariances) if covariance_type in ("full", "tied") else 1 / covariances
    )

    from_covariances = compute_precision_cholesky(covariances, covariance_type)
    from_precisions = precision_cholesky_from_precisions(precisions, covariance_type)
    assert from_covariances.shape == np.shape(covariances)
    np.testing.assert_allclose(from_precisions, from_covariances, rtol=1e-9, atol=1e-12)

    back = covariances_from_precision_cholesky(from_covariances, covariance_type)
    assert back.shape == np.shape(covariances)
    np.testing.assert_allclose(back, covariances, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------------------------


def _mixture_moments(weights, means, full):
    mean = weights @ means
    second = np.einsum("k,kij->ij", weights, full + np.einsum("ki,kj->kij", means, means))
    return mean, second - np.outer(mean, mean)


def _assert_moments_match(X, mean, cov, n_se=5.0):
    n = X.shape[0]
    sample_mean = X.mean(axis=0)
    mean_se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(sample_mean - mean) <= n_se * mean_se), (sample_mean, mean, mean_se)

    centred = X - mean  # centre at the true mean: the products are iid with mean `cov`
    products = np.einsum("ni,nj->nij", centred, centred)
    sample_cov = products.mean(axis=0)
    cov_se = products.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(sample_cov - cov) <= n_se * cov_se), (sample_cov, cov, cov_se)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_moments_match_closed_form(covariance_type):
    rng = np.random.default_rng(31)
    k, d, n = 3, 2, 200_000
    weights = np.array([0.2, 0.3, 0.5])
    means = np.array([[0.0, 0.0], [4.0, 1.0], [-3.0, 5.0]])
    covariances = random_covariances(rng, covariance_type, k, d, scale=0.5)
    full = full_covariances(covariances, covariance_type, k, d)

    X, labels = sample_gaussian_mixture(
        n, weights, means, covariances, covariance_type=covariance_type, random_state=0
    )
    assert X.shape == (n, d) and labels.shape == (n,)
    assert np.issubdtype(labels.dtype, np.integer)
    assert set(np.unique(labels)) <= set(range(k))

    mean, cov = _mixture_moments(weights, means, full)
    _assert_moments_match(X, mean, cov)

    # label frequencies follow the weights (binomial standard errors)
    frequencies = np.bincount(labels, minlength=k) / n
    np.testing.assert_array_less(np.abs(frequencies - weights), 5 * np.sqrt(weights * (1 - weights) / n))

    # each label's rows come from that label's component
    for j in range(k):
        _assert_moments_match(X[labels == j], means[j], full[j])


def test_sample_1d():
    weights = np.array([0.4, 0.6])
    means = np.array([[-1.0], [2.0]])
    covariances = np.array([[[0.5]], [[2.0]]])
    X, labels = sample_gaussian_mixture(100_000, weights, means, covariances, random_state=1)
    assert X.shape == (100_000, 1)
    mean, cov = _mixture_moments(weights, means, covariances)
    _assert_moments_match(X, mean, cov)


def test_sample_zero_weight_component_never_drawn():
    weights = np.array([0.5, 0.0, 0.5])
    means = np.array([[0.0], [100.0], [5.0]])
    covariances = np.array([1.0, 1.0, 1.0])
    X, labels = sample_gaussian_mixture(5000, weights, means, covariances, "spherical", random_state=2)
    assert not np.any(labels == 1)
    assert X.max() < 50


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_reproducible_with_seed(covariance_type):
    rng = np.random.default_rng(5)
    k, d = 3, 2
    weights = np.array([0.3, 0.3, 0.4])
    means = rng.normal(size=(k, d))
    covariances = random_covariances(rng, covariance_type, k, d)
    args = (500, weights, means, covariances, covariance_type)

    X1, y1 = sample_gaussian_mixture(*args, random_state=42)
    X2, y2 = sample_gaussian_mixture(*args, random_state=42)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)

    X3, _ = sample_gaussian_mixture(*args, random_state=np.random.default_rng(42))
    X4, _ = sample_gaussian_mixture(*args, random_state=np.random.default_rng(42))
    np.testing.assert_array_equal(X3, X4)

    X5, _ = sample_gaussian_mixture(*args, random_state=np.random.RandomState(42))
    X6, _ = sample_gaussian_mixture(*args, random_state=np.random.RandomState(42))
    np.testing.assert_array_equal(X5, X6)

    X7, _ = sample_gaussian_mixture(*args, random_state=43)
    assert not np.array_equal(X1, X7)


@pytest.mark.parametrize("n_samples", [0, -3])
def test_sample_rejects_non_positive_n_samples(n_samples):
    with pytest.raises((ValueError, TypeError), match="n_samples"):
        sample_gaussian_mixture(n_samples, np.array([1.0]), np.zeros((1, 2)), np.array([1.0]), "spherical")


# ---------------------------------------------------------------------------------------------
# check_random_state
# ---------------------------------------------------------------------------------------------


def test_check_random_state_accepts_documented_types():
    for value in (None, 0, 12345, np.int64(3), np.random.default_rng(0), np.random.RandomState(0)):
        assert isinstance(check_random_state(value), np.random.Generator)


def test_check_random_state_int_is_reproducible():
    a = check_random_state(7).normal(size=5)
    b = check_random_state(7).normal(size=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, check_random_state(8).normal(size=5))


def test_check_random_state_passes_generator_through():
    generator = np.random.default_rng(0)
    assert check_random_state(generator) is generator


def test_check_random_state_legacy_random_state_is_reproducible():
    a = check_random_state(np.random.RandomState(3)).normal(size=5)
    b = check_random_state(np.random.RandomState(3)).normal(size=5)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", ["seed", 1.5, [1, 2, "x"], object()])
def test_check_random_state_rejects_garbage(bad):
    with pytest.raises((TypeError, ValueError)):
        check_random_state(bad)
