"""Which definitions (and windows) from other files a completion at the cursor should see, best first.

Sources, each with its own time limit (a source that runs out stops and keeps what it found):

1. **imports** (imported.py, scope.py): imported names and values, attributes through module
   aliases, the names of open files used bare (Go's package, C includes, `*`).
2. **type**, **module**, **package** (members.py, packages.py, infer.py, typed.py, elements.py):
   the types of the names at the cursor (locals, parameters, `self`/`this`, fields, properties,
   call results, loop variables and callback parameters: a sequence's elements) as
   signature lists, the members the file uses first; module aliases the same way; a Go
   package's names next to those used and its most popular ones.
3. **member**: `obj.name` where `obj`'s type is unknown: the method, if few classes have one
   of that name or it belongs to a class the file imports.
4. **nearby**: identifiers in the lines above the cursor, looked up anywhere in the index.
5. **recent** / **similar** (recent.py): regions of other files edited or viewed lately, and
   windows of open and recent files lexically close (Jaccard) to the lines above.

Ranking: each source scores its candidates by how close to the cursor their names are used
(usage.py: buckets of line distance, so moving one line rarely reorders anything), and the
source decides what that distance weighs (`RANK`: a tier plus a slope per bucket). What the
file imports (names, module members it uses, a Go package's names) is what the next line most
likely needs whatever the distance, so those sit in the first tier and distance only orders
them among themselves; a name imported and not used yet is about to be, and comes first.
Resolved types of the names at the cursor come next, guesses (members of receivers of unknown
type, identifiers looked up anywhere) after every resolved definition, and windows of recent
files last. Measured with bench/context_eval.py against the naive import list (#13).

Stability: everything here depends on the index, on the ring buffer and on the text of the
file *except the cursor's line before the cursor*, never on what is being typed. So the context
block stays byte-identical while the user types (it is what the KV cache keeps).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from operator import itemgetter

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.above import nearby_identifiers
from coderd.context.retrieve.imported import implementations, import_candidates, value_members
from coderd.context.retrieve.infer import environment
from coderd.context.retrieve.infer_parse import ParseMemo
from coderd.context.retrieve.members import module_candidates, typed_candidates
from coderd.context.retrieve.once import (
    declared_modules,
    listed_exports,
    reexported,
    shown_once,
    without_copies,
)
from coderd.context.retrieve.packages import package_candidates
from coderd.context.retrieve.paths import is_aside
from coderd.context.retrieve.recent import RecentRegions, recent_candidates, similar_candidates
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.skeletons import SKELETON, near_words
from coderd.context.retrieve.typed import TYPE_KINDS, TypeResolver
from coderd.context.retrieve.usage import Usage, usage_of

__all__ = ["Candidate", "is_type", "retrieve", "without_copies"]  # the last from once.py

# Identifiers near the cursor are looked up only as callables and types: a local variable
# that shares its name with some other file's module-level variable is noise.
NEARBY_KINDS = frozenset(
    {"function", "method", "class", "struct", "interface", "enum", "trait", "type", "macro"}
)
MAX_NEARBY_HOMONYMS = 3
MAX_MEMBER_HOMONYMS = 3
# source -> (tier, weight of the source's own score): rank = tier + weight × score, lower is
# better. Sources score in distance buckets (0 .. UNUSED, usage.py); 0.1 a bucket keeps every
# in-scope name (tier 0, bucket <= 9) ahead of the first guess (tier 1).
RANK = {
    "import": (0.0, 0.1),
    "module": (0.0, 0.1),
    "package": (0.0, 0.1),
    "sibling": (0.0, 0.1),  # a package's name declared next to one the file uses (packages.py)
    "type": (0.2, 0.1),
    "member": (1.0, 0.25),
    "nearby": (1.25, 0.25),
    "recent": (5.5, 1.0),
    "similar": (6.5, 1.0),
}
# The thread's CPU clock is read once in this many steps of a loop: a read is a system call
# (1 µs on an idle VM, tens under load), and a build read it 160 times (chrono).
CLOCK_EVERY = 8
# Default time limits per source, in milliseconds of this thread's CPU time (time.thread_time):
# another thread holding the GIL (the index parsing a buffer) must not cut a source short,
# or the context would change from one keystroke to the next.
TIME_LIMITS_MS = {
    "imports": 6.0,
    "types": 4.0,
    "members": 2.0,
    "nearby": 2.0,
    "recent": 1.5,
    "similar": 3.0,
}


@dataclass(frozen=True)
class Candidate:
    ref: DefinitionRef
    source: str  # import, module, package, sibling, type, member, nearby, recent or similar
    score: float = 0.0
    # For a type or a signature list: the members to show, best first (None: pack chooses).
    members: tuple[Definition, ...] | None = None
    # Its members were chosen as the type of a name at the cursor (a "type" candidate merged
    # into a better-ranked module candidate of the same class): pack grows them as a type's.
    typed: bool = False


def is_type(definition: Definition) -> bool:
    return definition.kind in TYPE_KINDS


def retrieve(
    index: WorkspaceIndex,
    rel_path: str,
    text: str,
    offset: int,
    nearby_lines: int,
    recent: RecentRegions | None = None,
    limits_ms: dict[str, float] | None = None,
    usage: Usage | None = None,
    parse_memo: ParseMemo | None = None,
    max_listed: int | None = None,
) -> list[Candidate]:
    """Candidates best first. `recent` is a RecentRegions ring buffer (or None); `usage`
    (from usage_of) is filled in further (its `members`) for pack's member selection;
    `parse_memo`: the document's last blanked parse (the builder keeps one per document);
    `max_listed`: the most members a list can show in the budget (the rest are cut here)."""
    limits = {**TIME_LIMITS_MS, **(limits_ms or {})}
    symbols = index.file(rel_path)
    language = symbols.language if symbols else ""
    usage = (
        usage if usage is not None else usage_of(text, offset, symbols.imports if symbols else ())
    )
    ranked: dict[tuple[str, int, bool], tuple[float, int, Candidate]] = {}

    def add(ref: DefinitionRef, source: str, score: float, members=None) -> None:
        if ref.path == rel_path:
            return
        if members is not None and max_listed is not None:
            members = members[:max_listed]  # elf.rs' 2,700 constants, past what the budget shows
        # A signature list may start where its first member does (semver's parse.rs list at
        # `pub struct Error`): it is not that definition, and must not lend it its members.
        key = (ref.path, ref.definition.start_line, ref.definition.kind == SKELETON)
        tier, weight = RANK[source]
        score = tier + weight * score
        old = ranked.get(key)
        # Into a name imported directly, a type's list grows as the import's (after every
        # imported line: growing it as a type's cost import -4/-4/0, module -3/-4/-2); into a
        # module alias's name (`app = typer.Typer()`), as a type's.
        typed = (source == "type" and (old is None or old[2].source != "import")) or (
            old is not None and old[2].typed and source != "import"
        )
        if old is not None and members is None:
            members = old[2].members
        if old is None or score < old[0]:
            ranked[key] = (
                score,
                old[1] if old else len(ranked),
                Candidate(ref, source, score, members, typed),
            )
        elif (members is not None and old[2].members is None) or typed != old[2].typed:
            ranked[key] = (
                old[0],
                old[1],
                Candidate(old[2].ref, old[2].source, old[2].score, members, typed),
            )

    # 1. imports
    deadline = time.thread_time() + limits["imports"] / 1000
    scope = scope_of(index, rel_path, symbols, language, deadline)
    exported = reexported(text, symbols.imports if symbols else ()) | listed_exports(usage.exports)
    near = near_words(text, offset)
    import_candidates(index, scope, usage, language, add, exported, near)
    value_members(index, rel_path, scope, usage, add)
    package_candidates(index, rel_path, scope, usage, add, language, near)
    # 2. typed names and module aliases
    env = environment(index, rel_path, text, offset, language, parse_memo)  # bounded (infer.py)
    deadline = time.thread_time() + limits["types"] / 1000
    resolver = TypeResolver(index, rel_path, scope, env, language)
    row = text.count("\n", 0, offset)
    typed = typed_candidates(resolver, usage, row, add, deadline, near)
    declared = declared_modules(text, symbols.imports) if symbols and language == "rust" else ()
    module_candidates(index, rel_path, scope, usage, add, deadline, language, near, declared)
    # 3. members of objects of unknown type
    deadline = time.thread_time() + limits["members"] / 1000
    known = set(scope.modules) | typed
    visible_types = {
        ref.definition.name
        for _, refs in scope.named
        for ref in refs
        if ref.definition.kind in TYPE_KINDS
    }
    for i, ((base, name), b) in enumerate(sorted(usage.pairs.items(), key=itemgetter(1, 0))):
        if i % CLOCK_EVERY == 0 and time.thread_time() > deadline:
            break
        if base in scope.modules or len(name) < 3:
            continue
        usage.members.setdefault(name, b)
        if base in known:
            continue  # typed: its members were found exactly above
        refs = implementations(
            [
                r
                for r in index.lookup(name)
                if r.definition.container and r.definition.kind != "impl" and r.path != rel_path
            ]
        )
        preferred = [r for r in refs if r.definition.container in visible_types]
        if preferred or len(refs) <= MAX_MEMBER_HOMONYMS:
            for ref in preferred or refs:
                add(ref, "member", b + (0 if preferred else 0.5))
    # 4. identifiers above the cursor, anywhere in the index
    deadline = time.thread_time() + limits["nearby"] / 1000
    in_tests = is_aside(rel_path)
    skip = usage.import_rows if symbols else ()
    for i, name in enumerate(nearby_identifiers(text, offset, nearby_lines, skip)):
        if i % CLOCK_EVERY == 0 and time.thread_time() > deadline:
            break
        if name in env.variables:
            continue  # a local variable that happens to share a name with some definition
        refs = [
            r
            for r in index.lookup(name)
            if r.definition.kind in NEARBY_KINDS
            and not r.definition.container
            and is_aside(r.path) <= in_tests
        ]
        if len(refs) <= MAX_NEARBY_HOMONYMS:  # a name defined in many places says little
            for ref in refs:
                add(ref, "nearby", usage.of(name))
    # 5. the ring buffer: recent regions, then windows similar to the lines above
    if recent is not None:
        deadline = time.thread_time() + limits["recent"] / 1000
        for ref, order in recent_candidates(index, recent, rel_path, deadline):
            add(ref, "recent", order * 0.01)
        deadline = time.thread_time() + limits["similar"] / 1000
        for ref, similarity in similar_candidates(index, recent, rel_path, text, offset, deadline):
            add(ref, "similar", 1 - similarity)
    found = [c for _, _, c in sorted(ranked.values(), key=lambda item: (item[0], item[1]))]
    return shown_once(without_copies(found))
