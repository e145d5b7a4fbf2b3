"""The students' feedback (dsconv_grader.report.feedback.StudentFeedback) shows no hidden test and no grader path.

The unit tests build small autograded notebooks with nbformat: a test cell with
hidden tests and an error output as IPython writes it (colour codes, numbered
source lines), whose traceback quotes hidden-test lines and names the job's
scratch folder, site-packages and the checkout. The last test grades a tiny
course with the real pipeline (`grade_job`: autograde, then nbgrader's
GenerateFeedback with the step) and reads the HTML.
"""

from __future__ import annotations

import copy
import json
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Optional

import nbformat
import pytest
from nbformat.notebooknode import NotebookNode
from traitlets.config import Config

pytest.importorskip("nbgrader")

from dsconv_grader.report.feedback import StudentFeedback, split_hidden, strip_ansi  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
SCRATCH = "/tmp/dsconv-job-abc/course"
MESSAGE = "case 'hidden random 3': expected 4, got 5"

VISIBLE = [
    "from dsconv_lib import cost",
    "assert add_one(1) == 2, 'add_one(1) should be 2'",
    'print("add_one: the visible cases pass")',
]
HIDDEN = [
    "_rng = np.random.default_rng(2101)",
    "n_cases = 5",  # shorter than quote_min_chars: recognised as a whole quoted line only
    "hidden = {f'hidden random {i}': int(_rng.integers(0, 9)) for i in range(n_cases)}",
    "for name, value in hidden.items():",
    "    check_case(name, add_one(value), value + 1)",
]
TEST_SOURCE = "\n".join([*VISIBLE, "### BEGIN HIDDEN TESTS", *HIDDEN, "### END HIDDEN TESTS", "print('done')"])
ANSWER_SOURCE = "def add_one(x):\n    result = x + 2\n    return result"


# ----------------------------------------------------------------------------- notebooks as nbgrader writes them


def nbgrader_meta(grade_id: str, grade: bool, solution: bool, locked: bool, score: Optional[float] = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = 2
    if score is not None:
        meta["score"] = score
    return {"nbgrader": meta}


def make_test_cell(source: str = TEST_SOURCE, outputs: Optional[list] = None) -> NotebookNode:
    """A test cell (locked grade cell), with its score as GetGrades writes it."""
    cell = nbformat.v4.new_code_cell(source, metadata=nbgrader_meta("test_add", True, False, True, score=0.0))
    cell.outputs = outputs or []
    return cell


def make_answer_cell(source: str = ANSWER_SOURCE, outputs: Optional[list] = None) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata=nbgrader_meta("answer", False, True, False))
    cell.outputs = outputs or []
    return cell


def notebook(*cells: NotebookNode) -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def ipython_frame(header: str, lines: dict[int, str], failing: int) -> str:
    """One traceback entry as IPython 9 writes it: the frame's header, then the numbered source lines."""
    quoted = []
    for number, line in lines.items():
        prefix = f"\x1b[32m----> \x1b[39m\x1b[32m{number}\x1b[39m" if number == failing else f"\x1b[32m{number:>7}\x1b[39m"
        quoted.append(f"{prefix} {line}\n")
    return header + "\n" + "".join(quoted)


def cell_frame() -> str:
    """The test cell's frame: IPython quotes the visible line before the hidden region, the markers and the
    hidden lines (the failing one highlighted)."""
    lines = {3: VISIBLE[2], 4: "\x1b[38;5;66;03m### BEGIN HIDDEN TESTS\x1b[39;00m"}
    lines.update({5 + i: line for i, line in enumerate(HIDDEN)})
    lines[9] = "    \x1b[30;43mcheck_case(name, add_one(value), value + 1)\x1b[39;49m"
    return ipython_frame("\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[2]\x1b[39m\x1b[32m, line 9\x1b[39m", lines, 9)


def file_frame(path: str, line: int, function: str, code: str) -> str:
    header = (f"\x1b[36mFile \x1b[39m\x1b[32m{path}:{line}\x1b[39m, in \x1b[36m{function}\x1b[39m"
              "\x1b[34m(name, got, expected)\x1b[39m")
    return ipython_frame(header, {line: code}, line)


def error_output(message: str = MESSAGE) -> NotebookNode:
    """An AssertionError raised in a helper of the course folder, called from a hidden test, through numpy."""
    traceback = [
        "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
        "\x1b[31mAssertionError\x1b[39m                            Traceback (most recent call last)",
        cell_frame(),
        file_frame(f"{SCRATCH}/autograded/alice/ex02/checks_local.py", 12, "check_case",
                   "np.testing.assert_equal(got, expected, err_msg=name)"),
        file_frame(f"{SITE_PACKAGES}/numpy/testing/_private/utils.py", 1034, "assert_equal",
                   "\x1b[38;5;28;01mraise\x1b[39;00m \x1b[38;5;167;01mAssertionError\x1b[39;00m(msg)"),
        f"\x1b[31mAssertionError\x1b[39m: {message}",
    ]
    return nbformat.v4.new_output("error", ename="AssertionError", evalue=message, traceback=traceback)


