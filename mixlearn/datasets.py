"""Small real datasets bundled with mixlearn (no downloads)."""

from pathlib import Path

import numpy as np

__all__ = ['DATA_DIR', 'FAITHFUL_FEATURES', 'load_faithful']

DATA_DIR = Path(__file__).parent / "data"
FAITHFUL_FEATURES = ("eruptions", "waiting")


def load_faithful():
    """Old Faithful geyser (R's `datasets::faithful`): 272 eruptions, shape (272, 2) float64.

    Columns: eruption duration (minutes), waiting time to the next eruption (minutes)."""
    return np.loadtxt(DATA_DIR / "faithful.csv", delimiter=",", skiprows=1)
