#!/usr/bin/env python3
"""Run the course: README command 1.

    python3 tools/course.py            # run every chapter, then render the site if Quarto is installed
    python3 tools/course.py 01 02      # only the chapters whose file names contain "01" or "02"
    python3 tools/course.py --save     # authors: write the fresh outputs back into nbs/, nbdev_clean them,
                                       # and regenerate README.md from nbs/index.ipynb

Needs only python3 (3.9+) on PATH. Steps:
1. make .venv in the repository (once) and `pip install -e ".[dev]"` into it (again only when
   setup.py, settings.ini or pyproject.toml changed);
2. execute nbs/index.ipynb and every nbs/NN_*.ipynb, in order, each top to bottom in a fresh
   kernel running .venv's python (Agg backend; inline with --save, so figures are saved), printing each chapter's run time and status.
   The committed notebooks are left untouched unless --save is given;
3. render the course site with nbdev_docs into _docs/ when Quarto is on PATH or can be installed
   with ../shared/quarto/install.sh; otherwise say that it was not rendered (the GitHub workflow
   deploy.yaml renders and publishes it).
Exits non-zero if any cell of any chapter raised.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _venv import (NBS, ROOT, bin_path, chapters, ensure_venv, fmt_seconds, heading, run, say,  # noqa: E402
                   tool_env)
import _website  # noqa: E402


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# ipykernel's notice that a local kernel talks over TCP on 127.0.0.1: not about the notebook
_KERNEL_NOISE = re.compile(r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption")


def execute(nb: Path, save: bool, timeout: int) -> tuple[bool, float, str]:
    "Run one notebook in a fresh kernel; return (ok, seconds, error text)."
    cmd = [str(bin_path("python")), str(ROOT / "tools" / "_execute_notebook.py"), str(nb),
           "--timeout", str(timeout)] + (["--save"] if save else [])
    # Agg draws nothing into a notebook: with --save the figures must be captured, so use the
    # inline backend there (a plain run only needs the cells to succeed, so Agg is fine and quiet)
    backend = "module://matplotlib_inline.backend_inline" if save else "Agg"
    env = tool_env(MPLBACKEND=backend, JUPYTER_PLATFORM_DIRS="1")
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    text = _ANSI.sub("", (res.stderr or "") + (res.stdout or "") if res.returncode else "")
    text = "\n".join(line for line in text.splitlines() if not _KERNEL_NOISE.match(line))
    return res.returncode == 0, dt, text.strip()


def render_site() -> str:
    "Render the site with nbdev_docs where Quarto is (or can be) installed; return a one-line status."
    quarto, how = _website.find_quarto()
    if quarto is None:
        say(f"The course site was NOT rendered: {how}.\n"
            "The GitHub workflow .github/workflows/deploy.yaml renders and publishes it on every push to main.")
        return "not rendered (no Quarto)"
    rendered = _website.render(quarto)
    if not rendered.ok: return f"rendering FAILED after {rendered.seconds:.0f} s"
    warnings = _website.render_warnings(rendered.log)
    for w in warnings: say(f"  warning: {w}")
    return (f"rendered into {_website.DOCS.relative_to(ROOT)}/ in {rendered.seconds:.0f} s with Quarto ({how}); "
            f"{len(warnings)} warning(s); open _docs/index.html (`python3 tools/check.py --only site` checks it)")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the mixlearn course: every chapter in a fresh kernel.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("only", nargs="*", help="run only chapters whose file name contains one of these")
    parser.add_argument("--save", action="store_true",
                        help="write executed outputs back into nbs/ (then nbdev_clean; regenerate README.md)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell (default 900)")
    parser.add_argument("--no-docs", action="store_true", help="do not render the site")
    args = parser.parse_args()

    t_start = time.perf_counter()
    setup_seconds = ensure_venv()

    nbs = [nb for nb in chapters() if not args.only or any(o in nb.name for o in args.only)]
    if not nbs:
        say(f"no chapter matches {args.only} in {NBS}")
        return 1
    heading(f"running {len(nbs)} chapter(s), each in a fresh kernel" + (" (saving outputs)" if args.save else ""))
    results = []
    for nb in nbs:
        say(f"--> {nb.relative_to(ROOT)} ...")
        ok, dt, err = execute(nb, args.save, args.timeout)
        results.append((nb, ok, dt))
        say(f"    {'ok    ' if ok else 'FAILED'} {fmt_seconds(dt)}  {nb.name}")
        if not ok: say("\n".join("    | " + line for line in err.splitlines()[-60:]))

    failed = [nb for nb, ok, _ in results if not ok]
    if args.save:
        saved = [nb for nb, ok, _ in results if ok]
        if saved:
            heading("nbdev_clean on the saved notebooks")
            for nb in saved: run([bin_path("nbdev_clean"), "--fname", nb])
            if any(nb.name == "index.ipynb" for nb in saved):
                run([sys.executable, ROOT / "tools" / "readme.py"])

    site = "skipped (--no-docs)"
    if not args.no_docs:
        heading("course site")
        site = "skipped (a chapter failed)" if failed else render_site()

    heading("summary")
    if setup_seconds: say(f"venv setup       {fmt_seconds(setup_seconds)}")
    for nb, ok, dt in results:
        say(f"{'ok    ' if ok else 'FAILED'} {fmt_seconds(dt)}  {nb.relative_to(ROOT)}")
    say(f"site: {site}")
    say(f"total {fmt_seconds(time.perf_counter() - t_start)}; "
        f"{len(results) - len(failed)} chapter(s) passed, {len(failed)} failed")
    if failed:
        say("A cell raised in: " + ", ".join(nb.name for nb in failed))
        return 1
    if not args.save:
        say("(nothing in nbs/ was modified; use --save to store the fresh outputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
