"""Rust items written inside a macro call: `pin_project! { pub struct Unfold<T, F, Fut> { ... } }`
(futures, tokio, hyper: every pinned future), syn's `ast_struct! { pub struct ItemFn { ... } }`,
`thread_local! { static CURRENT: Cell<usize> = ...; }`.

tree-sitter reads a macro's body as a flat token tree, so the struct, its fields and the impl
blocks inside it were no definitions: `impl Stream for Unfold` had no `Unfold` to belong to.
The bodies of item-level `name! { ... }` calls are parsed again as Rust, on their own (the
parser's included ranges), so rows, columns and byte offsets are the file's own. A body that
does not parse cleanly is a language of the macro's own (`bitflags!`'s `struct Flags: u32`,
`lazy_static!`'s `static ref`): its items are dropped whole, but where the items that parse
outnumber the broken ones (the line being typed inside tokio's `cfg_rt! { ... }`, whose `mod`
and `use` lines are the file's scope). `cfg_if!`'s items are in its branches' braces.

Measured (bench/README.md, session 33): tokio's module attributes +6/+6/+6 of 40 at 256/512/
1,024 tokens, mio's imports +2/+3/+1; with `cfg_if!`, crossbeam-epoch's imports +6/+6/+6 of 21."""

from __future__ import annotations

import tree_sitter

from coderd.context.index.languages import parser_for

# Where an item-level macro call sits: the file's top level, a `mod { }`, an impl or a trait.
_ITEM_PARENTS = frozenset({"source_file", "declaration_list"})


def macro_items(source: bytes, tree: tree_sitter.Tree) -> tree_sitter.Tree | None:
    """A parse of the bodies of `tree`'s item-level brace macro calls as Rust items, those
    that do not parse as such left out; None when there are none."""
    bodies = sorted(
        (
            _inside(body)
            for call in _item_macro_calls(tree.root_node)
            for body in _braced(call)
            if source[body.start_byte : body.start_byte + 1] == b"{"
            and body.end_byte - body.start_byte > 2  # not `{}`
        ),
        key=lambda body: body.start_byte,
    )  # the parser takes its ranges in order (the calls were found depth first)
    if not bodies:
        return None
    try:
        items = _parse(source, bodies)
    except ValueError:  # ranges the parser refuses: the file's own definitions stand
        return None
    broken = [
        body
        for body in bodies
        if any(_overlaps(n, body) and n.has_error for n in items.root_node.children)
    ]
    if broken:  # parsed again without them: an unclosed brace must not swallow the rest
        kept = [b for b in bodies if b not in broken]
        for part in broken:
            kept += _clean_items(items.root_node.children, part)
        if not kept:
            return None
        items = _parse(source, sorted(kept, key=lambda kept_range: kept_range.start_byte))
        if items.root_node.has_error:
            return None
    return items


def _clean_items(
    children: list[tree_sitter.Node], body: tree_sitter.Range
) -> list[tree_sitter.Range]:
    """The items of a broken body that parse cleanly, where they outnumber its broken ones at
    least twice: the line being typed inside tokio's `cfg_rt! { mod x; pub(crate) use x:: }`
    breaks one item, and the body's other `mod` and `use` lines still say what the file can
    name; a language of the macro's own (`bitflags!`) breaks nearly every item."""
    mine = [n for n in children if _overlaps(n, body)]
    clean = [n for n in mine if not n.has_error and n.is_named]
    if len(clean) < 2 * (len(mine) - len(clean)):
        return []
    return [tree_sitter.Range(n.start_point, n.end_point, n.start_byte, n.end_byte) for n in clean]


def _braced(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The token trees of a macro call that hold items: its body; for `cfg_if! { if
    #[cfg(a)] { .. } else { .. } }` (crossbeam-epoch's lib.rs declares its modules and
    re-exports so) each branch's, whatever the configuration."""
    body = call.named_children[-1] if call.named_children else None
    if body is None or body.type != "token_tree":
        return []
    name = call.child_by_field_name("macro")
    if name is not None and name.text == b"cfg_if":
        return [part for part in body.named_children if part.type == "token_tree"]
    return [body]


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


def _inside(braces: tree_sitter.Node) -> tree_sitter.Range:
    """What is between a token tree's braces (each one byte)."""
    (start_row, start_column), (end_row, end_column) = braces.start_point, braces.end_point
    return tree_sitter.Range(
        (start_row, start_column + 1),
        (end_row, end_column - 1),
        braces.start_byte + 1,
        braces.end_byte - 1,
    )


def _parse(source: bytes, bodies: list[tree_sitter.Range]) -> tree_sitter.Tree:
    # A parser of its own: included ranges are a parser's state, and parser_for's is shared.
    parser = tree_sitter.Parser(parser_for("rust").language, included_ranges=bodies)
    return parser.parse(source)


def _overlaps(node: tree_sitter.Node, body: tree_sitter.Range) -> bool:
    return node.start_byte < body.end_byte and node.end_byte > body.start_byte
