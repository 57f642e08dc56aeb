"""elements.py: loop variables, callback parameters and indexed elements get the element type of
the sequence they walk, in four languages, on a real index of real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import write
from test_typed_reach import resolver_for, where

from coderd.context.retrieve.elements import element_types
from coderd.context.retrieve.typenames import declared_type

PY_MODELS = """class Item:
    def weigh(self) -> int:
        pass


class Shelf:
    def __init__(self):
        self.items: list[Item] = []

    def sorted_items(self) -> "t.List[Item]":
        return self.items
"""
PY_MAIN = """from models import Item, Shelf


def count(shelf: Shelf, extra: "list[Item]"):
    for item in shelf.items:
        pass
    for kept in sorted(shelf.sorted_items()):
        pass
    first = extra[0]
    heavy = [x for x in extra if x]
    for i, numbered in enumerate(shelf.items):
        pass
    @@
"""
TS = """export class Query {
  fetch(): void {}
}

class Cache {
  #queries: Query[] = []

  all(): Array<Query> {
    return this.#queries
  }

  run(): void {
    const stale = this.all()
    for (const each of this.#queries) {
    }
    const head = this.#queries[0]
    BODY
  }
}
"""
GO = """package mux

type Route struct{}

func (r *Route) Match() bool { return true }

type Router struct {
	routes []*Route
}

func (r *Router) walk() {
	for _, route := range r.routes {
		_ = route
	}
	first := &r.routes[0]
	@@
}
"""
RUST = """pub struct Token;

impl Token {
    pub fn len(&self) -> usize { 0 }
}

pub fn scan(tokens: &Vec<Token>) {
    for token in tokens.iter() {
    }
    for (i, counted) in tokens.iter().enumerate() {
    }
    let last = &tokens[0];
    @@
}
"""


@pytest.mark.parametrize(
    ("written", "declared"),
    [
        ("list[Item]", "[]Item"),
        ('t.Optional[t.Sequence["Item"]]', "[]Item"),
        ("Query[] | undefined", "[]Query"),
        ("ReadonlyArray<Query>", "[]Query"),
        ("[]*Route", "[]Route"),
        ("&[Token]", "[]Token"),
        ("Result<Vec<Token>, Error>", "[]Token"),
        ("Optional[Item]", "Item"),
        ("dict[str, Item]", "{}Item"),  # a mapping's values
        ("map[string]*Route", "{}Route"),
        ("Record<string, Query>", "{}Query"),
        ("dict", ""),
    ],
)
def test_declared_types_keep_a_sequences_element(written: str, declared: str) -> None:
    assert declared_type(written) == declared


def test_python_loops_comprehensions_and_indexes(tmp_path: Path) -> None:
    files = {"models.py": PY_MODELS, "main.py": PY_MAIN}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        item = [("models.py", "Item")]
        assert where(resolver.value_types("item")) == item  # a field declared list[Item]
        assert where(resolver.value_types("kept")) == item  # sorted(a method's -> List[Item])
        assert where(resolver.value_types("first")) == item  # a parameter's element
        assert where(resolver.value_types("x")) == item  # a comprehension's variable
        assert where(resolver.value_types("numbered")) == item  # enumerate()'s second name
        assert resolver.value_types("extra") == []  # the list itself has the list's members
    finally:
        index.close()


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ("@@", "each"),  # for-of over a private field declared Query[]
        ("@@", "head"),  # an element of it
        ("this.#queries.forEach((q) => {\n      @@\n    })", "q"),  # a callback's parameter
        ("stale.filter((s) => s).map(m => {\n      @@\n    })", "m"),  # through filter()
    ],
)
def test_typescript_loops_callbacks_and_private_fields(
    tmp_path: Path, body: str, name: str
) -> None:
    files = {"cache.ts": TS.replace("BODY", body)}
    index, resolver = resolver_for(tmp_path / "ws", files, "cache.ts", "typescript")
    try:
        assert where(resolver.value_types(name)) == [("cache.ts", "Query")]
    finally:
        index.close()


def test_go_range_and_index(tmp_path: Path) -> None:
    index, resolver = resolver_for(tmp_path / "ws", {"mux.go": GO}, "mux.go", "go")
    try:
        assert where(resolver.value_types("route")) == [("mux.go", "Route")]
        assert where(resolver.value_types("first")) == [("mux.go", "Route")]
    finally:
        index.close()


def test_rust_for_over_an_iterator_and_an_index(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "Cargo.toml", '[package]\nname = "scan"\n')
    index, resolver = resolver_for(root, {"src/lib.rs": RUST}, "src/lib.rs", "rust")
    try:
        assert where(resolver.value_types("token")) == [("src/lib.rs", "Token")]
        assert where(resolver.value_types("last")) == [("src/lib.rs", "Token")]
        assert where(resolver.value_types("counted")) == [("src/lib.rs", "Token")]
    finally:
        index.close()


def test_a_sequence_rebuilt_from_itself_ends(tmp_path: Path) -> None:
    # `xs = xs.filter(...)`: each step names the last; the walk stops at its depth.
    source = TS.replace("BODY", "let xs = this.all()\n    xs = xs.filter((s) => s)\n    @@")
    source = source.replace("let xs = this.all()", "let ys = xs.filter((s) => s)")
    source = source.replace("xs = xs.filter", "let xs = ys.filter")
    index, resolver = resolver_for(tmp_path / "ws", {"cache.ts": source}, "cache.ts", "typescript")
    try:
        assert resolver.value_types("xs") == []
        assert element_types(resolver, "xs") == []
    finally:
        index.close()


PY_MAPPINGS = """from models import Item


