"""What a file's imports make visible, and the definition a name stands for in a file.

An import gives *names* (`from m import a`), *module aliases* (`import m as x`, `from pkg import
mod`, `import * as ns`, Go package names, Rust modules: used as `x.attr`/`x::attr`), or *open
files* whose definitions the file uses bare (Go's own package, C includes, `*`), or names from
outside the workspace. Imports are resolved per language in resolve.py; re-exports
(`__init__.py`, `export ... from`, `pub use`) are followed a few levels, memoised in the
index's memos (`named`, `shapes`: index/memos.py), keyed by the index's file versions.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass, field

from coderd.context.index.extract import Import
from coderd.context.index.inline_modules import exported_definitions
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.resolve import JS_LANGUAGES, module_key, module_name, resolve_import

MAX_REEXPORT_DEPTH = 3


@dataclass
class Scope:
    """What the imports of a file make visible."""

    named: list[tuple[str, list[DefinitionRef]]] = field(default_factory=list)  # local name -> defs
    modules: dict[str, list[str]] = field(default_factory=dict)  # alias -> files
    open_files: list[tuple[str, str]] = field(default_factory=list)  # (file, source) used bare
    statement: dict[str, int] = field(default_factory=dict)  # local name -> its import's place
    outside: set[str] = field(default_factory=set)  # names imported from outside the workspace


def scope_of(
    index: WorkspaceIndex, rel_path: str, symbols, language: str, deadline: float = float("inf")
) -> Scope:
    scope = Scope()
    if language in ("go", "java"):  # the rest of the package: same directory, same language
        scope.open_files += [(f, "package") for f in package_files(index, rel_path)]
    for place, statement in enumerate(symbols.imports if symbols else ()):
        if time.thread_time() > deadline:
            break
        files = resolve_import(index, rel_path, statement, language)
        renamed = {original: alias for original, alias in statement.aliases}
        module_alias = renamed.get(statement.module)
        for name in statement.names:
            if name == "*":
                scope.open_files += [(f, "import") for f in files]
                continue
            refs = named_definitions(index, name, files, language)
            if refs:
                scope.named.append((renamed.get(name, name), refs))
                scope.statement[renamed.get(name, name)] = place
                continue
            submodule = _submodule(index, rel_path, statement, name, files, language)
            if submodule:
                scope.modules.setdefault(renamed.get(name, name), []).extend(submodule)
            elif not files:  # outside the workspace as far as we can tell: a unique definition
                refs = [r for r in index.lookup(name) if not r.definition.container]
                if len(refs) == 1:
                    scope.named.append((renamed.get(name, name), refs))
                else:
                    scope.outside.add(renamed.get(name, name))
        if not files and not statement.names:
            scope.outside.add(module_alias or module_key(statement.module, language))
        if not files:
            continue
        if module_alias:
            scope.modules.setdefault(module_alias, []).extend(files)
        elif not statement.names:
            if language in ("c", "cpp"):
                scope.open_files += [(f, "import") for f in files]
            elif language in JS_LANGUAGES and not statement.aliases:
                scope.open_files += [(f, "import") for f in files]  # `export * from`, require
            else:
                scope.modules.setdefault(module_key(statement.module, language), []).extend(files)
    return scope


def package_files(index: WorkspaceIndex, rel_path: str) -> list[str]:
    """The other files of a Go or Java package: same directory, same extension (Go tests see
    the package; the package does not see its tests)."""
    directory = posixpath.dirname(rel_path)
    extension = rel_path.rsplit(".", 1)[-1]
    is_test = rel_path.endswith("_test.go")
    same = [f for f in index.files_in(directory) if f.rsplit(".", 1)[-1] == extension]
    return [f for f in same if f != rel_path and (is_test or not f.endswith("_test.go"))]


def named_definitions(
    index: WorkspaceIndex, name: str, files: list[str], language: str
) -> list[DefinitionRef]:
    """Definitions of `name` in `files`, following re-exports (`from .m import name` in an
    `__init__.py`, `export {name} from './m'`, `export * from`, `pub use`).

    Memoised: a barrel file of `export *` lines (mobx, rxjs) is walked for each name a file
    imports, and every request asks for all of them again. The memo keeps where the name was
    found and what the walk read of each file: its top-level names and its imports, which
    typing inside a function body does not change (a barrel usually re-exports the file being
    edited too). Definitions are then taken from the files' current parse."""
    key = (index.layout, name, tuple(files), language)
    hit = index.memos.named.get(key)
    if hit is not None and all(_signature(index, f) == signature for f, signature in hit[1]):
        return _definitions(index, hit[0])
    read: dict[str, tuple | None] = {}
    places: list[tuple[str, str]] = []
    _walk(index, name, files, language, 0, set(), read, places)
    index.memos.named.put(key, (tuple(places), tuple(read.items())))
    return _definitions(index, places)


