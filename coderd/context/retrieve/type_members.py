"""The members of a type, for one request (memoised): those in its body, its package's Go
methods and Rust impls (`impl Trait for T` brings the trait's, `Deref` its target's), then
those of its base classes and embedded types, nearest first, a few levels deep. Type names
are resolved through the request's TypeResolver (typed.py), which owns one of these.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex

TYPE_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "type"})
# Base classes followed this deep: parso's Name reaches NodeOrLeaf (get_previous_sibling,
# get_root_node) through _LeafWithoutNewlines, PythonLeaf and Leaf.
MAX_BASE_DEPTH = 6

ResolveType = Callable[[str, str, int], list[DefinitionRef]]  # (name, file written in, depth)


class TypeMembers:
    """Member lists of the types one request meets; `resolve_type` finds a base's definition
    as the file that names it sees it."""

    def __init__(self, index: WorkspaceIndex, language: str, resolve_type: ResolveType) -> None:
        self.index, self.language = index, language
        self._resolve_type = resolve_type
        self._members: dict[tuple[str, int], list[DefinitionRef]] = {}

    def of(self, owner: DefinitionRef, depth: int = 0) -> list[DefinitionRef]:
        """Members of a type: its body, its package's Go methods and Rust impls, then those of
        its bases (nearest first)."""
        key = (owner.path, owner.definition.start_line)
        if key in self._members:
            return self._members[key]
        self._members[key] = []
        name = owner.definition.name
        directory = posixpath.dirname(owner.path)
        # A Rust impl block in a file that defines its own type of that name is for that type
        # (crossbeam: a `Channel` and its impl in each flavour module). An alias (`type
        # Bucket<T> = super::Bucket<T, ()>`) defines none: the impls are its target's.
        alias = owner.definition.kind == "type"
        homonyms = (
            self._homes(name) - {owner.path} if self.language == "rust" and not alias else set()
        )
        found = [
            r
            for r in self.index.members(name)
            if r.path == owner.path
            or (
                self.language in ("go", "rust")
                and r.path not in homonyms
                and _same_package(r.path, owner.path, directory, self.language)
            )
        ]
        bases = [(base, owner.path) for base in owner.definition.bases]
        bases += [
            (r.definition.name, r.path) for r in found if r.definition.kind == "impl"
        ]  # Rust traits
        bases += [(t, r.path) for r in found if (t := deref_target(r))]  # then Deref's Target
        found = [r for r in found if r.definition.kind != "impl"]
        if depth < MAX_BASE_DEPTH:
            seen = {(m.path, m.definition.start_line) for m in found}
            for base, written_in in bases:
                for base_ref in self._resolve_type(base, written_in, depth + 1):
                    for m in self.of(base_ref, depth + 1):
                        if (m.path, m.definition.start_line) not in seen:
                            seen.add((m.path, m.definition.start_line))
                            found.append(m)
        self._members[key] = found
        return found

    def _homes(self, name: str) -> set[str]:
        """The files defining a top-level type called `name` (aliases aside)."""
        return {
            r.path
            for r in self.index.lookup(name)
            if r.definition.kind in TYPE_KINDS - {"type"} and not r.definition.container
        }

    def named(self, owners: list[DefinitionRef], name: str) -> list[DefinitionRef]:
        return [m for owner in owners for m in self.of(owner) if m.definition.name == name]


def deref_target(member: DefinitionRef) -> str:
    """What a Rust `fn deref(&self) -> &Target` gives, its members reachable through the type
    (`impl Deref for Ptr { fn deref(&self) -> &Stream }`); not a generic's or `Self::Target`."""
    d = member.definition
    if d.name != "deref" or d.kind != "method" or not d.returns[:1].isupper():
        return ""
    return "" if d.returns.startswith("Self") or len(d.returns) == 1 else d.returns


def _same_package(path: str, owner_path: str, directory: str, language: str) -> bool:
    if language == "go":
        return posixpath.dirname(path) == directory
    crate = owner_path.split("/src/", 1)[0] if "/src/" in owner_path else ""
    return path.startswith(crate) if crate else True
