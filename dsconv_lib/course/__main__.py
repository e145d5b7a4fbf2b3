"""`python -m dsconv_lib.course`: the instructor's command (see dsconv_lib.course)."""

from .cli import main

raise SystemExit(main())
