"""Which definitions from other files a completion at the cursor should see, best first.

Two sources, in this order:
1. what the current file imports, resolved to files of the workspace (Python modules and
   packages, relative imports; JS/TS relative paths and index files; other languages by name);
   the names a statement imports explicitly come first, then definitions of an imported module
   that the file uses;
2. identifiers in the lines above the cursor, looked up anywhere in the index.

The result depends only on the index and on the text above the cursor's line, never on the line
being typed, so the context block stays byte-identical while the user types (it is the most
stable part of the prompt and what the KV cache keeps).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .extract import Definition, Import
from .index import DefinitionRef, WorkspaceIndex

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TYPE_KINDS = {"class", "struct", "interface", "enum", "trait", "type"}
JS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")
# Identifiers near the cursor are looked up only as callables and types: a local variable
# that shares its name with some other file's module-level variable is noise.
NEARBY_KINDS = {"function", "method", "class", "struct", "interface", "enum", "trait", "type", "macro"}
MAX_NEARBY_HOMONYMS = 3


@dataclass(frozen=True)
class Candidate:
    ref: DefinitionRef
    source: str  # "import" or "nearby"


def retrieve(index: WorkspaceIndex, rel_path: str, text: str, offset: int,
             nearby_lines: int) -> list[Candidate]:
    symbols = index.file(rel_path)
    seen: set[tuple[str, int]] = set()
    found: list[Candidate] = []

    def add(ref: DefinitionRef, source: str) -> None:
        key = (ref.path, ref.definition.start_line)
        if ref.path != rel_path and key not in seen and not ref.definition.container:
            seen.add(key)
            found.append(Candidate(ref, source))

    used = symbols.identifiers if symbols else frozenset()
    for statement in symbols.imports if symbols else ():
        files = resolve_import(index, rel_path, statement)
        for name in statement.names:
            for ref in _named(index, name, files):
                add(ref, "import")
        if not statement.names:  # `import pkg.mod`: the module's definitions this file uses
            for path in files:
                module = index.file(path)
                for definition in module.definitions if module else ():
                    if definition.name in used:
                        add(DefinitionRef(path, definition), "import")
    in_tests = _is_test_path(rel_path)
    for name in nearby_identifiers(text, offset, nearby_lines):
        refs = [r for r in index.lookup(name)
                if r.definition.kind in NEARBY_KINDS and _is_test_path(r.path) <= in_tests]
        if len(refs) <= MAX_NEARBY_HOMONYMS:  # a name defined in many places says little
            for ref in refs:
                add(ref, "nearby")
    return found


def _is_test_path(path: str) -> bool:
    parts = path.split("/")
    return any(p in ("test", "tests", "testing") for p in parts[:-1]) or parts[-1].startswith("test_")


def nearby_identifiers(text: str, offset: int, lines: int) -> list[str]:
    """Identifiers in the `lines` lines above the cursor's line, nearest line first."""
    line_start = text.rfind("\n", 0, offset) + 1
    window_start = line_start
    for _ in range(lines):
        if window_start == 0:
            break
        window_start = text.rfind("\n", 0, window_start - 1) + 1
    names: list[str] = []
    for line in reversed(text[window_start:line_start].splitlines()):
        for name in IDENTIFIER.findall(line):
            if len(name) > 2 and name not in names:
                names.append(name)
    return names


def _named(index: WorkspaceIndex, name: str, files: list[str]) -> list[DefinitionRef]:
    refs = index.lookup(name)
    if files:
        in_files = [r for r in refs if r.path in files]
        return in_files or refs[:1]
    return refs[:2]


def resolve_import(index: WorkspaceIndex, rel_path: str, statement: Import) -> list[str]:
    """Workspace files an import statement refers to ([] when outside the workspace)."""
    module = statement.module.strip().strip("\"'<>")
    language = index.file(rel_path).language if index.file(rel_path) else ""
    if language == "python":
        candidates = _python_candidates(rel_path, module)
    elif module.startswith("."):
        base = posixpath.normpath(posixpath.join(posixpath.dirname(rel_path), module))
        candidates = [base, *(base + s for s in JS_SUFFIXES), *(f"{base}/index{s}" for s in JS_SUFFIXES)]
    elif language in ("c", "cpp"):
        candidates = [posixpath.normpath(posixpath.join(posixpath.dirname(rel_path), module)), module]
    else:
        return []
    return [c for c in candidates if index.file(c) is not None]


def _python_candidates(rel_path: str, module: str) -> list[str]:
    dots = len(module) - len(module.lstrip("."))
    parts = [p for p in module[dots:].split(".") if p]
    if dots:
        base = posixpath.dirname(rel_path)
        for _ in range(dots - 1):
            base = posixpath.dirname(base)
        roots = [base]
    else:
        roots = ["", "src", "lib"]
    found = []
    for root in roots:
        stem = posixpath.join(root, *parts) if parts else root
        found += [f"{stem}.py", f"{stem}/__init__.py", f"{stem}.pyi"]
    return [posixpath.normpath(p) for p in found]


def is_type(definition: Definition) -> bool:
    return definition.kind in TYPE_KINDS
