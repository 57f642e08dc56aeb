"""The fields a type declares, read from its definition's text (for types in other files:
`ctx.command.name()`; the class around the cursor has its own in infer.py's TypeEnv)."""

from __future__ import annotations

import re
from dataclasses import replace

import tree_sitter

from coderd.context.index.languages import parser_for, types_query
from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.bindings import Binding, binding_of, node_text, through_local
from coderd.context.retrieve.infer_parse import CONSTRUCTORS
from coderd.context.retrieve.typenames import declared_type

# `self.parser = build_block_parser(self)`, `this.cache: Cache = new Cache()` in any method.
_ASSIGNED = re.compile(
    r"^\s*(?:self|this)\.([A-Za-z_$][\w$]*)\s*(?::\s*([^=]+?))?\s*=(?!=)\s*(?:new\s+)?"
    r"([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)?\s*(\()?"
)
ASSIGNING_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx"})


def definition_lines(index, owner: DefinitionRef) -> list[str]:
    """The lines of `owner`'s definition, from its file's open buffer or the disk ([] when
    the file cannot be read)."""
    text = index.buffer_text(owner.path)
    if text is None:
        try:
            text = (index.root / owner.path).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return []
    d = owner.definition
    return text.split("\n")[d.start_line - 1 : d.end_line]


def without_method_bodies(lines: list[str], owner: DefinitionRef, symbols) -> list[str]:
    """A type's lines with its methods blanked, constructors kept: fields are declared in the
    body and assigned in constructors, and a big class (rich's Console: 2,000 lines) would
    otherwise be parsed whole on the completion path. Rows stay where they were."""
    start, end = owner.definition.start_line, owner.definition.end_line
    for member in symbols.definitions if symbols else ():
        if (
            member.container == owner.definition.name
            and member.kind in ("method", "function")
            and member.name not in CONSTRUCTORS
            and start < member.start_line <= member.end_line <= end
        ):
            for row in range(member.start_line - start, member.end_line - start + 1):
                lines[row] = ""
    return lines


def declared_fields(source: str, language: str) -> dict[str, Binding]:
    """The fields a type's definition declares (`source`: its text, `class X: ...`,
    `type T struct {...}`, a TS class): annotated attributes, `self.x = Cls()` in its
    constructor, struct fields. For types in other files (`ctx.command.name()`)."""
    query = types_query(language)
    if query is None:
        return {}
    tree = parser_for(language).parse(source.encode("utf-8", "surrogatepass"))
    found: dict[str, Binding] = {}
    local: dict[str, Binding] = {}  # the constructor's typed parameters and variables
    copies: list[tuple[Binding, str]] = []
    for _, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        kind = "field" if "field.name" in captures else "bind"
        if f"{kind}.name" not in captures:
            continue
        binding = binding_of(captures, kind)
        if kind == "bind":
            local.setdefault(binding.name, binding)
        elif binding.type or binding.call:
            found.setdefault(binding.name, binding)
        elif "field.copy" in captures:  # `self.ctx = ctx`: the parameter's type
            copies.append((binding, node_text(captures["field.copy"][0])))
    for binding, source in copies:
        typed = local.get(source)
        if typed is not None and (typed.type or typed.call):
            found.setdefault(binding.name, replace(typed, name=binding.name, row=binding.row))
    return {name: through_local(b, local.get) for name, b in found.items()}


def assigned_fields(lines: list[str], language: str) -> dict[str, Binding]:
    """Fields a class assigns in any of its methods (`self.parser = build_block_parser(self)`
    in markdown's `build_parser`), the first assignment of each that says a type or a call:
    what declared_fields, which reads the constructors only, does not see."""
    if language not in ASSIGNING_LANGUAGES:
        return {}
    found: dict[str, Binding] = {}
    for row, line in enumerate(lines):
        match = _ASSIGNED.match(line)
        if match is None or match.group(1) in found:
            continue
        name, annotation, callee, called = match.groups()
        if annotation:
            found[name] = Binding(name, declared_type(annotation), "", row)
        elif callee and called:
            found[name] = Binding(name, "", callee, row)
    return found


def type_fields(index, owner: DefinitionRef, language: str) -> dict[str, Binding]:
    """The fields a type in the index declares or assigns, parsed from its text and memoised
    in the index's memos until the file's next committed parse."""
    symbols, version = index.entry(owner.path)
    key = (owner.path, version, owner.definition.start_line, language)
    found = index.memos.fields.get(key)
    if found is None:
        lines = definition_lines(index, owner)
        found = (
            assigned_fields(lines, language)
            | declared_fields("\n".join(without_method_bodies(lines, owner, symbols)), language)
            if lines
            else {}
        )
        index.memos.fields.put(key, found)
    return found
