"""Tables of figures, as fixed-width text and as HTML: the one table printer of the library and the book.

A table is a header and rows of cells. Cells are shown as given (format numbers
before, e.g. f"{macs:,}"), None as "-". Columns are aligned by `align`, one
character per column: "<" left, ">" right; by default the first column is left
and the others right, which suits a label followed by figures.

    >>> print(format_table(["layer", "MACs"], [["conv1", "10,838,016"], ["dw2", "3,612,672"]],
    ...                    total=["total", "14,450,688"], note="1 MAC = 2 FLOPs"))
    layer        MACs
    -----------------
    conv1  10,838,016
    dw2     3,612,672
    -----------------
    total  14,450,688
    1 MAC = 2 FLOPs
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Optional, Sequence

Cell = object  # shown with str(); None shows as "-"
Row = Sequence[Cell]


def _text(cell: Cell) -> str:
    return "-" if cell is None else str(cell)


def _alignment(align: Optional[str], columns: int) -> str:
    if align is None:
        return "<" + ">" * (columns - 1)
    if len(align) != columns or set(align) - {"<", ">"}:
        raise ValueError(f"align must be one '<' or '>' per column ({columns} columns), got {align!r}")
    return align


def _check_rows(header: Row, rows: Sequence[Row], total: Optional[Row]) -> None:
    for i, row in enumerate([*rows, *([total] if total is not None else [])]):
        if len(row) != len(header):
            where = "total" if total is not None and i == len(rows) else f"rows[{i}]"
            raise ValueError(f"{where} has {len(row)} cells, the header {len(header)}: {list(row)!r}")


@dataclass(frozen=True)
class Table:
    """A table of figures: an optional title, the header, the rows, an optional total row and note.

    `str(table)` is the fixed-width text (`text()`); in a notebook it displays as HTML (`html()`).
    """

    header: Row
    rows: Sequence[Row]
    align: Optional[str] = None
    total: Optional[Row] = None
    title: Optional[str] = None
    note: Optional[str] = None

    def __post_init__(self) -> None:
        _check_rows(self.header, self.rows, self.total)
        object.__setattr__(self, "align", _alignment(self.align, len(self.header)))

    def text(self) -> str:
        """Fixed-width text: the title line, the header, a rule, the rows, then (if given) a rule
        and the total row, and the note."""
        body = [*self.rows, *([self.total] if self.total is not None else [])]
        texts = [[_text(c) for c in row] for row in [self.header, *body]]
        widths = [max(len(row[i]) for row in texts) for i in range(len(self.header))]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(cells, self.align, widths)).rstrip()

        rule = "-" * len(line(texts[0]))
        lines = [self.title] if self.title else []
        lines += [line(texts[0]), rule, *(line(row) for row in texts[1:1 + len(self.rows)])]
        if self.total is not None:
            lines += [rule, line(texts[-1])]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def html(self) -> str:
        """HTML: the title as caption, the total row in <tfoot>, the note in small print below.
        Every cell is escaped."""
        side = {"<": "left", ">": "right"}

        def row_html(row: Row, tag: str) -> str:
            cells = "".join(f'<{tag} style="text-align:{side[a]}">{html.escape(_text(c))}</{tag}>'
                            for c, a in zip(row, self.align))
            return f"<tr>{cells}</tr>"

        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        body = "".join(row_html(row, "td") for row in self.rows)
        foot = f"<tfoot>{row_html(self.total, 'th')}</tfoot>" if self.total is not None else ""
        small = f"<p><small>{html.escape(self.note)}</small></p>" if self.note else ""
        return f"<table>{caption}<thead>{row_html(self.header, 'th')}</thead><tbody>{body}</tbody>{foot}</table>{small}"

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html()


def format_table(header: Row, rows: Sequence[Row], **options: Any) -> str:
    """`Table(header, rows, **options)` as fixed-width text (options: align, total, title, note)."""
    return Table(header, rows, **options).text()


def html_table(header: Row, rows: Sequence[Row], **options: Any) -> str:
    """`Table(header, rows, **options)` as HTML."""
    return Table(header, rows, **options).html()


def print_table(header: Row, rows: Sequence[Row], **options: Any) -> None:
    """Print `format_table(header, rows, **options)`."""
    print(format_table(header, rows, **options))
