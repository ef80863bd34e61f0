"""Render the course website and check it, as a reader would meet it (standard library only).

Used by tools/course.py (render) and tools/check.py (render, then check). Steps:

* **Quarto.** `quarto` on PATH, else the copy this module installed into `.venv/quarto/`, else the
  offline installer `../shared/quarto/install.sh` beside the repository, when it exists, installs
  Quarto 1.7.34 there (about 10 s). Otherwise the site is not rendered and the caller says so.
* **Render.** `nbdev_docs`: the notebooks go through nbdev's processors into `_proc/`, Quarto
  renders their saved outputs (nothing is executed but cells that only import) into `_docs/`.
* **HTML checks** (`check_html`): every notebook has its page; the render printed no warning (an
  unresolved cross-reference, a cell that mixes imports with code, ...); no unresolved reference
  (`?@eq-...`) and no raw TeX (`$`, `\\frac`) left in the text outside formulas and code; every
  relative link, image, script and stylesheet resolves, and so does every `#fragment` of a link
  to a page of the site; the search index lists every page.
* **Browser checks** (`check_browser`): headless Chromium loads the index and every chapter
  through a local HTTP server, with MathJax served from a local copy (npm's `mathjax@3`) instead
  of the CDN the pages name, and the check reads the DOM after MathJax has run: every formula of
  the page typeset, no MathJax error, and the sidebar lists every chapter. Chromium comes from
  PATH or, where we are root with apt-get, from Debian's `chromium` package; without it (or without
  npm for MathJax) the browser checks are skipped and say so.
"""
from __future__ import annotations

import functools
import html.parser
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from _venv import ROOT, VENV, bin_path, chapters, run, say, tool_env