def _walk(
    index: WorkspaceIndex,
    name: str,
    files: list[str],
    language: str,
    depth: int,
    seen: set[tuple[str, str]],
    read: dict[str, tuple | None],
    places: list[tuple[str, str]],
) -> None:
    """named_definitions' search: adds to `places` the (file, name) pairs where the name is
    defined, stopping at the first statement that leads to any; `read` collects each file's
    signature. Each file is searched once per name: barrels of barrels would multiply."""
    files = [f for f in files if (f, name) not in seen]
    if not files:
        return
    seen.update((f, name) for f in files)
    shapes = [(f, _shape(index, f)) for f in files]
    for f, shape in shapes:
        read.setdefault(f, shape[4] if shape else None)
    own = [(f, name) for f, shape in shapes if shape and name in shape[2]]
    if own or depth >= MAX_REEXPORT_DEPTH:
        places += own
        return
    for _file, shape in shapes:
        for statement, target in shape[3] if shape else ():
            original = next((o for o, a in statement.aliases if a == name), name)
            if (
                original in statement.names
                or name in statement.names
                or "*" in statement.names
                or (not statement.names and not statement.aliases and language in JS_LANGUAGES)
            ):
                _walk(index, original, target, language, depth + 1, seen, read, places)
                if places:  # the first re-export that has it: files after it need not be read
                    return


def _definitions(index: WorkspaceIndex, places) -> list[DefinitionRef]:
    found = [
        DefinitionRef(f, d)
        for f, n in places
        for d in (_shape(index, f) or _NO_SHAPE)[2].get(n, ())
    ]
    return sorted(found, key=lambda r: (r.path, r.definition.start_line))


def _signature(index: WorkspaceIndex, file: str) -> tuple | None:
    shape = _shape(index, file)
    return shape[4] if shape else None


def _shape(index: WorkspaceIndex, file: str) -> tuple | None:
    """((layout, version), symbols, top-level definitions by name, [(import, resolved files)],
    signature) of `file`: what named_definitions reads, memoised (each step of a walk through
    a barrel must be a dict lookup). The signature is what a walk depends on: the top-level
    names and the imports, without line numbers. Valid while the file is the same parse (its
    version: every committed parse changes it) and no file was added or dropped
    (`index.layout`, which import resolution depends on)."""
    symbols, version = index.entry(file)
    if symbols is None:
        return None
    stamp = (index.layout, version)
    shape = index.memos.shapes.get(file)
    if shape is not None and shape[0] == stamp:
        return shape
    statements = [(s, resolve_import(index, file, s, symbols.language)) for s in symbols.imports]
    own = exported_definitions(symbols, frozenset(s.module for s, found in statements if not found))
    signature = (frozenset(own), tuple((s.module, s.names, s.aliases) for s in symbols.imports))
    if shape is not None and shape[4] == signature:
        signature = shape[4]  # the same object: the memo's checks are then identity checks
    return index.memos.shapes.put(file, (stamp, symbols, own, statements, signature))


_NO_SHAPE: tuple = ((0, 0), None, {}, [], None)


