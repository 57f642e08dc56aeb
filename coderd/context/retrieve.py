"""Which definitions (and windows) from other files a completion at the cursor should see, best first.

Sources, each with its own time limit (a source that runs out stops and keeps what it found):

1. **imports**, resolved per language to files of the workspace: Python modules, packages,
   relative imports and `__init__` re-exports, `src/`-style roots (any folder, by path suffix);
   JS/TS relative paths with or without extension (`./x.js` -> `x.ts`), index files and
   `export ... from` re-exports; Go packages by directory (and the rest of the current package);
   Rust `mod`/`use` paths from the crate's `src/`; C/C++ local includes; Java by path suffix.
   An import gives *names* (`from m import a`), *module aliases* (`import m as x`, `from pkg
   import mod`, `import * as ns`, Go package names, Rust modules: used as `x.attr`/`x::attr`),
   or *open files* whose definitions the file uses bare (Go's own package, C includes, `*`).
2. **members**: `obj.method` where `obj` is not a module: the method, found in the index (a class
   the file imports shows the members the file uses first, see pack.py).
3. **nearby**: identifiers in the lines above the cursor, looked up anywhere in the index.
4. **recent**: regions of other files edited or viewed lately (recent.py's ring buffer).
5. **similar**: windows of open and recent files lexically close (Jaccard) to the lines above.

Ranking: each candidate's name is scored by how close to the cursor it is used (in buckets of
line distance, so moving one line rarely reorders anything), plus a per-source offset. At small
budgets this puts first the symbol the code around the cursor is working with.

Stability: everything here depends on the index, on the ring buffer and on the text of the
file *except the cursor's line before the cursor*, never on what is being typed. So the context block stays
byte-identical while the user types (it is what the KV cache keeps).
"""

from __future__ import annotations

import posixpath
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

from .extract import Definition, Import
from .index import DefinitionRef, WorkspaceIndex
from .resolve import JS_LANGUAGES, resolve_import

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|::|->|\.|[)\]\"'`]")
SEPARATORS = frozenset({".", "::", "->"})
TYPE_KINDS = {"class", "struct", "interface", "enum", "trait", "type"}
# Identifiers near the cursor are looked up only as callables and types: a local variable
# that shares its name with some other file's module-level variable is noise.
NEARBY_KINDS = {"function", "method", "class", "struct", "interface", "enum", "trait", "type", "macro"}
MAX_NEARBY_HOMONYMS = 3
MAX_MEMBER_HOMONYMS = 3
MAX_REEXPORT_DEPTH = 3
MAX_USAGE_LINES = 1500  # lines each side of the cursor scanned for uses
# Line distance -> bucket; a name never used outside its import gets UNUSED.
DISTANCE_BUCKETS = (2, 5, 10, 20, 40, 80, 160, 320)
UNUSED = len(DISTANCE_BUCKETS) + 1
NOT_YET_USED = 1.0  # an imported name with no use outside the cursor's line ranks near the top
# Per-source offsets added to the distance bucket (lower is better).
SOURCE_OFFSET = {"import": 0.0, "module": 0.0, "package": 0.25, "member": 0.75,
                 "nearby": 1.5, "recent": 5.5, "similar": 6.5}
# Default time limits per source, in milliseconds.
TIME_LIMITS_MS = {"imports": 6.0, "members": 2.0, "nearby": 2.0, "recent": 1.5, "similar": 3.0}


@dataclass(frozen=True)
class Candidate:
    ref: DefinitionRef
    source: str  # import, module, package, member, nearby, recent or similar
    score: float = 0.0


@dataclass
class Usage:
    """Where the file (its cursor line left out) uses names: name -> distance bucket."""

    bare: dict[str, int] = field(default_factory=dict)  # `name` not after a separator
    attrs: dict[str, int] = field(default_factory=dict)  # `x.name`, `x::name`, `x->name`
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)  # (x, name)
    members: dict[str, int] = field(default_factory=dict)  # attrs whose base is not a module

    def of(self, name: str) -> int:
        return min(self.bare.get(name, UNUSED), self.attrs.get(name, UNUSED))


