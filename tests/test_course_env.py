"""The course's environment: every module a chapter imports is installed by `mixlearn[course]`.

Binder (`binder/requirements.txt`) and the Colab cell at the top of every chapter install
`mixlearn[course]` and nothing else, so a chapter that imports a module outside the standard
library, mixlearn, its run-time requirements and the course extras would fail there. These tests
read the imports of every notebook and the requirement lists of settings.ini.
"""
import ast
import configparser
import functools
import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
COLAB_INSTALL = '%pip install -q "mixlearn[course] @ git+https://github.com/mixlearn/mixlearn"'


def settings():
    config = configparser.ConfigParser(delimiters=["="])
    config.read(ROOT / "settings.ini", encoding="utf-8")
    return config["DEFAULT"]


def requirement_names(key):
    "Distribution names (normalised) of a settings.ini requirement list."
    names = set()
    for requirement in settings().get(key, "").split():
        names.add(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def notebook_imports(path):
    "Top-level names of every module imported by a code cell of the notebook (magics ignored)."
    modules = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code": continue
        source = "".join(cell["source"])
        # IPython magics and shell lines are not Python: keep the line count, drop the line
        code = "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in source.splitlines())
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules


@functools.lru_cache(maxsize=1)
def _packages_distributions():
    return metadata.packages_distributions()


def distributions_of(module):
    "The installed distributions (normalised names) that provide a top-level module."
    return {name.lower().replace("_", "-") for name in _packages_distributions().get(module, [])}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_import_of_a_chapter_is_installed_by_the_course_extras(notebook):
    provided = requirement_names("requirements") | requirement_names("course_requirements") | {"mixlearn"}
    missing = {}
    for module in sorted(notebook_imports(notebook)):
        if module in sys.stdlib_module_names or module == "mixlearn": continue
        dists = distributions_of(module)
        assert dists, f"{notebook.name} imports {module!r}, which no installed distribution provides"
        if not dists & provided: missing[module] = sorted(dists)
    assert not missing, (f"{notebook.name} imports modules that mixlearn[course] does not install: {missing}; "
                         "add their distributions to course_requirements in settings.ini")


def test_the_course_extras_are_what_binder_and_colab_install():
    assert "-e .[course]" in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    for notebook in NOTEBOOKS:
        sources = ["".join(c["source"]) for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]]
        assert any(COLAB_INSTALL in s and "google.colab" in s for s in sources), f"{notebook.name} has no Colab install cell"


def test_the_dev_extras_contain_the_course_extras():
    "tools/check.py runs the chapters in a venv with mixlearn[dev]: it must hold what Binder has."
    dev = {r.lower() for r in metadata.requires("mixlearn") or [] if 'extra == "dev"' in r}
    course = {r.replace('extra == "course"', 'extra == "dev"').lower()
              for r in metadata.requires("mixlearn") or [] if 'extra == "course"' in r}
    assert course and course <= dev


def test_the_check_finds_a_module_the_extras_lack(tmp_path):
    "The check above can fail: a notebook importing a module outside the extras is caught."
    notebook = tmp_path / "99_new.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["import hypothesis\n", "%matplotlib inline"]}]}))
    assert notebook_imports(notebook) == {"hypothesis"}
    with pytest.raises(AssertionError, match="hypothesis"):
        test_every_import_of_a_chapter_is_installed_by_the_course_extras(notebook)
