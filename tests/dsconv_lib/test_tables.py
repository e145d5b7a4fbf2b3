"""dsconv_lib.tables: the one table printer (text and HTML)."""

from __future__ import annotations

import html.parser

import pytest

from dsconv_lib.tables import format_table, html_table


def test_columns_are_as_wide_as_their_widest_cell_and_aligned():
    text = format_table(["name", "n"], [["a", 1], ["longer", 12345]], align="<>")
    assert text.splitlines() == ["name        n", "-------------", "a           1", "longer  12345"]


def test_none_shows_as_a_dash_and_title_total_note_are_placed():
    text = format_table(["x", "y"], [["a", None]], total=["all", 3], title="T", note="n")
    assert text.splitlines() == ["T", "x    y", "------", "a    -", "------", "all  3", "n"]


@pytest.mark.parametrize("call", [
    lambda: format_table(["a", "b"], [["only one"]]),
    lambda: format_table(["a", "b"], [], total=["x"]),
    lambda: format_table(["a", "b"], [], align="<"),
    lambda: html_table(["a", "b"], [], align="<|"),
])
def test_bad_shapes_name_what_is_wrong(call):
    with pytest.raises(ValueError, match="cells|align"):
        call()


def test_html_escapes_every_cell_and_keeps_the_structure():
    page = html_table(["<b>", "n"], [["a&b", 1]], total=["all", 1], title="t<", note="n>")
    texts = []

    class Collect(html.parser.HTMLParser):
        def handle_data(self, data):
            texts.append(data)

    Collect().feed(page)
    assert texts == ["t<", "<b>", "n", "a&b", "1", "all", "1", "n>"]
    assert "<tfoot>" in page and page.count('style="text-align:right"') == 3


def test_a_table_prints_as_text_and_displays_as_html():
    from dsconv_lib.tables import Table

    table = Table(["a", "b"], [["x", 1]], note="n")
    assert str(table) == format_table(["a", "b"], [["x", 1]], note="n")
    assert table._repr_html_() == html_table(["a", "b"], [["x", 1]], note="n")
