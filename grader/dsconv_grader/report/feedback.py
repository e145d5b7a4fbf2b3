"""The students' feedback without the hidden tests' code or the grading machine's paths (nbgrader issue #917).

`nbgrader generate_feedback` renders the autograded notebook, whose test cells
hold the instructor's source, hidden tests included, and whose error outputs
quote the lines around each failing line and name the grader's files. The
`StudentFeedback` step, listed in `GenerateFeedback.preprocessors` after
`GetGrades` (nbgrader_config.py), edits that rendered copy only:

- in the test cells (cells whose source nbgrader restores from the gradebook),
  each region between the hidden-test markers becomes one comment line;
- in error and stream outputs, a line that quotes hidden-test code is replaced
  by a short notice, and the grading machine's folders (the job's scratch and
  course folder, the Python installation, the repository checkout, the home
  folder) become a placeholder; the exception's type and message stay.

The student's own cells, the outputs' other lines and the cells' nbgrader
metadata (the scores `GetGrades` wrote) are kept as they are. The autograded
notebook on disk and the gradebook are not touched.
"""

from __future__ import annotations

import os
import re
import site
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Integer, List, Unicode

# A terminal colour or cursor code, as IPython writes around a traceback's parts.
ANSI_CODE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# The line number IPython puts before a quoted source line: "      3 ", "----> 5 ", "--> 23 ".
LINE_NUMBER = re.compile(r"^\s*(?:-*>\s*)?\d+ ?")
# A line Python prints under a quoted line to point at the failing part: "    ~~~^^^^".
POINTER_LINE = re.compile(r"^\s*[~^]+\s*$")
# Statements that say nothing about a test: a traceback or a print may show them freely.
BARE_STATEMENT = re.compile(r"^(?:pass|break|continue|return|raise|else:|try:|finally:|except:|except Exception:)$")
# Colour codes at the end of a text.
ANSI_BEFORE = re.compile(r"(?:\x1b\[[0-9;?]*[ -/]*[@-~])+$")
# A character that may continue a file or folder name.
NAME_CHAR = r"[\w.-]"


def strip_ansi(text: str) -> str:
    """`text` without its terminal colour codes."""
    return ANSI_CODE.sub("", text)


@dataclass
class Section:
    """A run of a cell's source lines, hidden tests (`hidden`, markers included) or not."""

    hidden: bool
    lines: list[str]


def split_hidden(source: str, begin: str, end: str) -> list[Section]:
    """`source` cut into visible and hidden sections at the lines that contain `begin` and `end`.

    A region with no end marker runs to the end of the source, and a begin marker
    inside a region continues it, so that malformed markers never show test code.
    """
    sections: list[Section] = []
    hidden = False
    for line in source.split("\n"):
        if begin in line:
            hidden = True
            is_hidden = True
        elif end in line:
            is_hidden, hidden = True, False
        else:
            is_hidden = hidden
        if sections and sections[-1].hidden == is_hidden:
            sections[-1].lines.append(line)
        else:
            sections.append(Section(is_hidden, [line]))
    return sections


def starts_path(text: str, index: int) -> bool:
    """Whether a path may begin at `text[index]`: not in the middle of a name (a colour code may precede it)."""
    before = ANSI_BEFORE.sub("", text[max(0, index - 64):index])
    return not before or not re.match(NAME_CHAR + "|[~/]", before[-1])


def is_informative(line: str) -> bool:
    """Whether a stripped source line tells something about a test (not blank, not `)` or `else:`)."""
    return bool(re.search(r"\w", line)) and not BARE_STATEMENT.match(line)


