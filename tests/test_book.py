"""The online book: it builds cleanly, every page works in a real browser, and
every chapter runs top to bottom as it would in Colab.

- The build: `make book` (strict: a Sphinx warning, a WARNING/ERROR line in the
  build log, or a raising cell fails it), once per session. Executed notebooks
  are cached in _build/.jupyter_cache, so a rebuild re-runs only changed ones.
- The browser: every built page, served from 127.0.0.1, opened in headless
  Chromium (/usr/bin/chromium, driven by Playwright). The page renders, its math
  is typeset by the MathJax served with the book, the console shows no error, no
  request fails or leaves the local server (the book must not need a CDN), and
  the page's "open in Colab" link names the page's own notebook in the repository.
- The notebooks: each page of _toc.yml run in a fresh kernel with its outputs
  cleared and the widgets live (no DSCONV_STATIC_WIDGETS), as Colab runs it; no
  cell may raise or print a Python warning.

All of them are marked `book` (slow); `pytest -m "not book"` leaves them out.
Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it).
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
BUILD_LOG = ROOT / "_build" / "book-build.log"  # written by `make book`
CHROMIUM = Path("/usr/bin/chromium")
COLAB_HOST = "colab.research.google.com"

# Per cell, as in _config.yml's execute.timeout; a chapter should take well under a minute.
CELL_TIMEOUT_S = 300
BUILD_TIMEOUT_S = 3600
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_TIMEOUT_MS = 30_000


# The book's pages ------------------------------------------------------------------


def load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def toc_files(node: object) -> list[str]:
    """The `root` and `file` entries of _toc.yml, in order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("root", "file") and isinstance(value, str):
                found.append(value)
            else:
                found += toc_files(value)
    elif isinstance(node, list):
        for item in node:
            found += toc_files(item)
    return found


def toc_pages() -> list[str]:
    """The toc's pages without suffix, relative to the root: ['book/index', ...]."""
    return [entry.removesuffix(Path(entry).suffix) if Path(entry).suffix in (".ipynb", ".md") else entry
            for entry in toc_files(load_yaml(ROOT / "_toc.yml"))]


TOC_PAGES = toc_pages()
TOC_NOTEBOOKS = [page for page in TOC_PAGES if (ROOT / f"{page}.ipynb").is_file()]
# Pages Sphinx adds to every book, which the browser test opens too.
SPHINX_PAGES = ["genindex", "search"]
BROWSER_PAGES = TOC_PAGES + SPHINX_PAGES


def colab_prefix() -> str:
    """https://colab.research.google.com/github/<org>/<repo>/blob/<branch>/, from _config.yml."""
    repository = load_yaml(ROOT / "_config.yml")["repository"]
    url = repository["url"].rstrip("/").removesuffix(".git")
    org_repo = urlsplit(url).path.strip("/")
    return f"https://{COLAB_HOST}/github/{org_repo}/blob/{repository.get('branch', 'main')}/"


