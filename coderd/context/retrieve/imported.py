"""The candidates of what the file imports (candidates.py's first source): each imported name
(scope.py), each `alias.name` used through a module alias (a Python package's `__init__`
exports included), the names of open files used bare (Go's package, C includes), and an
imported value that holds definitions, shown with them (`value_members`: `export const
provider = { setTimeout() {...} }`, a Rust `mod`, a TS namespace; a JavaScript/TypeScript
object that names functions of its file, `export const filterFns = { includesString, equals }`:
those, as its file's signature list).

An imported name not used yet ranks first (NOT_YET_USED: it is about to be); one whose words
are all in the lines around the cursor, or that came in the import statement of a name used
right here, ranks as if used within 20 lines; a name of an open file (Go's package) that
shares words with them, as if used within 20 or 10 lines; the others by the distance of their
nearest use (usage.py), those used only above the cursor after the rest.
"""

from __future__ import annotations

import re

from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.members import Add
from coderd.context.retrieve.resolve import JS_LANGUAGES
from coderd.context.retrieve.scope import Scope, package_exports
from coderd.context.retrieve.skeletons import ranked_members, signature_list, subwords
from coderd.context.retrieve.typed import TYPE_KINDS
from coderd.context.retrieve.usage import NOT_YET_USED, UNUSED, Usage

# An imported name whose words (two or more, all of them) are in the lines around the cursor
# ranks as if used this near (bucket 3: within 20 lines): `block_end_string: str =` among
# its sibling parameters needs jinja2's BLOCK_END_STRING, used again only 80 lines below.
NEAR_WORDS_BUCKET = 3
# An imported name used only above the cursor's line ranks after those used below it, by the
# distance of its nearest use: the prompt's prefix shows it called, and a name used further on
# is what the next lines are more likely to need and to show nothing of. Ten sets: import
# hits +19/0/0 of 1,713 at 256/512/1,024 (click +4, requests +3); demoting a name used within
# 40 lines above even when it is used below too lost 15/8 of them against this. The same for
# a Go package's names and a module's names used through its alias: package +37/+14/+2 of 478
# (cast +19 at 256), module +2/+1/+3.
ABOVE_ONLY_BUCKET = 8
# An imported name used far from the cursor (past 20 lines, not only above it) ranks as if
# used within 20 lines when a name of its import statement is used within 5 (MATE_NEAR:
# bucket 1): chrono's `let mut parsed = Parsed::new();` above `parse(&mut parsed, s, ...)`,
# where `use crate::format::{parse, Parsed, ...}` brought both and `Parsed` is used again
# 1,400 lines below. Not in a statement of more than MATE_MAX names, a barrel's (mobx takes 38
# from "../internal"), where one name used nearby says nothing of the others. Fifteen sets:
# import +14/+5/+1 of 2,657 at 256/512/1,024 (chrono +5, httpx +3; three lost one each), no
# other kind moved; as if within 40 lines +10/+5/+1, a mate within 10 lines +7/+6/+1, any
# statement's size +12/+6/+1 (mobx -2).
MATE_NEAR = 1
# A name of the file's package used further away ranks as if used within 20 lines when one
# word of it is in the lines around the cursor, within 10 for two or more (buckets 3 and 2).
# Go package hits +53/+32/+6 of 895 at 256/512/1,024; all its words as for imported names
# +20/+16/+1, two shared +29/+22/+2, one as within 40 +51/+32/+6; the same for names used
# only above the cursor too -46 at 256.
SHARED_WORDS_BUCKETS = (UNUSED, 3, 2)
MATE_BUCKET = 3
MATE_MAX = 16
VALUE_MEMBER_KINDS = frozenset({"function", "class", "struct", "interface", "enum", "type"})
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def import_candidates(
    index: WorkspaceIndex,
    scope: Scope,
    usage: Usage,
    language: str,
    add,
    exported=frozenset(),
    near: frozenset[str] = frozenset(),
) -> None:
    mates = _statement_mates(scope, usage)
    for local, refs in scope.named:
        b: float = usage.of(local)
        if b < UNUSED and usage.in_prose_only(local):
            b = UNUSED  # named in a comment or a docstring only: not used yet
        if b == UNUSED and local not in exported:
            b = NOT_YET_USED  # imported but not used yet: most likely what is being written
        elif b < UNUSED and usage.above_only(local):
            b = ABOVE_ONLY_BUCKET + b / 10
        elif MATE_BUCKET < b < UNUSED and mates.get(local, UNUSED) <= MATE_NEAR:
            b = MATE_BUCKET
        elif b > NEAR_WORDS_BUCKET and near:
            words = subwords(local)
            if len(words) >= 2 and words <= near:
                b = NEAR_WORDS_BUCKET
        for ref in implementations(refs):
            add(ref, "import", b)
    for alias, files in scope.modules.items():
        wanted = set(files)
        exports: dict[str, list[DefinitionRef]] | None = None
        for name, b in usage.pairs_with(alias).items():
            found = [
                r for r in index.lookup(name) if r.path in wanted and not r.definition.container
            ]
            if not found:  # a name the package's __init__.py imports from one of its modules
                if exports is None:
                    exports = {}
                    for file in files:
                        exports.update(package_exports(index, file, language))
                found = exports.get(name, [])
            if usage.pair_above_only(alias, name):
                b = ABOVE_ONLY_BUCKET + b / 10  # as for imported names
            for ref in found:
                add(ref, "module", b)
    for file, source in scope.open_files:
        module = index.file(file)
        for definition in module.definitions if module else ():
            if not definition.container:
                b = usage.bare_of(definition.name)
                if b == UNUSED and language in ("go", "c", "cpp"):
                    b = usage.attr_of(definition.name)  # Go methods and fields, C struct members
                if source == "import" and b < UNUSED and usage.in_prose_only(definition.name):
                    continue  # pyparsing's docstring names 100 of its `import *` names (a Go
                    # package's names in comments are kept: -14/-17/-21 package hits without)
                if b < UNUSED and usage.above_only(definition.name):
                    b = ABOVE_ONLY_BUCKET + b / 10  # as for imported names
                elif b < UNUSED and near:
                    b = min(b, _shared_words_bucket(definition.name, near))
                if b < UNUSED:
                    add(DefinitionRef(file, definition), source, b)