class Registry:
    def __init__(self):
        self.items: dict[str, Item] = {}

    def walk(self, extra: "t.Mapping[str, Item]"):
        for name, entry in self.items.items():
            pass
        for value in extra.values():
            pass
        for key in extra:
            pass
        got = self.items["a"]
        @@
"""


def test_a_mappings_values_items_and_subscripts_have_its_value_type(tmp_path: Path) -> None:
    """`for name, entry in self.items.items()`, `extra.values()`, `self.items["a"]` are Items;
    `for key in extra` walks the keys, which are not."""
    files = {"models.py": PY_MODELS, "main.py": PY_MAPPINGS}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        item = [("models.py", "Item")]
        for name in ("entry", "value", "got"):
            assert where(resolver.value_types(name)) == item, name
        assert resolver.value_types("key") == []
    finally:
        index.close()


def test_a_getter_on_a_mapping_or_a_sequence_gives_its_value(tmp_path: Path) -> None:
    """`found = self.items.get(name)` and `last = stack.pop()` hold an Item."""
    main = PY_MAPPINGS.replace(
        "        @@\n",
        '        found = self.items.get("a")\n        stack: list[Item] = []\n'
        "        last = stack.pop()\n        @@\n",
    )
    files = {"models.py": PY_MODELS, "main.py": main}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        for name in ("found", "last"):
            assert where(resolver.value_types(name)) == [("models.py", "Item")], name
    finally:
        index.close()


def test_a_typescript_maps_get_with_a_non_null_assertion(tmp_path: Path) -> None:
    """`const q = this.#byHash.get(hash)!` on a `Map<string, Query>` field is a Query."""
    main = TS.replace(
        "  #queries: Query[] = []\n",
        "  #queries: Query[] = []\n  #byHash: Map<string, Query> = new Map()\n",
    )
    main = main.replace("BODY", "const q = this.#byHash.get('a')!\n    @@")
    files = {"cache.ts": main}
    index, resolver = resolver_for(tmp_path / "ws", files, "cache.ts", "typescript")
    try:
        assert where(resolver.value_types("q")) == [("cache.ts", "Query")]
    finally:
        index.close()
