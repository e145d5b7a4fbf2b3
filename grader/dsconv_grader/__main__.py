"""`python -m dsconv_grader`: the instructor's command (see dsconv_grader)."""

from .cli import main

raise SystemExit(main())
