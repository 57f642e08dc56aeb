"""Candidates from the rest of a Go or Java package, which a file may use without importing:
the definitions next to a package-level name the file uses, and the package's names the file
does not use yet, after everything it does use (those the package's files most like this one
use first, then the most popular, the others later). One of the signature-list sources beside
members.py's types, modules and values.
"""

from __future__ import annotations

from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.members import Add
from coderd.context.retrieve.similar import similar_use
from coderd.context.retrieve.skeletons import shared_words, signature_list
from coderd.context.retrieve.usage import UNUSED, Usage

SIBLING_LINES = 2  # a definition this close to a used one is its sibling
SIBLING_PENALTY = 3
MAX_PACKAGE_NAMES = 24  # the package's most popular names not used yet, as signature lists
PACKAGE_SCORE = 4.0
# The package's names past the MAX_PACKAGE_NAMES most popular: lists of their own, this much
# later (#13: no cap that makes a name unreachable). Grown into the popular names' lists,
# they cost cobra's and websocket's methods at 1,024 tokens (-5); apart, -2 for +10 package.
LATE_PACKAGE = 4.0


def package_candidates(
    index,
    rel: str,
    scope,
    usage: Usage,
    add: Add,
    language: str = "",
    near: frozenset[str] = frozenset(),
) -> None:
    """Go/Java: the rest of the package, which the file may use without importing it. A name
    used bare brings the names declared right next to it (the rest of its `const (...)` block,
    its companions); and the package's most used names (in how many files) that this file does
    not use yet come as signature lists, after everything the file does use: first those that
    the package's files most like this one use (similar.py) plus how many words of their name
    the lines around the cursor have (`near`, skeletons.near_words: memberlist's `Ping` field
    among `Events EventDelegate` lines is a PingDelegate), then by popularity. The words
    added to the similarity: Go package recall +30/+55/+43 of 886 samples at 256/512/1,024
    tokens on all sets; weighed 0.25, 0.5 or taken first, +20 to +25/+44 to +56/+40 to +44."""
    unused: list[DefinitionRef] = []
    siblings: dict[tuple[str, int], tuple[DefinitionRef, float]] = {}
    for file, source in scope.open_files:
        if source != "package":
            continue
        symbols = index.file(file)
        definitions = (
            [
                d
                for d in symbols.definitions
                if not d.container
                and d.kind != "impl"
                and not (language == "go" and d.name == "init")  # the runtime calls it
            ]
            if symbols
            else []
        )
        used = [(usage.bare_of(d.name), d) for d in definitions]
        # A Go name used only as `x.Name` is a candidate already (candidates.py: a method or
        # field of that name): in a list too, it was shown twice (cobra's `legacyArgs`).
        unused += [
            DefinitionRef(file, d)
            for b, d in used
            if b >= UNUSED and (language != "go" or usage.attr_of(d.name) >= UNUSED)
        ]
        for b, d in used:
            if b >= UNUSED:
                continue
            for other_b, other in used:
                if other_b >= UNUSED and abs(other.start_line - d.end_line) <= SIBLING_LINES:
                    key = (file, other.start_line)
                    score = min(b + SIBLING_PENALTY, siblings.get(key, (None, UNUSED + 9))[1])
                    siblings[key] = (DefinitionRef(file, other), score)
    # A sibling is a candidate of its own and left out of the lists below: listed there, it
    # waited for its list to grow that far (chi's `mPUT`, next to the `mPOST` the file uses,
    # was the 20th name of tree.go's list and missing at 256 tokens), and shown by both, twice.
    for ref, score in siblings.values():
        add(ref, "sibling", score)
    unused = [r for r in unused if (r.path, r.definition.start_line) not in siblings]
    names = {r.definition.name for r in unused}
    similar = similar_use(index, rel, names) if unused else {}
    popular = index.popularity(names, rel) if unused else {}
    shared = shared_words(list(names), near) if unused else {}
    unused = sorted(
        unused,
        key=lambda r: (
            -(similar.get(r.definition.name, 0) + shared.get(r.definition.name, 0)),
            -popular.get(r.definition.name, 0),
            r.path,
            r.definition.start_line,
        ),
    )
    unused, rest = unused[:MAX_PACKAGE_NAMES], unused[MAX_PACKAGE_NAMES:]
    by_file: dict[str, list[DefinitionRef]] = {}
    for ref in unused:
        by_file.setdefault(ref.path, []).append(ref)
    for position, (file, refs) in enumerate(by_file.items()):
        ref, shown = signature_list(file, "", refs)
        add(ref, "package", PACKAGE_SCORE + position * 0.25, shown)
    late: dict[str, list[DefinitionRef]] = {}
    for ref in rest:
        late.setdefault(ref.path, []).append(ref)
    for position, (file, refs) in enumerate(late.items()):
        ref, shown = signature_list(file, "", refs)
        add(ref, "package", PACKAGE_SCORE + LATE_PACKAGE + position * 0.25, shown)