@dataclass
class Scope:
    """What the imports of a file make visible."""

    named: list[tuple[str, list[DefinitionRef]]] = field(default_factory=list)  # local name -> defs
    modules: dict[str, list[str]] = field(default_factory=dict)  # alias -> files
    open_files: list[tuple[str, str]] = field(default_factory=list)  # (file, source) used bare


def bucket(distance: int) -> int:
    for i, limit in enumerate(DISTANCE_BUCKETS):
        if distance <= limit:
            return i
    return len(DISTANCE_BUCKETS)


@lru_cache(maxsize=1 << 16)
def line_uses(line: str) -> tuple[tuple[str, str], ...]:
    """(name, base) for each identifier of a line: base "" for a bare name, the identifier
    before the separator for `base.name`, "?" when the base is an expression (`f().name`)."""
    found = []
    previous = ""  # the token before
    before = ""  # the token before the separator
    for token in TOKEN.findall(line):
        if token in SEPARATORS:
            before = previous
            previous = token
            continue
        if token[0].isalpha() or token[0] == "_":
            if previous in SEPARATORS:
                base = before if before and (before[0].isalpha() or before[0] == "_") else "?"
                found.append((token, base))
            else:
                found.append((token, ""))
        previous = token
    return tuple(found)


def import_rows(lines: list[str], imports) -> set[int]:
    """0-based rows of the file's import statements (continuation lines of `(...)` included)."""
    rows: set[int] = set()
    for statement in imports:
        row = statement.line - 1
        depth = 0
        while 0 <= row < len(lines) and len(rows) < 5000:
            rows.add(row)
            depth += lines[row].count("(") + lines[row].count("{") - lines[row].count(")") - lines[row].count("}")
            if depth <= 0:
                break
            row += 1
    return rows


def usage_of(text: str, offset: int, imports=()) -> Usage:
    """Uses of names in the file, import statements (`imports`, from the index) left out."""
    lines = text.split("\n")
    skip = import_rows(lines, imports) if imports else ()
    cursor = text.count("\n", 0, offset)
    usage = Usage()
    bare, attrs, pairs = usage.bare, usage.attrs, usage.pairs
    # The cursor's line counts from the cursor on: typing inserts before that part, so it stays.
    line_end = text.find("\n", offset)
    for name, base in line_uses(text[offset: len(text) if line_end < 0 else line_end]):
        if base:
            attrs.setdefault(name, 0)
            pairs.setdefault((base, name), 0)
        else:
            bare.setdefault(name, 0)
    for distance in range(1, min(MAX_USAGE_LINES, max(cursor, len(lines) - cursor)) + 1):
        b = bucket(distance)
        for row in (cursor - distance, cursor + distance):
            if 0 <= row < len(lines) and lines[row] and row not in skip:
                for name, base in line_uses(lines[row]):
                    if base:
                        attrs.setdefault(name, b)
                        pairs.setdefault((base, name), b)
                    else:
                        bare.setdefault(name, b)
    return usage


