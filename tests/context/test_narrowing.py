"""Narrowing (infer.py): a test on a name's class types it in the block the test guards,
`if isinstance(node, Call):` in Python, `if (node instanceof Call) {` in TypeScript, on real
files through the real index."""

from __future__ import annotations

from pathlib import Path

from test_typed_reach import resolver_for, where

NARROWED_MODELS = """class Call:
    def callee(self):
        pass


class Name:
    def ident(self):
        pass
"""
NARROWED_MAIN = """from models import Call, Name


def visit(node, other):
    assert isinstance(other, Name)
    if isinstance(node, Call):
        a = 1
        @IN_IF@
    elif isinstance(node, Name):
        b = 2
        @IN_ELIF@
    c = 3
    @AFTER@
"""


MARKERS = ("@IN_IF@", "@IN_ELIF@", "@AFTER@")
IF_CALL_ELIF_NAME = {"@IN_IF@": [("models.py", "Call")], "@IN_ELIF@": [("models.py", "Name")]}


def types_at_markers(tmp_path: Path, main: str, name: str) -> dict[str, list]:
    """The types of `name` with the cursor at each marker of `main` (the others `pass`)."""
    found = {}
    for marker in MARKERS:
        text = main.replace(marker, "@@")
        for other in MARKERS:
            text = text.replace(other, "pass")
        files = {"models.py": NARROWED_MODELS, "main.py": text}
        index, resolver = resolver_for(tmp_path / marker.strip("@"), files, "main.py", "python")
        try:
            found[marker] = where(resolver.value_types(name))
        finally:
            index.close()
    return found


def test_isinstance_narrows_a_name_in_its_block(tmp_path: Path) -> None:
    """`if isinstance(node, Call):` types `node` as a Call in that block, `elif` as its own
    class in its block, and not after them; `assert isinstance(other, Name)` from there on."""
    found = types_at_markers(tmp_path / "node", NARROWED_MAIN, "node")
    assert found == {m: IF_CALL_ELIF_NAME.get(m, []) for m in MARKERS}
    other = types_at_markers(tmp_path / "other", NARROWED_MAIN, "other")
    assert other == {m: [("models.py", "Name")] for m in MARKERS}


CONJUNCTION_MAIN = """from models import Call, Name


def visit(node, limit):
    if isinstance(node, Call) and limit > 1:
        a = 1
        @IN_IF@
    elif limit and isinstance(node, Name):
        b = 2
        @IN_ELIF@
    c = 3
    @AFTER@
"""


def test_isinstance_anded_with_another_test_narrows_too(tmp_path: Path) -> None:
    """`if isinstance(node, Call) and ...:` types `node` in that block as the plain test
    does; `elif ... and isinstance(node, Name):` in its own."""
    found = types_at_markers(tmp_path, CONJUNCTION_MAIN, "node")
    assert found == {m: IF_CALL_ELIF_NAME.get(m, []) for m in MARKERS}


TS_MODELS = """export class Call {
  callee(): void {}
}
"""
TS_MAIN = """import { Call } from './models'

export function visit(node: unknown) {
  if (node instanceof Call) {
    const a = 1
    @IN_IF@
  }
  @AFTER@
}
"""


def test_instanceof_narrows_a_name_in_its_block(tmp_path: Path) -> None:
    """Up to the block's closing brace, even with nothing after the `if` in the function."""
    for marker, expected in (("@IN_IF@", [("models.ts", "Call")]), ("@AFTER@", [])):
        other = "@AFTER@" if marker == "@IN_IF@" else "@IN_IF@"
        main = TS_MAIN.replace(marker, "@@").replace(other, "")
        files = {"models.ts": TS_MODELS, "main.ts": main}
        index, resolver = resolver_for(tmp_path / marker.strip("@"), files, "main.ts", "typescript")
        try:
            assert where(resolver.value_types("node")) == expected, marker
        finally:
            index.close()


GO_MAIN = """package ast

func walk(x any) {
	switch v := x.(type) {
	case *Call:
		a := 1
		@IN_CALL@
	case Name, *Call:
		@IN_BOTH@
	case Name:
		@IN_NAME@
	}
}
"""
GO_MODELS = """package ast

type Call struct{}

func (c *Call) Callee() {}

type Name struct{}

func (n Name) Ident() {}
"""


