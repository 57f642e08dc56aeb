"""Resolving an import statement to the workspace files it refers to, per language.

Python modules, packages and relative imports (also under `src/` and `lib/`, and by dotted
suffix); JS/TS relative paths with their extensions and index files; C/C++ local includes;
Go packages by directory; Rust `mod`/`use` paths. An import of something outside the
workspace resolves to nothing.

Answers are memoised in the index's memos (index/memos.py): until a file is added to or
dropped from the index (`index.layout`), and for Go until the index commits an event for the
root's go.mod (the module path decides which imports are the workspace's).
"""

from __future__ import annotations

import os
import posixpath
import re

from coderd.context.index.extract import Import
from coderd.context.index.workspace import WorkspaceIndex

JS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts", ".mts", ".cts")
JS_LANGUAGES = {"javascript", "typescript", "tsx"}
GO_MOD = "go.mod"


def resolve_import(
    index: WorkspaceIndex, rel_path: str, statement: Import, language: str | None = None
) -> list[str]:
    """Workspace files an import statement refers to ([] when outside the workspace).
    Memoised until a file is added to or dropped from the index (`index.layout`)."""
    if language is None:
        symbols = index.file(rel_path)
        language = symbols.language if symbols else ""
    # A go.mod edit reaches the index as a commit of that path (watcher, editor reports).
    go_mod = index.version(GO_MOD) if language == "go" else 0
    key = (index.layout, go_mod, rel_path, statement.module, language)
    found = index.memos.resolved.get(key)
    if found is None:
        found = index.memos.resolved.put(key, _resolve(index, rel_path, statement, language))
    return list(found)


def _resolve(index: WorkspaceIndex, rel_path: str, statement: Import, language: str) -> list[str]:
    module = statement.module.strip()
    if language == "python":
        return _existing(index, _python_candidates(rel_path, module)) or _python_by_suffix(
            index, rel_path, module
        )
    if language in JS_LANGUAGES:
        return _existing(index, _js_candidates(rel_path, module.strip("\"'`")))
    if language in ("c", "cpp"):
        return _c_include(index, rel_path, module)
    if language == "go":
        return _go_package(index, module.strip('"`'))
    if language == "rust":
        return _rust_module(index, rel_path, module)
    if language == "java":
        parts = module.removeprefix("static ").split(".")
        return _by_suffix(index, rel_path, "/".join(parts) + ".java") or _by_suffix(
            index, rel_path, "/".join(parts[:-1]) + ".java"
        )
    return []


def _existing(index: WorkspaceIndex, candidates: list[str]) -> list[str]:
    seen: list[str] = []
    for candidate in candidates:
        if candidate not in seen and index.file(candidate) is not None:  # fast: relative paths
            seen.append(candidate)
    return seen


def _by_suffix(index: WorkspaceIndex, rel_path: str, tail: str) -> list[str]:
    """Indexed files whose path ends with `tail`, the one nearest `rel_path` first."""
    tail = tail.strip("/")
    if not tail:
        return []
    matches = [
        f for f in index.files_named(tail.rpartition("/")[2]) if f == tail or f.endswith("/" + tail)
    ]
    if len(matches) > 1:
        matches.sort(key=lambda f: -len(posixpath.commonprefix([f, rel_path])))
        return matches[:1]
    return matches


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
        found += [f"{stem}.py", f"{stem}/__init__.py", f"{stem}.pyi", f"{stem}/__init__.pyi"]
    return [posixpath.normpath(p) for p in found]


def _python_by_suffix(index: WorkspaceIndex, rel_path: str, module: str) -> list[str]:
    """Absolute imports under any root (`src/`, a monorepo's `libs/x/`): match by path suffix."""
    if module.startswith(".") or not module:
        return []
    tail = module.replace(".", "/")
    return _by_suffix(index, rel_path, tail + ".py") or _by_suffix(
        index, rel_path, tail + "/__init__.py"
    )


def _js_candidates(rel_path: str, module: str) -> list[str]:
    if not module.startswith("."):
        return []
    base = posixpath.normpath(posixpath.join(posixpath.dirname(rel_path), module))
    bases = [base]
    stem, dot, extension = base.rpartition(".")
    if dot and "/" not in extension and extension in ("js", "jsx", "mjs", "cjs"):
        bases.append(stem)  # TypeScript's ESM style: `./x.js` names x.ts
    found = []
    for b in bases:
        found += [b, *(b + s for s in JS_SUFFIXES), *(f"{b}/index{s}" for s in JS_SUFFIXES)]
    return found


