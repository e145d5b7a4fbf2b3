"""Intake: which handed-in file is whose (`names`), what is read of it (`files`), and what it must be
before it is graded (`notebook`)."""

from .files import collect
from .names import Collection, Submission, parse, parse_name
from .notebook import MAX_NOTEBOOK_BYTES, check_submission

__all__ = ["Collection", "MAX_NOTEBOOK_BYTES", "Submission", "check_submission", "collect", "parse", "parse_name"]