def test_a_go_type_switch_types_its_name_per_case(tmp_path: Path) -> None:
    """Each single-type case types `v` as its type; a case of two types leaves it untyped."""
    cases = {
        "@IN_CALL@": [("models.go", "Call")],
        "@IN_BOTH@": [],
        "@IN_NAME@": [("models.go", "Name")],
    }
    for marker, expected in cases.items():
        main = GO_MAIN
        for other in cases:
            main = main.replace(other, "@@" if other == marker else "_ = 0")
        files = {"go.mod": "module example.com/ast\n", "models.go": GO_MODELS, "main.go": main}
        index, resolver = resolver_for(tmp_path / marker.strip("@"), files, "main.go", "go")
        try:
            assert where(resolver.value_types("v")) == expected, marker
        finally:
            index.close()


GUARD_MAIN = """from models import Call


def visit(node, items):
    @BEFORE@
    if not isinstance(node, Call):
        raise TypeError(node)
    a = 1
    @AFTER@
    for item in items:
        if not isinstance(item, Call):
            continue
        @IN_LOOP@
    @AFTER_LOOP@
"""


def test_a_guard_clause_narrows_a_name_after_it(tmp_path: Path) -> None:
    """`if not isinstance(node, Call): raise ...` makes `node` a Call below it, to the end of
    the function; in a loop's body, to the end of that body; not above it."""
    cases = {
        "@BEFORE@": ("node", []),
        "@AFTER@": ("node", [("models.py", "Call")]),
        "@IN_LOOP@": ("item", [("models.py", "Call")]),
        "@AFTER_LOOP@": ("item", []),
    }
    for marker, (name, expected) in cases.items():
        main = GUARD_MAIN
        for other in cases:
            main = main.replace(other, "@@" if other == marker else "pass")
        files = {"models.py": NARROWED_MODELS, "main.py": main}
        index, resolver = resolver_for(tmp_path / marker.strip("@"), files, "main.py", "python")
        try:
            assert where(resolver.value_types(name)) == expected, marker
        finally:
            index.close()


RUST = """use std::collections::HashMap;

pub struct Node;

impl Node {
    pub fn visit(&self) {}
}

pub struct Graph {
    nodes: HashMap<String, Node>,
}

impl Graph {
    fn find(&self, key: &str) -> Option<Node> {
        None
    }

    fn walk(&self, stack: &mut Vec<Node>) {
        if let Some(found) = self.nodes.get("a") {
            @IN_IF@
        }
        while let Some(top) = stack.pop() {
            @IN_WHILE@
        }
        if let Some(other) = self.find("b") {
            @IN_FIND@
        }
        @AFTER@
    }
}
"""


def test_rust_if_let_and_while_let_bind_what_the_call_gives(tmp_path: Path) -> None:
    """`if let Some(found) = self.nodes.get(..)` on a HashMap<String, Node>, `while let
    Some(top) = stack.pop()` on a Vec<Node>, `if let Some(other) = self.find(..)` returning
    Option<Node>: each a Node in its block, none after."""
    cases = {
        "@IN_IF@": ("found", [("lib.rs", "Node")]),
        "@IN_WHILE@": ("top", [("lib.rs", "Node")]),
        "@IN_FIND@": ("other", [("lib.rs", "Node")]),
        "@AFTER@": ("found", []),
    }
    for marker, (name, expected) in cases.items():
        main = RUST
        for other in cases:
            main = main.replace(other, "@@" if other == marker else "let _x = 0;")
        files = {"Cargo.toml": "", "lib.rs": main}
        index, resolver = resolver_for(tmp_path / marker.strip("@"), files, "lib.rs", "rust")
        try:
            assert where(resolver.value_types(name)) == expected, marker
        finally:
            index.close()


EXCEPT_MAIN = """from models import Call


def run(f):
    try:
        f()
    except Call as exc:
        @@
"""


def test_an_except_clause_binds_its_exception_class(tmp_path: Path) -> None:
    files = {"models.py": NARROWED_MODELS, "main.py": EXCEPT_MAIN}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        assert where(resolver.value_types("exc")) == [("models.py", "Call")]
    finally:
        index.close()
