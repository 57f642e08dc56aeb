"""The names a file defines for others: its top-level definitions and, in Rust, those of an
inline module it re-exports whole.

nix's errno.rs writes `pub use self::consts::*;` over nine `#[cfg(target_os = ...)] mod
consts { pub enum Errno { ... } }`, one per platform: `use crate::errno::Errno` reached no
`Errno` (every one sits inside a module), so `Errno::` in 13 of nix's 40 method samples had
neither the type nor its `impl Errno` (top level, `result`, `last`) in the prompt at any
budget. The first of those modules stands for them all: the same names, and one copy is what
the prompt has room for.
"""

from __future__ import annotations

from coderd.context.index.extract import Definition, FileSymbols

_SELF, _GLOB = "self::", "::*"


def exported_definitions(
    symbols: FileSymbols, unresolved: frozenset[str] = frozenset()
) -> dict[str, list[Definition]]:
    """Name -> the definitions `symbols`' file gives other files: its top-level ones, then
    (Rust) those directly inside the first inline module of each `pub use self::m::*` whose
    path reaches no file (`unresolved`: the import modules that resolve to none), for names
    the top level does not define. regex's literal/mod.rs has both a `mod imp;` (the real
    searcher, imp.rs) and an inline stub `mod imp { .. }` for a build without the feature:
    the file is the one to read."""
    own: dict[str, list[Definition]] = {}
    for definition in symbols.definitions:
        if not definition.container:
            own.setdefault(definition.name, []).append(definition)
    if symbols.language != "rust":
        return own
    globbed = {
        statement.module[len(_SELF) : -len(_GLOB)]
        for statement in symbols.imports
        if statement.names == ("*",)
        and statement.module in unresolved
        and statement.module.startswith(_SELF)
        and statement.module.endswith(_GLOB)
    }
    spans: dict[str, tuple[int, int]] = {}
    for name in globbed:
        modules = [d for d in own.get(name, ()) if d.kind == "module"]
        if modules:
            spans[name] = (modules[0].start_line, modules[0].end_line)
    if not spans:
        return own
    top = set(own)
    for definition in symbols.definitions:
        span = spans.get(definition.container)
        if (
            span is not None
            and span[0] <= definition.start_line <= span[1]
            and definition.name not in top
        ):
            own.setdefault(definition.name, []).append(definition)
    return own