def run(nb: NotebookNode, config: Optional[Config] = None, db_url: str = f"sqlite:///{SCRATCH}/gradebook.db"
        ) -> NotebookNode:
    """The notebook after the step, as GenerateFeedback runs it (with the resources nbgrader passes)."""
    resources = {"nbgrader": {"student": "alice", "assignment": "ex02", "notebook": "ex02", "db_url": db_url}}
    result, _ = StudentFeedback(config=config or Config()).preprocess(nb, resources)
    return result


def plain_traceback(output: NotebookNode) -> str:
    return strip_ansi("\n".join(output.traceback))


def graded_notebook() -> NotebookNode:
    return notebook(make_answer_cell(), make_test_cell(outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="add_one: the visible cases pass\n"),
        error_output()]))


# ----------------------------------------------------------------------------- the test cells' source


def test_hidden_region_becomes_one_comment_and_the_visible_lines_stay():
    source = run(graded_notebook()).cells[1].source
    assert source.split("\n") == [*VISIBLE, "# (hidden tests: run when graded; their code is not shown)", "print('done')"]


def test_an_indented_region_keeps_its_indentation():
    nb = notebook(make_test_cell("for k in range(3):\n    ### BEGIN HIDDEN TESTS\n    check(k)\n    ### END HIDDEN TESTS\n"
                            "    print(k)"))
    assert run(nb).cells[0].source == (
        "for k in range(3):\n    # (hidden tests: run when graded; their code is not shown)\n    print(k)")


def test_a_region_without_its_end_marker_hides_the_rest_of_the_cell():
    nb = notebook(make_test_cell("check_visible()\n### BEGIN HIDDEN TESTS\nsecret_check(1)\nsecret_check(2)"))
    assert run(nb).cells[0].source == "check_visible()\n# (hidden tests: run when graded; their code is not shown)"


def test_the_markers_come_from_the_clear_hidden_tests_config():
    config = Config()
    config.ClearHiddenTests.begin_test_delimeter = "BEGIN SECRET"
    config.ClearHiddenTests.end_test_delimeter = "END SECRET"
    nb = notebook(make_test_cell("visible()\n# BEGIN SECRET\nsecret()\n# END SECRET\n### BEGIN HIDDEN TESTS"))
    assert run(nb, config).cells[0].source == (
        "visible()\n# (hidden tests: run when graded; their code is not shown)\n### BEGIN HIDDEN TESTS")


def test_the_notice_is_configurable():
    config = Config()
    config.StudentFeedback.hidden_tests_notice = "# more tests run when graded"
    assert "# more tests run when graded" in run(graded_notebook(), config).cells[1].source


