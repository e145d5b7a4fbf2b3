"""Submissions as an LMS hands them out: which file is whose, for which assignment.

What is read. `collect` copies the handed-in notebooks of a submissions folder
or .zip into a scratch folder (the originals are only ever read) and refuses,
with a line in the report, what it must not read:

- a symbolic link (to a file or a folder, in a folder or as a zip member): it
  is never followed, not even to see whether it is a notebook, since a link to
  the solutions would otherwise be graded as the student's work;
- a FIFO, a socket or a device: only regular files are read;
- a file over `MAX_NOTEBOOK_BYTES` (20 MiB), judged by its size on disk or the
  size the zip declares before anything is read, and read no further than that
  (a zip member that expands beyond its declared size is cut off there);
- a zip member with an absolute path or a ".." in it (nothing is written
  outside the scratch folder);
- in a .zip, the members after the first `MAX_ZIP_MEMBERS` (100,000), and the
  notebooks after the first `MAX_ZIP_BYTES` (2 GiB) extracted.

`__MACOSX/`, `.ipynb_checkpoints/` and "._*" files are skipped silently; other
files that are not `*.ipynb` are reported and skipped.

Whose, for which assignment. The mapping from a notebook to (student id,
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

Every refusal, misnamed file, duplicate and disagreeing name is returned in
`Collection.problems` as (file, what is wrong), the file relative to the root.
A folder is walked without following links, and each file is opened without
following one and checked, once open, to be the regular file that was listed.
(A folder swapped for a link while the walk is under way is not guarded
against: the submissions are the instructor's download, not the students'.)
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from typing import Iterable, NamedTuple, Optional

from .intake import MAX_NOTEBOOK_BYTES

COPY_OF = re.compile(r"^(copy of\s+)+", re.IGNORECASE)
COPY_NUMBER = re.compile(r"\s*\((\d+)\)\s*$")
CANVAS = re.compile(r"^(?P<name>[A-Za-z][^_]*)(?:_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
CANVAS_RESUBMISSION = re.compile(r"-(\d+)$")
MOODLE_SUFFIX = re.compile(r"_assignsubmission_\w*?_?$", re.IGNORECASE)
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
WORDS = re.compile(r"[a-z0-9]+")
DRIVE = re.compile(r"^[A-Za-z]:")
SEPARATORS = " _-."
SKIPPED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
MAX_ZIP_MEMBERS = 100_000
MAX_ZIP_BYTES = 2 * 2**30  # the notebooks extracted from one .zip, in all
SPECIAL_FILES = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket",
                 stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}
ZIP_READ_ERRORS = (RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError, zlib.error, OSError)


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


def collect(source: Path, scratch: Path, assignment_ids: Iterable[str]) -> Collection:
    """Copy the submissions (a folder, a .zip or one .ipynb) into `scratch` and map each to a student and assignment.

    The originals are only read. Links, special files and files over 20 MiB are
    not copied; they, misnamed files and duplicates are returned as problems
    with the file they concern, for the report.
    """
    assignment_ids = list(assignment_ids)
    source = Path(source).resolve()  # the path the instructor gave; nothing under it is resolved
    incoming = scratch / "incoming"
    if incoming.exists():
        shutil.rmtree(incoming)  # an earlier run's copies (rmtree removes links, never follows them)
    incoming.mkdir(parents=True)
    collection = Collection()
    if source.is_file() and zipfile.is_zipfile(source):
        copied = _extract_zip(source, incoming, collection.problems)
    elif source.is_dir():
        copied = _copy_folder(source, incoming, collection.problems)
    elif source.is_file() and source.suffix.lower() == ".ipynb":
        copied = _copy_files(source.parent, [PurePosixPath(source.name)], incoming, collection.problems)
    else:
        raise FileNotFoundError(f"submissions must be a folder, a .zip or an .ipynb file; got {source}")
    _assign(copied, assignment_ids, collection)
    collection.problems.sort()
    return collection


# ----------------------------------------------------------------------------- reading a folder


def _copy_folder(root: Path, incoming: Path, problems: list[tuple[str, str]]) -> list[tuple[str, Path]]:
    """Copy the notebooks under `root` into `incoming`, never following a link; [(original, copy)]."""
    notebooks: list[PurePosixPath] = []
    folders = [PurePosixPath()]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(root / folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            problems.append((folder.as_posix(), f"folder cannot be read ({error.strerror}); skipped"))
            continue
        for entry in entries:
            relative = folder / entry.name
            if entry.name in SKIPPED_PARTS or entry.name.startswith("._"):
                continue
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as error:
                problems.append((relative.as_posix(), f"cannot be read ({error.strerror}); not graded"))
                continue
            if stat.S_ISDIR(mode):
                folders.append(relative)
            elif refusal := _refusal(mode, root / relative) or _not_a_notebook(relative.name):
                problems.append((relative.as_posix(), refusal))
            else:
                notebooks.append(relative)
    return _copy_files(root, notebooks, incoming, problems)


def _copy_files(root: Path, notebooks: list[PurePosixPath], incoming: Path,
                problems: list[tuple[str, str]]) -> list[tuple[str, Path]]:
    """Copy each regular file `root/relative` to `incoming/relative` unless it is too large; [(original, copy)]."""
    copied = []
    for relative in sorted(notebooks):
        target = incoming / relative
        refusal = _copy_regular(root / relative, target)
        if refusal:
            problems.append((relative.as_posix(), refusal))
        else:
            copied.append((relative.as_posix(), target))
    return copied


def _copy_regular(path: Path, target: Path) -> Optional[str]:
    """Copy `path` to `target` if it is a regular file of at most 20 MiB; None, or why it was not copied.

    The file is opened without following a link (where the system can) and
    checked, on the open file, to be the regular file that was listed.
    """
    try:
        listed = os.lstat(path)
        if refusal := _refusal(listed.st_mode, path) or _too_large(listed.st_size):
            return refusal
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(path, flags), "rb") as original:
            opened = os.fstat(original.fileno())
            if not stat.S_ISREG(opened.st_mode) or not os.path.samestat(listed, opened):
                return "changed while it was being read (replaced after it was listed); not graded"
            data = original.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as error:
        return f"cannot be read ({error.strerror}); not graded"
    return _too_large(len(data)) or _write(target, data, opened.st_mtime)


# ----------------------------------------------------------------------------- reading a .zip


def _extract_zip(source: Path, incoming: Path, problems: list[tuple[str, str]]) -> list[tuple[str, Path]]:
    """Extract the notebooks of the .zip `source` into `incoming`, within the limits; [(original, copy)]."""
    copied = []
    extracted = 0
    with zipfile.ZipFile(source) as archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            problems.append((source.name, f"the zip has {len(members):,} members, more than {MAX_ZIP_MEMBERS:,}; "
                                          f"the {len(members) - MAX_ZIP_MEMBERS:,} after the first "
                                          f"{MAX_ZIP_MEMBERS:,} were not read"))
            members = members[:MAX_ZIP_MEMBERS]
        for info in members:
            relative = _member_path(info)
            if relative is None:
                continue
            refusal = _member_refusal(info, relative) or _too_large(info.file_size)
            if refusal:
                problems.append((relative or info.filename, refusal))
                continue
            if extracted + info.file_size > MAX_ZIP_BYTES:
                problems.append((relative, f"the zip holds more than {MAX_ZIP_BYTES / 2**30:g} GiB of notebooks; "
                                           "this file and the ones after it in the zip were not extracted"))
                break
            target = incoming / relative
            refusal, size = _extract_member(archive, info, target)
            extracted += size
            if refusal:
                problems.append((relative, refusal))
            else:
                copied.append((relative, target))
    return copied


def _member_path(info: zipfile.ZipInfo) -> Optional[str]:
    """The member's path as "a/b.ipynb" ("" for an absolute or ".." one); None for a folder or a skipped file."""
    name = info.filename.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    folder = name.endswith("/") or stat.S_ISDIR(info.external_attr >> 16)
    if not parts or folder or SKIPPED_PARTS & set(parts) or parts[-1].startswith("._"):
        return None
    if name.startswith("/") or DRIVE.match(name) or ".." in parts:
        return ""
    return "/".join(parts)


