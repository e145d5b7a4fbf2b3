"""The feedback's HTML exporter: nbconvert's, with its Jinja templates compiled once per process and no
second pass over the finished page.

nbgrader makes a new exporter for every notebook whose feedback it renders, and
each new exporter parses and compiles the same templates again (about a third
of a second, a quarter of the whole grading work in the grader's process).
`FeedbackHTMLExporter` gives every exporter of the process one shared bytecode
cache, keyed by template and checked against the template's source, so a
changed template is compiled again.

nbconvert's HTMLExporter then parses the whole page with BeautifulSoup to add
three accessibility attributes (an `alt` text on images that lack one, and
`tabindex="0"` on each cell's input and each output), and writes it out again:
about 40% of rendering a feedback page. `FeedbackHTMLExporter` adds the same
attributes to the same tags as the page is written (`accessible`), and leaves
the rest of the page as the templates wrote it. Read back by BeautifulSoup, the
two pages are the same document.

nbgrader_config.py: `c.GenerateFeedback.exporter_class = FeedbackHTMLExporter`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Callable, Optional

import jinja2
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

# Tags whose attributes HTMLExporter's BeautifulSoup pass completes, and what it adds (nbconvert 7).
_TAG = re.compile(r"<(div|img)\b([^>]*?)(\s*/?)>", re.IGNORECASE)
_CLASS = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_NOTEBOOK = re.compile(r"""<[a-z]+\b[^>]*\bclass\s*=\s*["'](?:[^"']*\s)?jp-Notebook[\s"']""", re.IGNORECASE)
_HAS_ALT = re.compile(r"\salt\s*=", re.IGNORECASE)
_HAS_TABINDEX = re.compile(r"""\stabindex\s*=\s*(?:"[^"]*"|'[^']*'|\S+)""", re.IGNORECASE)
FOCUSABLE_CLASSES = ("jp-Cell-inputWrapper", "jp-OutputArea-output")
MISSING_ALT = "No description has been provided for this image"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates in memory: {bucket key: bytecode}. A bucket checks the template's checksum."""

    def __init__(self) -> None:
        self._bytecode: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        bytecode = self._bytecode.get(bucket.key)
        if bytecode is not None:
            bucket.bytecode_from_string(bytecode)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._bytecode[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


def accessible(html: str) -> str:
    """`html` with HTMLExporter's accessibility attributes: `alt` on each `<img>` that has none, and, inside the
    element of class jp-Notebook (the lab template's page; the classic one has none), `tabindex="0"` on each
    `<div>` of class jp-Cell-inputWrapper or jp-OutputArea-output."""
    notebook = _NOTEBOOK.search(html)
    notebook_starts = notebook.start() if notebook else len(html)

    def complete(tag: re.Match) -> str:
        name, attributes, end = tag.group(1).lower(), tag.group(2), tag.group(3)
        if name == "img":
            if _HAS_ALT.search(attributes):
                return tag.group(0)
            return f'<{tag.group(1)}{attributes} alt="{MISSING_ALT}"{end}>'
        found = _CLASS.search(attributes)
        classes = (found.group(1) or found.group(2) or "").split() if found else []
        if tag.start() <= notebook_starts or not any(focusable in classes for focusable in FOCUSABLE_CLASSES):
            return tag.group(0)
        return f'<{tag.group(1)}{_HAS_TABINDEX.sub("", attributes)} tabindex="0"{end}>'

    return _TAG.sub(complete, html)


class RememberedHighlight:
    """nbconvert's `highlight_code` filter (a Highlight2HTML), its results kept per process, the oldest dropped
    first past `size` entries. The key is all its result depends on: the source, the language asked for, the
    cell's magics language, the notebook's lexer and the formatter options."""

    _results: "OrderedDict[tuple, str]" = OrderedDict()
    size = 4096

    def __init__(self, highlight: Highlight2HTML) -> None:
        self.highlight = highlight

    def __call__(self, source: str, language: Optional[str] = None, metadata: Optional[dict] = None) -> str:
        key = (source, language, (metadata or {}).get("magics_language"), self.highlight.pygments_lexer,
               repr(sorted(self.highlight.extra_formatter_options.items())))
        results = RememberedHighlight._results
        if key in results:
            results.move_to_end(key)
            return results[key]
        html = results[key] = self.highlight(source, language, metadata)
        while len(results) > self.size:
            results.popitem(last=False)
        return html


class FeedbackHTMLExporter(HTMLExporter):
    """nbconvert's HTMLExporter (configured as `HTMLExporter` is), its templates compiled once per process."""

    def _create_environment(self) -> jinja2.Environment:
        environment = super()._create_environment()
        environment.bytecode_cache = _TEMPLATES
        return environment

    def from_notebook_node(self, nb: NotebookNode, resources: Optional[dict[str, Any]] = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        """HTMLExporter.from_notebook_node's filters and page, its attributes added by `accessible`."""
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        highlight: Callable = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        if type(highlight) is Highlight2HTML:  # not a filter of the instructor's own (it may not be a pure function)
            highlight = RememberedHighlight(highlight)
        self.register_filter("highlight_code", highlight)
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                   resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return accessible(html), resources
