"""mixlearn.plotting: every helper draws for every covariance type, the geometry is right, bad input is refused.

Uses the Agg backend (no display); every figure is closed after each test."""

import matplotlib

matplotlib.use("Agg")

import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from mixlearn import GaussianMixture  # noqa: E402
from mixlearn.densities import sample_gaussian_mixture  # noqa: E402
from mixlearn.plotting import (component_colors, plot_bound, plot_criterion_curves,  # noqa: E402
                               plot_density_contours, plot_ellipses, plot_em_snapshots,
                               plot_gaussian_mixture, responsibility_colors)

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    "Three separated 2-D clusters, 150 samples."
    means = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 4.0]])
    covariances = np.array([[[1.0, 0.5], [0.5, 1.0]], [[0.5, -0.2], [-0.2, 0.4]], [[0.8, 0.0], [0.0, 0.3]]])
    X, _ = sample_gaussian_mixture(150, [0.4, 0.3, 0.3], means, covariances, random_state=0)
    return X


@pytest.fixture(scope="module")
def models(data):
    return {covariance_type: GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(data)
            for covariance_type in COVARIANCE_TYPES}


def random_parameters(covariance_type, k=3, d=3, seed=0):
    "Random means (k, d), the covariances in the storage of `covariance_type`, and the (k, d, d) stack."
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=3, size=(k, d))
    factors = rng.normal(size=(k, d, d))
    full = factors @ np.swapaxes(factors, 1, 2) + 0.2 * np.eye(d)
    if covariance_type == "tied":
        full[:] = full[0]
        return means, full[0].copy(), full
    if covariance_type == "diag":
        variances = np.diagonal(full, axis1=1, axis2=2).copy()
        return means, variances, np.array([np.diag(v) for v in variances])
    if covariance_type == "spherical":
        variances = full[:, 0, 0].copy()
        return means, variances, variances[:, None, None] * np.eye(d)
    return means, full, full


# ---- colours ----

def test_component_colors():
    for k in (1, 3, 10, 11, 20, 23):
        colors = component_colors(k)
        assert colors.shape == (k, 3) and np.all((colors >= 0) & (colors <= 1))
    assert len(np.unique(component_colors(20), axis=0)) == 20
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="n_components"):
            component_colors(bad)


def test_responsibility_colors_convex_combination():
    rng = np.random.default_rng(1)
    resp = rng.dirichlet(np.full(5, 0.3), size=200)
    palette = component_colors(5)
    colors = responsibility_colors(resp)
    assert colors.shape == (200, 3)
    np.testing.assert_allclose(colors, resp @ palette, atol=1e-15)
    # each row lies in the convex hull of the palette: channel-wise between its min and max
    assert np.all(colors >= palette.min(axis=0) - 1e-15) and np.all(colors <= palette.max(axis=0) + 1e-15)
    # one-hot rows (hard labels) give the pure colours; names are accepted as colours
    np.testing.assert_array_equal(responsibility_colors(np.eye(5)[[4, 0, 2]]), palette[[4, 0, 2]])
    named = responsibility_colors(np.array([[0.5, 0.5]]), colors=["black", "white"])
    np.testing.assert_allclose(named, [[0.5, 0.5, 0.5]])


@pytest.mark.parametrize("resp, message", [
    (np.ones(4) / 4, "resp must be a 2-D array"),
    (np.ones((2, 3, 1)), "resp must be a 2-D array"),
    (np.log(np.full((3, 2), 0.5)), "resp must hold finite non-negative"),
    (np.array([[np.nan, 1.0]]), "resp must hold finite non-negative"),
    (np.full((3, 2), 0.7), "resp rows must sum to one"),
])
def test_responsibility_colors_bad_resp(resp, message):
    with pytest.raises(ValueError, match=message):
        responsibility_colors(resp)


def test_responsibility_colors_bad_colors():
    with pytest.raises(ValueError, match="colors"):
        responsibility_colors(np.full((3, 2), 0.5), colors=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="colors"):
        responsibility_colors(np.full((3, 2), 0.5), colors=["not-a-colour", "red"])


