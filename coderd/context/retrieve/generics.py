"""Generic type parameters around the cursor and the types they are bound by: in
`fn put<B: Buf>(src: &mut B)`, `impl<T: Buf> Buf for Chain<T>`, `where F: Float` (Rust) and
`function f<T extends Node>(x: T)`, `class A<T extends Base>` (TypeScript), a value of type
`B` has the members of `Buf` (typed.py resolves the parameter's name to its bounds).

Read off the parse the environment already has (infer.py): the type parameters and `where`
clauses of the function, impl, trait or class nodes around the cursor; the nearest one wins
a name both declare.
"""

from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from coderd.context.retrieve.bindings import node_text
from coderd.context.retrieve.typenames import normalize_type

_LISTS = frozenset({"type_parameters", "where_clause"})
_PARAMETERS = frozenset({"type_parameter", "constrained_type_parameter", "where_predicate"})
_BOUNDS = frozenset({"trait_bounds", "constraint"})
_NAMES = frozenset({"type_identifier", "identifier"})


def generic_bounds(ancestors: Iterable[tree_sitter.Node]) -> dict[str, tuple[str, ...]]:
    """Type parameter name -> the type names bounding it, for the nodes around the cursor
    (nearest first); parameters without a bound are left out."""
    found: dict[str, tuple[str, ...]] = {}
    for node in ancestors:
        for part in _heading(node):
            if part.type not in _LISTS:
                continue
            for parameter in part.named_children:
                if parameter.type not in _PARAMETERS:
                    continue
                named = parameter.named_children
                name = next((node_text(c) for c in named if c.type in _NAMES), "")
                bounds = tuple(
                    normalized
                    for b in named
                    if b.type in _BOUNDS
                    for t in b.named_children
                    if t.type != "lifetime" and (normalized := normalize_type(node_text(t)))
                )
                if name and bounds and name not in found:
                    found[name] = bounds
    return found


def _heading(node: tree_sitter.Node) -> Iterable[tree_sitter.Node]:
    """The children before `node`'s body, where its type parameters and `where` clause are;
    none for a node with no body (a file, an impl's item list, a block): walking the 300 items
    of a 3,000-line trait for each build cost itertools' lib.rs 0.7 ms."""
    body = node.child_by_field_name("body")
    if body is None:
        return
    for child in node.named_children:
        if child.start_byte >= body.start_byte:
            return
        yield child
