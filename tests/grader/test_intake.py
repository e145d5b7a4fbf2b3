"""The grader's intake: which handed-in files are read, and whose they are (no nbgrader run).

Real folders and zips are built in tmp_path: per-student LMS folders with a
file named after another student, symbolic links to the solutions, a FIFO and a
socket, a sparse 150 MiB file, zips with a link member, a "../" member, a
member that lies about its size. Each test checks what is graded, what is
reported, that nothing is written outside the scratch folder and that the
originals are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import uuid
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from dsconv_grader.intake import files
from dsconv_grader.intake import MAX_NOTEBOOK_BYTES, check_submission
from dsconv_grader.intake import collect, parse, parse_name

ROOT = Path(__file__).resolve().parents[2]
IDS = ["ex01", "ex02"]
NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
SOLUTION = json.dumps({"cells": [{"cell_type": "code", "source": "THE SOLUTION"}]})


@pytest.fixture(autouse=True)
def no_hang():
    """A test that blocks (on a FIFO, say) fails after 60 s instead of hanging the run."""
    def fail(signum, frame):
        raise TimeoutError("collect blocked: it opened something it should have refused")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under `folder`, links and special files included, without following any link."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            info = os.lstat(path)
            key = path.relative_to(folder).as_posix()
            if stat.S_ISLNK(info.st_mode):
                result[key] = "link to " + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                result[key] = f"{info.st_size} {info.st_mtime_ns} " + (
                    hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 2**20 else "")
            else:
                result[key] = f"mode {stat.S_IFMT(info.st_mode):o}"
    return result


def graded(collection) -> dict[tuple[str, str], str]:
    return {(s.student_id, s.assignment_id): s.original for s in collection.submissions}


def problems(collection) -> dict[str, str]:
    return {file: problem for file, problem in collection.problems}


def scratch_files(scratch: Path) -> dict[str, bytes]:
    return {p.relative_to(scratch).as_posix(): p.read_bytes() for p in scratch.rglob("*") if p.is_file()}


# ----------------------------------------------------------------------------- whose is it


@pytest.mark.parametrize("name, expected", [
    ("alice_ex01.ipynb", ("alice", "ex01", 0)),
    ("bob/alice_ex01.ipynb", ("bob", "ex01", 0)),
    ("bob/Copy of ex01 (1).ipynb", ("bob", "ex01", 1)),
    ("Bob Li_123_assignsubmission_file_/alice_ex01.ipynb", ("Bob_Li_123", "ex01", 0)),
    ("Bob Li_123_assignsubmission_file_/ex01/alice_ex01.ipynb", ("Bob_Li_123", "ex01", 0)),
    ("bob/work/ex01.ipynb", ("bob", "ex01", 0)),          # the outermost per-student folder
    ("ex01/alice_ex01.ipynb", ("alice", "ex01", 0)),      # a folder named just an assignment id is no student's
    ("EX01/bob/ex01.ipynb", ("bob", "ex01", 0)),
    ("smithjane_LATE_4711_90210_ex01-1.ipynb", ("smithjane_4711", "ex01", 1)),
    ("ex01/ex01.ipynb", (None, "ex01", 0)),
    ("bob/homework.ipynb", (None, None, 0)),
])
def test_the_lms_folder_decides_the_student(name, expected):
    assert parse_name(PurePosixPath(name), IDS) == expected


def test_parse_keeps_the_name_the_file_gives():
    assert parse(PurePosixPath("bob/alice_ex01.ipynb"), IDS) == ("alice", "bob", "ex01", 0)
    assert parse(PurePosixPath("alice_ex01.ipynb"), IDS).folder is None


def test_a_file_named_after_another_student_in_their_folder_is_theirs(tmp_path):
    batch = write(tmp_path / "batch", {"alice/ex01.ipynb": NOTEBOOK, "bob/ex01.ipynb": NOTEBOOK,
                                       "bob/alice_ex01 (3).ipynb": NOTEBOOK, "bob/alice_ex02.ipynb": NOTEBOOK})
    before = snapshot(batch)
    collection = collect(batch, tmp_path / "scratch", IDS)
    assert graded(collection) == {("alice", "ex01"): "alice/ex01.ipynb", ("bob", "ex01"): "bob/alice_ex01 (3).ipynb",
                                  ("bob", "ex02"): "bob/alice_ex02.ipynb"}
    reported = problems(collection)
    notes = {s.original: s.notes for s in collection.submissions}  # said of a file that is graded all the same
    assert notes["bob/alice_ex02.ipynb"] == ["file name names student 'alice' but it is in bob's folder; "
                                             "graded as bob's"]
    assert "graded as bob's" in notes["bob/alice_ex01 (3).ipynb"][0]
    assert reported == {"bob/ex01.ipynb": "duplicate for bob/ex01: graded 'bob/alice_ex01 (3).ipynb' instead"}
    assert notes["alice/ex01.ipynb"] == []
    assert snapshot(batch) == before


def test_a_moodle_folder_decides_and_its_own_name_is_no_problem(tmp_path):
    batch = write(tmp_path / "batch", {
        "Alice Smith_1_assignsubmission_file_/ex01.ipynb": NOTEBOOK,
        "Bob Li_2_assignsubmission_file_/alice_ex01.ipynb": NOTEBOOK,
        "Bob Li_2_assignsubmission_file_/Bob_Li_ex02.ipynb": NOTEBOOK,
    })
    collection = collect(batch, tmp_path / "scratch", IDS)
    assert graded(collection) == {
        ("Alice_Smith_1", "ex01"): "Alice Smith_1_assignsubmission_file_/ex01.ipynb",
        ("Bob_Li_2", "ex01"): "Bob Li_2_assignsubmission_file_/alice_ex01.ipynb",
        ("Bob_Li_2", "ex02"): "Bob Li_2_assignsubmission_file_/Bob_Li_ex02.ipynb",
    }
    assert collection.problems == []
    assert {s.original: s.notes for s in collection.submissions if s.notes} == {
        "Bob Li_2_assignsubmission_file_/alice_ex01.ipynb": [
            "file name names student 'alice' but it is in Bob_Li_2's folder; graded as Bob_Li_2's"]}


def test_honest_names_are_graded_as_before(tmp_path):
    batch = write(tmp_path / "batch", {
        "alice_ex01.ipynb": NOTEBOOK,
        "Copy of carol_ex01 (2).ipynb": NOTEBOOK,
        "bob/Copy of ex01.ipynb": NOTEBOOK,
        "smithjane_LATE_4711_90210_ex01-1.ipynb": NOTEBOOK,
        "Dan Wu_7_assignsubmission_file_/ex02.ipynb": NOTEBOOK,
        ".ipynb_checkpoints/alice_ex01-checkpoint.ipynb": NOTEBOOK,
        "bob/.ipynb_checkpoints/ex02-checkpoint.ipynb": NOTEBOOK,
        "__MACOSX/._alice_ex01.ipynb": "",
        "._alice_ex02.ipynb": "",
    })
    collection = collect(batch, tmp_path / "scratch", IDS)
    assert graded(collection) == {
        ("alice", "ex01"): "alice_ex01.ipynb", ("carol", "ex01"): "Copy of carol_ex01 (2).ipynb",
        ("bob", "ex01"): "bob/Copy of ex01.ipynb", ("smithjane_4711", "ex01"): "smithjane_LATE_4711_90210_ex01-1.ipynb",
        ("Dan_Wu_7", "ex02"): "Dan Wu_7_assignsubmission_file_/ex02.ipynb",
    }
    assert collection.problems == []
    for submission in collection.submissions:
        assert submission.path.read_text(encoding="utf-8") == NOTEBOOK
        assert submission.path.is_relative_to(tmp_path / "scratch")


@pytest.mark.parametrize("files, expected", [
    # a zipped folder of flat files, or of per-student folders: the wrapper is no student
    ({"submissions/alice_ex01.ipynb": NOTEBOOK, "submissions/bob_ex01.ipynb": NOTEBOOK},
     {("alice", "ex01"): "submissions/alice_ex01.ipynb", ("bob", "ex01"): "submissions/bob_ex01.ipynb"}),
    ({"Archive/submissions/alice/ex01.ipynb": NOTEBOOK, "Archive/submissions/bob_ex01.ipynb": NOTEBOOK},
     {("alice", "ex01"): "Archive/submissions/alice/ex01.ipynb", ("bob", "ex01"): "Archive/submissions/bob_ex01.ipynb"}),
    # one student's folder that needs its name keeps it, with the file named after another in it
    ({"bob/ex01.ipynb": NOTEBOOK}, {("bob", "ex01"): "bob/ex01.ipynb"}),
    ({"bob/ex01/ex01.ipynb": NOTEBOOK}, {("bob", "ex01"): "bob/ex01/ex01.ipynb"}),
    ({"bob/ex01.ipynb": NOTEBOOK, "bob/alice_ex02.ipynb": NOTEBOOK},
     {("bob", "ex01"): "bob/ex01.ipynb", ("bob", "ex02"): "bob/alice_ex02.ipynb"}),
    # a single Moodle folder is a student's
    ({"Bob Li_2_assignsubmission_file_/alice_ex01.ipynb": NOTEBOOK},
     {("Bob_Li_2", "ex01"): "Bob Li_2_assignsubmission_file_/alice_ex01.ipynb"}),
])
def test_a_zipped_folder_is_a_wrapper_not_a_student(tmp_path, files, expected):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    assert graded(collect(archive, tmp_path / "scratch", IDS)) == expected


# ----------------------------------------------------------------------------- links and special files


def test_symbolic_links_are_refused_and_never_followed(tmp_path, monkeypatch):
    solutions = write(tmp_path / "solutions", {"ex01/ex01.ipynb": SOLUTION, "notes.txt": "x"})
    batch = write(tmp_path / "batch", {"dave/ex01.ipynb": NOTEBOOK})
    os.symlink(solutions / "ex01" / "ex01.ipynb", batch / "alice_ex01.ipynb")
    os.symlink(solutions / "ex01", batch / "bob")                       # a linked folder
    os.symlink(solutions / "notes.txt", batch / "carol_notes")           # not named as a notebook
    os.symlink(tmp_path / "nowhere.ipynb", batch / "erin_ex01.ipynb")    # dangling
    os.symlink(solutions / "ex01" / "ex01.ipynb", batch / "dave" / "dave_ex02.ipynb")
    before = snapshot(batch)
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *args, **kwargs: opened.append(str(path)) or real_open(path, *args, **kwargs))

    collection = collect(batch, tmp_path / "scratch", IDS)

    assert graded(collection) == {("dave", "ex01"): "dave/ex01.ipynb"}
    reported = problems(collection)
    assert set(reported) == {"alice_ex01.ipynb", "bob", "carol_notes", "erin_ex01.ipynb", "dave/dave_ex02.ipynb"}
    for file, problem in reported.items():
        assert problem.startswith("a symbolic link to ") and "refused (links are never followed)" in problem, file
    assert str(solutions / "ex01" / "ex01.ipynb") in reported["alice_ex01.ipynb"]
    assert opened == [str(batch / "dave" / "ex01.ipynb")]
    assert all(b"THE SOLUTION" not in data for data in scratch_files(tmp_path / "scratch").values())
    assert snapshot(batch) == before


def test_the_submissions_root_may_be_a_link_the_instructor_gave(tmp_path):
    batch = write(tmp_path / "batch", {"alice_ex01.ipynb": NOTEBOOK})
    os.symlink(batch, tmp_path / "latest")
    assert graded(collect(tmp_path / "latest", tmp_path / "scratch", IDS)) == {("alice", "ex01"): "alice_ex01.ipynb"}


def test_fifos_and_sockets_are_refused_without_being_opened(tmp_path, monkeypatch):
    batch = write(tmp_path / "batch", {"alice_ex01.ipynb": NOTEBOOK})
    os.mkfifo(batch / "bob_ex01.ipynb")
    monkeypatch.chdir(batch)  # a socket's path is limited to about 100 characters
    server = socket.socket(socket.AF_UNIX)
    server.bind("carol_ex01.ipynb")
    try:
        collection = collect(batch, tmp_path / "scratch", IDS)
    finally:
        server.close()
    assert graded(collection) == {("alice", "ex01"): "alice_ex01.ipynb"}
    assert problems(collection) == {
        "bob_ex01.ipynb": "a FIFO (named pipe), not a regular file; refused: hand in the notebook file itself",
        "carol_ex01.ipynb": "a socket, not a regular file; refused: hand in the notebook file itself",
    }


# ----------------------------------------------------------------------------- sizes


def test_a_file_over_20_mib_is_reported_and_never_read(tmp_path, monkeypatch):
    batch = write(tmp_path / "batch", {"alice_ex01.ipynb": NOTEBOOK, "bob/ex01.ipynb": ""})
    with (batch / "bob" / "ex01.ipynb").open("r+b") as f:
        f.truncate(150 * 2**20)  # sparse: no disk used
    with (batch / "carol_ex01.ipynb").open("wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES)  # exactly the limit: read
    before = snapshot(batch)
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *args, **kwargs: opened.append(str(path)) or real_open(path, *args, **kwargs))

    collection = collect(batch, tmp_path / "scratch", IDS)

    assert graded(collection) == {("alice", "ex01"): "alice_ex01.ipynb", ("carol", "ex01"): "carol_ex01.ipynb"}
    assert collection.problems == [
        ("bob/ex01.ipynb", "file too large (150.0 MiB; a notebook is at most 20 MiB); not graded")]
    assert str(batch / "bob" / "ex01.ipynb") not in opened
    assert "incoming/bob/ex01.ipynb" not in scratch_files(tmp_path / "scratch")
    assert snapshot(batch) == before


def test_a_single_notebook_over_20_mib_is_reported(tmp_path):
    big = tmp_path / "alice_ex01.ipynb"
    with big.open("wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES + 1)
    collection = collect(big, tmp_path / "scratch", IDS)
    assert collection.submissions == []
    assert collection.problems == [("alice_ex01.ipynb", "file too large (20.0 MiB; a notebook is at most 20 MiB); "
                                    "not graded")]


def test_check_submission_keeps_its_own_size_limit():
    release = ROOT / "exercises" / "ex01" / "ex01.ipynb"
    notebook, found, reason = check_submission(b" " * (MAX_NOTEBOOK_BYTES + 1), release)
    assert notebook is None and reason == "file too large (20 MiB; a notebook is at most 20 MiB)"
    notebook, found, reason = check_submission(release.read_bytes(), release)
    assert reason is None and found == []


# ----------------------------------------------------------------------------- zips


def link_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_a_zip_with_links_special_files_and_paths_outside_is_refused_in_part(tmp_path):
    marker = f"evil-{uuid.uuid4().hex}"
    archive = tmp_path / "in" / "submissions.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("alice_ex01.ipynb", NOTEBOOK)
        z.writestr(link_member("bob_ex01.ipynb", "../../solutions/ex01/ex01.ipynb"), "../../solutions/ex01/ex01.ipynb")
        z.writestr(link_member("carol", "/home"), "/home")  # a linked folder
        fifo = zipfile.ZipInfo("dave_ex01.ipynb")
        fifo.create_system, fifo.external_attr = 3, (stat.S_IFIFO | 0o644) << 16
        z.writestr(fifo, "")
        z.writestr(f"../{marker}_ex01.ipynb", NOTEBOOK)
        z.writestr(f"erin/../../{marker}.ipynb", NOTEBOOK)
        z.writestr(f"/tmp/{marker}_ex02.ipynb", NOTEBOOK)
        z.writestr(f"..\\{marker}_ex02.ipynb", NOTEBOOK)
        windows = zipfile.ZipInfo("frank_ex02.ipynb")  # no Unix mode at all: a regular file
        windows.create_system, windows.external_attr = 0, 0x20
        z.writestr(windows, NOTEBOOK)
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    scratch = tmp_path / "a" / "b" / "scratch"

    collection = collect(archive, scratch, IDS)

    assert graded(collection) == {("alice", "ex01"): "alice_ex01.ipynb", ("frank", "ex02"): "frank_ex02.ipynb"}
    reported = problems(collection)
    assert reported["bob_ex01.ipynb"].startswith("a symbolic link; refused (links are never followed)")
    assert reported["carol"].startswith("a symbolic link; refused")
    assert reported["dave_ex01.ipynb"].startswith("a FIFO (named pipe), not a regular file; refused")
    for name in (f"../{marker}_ex01.ipynb", f"erin/../../{marker}.ipynb", f"/tmp/{marker}_ex02.ipynb",
                 f"..\\{marker}_ex02.ipynb"):
        assert reported[name] == (f"path {name!r} leads outside the submissions (absolute or with '..'); "
                                  "refused: an LMS never writes such a path")
    assert len(reported) == 7
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"in/submissions.zip", "a/b/scratch/incoming/alice_ex01.ipynb",
                       "a/b/scratch/incoming/frank_ex02.ipynb"}
    assert not list(Path("/tmp").glob(f"{marker}*")) and not list(Path.cwd().glob(f"*{marker}*"))
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before


def test_a_zip_member_over_20_mib_is_reported_by_its_declared_size(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("alice_ex01.ipynb", NOTEBOOK)
        z.writestr("bob_ex01.ipynb", b"\0" * (150 * 2**20))
    collection = collect(archive, tmp_path / "scratch", IDS)
    assert graded(collection) == {("alice", "ex01"): "alice_ex01.ipynb"}
    assert collection.problems == [
        ("bob_ex01.ipynb", "file too large (150.0 MiB; a notebook is at most 20 MiB); not graded")]
    assert set(scratch_files(tmp_path / "scratch")) == {"incoming/alice_ex01.ipynb"}


def lie_about_size(archive: Path, declared: int) -> None:
    """Set the (only) member's sizes in the local header and the central directory to `declared`."""
    data = bytearray(archive.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.rfind(b"PK\x01\x02")
    data[local + 22: local + 26] = declared.to_bytes(4, "little")
    data[central + 24: central + 28] = declared.to_bytes(4, "little")
    archive.write_bytes(bytes(data))


def test_a_zip_member_that_expands_beyond_its_declared_size_is_not_graded(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bob_ex01.ipynb", b"\0" * (MAX_NOTEBOOK_BYTES + 2**20))
    lie_about_size(archive, 1000)
    collection = collect(archive, tmp_path / "scratch", IDS)
    assert collection.submissions == []
    [(file, problem)] = collection.problems
    assert file == "bob_ex01.ipynb" and problem.startswith("cannot be read from the zip (Bad CRC-32")
    assert scratch_files(tmp_path / "scratch") == {}


def test_a_zip_member_is_read_no_further_than_the_limit(tmp_path):
    """Should a zip library hand out more than the declared size, reading stops at 20 MiB + 1 byte."""
    class Endless:
        read_sizes: list[int] = []

        def open(self, info):
            return self

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, size):
            self.read_sizes.append(size)
            return b"\0" * size

    info = zipfile.ZipInfo("bob_ex01.ipynb")
    info.file_size = 10
    refusal, size = files._extract_member(Endless(), info, tmp_path / "bob_ex01.ipynb")
    assert Endless.read_sizes == [MAX_NOTEBOOK_BYTES + 1] and size == MAX_NOTEBOOK_BYTES + 1
    assert refusal == ("file too large (more than 20 MiB once extracted, though the zip declares 10 bytes; "
                       "a notebook is at most 20 MiB); not graded")
    assert not (tmp_path / "bob_ex01.ipynb").exists()


def test_a_zip_is_bounded_in_members_and_in_total_size(tmp_path, monkeypatch):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for student in ("alice", "bob", "carol", "dave"):
            z.writestr(f"{student}_ex01.ipynb", NOTEBOOK)
    monkeypatch.setattr(files, "MAX_ZIP_MEMBERS", 3)
    collection = collect(archive, tmp_path / "scratch", IDS)
    assert [s.student_id for s in collection.submissions] == ["alice", "bob", "carol"]
    assert collection.problems == [("submissions.zip", "the zip has 4 members, more than 3; "
                                    "the 1 after the first 3 were not read")]

    monkeypatch.setattr(files, "MAX_ZIP_MEMBERS", 100)
    monkeypatch.setattr(files, "MAX_ZIP_BYTES", 2 * len(NOTEBOOK))
    collection = collect(archive, tmp_path / "scratch", IDS)
    assert [s.student_id for s in collection.submissions] == ["alice", "bob"]
    [(file, problem)] = collection.problems
    assert file == "carol_ex01.ipynb" and problem.startswith("the zip holds more than ")
    assert problem.endswith(" GiB of notebooks; this file and the ones after it in the zip were not extracted")
    assert set(scratch_files(tmp_path / "scratch")) == {"incoming/alice_ex01.ipynb", "incoming/bob_ex01.ipynb"}


def test_a_zip_keeps_the_newer_of_two_copies_by_its_own_dates(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo("bob/ex01.ipynb", date_time=(2024, 5, 2, 12, 0, 0)), NOTEBOOK)
        z.writestr(zipfile.ZipInfo("bob/bob_ex01.ipynb", date_time=(2024, 5, 1, 12, 0, 0)), NOTEBOOK)
        z.writestr(zipfile.ZipInfo("alice/ex01.ipynb", date_time=(2024, 5, 1, 12, 0, 0)), NOTEBOOK)
    collection = collect(archive, tmp_path / "scratch", IDS)
    assert graded(collection) == {("alice", "ex01"): "alice/ex01.ipynb", ("bob", "ex01"): "bob/ex01.ipynb"}
    assert collection.problems == [("bob/bob_ex01.ipynb", "duplicate for bob/ex01: graded 'bob/ex01.ipynb' instead")]


@pytest.mark.parametrize("swap, expected", [
    ("link", "cannot be read (Too many levels of symbolic links); not graded"),
    ("file", "changed while it was being read (replaced after it was listed); not graded"),
    ("fifo", "changed while it was being read (replaced after it was listed); not graded"),
])
def test_a_file_swapped_after_it_was_listed_is_not_read(tmp_path, monkeypatch, swap, expected):
    """Between the listing and the read, the notebook becomes a link to the solution, another file or a FIFO."""
    solution = write(tmp_path / "solutions", {"ex01.ipynb": SOLUTION}) / "ex01.ipynb"
    batch = write(tmp_path / "batch", {"alice_ex01.ipynb": NOTEBOOK, "bob_ex01.ipynb": NOTEBOOK})
    target = batch / "alice_ex01.ipynb"
    real_lstat = os.lstat

    def lstat_then_swap(path, *args, **kwargs):
        result = real_lstat(path, *args, **kwargs)
        if Path(path) == target and real_lstat(target).st_ino == result.st_ino and stat.S_ISREG(result.st_mode):
            replacement = tmp_path / "replacement"
            {"link": lambda: os.symlink(solution, replacement), "file": lambda: replacement.write_text(SOLUTION),
             "fifo": lambda: os.mkfifo(replacement)}[swap]()
            os.replace(replacement, target)
        return result

    monkeypatch.setattr(os, "lstat", lstat_then_swap)
    collection = collect(batch, tmp_path / "scratch", IDS)
    assert graded(collection) == {("bob", "ex01"): "bob_ex01.ipynb"}
    assert collection.problems == [("alice_ex01.ipynb", expected)]
    assert all(b"THE SOLUTION" not in data for data in scratch_files(tmp_path / "scratch").values())


def test_a_zip_with_two_members_of_one_name_grades_the_first(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("alice_ex01.ipynb", NOTEBOOK)
        z.writestr("alice_ex01.ipynb", SOLUTION)
    collection = collect(archive, tmp_path / "scratch", IDS)
    assert [s.path.read_text(encoding="utf-8") for s in collection.submissions] == [NOTEBOOK]
    assert collection.problems == [("alice_ex01.ipynb", "the zip holds a second file of this name; "
                                    "only the first is graded")]