# The build -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Runs `make book` once per session and returns the built HTML's folder."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("building the book needs `make`")
    result = subprocess.run(
        [make, "--no-print-directory", "book"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=BUILD_TIMEOUT_S,
    )
    if result.returncode != 0:
        # The last lines name the cause: the failing cell, or the warnings found in the log.
        tail = "\n".join(ANSI.sub("", result.stdout).splitlines()[-80:])
        pytest.fail(
            f"`make book` failed (exit {result.returncode}); the build's log is "
            f"{BUILD_LOG.relative_to(ROOT)}. The last lines of its output:\n{tail}",
            pytrace=False,
        )
    return HTML


def test_book_builds_every_page(built_book: Path):
    missing = [f"{page}.html" for page in BROWSER_PAGES if not (built_book / f"{page}.html").is_file()]
    assert not missing, f"the build did not write {missing}"
    # The browser test opens every page of the book: nothing may be built that it does not know.
    built = {
        p.relative_to(built_book).with_suffix("").as_posix()
        for p in built_book.rglob("*.html")
        if p.relative_to(built_book).parts[0] not in ("_static", "_sources", "mathjax")
    }
    unexpected = sorted(built - set(BROWSER_PAGES) - {"index"})
    assert not unexpected, (
        f"{built_book} holds pages that are not in _toc.yml: {unexpected} (left from an older build? "
        "delete _build/html and build again)"
    )


def test_mathjax_is_served_with_the_book(built_book: Path):
    script = built_book / "mathjax" / "tex-mml-chtml.js"
    fonts = list((built_book / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert script.is_file() and fonts, "the built book must carry MathJax (mathjax/tex-mml-chtml.js and its fonts)"


# The notebooks, as Colab runs them -------------------------------------------------


def cell_source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


@pytest.mark.parametrize("page", TOC_NOTEBOOKS)
def test_notebook_runs_top_to_bottom(page: str, monkeypatch: pytest.MonkeyPatch):
    path = ROOT / f"{page}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("widgets", None)
    # Live widgets, as in Colab (the book build renders them static).
    monkeypatch.delenv("DSCONV_STATIC_WIDGETS", raising=False)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=notebook.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.parent)}},  # cwd: book/, as in the build
        allow_errors=False,
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        failed = [
            (index, cell) for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        ]
        if failed:
            index, cell = failed[0]
            out = next(o for o in cell.outputs if o.get("output_type") == "error")
            trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
            message = (f"{page}.ipynb: cell {index} raised {out.get('ename')}: {out.get('evalue')}\n"
                       f"--- cell {index} ---\n{cell_source(cell)}\n--- traceback ---\n{trace}")
        else:
            message = f"{page}.ipynb did not run to the end: {ANSI.sub('', str(error))}"
        pytest.fail(message, pytrace=False)

    warnings = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr" and "Warning" in output.get("text", ""):
                warnings.append(f"--- cell {index} ---\n{cell_source(cell)}\n--- stderr ---\n{output['text'].strip()}")
    assert not warnings, (
        f"{page}.ipynb: cells print Python warnings (fix their cause; the book would show them):\n"
        + "\n".join(warnings)
    )


# The browser -----------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def server(built_book: Path):
    """http://127.0.0.1:<free port>/ serving the built book, from a thread."""
    handler = functools.partial(QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser test needs Debian's Chromium at {CHROMIUM}: apt-get install chromium "
            "(.ci/run installs it on CI)", pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives the browser a fresh temporary profile (user-data-dir).
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        )
        try:
            yield chromium
        finally:
            chromium.close()


# Runs in the page once MathJax is done: what the assertions need, as plain data.
PAGE_REPORT_JS = """
async () => {
  const report = {};
  const mathNodes = [...document.querySelectorAll('.math')];
  report.mathCount = mathNodes.length;
  report.mathjaxLoaded = !!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise);
  if (report.mathjaxLoaded) { await window.MathJax.startup.promise; }
  report.untypeset = mathNodes.filter(n => !n.querySelector('mjx-container'))
                              .map(n => n.textContent.trim().slice(0, 120));
  report.mjxContainers = document.querySelectorAll('mjx-container').length;
  report.mathErrors = [...document.querySelectorAll('mjx-merror')]
                        .map(n => n.getAttribute('data-mjx-error') || n.textContent.trim().slice(0, 120));
  const main = document.querySelector('main') || document.body;
  report.mainText = main.innerText.trim().slice(0, 200);
  report.h1 = [...main.querySelectorAll('h1')].map(h => h.textContent.trim());
  // The prose as a reader sees it, less code, program output and typeset math.
  const prose = main.cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, mjx-container, .math, .cell_output')
       .forEach(n => n.remove());
  report.prose = prose.textContent;
  report.stderr = [...main.querySelectorAll('.output.stderr, .stderr')].map(n => n.textContent.trim());
  report.colab = [...document.querySelectorAll('a[href*="colab.research.google.com"]')].map(a => a.href);
  report.widgets = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-state+json"], '
      + 'script[type="application/vnd.jupyter.widget-view+json"]').length;
  return report;
}
"""

# TeX that dollarmath/amsmath did not turn into math (outside code and outputs).
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|(?<![\\\w$])\$(?=[^\s$])[^$\n]{1,200}(?<=[^\s\\$])\$")


