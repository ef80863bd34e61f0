"""Shared fixtures and helpers for the mixlearn test suite.

Everything here is deterministic: data come from fixed seeds and hypothesis runs derandomized,
so the suite gives the same result on every run.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# keep hypothesis's cache beside the tests (gitignored as .hypothesis/), not in the project root
set_hypothesis_home_dir(Path(__file__).parent / ".hypothesis")

settings.register_profile(
    "mixlearn",
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    database=None,  # nothing written outside tests/; derandomized runs need no example database
)
settings.load_profile("mixlearn")

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


def random_spd(rng, d, scale=1.0):
    """A random symmetric positive-definite (d, d) matrix with condition number below ~50."""
    A = rng.normal(size=(d, d))
    Q, _ = np.linalg.qr(A)
    eigenvalues = scale * rng.uniform(0.2, 10.0, size=d)
    S = (Q * eigenvalues) @ Q.T
    return (S + S.T) / 2


def random_covariances(rng, covariance_type, k, d, scale=1.0):
    """Random covariances in scikit-learn's shape for `covariance_type`."""
    if covariance_type == "full":
        return np.stack([random_spd(rng, d, scale) for _ in range(k)])
    if covariance_type == "tied":
        return random_spd(rng, d, scale)
    if covariance_type == "diag":
        return scale * rng.uniform(0.2, 5.0, size=(k, d))
    if covariance_type == "spherical":
        return scale * rng.uniform(0.2, 5.0, size=k)
    raise AssertionError(covariance_type)


def full_covariances(covariances, covariance_type, k, d):
    """Expand covariances of any type to a (k, d, d) stack of full matrices."""
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type == "full":
        return covariances
    if covariance_type == "tied":
        return np.broadcast_to(covariances, (k, d, d)).copy()
    if covariance_type == "diag":
        return np.stack([np.diag(c) for c in covariances])
    if covariance_type == "spherical":
        return np.stack([c * np.eye(d) for c in covariances])
    raise AssertionError(covariance_type)


def precisions_from_covariances(covariances, covariance_type):
    """Precision(s) in scikit-learn's shape from covariance(s) in the same shape."""
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type in ("full", "tied"):
        return np.linalg.inv(covariances)
    return 1.0 / covariances


def make_blobs(rng, n, centers, scale=1.0, weights=None):
    """Isotropic Gaussian blobs around `centers` (k, d), rows shuffled; returns X, labels."""
    centers = np.asarray(centers, dtype=float)
    k, d = centers.shape
    weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights)
    labels = rng.choice(k, size=n, p=weights)
    X = centers[labels] + scale * rng.normal(size=(n, d))
    return X, labels


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris

    data = load_iris()
    return data.data.astype(np.float64), data.target


@pytest.fixture(scope="session")
def blobs():
    """Three well-separated 2-D blobs, 150 rows, shuffled."""
    rng = np.random.default_rng(0)
    X, labels = make_blobs(rng, 150, [[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    return X, labels


@pytest.fixture
def quiet():
    """Silence ConvergenceWarning (and friends) for tests that use tol=0 or few iterations."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
