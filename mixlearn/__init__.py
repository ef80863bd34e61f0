__version__ = "0.0.1"

from mixlearn.em import BaseMixture, ConvergenceWarning, NotFittedError
from mixlearn.gaussian import GaussianMixture

__all__ = ["BaseMixture", "ConvergenceWarning", "GaussianMixture", "NotFittedError", "__version__"]
