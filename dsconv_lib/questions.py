"""Check-your-understanding questions, with answers the library computes.

A chapter computes each answer with the library (a layer's MACs from
`dsconv_lib.cost`, a kernel's rank from `dsconv_lib.factorize`, ...) and writes
the question around it:

    macs = cost.conv(32, 64, 3, 56, padding=1).macs
    check_your_understanding(
        numeric_question("How many MACs ...?", macs, hint="...", solution=f"... = {macs:,}"),
        choice_question("Which roof bounds it?", ["memory", "compute"], "memory", hint="...", solution="..."),
    )

so a change in the library changes the answer. The reader types an answer (or
picks a choice); a wrong one brings the hint, and the worked answer is one
click away. In Jupyter and Colab the questions are ipywidgets; in the built book
(`widgets.static_mode()`) they are HTML with the answer as JSON, which the
book's script (`_static/dsconv.js`) checks in the page: nothing is sent anywhere.
"""

from __future__ import annotations

import html
import json
import math
import zlib
from dataclasses import dataclass
from numbers import Real
from typing import Optional, Sequence, Union

from .widgets import StaticView, static_mode

RIGHT = "Right."
WRONG = "Not yet."
NOT_A_NUMBER = "Type a number, such as 1234567, 1,234,567 or 1.23e6."
NO_CHOICE = "Pick one of the answers first."
# Characters a reader may put between digits: 1,234,567 / 1 234 567 / 1_234_567 / 1'234'567.
SEPARATORS = (",", "_", " ", "'", "\u00a0", "\u202f")


@dataclass(frozen=True)
class Question:
    """One question: its prompt, the right answer, a hint for after a wrong try and the worked answer.

    choices empty: the answer is a number, and a typed number within `tolerance`
    of it is right. Otherwise the answer is one of `choices`.
    """

    prompt: str
    answer: Union[float, str]
    hint: str
    solution: str
    choices: tuple[str, ...] = ()
    tolerance: float = 0.0
    precision: str = ""  # what precision the reader is asked for, said under the prompt

    def accepts(self, reply: str) -> bool:
        """True when `reply` (what the reader typed, or the choice picked) is right."""
        if self.choices:
            return reply == self.answer
        value = parse_number(reply)
        return value is not None and abs(value - float(self.answer)) <= self.tolerance

    def data(self) -> dict[str, object]:
        """What the book's script needs to check an answer in the page."""
        if self.choices:
            checked: dict[str, object] = {"kind": "choice", "answer": self.choices.index(str(self.answer))}
        else:
            checked = {"kind": "number", "answer": self.answer, "tolerance": self.tolerance}
        return {**checked, "right": RIGHT, "wrong": WRONG, "not_a_number": NOT_A_NUMBER, "no_choice": NO_CHOICE}


def parse_number(text: str) -> Optional[float]:
    """The number in `text`, digit separators allowed (1,234,567 or 1 234 567), or None."""
    cleaned = text.strip()
    for separator in SEPARATORS:
        cleaned = cleaned.replace(separator, "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _check_texts(**texts: object) -> None:
    for name, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{name} must be a non-empty string, got {text!r}")


def numeric_question(prompt: str, answer: Real, *, hint: str, solution: str,
                     rel_tol: float = 0.005, abs_tol: float = 0.0) -> Question:
    """A question whose answer is a number.

    A typed answer x is right when |x - answer| <= max(rel_tol * |answer|, abs_tol):
    the default rel_tol of 0.5% accepts an answer rounded to three significant
    digits. rel_tol = abs_tol = 0 asks for the exact number (for a rank or a count
    of layers). Digit separators are always accepted: 1,234,567 = 1234567.
    """
    _check_texts(prompt=prompt, hint=hint, solution=solution)
    if isinstance(answer, bool) or not isinstance(answer, Real) or not math.isfinite(float(answer)):
        raise ValueError(f"answer must be a finite number, got {answer!r}")
    for name, tol in (("rel_tol", rel_tol), ("abs_tol", abs_tol)):
        if isinstance(tol, bool) or not isinstance(tol, Real) or not 0 <= tol < 1e300:
            raise ValueError(f"{name} must be a number >= 0, got {tol!r}")
    value = int(answer) if float(answer).is_integer() and abs(answer) < 2**53 else float(answer)
    tolerance = max(rel_tol * abs(value), abs_tol)
    if tolerance == 0:
        precision = "Exact answer expected."
    elif abs_tol >= rel_tol * abs(value):
        precision = f"Answers within {abs_tol:g} of the exact value count."
    else:
        precision = f"Answers within {rel_tol:.1%} of the exact value count (round to {_digits(rel_tol)} significant digits)."
    if abs(value) >= 1000:
        precision += " Digit separators are fine: 1,234,567 = 1234567."
    return Question(prompt, value, hint, solution, tolerance=tolerance, precision=precision)


def _digits(rel_tol: float) -> int:
    """Significant digits whose rounding error (at most 5 units past the last one kept) stays within rel_tol."""
    return max(1, math.ceil(-math.log10(rel_tol / 5)) if rel_tol > 0 else 1)


def choice_question(prompt: str, choices: Sequence[str], answer: str, *, hint: str, solution: str) -> Question:
    """A question whose answer is one of `choices` (a computed one: e.g. the roof that bounds a layer)."""
    _check_texts(prompt=prompt, hint=hint, solution=solution)
    options = tuple(choices) if isinstance(choices, (list, tuple)) else ()
    if len(options) < 2 or len(set(options)) != len(options) or not all(isinstance(c, str) and c for c in options):
        raise ValueError(f"choices must be a list of at least two distinct non-empty strings, got {choices!r}")
    if answer not in options:
        raise ValueError(f"answer must be one of choices {list(options)}, got {answer!r}")
    return Question(prompt, answer, hint, solution, choices=options, precision="Pick one.")


def check_your_understanding(*questions: Question) -> object:
    """Show the questions: ipywidgets in Jupyter and Colab, HTML checked by the book's script in the built book."""
    if not questions or not all(isinstance(q, Question) for q in questions):
        raise ValueError(f"questions must be one or more Question (from numeric_question or choice_question), got {questions!r}")
    if static_mode():
        return StaticView("".join(_question_html(number, q) for number, q in enumerate(questions, 1)))
    import ipywidgets as widgets

    return widgets.VBox([_question_widget(number, q) for number, q in enumerate(questions, 1)])


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(part.strip())}</p>" for part in text.split("\n\n") if part.strip())


