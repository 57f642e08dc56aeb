"""A type alias has its target's members: syn's `input: ParseStream` is a `ParseBuffer`
(`pub type ParseStream<'a> = &'a ParseBuffer<'a>;`), so `input.` lists ParseBuffer's methods.
The same for TypeScript's `type X = Y` and Go's `type X = Y`, on a real index of real files."""

from __future__ import annotations

from pathlib import Path

import pytest
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


CASES = {
    "rust, an alias of a reference": (
        {"src/parse.rs": PARSE_RS, "src/lib.rs": "mod ident;\nmod parse;\n"},
        "src/ident.rs",
        "use crate::parse::ParseStream;\n\n"
        "fn parse_ident(input: ParseStream) -> bool {\n    input.\n}\n",
        "    input.",
        {"step", "peek_token"},
    ),
    "typescript": (
        {
            "src/store.ts": "export class StoreImpl {\n  dispatch(action: string): void {}\n"
            "  getState(): number {\n    return 1\n  }\n}\n\nexport type Store = StoreImpl\n"
        },
        "src/bind.ts",
        "import { Store } from './store'\n\nexport function bind(store: Store) {\n  store.\n}\n",
        "  store.",
        {"dispatch", "getState"},
    ),
    "go": (
        {
            "go.mod": "module example.com/m\n\ngo 1.20\n",
            "router/router.go": "package router\n\ntype Mux struct{}\n\n"
            "func (m *Mux) Handle(p string) {}\n\nfunc (m *Mux) Mount(p string) {}\n\n"
            "type Router = Mux\n",
        },
        "router/setup.go",
        "package router\n\nfunc setup(r *Router) {\n\tr.\n}\n",
        "\tr.",
        {"Handle", "Mount"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_alias_has_its_targets_methods(tmp_path: Path, case: str) -> None:
    files, rel, use, receiver, expected = CASES[case]
    root = tmp_path / "ws"
    for path, text in files.items():
        write(root, path, text)
    with hints_in(root, write(root, rel, use), use) as after:
        hint = after(receiver)
        assert hint is not None
        assert expected <= {c["name"] for c in hint.chunks}