def retrieve(index: WorkspaceIndex, rel_path: str, text: str, offset: int, nearby_lines: int,
             recent=None, limits_ms: dict[str, float] | None = None,
             usage: Usage | None = None) -> list[Candidate]:
    """Candidates best first. `recent` is a RecentRegions ring buffer (or None); `usage`
    (from usage_of) is filled in further (its `members`) for pack's member selection."""
    limits = {**TIME_LIMITS_MS, **(limits_ms or {})}
    symbols = index.file(rel_path)
    language = symbols.language if symbols else ""
    usage = usage if usage is not None else usage_of(text, offset, symbols.imports if symbols else ())
    ranked: dict[tuple[str, int], tuple[float, int, Candidate]] = {}

    def add(ref: DefinitionRef, source: str, score: float) -> None:
        if ref.path == rel_path:
            return
        key = (ref.path, ref.definition.start_line)
        score += SOURCE_OFFSET[source]
        old = ranked.get(key)
        if old is None or score < old[0]:
            ranked[key] = (score, old[1] if old else len(ranked), Candidate(ref, source, score))

    # 1. imports
    deadline = time.perf_counter() + limits["imports"] / 1000
    scope = scope_of(index, rel_path, symbols, language, deadline)
    for local, refs in scope.named:
        b = usage.of(local)
        for ref in refs:
            # Imported but not used yet: most likely what is being written now.
            add(ref, "import", NOT_YET_USED if b == UNUSED else b)
    module_aliases = set(scope.modules)
    for alias, files in scope.modules.items():
        for (base, name), b in usage.pairs.items():
            if base == alias:
                for ref in index.lookup(name):
                    if ref.path in files and not ref.definition.container:
                        add(ref, "module", b)
    for file, source in scope.open_files:
        module = index.file(file)
        for definition in module.definitions if module else ():
            if not definition.container:
                b = usage.bare.get(definition.name)
                if b is None and language in ("go", "c", "cpp"):
                    b = usage.attrs.get(definition.name)  # Go methods and fields, C struct members
                if b is not None:
                    add(DefinitionRef(file, definition), source, b)
    # 2. members of objects: `obj.name` where obj is not a module alias
    deadline = time.perf_counter() + limits["members"] / 1000
    visible_types = {ref.definition.name for _, refs in scope.named for ref in refs
                     if ref.definition.kind in TYPE_KINDS}
    for (base, name), b in sorted(usage.pairs.items(), key=lambda item: item[1]):
        if time.perf_counter() > deadline:
            break
        if base in module_aliases or len(name) < 3:
            continue
        usage.members.setdefault(name, b)
        refs = [r for r in index.lookup(name) if r.definition.container and r.path != rel_path]
        if not refs:
            continue
        preferred = [r for r in refs if r.definition.container in visible_types]
        if preferred or len(refs) <= MAX_MEMBER_HOMONYMS:
            for ref in preferred or refs:
                add(ref, "member", b + (0 if preferred else 0.5))
    # 3. identifiers above the cursor, anywhere in the index
    deadline = time.perf_counter() + limits["nearby"] / 1000
    in_tests = _is_test_path(rel_path)
    for name in nearby_identifiers(text, offset, nearby_lines):
        if time.perf_counter() > deadline:
            break
        refs = [r for r in index.lookup(name)
                if r.definition.kind in NEARBY_KINDS and not r.definition.container
                and _is_test_path(r.path) <= in_tests]
        if len(refs) <= MAX_NEARBY_HOMONYMS:  # a name defined in many places says little
            for ref in refs:
                add(ref, "nearby", usage.of(name))
    # 4. and 5. the ring buffer: recent regions, then windows similar to the lines above
    if recent is not None:
        from .recent import recent_candidates, similar_candidates

        deadline = time.perf_counter() + limits["recent"] / 1000
        for ref, order in recent_candidates(index, recent, rel_path, deadline):
            add(ref, "recent", order * 0.01)
        deadline = time.perf_counter() + limits["similar"] / 1000
        for ref, similarity in similar_candidates(index, recent, rel_path, text, offset, deadline):
            add(ref, "similar", 1 - similarity)
    return [c for _, _, c in sorted(ranked.values(), key=lambda item: (item[0], item[1]))]


