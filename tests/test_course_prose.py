"""The course's prose, read from the notebooks: links between chapters, equation references, inline math.

The site check (tools/check.py's site step) finds the same defects in the rendered HTML where
Quarto is installed; these tests find them in the source, anywhere, in a second.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
CHAPTERS = {p.name[:2]: p.name for p in NOTEBOOKS if p.name[:2].isdigit()}
# what is not prose: code spans, display and inline math, fenced code
NOT_PROSE = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$", re.S)
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


def cells(path, kind):
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == kind]


def labels(path):
    "Equation labels defined in a notebook: `$$ ... $$ {#eq-name}`."
    return set(re.findall(r"\{#(eq-[\w-]+)\}", "\n".join(cells(path, "markdown"))))


def unlinked_chapter_mentions(markdown, own):
    "Mentions like 'chapter 02' (not this chapter's own number) outside links, code and math."
    prose = LINK.sub(" ", NOT_PROSE.sub(" ", markdown))
    found = re.findall(r"\b[Cc]hapters? (\d\d)\b(?!\])", prose)
    return [n for n in found if n != own and n in CHAPTERS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_mention_of_another_chapter_is_a_link(notebook):
    found = [n for md in cells(notebook, "markdown") for n in unlinked_chapter_mentions(md, notebook.name[:2])]
    assert not found, f"{notebook.name} mentions chapters {found} without a link such as [chapter 01](01_em.ipynb)"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_links_to_notebooks_and_their_equations_resolve(notebook):
    for markdown in cells(notebook, "markdown"):
        for text, target in LINK.findall(NOT_PROSE.sub(" ", markdown)):
            path, _, fragment = target.partition("#")
            if not path.endswith(".ipynb") or "://" in path: continue
            linked = (notebook.parent / path).resolve()
            assert linked.exists(), f"{notebook.name}: [{text}]({target}) names no notebook"
            if fragment.startswith("eq-"):
                assert fragment in labels(linked), f"{notebook.name}: [{text}]({target}): no {{#{fragment}}} in {path}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_equation_references_name_an_equation_of_the_same_notebook(notebook):
    "Quarto resolves @eq-name only within a page (docstrings are rendered on the page too)."
    text = "\n".join(cells(notebook, "markdown") + cells(notebook, "code"))
    missing = set(re.findall(r"(?<![\w#{])@(eq-[\w-]*\w)", text)) - labels(notebook)
    assert not missing, f"{notebook.name} refers to equations it does not define: {sorted(missing)}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_no_reference_inside_display_math(notebook):
    for markdown in cells(notebook, "markdown"):
        for block in re.findall(r"\$\$(.*?)\$\$", markdown, flags=re.S):
            assert "@eq-" not in block, f"{notebook.name}: a reference inside $$...$$ is never resolved: {block[:80]!r}"


def text_formulas(markdown):
    "Inline formulas that pandoc leaves as text: a space inside the dollars, or a digit right after the closing one."
    text = re.sub(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$", " ", markdown, flags=re.S)
    return [m.group(0) for m in re.finditer(r"\$([^$]+)\$(\d?)", text)
            if m.group(1) != m.group(1).strip() or m.group(2)]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_inline_math_is_math_for_pandoc(notebook):
    bad = [f for markdown in cells(notebook, "markdown") for f in text_formulas(markdown)]
    assert not bad, f"{notebook.name}: inline formulas pandoc leaves as text: {bad}"


def test_the_checks_can_fail():
    assert unlinked_chapter_mentions("as chapter 02 shows, and [chapter 03](03_selection.ipynb)", "01") == ["02"]
    assert unlinked_chapter_mentions("chapters [00](00_densities.ipynb)–[02](02_gaussian.ipynb)", "01") == []
    assert unlinked_chapter_mentions("this chapter 01 and `chapter 02` in code", "01") == []
    assert text_formulas("so $|H| = p n + |I| $. And $p = (k-1) + kd + $ (full") == ["$|H| = p n + |I| $", "$p = (k-1) + kd + $"]
    assert text_formulas("costs $2$3 and $x$, $$ y $$ and $a\nb$") == ["$2$3"]


def test_no_code_cell_of_chapters_00_to_10_is_over_60_lines():
    "The equation beside its code: a code cell of the core chapters holds at most 60 lines."
    import json
    from pathlib import Path
    long = []
    for path in sorted((Path(__file__).resolve().parents[1] / "nbs").glob("[01][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            lines = len("".join(cell["source"]).splitlines())
            if cell["cell_type"] == "code" and lines > 60:
                long.append(f"{path.name} cell {cell.get('id')}: {lines} lines")
    assert not long, long
