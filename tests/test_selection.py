"""mixlearn.selection: parameter counts, AIC/BIC against scikit-learn, ICL >= BIC, recovery of a
known k, the SelectionTable, and argument checking."""

import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from mixlearn.em import ConvergenceWarning
from mixlearn.gaussian import GaussianMixture
from mixlearn.selection import CRITERIA, SelectionTable, n_parameters, select_n_components

from conftest import COVARIANCE_TYPES, make_blobs


@pytest.fixture(scope="module")
def three_clusters():
    "300 points from three separated but not distant 2-D blobs."
    X, _ = make_blobs(np.random.default_rng(0), 300, [[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    return X


def same_parameters(X, k, covariance_type):
    "A fitted scikit-learn model and a mixlearn model holding exactly its parameters."
    theirs = SkGaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(X)
    ours = GaussianMixture(k, covariance_type=covariance_type, weights_init=theirs.weights_,
                           means_init=theirs.means_, precisions_init=theirs.precisions_, max_iter=0).fit(X)
    return ours, theirs


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_aic_bic_equal_sklearn(three_clusters, covariance_type):
    X = three_clusters
    ours, theirs = same_parameters(X, 3, covariance_type)
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-12)
    np.testing.assert_allclose(ours.bic(X), theirs.bic(X), rtol=1e-12)
    np.testing.assert_allclose(ours.aic(X), theirs.aic(X), rtol=1e-12)
    # and the table built by select_n_components holds the same numbers for its own fit
    _, table = select_n_components(X, [3], covariance_types=covariance_type, random_state=0)
    model = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    row = table[0]
    assert row["bic"] == pytest.approx(model.bic(X), rel=1e-12)
    assert row["aic"] == pytest.approx(model.aic(X), rel=1e-12)
    assert row["icl"] == pytest.approx(model.icl(X), rel=1e-12)
    assert row["log_likelihood"] == pytest.approx(model.score(X) * len(X), rel=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("k, d", [(1, 1), (2, 3), (4, 5)])
def test_n_parameters_matches_engine_and_sklearn(covariance_type, k, d):
    X = np.random.default_rng(k * 10 + d).normal(size=(120, d))
    ours = GaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(X)
    theirs = SkGaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(X)
    p = n_parameters(k, d, covariance_type)
    assert isinstance(p, int)
    assert p == ours._n_parameters()
    n, mean_log_likelihood = len(X), theirs.score(X)
    implied_bic = (theirs.bic(X) + 2 * n * mean_log_likelihood) / np.log(n)
    implied_aic = (theirs.aic(X) + 2 * n * mean_log_likelihood) / 2
    assert implied_bic == pytest.approx(p, abs=1e-6)
    assert implied_aic == pytest.approx(p, abs=1e-6)


def test_n_parameters_closed_form():
    assert [n_parameters(3, 2, t) for t in COVARIANCE_TYPES] == [17, 11, 14, 11]
    assert n_parameters(5, 10, "full") == 4 + 50 + 275


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_bic_recovers_known_k(seed):
    rng = np.random.default_rng(seed)
    centers = 10.0 * np.array([[0, 0], [1, 0], [0, 1], [1, 1]]) + rng.normal(scale=0.5, size=(4, 2))
    X, _ = make_blobs(rng, 400, centers)
    model, table = select_n_components(X, range(1, 7), n_init=2, random_state=seed)
    assert model.n_components == 4
    assert table.best()["n_components"] == 4
    assert isinstance(model, GaussianMixture) and model.covariance_type == "full"


def test_icl_at_least_bic(three_clusters):
    _, table = select_n_components(three_clusters, range(1, 6), covariance_types=COVARIANCE_TYPES,
                                   random_state=0)
    icl, bic = table.column("icl"), table.column("bic")
    assert (icl >= bic - 1e-9 * np.abs(bic)).all()
    one = table.column("n_components") == 1
    np.testing.assert_allclose(icl[one], bic[one], rtol=0, atol=1e-9)     # one component: resp = 1
    assert (icl[~one] > bic[~one]).all()                                    # overlapping tails: entropy > 0


def test_icl_equals_bic_for_hard_responsibilities():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(80, 2)) + shift for shift in ([0, 0], [200, 0], [0, 200])])
    model = GaussianMixture(3, random_state=0).fit(X)
    assert abs(model.icl(X) - model.bic(X)) < 1e-6
    _, table = select_n_components(X, [3], random_state=0)
    assert abs(table[0]["icl"] - table[0]["bic"]) < 1e-6