def _c_include(index: WorkspaceIndex, rel_path: str, module: str) -> list[str]:
    if module.startswith("<"):
        return []  # a system header
    name = module.strip('"<>')
    here = posixpath.normpath(posixpath.join(posixpath.dirname(rel_path), name))
    return _existing(
        index, [here, posixpath.normpath(name), f"include/{name}", f"src/{name}"]
    ) or _by_suffix(index, rel_path, name)


def _go_module_prefixes(index: WorkspaceIndex) -> tuple[str, ...]:
    """The module paths the root's go.mod declares, read again whenever its mtime or size
    changes (without a watcher, an edit is noticed at the next resolution that reads it)."""
    path = index.root / GO_MOD
    try:
        stat = os.stat(path)
        key: tuple = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = ()
    found = index.memos.go_modules.get(key)
    if found is None:
        prefixes = []
        try:
            for line in path.read_text("utf-8").splitlines():
                if line.startswith("module "):
                    prefixes.append(line.split()[1].strip('"`'))
        except (OSError, UnicodeDecodeError, IndexError):
            pass
        found = index.memos.go_modules.put(key, tuple(prefixes))
    return found


def _go_package(index: WorkspaceIndex, path: str) -> list[str]:
    def package(directory: str) -> list[str]:
        return [
            f for f in index.files_in(directory) if f.endswith(".go") and not f.endswith("_test.go")
        ]

    for prefix in _go_module_prefixes(index):
        if path == prefix or path.startswith(prefix + "/"):
            return package(path[len(prefix) :].strip("/"))
    parts = path.split("/")
    for k in range(len(parts), 0, -1):  # a GOPATH-like tree: the longest suffix that is a folder
        files = package("/".join(parts[-k:]))
        if files:
            return files
    return []


def _rust_module(index: WorkspaceIndex, rel_path: str, module: str) -> list[str]:
    path = re.sub(r"::\s*\{.*$", "", module.split(" as ")[0]).strip().rstrip(":;")
    if path.startswith("$crate"):  # inside a macro_rules!: the crate that defines the macro
        path = "crate" + path[len("$crate") :]
    segments = [s for s in path.split("::") if s]
    if not segments:
        return []
    directory, _, base = rel_path.rpartition("/")
    stem = base.rsplit(".", 1)[0]
    own_dir = directory if stem in ("mod", "lib", "main") else posixpath.join(directory, stem)
    if segments[0] == "crate":
        parts = rel_path.split("/")
        root = "/".join(parts[: parts.index("src") + 1]) if "src" in parts[:-1] else directory
        segments = segments[1:]
    elif segments[0] == "self":
        root, segments = own_dir, segments[1:]
    elif segments[0] == "super":
        root = posixpath.dirname(own_dir)
        segments = segments[1:]
        while segments and segments[0] == "super":
            root, segments = posixpath.dirname(root), segments[1:]
    elif len(segments) == 1 and "use" not in module:  # `mod util;`
        root = own_dir
    else:
        root = own_dir  # `use util::x` after `mod util;`, or another crate (then nothing matches)
    if not segments and path.split("::")[0] in ("crate", "super"):
        # `use crate::{Error, StdError}`, `use super::{a, b}`: the root or parent module itself.
        top = [f"{root}/lib.rs", f"{root}/main.rs"] if root.endswith("src") else []
        return _existing(index, [f"{root}.rs", f"{root}/mod.rs", *top])[:1]
    found: list[str] = []
    current = root
    for depth, segment in enumerate(segments):
        current = posixpath.join(current, segment) if current else segment
        hits = _existing(index, [f"{current}.rs", f"{current}/mod.rs"])
        # No file for a module on the way: an inline `pub mod client { mod handy; }` in its
        # parent (rustls' lib.rs), whose modules are files of its folder (src/client/handy.rs).
        # 58 Rust packages: module hits +12/+12/+12 of 348 (rustls 0.70 -> 1.00), none lost.
        if not hits and (depth == len(segments) - 1 or not index.files_in(current)):
            break
        found = hits + found  # deepest first
    return found


def module_key(module: str, language: str) -> str:
    """How code refers to an imported module without alias: `a.b.c` -> c (Python `a.b.c.x`
    ends in `c.x`), "github.com/x/y/v2" -> y, `util` (Rust mod) -> util."""
    module = module.strip("\"'")
    if language == "go":
        parts = [p for p in module.split("/") if p]
        if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
            parts.pop()
        return parts[-1].replace("-", "_") if parts else module
    return re.split(r"::|\.|/", module.strip("."))[-1] if module.strip(".") else module


def module_name(path: str) -> str:
    directory, _, base = path.rpartition("/")
    stem = base.split(".", 1)[0]
    if stem in ("__init__", "mod", "index", "lib"):
        return directory.rpartition("/")[2]
    return stem
