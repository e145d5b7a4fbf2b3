"""The feedback's HTML exporter (dsconv_grader.report.html): nbconvert's HTML, its templates compiled once."""

from __future__ import annotations

import copy
from pathlib import Path

import jinja2
import nbformat
import pytest
from traitlets.config import Config

pytest.importorskip("nbgrader")

from nbconvert.exporters import HTMLExporter  # noqa: E402

from dsconv_grader.report.html import FeedbackHTMLExporter  # noqa: E402


def a_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A title\n\nSome $x^2$ maths."),
                nbformat.v4.new_code_cell("def add_one(x):\n    return x + 1\n\nadd_one(1)",
                                          outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                                                          execution_count=1)])]
    return nb


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
    html, _ = FeedbackHTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))  # a new one, as nbgrader makes
    assert html == expected
    assert compiled == []
    HTMLExporter(config=config).from_notebook_node(copy.deepcopy(notebook))
    assert compiled, "nbconvert's own exporter compiles its templates again (the check above could not fail)"


def test_the_feedback_step_of_the_repositorys_config_uses_it():
    from dsconv_grader.repository import load_config

    config = load_config(Path(__file__).resolve().parents[2])
    assert config.GenerateFeedback.exporter_class is FeedbackHTMLExporter
