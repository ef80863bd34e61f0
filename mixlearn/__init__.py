__version__ = "0.0.1"

from mixlearn.em import BaseMixture, ConvergenceWarning, NotFittedError
from mixlearn.gaussian import GaussianMixture
from mixlearn.selection import select_n_components
from mixlearn.bernoulli import BernoulliMixture, CategoricalMixture
from mixlearn.dirichlet import DirichletMultinomialMixture, MultinomialMixture
from mixlearn.dirichlet_process import DirichletProcessGaussianMixture, stick_breaking
from mixlearn.experts import MixtureOfExperts, top_k_gate

__all__ = ["BaseMixture", "BernoulliMixture", "CategoricalMixture", "ConvergenceWarning",
           "DirichletMultinomialMixture", "DirichletProcessGaussianMixture", "GaussianMixture",
           "MixtureOfExperts", "MultinomialMixture", "NotFittedError", "select_n_components",
           "stick_breaking", "top_k_gate", "__version__"]

import mixlearn.scaling  # noqa: F401  (attaches partial_fit)
