"""Light type inference at the cursor: which names hold values of which types.

What the per-language queries (`queries/<language>-types.scm`) capture, this module scopes:

* `@bind.name` with `@bind.type` or `@bind.call`: a local variable or parameter, annotated
  (`x: Cls`, `def f(c: Cls)`, `var v T`), cast (`x = cast(Cls, v)`, `v.(*T)`, `y as T`),
  constructed (`new Cls()`, `T{}`), or holding a call's result (`x = Cls()`, `v :=
  pkg.New()`; typed.py resolves the callee: a class, or a function or method whose declared
  result type it reads from the index); narrowed (`if isinstance(node, Call):`, `if (node
  instanceof Call) {`, Go's `case *Call:` of a type switch, Rust's `if let Some(x) =
  call()` in that block only; `assert
  isinstance(node, Call)` and a guard clause, `if not isinstance(node, Call): raise ...`,
  from there on);
* `@bind.name` with `@bind.value`: a local holding another name's attribute (`cmd =
  ctx.command`) or another local (`let cur1 = cur;`), typed as that expression in the same
  scope; with `@bind.items`: a loop
  variable, an array callback's parameter or an indexed element (`for r in self.routes`,
  `qs.filter((q) => ...)`, `c := &cmds[i]`), typed as the sequence's element (elements.py);
* `@field.name` with `@field.type` or `@field.call`: an attribute of the class around it
  (`self.attr = Cls()`, `attr: Cls`, TS properties, Go and Rust struct fields);
* the receiver, bound here: Python's first method parameter, `this` (JS/TS) and `self` (Rust)
  to the enclosing class or impl type (Go receivers are ordinary parameters).

Stability: the cursor's line is blanked before parsing (infer_parse.py), so what is typed on
it never changes the result (the context block must not change on a keystroke). Cost: the
parse is incremental, and the query runs only over the function around the cursor, the class
around it (a few levels deep, and its constructor) and the module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import tree_sitter

from coderd.context.index.languages import types_query
from coderd.context.retrieve.bindings import (
    Binding,
    binding_of,
    keep_nearest,
    node_text,
    through_local,
)
from coderd.context.retrieve.generics import generic_bounds
from coderd.context.retrieve.infer_parse import (
    Parsed,
    ParseMemo,
    parse_blanked,
    query_cursors,
    query_regions,
)
from coderd.context.retrieve.typenames import normalize_type

# Nodes that open a scope for local variables, and nodes whose name is the receiver's type.
FUNCTION_NODES = frozenset(
    {
        "function_definition",
        "lambda",
        "function_declaration",
        "method_definition",
        "arrow_function",
        "function_expression",
        "generator_function_declaration",
        "method_declaration",
        "func_literal",
        "function_item",
        "closure_expression",
    }
)
CLASS_NODES = frozenset(
    {
        "class_definition",
        "class_declaration",
        "abstract_class_declaration",
        "class",
        "impl_item",
        "trait_item",  # `self` in a default method has the trait's members
        "type_spec",
        "struct_item",
        "interface_declaration",
    }
)
RECEIVERS = {"typescript": "this", "tsx": "this", "javascript": "this", "rust": "self"}
MAX_REOPENED = 3  # braces a blanked line may have opened (`} else if x {` ... nested)
MAX_COLD_BYTES = 200_000  # a bigger file is parsed on the completion path only from a tree at hand


@dataclass
class TypeEnv:
    """What is known at the cursor. `variables` are the locals, parameters and module-level
    names visible there (the binding nearest the cursor wins); `fields` the attributes of the
    enclosing class; `receiver`/`receiver_type` e.g. ("self", "Command")."""

    variables: dict[str, Binding] = field(default_factory=dict)
    fields: dict[str, Binding] = field(default_factory=dict)
    receiver: str = ""
    receiver_type: str = ""
    row: int = -1  # the cursor's (0-based)
    # Generic type parameters around the cursor -> their bounds (`B: Buf`): generics.py.
    generics: dict[str, tuple[str, ...]] = field(default_factory=dict)


def environment(
    index, rel: str, text: str, offset: int, language: str, memo: ParseMemo | None = None
) -> TypeEnv:
    """The typed names visible at `offset` in `text` (the current file, `rel` in `index`);
    `memo`: the document's last blanked parse (infer_parse.py), which this one starts from."""
    query = types_query(language) if language else None
    if query is None:
        return TypeEnv()
    row = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    rest = text[line_end:] if line_end >= 0 else ""
    blanked = text[:line_start] + _reopened(text[:line_start], rest, language) + rest
    source = blanked.encode("utf-8", "surrogatepass")
    parsed = parse_blanked(index, rel, source, language, MAX_COLD_BYTES, memo)
    if parsed is None:
        return TypeEnv()
    typed = text[line_start:offset]
    ancestors = _ancestors(parsed.tree, source, row, language)
    if language == "python":  # scopes whose body the cursor's indentation has left
        indent = (
            len(typed) - len(typed.lstrip())
            if typed.strip() or typed
            else _indent_above(source, row)
        )
        ancestors = [
            n
            for n in ancestors
            if n.type not in FUNCTION_NODES | CLASS_NODES or n.start_point.column < indent
        ]
    scopes = [n for n in ancestors if n.type in FUNCTION_NODES]
    enclosing_class = next((n for n in ancestors if n.type in CLASS_NODES), None)
    env = TypeEnv(row=row, generics=generic_bounds(ancestors))
    spans = {(s.start_byte, s.end_byte) for s in scopes}
    owner = enclosing_class.id if enclosing_class is not None else None
    for kind, binding, scope_span, class_id in _bindings(
        parsed, query, query_regions(scopes, enclosing_class, ancestors)
    ):
        if kind == "field":
            if owner is not None and class_id == owner:
                keep_nearest(env.fields, binding, row)
        elif scope_span in spans or (scope_span is None and class_id is None):
            keep_nearest(env.variables, binding, row)
    if enclosing_class is not None:
        _bind_receiver(env, enclosing_class, scopes, language)
    return env


