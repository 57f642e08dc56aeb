"""What one match of a type-inference query (`queries/<language>-types.scm`) binds: a name and
where its type comes from (infer.py scopes them; typed.py and fields.py resolve them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import tree_sitter

from coderd.context.retrieve.typenames import declared_type

STATEMENT_LISTS = frozenset({"block", "statement_list", "module", "source_file"})
FUNCTION_BODIES = frozenset({"function_definition", "module"})
TO_SCOPE_END = 1 << 30  # a narrowing's `until` that the end of its function bounds


@dataclass(frozen=True, slots=True)
class Binding:
    name: str
    # declared_type (typenames.py): a type name, "[]Name" for a sequence of them, or "" when
    # the type comes from a call
    type: str
    call: str  # the callee as written (`Cls`, `mod.make`, `self.build`), or ""
    row: int  # 0-based
    # A local holding an attribute of another (`command = ctx.command`): that expression,
    # typed in the same scope (typed.py value_types); never set on fields.
    value: str = ""
    # A loop variable or a callback's parameter: the expression iterated over (`for x in
    # self.items`, `items.forEach(x => ...)`), whose element type it has; never on fields.
    items: str = ""
    # A narrowing's last row (0-based), from `row` on: `if isinstance(node, Call):` types
    # `node` as a Call in its block only. -1: no narrowing, the binding holds in all its
    # scope (one below the cursor too, when there is no other).
    until: int = -1


def binding_of(captures: dict, kind: str) -> Binding:
    """The Binding of one query match (`kind`: "bind" or "field")."""
    name_node = captures[f"{kind}.name"][0]
    type_node = captures.get(f"{kind}.type", [None])[0]
    call_node = captures.get(f"{kind}.call", [None])[0]
    value_node = captures.get("bind.value", [None])[0] if kind == "bind" else None
    items_node = captures.get("bind.items", [None])[0] if kind == "bind" else None
    until_node = captures.get("bind.until", [None])[0] if kind == "bind" else None
    after_node = captures.get("bind.after", [None])[0] if kind == "bind" else None
    row, until = name_node.start_point.row, -1
    if until_node is not None:  # a narrowing holds from its block on (a Go type switch
        row, until = until_node.start_point.row, _last_row_of(until_node)  # names `v` once)
    elif after_node is not None:  # a guard clause: after it, to the end of its block
        row, until = after_node.end_point.row + 1, _rest_of_block(after_node)
    return Binding(
        node_text(name_node),
        declared_type(node_text(type_node)) if type_node else "",
        node_text(call_node) if call_node is not None else "",
        row,
        node_text(value_node) if value_node is not None else "",
        node_text(items_node) if items_node is not None else "",
        until,
    )


def _rest_of_block(statement: tree_sitter.Node) -> int:
    """The last row of the block holding `statement`: a function's body ends with the
    function (its bindings are scoped to it already), any other as `_last_row_of` says."""
    block = statement.parent
    if block is None or block.parent is None or block.parent.type in FUNCTION_BODIES:
        return TO_SCOPE_END
    return _last_row_of(block)


def _last_row_of(block: tree_sitter.Node) -> int:
    """The last row a narrowing's block covers: a braced block's closing row; an indented
    one's (Python's, a Go `case`) reaches up to what follows it in its statement (an `elif`,
    the next case) or after that statement, but not that, so that a blank line under the
    block, where the cursor sits while typing the block's next line, is still in it."""
    if (block.text or b"").startswith(b"{"):  # braces: TypeScript's, Rust's
        return block.end_point.row
    node = block
    while node.parent is not None:
        following = node.next_named_sibling
        if following is not None:
            return following.start_point.row - 1
        if node.parent.type in STATEMENT_LISTS:
            return node.end_point.row  # the last statement of its block: up to its own end
        node = node.parent
    return node.end_point.row


def through_local(field: Binding, local: Callable[[str], Binding | None]) -> Binding:
    """A field holding a call on a typed local of its constructor (`self.stream =
    environment._tokenize(...)`, `environment: Environment`) holds `Environment._tokenize`'s
    result: the local is gone when another method reads the field."""
    head, dot, member = field.call.partition(".")
    typed = local(head) if dot and "." not in member else None
    if typed is None or not typed.type:
        return field
    return replace(field, call=f"{typed.type}.{member}")


def node_text(node: tree_sitter.Node | None) -> str:
    return (
        node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""
    )


def keep_nearest(table: dict[str, Binding], binding: Binding, row: int) -> None:
    """The binding nearest the cursor wins, one above it before one below; but one that names
    the value by what it was (`frame = frame.inner()`, `node = node.parent`) never displaces
    another: it would need that other to be typed, and it is usually of the same type."""
    if binding.until >= 0 and not binding.row <= row <= binding.until:
        return  # a narrowing (`if isinstance(x, T):`) whose block the cursor is not in
    old = table.get(binding.name)
    if old is not None and _rebinds(binding) != _rebinds(old):
        if not _rebinds(binding):
            table[binding.name] = binding
        return
    if old is None or _distance(binding.row, row) < _distance(old.row, row):
        table[binding.name] = binding


def _rebinds(binding: Binding) -> bool:
    source = binding.call or binding.value or binding.items
    return source.split(".", 1)[0].split("(", 1)[0] == binding.name


def _distance(binding_row: int, row: int) -> int:
    return row - binding_row if binding_row <= row else 100_000 + binding_row - row