def _shared_words_bucket(name: str, near: frozenset[str]) -> float:
    """A name of the file's package (or `*` import) that shares words with the lines around
    the cursor ranks as if used this near: raft's `verifyCh chan *verifyFuture` among the
    channels of futures, where the struct's types are used 400 lines below."""
    shared = len(subwords(name) & near)
    return SHARED_WORDS_BUCKETS[min(shared, len(SHARED_WORDS_BUCKETS) - 1)]


def _statement_mates(scope: Scope, usage: Usage) -> dict[str, float]:
    """Imported name -> the nearest use of any name of its import statement (itself too),
    for statements of MATE_MAX names at most."""
    nearest: dict[int, float] = {}
    sizes: dict[int, int] = {}
    for local, _ in scope.named:
        place = scope.statement.get(local)
        if place is not None:
            nearest[place] = min(nearest.get(place, UNUSED), usage.of(local))
            sizes[place] = sizes.get(place, 0) + 1
    return {
        local: nearest[place]
        for local, _ in scope.named
        if (place := scope.statement.get(local)) is not None and sizes[place] <= MATE_MAX
    }


def implementations(refs: list[DefinitionRef]) -> list[DefinitionRef]:
    """One definition per file and container: overloads (`@overload` stubs, TS signatures)
    come before the implementation, which is the last. A type and a value of one name are
    two (TypeScript's `interface BadArgument` and `const BadArgument`: `import type` means the
    first, a call the second)."""
    last: dict[tuple[str, str, bool], DefinitionRef] = {}
    for ref in refs:
        key = (ref.path, ref.definition.container, ref.definition.kind in TYPE_KINDS)
        if key not in last or ref.definition.start_line > last[key].definition.start_line:
            last[key] = ref
    return list(last.values())


def held_definitions(index, ref: DefinitionRef) -> list[DefinitionRef]:
    """The definitions inside a value's (`export const provider = { setTimeout() {...} }`, a
    TS namespace, a Rust `mod`): what `value.` reaches; none for a type, a function or a
    one-line value."""
    d = ref.definition
    if d.kind in TYPE_KINDS or d.kind in ("function", "method") or d.end_line == d.start_line:
        return []
    symbols = index.file(ref.path)
    return [
        DefinitionRef(ref.path, m)
        for m in (symbols.definitions if symbols else ())
        if m is not d and d.start_line <= m.start_line and m.end_line <= d.end_line
    ]


def value_members(index, rel: str, scope, usage: Usage, add: Add) -> None:
    """An imported value whose definition holds others (`export const provider = {
    setTimeout() {...} }`, a Rust `mod`, a TS namespace): shown with them, like a class."""
    for local, refs in scope.named:
        for ref in refs:
            d = ref.definition
            if (
                d.kind in TYPE_KINDS
                or d.kind in ("function", "method")
                or d.end_line == d.start_line
            ):
                continue
            symbols = index.file(ref.path)
            inner = held_definitions(index, ref)
            if inner:
                used = usage.pairs_with(local)
                popular = index.popularity({m.definition.name for m in inner}, rel)
                add(
                    ref,
                    "import",
                    usage.of(local),
                    tuple(
                        m.definition
                        for m in ranked_members(inner, used, popular, earlier=usage.earlier)
                    ),
                )
                continue
            # `export const filterFns = { includesString, equals }`: the functions it names,
            # defined at the top of its file, are what `filterFns.` reaches.
            named = (
                _named_in_value(index, ref, symbols)
                if symbols and symbols.language in JS_LANGUAGES
                else []
            )
            if named:
                used = usage.pairs_with(local)
                popular = index.popularity({m.definition.name for m in named}, rel)
                ranked = ranked_members(named, used, popular, earlier=usage.earlier)
                listed, shown = signature_list(ref.path, "", ranked)
                add(listed, "import", usage.of(local), shown)


def _named_in_value(index, ref: DefinitionRef, symbols) -> list[DefinitionRef]:
    """The top-level functions and types of `ref`'s file that its value's text names
    (memoised in the index's memos until the file's next committed parse)."""
    _, version = index.entry(ref.path)
    key = ("value", ref.path, version, ref.definition.start_line)
    found = index.memos.fields.get(key)
    if found is None:
        text = index.buffer_text(ref.path)
        if text is None:
            try:
                text = (index.root / ref.path).read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
        span = "\n".join(text.split("\n")[ref.definition.start_line : ref.definition.end_line])
        words = set(_IDENTIFIER.findall(span))
        found = [
            DefinitionRef(ref.path, d)
            for d in (symbols.definitions if symbols else ())
            if not d.container
            and d.name in words
            and d.kind in VALUE_MEMBER_KINDS
            and not d.start_line <= ref.definition.start_line <= d.end_line
        ]
        index.memos.fields.put(key, found)
    return found