def _reopened(before: str, after: str, language: str) -> str:
    """What the blanked line holds: the braces it opened when the lines around it close more
    than they open. Blanking `if !has_subcmd && self.cmd.is_required() {` left its body's `}`
    unmatched, the parse made an ERROR of the impl block around it, and `self` lost its type
    (clap's validator.rs). Counted on the text as it is, strings and comments too: a brace in
    a string is as likely on either side."""
    if language == "python":
        return ""
    unmatched = before.count("}") + after.count("}") - before.count("{") - after.count("{")
    return "{" * min(max(unmatched, 0), MAX_REOPENED)


def prepare(index, rel: str, text: str, row: int, language: str, memo: ParseMemo) -> None:
    """Parse `text` with line `row` blanked ahead of the completion that typing there will
    ask for (the look-ahead calls this on the index's buffer thread after a change on that
    line, builder.py `warm`): the request then finds the tree and its bindings in `memo`."""
    start = 0
    for _ in range(row):
        start = text.find("\n", start) + 1
        if start == 0:
            return
    line = text[start : (text.find("\n", start) + 1 or len(text) + 1) - 1]
    environment(index, rel, text, start + len(line) - len(line.lstrip()), language, memo)


def _bind_receiver(env: TypeEnv, klass: tree_sitter.Node, scopes, language: str) -> None:
    name_node = klass.child_by_field_name("type" if klass.type == "impl_item" else "name")
    class_name = normalize_type(node_text(name_node)) if name_node is not None else ""
    if not class_name:
        return
    receiver = RECEIVERS.get(language)
    if language == "python" and scopes:
        method = scopes[-1]  # the outermost function: a method when its parent is the class body
        parameters = method.child_by_field_name("parameters")
        first = (
            parameters.named_children[0]
            if parameters is not None and parameters.named_children
            else None
        )
        if first is not None and first.type == "identifier":
            receiver = node_text(first)
        if _is_static(method):  # sqlparse's `def _process(tlist)`: no receiver
            env.receiver_type = class_name
            return
    if receiver:
        env.receiver, env.receiver_type = receiver, class_name


