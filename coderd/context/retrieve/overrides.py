"""The type of a Python method's unannotated parameter, read from the method it overrides.

markdown's extensions write `def extendMarkdown(self, md):` and call `md.treeprocessors
.register(...)`; their base class declares `def extendMarkdown(self, md: Markdown) -> None`.
A subclass's override takes what the base method takes (type checkers such as pyright infer
the parameter the same way), so the base's annotation types it. The nearest base declaring an
annotation for a parameter of that name wins.
"""

from __future__ import annotations

from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.brackets import parameter_list, split_top
from coderd.context.retrieve.resolving import Resolving
from coderd.context.retrieve.typenames import normalize_type

METHOD_KINDS = frozenset({"method", "function"})


def inherited_parameter_types(resolver: Resolving, name: str) -> list[DefinitionRef]:
    """Types of `name` when it is an unannotated parameter of the method around the cursor
    that a base class's method of the same name annotates."""
    env = resolver.env
    if resolver.language != "python" or not env.receiver_type:
        return []
    symbols = resolver.index.file(resolver.rel)
    row = env.row + 1
    around = [
        d
        for d in (symbols.definitions if symbols else ())
        if d.kind in METHOD_KINDS and d.container and d.start_line <= row <= d.end_line
    ]
    if not around:
        return []
    method = max(around, key=lambda d: d.start_line)  # the innermost
    if parameter_annotation(method.signature, name) != "":
        return []  # not a parameter, or one annotated already (infer.py typed it)
    for base in resolver.members_named(resolver.receiver_types(), method.name):
        if base.path == resolver.rel and base.definition.start_line == method.start_line:
            continue  # the method itself
        annotation = parameter_annotation(base.definition.signature, name)
        if annotation:
            return resolver.resolve_type(normalize_type(annotation), base.path)
    return []


def parameter_annotation(signature: str, name: str) -> str | None:
    """The annotation of parameter `name` in a `def` signature: "" when it has none, None when
    there is no such parameter."""
    found = parameter_list(signature)
    if found is None:
        return None
    for parameter in split_top(found[0], ","):
        head, _, rest = parameter.partition(":")
        if head.strip().lstrip("*") == name:
            return rest.partition("=")[0].strip() if rest else ""
        if parameter.split("=", 1)[0].strip().lstrip("*") == name:
            return ""
    return None
