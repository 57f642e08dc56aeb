"""What a receiver that is no typed value lists in the receiver hint (receiver.py): a module
alias's top-level names (`utils.`, a Go package's `pkg.`), an imported value's members (`export
const provider = {...}`, a TS namespace, a Rust `mod`); and the names a file uses through a
receiver, above the cursor's line or anywhere but on it, which order a type's members too."""

from __future__ import annotations

import posixpath
import re

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.imported import held_definitions
from coderd.context.retrieve.members import (
    DEFAULT_MODULE_FILES,
    MAX_MODULE_FILES,
    beside_used,
    exported,
)
from coderd.context.retrieve.receiver_text import Receiver
from coderd.context.retrieve.scope import package_exports
from coderd.context.retrieve.skeletons import is_dunder, ranked_members


def module_members(
    index: WorkspaceIndex,
    rel: str,
    files: list[str],
    language: str,
    near: frozenset[str],
    used: frozenset[str] = frozenset(),
    above: frozenset[str] = frozenset(),
) -> tuple[DefinitionRef, tuple[DefinitionRef, ...]] | None:
    """A module alias's top-level names as one group (a Go package: its exported names in all
    its files; a Python package: what its `__init__.py` imports too), best first, under a
    stand-in for the module: "module" at the file, or the package's folder. Names declared
    next to one the file uses through the alias (`used`) count one more word, as in the
    block's module lists (members.beside_used); those used through it above the cursor's
    line (`above`) come after the others, as a type's members do."""
    files = list(dict.fromkeys(files))
    if len(files) > MAX_MODULE_FILES.get(language, DEFAULT_MODULE_FILES):
        files = files[: MAX_MODULE_FILES["go"]] if language == "go" else []
    found: dict[str, DefinitionRef] = {}
    for file in files:
        symbols = index.file(file)
        for d in symbols.definitions if symbols and file != rel else ():
            if not d.container and d.kind not in ("impl", "module") and exported(d, language):
                found.setdefault(d.name, DefinitionRef(file, d))
        for name, refs in package_exports(index, file, language).items():
            if refs:
                found.setdefault(name, refs[0])
    if not found:
        return None
    where = files[0] if len(files) == 1 else posixpath.dirname(files[0]) + "/"
    owner = DefinitionRef(where, Definition("module", "module", "", "", 1, 1))
    members = [m for m in found.values() if not is_dunder(m.definition.name)]
    popular = index.popularity({m.definition.name for m in members}, rel)
    by_file: dict[str, list[Definition]] = {}
    for m in members:
        by_file.setdefault(m.path, []).append(m.definition)
    beside = frozenset().union(*(beside_used(d, used) for d in by_file.values())) if used else None
    ranked = ranked_members(members, {}, popular, near, above, beside=beside or frozenset())
    return owner, tuple(ranked)


def uses_through(text: str, receiver: Receiver) -> tuple[frozenset[str], frozenset[str]]:
    """The names the file uses through the receiver (`nodes.Slice`) on lines other than the
    cursor's (the text the hint's cache signature covers: builder.py), and those of them
    used above it, which the prompt's prefix shows (ranked after the others: method
    +8/+2/+3 of 2,465, module +4/+1/0 of 1,658)."""
    line_start = text.rfind("\n", 0, receiver.end) + 1
    line_end = text.find("\n", receiver.end)
    pattern = rf"(?<![\w$.]){re.escape(receiver.expression)}(?:\.|::)([A-Za-z_$][\w$]*)"
    used: set[str] = set()
    above: set[str] = set()
    for found in re.finditer(pattern, text):
        if found.start() < line_start:
            above.add(found.group(1))
        elif line_end < 0 or found.start() < line_end:
            continue  # the cursor's line
        used.add(found.group(1))
    return frozenset(used), frozenset(above)


def value_members(
    index: WorkspaceIndex, rel: str, scope, name: str, near: frozenset[str]
) -> tuple[DefinitionRef, tuple[DefinitionRef, ...]] | None:
    """An imported value whose definition holds others (`export const provider = {
    setTimeout() {...} }`, a TS namespace, a Rust `mod`): those, best first (imported.py
    shows the same in the block)."""
    for local, refs in scope.named:
        for ref in refs if local == name else ():
            inner = held_definitions(index, ref) if ref.path != rel else []
            if inner:
                popular = index.popularity({m.definition.name for m in inner}, rel)
                return ref, tuple(ranked_members(inner, {}, popular, near))
    return None
