"""Keeping spreadsheets from running a catalog's text as formulas.

A spreadsheet that opens a CSV file treats a cell starting with ``=``, ``+``, ``-`` or
``@`` (or a tab or carriage return before one) as a formula, so a product name like
``=HYPERLINK(...)`` would run on the machine of whoever opens an export. `export_rows`
writes such a name or description with an apostrophe in front, the spreadsheet convention
for "this is text", and the parser takes that apostrophe off again: an exported catalog
imports back unchanged, and a spreadsheet that saves the file drops the apostrophe itself.

>>> guarded("=1+2"), guarded("-20% off"), guarded("Mug")
("'=1+2", "'-20% off", 'Mug')
>>> unguarded("'=1+2"), unguarded("'Tis the season")
('=1+2', "'Tis the season")

A text that itself starts with the mark before such a character gets a second mark, so
every text comes back as it was:

>>> guarded("'=1"), unguarded(guarded("'=1"))
("''=1", "'=1")
"""

from __future__ import annotations

from typing import Final

FORMULA_STARTS: Final = frozenset("=+-@\t\r")
"""The first characters that make a spreadsheet read a cell as a formula."""

TEXT_MARK: Final = "'"
"""The mark that tells a spreadsheet a cell is text."""


def guarded(text: str) -> str:
    """``text`` as an exported cell: marked as text when a spreadsheet would run it, or
    when it starts with marks that `unguarded` would take one of."""
    return TEXT_MARK + text if _runs(text) else text


def unguarded(text: str) -> str:
    """An imported cell's text: the mark `guarded` added taken off, any other text as is."""
    return text[1:] if text[:1] == TEXT_MARK and _runs(text[1:]) else text


def _runs(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` once the marks in front of it are taken
    off (so that a text starting with marks keeps them through an export and an import)."""
    return text.lstrip(TEXT_MARK)[:1] in FORMULA_STARTS
