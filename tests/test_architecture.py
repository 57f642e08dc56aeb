"""The structure ARCHITECTURE.md promises, checked on the code itself.

- No import cycles among the project's modules: every import counts, lazy ones inside functions
  and `TYPE_CHECKING` ones too (a cycle hidden in a function is still two modules that cannot
  be understood apart).
- coderd/ never imports lsp/ (the server sits on top of the library).
- No module-global mutable state: module-level names are constants. A module-level container
  that some function mutates, or a `global` statement, is state that every session of the
  daemon shares; it belongs to an object with an owner. The few deliberate exceptions are
  listed in ALLOWED with their reason (and in ARCHITECTURE.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("coderd", "lsp")

# module -> names that are process-wide on purpose (the reason is in ARCHITECTURE.md)
ALLOWED: dict[str, set[str]] = {
    # llama.cpp's backend and its log callback are process-wide in llama.cpp itself.
    "coderd.engine.llama.model": {"_backend_ready"},
    "coderd.system.logs": {"_llama_log_callback", "_fallback_reported"},
    # Compiled tree-sitter queries: immutable, derived from package data, the same for all.
    "coderd.context.index.languages": {"_queries"},
}

MUTATING_METHODS = {
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault",
    "add", "discard", "move_to_end", "appendleft", "popleft", "__setitem__",
}  # fmt: skip


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports (a package's __init__ only when named itself)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_no_import_cycles():
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_coderd_never_imports_lsp():
    graph = import_graph()
    upward = sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        if name.startswith("coderd")
        for target in targets
        if target.split(".")[0] == "lsp"
    )
    assert upward == []


def mutable_globals(source: str) -> set[str]:
    """Module-level names that a function mutates (or rebinds with `global`)."""
    tree = ast.parse(source)
    top: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        top.update(t.id for t in targets if isinstance(t, ast.Name))
    mutated: set[str] = set()
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Global):
                mutated.update(node.names)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MUTATING_METHODS
                and isinstance(node.func.value, ast.Name)
            ):
                mutated.add(node.func.value.id)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
                targets = (
                    node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                )
                for target in targets:
                    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                        mutated.add(target.value.id)
    return mutated & top


def test_no_module_global_mutable_state():
    found = {}
    for name, path in modules().items():
        state = mutable_globals(path.read_text("utf-8")) - ALLOWED.get(name, set())
        if state:
            found[name] = sorted(state)
    assert found == {}, f"module-global mutable state (give it an owner): {found}"


def test_the_state_finder_sees_a_module_cache():
    source = "_cache = {}\nLIMIT = 3\n\ndef get(k):\n    _cache[k] = 1\n    return LIMIT\n"
    assert mutable_globals(source) == {"_cache"}
    assert mutable_globals("_seen = set()\n\ndef f(x):\n    _seen.add(x)\n") == {"_seen"}
    assert mutable_globals("_on = False\n\ndef f():\n    global _on\n    _on = True\n") == {"_on"}
    assert mutable_globals("TABLE = {'a': 1}\n\ndef f():\n    return TABLE['a']\n") == set()
