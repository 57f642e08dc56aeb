"""Which import statements name another package: their names are not samples.

A sample's gold is the one project definition of its name. An import from a dependency that
happens to share a name with one of the project's own definitions made a wrong sample: toml's
`use serde::{de, ser};` then `de::Deserializer` is serde's trait, not toml's de.rs struct, and
mako's `from pygments.token import Text` is not mako's parse-tree `Text`. A statement is
another package's when the package's manifest lists what it names as a dependency (Cargo.toml,
package.json), when it is Rust's standard library, or (Python, which has no such list to
trust) when no folder or module of the project carries its first dotted name.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from coderd.context.retrieve.resolve import JS_LANGUAGES

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

RUST_STD = frozenset({"std", "core", "alloc", "proc_macro"})
_DEPENDENCY_TABLES = ("dependencies", "dev-dependencies", "build-dependencies")
_JS_TABLES = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


class ExternalImports:
    """The dependencies of the package at `root`, read from its manifest once."""

    def __init__(self, root: Path, files) -> None:
        self.crates = RUST_STD | _cargo_dependencies(root / "Cargo.toml")
        self.node = _node_dependencies(root / "package.json")
        self.python = {
            part.removesuffix(".py")
            for path in files
            if path.endswith((".py", ".pyi"))
            for part in path.split("/")
        }

    def external(self, statement, language: str) -> bool:
        module = statement.module.strip().strip("\"'`")
        if language == "rust":
            first = re.split(r"::|\s|\{", module.removeprefix("::"), maxsplit=1)[0]
            return first in self.crates
        if language in JS_LANGUAGES:
            if module.startswith((".", "/")):
                return False
            parts = module.split("/")
            package = "/".join(parts[:2]) if module.startswith("@") else parts[0]
            return package in self.node
        if language == "python":
            return not module.startswith(".") and module.split(".")[0] not in self.python
        return False


def _cargo_dependencies(manifest: Path) -> frozenset[str]:
    try:
        data = tomllib.loads(manifest.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return frozenset()
    tables = [data.get(t, {}) for t in _DEPENDENCY_TABLES]
    for target in data.get("target", {}).values():  # [target.'cfg(unix)'.dependencies]
        tables += [target.get(t, {}) for t in _DEPENDENCY_TABLES]
    return frozenset(name.replace("-", "_") for table in tables for name in table)


def _node_dependencies(manifest: Path) -> frozenset[str]:
    try:
        data = json.loads(manifest.read_text("utf-8"))
    except (OSError, ValueError):
        return frozenset()
    return frozenset(name for t in _JS_TABLES for name in (data.get(t) or {}))