def test_table_rows_and_printing(three_clusters):
    k_values = [1, 2, 3, 4]
    best, table = select_n_components(three_clusters, k_values, covariance_types=("full", "diag", "tied"),
                                      criterion="icl", random_state=0)
    assert isinstance(table, SelectionTable) and isinstance(table, list)
    assert table.criterion == "icl"
    pairs = {(row["n_components"], row["covariance_type"]) for row in table}
    assert pairs == {(k, t) for k in k_values for t in ("full", "diag", "tied")} and len(table) == 12
    for row in table:
        assert set(row) == set(SelectionTable.COLUMNS)
        assert isinstance(row["n_components"], int) and isinstance(row["n_parameters"], int)
        assert isinstance(row["converged"], bool)
        for name in ("log_likelihood",) + CRITERIA:
            assert isinstance(row[name], float) and np.isfinite(row[name])
        assert row["n_parameters"] == n_parameters(row["n_components"], 2, row["covariance_type"])
    # the best row is the model returned, and it is marked in the text
    chosen = table.best()
    assert chosen["icl"] == min(table.column("icl"))
    assert (best.n_components, best.covariance_type) == (chosen["n_components"], chosen["covariance_type"])
    assert best.icl(three_clusters) == pytest.approx(chosen["icl"], rel=1e-12)
    text = str(table)
    assert text == repr(table)
    assert len(text.splitlines()) == 1 + len(table) + 1
    marked = [line for line in text.splitlines() if line.startswith("*") and "lowest" not in line]
    assert len(marked) == 1 and f"{chosen['icl']:.2f}" in marked[0]
    # the other accessors
    array = table.to_array()
    assert array.shape == (12,) and array.dtype.names == SelectionTable.COLUMNS
    np.testing.assert_array_equal(array["bic"], table.column("bic"))
    assert table.best("bic")["bic"] == min(table.column("bic"))
    assert table.column("covariance_type").tolist()[:4] == ["full"] * 4


def test_empty_table():
    table = SelectionTable(criterion="aic")
    assert "empty" in str(table) and table.to_array().shape == (0,)
    with pytest.raises(ValueError, match="empty"):
        table.best()


def test_no_convergence_warning_shown(three_clusters):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        select_n_components(three_clusters, range(1, 4), random_state=0)


def test_deterministic(three_clusters):
    _, first = select_n_components(three_clusters, range(1, 5), random_state=7)
    _, second = select_n_components(three_clusters, range(1, 5), random_state=7)
    np.testing.assert_array_equal(first.column("bic"), second.column("bic"))


@pytest.mark.parametrize("kwargs, error, names", [
    (dict(criterion="BIC"), ValueError, "criterion"),
    (dict(criterion=None), TypeError, "criterion"),
    (dict(n_components=3), TypeError, "n_components"),
    (dict(n_components="1-3"), TypeError, "n_components"),
    (dict(n_components=[]), ValueError, "n_components"),
    (dict(n_components=[0, 1]), ValueError, "n_components"),
    (dict(n_components=[1, 31]), ValueError, "n_samples=30"),
    (dict(n_components=[1.0, 2.0]), TypeError, "n_components"),
    (dict(n_components=[True]), TypeError, "n_components"),
    (dict(n_components=[2, 2]), ValueError, "n_components"),
    (dict(covariance_types=("full", "ful")), ValueError, "covariance_types"),
    (dict(covariance_types=()), ValueError, "covariance_types"),
    (dict(covariance_types=None), TypeError, "covariance_types"),
    (dict(covariance_types=["full", "full"]), ValueError, "covariance_types"),
    (dict(n_init=0), ValueError, "n_init"),
    (dict(n_init=1.5), TypeError, "n_init"),
    (dict(random_state=-1), ValueError, "random_state"),
])
def test_bad_arguments(kwargs, error, names):
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(error, match=names):
        select_n_components(X, **{"n_components": range(1, 3), **kwargs})


@pytest.mark.parametrize("X, error", [
    (np.zeros(5), ValueError), ([[1.0, np.nan], [2.0, 3.0]], ValueError), ([["a", "b"]], TypeError), (None, TypeError),
])
def test_bad_X(X, error):
    with pytest.raises(error, match="X"):
        select_n_components(X, [1])


def test_bad_n_parameters_and_table_arguments():
    with pytest.raises(ValueError, match="covariance_type"):
        n_parameters(2, 2, "ful")
    with pytest.raises(ValueError, match="n_components"):
        n_parameters(0, 2, "full")
    with pytest.raises(TypeError, match="n_features"):
        n_parameters(2, 2.0, "full")
    with pytest.raises(ValueError, match="criterion"):
        SelectionTable(criterion="aicc")
    with pytest.raises(ValueError, match="name"):
        SelectionTable().column("BIC")
    with pytest.raises(ValueError, match="criterion"):
        SelectionTable().best("x")
