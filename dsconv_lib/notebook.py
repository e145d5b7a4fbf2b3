"""What a book page (a notebook) needs from its surroundings, in the book's build and in Colab alike.

The book's subject matter lives elsewhere (shapes, reference, cost, nn, ...);
this module holds what only the pages need because they are pages, and
which must work where Jupyter Book is absent:

- `glue(name, value)` hands a computed value to the page's prose: a page writes
  {glue:text}`name:.2f` in Markdown and Jupyter Book (myst-nb) puts the number
  there when it builds the book. Outside the build there is nothing to glue
  into, so the call does nothing; the page's code cells print what they compute.

Every chapter imports it as `from dsconv_lib.notebook import glue`.
"""

from __future__ import annotations

from numbers import Number

import numpy as np


def glue(name: str, value: object, display: bool = False) -> None:
    """Record `value` under `name` for the book's prose (a no-op outside a Jupyter Book build).

    Numpy scalars are converted to Python numbers first (myst-nb formats those
    without warnings).
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab or plain Jupyter: no book to glue into
        return
    if isinstance(value, np.generic) and isinstance(value.item(), Number):
        value = value.item()
    myst_glue(name, value, display=display)