def _member_refusal(info: zipfile.ZipInfo, relative: str) -> Optional[str]:
    """Why a zip member is not extracted: a link or special file, a path outside the root, not a notebook."""
    mode = info.external_attr >> 16
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: made where files have no Unix mode
        return _refusal(mode)
    return _not_a_notebook(relative) if relative else _outside(info.filename)


def _outside(name: str) -> str:
    return (f"path {name!r} leads outside the submissions (absolute or with '..'); refused: "
            "an LMS never writes such a path")


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> tuple[Optional[str], int]:
    """(None, or why it was not extracted; the bytes read): at most 20 MiB, however much the member expands."""
    try:
        with archive.open(info) as member:
            data = member.read(MAX_NOTEBOOK_BYTES + 1)
    except ZIP_READ_ERRORS as error:
        return f"cannot be read from the zip ({error}); not graded", 0
    if len(data) > MAX_NOTEBOOK_BYTES:
        return (f"file too large (more than {MAX_NOTEBOOK_BYTES // 2**20} MiB once extracted, though the zip "
                f"declares {info.file_size:,} bytes; a notebook is at most {MAX_NOTEBOOK_BYTES // 2**20} MiB); "
                "not graded"), len(data)
    try:
        mtime = time.mktime(info.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        mtime = time.time()
    return _write(target, data, mtime), len(data)


# ----------------------------------------------------------------------------- shared


def _refusal(mode: int, path: Optional[Path] = None) -> Optional[str]:
    """Why a file of this mode is refused (None for a regular file); a link's target is named, never followed."""
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        try:
            target = f" to {os.readlink(path)!r}" if path is not None else ""
        except OSError:
            target = ""
        return (f"a symbolic link{target}; refused (links are never followed): hand in the notebook file itself")
    if kind not in (stat.S_IFREG, stat.S_IFDIR):
        what = SPECIAL_FILES.get(kind, f"a special file (mode {kind:#o})")
        return f"{what}, not a regular file; refused: hand in the notebook file itself"
    return None


def _not_a_notebook(name: str) -> Optional[str]:
    return None if name.lower().endswith(".ipynb") else "not a notebook (.ipynb); skipped"


def _too_large(size: int) -> Optional[str]:
    if size <= MAX_NOTEBOOK_BYTES:
        return None
    return (f"file too large ({size / 2**20:.1f} MiB; a notebook is at most {MAX_NOTEBOOK_BYTES // 2**20} MiB); "
            "not graded")


def _write(target: Path, data: bytes, mtime: float) -> Optional[str]:
    """Write a new scratch file with the original's modification time; None, or why it could not be."""
    if target.exists():
        return "the zip holds a second file of this name; only the first is graded"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as copy:
            copy.write(data)
        os.utime(target, (mtime, mtime))
    except OSError as error:
        return f"cannot be written to the scratch folder ({error.strerror}); not graded"
    return None


# ----------------------------------------------------------------------------- whose, for which assignment


def _assign(copied: list[tuple[str, Path]], assignment_ids: list[str], collection: Collection) -> None:
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
