"""The types an unannotated Python or JavaScript function returns, read off its `return`
statements: tomlkit's `Parser._current` property is `return self._src.current`, whose
declared type is TOMLChar; `def make(self): return Token(...)` returns a Token; a method
returning `self` (a fluent setter) or `cls(...)` (a classmethod's constructor) its class. A
module-level variable without a declared type is what it is assigned: `app =
Flask(__name__)`, imported by another file, is a Flask.

Only a function whose returns all say the same thing is read (`None` and literals aside): a
function returning different expressions has no one type to guess. What a function returns is
memoised per version of its file (the index's `returns` memo); the expression is then typed
in the function's own file, `self`/`this` standing for its class (typed.py's TypeResolver).
"""

from __future__ import annotations

import re

from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.brackets import closing_parenthesis
from coderd.context.retrieve.fields import definition_lines
from coderd.context.retrieve.resolving import Resolving

LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx"})
MAX_LINES = 40  # a longer body returns too many things to guess from
_RETURN = re.compile(r"^\s*return\s+(.+?)\s*;?\s*$")
VARIABLE_KINDS = frozenset({"variable", "constant"})
# `name = value`, `export const name: T = value;` (an annotation is read as `returns` instead)
_ASSIGNED = re.compile(
    r"^(?:export\s+)?(?:(?:const|let|var)\s+)?[A-Za-z_$][\w$]*\s*=\s*(.+?)\s*;?$"
)
_NOTHING = frozenset(
    {"None", "null", "undefined", "True", "False", "true", "false", "self", "this"}
)
_ITSELF = frozenset({"self", "this"})
_CHAIN = re.compile(r"(?:self|this)(?:\.[A-Za-z_$][\w$]*)+")
_CALL = re.compile(r"(?:new\s+)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\(")


def returned_expression(resolver: Resolving, ref: DefinitionRef) -> str:
    """What every `return` of `ref`'s body returns, "" when they differ or there is none."""
    index = resolver.index
    _, version = index.entry(ref.path)
    key = (ref.path, version, ref.definition.start_line)
    found = index.memos.returns.get(key)
    if found is None:
        d = ref.definition
        lines = definition_lines(index, ref) if d.end_line - d.start_line < MAX_LINES else []
        if d.kind in VARIABLE_KINDS:  # `app = Flask(__name__)`: what it is assigned
            assigned = _ASSIGNED.match(" ".join(line.strip() for line in lines))
            said = {assigned.group(1)} - _NOTHING if assigned else set()
        else:
            returned = {m.group(1) for line in lines[1:] if (m := _RETURN.match(line))}
            said = returned - _NOTHING
            if not said and returned & _ITSELF:  # a fluent method: `return self` and nothing else
                said = returned & _ITSELF
        found = said.pop() if len(said) == 1 else ""
        index.memos.returns.put(key, found)
    return found


def returned_types(resolver: Resolving, ref: DefinitionRef, depth: int) -> list[DefinitionRef]:
    """The types of what `ref` returns when it declares none: `self.a.b` through its class's
    fields and properties, `Cls(...)` / `make(...)` / `self.m(...)` as calls in its file."""
    if resolver.language not in LANGUAGES or ref.definition.returns:
        return []
    expression = returned_expression(resolver, ref)
    owner = ref.definition.container
    if not expression:
        return []
    if (expression in _ITSELF or expression.startswith("cls(")) and owner:
        return resolver.resolve_type(owner, ref.path, depth)  # `return self`, `return cls(...)`
    chain = _CHAIN.fullmatch(expression)
    if chain and owner:
        types = resolver.resolve_type(owner, ref.path, depth)
        for attribute in expression.split(".")[1:]:
            types = [f for t in types for f in resolver.field_types(t, attribute, depth)]
        return types
    call = _CALL.match(expression)
    if call is None or closing_parenthesis(expression, call.end()) != len(expression) - 1:
        return []  # `f(x).g(y)`: more than one call
    callee = call.group(1)
    head, _, member = callee.partition(".")
    if head in ("self", "this") and owner and "." not in member:
        owners = resolver.resolve_type(owner, ref.path, depth)
        return resolver.results_of(resolver.members_named(owners, member), depth + 1)
    return resolver.call_result(callee, ref.path, depth)
