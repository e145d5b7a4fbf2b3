"""A job's gradebook, written without waiting for the disk: it is thrown away with the job's scratch folder.

nbgrader commits to its gradebook some forty times while it autogrades one
notebook and renders its feedback, and by default SQLite waits at each commit
until the disk has the data (an fsync: 5 to 20 ms here, a second or so per
student in all). A job's gradebook lives in its scratch folder and is deleted
when the job ends, so a crash can lose nothing that matters:

    with disposable_gradebook(root / "gradebook.db"):
        course.autograde(...)            # every connection nbgrader opens to that file skips the fsyncs

Inside the block, a new SQLite connection to that very file gets
`synchronous = OFF` and keeps its rollback journal in memory. Any other
database (the class's gradebook, which `batch.GradebookRecorder` writes) keeps
SQLite's defaults.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterator

_FILES: set[str] = set()  # the gradebooks of the jobs running in this process
_LOCK = threading.Lock()


@contextlib.contextmanager
def disposable_gradebook(path: Path) -> Iterator[None]:
    """Within the block, SQLite connections to the database file `path` do not wait for the disk."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    name = os.path.realpath(path)
    with _LOCK:
        if not event.contains(Engine, "connect", _skip_fsync_if_disposable):
            event.listen(Engine, "connect", _skip_fsync_if_disposable)
        _FILES.add(name)
    try:
        yield
    finally:
        with _LOCK:
            _FILES.discard(name)


def _skip_fsync_if_disposable(dbapi_connection: Any, _record: Any) -> None:
    """SQLAlchemy's `connect` event, for every engine: only a disposable gradebook's connection is changed."""
    if not _FILES or not isinstance(dbapi_connection, sqlite3.Connection):
        return
    files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list") if row[1] == "main"]
    if files and files[0] and os.path.realpath(files[0]) in _FILES:
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA journal_mode = MEMORY")
