"""Submissions as an LMS hands them out: copied, never followed, never read beyond their limits.

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

Which file is whose, and for which assignment: `names`.

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
from pathlib import Path, PurePosixPath
from typing import Iterable, Optional

from .names import Collection, assign
from .notebook import MAX_NOTEBOOK_BYTES

DRIVE = re.compile(r"^[A-Za-z]:")  # a Windows path in a zip member
SKIPPED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
MAX_ZIP_MEMBERS = 100_000
MAX_ZIP_BYTES = 2 * 2**30  # the notebooks extracted from one .zip, in all
SPECIAL_FILES = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket",
                 stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}
ZIP_READ_ERRORS = (RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError, zlib.error, OSError)



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
    assign(copied, assignment_ids, collection)
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