def test_split_hidden_keeps_every_line_in_order():
    sections = split_hidden(TEST_SOURCE, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    assert [s.hidden for s in sections] == [False, True, False]
    assert "\n".join(line for s in sections for line in s.lines) == TEST_SOURCE
    assert sections[1].lines == ["### BEGIN HIDDEN TESTS", *HIDDEN, "### END HIDDEN TESTS"]


def test_a_students_own_cell_is_unchanged_even_with_marker_text():
    own = "# ### BEGIN HIDDEN TESTS is what the instructor writes\nx = 1\n### END HIDDEN TESTS"
    nb = notebook(make_answer_cell(own), nbformat.v4.new_markdown_cell("### BEGIN HIDDEN TESTS\nnotes"))
    result = run(copy.deepcopy(nb))
    assert [c.source for c in result.cells] == [c.source for c in nb.cells]


# ----------------------------------------------------------------------------- error outputs


def test_traceback_loses_the_quoted_hidden_lines_and_markers():
    text = plain_traceback(run(graded_notebook()).cells[1].outputs[1])
    for line in HIDDEN:
        assert line.strip() not in text
    assert "HIDDEN TESTS" not in text
    assert "(hidden test code, not shown)" in text


def test_traceback_keeps_the_visible_lines_the_frames_and_the_message():
    output = run(graded_notebook()).cells[1].outputs[1]
    text = plain_traceback(output)
    assert VISIBLE[2] in text  # the visible line IPython quotes before the region
    assert "np.testing.assert_equal(got, expected, err_msg=name)" in text  # the helper's own line
    assert "Cell In[2], line 9" in text and "in check_case(name, got, expected)" in text
    assert (output.ename, output.evalue) == ("AssertionError", MESSAGE)
    assert output.traceback[-1] == f"\x1b[31mAssertionError\x1b[39m: {MESSAGE}"


def test_the_exception_line_is_kept_whole_even_when_it_repeats_hidden_code():
    message = f"check failed: {HIDDEN[4].strip()}"  # a helper that names the failing expression
    nb = notebook(make_test_cell(outputs=[error_output(message)]))
    output = run(nb).cells[0].outputs[0]
    assert output.traceback[-1] == f"\x1b[31mAssertionError\x1b[39m: {message}"
    assert output.evalue == message


def test_traceback_paths_of_the_grader_become_the_placeholder():
    text = plain_traceback(run(graded_notebook()).cells[1].outputs[1])
    assert "dsconv-job-abc" not in text and SITE_PACKAGES not in text and "/tmp/" not in text
    assert "File <grader>/autograded/alice/ex02/checks_local.py:12" in text
    assert "File <grader>/numpy/testing/_private/utils.py:1034" in text


def test_a_scratch_folder_anywhere_is_hidden_even_when_the_course_root_is_not_configured():
    nb = notebook(make_test_cell(outputs=[error_output(f"no file {SCRATCH}/autograded/alice/ex02/data.npz")]))
    output = run(nb, db_url="sqlite:////somewhere/else/gradebook.db").cells[0].outputs[0]
    assert "dsconv-job" not in output.evalue + plain_traceback(output)
    assert output.evalue == "no file <grader>/course/autograded/alice/ex02/data.npz"


def test_checkout_prefix_home_and_configured_folders_are_hidden(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the checkout is hidden as the library's and the grader's home, not as the cwd
    config = Config()
    config.StudentFeedback.hidden_folders = ["/srv/grading", str(Path.home() / "dsconv-course-secret-folder")]
    config.StudentFeedback.path_placeholder = "<hidden>"
    home_form = "~/dsconv-course-secret-folder"  # IPython writes the home folder as ~
    text = "\n".join([f"File {ROOT}/dsconv_lib/checks.py:88", "File /srv/grading/x.py:1", f"File {home_form}/y.py:2",
                      "File \x1b[32m/srv/grading/z.py:3\x1b[39m", f"File {ROOT}/grader/dsconv_grader/job.py:9", ""])
    nb = notebook(make_test_cell(outputs=[nbformat.v4.new_output("stream", name="stderr", text=text)]))
    assert run(nb, config).cells[0].outputs[0].text == (
        "File <hidden>/dsconv_lib/checks.py:88\nFile <hidden>/x.py:1\nFile <hidden>/y.py:2\n"
        "File \x1b[32m<hidden>/z.py:3\x1b[39m\nFile <hidden>/dsconv_grader/job.py:9\n")


def test_a_path_that_only_starts_like_a_hidden_folder_is_kept():
    config = Config()
    config.StudentFeedback.hidden_folders = ["/srv/grading"]
    text = "/srv/grading2/a.py /data/srv/grading/b.py /srv/grading.bak/c.py\n"
    nb = notebook(make_answer_cell(outputs=[nbformat.v4.new_output("stream", name="stdout", text=text)]))
    assert run(nb, config).cells[0].outputs[0].text == text


def test_the_students_own_lines_stay_in_a_traceback_even_when_a_hidden_line_is_the_same():
    answer = "def add_one(x):\n    value = x + 2\n    return value / 0"
    shared = "for name, value in hidden.items():"  # a hidden line the student happens to write too
    frame = ipython_frame("Cell In[1], line 3, in add_one(x)", {2: "    value = x + 2", 3: "    return value / 0"}, 3)
    error = nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                   traceback=[cell_frame(), frame, "ZeroDivisionError: division by zero"])
    nb = notebook(make_answer_cell(answer + "\n" + shared), make_test_cell(outputs=[error]))
    text = plain_traceback(run(nb).cells[1].outputs[0])
    assert "value = x + 2" in text and "return value / 0" in text and shared in text
    assert "_rng = np.random.default_rng(2101)" not in text
    assert text.endswith("ZeroDivisionError: division by zero")


def test_a_hidden_line_quoted_by_a_later_cell_is_removed():
    frame = ipython_frame("Cell In[2], line 6", {6: "    " + HIDDEN[2].strip()}, 6)
    error = nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[frame, "KeyError: 'x'"])
    nb = notebook(make_test_cell(), make_answer_cell("hidden['x']", outputs=[error]))
    text = plain_traceback(run(nb).cells[1].outputs[0])
    assert HIDDEN[2] not in text and text.endswith("KeyError: 'x'")


# ----------------------------------------------------------------------------- stream outputs


