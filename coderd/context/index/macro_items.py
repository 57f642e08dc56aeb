"""Rust items written inside a macro call: `pin_project! { pub struct Unfold<T, F, Fut> { ... } }`
(futures, tokio, hyper: every pinned future), syn's `ast_struct! { pub struct ItemFn { ... } }`,
`thread_local! { static CURRENT: Cell<usize> = ...; }`.

tree-sitter reads a macro's body as a flat token tree, so the struct, its fields and the impl
blocks inside it were no definitions: `impl Stream for Unfold` had no `Unfold` to belong to.
The bodies of item-level `name! { ... }` calls are parsed again as Rust, in a copy of the file
with everything else blanked (newlines kept), so rows, columns and byte offsets are the file's
own. A body that does not parse cleanly is a language of the macro's own (`bitflags!`'s
`struct Flags: u32`, `lazy_static!`'s `static ref`): its items are dropped whole."""

from __future__ import annotations

import tree_sitter

from coderd.context.index.languages import parser_for

# Where an item-level macro call sits: the file's top level, a `mod { }`, an impl or a trait.
_ITEM_PARENTS = frozenset({"source_file", "declaration_list"})
_BLANK = bytes.maketrans(bytes(range(256)), b" " * 10 + b"\n" + b" " * 245)


def macro_items(source: bytes, tree: tree_sitter.Tree) -> tree_sitter.Tree | None:
    """A parse of `source` in which only the bodies of item-level brace macro calls are kept,
    the bodies that did not parse as Rust blanked too; None when the file has none."""
    bodies = [
        (body.start_byte + 1, body.end_byte - 1)
        for call in _item_macro_calls(tree.root_node)
        if (body := call.named_children[-1]).type == "token_tree"
        and source[body.start_byte : body.start_byte + 1] == b"{"
    ]
    if not bodies:
        return None
    parser = parser_for("rust")
    kept = _kept(source, bodies)
    items = parser.parse(kept)
    broken = [
        (start, end)
        for start, end in bodies
        if any(_overlaps(n, start, end) and n.has_error for n in items.root_node.children)
    ]
    if broken:  # parsed again without them: an unclosed brace must not swallow the rest
        bodies = [b for b in bodies if b not in broken]
        if not bodies:
            return None
        items = parser.parse(_kept(source, bodies))
        if items.root_node.has_error:
            return None
    return items


def _item_macro_calls(root: tree_sitter.Node) -> list[tree_sitter.Node]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        for child in node.named_children:
            if child.type == "macro_invocation" and node.type in _ITEM_PARENTS:
                found.append(child)
            elif child.type in ("mod_item", "declaration_list"):
                stack.append(child)
    return found


def _kept(source: bytes, bodies: list[tuple[int, int]]) -> bytes:
    out = bytearray(source.translate(_BLANK))
    for start, end in bodies:
        out[start:end] = source[start:end]
    return bytes(out)


def _overlaps(node: tree_sitter.Node, start: int, end: int) -> bool:
    return node.start_byte < end and node.end_byte > start
