"""Whose, for which assignment: a handed-in notebook's student and assignment, from its path.

The mapping from a notebook to (student id,
assignment id), for its path relative to the submissions root:

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
3. The LMS folder, when there is one, decides the student: a file inside a
   per-student folder (any folder under the root whose name is not just an
   assignment id) is that folder's student's, the outermost such folder's
   ("bob/ex01.ipynb" and "bob/ex01/ex01.ipynb" are bob's; Moodle's
   "Alice Smith_123_assignsubmission_file_/" gives "Alice_Smith_123"). A student
   can upload only into their own folder, so a file name there that names
   another student ("bob/alice_ex01.ipynb") is still bob's, and reported.
   A file outside any per-student folder is the student's its name gives: what
   comes before the assignment id ("alice_ex01" -> "alice"), or the Canvas
   student. Characters other than letters, digits, ".", "_" and "-" become "_".
4. A zipped folder is not a student's: while all the notebooks (with an
   assignment id) lie in one folder at the top, not a Moodle one, and every one
   of them would still have a student without it ("submissions/alice_ex01.ipynb",
   "submissions/alice/ex01.ipynb"), that folder is a wrapper and left out of
   the mapping. (A single "bob/ex01.ipynb" keeps its folder, as it needs it.)
5. A file with no assignment id in its name, or no student, is reported as
   misnamed and not graded. Two files for the same student and assignment: the
   one with the higher copy number " (N)" is graded, then the newer one; the
   other is reported.


Every misnamed file, duplicate and disagreeing name is returned in
`Collection.problems` as (file, what is wrong), the file relative to the root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from typing import Iterable, NamedTuple, Optional

COPY_OF = re.compile(r"^(copy of\s+)+", re.IGNORECASE)
COPY_NUMBER = re.compile(r"\s*\((\d+)\)\s*$")
CANVAS = re.compile(r"^(?P<name>[A-Za-z][^_]*)(?:_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
CANVAS_RESUBMISSION = re.compile(r"-(\d+)$")
MOODLE_SUFFIX = re.compile(r"_assignsubmission_\w*?_?$", re.IGNORECASE)
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
WORDS = re.compile(r"[a-z0-9]+")
SEPARATORS = " _-."


@dataclass
class Submission:
    """One notebook to grade: whose, for which assignment, and where it is."""

    student_id: str
    assignment_id: str
    path: Path  # a copy in the scratch folder (the original is never touched)
    original: str  # the name as handed in, relative to the submissions root
    copy_number: int = 0
    notes: list[str] = field(default_factory=list)  # what the report says of this file, which is graded


@dataclass
class Collection:
    submissions: list[Submission] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, what is wrong)


class Parsed(NamedTuple):
    """What a path says: the student its file name names, its per-student folder's, the assignment, the copy."""

    named: Optional[str]
    folder: Optional[str]
    assignment: Optional[str]
    copy_number: int

    @property
    def student(self) -> Optional[str]:
        """The folder decides when there is one; the file name otherwise."""
        return self.folder or self.named


def parse_name(relative: PurePath, assignment_ids: Iterable[str]) -> tuple[Optional[str], Optional[str], int]:
    """(student id, assignment id, copy number) from a path relative to the submissions root.

    >>> parse_name(Path("Copy of alice_ex01 (2).ipynb"), ["ex01"])
    ('alice', 'ex01', 2)
    >>> parse_name(Path("bob/ex01.ipynb"), ["ex01"])
    ('bob', 'ex01', 0)
    >>> parse_name(Path("smithjane_LATE_4711_90210_ex03-1.ipynb"), ["ex03"])
    ('smithjane_4711', 'ex03', 1)
    >>> parse_name(Path("bob/alice_ex01.ipynb"), ["ex01"])  # the LMS folder decides
    ('bob', 'ex01', 0)
    >>> parse_name(Path("Bob Li_123_assignsubmission_file_/ex01/alice_ex01.ipynb"), ["ex01"])
    ('Bob_Li_123', 'ex01', 0)
    """
    parsed = parse(relative, assignment_ids)
    return parsed.student, parsed.assignment, parsed.copy_number


