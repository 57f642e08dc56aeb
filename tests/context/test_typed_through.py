"""Values typed through something else (typed.py):

- a local holding another local (`let cur1 = cur;`, `node = start`, `n := m`, `const a = b`)
  has that local's type, however many hops (the queries' `@bind.value`): toml's `traverse`
  walks `cur` -> `cur1` -> `cur2` from a typed parameter;
- a Rust type reaches its Deref target's members and fields (h2's `Ptr` -> `Stream`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider

RUST_VALUE = """pub enum Value {
    Table(u32),
}

impl Value {
    pub fn is_table(&self) -> bool {
        true
    }
}
"""
RUST_WALK = """use crate::value::Value;

fn traverse<'a>(root: &'a mut Value, path: &[&str]) -> &'a mut Value {
    let mut cur = root;
    for key in path {
        let cur1 = cur;
        let cur2 = if cur1.is_table() {
            cur1
        } else {
            cur1
        };
        cur2.@@
    }
    root
}
"""
PY_NODE = "class Node:\n    def walk(self):\n        pass\n"
PY_WALK = """from .node import Node


def visit(start: Node):
    node = start
    current = node
    current.@@
"""
GO_NODE = "package app\n\ntype Node struct{}\n\nfunc (n *Node) Walk() {}\n"
GO_WALK = "package app\n\nfunc visit(start *Node) {\n\tn := start\n\tm := n\n\tm.@@\n}\n"
TS_NODE = "export class Node {\n  walk(): void {}\n}\n"
TS_WALK = (
    "import { Node } from './node';\n\n"
    "function visit(start: Node) {\n  const n = start;\n  let m = n;\n  m.@@\n}\n"
)
CASES = {
    "rust": ({"src/value.rs": RUST_VALUE}, "src/walk.rs", RUST_WALK, "is_table"),
    "python": ({"pkg/__init__.py": "", "pkg/node.py": PY_NODE}, "pkg/walk.py", PY_WALK, "walk"),
    "go": ({"go.mod": "module example.com/app\n", "node.go": GO_NODE}, "walk.go", GO_WALK, "Walk"),
    "typescript": ({"src/node.ts": TS_NODE}, "src/walk.ts", TS_WALK, "walk"),
}


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


@pytest.mark.parametrize("language", sorted(CASES))
def test_a_local_holding_a_typed_local_has_its_type(tmp_path: Path, language: str) -> None:
    files, rel, source, member = CASES[language]
    root = tmp_path / "ws"
    for path, text in files.items():
        write(root, path, text)
    text = source.replace("@@", "")
    write(root, rel, text)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(root / rel).wait_ready(20)
        hint = context.receiver_hint(root / rel, text, source.index("@@"), tokenize, 200)
        assert hint is not None
        assert member in [c["name"] for c in hint.chunks]
    finally:
        context.close()


RUST_STORE = """use std::ops;

pub struct State {
    inner: u8,
}

impl State {
    pub fn is_reset(&self) -> bool {
        false
    }
}

pub struct Stream {
    pub flow: State,
}

impl Stream {
    pub fn is_pending(&self) -> bool {
        false
    }
}

pub struct Ptr {
    key: usize,
}

impl ops::Deref for Ptr {
    type Target = Stream;

    fn deref(&self) -> &Stream {
        unimplemented!()
    }
}
"""


@pytest.mark.parametrize(
    ("receiver", "member"), [("stream.", "is_pending"), ("stream.flow.", "is_reset")]
)
def test_a_rust_type_reaches_its_deref_targets_members_and_fields(
    tmp_path: Path, receiver: str, member: str
) -> None:
    """h2's `stream.state.is_reset()`: `stream` is a `Ptr`, which derefs to a `Stream`."""
    root = tmp_path / "ws"
    write(root, "src/store.rs", RUST_STORE)
    text = f"use crate::store::Ptr;\n\nfn send(stream: &mut Ptr) {{\n    {receiver}\n}}\n"
    write(root, "src/send.rs", text)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(root / "src/send.rs").wait_ready(20)
        offset = text.index(receiver) + len(receiver)
        hint = context.receiver_hint(root / "src/send.rs", text, offset, tokenize, 200)
        assert hint is not None
        assert member in [c["name"] for c in hint.chunks]
    finally:
        context.close()