class StudentFeedback(NbGraderPreprocessor):
    """Removes the hidden tests' code and the grading machine's paths from the notebook rendered as feedback.

    The hidden-test markers are those of `ClearHiddenTests` (its
    `begin_test_delimeter` and `end_test_delimeter`). Hidden regions are removed
    from the cells whose source nbgrader overwrites from the gradebook
    (`nbgrader.utils.is_locked`: the test cells and the locked cells), never
    from a cell the student wrote. `ClearHiddenTests.enforce_metadata` has no
    part here: with it, only grade cells can hold hidden tests, and without it
    a region in an unlocked cell was removed from the release, so that an
    unlocked cell of the autograded notebook is always the student's.
    """

    hidden_tests_notice = Unicode(
        "# (hidden tests: run when graded; their code is not shown)",
        help="The comment line that replaces each hidden-test region of a test cell (indented as its marker)",
    ).tag(config=True)

    quoted_code_notice = Unicode(
        "    (hidden test code, not shown)",
        help="The line that replaces each run of lines of an output that quote hidden-test code ('' drops them)",
    ).tag(config=True)

    path_placeholder = Unicode(
        "<grader>",
        help="What the grading machine's folders are replaced with in the outputs",
    ).tag(config=True)

    hidden_folders = List(
        Unicode(),
        help="More absolute folders to hide in the outputs, besides the course folder, the job's scratch folders, "
             "the Python installation, the repository checkout and the home folder",
    ).tag(config=True)

    scratch_pattern = Unicode(
        r"(?:/[^/\s'\"\x1b:]+){0,12}/dsconv-(?:job|verdict)-[^/\s'\"\x1b:]*",
        help="A regular expression for a grading job's scratch folder (job.grade_job) and the trusted kernel's folder "
             "(execution.execute.TwoProcessExecute)",
    ).tag(config=True)

    quote_min_chars = Integer(
        16,
        help="A hidden-test line at least this long is recognised inside a longer output line, "
             "a shorter one only as a whole line",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        """Reads the markers, the hidden-test lines of the whole notebook and the folders to hide, then each cell."""
        markers = ClearHiddenTests(parent=self)
        self._begin = markers.begin_test_delimeter
        self._end = markers.end_test_delimeter
        self._hidden_lines = self._hidden_test_lines(nb)
        self._long_hidden_lines = [line for line in self._hidden_lines if len(line) >= self.quote_min_chars]
        self._folders = self._folder_pattern(self._grader_folders(resources))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        """A test cell loses its hidden regions; every cell's error and stream outputs are cleaned."""
        if self._is_test_source(cell):
            cell.source = self._without_hidden_tests(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                self._clean_error(output)
            elif output.get("output_type") == "stream":
                output.text = self._hide_folders(self._without_quotes(output.text))
            elif "text/plain" in output.get("data", {}):  # a result or display: its text form names paths too
                output.data["text/plain"] = self._hide_folders(str(output.data["text/plain"]))
        return cell, resources

    # -- test cells

    @staticmethod
    def _is_test_source(cell: NotebookNode) -> bool:
        """Whether nbgrader restored the cell's source from the gradebook (so it may hold hidden tests)."""
        return utils.is_locked(cell)

    def _without_hidden_tests(self, source: str) -> str:
        """`source` with each hidden region replaced by the notice, indented as the region's first line."""
        lines = []
        for section in split_hidden(source, self._begin, self._end):
            if not section.hidden:
                lines += section.lines
            elif self.hidden_tests_notice:
                first = section.lines[0]
                lines.append(first[:len(first) - len(first.lstrip())] + self.hidden_tests_notice)
        return "\n".join(lines)

    def _hidden_test_lines(self, nb: NotebookNode) -> set[str]:
        """The informative lines of the notebook's hidden tests, less those the student sees anyway."""
        hidden: set[str] = set()
        shown: set[str] = set()
        for cell in nb.cells:
            if self._is_test_source(cell):
                for section in split_hidden(cell.source, self._begin, self._end):
                    (hidden if section.hidden else shown).update(line.strip() for line in section.lines)
            else:
                shown.update(line.strip() for line in cell.source.split("\n"))
        return {line for line in hidden - shown if is_informative(line)}

    # -- outputs

    def _clean_error(self, output: NotebookNode) -> None:
        """An error output without quoted hidden-test lines or the grader's folders; type and message kept."""
        ename = str(output.get("ename", ""))
        entries = []
        for entry in output.get("traceback", []):
            if not self._states_exception(strip_ansi(str(entry)), ename):
                entry = self._without_quotes(str(entry))
            entries.append(self._hide_folders(str(entry)))
        output.traceback = entries
        if "evalue" in output:
            output.evalue = self._hide_folders(str(output.evalue))

    @staticmethod
    def _states_exception(plain: str, ename: str) -> bool:
        """Whether a traceback entry is the exception's own line, "<type>: <message>" (kept whole)."""
        return bool(ename) and (plain.startswith(ename + ":") or plain.strip() == ename)

    def _quotes_hidden_test(self, plain: str) -> bool:
        """Whether an output line (colour codes stripped) is a marker or a line of hidden-test code."""
        text = plain.strip()
        if not text:
            return False
        if self._begin in plain or self._end in plain:
            return True
        code = LINE_NUMBER.sub("", plain, count=1).strip()
        if text in self._hidden_lines or code in self._hidden_lines:
            return True
        return any(line in plain for line in self._long_hidden_lines)

    def _without_quotes(self, text: str) -> str:
        """`text` with each run of lines that quote hidden tests (and Python's pointer lines under them)
        replaced by one notice line."""
        if not self._hidden_lines and self._begin not in text and self._end not in text:
            return text
        kept: list[str] = []
        dropping = False
        for line in text.splitlines(keepends=True):
            plain = strip_ansi(line)
            if self._quotes_hidden_test(plain) or (dropping and POINTER_LINE.match(plain)):
                if not dropping and self.quoted_code_notice:
                    kept.append(self.quoted_code_notice + line[len(line.rstrip("\r\n")):])
                dropping = True
            else:
                kept.append(line)
                dropping = False
        if kept and dropping and self.quoted_code_notice and not text.endswith(("\n", "\r")):
            kept[-1] = kept[-1].rstrip("\r\n")
        return "".join(kept)

    def _grader_folders(self, resources: ResourcesDict) -> list[str]:
        """The absolute folders of the grading machine that outputs must not show."""
        folders = list(self.hidden_folders)
        course_root = self.config.CourseDirectory.get("root")
        folders.append(str(course_root) if course_root else os.getcwd())
        db_url = str(resources.get("nbgrader", {}).get("db_url", ""))
        if db_url.startswith("sqlite:///"):
            folders.append(str(Path(db_url[len("sqlite:///"):]).parent))
        folders += [sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), site.getusersitepackages()]
        folders += [path for key, path in sysconfig.get_paths().items()
                    if key in ("stdlib", "platstdlib", "purelib", "platlib")]
        import dsconv_grader
        import dsconv_lib

        # Where the library and the grader lie: the repository checkout (and its grader/), or site-packages.
        folders += [str(Path(package.__file__).resolve().parents[1]) for package in (dsconv_lib, dsconv_grader)]
        folders.append(str(Path.home()))
        return folders

    def _folder_pattern(self, folders: Iterable[str]) -> "re.Pattern[str]":
        """One pattern for `folders` (as written, resolved and in IPython's ~ form) and the scratch folders."""
        forms = set()
        home = os.path.expanduser("~")
        for folder in folders:
            for form in {os.path.normpath(folder), os.path.realpath(folder)}:
                if form in ("", os.sep, "."):
                    continue
                forms.add(form)
                if form.startswith(home + os.sep) and home != os.sep:
                    forms.add("~" + form[len(home):])
        alternatives = [re.escape(form) for form in sorted(forms, key=len, reverse=True)]
        alternatives.append(f"(?:{self.scratch_pattern})")
        return re.compile(rf"(?:{'|'.join(alternatives)})(?!{NAME_CHAR})")

    def _hide_folders(self, text: str) -> str:
        """`text` with the grading machine's folders replaced by the placeholder (the rest of each path kept)."""
        pattern: Optional[re.Pattern[str]] = getattr(self, "_folders", None)
        if pattern is None:
            return text

        def replace(match: "re.Match[str]") -> str:
            return self.path_placeholder if starts_path(text, match.start()) else match.group()

        return pattern.sub(replace, text)