def _is_static(method: tree_sitter.Node) -> bool:
    decorated = method.parent
    return decorated is not None and any(
        child.type == "decorator" and node_text(child) == "@staticmethod"
        for child in (decorated.children if decorated.type == "decorated_definition" else ())
    )


def _ancestors(tree, source: bytes, row: int, language: str) -> list[tree_sitter.Node]:
    """The node at the cursor and its ancestors up to the root. The cursor's line is blank,
    and Python ends a block at its last statement: there, the end of the nearest code line
    above stands for the cursor (the caller drops the scopes the indentation has left)."""
    root = tree.root_node
    point = (row, 0)
    if language == "python":
        lines = source.split(b"\n", row + 1)[:row]
        above = row - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        # The last character of that line: its end may already lie past its block.
        point = (above, max(0, len(lines[above].rstrip()) - 1)) if above >= 0 else (0, 0)
    node = root.descendant_for_point_range(point, point) or root
    found = []
    while node is not None:
        found.append(node)
        node = node.parent
    return found


def _indent_above(source: bytes, row: int) -> int:
    lines = source.split(b"\n", row + 1)[:row]
    for line in reversed(lines):
        if line.strip():
            return len(line) - len(line.lstrip())
    return 0


def _bindings(parsed: Parsed, query, regions: tuple):
    """(kind, Binding, scope span or None, class node id or None) for the captures in
    `regions` and at the module level (cached per regions)."""
    found = parsed.matches.get(regions)
    if found is not None:
        return found
    found, seen, copies = [], set(), []
    for cursor, node in query_cursors(query, parsed.tree.root_node, regions):
        for _, captures in cursor.matches(node):
            kind = "field" if "field.name" in captures else "bind"
            name_node = captures.get(f"{kind}.name", [None])[0]
            # One binding per name, but per guarded block for a narrowing (a Go type switch
            # binds its one name once per case).
            until = captures.get("bind.until", [None])[0]
            key = (name_node.start_byte if name_node else -1, kind, until.id if until else 0)
            if name_node is None or key in seen:
                continue
            binding = binding_of(captures, kind)
            copy = captures.get("field.copy", [None])[0]
            known = binding.type or binding.call or binding.value or binding.items
            if not known and copy is None:
                continue
            seen.add(key)
            scope, klass = _owners(name_node)
            if known:
                found.append((kind, binding, scope, klass))
            else:
                copies.append((binding, node_text(copy), scope, klass))
    # `self.ctx = ctx`: the field has the type of the constructor's parameter `ctx`;
    # `self.stream = environment._tokenize()`: the result of that parameter's type's method.
    local = {(b.name, scope): b for kind, b, scope, _ in found if kind == "bind"}
    for binding, source, scope, klass in copies:
        typed = local.get((source, scope))
        if typed is not None and (typed.type or typed.call):  # not a loop's: its scope's
            found.append(
                ("field", replace(typed, name=binding.name, row=binding.row), scope, klass)
            )
    for i, (kind, b, scope, klass) in enumerate(found):
        if kind == "field" and b.call:
            found[i] = (kind, through_local(b, partial(_in_scope, local, scope)), scope, klass)
    parsed.matches[regions] = found
    return found


def _in_scope(local: dict, scope, name: str) -> Binding | None:
    return local.get((name, scope))


def _owners(node: tree_sitter.Node) -> tuple[tuple[int, int] | None, int | None]:
    """The innermost function around `node` (its byte span) and class around it (its id)."""
    scope, klass = None, None
    parent = node.parent
    while parent is not None and klass is None:
        if parent.type in FUNCTION_NODES and scope is None:
            scope = (parent.start_byte, parent.end_byte)
        elif parent.type in CLASS_NODES:
            klass = parent.id
        parent = parent.parent
    return scope, klass
