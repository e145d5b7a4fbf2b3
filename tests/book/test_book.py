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

import contextlib
import functools
import http.server
import json
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
from notebooks import source

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
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
# What the static explorers and questions may add to a page (JSON in script.dsconv-data).
MAX_PAGE_DATA_BYTES = 200_000


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
                       f"--- cell {index} ---\n{source(cell)}\n--- traceback ---\n{trace}")
        else:
            message = f"{page}.ipynb did not run to the end: {ANSI.sub('', str(error))}"
        pytest.fail(message, pytrace=False)

    warnings = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr" and "Warning" in output.get("text", ""):
                warnings.append(f"--- cell {index} ---\n{source(cell)}\n--- stderr ---\n{output['text'].strip()}")
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
  report.dataBytes = [...document.querySelectorAll('script.dsconv-data')]
                       .reduce((total, n) => total + new Blob([n.textContent]).size, 0);
  const icon = document.querySelector('link[rel~="icon"]');
  report.favicon = icon ? icon.href : null;
  report.widgets = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-state+json"], '
      + 'script[type="application/vnd.jupyter.widget-view+json"]').length;
  return report;
}
"""

# TeX that dollarmath/amsmath did not turn into math (outside code and outputs).
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|(?<![\\\w$])\$(?=[^\s$])[^$\n]{1,200}(?<=[^\s\\$])\$")


class Watched:
    """A page in a fresh browser context, with what went wrong while it was open."""

    def __init__(self, page, problems: list[str], external: list[str]) -> None:
        self.page, self.problems, self.external = page, problems, external

    def assert_clean(self, where: str) -> None:
        assert not self.external, f"{where} requests resources from outside the book (needs a CDN?): {self.external}"
        assert not self.problems, f"{where}: the browser reports:\n" + "\n".join(self.problems)


@contextlib.contextmanager
def watched_page(browser, url: str, width: int = 1280):
    """Opens url in a new context whose requests may not leave 127.0.0.1; records console errors,
    uncaught exceptions, failed requests and HTTP errors. Yields a Watched; closes the context after."""
    problems: list[str] = []
    external: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": 900})

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
        yield Watched(browser_page, problems, external)
    finally:
        context.close()


@pytest.mark.parametrize("page", BROWSER_PAGES)
def test_page_in_browser(page: str, built_book: Path, server: str, browser):
    url = f"{server}{page}.html"
    with watched_page(browser, url) as watched:
        report = watched.page.evaluate(PAGE_REPORT_JS)
        # Fonts and MathJax's on-demand components load while it typesets.
        watched.page.wait_for_load_state("networkidle")
        title = watched.page.title()

    where = f"{page}.html"
    watched.assert_clean(where)
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

    # The explorers' and questions' data, embedded at build time, stays within its budget.
    assert report["dataBytes"] <= MAX_PAGE_DATA_BYTES, (
        f"{where} embeds {report['dataBytes']:,} bytes of explorer and question data (at most {MAX_PAGE_DATA_BYTES:,})"
    )
    # A favicon of its own, so the browser does not ask for a /favicon.ico that is not there.
    assert report["favicon"] and report["favicon"].startswith(server), f"{where} links no favicon of the book's"
    assert (built_book / report["favicon"][len(server):].split("?")[0]).is_file(), f"{where}: {report['favicon']} is missing"

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


# The static book's explorers and questions (dsconv_lib.widgets, dsconv_lib.questions, _static/dsconv.js) --


def shown(value: float, decimals=None) -> str:
    """A number as the book's script shows it: an int with thousands separators, a float with fixed decimals."""
    return f"{value:,}" if decimals is None else f"{round(value, decimals) + 0.0:.{decimals}f}"


COST_SETTINGS = [  # (c_in, c_out, k, size, stride): corners and middles of the sliders
    (128, 128, 3, 56, 1), (8, 1024, 7, 224, 2), (1024, 8, 1, 7, 1), (32, 64, 5, 112, 2), (512, 256, 3, 14, 1),
]


