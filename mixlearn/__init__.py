__version__ = "0.0.1"

from mixlearn.em import BaseMixture, ConvergenceWarning, NotFittedError
from mixlearn.gaussian import GaussianMixture
from mixlearn.selection import select_n_components

__all__ = ["BaseMixture", "ConvergenceWarning", "GaussianMixture", "NotFittedError", "select_n_components",
           "__version__"]
