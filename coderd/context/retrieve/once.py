"""Each definition once in the block: a generated copy (`dist/x.d.ts` next to `src/x.ts`) goes
when the hand-written one is there, a Go build variant when another is, and a definition
shown on its own leaves the signature lists ranked after it (#13: no type rendered twice). And the names a file imports only to
export them again (`pub use`, `export {x} from`): not what its code is about to use.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from coderd.context.retrieve.skeletons import SKELETON

# Lists here are of candidates.Candidate (that module imports this one, so not named here).
_QUOTED_NAME = re.compile(r"[\"']([A-Za-z_]\w*)[\"']")  # `"Name",` in `__all__`
GUESSES = frozenset({"member", "nearby"})  # candidates.py's sources that guess


# Folders of build output and declaration files: a copy of a definition whose source is in
# the workspace too (`dist/types/x.d.ts` next to `src/x.ts`) shows the same name twice.
GENERATED_PARTS = frozenset({"dist", "build", "out", "esm", "cjs", "esm5", "esm2015", "_esm"})
DECLARATION_SUFFIXES = (".d.ts", ".d.cts", ".d.mts")


def is_generated_copy(path: str) -> bool:
    parts = path.split("/")
    return path.endswith(DECLARATION_SUFFIXES) or any(p in GENERATED_PARTS for p in parts[:-1])


def without_copies(candidates: list) -> list:
    """One definition per name: a generated copy goes when a hand-written one is there, and
    of a Go package's build variants (gorilla/sessions' `options.go` and `options_go111.go`
    both declare `type Options struct`: two names in one package are two builds) the best
    ranked stays, alone or in a file's list. Candidates come best first. Go package hits
    +6/+1/+3 of 530 on eleven sets (sessions +3 at 256), none lost."""
    written = {
        (c.ref.definition.name, c.ref.definition.container)
        for c in candidates
        if not is_generated_copy(c.ref.path)
    }
    variants: set[tuple[str, str, str]] = set()
    kept = []
    for c in candidates:
        d = c.ref.definition
        go = c.ref.path.endswith(".go")
        folder = posixpath.dirname(c.ref.path)
        if d.kind == SKELETON and go and c.members:  # a list: its members, each once
            members = tuple(m for m in c.members if (folder, m.name, m.container) not in variants)
            variants.update((folder, m.name, m.container) for m in members)
            if members:
                kept.append(replace(c, members=members) if members != c.members else c)
            continue
        if d.kind in (SKELETON, "window"):
            kept.append(c)
            continue
        if is_generated_copy(c.ref.path) and (d.name, d.container) in written:
            continue
        if go:
            if (folder, d.name, d.container) in variants:
                continue
            variants.add((folder, d.name, d.container))
        kept.append(c)
    return kept


def shown_once(candidates: list) -> list:
    """A definition that is a candidate of its own and a member of a signature list ranked
    after it leaves that list; a guess (`member`, `nearby`) that a list ranked before it
    holds goes. Each was shown twice (semver's `pub struct Error {` and `pub struct Error`)."""
    own: dict[tuple[str, int], int] = {}
    for rank, c in enumerate(candidates):
        if c.ref.definition.kind != SKELETON:
            own.setdefault((c.ref.path, c.ref.definition.start_line), rank)
    paths = {path for path, _ in own}
    listed: set[tuple[str, int]] = set()
    kept = []
    for rank, c in enumerate(candidates):
        key = (c.ref.path, c.ref.definition.start_line)
        if c.source in GUESSES and key in listed:
            continue
        if c.members and c.ref.path in paths:
            members = tuple(
                m for m in c.members if own.get((c.ref.path, m.start_line), rank) >= rank
            )
            if not members and c.ref.definition.kind == SKELETON:
                continue
            if members and len(members) < len(c.members):
                c = replace(c, members=members)
        listed.update((c.ref.path, m.start_line) for m in c.members or ())
        kept.append(c)
    return kept


REEXPORTS = ("pub use", "pub(crate) use", "pub(super) use", "export ")


def reexported(text: str, imports) -> frozenset[str]:
    """Local names of the imports written as re-exports (`pub use x::{A, B};`, `export { a }
    from './a'`): itertools' lib.rs re-exports 300 names, each ranked first as "imported, not
    used yet", ahead of the names its code does use."""
    lines = text.split("\n", max((i.line for i in imports), default=0))
    found: set[str] = set()
    for statement in imports:
        if 0 < statement.line <= len(lines) and lines[statement.line - 1].lstrip().startswith(
            REEXPORTS
        ):
            renamed = dict(statement.aliases)
            found.update(renamed.get(n, n) for n in statement.names)
    return frozenset(found)


def listed_exports(exports: str) -> frozenset[str]:
    """The names a Python module's `__all__` lists (`exports`: the text of its `__all__`
    statements, Usage.exports): re-exported, like `pub use` (an `__init__.py` imports them
    to list them there, not to use them next)."""
    return frozenset(_QUOTED_NAME.findall(exports))


def declared_modules(text: str, imports) -> frozenset[str]:
    """Rust `mod x;` / `pub mod x;` items: the module they declare."""
    lines = text.split("\n", max((i.line for i in imports), default=0))
    return frozenset(
        i.module
        for i in imports
        if not i.names
        and 0 < i.line <= len(lines)
        and lines[i.line - 1].lstrip().startswith(("mod ", "pub mod ", "pub(crate) mod "))
    )