@pytest.mark.parametrize("page", BROWSER_PAGES)
def test_page_in_browser(page: str, built_book: Path, server: str, browser):
    url = f"{server}{page}.html"
    problems: list[str] = []
    external: list[str] = []
    context = browser.new_context()

    def route(route_, request):
        # The book is served from 127.0.0.1 alone; anything else would come from a CDN.
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route_.continue_()
        else:
            external.append(request.url)
            route_.abort()

    context.route("**/*", route)
    browser_page = context.new_page()
    browser_page.set_default_timeout(PAGE_TIMEOUT_MS)
    browser_page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text} at {m.location.get('url', '')}")
                    if m.type in ("error", "assert") else None)
    browser_page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
    browser_page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    browser_page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    try:
        response = browser_page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
        report = browser_page.evaluate(PAGE_REPORT_JS)
        # Fonts and MathJax's on-demand components load while it typesets.
        browser_page.wait_for_load_state("networkidle")
        title = browser_page.title()
    finally:
        context.close()

    where = f"{page}.html"
    assert not external, f"{where} requests resources from outside the book (needs a CDN?): {external}"
    assert not problems, f"{where}: the browser reports:\n" + "\n".join(problems)
    assert title.strip() and "<no title>" not in title, f"{where} has no title: {title!r}"
    assert report["mainText"], f"{where}: the main content is empty"

    # Math: every math node typeset, no TeX errors, no TeX left raw in the prose.
    if report["mathCount"]:
        assert report["mathjaxLoaded"], f"{where} has {report['mathCount']} math node(s) but MathJax did not load"
        assert not report["untypeset"], f"{where}: math not typeset by MathJax: {report['untypeset'][:10]}"
        assert report["mjxContainers"] >= report["mathCount"], (
            f"{where}: {report['mathCount']} math nodes but {report['mjxContainers']} typeset formulas"
        )
    assert not report["mathErrors"], f"{where}: TeX errors in formulas: {report['mathErrors'][:10]}"
    raw = sorted({m.group(0)[:80] for m in RAW_TEX.finditer(report["prose"])})
    assert not raw, f"{where}: TeX left as text (not parsed as math; check the $ / $$ delimiters): {raw[:10]}"

    # Outputs: no Python warning on stderr, no live widget (the book shows static ones).
    warnings = [text for text in report["stderr"] if "Warning" in text]
    assert not warnings, f"{where}: a cell prints a Python warning:\n" + "\n---\n".join(warnings)
    assert not report["widgets"], (
        f"{where} embeds live ipywidgets, which need JavaScript from a CDN; the book is built with "
        "DSCONV_STATIC_WIDGETS=1 (make book) so that dsconv_lib.widgets render static figures"
    )

    # Colab links: every one opens a notebook of the repository; every page of the toc
    # has one to its own notebook (the launch button); any other opens an exercise.
    if page in TOC_PAGES:
        assert report["h1"], f"{where} has no title heading (h1)"
        assert report["colab"], f"{where} has no 'open in Colab' link (launch button)"
    prefix = colab_prefix()
    opened = []
    for href in report["colab"]:
        assert href.startswith(prefix), f"{where}: the Colab link {href} does not start with {prefix}"
        path = href[len(prefix):].split("?")[0].split("#")[0]
        assert path.endswith(".ipynb") and (ROOT / path).is_file(), (
            f"{where}: the Colab link {href} names {path}, which is not a notebook in the repository"
        )
        assert path == f"{page}.ipynb" or path.startswith("exercises/"), (
            f"{where}: the Colab link opens {path}, neither {page}.ipynb nor an exercise"
        )
        opened.append(path)
    if page in TOC_PAGES:
        assert f"{page}.ipynb" in opened, f"{where}: no Colab link opens the page's own {page}.ipynb"


def test_root_redirects_to_first_page(built_book: Path, server: str, browser):
    context = browser.new_context()
    context.route("**/*", lambda route, request: route.continue_()
                  if urlsplit(request.url).hostname == "127.0.0.1" else route.abort())
    try:
        page = context.new_page()
        page.goto(server, wait_until="load")
        page.wait_for_url(f"{server}{TOC_PAGES[0]}.html", timeout=PAGE_TIMEOUT_MS)
    finally:
        context.close()
