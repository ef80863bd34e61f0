#!/usr/bin/env python3
"""Run every test: README command 2 (also what CI runs, through .ci/run).

    python3 tools/check.py                 # all steps
    python3 tools/check.py --only pytest   # some steps: export clean readme nbdev_test pytest site
    python3 tools/check.py --only site --screenshots shots/   # also save a PNG of every page

Needs only python3 (3.9+) on PATH; works in a fresh clone, non-interactively. Steps:
0. venv         make .venv and `pip install -e ".[dev]"` into it when missing or out of date;
1. export       `nbdev_export` must not change mixlearn/ (or pyproject.toml): the library is
                exactly what the notebooks export;
2. clean        `nbdev_clean` must not change any notebook (they are committed clean);
3. readme       README.md must equal what `tools/readme.py` makes from nbs/index.ipynb;
4. nbdev_test   every notebook runs top to bottom and its checks pass (cells flagged `#| notest` skipped);
5. pytest       `python -m pytest tests -q`; finding no test at all counts as a failure.
6. site         render the course website (`nbdev_docs`, Quarto) and check it as a reader meets it:
                every notebook has its page; the render printed no warning; no unresolved reference
                and no raw TeX in the text; every internal link, anchor and image resolves; the search
                index lists every page; then headless Chromium loads every page (MathJax from a local
                copy) and the check reads the DOM: every formula typeset, no MathJax error, the sidebar
                lists every chapter. Quarto comes from PATH or ../shared/quarto/install.sh; where
                neither exists the step says so and is skipped (so are the browser checks without
                Chromium or npm). See tools/_website.py.
Steps 1 and 2 leave their results in the working tree, so a failure there is fixed by
reviewing and committing what they changed. Prints a summary; exits 1 if any step failed.
"""
from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _venv import NBS, ROOT, bin_path, ensure_venv, fmt_seconds, heading, run, say, tool_env  # noqa: E402
import _website  # noqa: E402

STEPS = ("export", "clean", "readme", "nbdev_test", "pytest", "site")
SKIPPED = "skipped"   # a step's result when it could not run here (not a failure)


def snapshot(paths: list[Path]) -> dict[Path, bytes]:
    "Content of every file under `paths` (files or folders), skipping caches."
    files = {}
    for p in paths:
        candidates = [p] if p.is_file() else (sorted(p.rglob("*")) if p.is_dir() else [])
        for f in candidates:
            if f.is_file() and "__pycache__" not in f.parts and ".ipynb_checkpoints" not in f.parts:
                files[f] = f.read_bytes()
    return files


def report_changes(before: dict[Path, bytes], after: dict[Path, bytes], show_diff: bool = True) -> list[str]:
    "Print what changed between two snapshots; return the changed paths."
    changed = []
    for f in sorted(set(before) | set(after)):
        old, new = before.get(f), after.get(f)
        if old == new: continue
        rel = str(f.relative_to(ROOT))
        changed.append(rel)
        state = "created" if old is None else "deleted" if new is None else "changed"
        say(f"  {state}: {rel}")
        if show_diff and old is not None and new is not None:
            a = old.decode("utf-8", "replace").splitlines(True)
            b = new.decode("utf-8", "replace").splitlines(True)
            diff = list(difflib.unified_diff(a, b, f"{rel} (before)", f"{rel} (after)"))
            say("".join(diff[:200]).rstrip() + ("\n  ... (diff cut)" if len(diff) > 200 else ""))
    return changed


def step_export() -> bool:
    watched = [ROOT / "mixlearn", ROOT / "pyproject.toml"]
    before = snapshot(watched)
    run([bin_path("nbdev_export")])
    changed = report_changes(before, snapshot(watched))
    if changed:
        say("FAIL: nbdev_export changed the library: the committed mixlearn/ is not what the notebooks export.\n"
            "Edit the notebooks (not mixlearn/*.py), then commit the exported files shown above.")
    return not changed


