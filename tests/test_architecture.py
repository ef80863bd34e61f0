"""The shape of the library: chapters import only earlier chapters, and executors plug into one engine."""
import ast
from pathlib import Path

import pytest

import mixlearn
from mixlearn.em import _EXECUTORS, REQUIRED_HOOKS, BaseMixture, _FamilyHooks

PACKAGE = Path(mixlearn.__file__).parent
# the modules of chapters 00-07, which may not depend on chapters 08 (performance) and 09 (scaling)
CORE = ("densities", "em", "gaussian", "selection", "bernoulli", "dirichlet", "dirichlet_process", "experts")
LATER = {"performance", "scaling"}


def imported_modules(module):
    "The mixlearn modules that `module` imports anywhere in its file (inside functions too)."
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level == 1:
                found.update([name.split(".")[0]] if name else [alias.name for alias in node.names])
            elif name.startswith("mixlearn."):
                found.add(name.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names if alias.name.startswith("mixlearn."))
    return found - {module}


@pytest.mark.parametrize("module", CORE)
def test_chapters_00_to_07_do_not_import_chapters_08_and_09(module):
    assert not imported_modules(module) & LATER, f"mixlearn.{module} imports {imported_modules(module) & LATER}"


def test_the_import_graph_has_no_cycle():
    modules = [p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")]
    graph = {m: imported_modules(m) & set(modules) for m in modules}
    state = {}

    def visit(module, path):
        if state.get(module) == "open":
            raise AssertionError("import cycle: " + " -> ".join(path + [module]))
        if state.get(module) == "done": return
        state[module] = "open"
        for other in sorted(graph[module]): visit(other, path + [module])
        state[module] = "done"

    for module in sorted(modules): visit(module, [])


def test_the_checks_see_a_forbidden_import(tmp_path, monkeypatch):
    (tmp_path / "em.py").write_text("def f():\n    from .scaling import fit\n    from mixlearn.performance import x\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path)
    assert imported_modules("em") == {"scaling", "performance"}


def test_every_executor_offers_the_engines_protocol():
    assert {"memory", "fused", "dask", "online"} <= set(_EXECUTORS)
    for name, executor in _EXECUTORS.items():
        assert executor.name == name
        assert callable(executor.make) and callable(executor.accepts)
        if name != "online":
            for method in ("data_sums", "initial_rows", "start", "iterate", "score", "close"):
                assert callable(getattr(executor, method, None)), (name, method)


FAMILIES = [getattr(mixlearn, name) for name in ("GaussianMixture", "BernoulliMixture", "CategoricalMixture",
                                                  "MultinomialMixture", "DirichletMultinomialMixture",
                                                  "DirichletProcessGaussianMixture", "MixtureOfExperts")]
HOOKS = {name for name in vars(_FamilyHooks) if name.startswith("_") and not name.startswith("__")}


def engine_members():
    "The private names of the engine's own parts (not the hooks): a family must not override them."
    return {name for part in BaseMixture.__mro__[:-1] if part is not _FamilyHooks
            for name in vars(part) if name.startswith("_") and not name.startswith("__")} - HOOKS


def test_the_family_protocol_is_ten_hooks_declared_in_one_place():
    assert len(HOOKS) == 10 and set(REQUIRED_HOOKS) <= HOOKS
    for name in HOOKS:                                   # each documented, with its shapes where it has data
        assert getattr(_FamilyHooks, name).__doc__, name


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.__name__)
def test_a_family_meets_the_engine_only_through_the_hooks(family):
    "A family overrides no private member of the engine other than a hook, and defines every required hook."
    engine = engine_members()
    overridden = {name for part in family.__mro__ if part not in BaseMixture.__mro__
                  for name in vars(part) if name in engine}
    assert not overridden, f"{family.__name__} overrides the engine's {sorted(overridden)}"
    for hook in REQUIRED_HOOKS:
        assert getattr(family, hook) is not getattr(_FamilyHooks, hook), (family.__name__, hook)


def test_the_protocol_check_sees_an_engine_override():
    class Sneaky(mixlearn.GaussianMixture):
        def _e_step(self, X, out=None):
            return super()._e_step(X, out)
    engine = engine_members()
    assert "_e_step" in engine and "_e_step" in vars(Sneaky)
