"""The current file's syntax tree with the cursor's line blanked, parsed incrementally.

Blanking the cursor's line makes the tree independent of what is typed there (the context
block must not change on a keystroke). The tree is parsed incrementally from the last one
parsed for the document (its `ParseMemo`, held per document by the session's builder), or
from the index's tree of the open buffer (index.buffer_tree): tree-sitter then re-reads
little more than the changed line. After a change, the look-ahead calls infer.prepare() on
the index's buffer thread (builder.py `warm`), so the request usually finds its tree ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter

from coderd.context.index.languages import parser_for
from coderd.context.index.line_edits import tree_edit
from coderd.context.retrieve.bindings import node_text

# Module-level statements with a body of their own (Python): the names bound inside are
# module-level names.
MODULE_BLOCKS = frozenset(
    {"if_statement", "try_statement", "with_statement", "for_statement", "while_statement"}
)
RUST_BLOCKS = frozenset({"impl_item", "trait_item"})
CONSTRUCTORS = frozenset({"__init__", "__post_init__", "setUp", "constructor", "new", "New"})


@dataclass
class Parsed:
    source: bytes  # the text with the cursor's line blanked
    tree: tree_sitter.Tree
    matches: dict[tuple, list] = field(default_factory=dict)  # query regions -> bindings found


class ParseMemo:
    """The last blanked parse of one document. Replacing it is one attribute store (atomic):
    the look-ahead on the buffer thread and a request on the worker may both parse; the
    later one stays, and both trees are valid bases for the next incremental parse."""

    __slots__ = ("parsed",)

    def __init__(self) -> None:
        self.parsed: Parsed | None = None


def parse_blanked(
    index,
    rel: str,
    source: bytes,
    language: str,
    cold_limit: int | None = None,
    memo: ParseMemo | None = None,
) -> Parsed | None:
    """`source` parsed, incrementally when a tree of the file is at hand (`memo`'s, else the
    index's tree of the open buffer); None when none is and `source` is longer than
    `cold_limit` bytes (a full parse of a big file does not belong on the completion path:
    the index's buffer thread parses open files anyway)."""
    cached = memo.parsed if memo is not None else None
    if cached is not None and cached.source == source:
        return cached
    base = (cached.source, cached.tree) if cached is not None else index.buffer_tree(rel)
    parser = parser_for(language)
    if base is not None:
        old_source, old_tree = base
        tree = old_tree.copy()
        tree.edit(**tree_edit(old_source, source))
        tree = parser.parse(source, tree)
    elif cold_limit is not None and len(source) > cold_limit:
        return None
    else:
        tree = parser.parse(source)
    parsed = Parsed(source, tree)
    if memo is not None:
        memo.parsed = parsed
    return parsed


def query_cursors(
    query, root: tree_sitter.Node, regions: tuple
) -> list[tuple[tree_sitter.QueryCursor, tree_sitter.Node]]:
    """Query cursors over the module level and over each of `regions` (`query_regions`:
    (start_byte, end_byte, max start depth or -1 for the whole span))."""
    top = tree_sitter.QueryCursor(query)
    top.set_max_start_depth(3)  # module-level statements (and `export` around them)
    found = [(top, root)]
    for start, end, depth in regions:
        cursor = tree_sitter.QueryCursor(query)
        node = root
        if depth >= 0:  # from the class node itself, a few levels down only
            node = root.descendant_for_byte_range(start, end) or root
            cursor.set_max_start_depth(depth)
        else:
            cursor.set_byte_range(start, end)
        found.append((cursor, node))
    return found


def query_regions(scopes, klass, ancestors=()) -> tuple:
    """Where bindings visible at the cursor can be: the outermost function around it (locals,
    parameters), the class around it (its declared fields; its constructor's `self.x = ...`),
    and the module level, with the module-level block around the cursor when it is in one
    (`if __name__ == "__main__":`, whose names lie deeper than the module-level cursor of
    `query_cursors` reaches). Not the whole class: a 2,000-line impl block costs
    milliseconds."""
    regions: list[tuple[int, int, int]] = []  # (start_byte, end_byte, max start depth or -1)
    if not scopes and klass is None:
        block = next(
            (n for n in ancestors if n.parent is not None and n.parent.parent is None), None
        )
        if block is not None and block.type in MODULE_BLOCKS:
            regions.append((block.start_byte, block.end_byte, -1))
    if scopes:
        regions.append((scopes[-1].start_byte, scopes[-1].end_byte, -1))
    if klass is not None:
        regions.append((klass.start_byte, klass.end_byte, 4))  # fields: class > body > field
        # A Rust method assigns no fields (its struct declares them): the 300 methods of an
        # impl block are not walked for a constructor (0.8 ms a build in itertools' lib.rs).
        body = klass.child_by_field_name("body") if klass.type not in RUST_BLOCKS else None
        for child in body.named_children if body is not None else ():
            function = (
                child.child_by_field_name("definition")
                if child.type == "decorated_definition"
                else child
            )
            name = function.child_by_field_name("name") if function is not None else None
            if name is not None and node_text(name) in CONSTRUCTORS:
                regions.append((function.start_byte, function.end_byte, -1))
    return tuple(regions)
