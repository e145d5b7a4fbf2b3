"""The feedback's HTML exporter (dsconv_grader.report.html): nbconvert's HTML, its templates compiled once,
its accessibility attributes added without a second pass over the page."""

from __future__ import annotations

import copy
from pathlib import Path

import jinja2
import nbformat
import pytest
from traitlets.config import Config

pytest.importorskip("nbgrader")

from nbconvert.exporters import HTMLExporter  # noqa: E402

from dsconv_grader.report.html import MISSING_ALT, FeedbackHTMLExporter, accessible  # noqa: E402


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="  # a 1x1 picture


def a_notebook() -> nbformat.NotebookNode:
    """Every kind of tag the exporter completes: inputs, outputs of each kind, images with and without alt."""
    nb = nbformat.v4.new_notebook()
    new_output = nbformat.v4.new_output
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A title\n\nSome $x^2$ maths, and a picture: ![a dot](data:image/png;base64,"
                                      + PNG + ")"),
        nbformat.v4.new_code_cell("def add_one(x):\n    return x + 1\n\nadd_one(1)",
                                  outputs=[new_output("execute_result", {"text/plain": "2"}, execution_count=1)]),
        nbformat.v4.new_code_cell("plot()", outputs=[
            new_output("stream", name="stdout", text="a line\n"),
            new_output("stream", name="stderr", text="a warning\n"),
            new_output("display_data", {"image/png": PNG, "text/plain": "<Figure>"}),
            new_output("display_data", {"text/html": "<div class='jp-OutputArea-output' tabindex='3'>x</div>"
                                                     "<img src='a.png'><img alt='kept' src='b.png'/><p>text</p>"}),
            new_output("error", ename="AssertionError", evalue="expected 7, got 5",
                       traceback=["AssertionError: expected 7, got 5"])]),
    ]
    return nb


def parsed(html: str) -> str:
    """The page as BeautifulSoup reads it (what HTMLExporter itself returns is written back by it)."""
    from bs4 import BeautifulSoup

    return str(BeautifulSoup(html, features="html.parser"))


def test_the_html_is_nbconverts_and_the_templates_are_compiled_once_per_process(monkeypatch):
    config = Config()
    config.HTMLExporter.template_name = "classic"
    notebook = a_notebook()  # one notebook throughout: its cell ids are random
    expected, _ = HTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))
    FeedbackHTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))  # fills the cache, if not yet

    compiled = []
    original = jinja2.Environment.compile

    def counting_compile(self, *args, **kwargs):
        compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting_compile)
    # a new exporter, as nbgrader makes for each notebook
    html, _ = FeedbackHTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))
    assert parsed(html) == parsed(expected)
    assert compiled == []
    HTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))
    assert compiled, "nbconvert's own exporter compiles its templates again (the check above could not fail)"


@pytest.mark.parametrize("template", ["lab", "classic"])
def test_the_page_is_the_document_nbconvert_writes_with_the_same_accessibility_attributes(template):
    config = Config()
    config.HTMLExporter.template_name = template
    notebook = a_notebook()
    expected, _ = HTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))
    html, _ = FeedbackHTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))
    assert parsed(html) == parsed(expected)
    assert html.count(f'alt="{MISSING_ALT}"') == expected.count(f'alt="{MISSING_ALT}"') >= 2
    assert html.count('tabindex="0"') == expected.count('tabindex="0"') >= (5 if template == "lab" else 0)
    assert "alt='kept'" in html


def test_the_attributes_are_added_to_the_tags_that_lack_them_and_nowhere_else():
    page = ('<div class="jp-OutputArea-output">before</div><body class="jp-Notebook" data-x="1">'
            '<div class="jp-Cell-inputWrapper">a</div><div class="jp-Cell-inputWrapperX">b</div>'
            '<DIV id="o" CLASS="x jp-OutputArea-output y" tabindex="-1">c</DIV>'
            '<img src="a.png"><img src="b.png" />\n<img\n  src="c.png"\n  alt="C"\n>'
            '<p class="jp-OutputArea-output">d</p>')
    assert accessible(page) == (
        '<div class="jp-OutputArea-output">before</div><body class="jp-Notebook" data-x="1">'
        '<div class="jp-Cell-inputWrapper" tabindex="0">a</div><div class="jp-Cell-inputWrapperX">b</div>'
        '<DIV id="o" CLASS="x jp-OutputArea-output y" tabindex="0">c</DIV>'
        f'<img src="a.png" alt="{MISSING_ALT}"><img src="b.png" alt="{MISSING_ALT}" />'
        '\n<img\n  src="c.png"\n  alt="C"\n>'
        '<p class="jp-OutputArea-output">d</p>')


def test_the_feedback_step_of_the_repositorys_config_uses_it():
    from dsconv_grader.repository import load_config

    config = load_config(Path(__file__).resolve().parents[2])
    assert config.GenerateFeedback.exporter_class is FeedbackHTMLExporter


def test_a_source_seen_before_is_not_highlighted_again_and_its_html_is_the_same(monkeypatch):
    import nbconvert.filters.highlight as highlight

    notebook = a_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("def seen_once_in_this_test(x):\n    return x * 7\n"))
    first, _ = FeedbackHTMLExporter().from_notebook_node(copy.deepcopy(notebook))
    calls = []
    original = highlight._pygments_highlight

    def counting(source, *args, **kwargs):
        calls.append(source)
        return original(source, *args, **kwargs)

    monkeypatch.setattr(highlight, "_pygments_highlight", counting)
    again, _ = FeedbackHTMLExporter().from_notebook_node(copy.deepcopy(notebook))
    assert again == first and "seen_once_in_this_test" in again
    assert calls == []
    notebook.cells.append(nbformat.v4.new_code_cell("a_new_cell = 1"))
    FeedbackHTMLExporter().from_notebook_node(copy.deepcopy(notebook))
    assert calls == ["a_new_cell = 1"]  # only the new cell's source (the check above could fail)