def scope_of(index: WorkspaceIndex, rel_path: str, symbols, language: str,
             deadline: float = float("inf")) -> Scope:
    scope = Scope()
    if language in ("go", "java"):  # the rest of the package: same directory, same language
        directory = posixpath.dirname(rel_path)
        is_test = rel_path.endswith("_test.go")
        for file in index.files_in(directory):
            if file != rel_path and file.rsplit(".", 1)[-1] == rel_path.rsplit(".", 1)[-1] \
                    and (is_test or not file.endswith("_test.go")):
                scope.open_files.append((file, "package"))
    for statement in symbols.imports if symbols else ():
        if time.perf_counter() > deadline:
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
                continue
            submodule = _submodule(index, rel_path, statement, name, files, language)
            if submodule:
                scope.modules.setdefault(renamed.get(name, name), []).extend(submodule)
            elif not files:  # outside the workspace as far as we can tell: a unique definition
                refs = [r for r in index.lookup(name) if not r.definition.container]
                if len(refs) == 1:
                    scope.named.append((renamed.get(name, name), refs))
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
                scope.modules.setdefault(_module_key(statement.module, language), []).extend(files)
    return scope


def _module_key(module: str, language: str) -> str:
    """How code refers to an imported module without alias: `a.b.c` -> c (Python `a.b.c.x`
    ends in `c.x`), "github.com/x/y/v2" -> y, `util` (Rust mod) -> util."""
    module = module.strip("\"'")
    if language == "go":
        parts = [p for p in module.split("/") if p]
        if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
            parts.pop()
        return parts[-1].replace("-", "_") if parts else module
    return re.split(r"::|\.|/", module.strip("."))[-1] if module.strip(".") else module


def named_definitions(index: WorkspaceIndex, name: str, files: list[str], language: str,
                      depth: int = 0) -> list[DefinitionRef]:
    """Definitions of `name` in `files`, following re-exports (`from .m import name` in an
    `__init__.py`, `export {name} from './m'`, `export * from`, `pub use`)."""
    if not files:
        return []
    wanted = set(files)
    found = [r for r in index.lookup(name) if r.path in wanted and not r.definition.container]
    if found or depth >= MAX_REEXPORT_DEPTH:
        return found
    for file in files:
        module = index.file(file)
        for statement in module.imports if module else ():
            original = next((o for o, a in statement.aliases if a == name), name)
            if original in statement.names or name in statement.names or "*" in statement.names \
                    or (not statement.names and not statement.aliases and language in JS_LANGUAGES):
                target = resolve_import(index, file, statement, module.language)
                found += named_definitions(index, original, target, language, depth + 1)
        if found:
            return found
    return found


def _submodule(index, rel_path, statement: Import, name: str, files: list[str], language: str) -> list[str]:
    """`from pkg import mod` (Python), `use crate::a::b` (Rust): files of a module called `name`."""
    if language == "python":
        module = statement.module
        dotted = f"{module}{name}" if module.endswith(".") else f"{module}.{name}"
        return resolve_import(index, rel_path, Import(dotted), language)
    if language == "rust":
        return [f for f in files if _module_name(f) == name]
    return []


def _module_name(path: str) -> str:
    directory, _, base = path.rpartition("/")
    stem = base.split(".", 1)[0]
    if stem in ("__init__", "mod", "index", "lib"):
        return directory.rpartition("/")[2]
    return stem


def _is_test_path(path: str) -> bool:
    parts = path.split("/")
    return any(p in ("test", "tests", "testing", "__tests__", "spec") for p in parts[:-1]) \
        or parts[-1].startswith("test_") or parts[-1].endswith(("_test.go", ".test.ts", ".spec.ts"))


def window_above(text: str, offset: int, lines: int) -> str:
    """The `lines` lines above the cursor's line: never the line being typed, so what is
    derived from it stays the same while the user types."""
    end = text.rfind("\n", 0, offset) + 1
    start = end
    for _ in range(lines):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    return text[start:end]


def nearby_identifiers(text: str, offset: int, lines: int) -> list[str]:
    """Identifiers in the `lines` lines above the cursor's line, nearest line first."""
    names: list[str] = []
    for line in reversed(window_above(text, offset, lines).splitlines()):
        for name in IDENTIFIER.findall(line):
            if len(name) > 2 and name not in names:
                names.append(name)
    return names


# ---- import resolution -------------------------------------------------------------------------

def is_type(definition: Definition) -> bool:
    return definition.kind in TYPE_KINDS
