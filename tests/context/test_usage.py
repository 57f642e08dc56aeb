"""usage.py (and above.py): where the current file uses names, as distance buckets from the cursor's line,
and the row index a document keeps while only the cursor's line changes."""

from __future__ import annotations

from coderd.context.index.extract import Import
from coderd.context.retrieve.above import nearby_identifiers, window_above
from coderd.context.retrieve.usage import (
    UNUSED,
    RowsMemo,
    bucket,
    import_rows,
    line_uses,
    prepare_rows,
    usage_of,
)

TEXT = (
    "import os\n"  # row 0
    "from pkg import (\n"  # 1
    "    Store,\n"  # 2
    ")\n"  # 3
    "\n"  # 4
    "def go(store):\n"  # 5
    "    store.open()\n"  # 6
    "    helper(1)\n"  # 7
    "    x = \n"  # 8: the cursor's line
    "    store.close()\n"  # 9
)
CURSOR = TEXT.index("x = ") + 4
IMPORTS = (Import("os", line=1), Import("pkg", ("Store",), line=2))
LINE = (TEXT.rfind("\n", 0, CURSOR) + 1, TEXT.find("\n", CURSOR))  # the cursor's line


def test_line_uses_splits_bare_names_and_attributes() -> None:
    assert line_uses("self.x = make(a).build") == (
        ("self", ""),
        ("x", "self"),
        ("make", ""),
        ("a", ""),
        ("build", "?"),  # the base is an expression
    )
    assert line_uses("crate::io::read()") == (("crate", ""), ("io", "crate"), ("read", "io"))


def test_buckets_grow_with_the_distance() -> None:
    assert [bucket(d) for d in (1, 2, 3, 5, 6, 40, 41, 320, 10_000)] == [0, 0, 1, 1, 2, 4, 5, 7, 8]


def test_import_rows_follow_parenthesised_statements() -> None:
    assert import_rows(TEXT.split("\n"), IMPORTS) == {0, 1, 2, 3}


def test_distances_from_the_cursor_leave_imports_and_the_typed_part_out() -> None:
    usage = usage_of(TEXT, CURSOR, IMPORTS)
    assert usage.bare_of("helper") == bucket(1)  # row 7, one above the cursor
    assert usage.bare_of("store") == bucket(1)  # `store.close()` right below
    assert usage.bare_of("go") == bucket(3)  # row 5
    assert usage.attr_of("close") == bucket(1) and usage.attr_of("open") == bucket(2)
    assert usage.bare_of("Store") == UNUSED  # only in the import statement
    assert usage.pairs_with("store") == {"open": bucket(2), "close": bucket(1)}
    assert usage.of("x") == UNUSED  # typed before the cursor: never counts
    # What follows the cursor on its line counts at distance 0 (typing inserts before it).
    after = TEXT.replace("x = \n", "x = \n    y.z\n")
    with_rest = usage_of(after.replace("x = \n    y", "x = y"), CURSOR, IMPORTS)
    assert with_rest.bare_of("y") == 0 and with_rest.pairs_with("y") == {"z": 0}


def test_a_document_s_rows_are_reused_while_only_the_cursor_line_changes() -> None:
    memo = RowsMemo()
    first = usage_of(TEXT, CURSOR, IMPORTS, memo)
    typed = TEXT.replace("x = \n", "x = hel\n")
    again = usage_of(typed, CURSOR + 3, IMPORTS, memo)
    assert again._rows is first._rows and len(memo) == 1
    assert again.bare_of("helper") == first.bare_of("helper")
    # A change on another line: a new row index, which now knows the new name.
    other = typed.replace("helper(1)", "render(1)")
    changed = usage_of(other, CURSOR + 3, IMPORTS, memo)
    assert changed._rows is not first._rows and changed.bare_of("render") == bucket(1)
    assert len(memo) == 2  # the two newest texts are kept
    usage_of(TEXT.replace("go(", "run("), CURSOR, IMPORTS, memo)
    assert len(memo) == 2 and memo.find(TEXT, *LINE, IMPORTS) is None  # the oldest went


def test_prepared_rows_are_found_by_the_request() -> None:
    memo = RowsMemo()
    prepare_rows(memo, TEXT, IMPORTS)
    prepared = memo.find(TEXT, *LINE, IMPORTS)
    assert prepared is not None and usage_of(TEXT, CURSOR, IMPORTS, memo)._rows is prepared
    # Other imports (the statement changed), or another line changed: not reused.
    assert memo.find(TEXT, *LINE, IMPORTS[:1]) is None
    assert memo.find(TEXT.replace("open", "shut"), *LINE, IMPORTS) is None


def test_the_window_above_never_holds_the_cursor_line() -> None:
    assert window_above(TEXT, CURSOR, 2) == "    store.open()\n    helper(1)\n"
    assert window_above(TEXT, 3, 5) == ""  # on the first line: nothing above
    assert nearby_identifiers(TEXT, CURSOR, 9, skip_rows={0, 1, 2, 3}) == [
        "helper",
        "store",
        "open",
        "def",  # `go` is too short to say anything
    ]


def test_a_new_text_splits_only_its_changed_lines_and_the_document_owns_them() -> None:
    memo = RowsMemo()
    prepare_rows(memo, TEXT, IMPORTS)
    first = memo.known_lines()
    edited = TEXT.replace("    helper(1)\n", "    helper(1)\n    extra.call()\n")
    usage = usage_of(edited, edited.index("x = ") + 4, IMPORTS, memo)
    second = memo.known_lines()
    assert second is not first and "    extra.call()" in second
    assert second["    store.open()"] is first["    store.open()"]  # reused, not split again
    assert usage.attr_of("call") == bucket(2)
    # Nothing outside the memo keeps lines: a fresh memo starts from nothing.
    assert RowsMemo().known_lines() == {}


def test_earlier_holds_the_attributes_used_only_above_the_cursor() -> None:
    usage = usage_of(TEXT, CURSOR, IMPORTS)
    assert "open" in usage.earlier  # row 6, above the cursor's row 8
    assert "close" not in usage.earlier  # row 9, below