# ---- ellipses ----

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dims", [(0, 1), (2, 0)])
def test_ellipse_geometry(covariance_type, dims):
    means, covariances, full = random_parameters(covariance_type)
    n_std = (1.0, 2.5)
    ax = plot_ellipses(means, covariances, covariance_type, n_std=n_std, dims=dims)
    assert isinstance(ax, Axes) and len(ax.patches) == 3 * len(n_std)
    t = np.linspace(0, 2 * np.pi, 37)
    unit_circle = np.column_stack([np.cos(t), np.sin(t)])
    for number, patch in enumerate(ax.patches):
        component, s = divmod(number, len(n_std))
        block = full[component][np.ix_(dims, dims)]
        assert isinstance(patch, Ellipse)
        np.testing.assert_allclose(patch.center, means[component, list(dims)])
        # width/height/angle: the eigen-decomposition of the 2x2 block
        eigenvalues = np.linalg.eigvalsh(block)
        np.testing.assert_allclose(sorted([patch.width, patch.height]),
                                   2 * n_std[s] * np.sqrt(eigenvalues), rtol=1e-12)
        angle = np.radians(patch.angle)
        major = np.array([np.cos(angle), np.sin(angle)])
        np.testing.assert_allclose(major @ block @ major, eigenvalues[-1], rtol=1e-9)
        # sampled boundary points satisfy (x - mu)^T Sigma^-1 (x - mu) = s^2
        boundary = patch.get_patch_transform().transform(unit_circle) - means[component, list(dims)]
        mahalanobis = np.einsum("pi,ij,pj->p", boundary, np.linalg.inv(block), boundary)
        np.testing.assert_allclose(mahalanobis, n_std[s] ** 2, rtol=0, atol=1e-10)


def test_ellipse_options():
    means, covariances, _ = random_parameters("full", d=2)
    fig, ax = plt.subplots()
    assert plot_ellipses(means, covariances, ax=ax, n_std=3.0, lw=3, color="k") is ax
    assert len(ax.patches) == 3
    assert all(patch.get_linewidth() == 3 for patch in ax.patches)
    np.testing.assert_allclose(ax.patches[0].get_edgecolor()[:3], [0, 0, 0])
    plot_ellipses(means, covariances, ax=ax, colors=["red", "green", "blue"])
    np.testing.assert_allclose(ax.patches[-1].get_edgecolor()[:3], [0, 0, 1])


@pytest.mark.parametrize("kwargs, message", [
    ({"covariance_type": "banana"}, "covariance_type must be one of"),
    ({"dims": (0, 3)}, "dims must be two different"),
    ({"dims": (1, 1)}, "dims must be two different"),
    ({"dims": (-1, 0)}, "dims must be two different"),
    ({"dims": (0,)}, "dims must be a pair"),
    ({"dims": "ab"}, "dims must be a pair"),
    ({"covariance_type": "diag"}, r"covariances must have shape \(3, 3\)"),
    ({"n_std": 0}, "n_std"),
    ({"n_std": (1.0, -2.0)}, "n_std"),
    ({"colors": ["red"]}, "colors"),
])
def test_ellipses_bad_input(kwargs, message):
    means, covariances, _ = random_parameters("full")
    with pytest.raises(ValueError, match=message):
        plot_ellipses(means, covariances, **kwargs)


def test_ellipses_bad_means():
    with pytest.raises(ValueError, match="means must be a 2-D array"):
        plot_ellipses(np.zeros(3), np.ones(3), "spherical")


# ---- density contours ----

def test_density_contours(data, models):
    model = models["full"]
    ax = plot_density_contours(model.score_samples, data, grid_size=40)
    assert isinstance(ax, Axes) and len(ax.collections) >= 2            # contours and the samples
    ax = plot_density_contours(model.score_samples, bounds=(-3, 6, -3, 6), filled=False, levels=5)
    assert ax.get_xlim() == (-3, 6) and ax.get_ylim() == (-3, 6)
    seen = []
    plot_density_contours(lambda points: seen.append(points) or model.score_samples(points), data,
                          grid_size=30, scatter_kwargs={"c": "red", "s": 3})
    assert seen[0].shape == (900, 2)
    low, high = data.min(axis=0), data.max(axis=0)
    assert np.all(seen[0].min(axis=0) < low) and np.all(seen[0].max(axis=0) > high)


