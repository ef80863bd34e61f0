"""The roofline helpers (mixlearn.performance): flop counts against hand counts, the floor, the measured
rates and argument validation. No timing assertions: the rates are only checked to be positive and finite."""

import math

import numpy as np
import pytest

from mixlearn.performance import em_iteration_flops, exp_rate, floor_seconds, gemm_rate

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

BAD = (ValueError, TypeError)


def _hand_count(n, d, k, covariance_type):
    """Flops of one EM iteration added up product by product: a (m, p) @ (p, q) product is 2 m p q."""
    gemm = lambda m, p, q: 2 * m * p * q  # noqa: E731
    if covariance_type == "full":
        # E: X_c @ [U_1 .. U_k]; squares and sums of the k d projections; M: R^T X_c; k scatter matrices
        return gemm(n, d, k * d) + 2 * n * k * d + gemm(k, n, d) + k * gemm(d, n, d)
    if covariance_type == "tied":
        # E: X_c @ U; (X_c U) @ (U^T mu_k); M: R^T X_c; the pooled scatter X_c^T diag(w) X_c
        return gemm(n, d, d) + gemm(n, d, k) + gemm(k, n, d) + gemm(d, n, d)
    if covariance_type == "diag":
        # E: [X^2, X] @ (2d, k); M: R^T X and R^T X^2
        return gemm(n, 2 * d, k) + 2 * gemm(k, n, d)
    # spherical: E: ||x||^2 and X @ M^T; M: R^T X and ||x||^2 again
    return 2 * n * d + gemm(n, d, k) + gemm(k, n, d) + 2 * n * d


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n, d, k", [(1, 1, 1), (3, 2, 5), (10, 7, 4), (1000, 50, 20)])
def test_flops_match_hand_count(n, d, k, covariance_type):
    assert em_iteration_flops(n, d, k, covariance_type) == _hand_count(n, d, k, covariance_type)


def test_flops_small_cases_by_hand():
    # n = 1, d = 2, k = 3: full 4*3*4 + 4*3*2 = 72; tied 4*4 + 4*3*2 = 40; diag 8*3*2 = 48; spherical 24 + 8 = 32
    assert [em_iteration_flops(1, 2, 3, t) for t in COVARIANCE_TYPES] == [72, 40, 48, 32]


def test_flops_scale_linearly_in_n_and_are_floats_without_overflow():
    for covariance_type in COVARIANCE_TYPES:
        one = em_iteration_flops(1, 10, 20, covariance_type)
        assert em_iteration_flops(1000, 10, 20, covariance_type) == 1000 * one
    huge = em_iteration_flops(10**12, 10**4, 10**3, "full")
    assert isinstance(huge, float) and math.isclose(huge, 4e12 * 1e3 * 1e8 + 4e12 * 1e3 * 1e4)


def test_flops_full_grows_like_d_squared_and_others_linearly():
    assert em_iteration_flops(100, 20, 5, "full") / em_iteration_flops(100, 10, 5, "full") > 3.5
    for covariance_type in ("diag", "spherical"):
        ratio = em_iteration_flops(100, 20, 5, covariance_type) / em_iteration_flops(100, 10, 5, covariance_type)
        assert math.isclose(ratio, 2.0)


def test_floor_picks_the_larger_term():
    n, d, k = 100_000, 50, 20
    flops = em_iteration_flops(n, d, k, "full")
    # GEMM-bound: products take longer than the exponentials
    assert floor_seconds(n, d, k, "full", 1e10, 1e9) == flops / 1e10
    # exp-bound: make exp slow enough that n k / exp_rate wins
    assert floor_seconds(n, d, k, "full", 1e10, 1.0) == n * k / 1.0
    # at d = 2 with realistic rates the exponentials bind
    assert floor_seconds(n, 2, 5, "diag", 5e10, 1.2e9) == n * 5 / 1.2e9
    for covariance_type in COVARIANCE_TYPES:
        value = floor_seconds(n, d, k, covariance_type, 3e10, 1e9)
        assert value == max(em_iteration_flops(n, d, k, covariance_type) / 3e10, n * k / 1e9)


def test_floor_decreases_with_faster_rates():
    slow = floor_seconds(10_000, 10, 5, "full", 1e9, 1e8)
    assert floor_seconds(10_000, 10, 5, "full", 2e9, 2e8) == pytest.approx(slow / 2)


def test_rates_are_positive_and_finite():
    gemm = gemm_rate(repeats=1, shape=(64, 32, 32))
    exponentials = exp_rate(repeats=1, size=4096)
    for rate in (gemm, exponentials):
        assert isinstance(rate, float) and np.isfinite(rate) and rate > 0
    assert np.isfinite(floor_seconds(1000, 10, 5, "full", gemm, exponentials))


@pytest.mark.parametrize("n, d, k, covariance_type, match", [
    (0, 2, 3, "full", "n must be an integer >= 1"),
    (10, -1, 3, "full", "d must be an integer >= 1"),
    (10, 2, 0, "full", "k must be an integer >= 1"),
    (10.0, 2, 3, "full", "n must be an integer >= 1"),
    (True, 2, 3, "full", "n must be an integer >= 1"),
    (10, "2", 3, "full", "d must be an integer >= 1"),
    (10, 2, 3, "banana", "covariance_type must be one of"),
    (10, 2, 3, None, "covariance_type must be one of"),
])
def test_bad_sizes_and_types(n, d, k, covariance_type, match):
    with pytest.raises(BAD, match=match):
        em_iteration_flops(n, d, k, covariance_type)
    with pytest.raises(BAD, match=match):
        floor_seconds(n, d, k, covariance_type, 1e10, 1e9)


@pytest.mark.parametrize("gemm, exponentials, match", [
    (0.0, 1e9, "gemm_rate must be a finite number > 0"),
    (-1e10, 1e9, "gemm_rate must be a finite number > 0"),
    (float("nan"), 1e9, "gemm_rate must be a finite number > 0"),
    (1e10, float("inf"), "exp_rate must be a finite number > 0"),
    (1e10, 0, "exp_rate must be a finite number > 0"),
    ("fast", 1e9, "gemm_rate must be a real number > 0"),
    (1e10, None, "exp_rate must be a real number > 0"),
])
def test_bad_rates(gemm, exponentials, match):
    with pytest.raises(BAD, match=match):
        floor_seconds(1000, 10, 5, "full", gemm, exponentials)


@pytest.mark.parametrize("kwargs, match", [
    (dict(repeats=0), "repeats must be an integer >= 1"),
    (dict(repeats=1.5), "repeats must be an integer >= 1"),
    (dict(shape=(64, 32)), "shape must be a tuple"),
    (dict(shape=(64, 0, 32)), "shape must be an integer >= 1"),
    (dict(shape="big"), "shape must be a tuple"),
])
def test_bad_gemm_arguments(kwargs, match):
    with pytest.raises(BAD, match=match):
        gemm_rate(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(repeats=-2), "repeats must be an integer >= 1"),
    (dict(size=0), "size must be an integer >= 1"),
    (dict(size=2.0**10), "size must be an integer >= 1"),
])
def test_bad_exp_arguments(kwargs, match):
    with pytest.raises(BAD, match=match):
        exp_rate(**kwargs)


def test_covariance_types_agree_with_the_densities_module():
    import mixlearn.performance
    from mixlearn.densities import COVARIANCE_TYPES as DENSITY_TYPES
    assert tuple(mixlearn.performance._COVARIANCE_TYPES) == tuple(DENSITY_TYPES) == COVARIANCE_TYPES
