"""Type inference at the cursor, per language, on real files in tmp_path (fast: no model).

Each case writes a small package, opens the current file as the editor would (set_buffer), and
checks what the context holds at a small budget: the members of the class that the object at
the cursor has, reached through a constructor call, an annotation, a parameter type, a declared
result type or a field, and not the members of an unrelated class of the same shape.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coderd.config.settings import ContextSettings
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.provider import ContextProvider
from coderd.context.retrieve import infer
from coderd.context.retrieve.infer_parse import ParseMemo
from coderd.context.retrieve.typenames import normalize_type


def words(text: str) -> list[str]:
    return text.split()


def context(
    tmp_path: Path,
    files: dict[str, str],
    current: str,
    budget: int = 60,
    chunks: list | None = None,
) -> str:
    """The packed context at `@@` in `files[current]` (the marker removed); its chunks are
    appended to `chunks` when given."""
    root = tmp_path / "ws"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text.replace("@@", ""))
    provider = ContextProvider(ContextSettings(budget_tokens=budget), [root])
    path = root / current
    assert provider.index_for(path).wait_ready(30)
    text = files[current]
    offset = text.index("@@")
    text = text.replace("@@", "")
    provider.set_buffer(path, text).result(10)  # didOpen
    packed = provider.context_for(path, text, offset, words)
    provider.close()
    if chunks is not None:
        chunks += packed.chunks
    return packed.text


STORE_PY = """class Store:
    def compact_segments(self, level: int) -> None:
        pass

    def flush_all(self) -> int:
        return 0


class Decoy:
    def compact_segments(self, level: int) -> None:
        pass

    def reticulate(self) -> None:
        pass
