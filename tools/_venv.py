"""Helpers shared by tools/course.py and tools/check.py (standard library only).

Both tools must run with a bare `python3` (and git) on a fresh clone, before anything is
installed, so this module makes the project's virtual environment itself:

* `.venv/` in the repository root, created with `python3 -m venv` when missing (or broken);
* `pip install -e ".[dev]"` into it, skipped when a stamp file inside `.venv` records that the
  same setup.py / settings.ini / pyproject.toml were already installed with the same Python.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
NBS = ROOT / "nbs"
STAMP = VENV / ".mixlearn-dev-install"
# the files whose content decides what `pip install -e ".[dev]"` installs
INSTALL_INPUTS = ("setup.py", "settings.ini", "pyproject.toml")
# settings for every command the tools run: no prompts, no pip self-check, unbuffered output
QUIET_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PYTHONUNBUFFERED": "1",
             # ipykernel warns about frozen modules under a debugger-less run; silence it
             "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def bin_path(name: str) -> Path:
    "Path of executable `name` (python, pip, nbdev_test, ...) inside .venv."
    scripts = VENV / ("Scripts" if os.name == "nt" else "bin")
    exe = scripts / (name + (".exe" if os.name == "nt" else ""))
    return exe


def say(msg: str) -> None:
    print(msg, flush=True)


def heading(msg: str) -> None:
    say(f"\n=== {msg} ===")


def tool_env(**extra: str) -> dict:
    "The environment for commands run from .venv: its bin first on PATH, plus `extra`."
    env = dict(os.environ)
    env.update(QUIET_ENV)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(bin_path("python").parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONHOME", None)
    env.update(extra)
    return env


def run(cmd, *, cwd: Path = ROOT, env: dict | None = None, check: bool = True,
        capture: bool = False) -> subprocess.CompletedProcess:
    "Run `cmd` (a list), echoing it; stdin is closed so nothing can wait for input."
    shown = " ".join(shlex.quote(str(c)) for c in cmd)
    say(f"$ {shown}")
    res = subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=env or tool_env(),
                         stdin=subprocess.DEVNULL, text=True,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.STDOUT if capture else None)
    if check and res.returncode != 0:
        if capture and res.stdout: say(res.stdout)
        raise SystemExit(f"command failed with exit code {res.returncode}: {shown}")
    return res


# pip warnings about unreachable extra index locations configured on some machines: noise here
_PIP_NOISE = re.compile(r"^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$")


def pip_install(*args: str) -> None:
    "`pip install --quiet ARGS` into .venv; its output is shown without machine-specific noise."
    res = run([bin_path("python"), "-m", "pip", "install", "--quiet", *args], check=False, capture=True)
    out = "\n".join(line for line in (res.stdout or "").splitlines() if not _PIP_NOISE.match(line))
    if out.strip(): say(out)
    if res.returncode != 0:
        raise SystemExit(f"pip install {' '.join(args)} failed with exit code {res.returncode}")


def _install_fingerprint() -> str:
    "Hash of the install inputs and of the venv's Python version."
    h = hashlib.sha256()
    for name in INSTALL_INPUTS:
        p = ROOT / name
        h.update(name.encode() + b"\0")
        h.update(p.read_bytes() if p.exists() else b"<missing>")
    h.update(str(bin_path("python").resolve()).encode())
    return h.hexdigest()


def _venv_python_works() -> bool:
    py = bin_path("python")
    if not py.exists(): return False
    try:
        return subprocess.run([str(py), "-c", "import sys, ensurepip"], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def ensure_venv(force_install: bool = False) -> float:
    """Create .venv if needed and install mixlearn[dev] into it unless already up to date.

    Returns the seconds spent (0 when nothing had to be done)."""
    t0 = time.perf_counter()
    created = False
    if not _venv_python_works():
        heading(f"creating the virtual environment {VENV.relative_to(ROOT)}/ (once)")
        if VENV.exists():
            say(f"{VENV} exists but its python does not run: recreating it")
            import shutil
            shutil.rmtree(VENV)
        run([sys.executable, "-m", "venv", str(VENV)], env=dict(os.environ, **QUIET_ENV))
        created = True
    fingerprint = _install_fingerprint()
    if not force_install and not created and STAMP.exists() and STAMP.read_text().strip() == fingerprint:
        say(f"[venv] .venv is up to date (mixlearn[dev] installed; {', '.join(INSTALL_INPUTS)} unchanged)")
        return 0.0
    heading('installing mixlearn in editable mode with its dev extras: pip install -e ".[dev]"')
    say("(a few minutes the first time; later runs skip this while setup.py, settings.ini and pyproject.toml are unchanged)")
    if STAMP.exists(): STAMP.unlink()
    if created:  # the pip that ships with `venv` can be old; editable installs need pip >= 21.3
        pip_install("--upgrade", "pip")
    pip_install("-e", ".[dev]")
    STAMP.write_text(fingerprint + "\n")
    dt = time.perf_counter() - t0
    say(f"[venv] ready in {dt:.0f} s")
    return dt


def chapters() -> list[Path]:
    "The course's notebooks in reading order: nbs/index.ipynb, then nbs/NN_*.ipynb sorted."
    index = [NBS / "index.ipynb"] if (NBS / "index.ipynb").exists() else []
    numbered = sorted(p for p in NBS.glob("[0-9][0-9]_*.ipynb"))
    return index + numbered


def fmt_seconds(s: float) -> str:
    return f"{s:6.1f} s" if s < 600 else f"{s / 60:6.1f} min"