def step_clean() -> bool:
    before = snapshot(sorted(NBS.rglob("*.ipynb")))
    run([bin_path("nbdev_clean")])
    changed = report_changes(before, snapshot(sorted(NBS.rglob("*.ipynb"))), show_diff=False)
    if changed:
        say("FAIL: these notebooks were not clean (nbdev_clean has now cleaned them: commit them).")
    return not changed


def step_readme() -> bool:
    return run([sys.executable, ROOT / "tools" / "readme.py", "--check"], check=False).returncode == 0


def step_nbdev_test() -> bool:
    # two notebooks at a time on two cores: one BLAS thread each avoids oversubscription
    env = tool_env(MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return run([bin_path("nbdev_test"), "--n_workers", "2", "--timing"], env=env, check=False).returncode == 0


def step_pytest() -> bool:
    if not (ROOT / "tests").is_dir():
        say("FAIL: there is no tests/ folder")
        return False
    res = run([bin_path("python"), "-m", "pytest", "tests", "-q"], env=tool_env(MPLBACKEND="Agg"), check=False)
    if res.returncode == 5:
        say("FAIL: pytest collected no tests (exit code 5)")
    return res.returncode == 0


def step_site(screenshots: Path | None = None):
    quarto, how = _website.find_quarto()
    if quarto is None:
        say(f"SKIPPED: the site was not rendered: {how}")
        return SKIPPED
    say(f"Quarto: {quarto} ({how})")
    rendered = _website.render(quarto)
    say(f"rendered in {rendered.seconds:.0f} s: {'ok' if rendered.ok else 'FAILED'}")
    if not rendered.ok: return False
    html = _website.check_html(log=rendered.log)
    _print_report("HTML", html)
    browser = _website.check_browser(screenshots=screenshots)
    if isinstance(browser, str):
        say(f"browser checks SKIPPED: {browser}")
        return not html.problems
    _print_report("browser", browser)
    return not html.problems and not browser.problems


def _print_report(name: str, report) -> None:
    for key, value in report.counts.items(): say(f"  {name}: {key}: {value}")
    for problem in report.problems[:100]: say(f"  PROBLEM: {problem}")
    if len(report.problems) > 100: say(f"  ... and {len(report.problems) - 100} more problems")
    say(f"  {name} checks: {len(report.problems)} problem(s)")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every mixlearn check.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--only", nargs="+", choices=STEPS, help="run only these steps")
    parser.add_argument("--screenshots", type=Path, help="site step: save a PNG of every page in this folder")
    args = parser.parse_args()
    steps = [s for s in STEPS if not args.only or s in args.only]

    t_start = time.perf_counter()
    results = []  # (name, ok, seconds)
    t0 = time.perf_counter()
    try:
        ensure_venv()
        results.append(("venv", True, time.perf_counter() - t0))
    except SystemExit as err:
        say(str(err))
        results.append(("venv", False, time.perf_counter() - t0))
        steps = []

    for name in steps:
        heading(f"step {name}")
        t0 = time.perf_counter()
        try:
            ok = step_site(args.screenshots) if name == "site" else globals()[f"step_{name}"]()
        except SystemExit as err:  # a command that had to succeed did not
            say(str(err))
            ok = False
        dt = time.perf_counter() - t0
        results.append((name, ok, dt))
        say(f"[{name}] {_verdict(ok)} in {dt:.1f} s")

    heading("summary")
    for name, ok, dt in results:
        say(f"{_verdict(ok):7s} {fmt_seconds(dt)}  {name}")
    n_failed = sum(ok is False for _, ok, _ in results)
    n_skipped = sum(ok == SKIPPED for _, ok, _ in results)
    say(f"total {fmt_seconds(time.perf_counter() - t_start)}")
    say(f"steps: {len(results) - n_failed - n_skipped} passed, {n_failed} failed"
        + (f", {n_skipped} skipped" if n_skipped else ""))
    return 1 if n_failed else 0


def _verdict(ok) -> str:
    return "SKIPPED" if ok == SKIPPED else "PASS" if ok else "FAIL"


if __name__ == "__main__":
    sys.exit(main())
