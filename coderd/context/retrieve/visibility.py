"""Which of a Rust type's members another file can call. An inherent method without `pub` is
private to its module and that module's descendants: chrono's `StrftimeItems` list showed
its private `with_remainer` to `naive/date.rs`, which cannot call it, in room its imports'
lines needed. A trait's methods, and those of an `impl Trait for Type` block, are as public
as the trait. Other languages: every member (Python's `_private` ones only rank later)."""

from __future__ import annotations

from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex


def trait_impls(index: WorkspaceIndex, owner: DefinitionRef) -> dict[str, list[tuple[int, int]]]:
    """Rust: the line spans of `impl Trait for Owner` blocks, per file. Their methods (`fmt`,
    `serialize`, `from_str`) are called through the trait's syntax or generic code, rarely as
    `value.fmt(`: the hint lists them after the type's own (receiver.py)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for ref in index.members(owner.definition.name):
        d = ref.definition
        if d.kind == "impl":
            spans.setdefault(ref.path, []).append((d.start_line, d.end_line))
    return spans


def inside(member: DefinitionRef, spans: dict[str, list[tuple[int, int]]]) -> bool:
    line = member.definition.start_line
    return any(start <= line <= end for start, end in spans.get(member.path, ()))


def reachable(
    index: WorkspaceIndex, owner: DefinitionRef, members: list[DefinitionRef], rel: str
) -> list[DefinitionRef]:
    """The members of the Rust type `owner` that code in `rel` can call (all of them
    elsewhere)."""
    if not rel.endswith(".rs") or owner.definition.kind == "trait":
        return members
    here = module_path(rel)
    spans: dict[str, list[tuple[int, int]]] | None = None
    kept = []
    for m in members:
        d = m.definition
        if d.signature.startswith("pub") or d.container != owner.definition.name:
            kept.append(m)  # public, or a trait's (a base of the type)
            continue
        home = module_path(m.path)
        if here[: len(home)] == home:
            kept.append(m)  # its module, or one inside it
            continue
        spans = trait_impls(index, owner) if spans is None else spans
        if inside(m, spans):
            kept.append(m)
    return kept


def module_path(rel: str) -> tuple[str, ...]:
    """The module a Rust file is, as the folders and file name under the crate's `src/`:
    `src/format/mod.rs` and `src/format.rs` are `format`, `src/lib.rs` the crate root. A
    file outside `src/` (tests, benches, examples) is a crate of its own."""
    head, found, tail = rel.rpartition("src/")
    if not found:
        return (rel,)
    parts = tail.removesuffix(".rs").split("/")
    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
        parts = parts[:-1]
    return (head, *parts)
