"""The feedback's HTML exporter: nbconvert's, with its Jinja templates compiled once per process.

nbgrader makes a new exporter for every notebook whose feedback it renders, and
each new exporter parses and compiles the same templates again (about a third
of a second, a quarter of the whole grading work in the grader's process).
`FeedbackHTMLExporter` gives every exporter of the process one shared bytecode
cache, keyed by template and checked against the template's source, so a
changed template is compiled again. The HTML is the same.

nbgrader_config.py: `c.GenerateFeedback.exporter_class = FeedbackHTMLExporter`.
"""

from __future__ import annotations

import jinja2
from nbconvert.exporters import HTMLExporter


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


class FeedbackHTMLExporter(HTMLExporter):
    """nbconvert's HTMLExporter (configured as `HTMLExporter` is), its templates compiled once per process."""

    def _create_environment(self) -> jinja2.Environment:
        environment = super()._create_environment()
        environment.bytecode_cache = _TEMPLATES
        return environment