def parse(relative: PurePath, assignment_ids: Iterable[str]) -> Parsed:
    """The student named in the file name and the per-student folder's, the assignment and the copy number.

    >>> parse(Path("bob/alice_ex01.ipynb"), ["ex01"])
    Parsed(named='alice', folder='bob', assignment='ex01', copy_number=0)
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
        return Parsed(None, None, None, copy_number)
    assignment = next(a for a in ids if a.lower() == match.group(1).lower())
    named = _safe(canvas_student or stem[: match.start()].strip(SEPARATORS))
    return Parsed(named, _folder_student(relative, ids), assignment, copy_number)


def _folder_student(relative: PurePath, assignment_ids: list[str]) -> Optional[str]:
    """The student of the outermost per-student folder holding the file (a folder not named just an assignment id)."""
    ids = {a.lower() for a in assignment_ids}
    for folder in relative.parent.parts:
        candidate = MOODLE_SUFFIX.sub("", folder).strip(SEPARATORS)
        if candidate and candidate.lower() not in ids:
            return _safe(candidate)
    return None


def _safe(student: str) -> Optional[str]:
    return UNSAFE.sub("_", student).strip("_") or None


def assign(copied: list[tuple[str, Path]], assignment_ids: list[str], collection: Collection) -> None:
    """Map each copied notebook to a student and an assignment; keep one per (student, assignment)."""
    depth = _wrapper_depth([PurePosixPath(original) for original, _ in copied], assignment_ids)
    chosen: dict[tuple[str, str], Submission] = {}
    for original, path in copied:
        parsed = parse(PurePosixPath(*PurePosixPath(original).parts[depth:]), assignment_ids)
        if parsed.assignment is None:
            collection.problems.append((original, "misnamed: no assignment id "
                                        f"({', '.join(assignment_ids)}) in the file name; not graded"))
            continue
        if parsed.student is None:
            collection.problems.append((original, "misnamed: no student id in the file name "
                                        "or its folder; not graded"))
            continue
        submission = Submission(parsed.student, parsed.assignment, path, original, parsed.copy_number)
        if parsed.folder and parsed.named and not _same_student(parsed.named, parsed.folder):
            submission.notes.append(f"file name names student {parsed.named!r} but it is in "
                                    f"{parsed.folder}'s folder; graded as {parsed.folder}'s")
        key = (parsed.student, parsed.assignment)
        if key in chosen:
            keep, drop = sorted([chosen[key], submission], key=_recency, reverse=True)
            chosen[key] = keep
            collection.problems.append((drop.original, f"duplicate for {parsed.student}/{parsed.assignment}: "
                                        f"graded {keep.original!r} instead"))
        else:
            chosen[key] = submission
    collection.submissions = sorted(chosen.values(), key=lambda s: (s.assignment_id, s.student_id))


def _wrapper_depth(paths: list[PurePosixPath], assignment_ids: list[str]) -> int:
    """How many folders at the top hold all the notebooks as a wrapper (a zipped folder), not as a student's."""
    paths = [p for p in paths if parse(p, assignment_ids).assignment]
    depth = 0
    while paths and all(len(p.parts) > depth + 1 for p in paths):
        tops = {p.parts[depth] for p in paths}
        if len(tops) > 1 or MOODLE_SUFFIX.search(tops.pop()):
            break
        if any(parse(PurePosixPath(*p.parts[depth + 1:]), assignment_ids).student is None for p in paths):
            break
        depth += 1
    return depth


def _same_student(named: str, folder: str) -> bool:
    """Whether a file name's student is the folder's ("Bob_Li" in "Bob_Li_123"): its words are among the folder's."""
    return set(WORDS.findall(named.lower())) <= set(WORDS.findall(folder.lower()))


def _recency(submission: Submission) -> tuple:
    return (submission.copy_number, submission.path.stat().st_mtime, submission.original)