@pytest.mark.parametrize("call, error, message", [
    (lambda m, X: plot_density_contours(m.score_samples), ValueError, "bounds must be given"),
    (lambda m, X: plot_density_contours(m, X), TypeError, "log_density must be a callable"),
    (lambda m, X: plot_density_contours(lambda p: p, X), ValueError, "log_density must map"),
    (lambda m, X: plot_density_contours(m.score_samples, X[:, :1]), ValueError, "X must have 2 columns"),
    (lambda m, X: plot_density_contours(m.score_samples, bounds=(1, 0, 0, 1)), ValueError, "bounds must be"),
    (lambda m, X: plot_density_contours(m.score_samples, X, grid_size=1), ValueError, "grid_size"),
])
def test_density_contours_bad_input(data, models, call, error, message):
    with pytest.raises(error, match=message):
        call(models["full"], data)


# ---- a fitted mixture ----

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_plot_gaussian_mixture(data, models, covariance_type):
    model = models[covariance_type]
    ax = plot_gaussian_mixture(model, data)
    assert isinstance(ax, Axes) and len(ax.patches) == 3 * 2
    np.testing.assert_array_equal(ax.collections[-1].get_offsets(), model.means_)
    np.testing.assert_allclose(ax.collections[-2].get_facecolors()[:, :3],
                               responsibility_colors(model.predict_proba(data)), atol=1e-12)
    ax = plot_gaussian_mixture(model, data, contours=False, ellipses=False, color_by_responsibility=False)
    assert len(ax.patches) == 0
    colors = ax.collections[0].get_facecolors()[:, :3]
    np.testing.assert_allclose(colors, component_colors(3)[model.predict(data)], atol=1e-12)
    assert isinstance(plot_gaussian_mixture(model), Axes)                # no data: the model alone


def test_plot_gaussian_mixture_more_features():
    means, covariances, _ = random_parameters("diag", k=2, d=3)
    X, _ = sample_gaussian_mixture(100, [0.5, 0.5], means, covariances, "diag", random_state=1)
    model = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    ax = plot_gaussian_mixture(model, X, dims=(2, 1), n_std=1.0)
    assert len(ax.patches) == 2
    np.testing.assert_allclose(ax.patches[0].center, model.means_[0, [2, 1]])
    with pytest.raises(ValueError, match="dims must be two different"):
        plot_gaussian_mixture(model, X, dims=(0, 3))
    with pytest.raises(ValueError, match="X"):
        plot_gaussian_mixture(model, X[:, :2])


def test_plot_gaussian_mixture_not_fitted(data):
    with pytest.raises(ValueError, match="not fitted"):
        plot_gaussian_mixture(GaussianMixture(2), data)


# ---- criterion curves ----

def criterion_table(data):
    return [{"n_components": k, "covariance_type": covariance_type, "bic": model.bic(data),
             "aic": model.aic(data), "icl": model.icl(data)}
            for covariance_type in COVARIANCE_TYPES for k in (1, 2, 3, 4)
            for model in [GaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(data)]]


def test_criterion_curves_mark_the_minimum(data):
    table = criterion_table(data)
    for criterion in ("aic", "bic", "icl"):
        ax = plot_criterion_curves(table, criterion)
        assert isinstance(ax, Axes)
        assert "lower is better" in ax.get_ylabel()
        best = min(table, key=lambda row: row[criterion])
        stars = [line for line in ax.lines if line.get_gid() == "best"]
        assert len(stars) == 1
        np.testing.assert_array_equal(stars[0].get_xydata(), [[best["n_components"], best[criterion]]])
        assert len(ax.lines) == 4 + 1                                   # one line per type, and the star
    ax = plot_criterion_curves(table[::-1], mark_best=False)           # row order does not matter
    assert not [line for line in ax.lines if line.get_gid() == "best"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])


