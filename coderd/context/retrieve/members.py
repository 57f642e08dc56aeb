"""Candidates from types, modules and packages: signature lists ("skeletons") of what the
code at the cursor can reach.

* **type**: for each typed name visible at the cursor (a local, a parameter, the receiver
  `self`/`this`, a field of the enclosing class, a field of those (`ctx.command.`), a class
  used as a path (`Cls.create()`); infer.py, typed.py), its type as a signature list: the
  members the file uses on names of that type first, nearest use first (code calls again what
  it called nearby), then the others, public first, those most files use first. The list is
  the type's own definition shown by its member headers; members in another file (a base
  class, Go methods and Rust impls spread over the package) come as lists of their own file.
  Its score is its best used member's distance, or how near the name is used.
* **module**: each module alias (`utils.`, a namespace import), its top-level definitions the
  same way.
* **import** (values): imported.py `value_members`.
* **module** through a Python package (`import typer; typer.run`): what its `__init__.py`
  imports from its modules, as those modules' lists (scope.py `package_exports`).
* **package** (Go, Java): packages.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from functools import partial

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.scope import package_exports
from coderd.context.retrieve.skeletons import (
    enclosing_type,
    ranked_members,
    signature_list,
    skeletons,
)
from coderd.context.retrieve.typed import TYPE_KINDS, TypeResolver
from coderd.context.retrieve.usage import NOT_YET_USED, UNUSED, Usage, bucket
from coderd.context.retrieve.visibility import reachable

MAX_TYPED_NAMES = 24  # typed names looked at, nearest first
MAX_FIELDS = 4  # fields of a typed name followed (`ctx.command.`), nearest use first
# Files a module alias may stand for and get signature lists: a Go package is its folder (the
# first 32 files listed, best first); elsewhere more files mean a namespace, not a module.
MAX_MODULE_FILES = {"go": 32}
DEFAULT_MODULE_FILES = 3
FILE_STEP = 0.5  # each further file of a package lists after the one before (bucket units)
# A module alias's names the file does not use yet list a bucket after the alias's nearest use:
# go-cmp's compare.go uses `diff.Result` 4 lines above, and the rest of package diff
# (`Identity`, `Modified`, `BoolResult`...) took 256 tokens' room before `reporter`, used 43
# lines away. Sixteen sets, prompt recall at 256/512/1,024: import +3/0/0, package +4/+1/0,
# module -1/+1/+1, method 0/0/+1 against half a bucket; a bucket and a half: module -4/-1/0.
MODULE_LIST_AFTER = 1.0
# Added to a member list's score, (when the file uses none of its members, when it does):
# a type's members in another file than the type (Go methods, Rust impls) and a base class's
# members rank after the type's own. Go methods and Rust impls are never in the type's body:
# once the file uses one, their list ranks by that use like a body's (a bucket behind, it
# came after a package's unused names: dev method recall 0.24/0.38/0.62 -> 0.29/0.42/0.64).
GROUP_PENALTY = {"own": (0, 0), "spread": (4, 0), "base": (1, 0.5)}
TYPE_OFFSET = 1  # a type's member list, by how near its name is used (when no member is used)
COMPANION_AFTER = 2  # buckets after `self`'s own class: the classes a mixin is mixed with


Add = Callable[..., None]  # add(ref, source, score, members=None)


def typed_candidates(
    resolver: TypeResolver,
    usage: Usage,
    row: int,
    add: Add,
    deadline: float,
    words: frozenset[str] = frozenset(),
) -> set[str]:
    """Adds the candidates; returns the names whose type was found. `words`: those around
    the cursor (skeletons.near_words), which rank the members the file does not use yet."""
    env = resolver.env
    typed: set[str] = set()
    targets: list[tuple[int, str, Callable[[], list[DefinitionRef]]]] = []
    for name, binding in env.variables.items():
        near = min(usage.bare_of(name), bucket(abs(row - binding.row)))
        targets.append((near, name, partial(resolver.binding_types, binding)))
    if env.receiver:
        targets.append((usage.bare_of(env.receiver), env.receiver, resolver.receiver_types))
        used_fields = usage.pairs_with(env.receiver)
        for name, binding in env.fields.items():
            near = min(used_fields.get(name, UNUSED), bucket(abs(row - binding.row)) + 2)
            targets.append((near, name, partial(resolver.binding_types, binding)))
    for name, refs in resolver.scope.named:  # a type as a path: `Cls.create()`, `Error::syntax`
        types = [r for r in refs if r.definition.kind in TYPE_KINDS]
        used = usage.pairs_with(name) if types else {}
        if used:
            targets.append((min(used.values()), name, partial(list, types)))
    # Several names may hold the same type: what one of them uses, the cursor may use on another.
    by_type: dict[tuple[str, int], tuple[DefinitionRef, int, dict[str, int]]] = {}
    targets.sort(key=lambda t: (t[0], t[1]))
    for i in range(MAX_TYPED_NAMES):  # fields found on the way join the end of the list
        if i >= len(targets) or time.thread_time() > deadline:
            break
        near, name, types_of = targets[i]
        types = types_of()
        if types and "." not in name:  # fields used on it (`ctx.command.`): a level deeper
            for field, b in sorted(usage.pairs_with(name).items(), key=lambda f: (f[1], f[0]))[
                :MAX_FIELDS
            ]:
                targets.append(
                    (max(near, b), f"{name}.{field}", partial(_field_types, resolver, types, field))
                )
        for k, t in enumerate(types):
            typed.add(name.rpartition(".")[2])
            key = (t.path, t.definition.start_line)
            old = by_type.get(key, (t, UNUSED, {}))
            used = dict(old[2])
            for member, b in usage.pairs_with(name.rpartition(".")[2]).items():
                used[member] = min(b, used.get(member, UNUSED))
            # The classes a mixin's `self` is mixed with (typed.py receiver_types) after its own.
            later = COMPANION_AFTER if k and name == env.receiver else 0
            by_type[key] = (t, min(near + later, old[1]), used)
    for t, near, used in sorted(by_type.values(), key=lambda e: e[1]):
        members = reachable(resolver.index, t, resolver.members(t), resolver.rel)
        popular = resolver.index.popularity({m.definition.name for m in members}, resolver.rel)
        owner = partial(enclosing_type, resolver.index)
        for ref, shown, kind in skeletons(
            [t], members, used, popular, resolver.rel, owner, words, usage.earlier
        ):
            best = min((used[d.name] for d in shown if d.name in used), default=UNUSED)
            penalty = GROUP_PENALTY[kind]
            score = min(near + TYPE_OFFSET + penalty[0], best + penalty[1])
            if score < UNUSED:
                add(ref, "type", score, shown)
    return typed


def _field_types(
    resolver: TypeResolver, owners: list[DefinitionRef], field: str
) -> list[DefinitionRef]:
    return [x for t in owners for x in resolver.field_types(t, field)]


def module_candidates(
    index,
    rel: str,
    scope,
    usage: Usage,
    add: Add,
    deadline: float,
    language: str = "",
    words: frozenset[str] = frozenset(),
    declared: Collection[str] = (),
) -> None:
    """Each module alias's files as signature lists (what `alias.` can reach). A package of
    many files (Go) lists each file, those holding the names the file uses through the alias
    first, then by how many of their names other files use; only exported names in Go. A
    list's names rank as a type's do, by popularity plus the `words` around the cursor.
    `declared`: Rust `mod x;` items, which declare a module rather than import it to use:
    ranked by their nearest use (`x::name` too), not as about to be used."""
    for alias, files in scope.modules.items():
        bare = usage.bare_of(alias)
        near: float = NOT_YET_USED if bare >= UNUSED else bare  # imported, not used yet
        if alias in declared:
            near = min(bare, min(usage.pairs_with(alias).values(), default=UNUSED))
        if time.thread_time() > deadline:
            break
        files = list(dict.fromkeys(files))
        if len(files) > MAX_MODULE_FILES.get(language, DEFAULT_MODULE_FILES):
            files = [] if language != "go" else files[: MAX_MODULE_FILES["go"]]
        used = usage.pairs_with(alias)
        lists = []
        for file in files:
            if time.thread_time() > deadline:
                break  # the files listed so far still go in
            symbols = index.file(file)
            # The names used through the alias are candidates of their own (candidates.py,
            # `alias.name`): listed here too, they would be shown twice.
            top = [r for r in listing(index, file) if r.definition.name not in used]
            groups = {file: top}
            # A package's __init__.py: the names it imports from its modules, listed in those
            # modules' files (typer's docs call `typer.run`, main.py's `run`). Not a Rust
            # module's `pub use`: rayon's `use super::*` then listed 130 tokens of iter/mod.rs'
            # re-exported adapters first at 256 (method hits -9); `kv::` in the receiver hint.
            exports = package_exports(index, file, language) if language != "rust" else {}
            for name, refs in exports.items():
                for ref in refs if name not in used else ():
                    groups.setdefault(ref.path, []).append(ref)
            beside = beside_used(symbols.definitions if symbols else (), used)
            for path, refs in groups.items():
                if not refs:
                    continue
                popular = index.popularity({r.definition.name for r in refs}, rel)
                ranked = ranked_members(refs, used, popular, words, usage.earlier, beside=beside)
                best = min((used.get(r.definition.name, UNUSED) for r in refs), default=UNUSED)
                lists.append((best, -sum(popular.values()), path, ranked))
        for position, (_, _, file, ranked) in enumerate(sorted(lists)):
            ref, shown = signature_list(file, "", ranked)
            add(ref, "module", near + MODULE_LIST_AFTER + FILE_STEP * position, shown)


def listing(index, file: str) -> tuple[DefinitionRef, ...]:
    """What a module alias can list of `file`: its exported top-level definitions but
    variables, in file order (memoised by the file's version: object's elf.rs holds 2,700
    constants, filtered on every build that uses `elf::`)."""
    symbols, version = index.entry(file)

    def read() -> tuple[DefinitionRef, ...]:
        return tuple(
            DefinitionRef(file, d)
            for d in (symbols.definitions if symbols else ())
            if not d.container and d.kind != "variable" and exported(d, symbols.language)
        )

    return index.memos.listings.setdefault((file, version), read)


def exported(definition: Definition, language: str) -> bool:
    """What another module can reach: Go's capitalised names, Rust's `pub` items (chrono's
    `scan::` list showed its private helpers and a test before the `pub(super)` parsers)."""
    if language == "go":
        return definition.name[:1].isupper()
    if language == "rust":
        return definition.signature.startswith("pub")
    return True


def beside_used(definitions, used, container: str = "") -> frozenset[str]:
    """The module's top-level names (or a type's members: `container`) declared right before
    or after one the file uses through its alias: jinja2's parser uses `nodes.Slice` and
    `nodes.Compare`, and `nodes.Concat`, declared between them, is the 16th of the names it
    does not use yet by popularity."""
    top = sorted((d for d in definitions if d.container == container), key=lambda d: d.start_line)
    return frozenset(
        d.name
        for i, d in enumerate(top)
        if d.name not in used
        and any(top[j].name in used for j in (i - 1, i + 1) if 0 <= j < len(top))
    )