@pytest.mark.parametrize("page", ["book/02_counting_cost", "book/06_depthwise_separable"])
def test_cost_explorer_shows_the_cost_models_numbers(page: str, built_book: Path, server: str, browser):
    from dsconv_lib import cost

    with watched_page(browser, f"{server}{page}.html") as watched:
        explorer = watched.page.locator('[data-dsconv="cost"]')
        assert explorer.count() == 1, f"{page}.html has {explorer.count()} cost explorers, expected 1"
        axes = json.loads(explorer.locator("script.dsconv-data").text_content())["axes"]
        for c_in, c_out, k, size, stride in COST_SETTINGS:
            setting = {"c_in": c_in, "c_out": c_out, "k": k, "size": size, "stride": stride}
            for axis, value in setting.items():
                explorer.locator(f'input[data-axis="{axis}"]').fill(str(axes[axis].index(value)))
                assert explorer.locator(f'output[data-axis-value="{axis}"]').text_content() == str(value)
            standard = cost.conv(c_in, c_out, k, size, stride=stride, padding=k // 2)
            separable = cost.separable_conv(c_in, c_out, k, size, stride=stride, padding=k // 2)
            expected = {
                "standard_params": shown(standard.params), "standard_macs": shown(standard.macs),
                "standard_bytes": shown(standard.bytes), "standard_intensity": shown(standard.arithmetic_intensity, 2),
                "separable_params": shown(separable.params), "separable_macs": shown(separable.macs),
                "separable_bytes": shown(separable.bytes), "separable_intensity": shown(separable.arithmetic_intensity, 2),
                "ratio": shown(separable.macs / standard.macs, 4),
                "closed_form": shown(cost.separable_ratio_closed_form(c_out, k), 4),
                "times_fewer": shown(standard.macs / separable.macs, 1),
            }
            got = {field: explorer.locator(f'[data-field="{field}"]').text_content() for field in expected}
            assert got == expected, f"{page}.html, {setting}: the explorer shows {got}, dsconv_lib.cost says {expected}"
    watched.assert_clean(f"{page}.html")


def test_rank_viewer_shows_factorizes_approximations(built_book: Path, server: str, browser):
    from dsconv_lib import factorize
    from dsconv_lib.widgets import preset_kernels

    page = "book/03_spatially_separable"
    with watched_page(browser, f"{server}{page}.html") as watched:
        viewer = watched.page.locator('[data-dsconv="rank"]')
        assert viewer.count() == 1, f"{page}.html has {viewer.count()} rank viewers, expected 1"
        for index, (name, kernel) in enumerate(preset_kernels().items()):
            viewer.locator('select[data-control="kernel"]').select_option(str(index))
            for rank in range(1, min(kernel.shape) + 1):
                viewer.locator('input[data-control="rank"]').fill(str(rank))
                best = factorize.low_rank_approximation(kernel, rank)
                cells = viewer.locator('[data-grid="approximation"] td').all_text_contents()
                assert cells == [shown(v, 3) for v in best.kernel.reshape(-1)], f"{name}, rank {rank}: {cells}"
                assert viewer.locator('[data-field="relative_error"]').text_content() == shown(best.relative_error, 4)
                assert viewer.locator('[data-field="approximation_rank"]').text_content() == str(rank)
            kernel_cells = viewer.locator('[data-grid="kernel"] td').all_text_contents()
            assert kernel_cells == [shown(v, 3) for v in kernel.reshape(-1)], name
            assert viewer.locator('[data-field="rank"]').text_content() == str(factorize.kernel_rank(kernel)), name
            singular = ", ".join(shown(v, 3) for v in factorize.spatial_factors(kernel).singular_values)
            assert viewer.locator('[data-field="singular_values"]').text_content() == singular, name
    watched.assert_clean(f"{page}.html")


def rounded_reply(answer: float, tolerance: float) -> str:
    """A reader's rounded answer: three significant digits when the tolerance allows it, else the exact value."""
    three = float(f"{answer:.3g}")
    if abs(three - answer) <= tolerance:
        return f"{int(three):,}" if three.is_integer() else f"{three:g}"
    return f"{answer:,}" if float(answer).is_integer() else repr(answer)


CHAPTERS = [page for page in TOC_PAGES if re.match(r"book/(0[1-9]|1[01])_", page)]


@pytest.mark.parametrize("page", CHAPTERS)
def test_questions_check_answers_in_the_page(page: str, built_book: Path, server: str, browser):
    with watched_page(browser, f"{server}{page}.html") as watched:
        questions = watched.page.locator('[data-dsconv="question"]')
        assert questions.count() >= 2, f"{page}.html has {questions.count()} questions; each chapter needs a few"
        for index in range(questions.count()):
            question = questions.nth(index)
            data = json.loads(question.locator("script.dsconv-data").text_content())
            verdict, hint = question.locator(".dsconv-verdict"), question.locator(".dsconv-hint")
            check = question.locator('[data-action="check"]')
            where = f"{page}.html, question {index + 1}"
            assert hint.is_hidden() and question.locator(".dsconv-solution").is_hidden(), where
            if data["kind"] == "number":
                box = question.locator("input.dsconv-answer")
                box.fill("seven")
                check.click()
                assert verdict.text_content() == data["not_a_number"] and hint.is_hidden(), where
                wrong = data["answer"] * 2 + 7 + 10 * data["tolerance"]
                box.fill(f"{wrong:,}" if float(wrong).is_integer() else repr(wrong))
                check.click()
                assert verdict.text_content() == data["wrong"] and hint.is_visible(), where
                for reply in {rounded_reply(data["answer"], data["tolerance"]), str(data["answer"])}:
                    box.fill(reply)
                    check.click()
                    assert verdict.text_content() == data["right"], f"{where}: {reply!r} for {data['answer']!r}"
            else:
                check.click()
                assert verdict.text_content() == data["no_choice"], where
                choices = question.locator('input[type="radio"]')
                wrong = next(i for i in range(choices.count()) if i != data["answer"])
                choices.nth(wrong).check()
                check.click()
                assert verdict.text_content() == data["wrong"] and hint.is_visible(), where
                choices.nth(data["answer"]).check()
                check.click()
                assert verdict.text_content() == data["right"], where
            question.locator('[data-action="solution"]').click()
            assert question.locator(".dsconv-solution").is_visible(), where
            assert question.locator(".dsconv-solution").inner_text().strip(), where
    watched.assert_clean(f"{page}.html")


def test_header_leaves_the_sidebar_title_visible_at_1280_pixels(built_book: Path, server: str, browser):
    page = "book/02_counting_cost"
    with watched_page(browser, f"{server}{page}.html", width=1280) as watched:
        boxes = watched.page.evaluate("""() => {
          const box = (selector) => { const n = document.querySelector(selector);
                                      return n ? n.getBoundingClientRect().toJSON() : null; };
          return {header: box('.bd-header'), title: box('.bd-sidebar-primary .navbar-brand')};
        }""")
    assert boxes["title"] and boxes["title"]["height"] > 0, f"{page}.html: the sidebar shows no title"
    header = boxes["header"]
    if header and header["height"] > 0:
        assert header["bottom"] <= boxes["title"]["top"], f"{page}.html: the header band covers the sidebar's title: {boxes}"


@pytest.mark.parametrize("page", [page for page in TOC_NOTEBOOKS if page in CHAPTERS])
def test_drawing_code_is_collapsed_and_teaching_code_shown(page: str, built_book: Path):
    # A cell tagged hide-input renders its code inside a closed <details> ("Show code cell source");
    # the other code cells show their code.
    notebook = nbformat.read(ROOT / f"{page}.ipynb", as_version=4)
    tagged = sum("hide-input" in cell.metadata.get("tags", []) for cell in notebook.cells if cell.cell_type == "code")
    html = (built_book / f"{page}.html").read_text(encoding="utf-8")
    assert html.count('class="cell tag_hide-input') == tagged
    assert html.count('<details class="admonition hide above-input"') == tagged, f"{page}.html: hidden code not behind a toggle"
    assert html.count('class="cell docutils container"') >= 3, f"{page}.html: too little code left visible"