def test_a_warning_on_stderr_loses_its_quoted_hidden_line_and_path():
    warning = (f"{SITE_PACKAGES}/numpy/_core/fromnumeric.py:3904: RuntimeWarning: Mean of empty slice.\n"
               f"  {HIDDEN[0]}\n")
    nb = notebook(make_test_cell(outputs=[nbformat.v4.new_output("stream", name="stderr", text=warning)]))
    assert run(nb).cells[0].outputs[0].text == (
        "<grader>/numpy/_core/fromnumeric.py:3904: RuntimeWarning: Mean of empty slice.\n"
        "    (hidden test code, not shown)\n")


def test_the_students_outputs_and_the_scores_are_unchanged():
    stdout = nbformat.v4.new_output("stream", name="stdout", text="x = 3\n)\nelse:\nhidden random 3\n")
    shown = nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=1)
    nb = notebook(make_answer_cell(outputs=[stdout, shown]), make_test_cell(outputs=[error_output()]))
    before = copy.deepcopy(nb)
    result = run(nb)
    assert result.cells[0] == before.cells[0]
    assert result.cells[1].metadata == before.cells[1].metadata
    assert result.cells[1].metadata["nbgrader"]["score"] == 0.0
    nbformat.validate(result)


def test_a_large_output_with_many_slashes_is_processed_quickly():
    text = "/a" * 200_000 + "\n" + ("x/" * 50 + " ") * 4000 + "\n"
    nb = notebook(make_answer_cell(outputs=[nbformat.v4.new_output("stream", name="stdout", text=text)]))
    started = time.perf_counter()
    assert run(nb).cells[0].outputs[0].text == text
    assert time.perf_counter() - started < 5


# ----------------------------------------------------------------------------- the real pipeline


TINY_TEST = "\n".join([
    "import os",
    "import numpy as np",
    "print('graded in', os.getcwd())",
    "assert add_one(1) == 2",
    "### BEGIN HIDDEN TESTS",
    "for case in range(5):",
    "    got = add_one(case)",
    "    np.testing.assert_equal(got, case + 1, err_msg=f'case {case!r}: the secret formula')",
    "### END HIDDEN TESTS",
])


def tiny_course(work: Path):
    """A course of one assignment, "tiny", with the repository's nbgrader config and the feedback step."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    from dsconv_grader.course import Course
    from dsconv_grader.repository import Limits, load_config

    source = work / "course" / "source" / "tiny"
    source.mkdir(parents=True)
    nb = notebook(nbformat.v4.new_code_cell("def add_one(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION",
                                            metadata=nbgrader_meta("answer", False, True, False)),
                  nbformat.v4.new_code_cell(TINY_TEST, metadata=nbgrader_meta("test_add", True, False, True)))
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, source / "tiny.ipynb")
    config = load_config(ROOT)
    config.GenerateFeedback.preprocessors = [GetGrades, StudentFeedback, CSSHTMLHeaderPreprocessor]
    limits = Limits(timeout=30, notebook_timeout=120, memory_mb=4096, output_kb=256)
    course = Course(work / "course", config, limits, {"tiny": ["tiny.ipynb"]})
    course.generate("tiny")
    return course


@pytest.mark.grading
def test_generate_feedback_html_has_no_hidden_tests_or_scratch_paths():
    from dsconv_grader.job import Job, grade_job

    with tempfile.TemporaryDirectory() as work:
        course = tiny_course(Path(work))
        student = nbformat.read(course.release_path("tiny", "tiny.ipynb"), as_version=4)
        student.cells[0].source = "def add_one(x):\n    return x + 1 if x < 3 else x"
        job = Job("alice", "tiny", "tiny.ipynb", "tiny.ipynb", nbformat.writes(student).encode(),
                  course.template("tiny"), course.plain_config(), course.limits)
        result = grade_job(job)

    assert result.status == "graded", result.problems
    assert (result.score, result.max_score) == (0.0, 2.0)
    autograded = json.loads(result.autograded)
    raw = json.dumps(autograded)
    # what it hides: the tests run in the trusted kernel's own folder
    assert "BEGIN HIDDEN TESTS" in raw and "dsconv-verdict-" in raw and "the secret formula" in raw
    html = result.feedback_html
    assert html and "Score: 0.0 / 2.0" in html
    assert "HIDDEN TESTS" not in html and "dsconv-verdict-" not in html and "for case in range(5)" not in html
    assert "np.testing.assert_equal(got, case + 1" not in html
    assert "(hidden tests: run when graded; their code is not shown)" in html
    assert "case 3: the secret formula" in html  # the message, which the student needs
    assert "graded in &lt;grader&gt;" in html and "AssertionError" in html