DOCS = ROOT / "_docs"
QUARTO_VERSION = "1.7.34"
QUARTO_INSTALLER = ROOT.parent / "shared" / "quarto" / "install.sh"
QUARTO_PREFIX = VENV / "quarto"          # made (and thrown away) with the virtual environment
MATHJAX_DIR = VENV / "mathjax"           # npm's mathjax@3, unpacked
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\[[0-9;]{1,8}m")   # colour codes, also when the escape byte was lost


# ---------------------------------------------------------------------------------------------
# Quarto and the render
# ---------------------------------------------------------------------------------------------

def find_quarto(install: bool = True) -> tuple[Path | None, str]:
    "The `quarto` to use and how it was found, or (None, why there is none)."
    on_path = shutil.which("quarto")
    if on_path: return Path(on_path), "on PATH"
    local = QUARTO_PREFIX / "package" / "dist" / "bin" / "quarto"
    if local.exists(): return local, f"installed in {local.parent.relative_to(ROOT)}"
    if not QUARTO_INSTALLER.exists():
        return None, (f"Quarto is not on PATH and there is no offline installer at {QUARTO_INSTALLER}; "
                      f"install Quarto {QUARTO_VERSION} (https://quarto.org/docs/get-started/) to render the site")
    if not install: return None, f"Quarto is not installed yet ({QUARTO_INSTALLER} can install it)"
    say(f"Quarto is not on PATH: installing Quarto {QUARTO_VERSION} into {QUARTO_PREFIX.relative_to(ROOT)}/ "
        f"with {QUARTO_INSTALLER} (about 10 s, once)")
    res = run(["bash", QUARTO_INSTALLER, QUARTO_PREFIX], check=False, capture=True)
    if res.returncode != 0 or not local.exists():
        say(res.stdout or "")
        return None, f"the Quarto installer failed (exit code {res.returncode})"
    return local, f"installed now in {local.parent.relative_to(ROOT)}"


@dataclass
class Render:
    ok: bool
    seconds: float
    log: str


def render(quarto: Path) -> Render:
    "Render the site with nbdev_docs into _docs/; README.md is left as tools/readme.py made it."
    readme = ROOT / "README.md"
    kept = readme.read_bytes() if readme.exists() else None
    env = tool_env()
    env["PATH"] = str(quarto.parent) + os.pathsep + env["PATH"]
    say(f"$ nbdev_docs   (Quarto {quarto_version(quarto)}, {quarto})")
    t0 = time.perf_counter()
    try:
        res = subprocess.run([str(bin_path("nbdev_docs"))], cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    finally:
        # nbdev_docs also rewrites README.md with Quarto; README.md is made by tools/readme.py
        # (so that it can be checked without Quarto): put it back as it was.
        if kept is not None: readme.write_bytes(kept)
    seconds = time.perf_counter() - t0
    log = _ANSI.sub("", res.stdout or "")
    if res.returncode != 0: say(log[-6000:])
    return Render(res.returncode == 0 and (DOCS / "index.html").exists(), seconds, log)


def quarto_version(quarto: Path) -> str:
    try:
        return subprocess.run([str(quarto), "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def render_warnings(log: str) -> list[str]:
    "Warnings in the render's output: Quarto's, pandoc's and nbdev's (e.g. cells mixing imports with code)."
    lines = log.splitlines()
    found = []
    for i, line in enumerate(lines):
        if re.search(r"\bWARN(ING)?\b", line) or "Found cells containing imports" in line:
            context = " ".join(s.strip() for s in lines[i:i + 3] if s.strip())
            found.append(context[:300])
    return found


# ---------------------------------------------------------------------------------------------
# Reading a page
# ---------------------------------------------------------------------------------------------

_SKIP_TEXT = {"script", "style", "code", "pre", "svg", "math", "noscript", "textarea"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(html.parser.HTMLParser):
    """What the checks need of one HTML page: element ids, references to other files, the text a
    reader sees outside formulas and code, formulas, MathJax output and the sidebar's links."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []      # (tag.attribute, value)
        self.text: list[str] = []                  # prose outside formulas and code
        self.formulas = 0                          # span.math elements (Quarto's $...$ and $$...$$)
        self.typeset = 0                           # mjx-container elements (after MathJax ran)
        self.math_errors: list[str] = []           # mjx-merror elements
        self.sidebar_links: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []   # (tag, hides text, inside the sidebar)
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"): self.ids.add(a["id"])
        if a.get("name") and tag == "a": self.ids.add(a["name"])
        for attr in ("href", "src"):
            if a.get(attr) is not None and tag in ("a", "img", "script", "link", "source", "iframe"):
                self.refs.append((f"{tag}.{attr}", a[attr]))
        classes = (a.get("class") or "").split()
        hides = tag in _SKIP_TEXT or tag.startswith("mjx-") or "math" in classes
        if tag == "span" and "math" in classes: self.formulas += 1
        if tag == "mjx-container": self.typeset += 1
        if tag == "mjx-merror": self.math_errors.append(a.get("data-mjx-error", "error"))
        in_sidebar = bool(self._stack and self._stack[-1][2]) or a.get("id") == "quarto-sidebar"
        if in_sidebar and tag == "a" and a.get("href"): self.sidebar_links.append(a["href"])
        if tag in _VOID: return
        parent_hides = bool(self._stack and self._stack[-1][1])
        self._stack.append((tag, hides or parent_hides, in_sidebar))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):   # tolerate unclosed elements
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data):
        if not (self._stack and self._stack[-1][1]) and data.strip(): self.text.append(data)


@functools.lru_cache(maxsize=None)
def read_page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8", errors="replace"))


def page_name(notebook: Path) -> str:
    "The page nbdev gives a notebook: its name without the number prefix, as .html."
    return re.sub(r"^\d+[a-zA-Z0-9]*_", "", notebook.name.lower()).rsplit(".", 1)[0] + ".html"


# ---------------------------------------------------------------------------------------------
# HTML checks
# ---------------------------------------------------------------------------------------------

_RAW_TEX = re.compile(r"\$|\\[A-Za-z]{2,}|\{#eq-|\?@[a-z]")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def add(self, problem: str) -> None:
        self.problems.append(problem)


def check_html(docs: Path = DOCS, log: str = "") -> Report:
    report = Report()
    pages = sorted(p for p in docs.rglob("*.html") if "site_libs" not in p.parts)
    report.counts["pages"] = len(pages)
    # every notebook has its page
    expected = {nb.name: docs / page_name(nb) for nb in chapters()}
    for nb, page in expected.items():
        if not page.exists(): report.add(f"{nb}: no page {page.name} in {docs.name}/")
    report.counts["notebooks with a page"] = sum(p.exists() for p in expected.values())
    # the render's own warnings
    warnings = render_warnings(log)
    for w in warnings: report.add(f"render: {w}")
    report.counts["render warnings"] = len(warnings)
    # text, links and images of every page
    n_refs = n_fragments = n_formulas = 0
    for page_path in pages:
        page = read_page(page_path)
        rel = page_path.relative_to(docs).as_posix()
        n_formulas += page.formulas
        prose = " ".join(page.text)
        for m in _RAW_TEX.finditer(prose):
            lo, hi = max(0, m.start() - 50), min(len(prose), m.end() + 50)
            report.add(f"{rel}: raw TeX or an unresolved reference in the text: ...{prose[lo:hi]!r}...")
        for kind, value in page.refs:
            target = _internal_target(docs, page_path, value)
            if target is None: continue
            file, fragment = target
            n_refs += 1
            if not file.exists():
                report.add(f"{rel}: {kind}={value!r} points to a missing file")
            elif fragment and file.suffix == ".html":
                n_fragments += 1
                if fragment not in read_page(file).ids:
                    report.add(f"{rel}: {kind}={value!r}: {file.name} has no element with id {fragment!r}")
    report.counts["internal links, images, scripts and stylesheets"] = n_refs
    report.counts["links to a section"] = n_fragments
    report.counts["formulas"] = n_formulas
    # the search index
    search = docs / "search.json"
    if not search.exists():
        report.add("no search index (search.json)")
    else:
        indexed = {entry.get("href", "").split("#")[0] for entry in json.loads(search.read_text())}
        for nb, page in expected.items():
            if page.name not in indexed: report.add(f"search.json has no entry for {page.name} ({nb})")
        report.counts["search index entries"] = len(json.loads(search.read_text()))
    return report


def _internal_target(docs: Path, page: Path, value: str) -> tuple[Path, str] | None:
    "(file, fragment) that a relative reference of `page` names, or None for external references."
    value = value.strip()
    if not value or value.startswith(("http:", "https:", "mailto:", "javascript:", "data:", "//", "tel:")):
        return None
    url = urllib.parse.urlsplit(value)
    if url.scheme: return None
    path = urllib.parse.unquote(url.path)
    if not path:                                   # "#fragment": a section of this page
        return (page, url.fragment) if url.fragment else None
    file = (docs / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    file = Path(os.path.normpath(file))
    if path.endswith("/") or file.is_dir(): file = file / "index.html"
    return file, url.fragment


# ---------------------------------------------------------------------------------------------
# Browser checks
# ---------------------------------------------------------------------------------------------

def find_chromium(install: bool = True) -> tuple[Path | None, str]:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found: return Path(found), f"{name} on PATH"
    can_apt = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not (install and can_apt):
        return None, "no Chromium on PATH (install Debian's `chromium`, or any Chrome) and no apt-get to install it"
    say("Chromium is not on PATH: installing Debian's chromium package (once per machine)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        res = run(cmd, env=env, check=False, capture=True)
        if res.returncode != 0:
            say((res.stdout or "")[-3000:])
            return None, f"`{' '.join(cmd)}` failed (exit code {res.returncode})"
    found = shutil.which("chromium")
    return (Path(found), "installed now with apt-get") if found else (None, "apt-get installed no chromium")


def find_mathjax(install: bool = True) -> tuple[Path | None, str]:
    "A local copy of MathJax 3 (npm's mathjax@3), unpacked into .venv/mathjax."
    es5 = MATHJAX_DIR / "package" / "es5" / "tex-chtml-full.js"
    if es5.exists(): return MATHJAX_DIR / "package", "local copy"
    npm = shutil.which("npm")
    if not (install and npm): return None, "no local MathJax and no npm to fetch npm's mathjax@3"
    MATHJAX_DIR.mkdir(parents=True, exist_ok=True)
    res = run([npm, "pack", "--silent", "mathjax@3"], cwd=MATHJAX_DIR, check=False, capture=True)
    tarballs = sorted(MATHJAX_DIR.glob("mathjax-*.tgz"))
    if res.returncode != 0 or not tarballs:
        say(res.stdout or "")
        return None, f"`npm pack mathjax@3` failed (exit code {res.returncode})"
    run(["tar", "xzf", tarballs[-1], "-C", MATHJAX_DIR])
    return (MATHJAX_DIR / "package", f"{tarballs[-1].name} from npm") if es5.exists() else (None, "no es5/ in mathjax@3")


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    "Serves _docs/; /_mathjax/ from the local MathJax, and pages with the CDN's address replaced by it."
    docs: Path
    mathjax: Path

    def translate_path(self, path):
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        if path.startswith("/_mathjax/"): return str(self.mathjax / path[len("/_mathjax/"):])
        return str(self.docs / path.lstrip("/"))

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir(): path = path / "index.html"
        if path.suffix != ".html" or not path.exists(): return super().send_head()
        body = path.read_bytes().replace(MATHJAX_CDN.encode(), b"/_mathjax/")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, *args):   # quiet
        pass


def serve(docs: Path, mathjax: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("Handler", (_SiteHandler,), {"docs": docs, "mathjax": mathjax})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def chromium_dom(chromium: Path, url: str, budget_ms: int = 30000) -> str:
    "The DOM of `url` after its scripts ran (MathJax included), from headless Chromium."
    with tempfile.TemporaryDirectory(prefix="mixlearn-chromium-") as profile:
        res = subprocess.run([str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                              f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
    return res.stdout


def screenshot(chromium: Path, url: str, png: Path, width: int = 1280, height: int = 1600) -> None:
    with tempfile.TemporaryDirectory(prefix="mixlearn-chromium-") as profile:
        subprocess.run([str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=30000",
                        f"--window-size={width},{height}", f"--screenshot={png}", url],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=180)


def check_browser(docs: Path = DOCS, screenshots: Path | None = None) -> Report | str:
    "Load every chapter in headless Chromium; a Report, or the reason the check could not run."
    chromium, how = find_chromium()
    if chromium is None: return how
    mathjax, mj_how = find_mathjax()
    if mathjax is None: return mj_how
    say(f"browser: {chromium} ({how}); MathJax: {mj_how}")
    pages = [docs / page_name(nb) for nb in chapters()]
    server, base = serve(docs, mathjax)
    report = Report()
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            doms = list(pool.map(lambda p: chromium_dom(chromium, base + p.name), pages))
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
            for p in pages: screenshot(chromium, base + p.name, screenshots / (p.stem + ".png"))
            say(f"screenshots of {len(pages)} pages in {screenshots}")
    finally:
        server.shutdown()
    chapter_pages = {p.name for p in pages}
    typeset = 0
    for page_path, dom in zip(pages, doms):
        if not dom.strip():
            report.add(f"{page_path.name}: Chromium returned no DOM")
            continue
        loaded, static = Page(dom), read_page(page_path)
        typeset += loaded.typeset
        if loaded.typeset < static.formulas:
            report.add(f"{page_path.name}: {loaded.typeset} of {static.formulas} formulas typeset by MathJax")
        for error in loaded.math_errors: report.add(f"{page_path.name}: MathJax error: {error}")
        # Quarto's script shows a link to index.html as "./": read a folder as its index.html
        listed = {urllib.parse.urlsplit(h).path.split("/")[-1] or "index.html" for h in loaded.sidebar_links}
        missing = sorted(chapter_pages - listed)
        if missing: report.add(f"{page_path.name}: the sidebar does not list {', '.join(missing)}")
    report.counts["pages loaded in Chromium"] = sum(bool(d.strip()) for d in doms)
    report.counts["formulas typeset by MathJax"] = typeset
    return report
