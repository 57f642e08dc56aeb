"""Rust extension traits: a trait with a blanket impl (`impl<I> IterUtilsExt for I where I:
Iterator {}`, futures' `impl<T: ?Sized> StreamExt for T where T: Stream {}`) adds its methods to
every type that has one of the impl's bounds. Such a trait is imported only to call those
methods, so the receiver hint lists it after the receiver's own type (receiver.py): petgraph's
stable_graph imports IterUtilsExt to call `self.iter.ex_find_map(` on an EdgeReferences, whose
own members are the five of its Iterator impl."""

from __future__ import annotations

import re

from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# Bounds that say nothing about which types have the trait: every type is Sized, and a bound's
# associated type (`Add<M, Output = M>`) is not a trait.
_NOT_BOUNDS = frozenset({"Sized", "Output", "Item", "Error", "Target"})


def generic_parameters(signature: str) -> list[str]:
    """The names `impl<...>` declares (`impl<'a, T: ?Sized, Item>` -> T, Item); lifetimes
    left out (typenames.split_top would read the lifetime's `'` as a quote)."""
    signature = signature.replace("->", "  ")  # `Fn(u8) -> bool` closes no bracket
    start = signature.find("<")
    if start < 0 or not signature[:start].strip().endswith("impl"):
        return []
    depth, end = 0, start
    for end in range(start, len(signature)):
        depth += {"<": 1, ">": -1}.get(signature[end], 0)
        if depth == 0:
            break
    names, depth, part = [], 0, ""
    for char in signature[start + 1 : end] + ",":
        depth += {"<": 1, ">": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            found = _IDENTIFIER.match(part.strip())
            if found and not part.strip().startswith("'"):
                names.append(found.group())
            part = ""
        else:
            part += char
    return names


def blanket_bounds(index: WorkspaceIndex, trait: DefinitionRef) -> frozenset[str] | None:
    """The traits a type needs to get `trait` from its blanket impl (the impl's bounds and the
    trait's supertraits); None when no impl in the workspace gives it to every type."""
    name = trait.definition.name
    for ref in index.lookup(name):
        d = ref.definition
        if d.kind != "impl" or d.container not in generic_parameters(d.signature):
            continue
        head = trait.definition.signature.split("{")[0]
        supertraits = head.split(":", 1)[1] if ":" in head else ""
        words = set(_IDENTIFIER.findall(d.signature.split("{")[0] + " " + supertraits))
        words -= set(generic_parameters(d.signature)) | _NOT_BOUNDS | {name}
        return frozenset(w for w in words if w[0].isupper())  # not `where`, `futures_io::`
    return None


def blanket_traits(
    index: WorkspaceIndex, rel: str, scope, owners: list[DefinitionRef]
) -> list[DefinitionRef]:
    """The traits `rel` imports that a blanket impl gives to a type of `owners` (one that
    implements one of the impl's bounds, or any type when it names none); all the imported
    ones with a blanket impl when `owners` is empty (a receiver nothing types)."""
    implemented = {
        ref.definition.name
        for owner in owners
        for ref in index.members(owner.definition.name)
        if ref.definition.kind == "impl"
    }
    found: list[DefinitionRef] = []
    for _, refs in scope.named:
        for ref in refs:
            if ref.definition.kind != "trait" or ref.path == rel or ref in found:
                continue
            bounds = blanket_bounds(index, ref)
            if bounds is None or (owners and bounds and not bounds & implemented):
                continue
            found.append(ref)
    return found


def with_extensions(types: list[DefinitionRef], index, rel: str, scope, owners) -> list:
    """`types` and after them the extension traits `owners` have, all that `rel` imports
    when there are no owners (a receiver typed by a trait, or by nothing)."""
    return types + [t for t in blanket_traits(index, rel, scope, owners) if t not in types]
