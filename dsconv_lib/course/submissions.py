"""Submissions as an LMS hands them out: which file is whose, for which assignment.

The mapping from a file to (student id, assignment id), for every `*.ipynb`
in the submissions folder or .zip (other files, `__MACOSX/` and
`.ipynb_checkpoints/` are skipped):

1. The file name loses ".ipynb", any leading "Copy of " (Colab's "Save a copy")
   and any trailing " (1)", " (2)"... (a browser's repeated download). A
   Canvas bulk download, `<name>[_LATE]_<user id>_<submission id>_<file>`
   ("smithjane_LATE_4711_90210_ex03-1.ipynb"), gives the student
   "<name>_<user id>" ("smithjane_4711") and the file name that follows, whose
   "-1", "-2"... (Canvas's resubmission number) counts as the copy number.
2. The assignment is the first word of the name that is an assignment id, one
   folder of solutions/ (e.g. "ex01"), matched case-insensitively and standing
   alone or joined by "_", "-", " " or "." ("alice_ex01", "ex01-alice" and
   "alice_ex01_standard_convolution" all name ex01).
3. The student id is what comes before it ("alice_ex01" -> "alice"). When
   nothing does ("ex01.ipynb", "Copy of ex01.ipynb"), it is the name of the
   folder that holds the file: a per-student folder, as LMS exports make them
   ("alice/ex01.ipynb"; Moodle's "Alice Smith_123_assignsubmission_file_/"
   gives "Alice_Smith_123"). Characters other than letters, digits, ".", "_" and
   "-" become "_".
4. A file with no assignment id in its name, or no student, is reported as
   misnamed and not graded. Two files for the same student and assignment: the
   one with the higher copy number " (N)" is graded, then the newer one; the
   other is reported.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

COPY_OF = re.compile(r"^(copy of\s+)+", re.IGNORECASE)
COPY_NUMBER = re.compile(r"\s*\((\d+)\)\s*$")
CANVAS = re.compile(r"^(?P<name>[A-Za-z][^_]*)(?:_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
CANVAS_RESUBMISSION = re.compile(r"-(\d+)$")
MOODLE_SUFFIX = re.compile(r"_assignsubmission_\w*?_?$", re.IGNORECASE)
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SEPARATORS = " _-."
SKIPPED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


@dataclass
class Submission:
    """One notebook to grade: whose, for which assignment, and where it is."""

    student_id: str
    assignment_id: str
    path: Path  # a copy in the scratch folder (the original is never touched)
    original: str  # the name as handed in, relative to the submissions root
    copy_number: int = 0


@dataclass
class Collection:
    submissions: list[Submission] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, what is wrong)


def parse_name(relative: Path, assignment_ids: Iterable[str]) -> tuple[Optional[str], Optional[str], int]:
    """(student id, assignment id, copy number) from a path relative to the submissions root.

    >>> parse_name(Path("Copy of alice_ex01 (2).ipynb"), ["ex01"])
    ('alice', 'ex01', 2)
    >>> parse_name(Path("bob/ex01.ipynb"), ["ex01"])
    ('bob', 'ex01', 0)
    >>> parse_name(Path("smithjane_LATE_4711_90210_ex03-1.ipynb"), ["ex03"])
    ('smithjane_4711', 'ex03', 1)
    """
    stem = relative.name[: -len(".ipynb")] if relative.name.lower().endswith(".ipynb") else relative.stem
    stem = COPY_OF.sub("", stem.strip())
    copy_number = 0
    if match := COPY_NUMBER.search(stem):
        copy_number, stem = int(match.group(1)), stem[: match.start()]
    canvas_student = None
    if canvas := CANVAS.match(stem):
        canvas_student = f"{canvas.group('name')}_{canvas.group('user')}"
        stem = COPY_OF.sub("", canvas.group("file"))
        if resubmission := CANVAS_RESUBMISSION.search(stem):
            copy_number, stem = int(resubmission.group(1)), stem[: resubmission.start()]
    ids = sorted(assignment_ids, key=len, reverse=True)
    pattern = re.compile(
        r"(?:^|(?<=[ _.\-]))(" + "|".join(re.escape(a) for a in ids) + r")(?=$|[ _.\-])", re.IGNORECASE
    ) if ids else None
    match = pattern.search(stem) if pattern else None
    if match is None:
        return None, None, copy_number
    assignment = next(a for a in ids if a.lower() == match.group(1).lower())
    student = canvas_student or stem[: match.start()].strip(SEPARATORS)
    if not student:
        for folder in reversed(relative.parent.parts):
            candidate = MOODLE_SUFFIX.sub("", folder).strip(SEPARATORS)
            if candidate and candidate.lower() not in {a.lower() for a in ids}:
                student = candidate
                break
    student = UNSAFE.sub("_", student).strip("_") if student else ""
    return (student or None), assignment, copy_number


def collect(source: Path, scratch: Path, assignment_ids: Iterable[str]) -> Collection:
    """Copy the submissions (a folder or a .zip) into `scratch` and map each to a student and assignment.

    The originals are only read. Problems (misnamed files, duplicates) are
    returned with the file they concern, for the report.
    """
    assignment_ids = list(assignment_ids)
    incoming = scratch / "incoming"
    if incoming.exists():
        shutil.rmtree(incoming)
    incoming.mkdir(parents=True)
    if source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            archive.extractall(incoming)
    elif source.is_dir():
        shutil.copytree(source, incoming, dirs_exist_ok=True)
    elif source.is_file() and source.suffix == ".ipynb":
        shutil.copy2(source, incoming / source.name)
    else:
        raise FileNotFoundError(f"submissions must be a folder, a .zip or an .ipynb file; got {source}")

    collection = Collection()
    chosen: dict[tuple[str, str], Submission] = {}
    for path in sorted(incoming.rglob("*")):
        relative = path.relative_to(incoming)
        if not path.is_file() or SKIPPED_PARTS & set(relative.parts) or path.name.startswith("._"):
            continue
        if path.suffix.lower() != ".ipynb":
            collection.problems.append((relative.as_posix(), "not a notebook (.ipynb); skipped"))
            continue
        student, assignment, copy_number = parse_name(relative, assignment_ids)
        if assignment is None:
            collection.problems.append((relative.as_posix(), "misnamed: no assignment id "
                                        f"({', '.join(assignment_ids)}) in the file name; not graded"))
            continue
        if student is None:
            collection.problems.append((relative.as_posix(), "misnamed: no student id in the file name "
                                        "or its folder; not graded"))
            continue
        submission = Submission(student, assignment, path, relative.as_posix(), copy_number)
        key = (student, assignment)
        if key in chosen:
            keep, drop = sorted([chosen[key], submission], key=_recency, reverse=True)
            chosen[key] = keep
            collection.problems.append((drop.original, f"duplicate for {student}/{assignment}: "
                                        f"graded {keep.original!r} instead"))
        else:
            chosen[key] = submission
    collection.submissions = sorted(chosen.values(), key=lambda s: (s.assignment_id, s.student_id))
    return collection


def _recency(submission: Submission) -> tuple:
    return (submission.copy_number, submission.path.stat().st_mtime, submission.original)
