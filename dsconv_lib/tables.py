"""Tables of figures, as fixed-width text and as HTML: the one printer of the library and the book.

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
from typing import Optional, Sequence

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


def format_table(
    header: Row,
    rows: Sequence[Row],
    *,
    align: Optional[str] = None,
    total: Optional[Row] = None,
    title: Optional[str] = None,
    note: Optional[str] = None,
) -> str:
    """The table as fixed-width text: an optional title line, the header, a rule, the rows,
    then (if given) a rule and the total row, and the note."""
    _check_rows(header, rows, total)
    alignment = _alignment(align, len(header))
    texts = [[_text(c) for c in row] for row in [header, *rows, *([total] if total is not None else [])]]
    widths = [max(len(row[i]) for row in texts) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(cells, alignment, widths)).rstrip()

    rule = "-" * len(line(texts[0]))
    lines = [title] if title else []
    lines += [line(texts[0]), rule, *(line(row) for row in texts[1:1 + len(rows)])]
    if total is not None:
        lines += [rule, line(texts[-1])]
    if note:
        lines.append(note)
    return "\n".join(lines)


def html_table(
    header: Row,
    rows: Sequence[Row],
    *,
    align: Optional[str] = None,
    total: Optional[Row] = None,
    title: Optional[str] = None,
    note: Optional[str] = None,
) -> str:
    """The same table as HTML (for a notebook's rich display): the title as caption, the
    total row in <tfoot>, the note in small print below. Every cell is escaped."""
    _check_rows(header, rows, total)
    alignment = _alignment(align, len(header))
    side = {"<": "left", ">": "right"}

    def row_html(row: Row, tag: str) -> str:
        cells = "".join(f'<{tag} style="text-align:{side[a]}">{html.escape(_text(c))}</{tag}>'
                        for c, a in zip(row, alignment))
        return f"<tr>{cells}</tr>"

    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    body = "".join(row_html(row, "td") for row in rows)
    foot = f"<tfoot>{row_html(total, 'th')}</tfoot>" if total is not None else ""
    small = f"<p><small>{html.escape(note)}</small></p>" if note else ""
    return f"<table>{caption}<thead>{row_html(header, 'th')}</thead><tbody>{body}</tbody>{foot}</table>{small}"


def print_table(header: Row, rows: Sequence[Row], **options) -> None:
    """Print `format_table(header, rows, **options)`."""
    print(format_table(header, rows, **options))
