"""mixlearn.datasets: the bundled CSV files load offline, from the installed package, with the
documented shapes and dtypes."""

from importlib.resources import files
from pathlib import Path

import numpy as np

import mixlearn
from mixlearn import datasets
from mixlearn.datasets import (DATA_DIR, FAITHFUL_FEATURES, PENGUINS_FEATURES, load_faithful,
                               load_penguins)


def test_data_files_are_package_data():
    package_dir = Path(mixlearn.__file__).resolve().parent
    assert Path(DATA_DIR).resolve() == package_dir / "data"
    for name in ("faithful.csv", "penguins.csv", "README.md"):
        assert (package_dir / "data" / name).is_file(), name
        assert files("mixlearn").joinpath("data", name).is_file(), name
    readme = (package_dir / "data" / "README.md").read_text(encoding="utf-8")
    assert "penguins.csv" in readme and "CC0" in readme and "faithful.csv" in readme


def test_load_faithful():
    X = load_faithful()
    assert X.shape == (272, len(FAITHFUL_FEATURES)) and X.dtype == np.float64
    assert np.isfinite(X).all()
    np.testing.assert_allclose(X.mean(axis=0), [3.487783, 70.897059], atol=1e-6)


def test_load_penguins():
    X, species = load_penguins()
    assert X.shape == (342, len(PENGUINS_FEATURES)) == (342, 4) and X.dtype == np.float64
    assert np.isfinite(X).all()
    assert species.shape == (342,) and species.dtype.kind == "U"
    names, counts = np.unique(species, return_counts=True)
    assert dict(zip(names.tolist(), counts.tolist())) == {"Adelie": 151, "Chinstrap": 68, "Gentoo": 123}
    np.testing.assert_allclose(X[0], [39.1, 18.7, 181.0, 3750.0])
    np.testing.assert_allclose(X.mean(axis=0), [43.92193, 17.15117, 200.91520, 4201.75439], rtol=1e-6)
    assert PENGUINS_FEATURES == ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")


def test_header_matches_features():
    with open(DATA_DIR / "penguins.csv", encoding="utf-8") as f:
        assert f.readline().strip().split(",") == ["species", *PENGUINS_FEATURES]
    with open(DATA_DIR / "faithful.csv", encoding="utf-8") as f:
        assert tuple(f.readline().strip().split(",")) == FAITHFUL_FEATURES


def test_loaders_return_fresh_arrays():
    first, _ = load_penguins()
    first[:] = 0
    second, _ = load_penguins()
    assert second[0, 0] == 39.1
    assert datasets.load_faithful() is not datasets.load_faithful()