def test_criterion_curves_structured_array_and_nan():
    rows = np.array([(1, "full", 10.0), (2, "full", np.nan), (3, "full", 7.0), (1, "diag", 8.0)],
                    dtype=[("n_components", int), ("covariance_type", "U9"), ("bic", float)])
    ax = plot_criterion_curves(rows)
    star = next(line for line in ax.lines if line.get_gid() == "best")
    np.testing.assert_array_equal(star.get_xydata(), [[3, 7.0]])


@pytest.mark.parametrize("table, criterion, message", [
    ([{"n_components": 1, "covariance_type": "full", "bic": 1.0}], "BIC", "criterion must be one of"),
    ([], "bic", "table must hold"),
    ([{"n_components": 1, "covariance_type": "full"}], "bic", "table row 0"),
    ([{"n_components": "x", "covariance_type": "full", "bic": 1.0}], "bic", "table row 0"),
])
def test_criterion_curves_bad_input(table, criterion, message):
    with pytest.raises(ValueError, match=message):
        plot_criterion_curves(table, criterion)


# ---- EM snapshots and the bound ----

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_em_snapshots(data, covariance_type):
    model = GaussianMixture(3, covariance_type=covariance_type, init_params="random", random_state=0)
    fig = plot_em_snapshots(model, data, iterations=(0, 2, None))
    assert isinstance(fig, Figure)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 and all(len(ax.patches) == 3 * 2 for ax in visible)
    # panel t shows the model after t iterations of one run
    for ax, t in zip(visible, (0, 2, None)):
        expected = GaussianMixture(3, covariance_type=covariance_type, init_params="random", random_state=0,
                                   max_iter=100 if t is None else t)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected.fit(data)
        np.testing.assert_allclose([patch.center for patch in ax.patches[::2]], expected.means_, rtol=1e-12)
    assert "converged" in visible[-1].get_title()


def test_em_snapshots_on_given_axes_without_warnings(data):
    fig, axes = plt.subplots(1, 2)
    model = GaussianMixture(3, random_state=0, n_init=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                   # convergence warnings are silenced
        assert plot_em_snapshots(model, data, iterations=(1, 3), axes=axes) is fig


def test_em_snapshots_user_init(data):
    model = GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[0, 0], [3, 3]],
                            precisions_init=np.array([np.eye(2)] * 2))
    assert isinstance(plot_em_snapshots(model, data, iterations=(0, None)), Figure)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"model": GaussianMixture(3)}, ValueError, "random_state must be an int"),
    ({"model": GaussianMixture(3, means_init=np.zeros((3, 2)))}, ValueError, "random_state must be an int"),
    ({"iterations": ()}, ValueError, "iterations must name at least one"),
    ({"iterations": (0, -1)}, ValueError, "iterations must hold"),
    ({"iterations": (0, 1.5)}, ValueError, "iterations must hold"),
    ({"ncols": 0}, ValueError, "ncols"),
    ({"X": np.zeros((10, 1))}, ValueError, "X must have at least 2 features"),
    ({"axes": "fig"}, ValueError, "axes must hold one Axes per snapshot"),
])
def test_em_snapshots_bad_input(data, kwargs, error, message):
    arguments = {"model": GaussianMixture(3, random_state=0), "X": data, **kwargs}
    if kwargs.get("axes") == "fig":
        arguments["axes"] = plt.subplots(1, 2)[1]
    with pytest.raises(error, match=message):
        plot_em_snapshots(**arguments)


def test_plot_bound(data, models):
    for model in models.values():
        ax = plot_bound(model)
        assert isinstance(ax, Axes)
        np.testing.assert_array_equal(ax.lines[0].get_ydata(), model.lower_bounds_)
        np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, model.n_iter_ + 1))
    with pytest.raises(ValueError, match="not fitted"):
        plot_bound(GaussianMixture(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        initial_only = GaussianMixture(2, max_iter=0, random_state=0).fit(data)
    with pytest.raises(ValueError, match="lower_bounds_ is empty"):
        plot_bound(initial_only)


# ---- matplotlib stays out of `import mixlearn.plotting` ----

def test_import_does_not_load_matplotlib():
    probe = ("import sys, mixlearn, mixlearn.plotting; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
