"""Parameter recovery from data sampled from known, well-separated mixtures; the bundled dataset."""

import warnings

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from conftest import full_covariances, random_covariances
from mixlearn import ConvergenceWarning, GaussianMixture
from mixlearn.datasets import load_faithful

N_SE = 5.0  # tolerance in standard errors (all seeds fixed: deterministic)


def _truth(rng, covariance_type, k, d):
    weights = np.array([0.5, 0.3, 0.2])[:k]
    # means on a well-separated simplex-like layout: pairwise distance >= 20, sd <= ~1.7
    means = np.zeros((k, d))
    for j in range(k):
        means[j, j % d] = 20.0 * (1 + j // d)
    means += rng.normal(scale=0.5, size=(k, d))
    covariances = random_covariances(rng, covariance_type, k, d, scale=0.3)
    return weights, means, covariances


def _sample(rng, n, weights, means, full):
    labels = rng.choice(len(weights), size=n, p=weights)
    factors = np.linalg.cholesky(full)
    noise = rng.standard_normal((n, means.shape[1]))
    return means[labels] + np.einsum("nij,nj->ni", factors[labels], noise), labels


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "covariance_type, d",
    [("full", 2), ("full", 5), ("tied", 3), ("diag", 3), ("spherical", 3)],
)
def test_parameters_are_recovered(seed, covariance_type, d):
    rng = np.random.default_rng(1000 * seed + d)
    k, n = 3, 3000
    weights, means, covariances = _truth(rng, covariance_type, k, d)
    full = full_covariances(covariances, covariance_type, k, d)
    X, _ = _sample(rng, n, weights, means, full)

    model = GaussianMixture(k, covariance_type=covariance_type, n_init=2, random_state=seed).fit(X)
    assert model.converged_

    distances = np.linalg.norm(model.means_[:, None, :] - means[None, :, :], axis=2)
    fitted_index, true_index = linear_sum_assignment(distances)
    order = fitted_index[np.argsort(true_index)]  # fitted component matched to true component j

    # weights: binomial standard error
    weight_se = np.sqrt(weights * (1 - weights) / n)
    assert np.all(np.abs(model.weights_[order] - weights) <= N_SE * weight_se), (
        model.weights_[order], weights)

    fitted_full = full_covariances(model.covariances_, covariance_type, k, d)[order] if covariance_type != "tied" \
        else np.broadcast_to(model.covariances_, (k, d, d))
    for j in range(k):
        n_j = n * weights[j]
        variances = np.diag(full[j])
        # means: sd / sqrt(n_k)
        mean_se = np.sqrt(variances / n_j)
        assert np.all(np.abs(model.means_[order[j]] - means[j]) <= N_SE * mean_se), (
            j, model.means_[order[j]], means[j])
        # covariance entries: Var(x_a x_b) = S_aa S_bb + S_ab^2 for a Gaussian
        pooled_n = n if covariance_type == "tied" else n_j
        cov_se = np.sqrt((np.outer(variances, variances) + full[j] ** 2) / pooled_n)
        if covariance_type == "spherical":
            cov_se = cov_se / np.sqrt(d)  # the spherical variance averages d coordinates
        if covariance_type in ("diag", "spherical"):
            cov_se = np.diag(np.diag(cov_se)) + np.where(np.eye(d, dtype=bool), 0, 1e-12)
        assert np.all(np.abs(fitted_full[j] - full[j]) <= N_SE * cov_se), (
            j, fitted_full[j], full[j])


@pytest.mark.parametrize("seed", [0, 1])
def test_recovery_error_shrinks_with_n(seed):
    """Errors scale like 1/sqrt(n): 16x the data gives a clearly smaller mean error."""
    rng = np.random.default_rng(seed)
    k, d = 3, 2
    weights, means, covariances = _truth(rng, "full", k, d)
    errors = []
    for n in (500, 8000):
        X, _ = _sample(np.random.default_rng(seed + 10), n, weights, means, covariances)
        # a few restarts: k-means++ seeding lands two seeds in one cluster a few % of the time
        model = GaussianMixture(k, n_init=3, random_state=seed).fit(X)
        distances = np.linalg.norm(model.means_[:, None, :] - means[None, :, :], axis=2)
        rows, cols = linear_sum_assignment(distances)
        errors.append(distances[rows, cols].max())
    assert errors[1] < errors[0] / 1.5


# ---------------------------------------------------------------------------------------------
# the bundled Old Faithful data
# ---------------------------------------------------------------------------------------------


def test_load_faithful():
    X = load_faithful()
    assert isinstance(X, np.ndarray)
    assert X.shape == (272, 2)
    assert X.dtype == np.float64
    assert np.isfinite(X).all()
    np.testing.assert_allclose(X[0], [3.6, 79.0])
    np.testing.assert_allclose(X[-1], [4.467, 74.0])
    # R: colMeans(faithful)
    np.testing.assert_allclose(X.mean(axis=0), [3.487783, 70.897059], rtol=1e-6)
    assert 1.5 <= X[:, 0].min() and X[:, 0].max() <= 5.2
    assert 40 <= X[:, 1].min() and X[:, 1].max() <= 100


def test_load_faithful_returns_fresh_array():
    a = load_faithful()
    a[0, 0] = -1.0
    assert load_faithful()[0, 0] == 3.6


def test_faithful_two_component_fit():
    """The classic two-cluster solution (R mclust, VVV with G=2)."""
    X = load_faithful()
    model = GaussianMixture(2, tol=1e-8, max_iter=1000, n_init=3, random_state=0).fit(X)
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.weights_[order], [0.356, 0.644], atol=0.005)
    np.testing.assert_allclose(model.means_[order], [[2.036, 54.48], [4.290, 79.97]], atol=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = SkGaussianMixture(2, tol=1e-8, max_iter=1000, n_init=3, random_state=0).fit(X)
    assert model.lower_bound_ == pytest.approx(reference.lower_bound_, rel=1e-6)
    assert model.score(X) == pytest.approx(reference.score(X), rel=1e-6)
