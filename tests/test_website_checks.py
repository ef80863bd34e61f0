"""The site checks of tools/_website.py find what they look for (on small pages written here)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import _website  # noqa: E402

HEAD = '<html><body><nav id="quarto-sidebar"><a href="./index.html">Home</a></nav>'


def write(folder, name, body):
    (folder / name).write_text(HEAD + body + "</body></html>", encoding="utf-8")


@pytest.fixture
def site(tmp_path, monkeypatch):
    "A two-page site standing for a course of two notebooks, index.ipynb and 00_densities.ipynb."
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for name in ("index.ipynb", "00_densities.ipynb"): (nbs / name).write_text("{}")
    monkeypatch.setattr(_website, "chapters", lambda: [nbs / "index.ipynb", nbs / "00_densities.ipynb"])
    docs = tmp_path / "_docs"
    docs.mkdir()
    write(docs, "index.html", '<p>See <a href="./densities.html#eq-mixture">the mixture</a>, '
                              '<span class="math inline">\\(p(x) = \\sum_k \\pi_k\\)</span>.</p>')
    write(docs, "densities.html", '<h1 id="title">Densities</h1><span id="eq-mixture" class="math display">x</span>')
    (docs / "search.json").write_text('[{"href": "index.html"}, {"href": "densities.html#title"}]')
    _website.read_page.cache_clear()
    return docs


def test_a_sound_site_passes(site):
    report = _website.check_html(site, log="[ 1/2] index.ipynb\nOutput created: _docs/index.html\n")
    assert report.problems == []
    assert report.counts["formulas"] == 2 and report.counts["links to a section"] == 1


@pytest.mark.parametrize("body, expected", [
    ('<p>a space before the closing dollar: $p = 1 $ shows as text</p>', "raw TeX"),
    ('<p>an unresolved reference <strong>?@eq-gone</strong></p>', "raw TeX or an unresolved reference"),
    ('<p>\\frac{a}{b} outside a formula</p>', "raw TeX"),
    ('<a href="./missing.html">a page that is not there</a>', "missing file"),
    ('<img src="densities_files/figure-html/cell-2-output-1.png">', "missing file"),
    ('<a href="./densities.html#no-such-section">a section that is not there</a>', "no element with id"),
])
def test_each_defect_is_reported(site, body, expected):
    write(site, "index.html", body)
    report = _website.check_html(site)
    assert any(expected in p for p in report.problems), report.problems


def test_code_and_formulas_are_not_prose(site):
    write(site, "index.html", '<pre><code>cost = $5 \\alpha</code></pre><span class="math inline">\\(\\alpha\\)</span>')
    assert _website.check_html(site).problems == []


def test_a_missing_page_a_warning_and_a_missing_search_entry_are_reported(site):
    (site / "densities.html").unlink()
    (site / "search.json").write_text('[{"href": "index.html"}]')
    log = "WARNING (refs.lua:128) Unable to resolve crossref @eq-log-softmax\n"
    problems = _website.check_html(site, log=log).problems
    assert any("no page densities.html" in p for p in problems)
    assert any("Unable to resolve crossref" in p for p in problems)
    assert any("search.json has no entry for densities.html" in p for p in problems)


def test_the_page_reader_counts_typeset_formulas_errors_and_the_sidebar():
    page = _website.Page('<nav id="quarto-sidebar"><ul><li><a href="./">Home</a></li>'
                         '<li><a href="./em.html">EM</a></li></ul></nav>'
                         '<mjx-container><mjx-math></mjx-math></mjx-container>'
                         '<mjx-container><mjx-merror data-mjx-error="Undefined control sequence \\foo">'
                         '</mjx-merror></mjx-container><a href="./other.html">not in the sidebar</a>')
    assert page.typeset == 2
    assert page.math_errors == ["Undefined control sequence \\foo"]
    assert page.sidebar_links == ["./", "./em.html"]


def test_page_names_follow_nbdev():
    assert _website.page_name(Path("nbs/00_densities.ipynb")) == "densities.html"
    assert _website.page_name(Path("nbs/index.ipynb")) == "index.html"


def test_without_quarto_or_its_installer_the_site_step_is_skipped(tmp_path, monkeypatch, capsys):
    import check  # tools/check.py
    monkeypatch.setattr(_website.shutil, "which", lambda name: None)
    monkeypatch.setattr(_website, "QUARTO_PREFIX", tmp_path / "quarto")
    monkeypatch.setattr(_website, "QUARTO_INSTALLER", tmp_path / "no-such" / "install.sh")
    quarto, why = _website.find_quarto()
    assert quarto is None and "no offline installer" in why
    assert check.step_site() == check.SKIPPED
    assert "SKIPPED: the site was not rendered" in capsys.readouterr().out