def package_exports(index: WorkspaceIndex, file: str, language: str) -> dict[str, list]:
    """Local name -> top-level definitions that a Python package's `__init__.py` imports from
    the workspace: what `pkg.name` reaches besides its own definitions (`import typer;
    typer.run(...)` is typer/main.py's `run`, imported by typer/__init__.py; `from .core
    import *` brings core's public names: pyparsing's diagram module uses `pyparsing.Empty`).
    A Rust module's `pub use` re-exports the same way (log's `kv::Key` is kv/key.rs' `Key`,
    which kv/mod.rs re-exports). Each name's walk is memoised (named_definitions)."""
    rust = language == "rust"
    if not rust and (language != "python" or not file.endswith("__init__.py")):
        return {}
    found: dict[str, list[DefinitionRef]] = {}
    for statement, target in (_shape(index, file) or _NO_SHAPE)[3]:
        if rust and not statement.exported:
            continue
        renamed = dict(statement.aliases)
        if "*" in statement.names:  # `from .core import *`: core's public top-level names
            for path in target:
                for name, own in (_shape(index, path) or _NO_SHAPE)[2].items():
                    if not name.startswith("_"):
                        found.setdefault(name, []).append(DefinitionRef(path, own[-1]))
        for name in statement.names if target else ():
            refs = [
                r
                for r in named_definitions(index, name, target, language)
                if not r.definition.container
            ]
            if name != "*" and refs:
                # `@overload` stubs then the implementation: the last one only.
                found.setdefault(renamed.get(name, name), []).append(refs[-1])
    return found


def name_in_file(index: WorkspaceIndex, file: str, name: str) -> list[DefinitionRef]:
    """What `name` (a bare, top-level name) stands for inside `file`: its own definition, an
    import of it, the rest of its Go/Java package. Cheaper than scope_of: only the imports
    that mention `name` are resolved."""
    shape = _shape(index, file)
    if shape is None:
        return []
    symbols = shape[1]
    if name in shape[2]:
        return [DefinitionRef(file, d) for d in shape[2][name]]
    for statement in symbols.imports:
        original = next((o for o, a in statement.aliases if a == name), None)
        if original is None and name not in statement.names and "*" not in statement.names:
            continue
        files = resolve_import(index, file, statement, symbols.language)
        found = named_definitions(index, original or name, files, symbols.language)
        if found:
            return found
    if symbols.language in ("go", "java"):
        package = set(package_files(index, file))
        return [r for r in index.lookup(name) if r.path in package and not r.definition.container]
    return []


def module_files_in(index: WorkspaceIndex, file: str, alias: str) -> list[str]:
    """The files a module alias (`mod` in `mod.x`, `pkg` in `pkg.New`, a Rust path such as
    `super::ser`) stands for in `file`."""
    symbols = index.file(file)
    if symbols is None:
        return []
    language = symbols.language
    if language == "rust" and "::" in alias:  # the path's last module, if a module it names
        found = resolve_import(index, file, Import(alias), language)
        return found[:1] if found and module_name(found[0]) == alias.rpartition("::")[2] else []
    for statement in symbols.imports:
        renamed = {a: o for o, a in statement.aliases}
        if renamed.get(alias) == statement.module or (
            not statement.names
            and module_key(statement.module, language) == alias
            and alias not in renamed
        ):
            return resolve_import(index, file, statement, language)
        if alias in statement.names or alias in renamed:
            sub = _submodule(
                index,
                file,
                statement,
                renamed.get(alias, alias),
                resolve_import(index, file, statement, language),
                language,
            )
            if sub:
                return sub
    return []


def _submodule(
    index, rel_path, statement: Import, name: str, files: list[str], language: str
) -> list[str]:
    """`from pkg import mod` (Python), `use crate::a::b` (Rust): files of a module called `name`."""
    if language == "python":
        module = statement.module
        dotted = f"{module}{name}" if module.endswith(".") else f"{module}.{name}"
        return resolve_import(index, rel_path, Import(dotted), language)
    if language == "rust":
        # A module the statement's files hold, else a file of its own: time's
        # `use crate::format_description::{modifier, Component}` names modifier.rs.
        found = [f for f in files if module_name(f) == name]
        if found or "::" not in statement.module:
            return found
        head, brace, _ = statement.module.partition("::{")
        base = head if brace else statement.module.rpartition("::")[0]
        sub = resolve_import(index, rel_path, Import(f"{base}::{name}"), language)
        return sub[:1] if sub and module_name(sub[0]) == name else []
    return []
