"""The naive import-list baseline of the context evaluation (context_eval.py).

What a reviewer of #13 built by hand and what coderd must beat everywhere: the signature line
of every name the file imports from the project, in import order; then the top-level names of
the modules it imports (`import pkg.utils`, `from . import utils`, a Go package, a `*`
import, the other files of a Go package), file by file; then the members of the imported
types. Each file's lines sit under its `# path` header, and the list is cut where the next
line would overrun the budget. No ranking, no bodies, no guesses.

It uses coderd's own import resolution (`scope_of`), so the comparison measures ranking and
packing, not resolution: a name coderd cannot resolve is missing from both.
"""

from __future__ import annotations

from collections.abc import Callable

from eval_samples import header_line

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.pack.block import PackedContext, file_header
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.typed import TYPE_KINDS


def naive_pack(
    index: WorkspaceIndex,
    path: str,
    lines_of: Callable[[str], list[str]],
    tokenize: Callable[[str], list[int]],
    budget: int,
) -> PackedContext:
    """The naive list for the file at `path`, cut at `budget` tokens (headers and blank lines
    included)."""
    symbols = index.file(path)
    if symbols is None:
        return PackedContext(text="")
    scope = scope_of(index, path, symbols, symbols.language)
    entries: list[tuple[str, Definition]] = []
    for _, refs in scope.named:
        entries += [(r.path, r.definition) for r in refs]
    module_files = [f for files in scope.modules.values() for f in files]
    module_files += [f for f, _ in scope.open_files]
    for file in dict.fromkeys(module_files):
        found = index.file(file)
        entries += [(file, d) for d in found.definitions if not d.container] if found else []
    for file, definition in list(entries):
        if definition.kind in TYPE_KINDS:
            found = index.file(file)
            members = [d for d in found.definitions if d.container == definition.name]
            entries += [(file, d) for d in members] if found else []
    return _cut(entries, path, lines_of, tokenize, budget)


def _cut(entries, path, lines_of, tokenize, budget) -> PackedContext:
    groups: dict[str, list[tuple[int, str]]] = {}
    seen: set[tuple[str, int]] = set()
    header = file_header(path)
    remaining = budget - len(tokenize(header))
    for file, definition in entries:
        if file == path:
            continue
        lines = lines_of(file)
        row = header_line(lines, definition) if lines else 0
        if not row or (file, row) in seen or row > len(lines):
            continue
        seen.add((file, row))
        line = lines[row - 1].rstrip()
        cost = len(tokenize(line + "\n")) + (
            0 if file in groups else len(tokenize(file_header(file))) + 1  # and its blank line
        )
        if cost > remaining:
            break
        remaining -= cost
        groups.setdefault(file, []).append((row, line))
    parts, chunks = [], []
    for file, rows in groups.items():
        parts.append(file_header(file) + "\n".join(line for _, line in rows) + "\n\n")
        chunks += [{"path": file, "name": "", "lines": [r, r], "source": "naive"} for r, _ in rows]
    return PackedContext(text="".join(parts) + header if budget > 0 else "", chunks=chunks)