def _question_html(number: int, question: Question) -> str:
    data = json.dumps(question.data(), separators=(",", ":")).replace("</", "<\\/")
    if question.choices:
        group = zlib.crc32(question.prompt.encode("utf-8"))  # one radio group per question on the page
        reply = "".join(
            f'<label class="dsconv-choice"><input type="radio" name="dsconv-q{number}-{group}" value="{i}"> '
            f"{html.escape(choice)}</label>"
            for i, choice in enumerate(question.choices)
        )
    else:
        reply = f'<input type="text" inputmode="decimal" autocomplete="off" class="dsconv-answer" aria-label="your answer to question {number}">'
    return (
        f'<div class="dsconv-question" data-dsconv="question">'
        f'<script type="application/json" class="dsconv-data">{data}</script>'
        f'<p class="dsconv-prompt"><strong>Question {number}.</strong> {html.escape(question.prompt)}</p>'
        f'<p class="dsconv-precision">{html.escape(question.precision)}</p>'
        f'<div class="dsconv-reply">{reply}</div>'
        '<div class="dsconv-buttons"><button type="button" data-action="check">Check</button> '
        '<button type="button" data-action="solution">Show the worked answer</button></div>'
        '<p class="dsconv-verdict" role="status" aria-live="polite"></p>'
        f'<div class="dsconv-hint" hidden><p><strong>Hint.</strong> {html.escape(question.hint)}</p></div>'
        f'<div class="dsconv-solution" hidden>{_paragraphs(question.solution)}</div>'
        "</div>"
    )


def _question_widget(number: int, question: Question) -> object:
    import ipywidgets as widgets

    if question.choices:
        reply = widgets.RadioButtons(options=list(question.choices), value=None)
    else:
        reply = widgets.Text(placeholder="your answer")
    check = widgets.Button(description="Check")
    show = widgets.Button(description="Show the worked answer", layout=widgets.Layout(width="auto"))
    verdict = widgets.HTML()
    solution = widgets.HTML()

    def on_check(_: object) -> None:
        answer = reply.value
        if answer is None or (not question.choices and parse_number(answer) is None):
            verdict.value = html.escape(NO_CHOICE if question.choices else NOT_A_NUMBER)
        elif question.accepts(answer):
            verdict.value = f"<strong>{RIGHT}</strong>"
        else:
            verdict.value = f"<strong>{WRONG}</strong> <em>Hint.</em> {html.escape(question.hint)}"

    def on_show(_: object) -> None:
        solution.value = _paragraphs(question.solution)

    check.on_click(on_check)
    show.on_click(on_show)
    prompt = widgets.HTML(f"<p><strong>Question {number}.</strong> {html.escape(question.prompt)}<br>"
                          f"<em>{html.escape(question.precision)}</em></p>")
    return widgets.VBox([prompt, reply, widgets.HBox([check, show]), verdict, solution])
