"""Signature lists ("skeletons"): the members of a type, a module or a package shown as
their header lines, best first (members.py decides what goes in one; render.py shows it).

A list is grouped per (file, owning type). When the owning type's definition is in that file
and holds the members, the list is that definition (its header line shows first); otherwise
it is a synthetic `skeleton` Definition spanning the members.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.typed import TYPE_KINDS
from coderd.context.retrieve.usage import UNUSED

SKELETON = "skeleton"  # Definition.kind of a synthetic signature list
# Lines above and below the cursor's whose words rank unused members (dev method recall at
# 256/512/1024: 8 lines 0.293/0.496/0.691, 4 lines 0.309/0.504/0.699, 16: 0.301/0.504/0.667).
NEAR_LINES = 4
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUBWORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
# Words too common in member names to say which member is meant.
_COMMON = frozenset({"get", "set", "has", "new", "the", "and", "for", "from", "with", "self"})


def skeletons(
    types: list[DefinitionRef],
    members: list[DefinitionRef],
    used: dict[str, int],
    popular: dict[str, int],
    current: str = "",
    enclosing: Callable[[str, str, int], DefinitionRef | None] | None = None,
    near: frozenset[str] = frozenset(),
    earlier: frozenset[str] = frozenset(),
) -> list[tuple[DefinitionRef, tuple[Definition, ...], str]]:
    """A signature list per (file, owning type): the type's own definition when it is in that
    file, else a synthetic `skeleton` definition spanning the members; and what it is: "own"
    (the type's body), "spread" (the type's members in another file: Go methods, Rust impls)
    or "base" (a base class's members, when the type itself is not in the current file)."""
    groups: dict[tuple[str, str], dict[str, DefinitionRef]] = {}
    for member in members:  # overloads: the last definition of a name (the implementation)
        groups.setdefault((member.path, member.definition.container), {})[
            member.definition.name
        ] = member
    owners = {(t.path, t.definition.name): t for t in types}
    names = {t.definition.name for t in types}
    local = any(t.path == current for t in types)
    found = []
    for (path, container), by_name in groups.items():
        ranked = ranked_members(list(by_name.values()), used, popular, near, earlier)
        own = owner = owners.get((path, container))
        if owner is None and enclosing is not None and container not in names:
            # A base class's members: shown under its own header (`class Base(...)`), which
            # says whose they are; found where the members are, in that file.
            owner = enclosing(path, container, ranked[0].definition.start_line)
        if (
            owner is not None
            and owner.definition.kind in TYPE_KINDS
            and owner.definition.start_line
            <= ranked[0].definition.start_line
            <= owner.definition.end_line
        ):
            kind = "own" if own is not None or local else "base"
            found.append((owner, tuple(m.definition for m in ranked), kind))
        else:
            ref, shown = signature_list(path, container, ranked)
            kind = "spread" if container in names else "own" if local else "base"
            found.append((ref, shown, kind))
    for t in types:  # a type with no members in its body still shows (fields, variants)
        if not any(
            ref.path == t.path and ref.definition.start_line == t.definition.start_line
            for ref, _, _ in found
        ):
            found.append((t, (), "own"))
    return found


def enclosing_type(index, path: str, name: str, line: int) -> DefinitionRef | None:
    """The type called `name` in `path` whose body holds `line`, if there is one."""
    for ref in index.lookup(name):
        d = ref.definition
        if ref.path == path and d.kind in TYPE_KINDS and d.start_line <= line <= d.end_line:
            return ref
    return None


def ranked_members(
    members: list[DefinitionRef],
    used: Mapping[str, int],
    popular: dict[str, int] | None = None,
    near: frozenset[str] = frozenset(),
    earlier: frozenset[str] = frozenset(),
    private_too: bool = False,
    beside: frozenset[str] = frozenset(),
) -> list[DefinitionRef]:
    """Members the file uses first, nearest use first (code calls what it called nearby
    again); then the others: public before private before dunder (and a TypeScript
    `constructor`, which `obj.` never calls), best first by how many files of the workspace
    use them (`popular`, on a log scale) plus how many words of their name are in the lines
    around the cursor (`near`: `finalCmd.InitDefaultVersionFlag()` on the next line says
    InitDefaultHelpFlag more than the popular Flags does), then in file order. With 8 lines
    of words, dev method recall 0.293/0.488/0.642 -> 0.293/0.488/0.675, module +1 at 256,
    nothing lost; the words counted before popularity instead of added to it lost 3 samples
    at 512 tokens. Members the file uses only above the cursor's line (`earlier`) rank as
    unused, after those: the prompt's prefix already shows them called, the list is for what
    it does not show (the evaluation's samples are first uses, which favours this: method
    recall on the five tuned sets +15/+9/+5 of 597 at 256/512/1024, module +4/+1/+2).
    `private_too`: private members rank as public ones (`self.` in a subclass calls its
    bases' `_helpers` as often as anything). `beside`: names declared right next to one the
    file uses, which count one more shared word.
    """
    popular = popular or {}
    shared = shared_words([m.definition.name for m in members], near)

    def key(ref: DefinitionRef):
        name = ref.definition.name
        dunder = is_dunder(name)
        seen = name in earlier
        return (
            UNUSED if seen else used.get(name, UNUSED),
            2 if dunder else 1 if name.startswith("_") and not private_too else 0,
            seen,
            -(math.log1p(popular.get(name, 0)) + shared.get(name, 0) + (name in beside)),
            ref.definition.start_line,
        )

    return sorted(members, key=key)


def is_dunder(name: str) -> bool:
    """`obj.__init__`, a TypeScript `constructor`: rarely what `obj.` goes on to call."""
    return (name.startswith("__") and name.endswith("__")) or name == "constructor"


def shared_words(names: list[str], near: frozenset[str]) -> dict[str, int]:
    """How many of its words each of `names` shares with `near` (only those sharing one)."""
    if not near:
        return {}
    blob = "\n".join(names).lower()
    present = [w for w in near if w in blob]  # most lists share no word: no name is split
    if not present:
        return {}
    # One search per name for any of the words (object's elf.rs lists 2,700 constants: a
    # test per name and word took 2.6 ms a call on that list, this 1.1).
    search = re.compile("|".join(map(re.escape, present))).search
    return {
        name: len(subwords(name) & near)
        for name, lowered in zip(names, blob.split("\n"))
        if search(lowered)
    }


def subwords(name: str) -> set[str]:
    """`InitDefaultHelpFlag`, `init_default_help_flag` -> {init, default, help, flag}."""
    return {w.lower() for w in _SUBWORD.findall(name)} - _COMMON


def last_word(text: str) -> str:
    """The last word of `text`'s last identifier, in lower case (`file_sizes` -> `sizes`)."""
    words = _SUBWORD.findall(text)
    return words[-1].lower() if words else ""


def near_words(text: str, offset: int, lines: int = NEAR_LINES) -> frozenset[str]:
    """The words of the identifiers in the `lines` lines above and below the cursor's line
    (not that line: what is typed there must not change the context)."""
    start, end = text.rfind("\n", 0, offset) + 1, text.find("\n", offset)
    above = start - 1
    for _ in range(lines):
        if above <= 0:
            break
        above = text.rfind("\n", 0, above)
    below = end
    for _ in range(lines):
        if below < 0:
            break
        below = text.find("\n", below + 1)
    window = text[max(above, 0) : start] + (
        text[end : below if below >= 0 else None] if end >= 0 else ""
    )
    words: set[str] = set()
    for identifier in set(_IDENTIFIER.findall(window)):
        words |= subwords(identifier)
    return frozenset(w for w in words if len(w) > 2)


def signature_list(
    path: str, container: str, ranked: list[DefinitionRef]
) -> tuple[DefinitionRef, tuple[Definition, ...]]:
    definitions = tuple(m.definition for m in ranked)
    start = min(d.start_line for d in definitions)
    end = max(d.end_line for d in definitions)
    names = ",".join(d.name for d in definitions)
    synthetic = Definition(
        container or path.rpartition("/")[2], SKELETON, names, "", start, end, container
    )
    return DefinitionRef(path, synthetic), definitions
