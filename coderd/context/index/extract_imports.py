"""Import statements from the captures of a file's query (extract.py): `@import` a whole
statement, `@import.module`, `@import.name`, `@import.alias`; captures in a match without
`@import` belong to the innermost import statement around them."""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, replace

import tree_sitter

# C and C++ keep `"local.h"` vs `<system.h>`: the delimiters say where to look.
_KEEP_IMPORT_DELIMITERS = frozenset({"c", "cpp"})
_USE_TOKEN = re.compile(r"::|[{},*]|[A-Za-z_$][\w$]*")
_RUST_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # as written ("..pkg.mod", "./util", "fmt", "crate::a::{B, c}", '"x.h"')
    names: tuple[str, ...] = ()  # imported names (`from m import a, b`, `import {a} from`)
    aliases: tuple[tuple[str, str], ...] = ()  # (imported name or module, local alias)
    line: int = 0  # 1-based line of the statement
    # Rust `pub use` (any visibility): a re-export, what `module::name` reaches from outside.
    exported: bool = False


def assemble_imports(parts: list[dict[str, tree_sitter.Node]], language: str) -> tuple[Import, ...]:
    statements: dict[tuple[int, int], dict] = {}
    for captures in parts:  # statements first, so that loose captures find their statement
        node = captures.get("import")
        if node is not None:
            statements.setdefault((node.start_byte, node.end_byte), _new_statement(node))
    spans = sorted(statements)  # by start: the innermost holding a capture starts last before it
    starts = [span[0] for span in spans]
    for captures in parts:
        anchor = captures.get("import") or next(iter(captures.values()))
        span = _holding(spans, starts, anchor.start_byte, anchor.end_byte)
        if span is None:
            continue
        statement = statements[span]
        module, name, alias = (
            captures.get(k) for k in ("import.module", "import.name", "import.alias")
        )
        if module is not None:
            text = _module_node_text(module, language)
            if text not in statement["modules"]:
                statement["modules"].append(text)
        if name is not None:
            text = sys.intern(_node_text(name))
            if text not in statement["names"]:
                statement["names"].append(text)
        if alias is not None:
            # The original is the name, else the module; a namespace import (`* as ns`) leaves
            # it None, filled with the statement's module below.
            original = (
                _node_text(name)
                if name is not None
                else _module_node_text(module, language)
                if module is not None
                else None
            )
            statement["aliases"].append((original, sys.intern(_node_text(alias))))
    result = []
    for span in sorted(statements):
        statement = statements[span]
        modules = statement["modules"] or [""]
        if statement["inline"]:
            modules = [_from_file(module, statement["inline"]) for module in modules]
        for module in modules:
            aliases = [
                (module if orig is None else orig, alias) for orig, alias in statement["aliases"]
            ]
            if len(modules) > 1:  # `import a, b as c`: one Import per module
                aliases = [pair for pair in aliases if pair[0] == module]
            result.append(
                Import(
                    module,
                    tuple(statement["names"]),
                    tuple(aliases),
                    statement["line"],
                    statement["exported"],
                )
            )
    if language == "rust":
        result = [part for statement in result for part in _rust_paths(statement)]
    return tuple(result)


def _rust_paths(statement: Import) -> list[Import]:
    """A Rust `use` as one Import per path its names hang from. resolve.py resolves a
    statement's module path and looks its names up there, so `use crate::{Rng,
    distributions::{Distribution, Uniform}}` must say that Uniform is under
    `crate::distributions` (rand: it is not in lib.rs). A glob re-export (`pub use
    self::reversed::*`, petgraph's visit/mod.rs) names `*`: its module's names are the
    file's. A plain `use a::b::{c, d}` stays as it is."""
    module = statement.module
    listed = module.partition("{")[2]
    if "{" not in listed and "::" not in listed:
        if module.endswith("*") and statement.exported and not statement.names:
            return [replace(statement, names=("*",))]
        return [statement]
    groups: dict[str, list[str]] = {}
    modules: set[str] = set()
    _use_tree(_USE_TOKEN.findall(module), 0, [], groups, modules)
    leaves = {n for names in groups.values() for n in names} - modules - {"*"}
    if leaves != set(statement.names):  # not read as the parser did: keep it whole
        return [statement]
    aliases = dict(statement.aliases)
    return [
        Import(
            sys.intern(f"{parent}::{{{', '.join(names)}}}"),
            tuple(n for n in names if n != "*" or statement.exported),
            tuple((n, aliases[n]) for n in names if n in aliases),
            statement.line,
            statement.exported,
        )
        for parent, names in groups.items()
    ]


def _use_tree(tokens: list[str], at: int, prefix: list[str], groups: dict, modules: set) -> int:
    """Reads one use tree from `tokens[at]` (`a::b::{...}`, `a::B as C`, `a::*`) into
    `groups` (parent path -> its names) and `modules` (names brought by `self`); returns
    where it stopped."""
    path = list(prefix)
    while at < len(tokens):
        token = tokens[at]
        if token == "{":
            at += 1
            while at < len(tokens) and tokens[at] != "}":
                at = _use_tree(tokens, at, path, groups, modules)
                at += tokens[at] == "," if at < len(tokens) else 0
            return at + 1
        if token in (",", "}"):
            break
        if token != "::":
            if token == "as":  # the alias: statement.aliases has it already
                at += 1
            else:
                path.append(token)
        at += 1
    if path[-1:] == ["self"]:  # `subscriber::{self, X}`: the module itself, by its name
        path.pop()
        modules.update(path[-1:])
    elif len(path) == len(prefix):
        return at
    if path:
        groups.setdefault("::".join(path[:-1]), []).append(path[-1])
    return at


def _holding(spans, starts, start: int, end: int):
    """The innermost span holding [start, end): the last one starting at or before `start`
    that ends at or after `end` (statements nest rarely, so the walk back is short)."""
    i = bisect_right(starts, start) - 1
    while i >= 0:
        if spans[i][1] >= end:
            return spans[i]
        i -= 1
    return None


def _new_statement(node: tree_sitter.Node) -> dict:
    first = node.child(0)
    return {
        "modules": [],
        "names": [],
        "aliases": [],
        "line": node.start_point.row + 1,
        "exported": first is not None and first.type == "visibility_modifier",
        "inline": _inline_modules(node),
    }


def _inline_modules(node: tree_sitter.Node) -> int:
    """How many Rust `mod name { ... }` blocks hold `node`."""
    depth, parent = 0, node.parent
    while parent is not None:
        depth += parent.type == "mod_item"
        parent = parent.parent
    return depth


def _from_file(module: str, inline: int) -> str:
    """A Rust path written inside `inline` inline modules, as the file's own level reads it:
    tokio's loom/std/mod.rs `mod cell { use super::unsafe_cell::UnsafeCell; }` names the
    file's sibling module, `self::unsafe_cell` there (resolve.py resolves paths by files)."""
    if not module.startswith("super::" * inline):
        return module  # a path inside the inline modules: as written (read as the file's)
    rest = module[len("super::") * inline :]
    return rest if rest.startswith("super::") else f"self::{rest}"


def _module_node_text(node: tree_sitter.Node, language: str) -> str:
    text = _node_text(node)
    if language == "rust":  # a comment in a use list: its words are no path (_rust_paths)
        text = _RUST_COMMENT.sub(" ", text)
    text = " ".join(text.split())  # multi-line Rust use lists become one line
    if language not in _KEEP_IMPORT_DELIMITERS:
        text = text.strip("\"'`")
    return sys.intern(text)


def _node_text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""
