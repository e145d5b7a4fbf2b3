"""dsconv_lib.questions: questions with library-computed answers, fair tolerances, and errors that explain."""

from __future__ import annotations

import json
import re

import pytest

from dsconv_lib import cost, questions
from dsconv_lib.questions import check_your_understanding, choice_question, numeric_question


def macs_question(**tolerances: float) -> questions.Question:
    macs = cost.conv(32, 64, 3, 56, padding=1).macs
    return numeric_question("MACs?", macs, hint="count the dot products", solution=f"{macs:,}", **tolerances)


@pytest.mark.parametrize("reply, right", [
    ("57802752", True), ("57,802,752", True), (" 57 802 752 ", True), ("57_802_752", True), ("5.78e7", True),
    ("57800000", True), ("5.7e7", False), ("115605504", False), ("lots", False), ("", False), ("nan", False),
])
def test_numeric_answers_with_separators_and_rounding(reply, right):
    assert macs_question().accepts(reply) is right


def test_exact_answers_and_absolute_tolerance():
    exact = numeric_question("rank?", 2, rel_tol=0, hint="h", solution="s")
    assert exact.accepts("2") and not exact.accepts("2.1") and exact.precision.startswith("Exact answer expected.")
    error = numeric_question("error?", 0.1005, abs_tol=0.005, hint="h", solution="s")
    assert error.accepts("0.10") and not error.accepts("0.2")
    assert "within 0.005" in error.precision


def test_the_precision_is_said_under_the_prompt(monkeypatch):
    monkeypatch.setenv("DSCONV_STATIC_WIDGETS", "1")
    question = macs_question()
    assert "within 0.5%" in question.precision and "3 significant digits" in question.precision
    assert "1,234,567 = 1234567" in question.precision
    assert question.precision in check_your_understanding_html(question)


def check_your_understanding_html(*items: questions.Question) -> str:
    return check_your_understanding(*items)._repr_html_()


def test_choice_questions():
    question = choice_question("Which roof?", ["memory", "compute"], "memory", hint="h", solution="s")
    assert question.accepts("memory") and not question.accepts("compute")
    assert question.data()["answer"] == 0


def test_static_html_embeds_the_computed_answer_hint_and_solution(monkeypatch):
    monkeypatch.setenv("DSCONV_STATIC_WIDGETS", "1")
    numeric = macs_question()
    choice = choice_question("Which <roof>?", ["memory", "compute"], "compute", hint="ridge", solution="a\n\nb")
    page = check_your_understanding_html(numeric, choice)
    data = [json.loads(m) for m in re.findall(r'class="dsconv-data">(.*?)</script>', page)]
    assert data[0]["answer"] == cost.conv(32, 64, 3, 56, padding=1).macs
    assert data[0]["tolerance"] == pytest.approx(0.005 * data[0]["answer"])
    assert data[1]["kind"] == "choice" and data[1]["answer"] == 1
    assert "Question 1." in page and "Question 2." in page and "Which &lt;roof&gt;?" in page
    assert '<div class="dsconv-hint" hidden><p><strong>Hint.</strong> ridge</p></div>' in page
    assert '<div class="dsconv-solution" hidden><p>a</p><p>b</p></div>' in page


def test_live_questions_are_widgets(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    monkeypatch.delenv("DSCONV_STATIC_WIDGETS", raising=False)
    box = check_your_understanding(macs_question())
    assert isinstance(box, ipywidgets.VBox)
    question = box.children[0]
    reply, buttons, verdict = question.children[1], question.children[2], question.children[3]
    reply.value = "1"
    buttons.children[0].click()
    assert "Not yet." in verdict.value and "count the dot products" in verdict.value
    reply.value = "57,802,752"
    buttons.children[0].click()
    assert "Right." in verdict.value


@pytest.mark.parametrize("call, message", [
    (lambda: numeric_question("q", "12", hint="h", solution="s"), r"answer must be a finite number, got '12'"),
    (lambda: numeric_question("q", float("inf"), hint="h", solution="s"), r"answer must be a finite number, got inf"),
    (lambda: numeric_question("q", 1, hint="h", solution="s", rel_tol=-1), r"rel_tol must be a number >= 0, got -1"),
    (lambda: numeric_question("", 1, hint="h", solution="s"), r"prompt must be a non-empty string, got ''"),
    (lambda: numeric_question("q", 1, hint=None, solution="s"), r"hint must be a non-empty string, got None"),
    (lambda: choice_question("q", ["a"], "a", hint="h", solution="s"), r"choices must be a list of at least two"),
    (lambda: choice_question("q", ["a", "b"], "c", hint="h", solution="s"), r"answer must be one of choices \['a', 'b'\], got 'c'"),
    (lambda: check_your_understanding(), r"questions must be one or more Question"),
    (lambda: check_your_understanding("What?"), r"questions must be one or more Question .*got \('What\?',\)"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
