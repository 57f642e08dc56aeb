"""A type alias has its target's members: syn's `input: ParseStream` is a `ParseBuffer`
(`pub type ParseStream<'a> = &'a ParseBuffer<'a>;`), so `input.` lists ParseBuffer's methods.
The same for TypeScript's `type X = Y` and Go's `type X = Y`, on a real index of real files."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write
from test_receiver_hint_languages import hints_in

PARSE_RS = """pub struct ParseBuffer<'a> {
    depth: usize,
}

pub type ParseStream<'a> = &'a ParseBuffer<'a>;

impl<'a> ParseBuffer<'a> {
    pub fn step(&self) -> bool {
        true
    }

    pub fn peek_token(&self) -> bool {
        false
    }
}
"""


def test_a_rust_alias_to_a_reference_has_the_referenced_types_methods(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "src/parse.rs", PARSE_RS)
    write(root, "src/lib.rs", "mod ident;\nmod parse;\n")
    use = (
        "use crate::parse::ParseStream;\n\n"
        "fn parse_ident(input: ParseStream) -> bool {\n    input.\n}\n"
    )
    with hints_in(root, write(root, "src/ident.rs", use), use) as after:
        hint = after("    input.")
        assert hint is not None
        assert {"step", "peek_token"} <= {c["name"] for c in hint.chunks}


def test_a_typescript_alias_has_its_targets_methods(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root,
        "src/store.ts",
        "export class StoreImpl {\n  dispatch(action: string): void {}\n"
        "  getState(): number {\n    return 1\n  }\n}\n\nexport type Store = StoreImpl\n",
    )
    use = "import { Store } from './store'\n\nexport function bind(store: Store) {\n  store.\n}\n"
    with hints_in(root, write(root, "src/bind.ts", use), use) as after:
        hint = after("  store.")
        assert hint is not None
        assert {"dispatch", "getState"} <= {c["name"] for c in hint.chunks}


def test_a_go_alias_has_its_targets_methods(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "go.mod", "module example.com/m\n\ngo 1.20\n")
    write(
        root,
        "router/router.go",
        "package router\n\ntype Mux struct{}\n\nfunc (m *Mux) Handle(p string) {}\n\n"
        "func (m *Mux) Mount(p string) {}\n\ntype Router = Mux\n",
    )
    use = "package router\n\nfunc setup(r *Router) {\n\tr.\n}\n"
    with hints_in(root, write(root, "router/setup.go", use), use) as after:
        hint = after("\tr.")
        assert hint is not None
        assert {"Handle", "Mount"} <= {c["name"] for c in hint.chunks}