"""


@pytest.mark.parametrize(
    "main",
    [
        "from .store import Store\n\n\ndef go():\n    s = Store()\n    @@\n",  # constructor call
        "from .store import Store\n\n\ndef go(s: Store):\n    @@\n",  # parameter type
        "from .store import Store\n\n\ndef go():\n    s: Store = make()\n    @@\n",  # annotation
        "from .make import open_store\n\n\ndef go():\n    s = open_store()\n    @@\n",  # result type
        "from .store import Store\n\n\nclass App:\n    def __init__(self):\n        self.store = Store()\n\n"
        "    def run(self):\n        self.store.flush_all()\n        @@\n",  # field
    ],
    ids=["constructor", "parameter", "annotation", "returns", "field"],
)
def test_python_object_types(tmp_path, main):
    text = context(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/store.py": STORE_PY,
            "pkg/make.py": "from .store import Store\n\n\ndef open_store(path: str = '') -> 'Store':\n    return Store()\n",
            "pkg/main.py": main,
        },
        "pkg/main.py",
    )
    assert "def flush_all(self) -> int:" in text
    assert "reticulate" not in text  # the homonym class is not shown


def test_python_a_method_used_on_a_typed_object_is_not_taken_for_its_homonym(tmp_path):
    chunks: list = []
    context(
        tmp_path,
        {
            "pkg/store.py": STORE_PY,
            "pkg/main.py": "from .store import Store\n\n\ndef go():\n    s = Store()\n    s.compact_segments(1)\n    @@\n",
        },
        "pkg/main.py",
        budget=400,
        chunks=chunks,
    )
    decoy = STORE_PY[: STORE_PY.index("class Decoy")].count("\n") + 1
    assert chunks and all(c["lines"][0] < decoy for c in chunks if c["path"] == "pkg/store.py")


def test_python_methods_of_a_base_class_in_another_file(tmp_path):
    text = context(
        tmp_path,
        {
            "pkg/base.py": "class Base:\n    def shared_helper(self, x: int) -> int:\n        return x\n",
            "pkg/child.py": "from .base import Base\n\n\nclass Child(Base):\n    def run(self):\n        @@\n",
        },
        "pkg/child.py",
    )
    assert "def shared_helper(self, x: int) -> int:" in text


def test_typescript_new_annotations_and_fields(tmp_path):
    files = {
        "src/store.ts": "export class Store {\n  compact(level: number): void {}\n  flushAll(): number { return 0; }\n}\n"
        "export class Decoy {\n  compact(level: number): void {}\n  reticulate(): void {}\n}\n",
        "src/app.ts": "import { Store } from './store';\n\nexport class App {\n  private store: Store;\n"
        "  run(other: Store) {\n    const s = new Store();\n    @@\n  }\n}\n",
    }
    text = context(tmp_path, files, "src/app.ts")
    assert "flushAll(): number" in text and "reticulate" not in text


def test_go_constructor_result_and_receiver_methods_in_other_files(tmp_path):
    files = {
        "go.mod": "module example.com/app\n",
        "store/store.go": "package store\n\ntype Store struct {\n\tpath string\n}\n\n"
        "func New(path string) *Store {\n\treturn &Store{path: path}\n}\n",
        "store/flush.go": "package store\n\nfunc (s *Store) FlushAll() int {\n\treturn 0\n}\n",
        "decoy/decoy.go": "package decoy\n\ntype Decoy struct{}\n\nfunc (d *Decoy) Reticulate() {}\n",
        "main.go": 'package main\n\nimport "example.com/app/store"\n\nfunc main() {\n\tv := store.New("x")\n\t@@\n}\n',
    }
    text = context(tmp_path, files, "main.go")
    assert "func (s *Store) FlushAll() int" in text and "Reticulate" not in text


def test_go_type_assertion(tmp_path):
    """`vd := v.pool.Get().(*validate)`: the asserted type (validator's pool of validates)."""
    root = tmp_path / "ws"
    main = 'package app\n\nimport "sync"\n\nfunc run(pool *sync.Pool) {\n'
    main += "\tvd, ok := pool.Get().(*validate)\n\tvd.\n}\n"
    files = {
        "go.mod": "module example.com/app\n",
        "validate.go": "package app\n\ntype validate struct{}\n\n"
        "func (v *validate) traverseField(n int) {}\n",
        "main.go": main,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    provider = ContextProvider(ContextSettings(), [root])
    try:
        assert provider.index_for(root / "main.go").wait_ready(30)
        at = main.index("vd.\n") + 3
        hint = provider.receiver_hint(root / "main.go", main, at, lambda t: [0] * len(t), 400)
        assert hint is not None and "func (v *validate) traverseField(n int)" in hint.text
    finally:
        provider.close()


def test_rust_associated_constructor_and_self(tmp_path):
    files = {
        "src/store.rs": "pub struct Store { path: String }\n\nimpl Store {\n    pub fn new() -> Self { Store { path: String::new() } }\n"
        "    pub fn flush_all(&self) -> usize { 0 }\n}\n",
        "src/decoy.rs": "pub struct Decoy;\n\nimpl Decoy {\n    pub fn reticulate(&self) {}\n}\n",
        "src/main.rs": "mod store;\nmod decoy;\nuse crate::store::Store;\n\nfn main() {\n    let s = Store::new();\n    @@\n}\n",
    }
    text = context(tmp_path, files, "src/main.rs")
    assert "pub fn flush_all(&self) -> usize" in text and "reticulate" not in text


def test_self_keeps_its_type_when_the_cursors_line_opened_a_block(tmp_path):
    """The line being typed once opened a block (`if self.cmd.is_required() {`): blanked, it
    left the block's `}` unmatched, and the impl around the cursor was lost to the parse."""
    files = {
        "src/cmd.rs": "pub struct Command;\n\nimpl Command {\n"
        "    pub fn is_subcommand_required_set(&self) -> bool { true }\n}\n",
        "src/validator.rs": "use crate::cmd::Command;\n\npub struct Validator<'cmd> {\n"
        "    cmd: &'cmd Command,\n}\n\nimpl<'cmd> Validator<'cmd> {\n"
        "    fn validate(&mut self, has_subcmd: bool) -> bool {\n"
        "        if !has_subcmd && self.cmd.@@\n            return false;\n        }\n"
        "        true\n    }\n}\n",
        "src/lib.rs": "mod cmd;\nmod validator;\n",
    }
    root = tmp_path / "ws"
    for rel, source in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(source.replace("@@", ""))
    index = WorkspaceIndex(root)
    index.rescan()
    try:
        text = files["src/validator.rs"]
        memo = ParseMemo()
        env = infer.environment(
            index, "src/validator.rs", text.replace("@@", ""), text.index("@@"), "rust", memo
        )
        assert (env.receiver, env.receiver_type) == ("self", "Validator")
        assert memo.parsed is not None and not memo.parsed.tree.root_node.has_error
    finally:
        index.close()


def test_typing_a_line_keeps_the_context_bytes(tmp_path):
    """The cursor's line never shapes the context: typed objects, fields and members included."""
    root = tmp_path / "ws"
    files = {
        "pkg/store.py": STORE_PY,
        "pkg/main.py": "from .store import Store\n\n\nclass App:\n    def __init__(self):\n"
        "        self.store = Store()\n\n    def run(self, s: Store):\n"
        "        s.flush_all()\n        \n        return s\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    provider = ContextProvider(ContextSettings(budget_tokens=80), [root])
    path = root / "pkg/main.py"
    assert provider.index_for(path).wait_ready(30)
    text = files["pkg/main.py"]
    cursor = text.index("        \n        return") + 8
    provider.set_buffer(path, text).result(10)
    first = provider.context_for(path, text, cursor, words).text
    assert "def compact_segments(self, level: int) -> None:" in first
    for ch in 'self.store.compact_segments(("x':
        text = text[:cursor] + ch + text[cursor:]
        cursor += 1
        provider.set_buffer(path, text)  # as didChange does: the parse runs meanwhile
        assert provider.context_for(path, text, cursor, words).text == first
    provider.close()


class _NoBuffers:
    root = Path("/nonexistent")

    def buffer_tree(self, rel):
        return None


def test_the_cursor_line_never_changes_the_environment():
    text = "def go(c: Ctx):\n    x = Maker()\n    \n    y = Other()\n"
    offset = text.index("    \n") + 4
    memo = ParseMemo()  # each parse below starts from the one before, as typing does
    first = infer.environment(_NoBuffers(), "a.py", text, offset, "python", memo)
    for typed in ("z = Broken(", "x.", "((("):
        changed = text[:offset] + typed + text[offset:]
        env = infer.environment(_NoBuffers(), "a.py", changed, offset + len(typed), "python", memo)
        assert env.variables == first.variables
    assert {name: (b.type, b.call) for name, b in first.variables.items()} == {
        "c": ("Ctx", ""),
        "x": ("", "Maker"),
        "y": ("", "Other"),
    }


def test_incremental_parse_from_the_buffer_tree_matches_a_fresh_parse(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    text = "".join(f"def f{i}(a: T{i}):\n    v{i} = M{i}()\n    \n" for i in range(50))
    (root / "a.py").write_text(text)
    index = WorkspaceIndex(root)
    index.rescan()
    index.set_buffer("a.py", text).result(10)
    offset = text.index("    \n", 500) + 4
    # A new memo: the parse starts from the index's tree of the buffer, not from a memo.
    incremental = infer.environment(index, "a.py", text, offset, "python", ParseMemo())
    fresh = infer.environment(_NoBuffers(), "a.py", text, offset, "python", ParseMemo())
    index.close()
    assert incremental.variables == fresh.variables and incremental.variables


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ('t.Optional["Context"]', "Context"),
        ("*pkg.Command", "pkg.Command"),
        ("(*Cmd, error)", "Cmd"),
        ("Result<&'a Foo, E>", "Foo"),
        ("Promise<Foo> | undefined", "Foo"),
        ("t.List[int]", ""),
        ("Self", "Self"),
        ("crate::de::Deserializer<R>", "crate::de::Deserializer"),
        ("None", ""),
    ],
)
def test_type_names(written, name):
    assert normalize_type(written) == name


@pytest.mark.parametrize(
    "language, text",
    [
        (
            "python",
            "class App:\n    def __init__(self, ctx: Optional['Context'], n):\n"
            "        self.ctx = ctx\n        self.n = n\n\n    def run(self):\n        @@\n",
        ),
        (
            "typescript",
            "class App {\n  constructor(ctx: Context, n) {\n    this.ctx = ctx;\n    this.n = n;\n"
            "  }\n  run() {\n    @@\n  }\n}\n",
        ),
    ],
)
def test_a_field_assigned_a_typed_parameter_has_its_type(language, text):
    # `self.ctx = ctx` with `ctx: Optional["Context"]` a constructor parameter (click's
    # UsageError): `self.ctx.` reaches Context's members. An untyped one stays unknown.
    offset = text.index("@@")
    text = text.replace("@@", "")
    env = infer.environment(_NoBuffers(), "a", text, offset, language, ParseMemo())
    assert {name: (b.type, b.call) for name, b in env.fields.items()} == {"ctx": ("Context", "")}


def test_a_field_of_a_class_in_another_file_assigned_a_typed_parameter_has_its_type():
    from coderd.context.retrieve.fields import declared_fields

    source = (
        "class Context:\n    def __init__(self, command: 'Command', parent=None):\n"
        "        self.command = command\n        self.parent = parent\n"
    )
    fields = declared_fields(source, "python")
    assert {name: b.type for name, b in fields.items()} == {"command": "Command"}
