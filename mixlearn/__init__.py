__version__ = "0.0.1"

from mixlearn.em import BaseMixture, ConvergenceWarning, NotFittedError
from mixlearn.gaussian import GaussianMixture
from mixlearn.selection import select_n_components
from mixlearn.bernoulli import BernoulliMixture, CategoricalMixture
from mixlearn.dirichlet import DirichletMultinomialMixture, MultinomialMixture
from mixlearn.dirichlet_process import DirichletProcessGaussianMixture, stick_breaking
from mixlearn.experts import MixtureOfExperts, top_k_gate
from mixlearn.missing import MixtureImputer

__all__ = ["BaseMixture", "BernoulliMixture", "CategoricalMixture", "ConvergenceWarning",
           "DirichletMultinomialMixture", "DirichletProcessGaussianMixture", "GaussianMixture",
           "MixtureImputer", "MixtureOfExperts", "MultinomialMixture", "NotFittedError", "select_n_components",
           "stick_breaking", "top_k_gate", "__version__"]

# the executors of chapters 08 (the fused pass) and 09 (Dask, partial_fit), and chapter 10's steps for rows with
# missing entries (imported above, with MixtureImputer), register themselves with the engine when imported; the
# engine (mixlearn.em) imports none of them
import mixlearn.performance  # noqa: E402,F401
import mixlearn.scaling  # noqa: E402,F401
