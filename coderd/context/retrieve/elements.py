"""What iterating over a value gives: the element type of a loop's sequence or of the array a
callback walks (`for route in self.routes`, `queries.filter((query) => query.`,
`for _, c := range cmds`, `for x in xs.iter()`).

The sequence's type is written somewhere as `list[Route]`, `Query[]`, `[]*Command` or
`Vec<X>`; typenames.declared_type keeps it as "[]Route" in a binding's or a field's type and
in a function's declared result (extract.py's `returns`). Here an expression is followed to
that declaration: a local or parameter, an imported variable, a field (of the class around
the cursor, of another class, of a base), a property, or a call's declared result. A mapping
(`dict[str, Command]`, `map[string]*Route`) is "{}Command": its values are what `d[k]`,
`d.values()`, `for name, cmd in d.items()` and Go's `for _, r := range m` give.
"""

from __future__ import annotations

import re
from typing import Protocol

from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.bindings import Binding
from coderd.context.retrieve.infer import TypeEnv
from coderd.context.retrieve.typenames import ELEMENT, MAPPED, split_qualified


class TypeResolver(Protocol):
    """What this module asks of typed.py's TypeResolver (which calls it: no import back)."""

    rel: str
    env: TypeEnv
    language: str

    def value_types(self, expression: str, depth: int = 0) -> list[DefinitionRef]: ...

    def resolve_type(self, name: str, file: str, depth: int = 0) -> list[DefinitionRef]: ...

    def field_binding(
        self, owner: DefinitionRef, field: str
    ) -> tuple[Binding, DefinitionRef] | None: ...

    def members_named(self, owners: list[DefinitionRef], name: str) -> list[DefinitionRef]: ...

    def visible(self, name: str) -> list[DefinitionRef]: ...


MAX_DEPTH = 3
# Calls on a sequence that give the same elements: Rust iterators and slices, JS copies and
# filters, Python views.
ADAPTERS = frozenset(
    {
        "iter",
        "iter_mut",
        "into_iter",
        "drain",
        "copied",
        "cloned",
        "rev",
        "slice",
        "filter",
        "reverse",
        "toReversed",
        "sort",
        "toSorted",
        "concat",
    }
)
MAPPING_VIEWS = frozenset({"values", "items"})  # `d.items()`: its pairs' second, bound alone
# Python builtins that do the same: `sorted(items)`, `reversed(self.children)`.
WRAPPING = frozenset({"sorted", "reversed", "list", "tuple", "set", "frozenset", "iter"})
_DEREF = re.compile(r"^(?:&\s*(?:mut\s+)?|\*)")


def element_types(
    resolver: TypeResolver, expression: str, depth: int = 0, values: bool = False
) -> list[DefinitionRef]:
    """Types of the elements of the sequence `expression` (as written at the cursor);
    `values`: a mapping's values count as its elements (`d[k]`, `d.values()`, `d.items()`'s
    second, Go's `for _, v := range m`), not its keys (`for k in d`)."""
    if depth > MAX_DEPTH:
        return []
    values = values or resolver.language == "go"  # only `range` with two names is bound
    expression = _DEREF.sub("", expression.strip())
    if expression.endswith("]") and (index := _opening(expression, "[", "]")) > 0:
        expression, values = expression[:index], True  # `d[k]`, `xs[0]`
    while (call := _last_call(expression)) is not None:
        callee, arguments = call
        qualifier, name = split_qualified(callee)
        if qualifier and name in MAPPING_VIEWS:  # d.values(), d.items(); else a method's result
            viewed = element_types(resolver, qualifier, depth + 1, values=True)
            return viewed or _elements(resolver, _callees(resolver, callee, depth), depth, values)
        if qualifier and name in ADAPTERS:
            expression = qualifier  # xs.iter(), xs.filter(...)
        elif not qualifier and name in WRAPPING and arguments and "," not in arguments:
            expression = arguments  # sorted(xs)
        else:
            return _elements(resolver, _callees(resolver, callee, depth), depth, values)
    head, _, field = expression.rpartition(".")
    if not head:
        return _of_name(resolver, expression, depth, values)
    declared: list[tuple[str, str]] = []
    for owner in resolver.value_types(head, depth + 1):
        found = resolver.field_binding(owner, field)
        if found is None:  # a property: its declared result
            declared += [
                (m.definition.returns, m.path) for m in resolver.members_named([owner], field)
            ]
        elif found[0].type:
            declared.append((found[0].type, found[1].path))
    return _resolved(resolver, declared, depth, values)


def _last_call(expression: str) -> tuple[str, str] | None:
    """(callee, arguments) when `expression` ends in a call: `a.b(c(d))` -> ("a.b", "c(d)")."""
    start = _opening(expression, "(", ")") if expression.endswith(")") else -1
    if start < 0:
        return None
    return expression[:start].strip(), expression[start + 1 : -1].strip()


def _opening(expression: str, opener: str, closer: str) -> int:
    """Where the bracket that closes `expression` opens: `d[k]` -> 1 (-1 for none)."""
    depth = 0
    for i in range(len(expression) - 1, -1, -1):
        depth += {closer: 1, opener: -1}.get(expression[i], 0)
        if depth == 0:
            return i
    return -1


def _of_name(resolver: TypeResolver, name: str, depth: int, values: bool) -> list[DefinitionRef]:
    binding = resolver.env.variables.get(name)
    if binding is None:  # an imported variable declared as a sequence
        imported = [
            r for r in resolver.visible(name) if r.definition.kind in ("variable", "constant")
        ]
        return _elements(resolver, imported, depth, values)
    if binding.type:
        return _resolved(resolver, [(binding.type, resolver.rel)], depth, values)
    if binding.value:
        return element_types(resolver, binding.value, depth + 1, values)
    if binding.items:  # a loop over a sequence of sequences
        return []
    if binding.call:
        return element_types(resolver, f"{binding.call}()", depth + 1, values)
    return []


def _callees(resolver: TypeResolver, callee: str, depth: int) -> list[DefinitionRef]:
    """The functions or methods a call of `callee` (written in the current file) reaches."""
    qualifier, member = split_qualified(callee)
    if qualifier:
        owners = resolver.value_types(qualifier, depth + 1) or resolver.resolve_type(
            qualifier, resolver.rel, depth + 1
        )
        return resolver.members_named(owners, member)
    return [r for r in resolver.visible(callee) if r.definition.kind == "function"]


def _elements(
    resolver: TypeResolver, definitions: list[DefinitionRef], depth: int, values: bool
) -> list[DefinitionRef]:
    declared = [(d.definition.returns, d.path) for d in definitions]
    return _resolved(resolver, declared, depth, values)


def _resolved(
    resolver: TypeResolver, declared: list[tuple[str, str]], depth: int, values: bool
) -> list[DefinitionRef]:
    """The element types of the sequences declared as `declared` ((type, file written in)),
    with `values` a mapping's value types too."""
    found: list[DefinitionRef] = []
    for written, file in declared:
        prefix = next((p for p in (ELEMENT, MAPPED) if written.startswith(p)), "")
        if prefix == ELEMENT or (prefix == MAPPED and values):
            for ref in resolver.resolve_type(written[len(prefix) :], file, depth + 1):
                if ref not in found:
                    found.append(ref)
    return found
