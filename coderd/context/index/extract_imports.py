"""Import statements from the captures of a file's query (extract.py): `@import` a whole
statement, `@import.module`, `@import.name`, `@import.alias`; captures in a match without
`@import` belong to the innermost import statement around them."""

from __future__ import annotations

import sys
from bisect import bisect_right
from dataclasses import dataclass

import tree_sitter

# C and C++ keep `"local.h"` vs `<system.h>`: the delimiters say where to look.
_KEEP_IMPORT_DELIMITERS = frozenset({"c", "cpp"})


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
    return tuple(result)


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
    }


def _module_node_text(node: tree_sitter.Node, language: str) -> str:
    text = " ".join(_node_text(node).split())  # multi-line Rust use lists become one line
    if language not in _KEEP_IMPORT_DELIMITERS:
        text = text.strip("\"'`")
    return sys.intern(text)


def _node_text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""
