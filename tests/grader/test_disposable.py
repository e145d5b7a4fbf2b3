"""A job's gradebook skips SQLite's fsyncs (dsconv_grader.disposable); every other database keeps them."""

from __future__ import annotations

from pathlib import Path

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")

from dsconv_grader.disposable import disposable_gradebook  # noqa: E402


def settings(path: Path) -> tuple[int, str]:
    """(synchronous, journal_mode) of a new SQLAlchemy connection to the SQLite file `path`."""
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        engine.dispose()
    return synchronous, journal.lower()


def test_only_the_disposable_file_and_only_inside_the_block(tmp_path):
    job, other = tmp_path / "job" / "gradebook.db", tmp_path / "class" / "gradebook.db"
    job.parent.mkdir()
    other.parent.mkdir()
    defaults = settings(job)
    assert defaults[0] != 0 and defaults[1] != "memory"  # the check below could fail

    with disposable_gradebook(tmp_path / "job" / ".." / "job" / "gradebook.db"):  # the same file, named otherwise
        assert settings(job) == (0, "memory")
        assert settings(other) == defaults
    assert settings(job) == defaults


def test_a_job_that_fails_in_the_block_leaves_the_file_as_it_was(tmp_path):
    job = tmp_path / "gradebook.db"
    defaults = settings(job)
    with pytest.raises(RuntimeError):
        with disposable_gradebook(job):
            raise RuntimeError("the job failed")
    assert settings(job) == defaults
