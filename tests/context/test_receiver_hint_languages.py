"""The receiver hint per kind of receiver and language (retrieve/receiver.py, generics.py,
pack/hint.py): Go methods, Rust associated functions and trait-impl methods, module aliases,
generic parameters and their bounds, imported objects; on real indexes of real files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ctx_helpers import write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.pack.hint import ReceiverHint
from coderd.context.provider import ContextProvider


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


GO_TYPES = """package app

type Command struct {
\tName string
}

func (c *Command) Execute() error {
\treturn nil
}

func (c *Command) Flags() []string {
\treturn nil
}
"""
GO_MAIN = "package app\n\nfunc run(cmd *Command) {\n\tcmd.\n}\n"
RUST_ERROR = """use std::fmt;

pub struct Error {
    code: u32,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Ok(())
    }
}

impl Error {
    pub fn code(&self) -> u32 {
        self.code
    }

    pub fn syntax(code: u32) -> Error {
        Error { code }
    }
}
"""
RUST_MAIN = "use crate::error::Error;\n\nfn parse() -> Error {\n    Error::\n}\n"


def test_go_methods_and_rust_associated_functions(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "go.mod", "module example.com/app\n")
    write(root, "types.go", GO_TYPES)
    write(root, "main.go", GO_MAIN)
    write(root, "src/error.rs", RUST_ERROR)
    write(root, "src/main.rs", RUST_MAIN)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(root / "main.go").wait_ready(20)
        go = context.receiver_hint(
            root / "main.go", GO_MAIN, GO_MAIN.index("cmd.") + 4, tokenize, 200
        )
        assert go is not None
        assert go.text.startswith("\t// cmd: Command (types.go)\n")
        assert "\t//   func (c *Command) Execute() error" in go.text
        at = RUST_MAIN.index("Error::\n") + 7
        rust = context.receiver_hint(root / "src/main.rs", RUST_MAIN, at, tokenize, 200)
        assert rust is not None
        # `Error::` goes on with an associated function before a method (declared first);
        # a trait impl's method (called through the trait's syntax) after the type's own.
        assert [c["name"] for c in rust.chunks] == ["syntax", "code", "fmt"]
    finally:
        context.close()


def test_a_module_alias_lists_the_modules_names(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "pkg/__init__.py", "")
    write(
        root,
        "pkg/utils.py",
        "LIMIT = 3\n\n\ndef quote(text):\n    pass\n\n\nclass Box:\n    def open(self):\n        pass\n",
    )
    text = "from . import utils\n\n\ndef go():\n    return utils.\n"
    write(root, "pkg/main.py", text)
    write(root, "go.mod", "module example.com/app\n")
    write(
        root,
        "util/a.go",
        "package util\n\nfunc Quote(s string) string {\n\treturn s\n}\n\nfunc hidden() {}\n",
    )
    write(root, "util/b.go", "package util\n\ntype Box struct{}\n")
    go = 'package main\n\nimport "example.com/app/util"\n\nfunc main() {\n\tutil.\n}\n'
    write(root, "cmd/main.go", go)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(root / "pkg/main.py").wait_ready(20)
        at = text.index("utils.") + 6
        hint = context.receiver_hint(root / "pkg/main.py", text, at, tokenize, 200)
        assert hint is not None and hint.text.startswith("    # utils: module (pkg/utils.py)\n")
        assert {c["name"] for c in hint.chunks} == {"LIMIT", "quote", "Box"}  # not Box.open
        at = go.index("util.") + 5
        hint = context.receiver_hint(root / "cmd/main.go", go, at, tokenize, 200)
        assert hint is not None and hint.text.startswith("\t// util: module (util/)\n")
        assert {c["name"] for c in hint.chunks} == {"Quote", "Box"}  # exported, both files
    finally:
        context.close()


RUST_BUF = """pub trait Buf {
    fn remaining(&self) -> usize;

    fn has_remaining(&self) -> bool {
        self.remaining() > 0
    }
}
"""
RUST_CHAIN = """use crate::buf::Buf;

pub struct Chain<T, U> {
    a: T,
    b: U,
}

impl<T: Buf, U> Chain<T, U> where U: Buf {
    fn first(&self) -> usize {
        self.a.
    }
}

fn put<B>(src: &mut B) where B: crate::buf::Buf {
    src.
}

impl<T> Wrap<T> {
    fn take(&self, x: &T) -> usize where T: Buf {
        x.
    }
}
"""
TS_NODE = "export class Node {\n  visit(): void {}\n}\n"
TS_WALK = "import { Node } from './node';\n\nfunction walk<T extends Node>(x: T) {\n  x.\n}\n"


def test_a_generic_parameter_has_its_bounds_members(tmp_path: Path) -> None:
    """`T: Buf`, `where B: Buf` (on an impl, a function, a method), `T extends Node`."""
    root = tmp_path / "ws"
    write(root, "src/buf.rs", RUST_BUF)
    write(root, "src/chain.rs", RUST_CHAIN)
    write(root, "web/node.ts", TS_NODE)
    write(root, "web/walk.ts", TS_WALK)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        chain = root / "src/chain.rs"
        assert context.index_for(chain).wait_ready(20)
        for receiver in ("self.a.", "src.", "x."):
            at = RUST_CHAIN.index(receiver) + len(receiver)
            hint = context.receiver_hint(chain, RUST_CHAIN, at, tokenize, 200)
            assert hint is not None and "fn has_remaining(&self) -> bool" in hint.text, receiver
        walk = TS_WALK.index("x.") + 2
        hint = context.receiver_hint(root / "web/walk.ts", TS_WALK, walk, tokenize, 200)
        assert hint is not None and "visit(): void" in hint.text
    finally:
        context.close()


PROVIDER_TS = """export const timeoutProvider = {
  setTimeout(handler: () => void, timeout?: number): number {
    return 0;
  },
  clearTimeout(handle: number): void {},
};
"""
USES_TS = "import { timeoutProvider } from './provider';\n\nexport function later() {\n  timeoutProvider.\n}\n"


def test_an_imported_object_lists_what_it_holds(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "src/provider.ts", PROVIDER_TS)
    write(root, "src/uses.ts", USES_TS)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        uses = root / "src/uses.ts"
        assert context.index_for(uses).wait_ready(20)
        at = USES_TS.index("timeoutProvider.\n") + 16
        hint = context.receiver_hint(uses, USES_TS, at, tokenize, 200)
        assert hint is not None
        assert hint.text.startswith("  // timeoutProvider: timeoutProvider (src/provider.ts)\n")
        assert {c["name"] for c in hint.chunks} == {"setTimeout", "clearTimeout"}
    finally:
        context.close()


def hint_from(owner, members, lines: list[str], counting=tokenize, budget: int = 200):
    """The hint render_hint makes from `owner`'s `members`, every file reading as `lines`."""
    from coderd.context.pack.hint import render_hint
    from coderd.context.retrieve.receiver import ReceiverMembers
    from coderd.context.retrieve.receiver_text import Receiver

    found = ReceiverMembers(Receiver(owner.definition.name.lower(), 4, ""), ((owner, members),))
    return render_hint(
        found,
        current_path="main.py",
        indent="",
        lines_of=lambda _: lines,
        tokenize=counting,
        budget=budget,
    )


def test_a_member_line_holding_a_nul_never_reaches_the_prompt() -> None:
    """A repository-token stand-in is NUL-delimited (engine/fim.py): file text spelling one
    must not become a token through the hint."""
    from coderd.context.index.extract import Definition
    from coderd.context.index.workspace import DefinitionRef

    lines = [
        "class Box:",
        "    def open(self):",
        "        pass",
        "    def x\x00file_sep\x00(self):",
    ]
    owner = DefinitionRef("box.py", Definition("Box", "class", "class Box:", "", 1, 4))
    members = tuple(
        DefinitionRef("box.py", Definition(name, "method", lines[row - 1], "", row, row, "Box"))
        for name, row in (("open", 2), ("x", 4))
    )
    hint = hint_from(owner, members, lines)
    assert hint is not None and [c["name"] for c in hint.chunks] == ["open"]
    assert "\x00" not in hint.text


def test_a_module_of_hundreds_of_names_counts_only_the_lines_the_hint_can_show() -> None:
    """`pyd.` reaches 300 functions: counting every line's tokens cost 110 ms a hint, and the
    count memo (256 lines) kept none of them for the next one."""
    from coderd.context.index.extract import Definition
    from coderd.context.index.workspace import DefinitionRef

    lines = [f"def function_{n}(value, *args):" for n in range(400)]
    owner = DefinitionRef("lib/__init__.py", Definition("lib", "module", "", "", 1, 400))
    members = tuple(
        DefinitionRef(
            "lib/core.py", Definition(f"function_{n}", "function", line, "", n + 1, n + 1)
        )
        for n, line in enumerate(lines)
    )
    counted: list[str] = []

    def counting(text: str) -> list[int]:
        counted.append(text)
        return tokenize(text)

    hint = hint_from(owner, members, lines, counting, budget=120)
    assert hint is not None and hint.chunks[0]["name"] == "function_0"
    assert len(tokenize(hint.text)) <= 120
    assert (
        len(counted) <= len(hint.chunks) + 4
    )  # the type's line, the one that did not fit, the whole


RECORDS_PY = """class Command:
    pass


class Context:
    limit: int = 3

    def __init__(self, command: Command, parent=None):
        self.command = command
        self._depth = 0
        if parent is not None:
            self.obj = parent.obj

    def invoke(self, callback):
        pass
"""
USE_PY = "from .records import Context\n\n\ndef go(ctx: Context):\n    ctx.\n"
ROUTE_GO = "package app\n\ntype Route struct {\n\tName    string\n\thandler Handler\n}\n"
SERVE_GO = "package app\n\nfunc serve(r *Route) {\n\tr.\n}\n"


def test_the_types_line_names_its_fields(tmp_path: Path) -> None:
    """`ctx.command`, `r.Name`: fields are no definitions, yet as often what comes next; a
    type with fields and no method still gets its line."""
    root = tmp_path / "ws"
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/records.py", RECORDS_PY)
    write(root, "pkg/use.py", USE_PY)
    write(root, "go.mod", "module example.com/app\n")
    write(root, "route.go", ROUTE_GO)
    write(root, "serve.go", SERVE_GO)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(root / "pkg/use.py").wait_ready(20)
        hint = context.receiver_hint(root / "pkg/use.py", USE_PY, len(USE_PY) - 1, tokenize, 200)
        assert hint is not None
        # After the members (the definitions), where room is left.
        assert hint.text.splitlines() == [
            "    # ctx: Context (pkg/records.py)",
            "    #   def invoke(self, callback):",
            "    #   fields: limit, command, obj, _depth",
        ]
        assert [c["name"] for c in hint.chunks] == ["invoke"]
        small = context.receiver_hint(root / "pkg/use.py", USE_PY, len(USE_PY) - 1, tokenize, 22)
        assert small is not None and "fields" not in small.text and "invoke" in small.text
        go = context.receiver_hint(root / "serve.go", SERVE_GO, len(SERVE_GO) - 3, tokenize, 200)
        assert go is not None and go.chunks == ()
        assert go.text == "\t// r: Route (route.go)\n\t//   fields: Name, handler\n"
    finally:
        context.close()


RUST_CLASS = """/// A class.
#[derive(Clone, Debug)]
pub enum Class {
    /// Unicode scalars.
    Unicode(ClassUnicode),
    Bytes(ClassBytes),
    Named {
        name: String,
    },
    Empty,
}

impl Class {
    pub fn negate(&mut self) {}
}
"""
RUST_USE = "use crate::hir::Class;\n\nfn make() -> Class {\n    Class::\n}\n"
TS_ENUM = "export enum Direction {\n  Up = 1,\n  Down,\n}\n"
TS_USE = "import { Direction } from './direction';\n\nconst d = Direction.\n"


def test_an_enum_lists_its_variants_first(tmp_path: Path) -> None:
    """`Class::` goes on with a variant more often than with a method; the index keeps no
    definition for variants, so the hint reads them off the enum's body."""
    root = tmp_path / "ws"
    write(root, "src/hir.rs", RUST_CLASS)
    write(root, "src/main.rs", RUST_USE)
    write(root, "web/direction.ts", TS_ENUM)
    write(root, "web/use.ts", TS_USE)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        main = root / "src/main.rs"
        assert context.index_for(main).wait_ready(20)
        at = RUST_USE.index("Class::") + 7
        hint = context.receiver_hint(main, RUST_USE, at, tokenize, 200)
        assert hint is not None
        assert hint.text.splitlines()[:3] == [
            "    // Class: Class (src/hir.rs)",
            "    //   variants: Unicode, Bytes, Named, Empty",
            "    //   pub fn negate(&mut self) {}",  # a one-line member as written
        ]
        at = TS_USE.index("Direction.") + 10
        hint = context.receiver_hint(root / "web/use.ts", TS_USE, at, tokenize, 200)
        assert hint is not None and "//   variants: Up, Down\n" in hint.text
    finally:
        context.close()


NAMED_FILES = {
    "app/editor.py": (
        "class Editor:\n    def is_destroyed(self):\n        return False\n\n"
        "    def emit(self, event):\n        pass\n"
    ),
    "app/stores.py": "class ErrorStore:\n    def store_error(self, messages):\n        pass\n",
    "app/a.py": "class Value:\n    def get(self):\n        pass\n",
    "app/b.py": "class Value:\n    def get(self):\n        pass\n",
    "app/c.py": "class Value:\n    def get(self):\n        pass\n",
    "app/iters.py": "class IntoIter:\n    def step(self):\n        pass\n",
    "app/text.py": "class Text:\n    def stylize(self, style):\n        pass\n",
    "app/states.py": (
        "class BlockState:\n    def child_state(self, src):\n        pass\n\n\n"
        "class InlineState:\n    def append_token(self, token):\n        pass\n"
    ),
    "app/nodes.py": "".join(
        f"class {k}Node:\n    def walk(self):\n        pass\n\n\n" for k in "ABC"
    ),
    "app/tokens.py": (
        "class TokenList:\n    def token_next(self, idx):\n        pass\n\n\n"
        "class IdentifierList:\n    def get_identifiers(self):\n        pass\n"
    ),
}


@contextmanager
def hints_in(root: Path, main: Path, text: str) -> Iterator[Callable[[str], ReceiverHint | None]]:
    """The hint right after `receiver` where `text` (the file at `main`) has it at a line's
    end, from a provider over `root` once `main` is indexed."""
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(main).wait_ready(20)

        def after(receiver: str) -> ReceiverHint | None:
            at = text.index(receiver + "\n") + len(receiver)
            return context.receiver_hint(main, text, at, tokenize, 200)

        yield after
    finally:
        context.close()


def test_a_receiver_nothing_types_is_typed_by_its_name(tmp_path: Path) -> None:
    """An untyped parameter is most often named after its type: `editor` -> Editor,
    `error_store` -> ErrorStore, `highlight_text` -> Text. Not a call's result (`into_iter()`
    is named after the method), nor a name that more than two types have."""
    root = tmp_path / "ws"
    for rel, text in NAMED_FILES.items():
        write(root, rel, text)
    use = (
        "def on_key(editor, error_store, value, items, highlight_text, state, node, tlist):\n"
        "    editor.\n    error_store.\n    value.\n    items.into_iter().\n"
        "    highlight_text.\n    state.\n    node.\n    tlist.\n"
    )
    with hints_in(root, write(root, "app/use.py", use), use) as after:

        def hint_after(receiver: str) -> str:
            hint = after(receiver)
            return hint.text if hint else ""

        assert hint_after("editor.").splitlines()[0] == "    # editor: Editor (app/editor.py)"
        assert "def emit(self, event):" in hint_after("editor.")
        assert "def store_error(self, messages):" in hint_after("error_store.")
        assert hint_after("value.") == ""  # three types named Value: none is guessed
        assert hint_after("items.into_iter().") == ""
        # Else by its last word: `highlight_text` -> Text.
        assert "def stylize(self, style):" in hint_after("highlight_text.")
        # Else the types whose name ends in it, when one or two do: `state` -> BlockState
        # and InlineState; three types end in Node.
        assert "def child_state(self, src):" in hint_after("state.")
        assert "def append_token(self, token):" in hint_after("state.")
        assert hint_after("node.") == ""
        # An abbreviation: initials then the last word, `tlist` -> TokenList (sqlparse).
        assert "def token_next(self, idx):" in hint_after("tlist.")
        assert "get_identifiers" not in hint_after("tlist.")


def test_self_in_a_subclass_lists_its_bases_private_members_as_public_ones(tmp_path: Path) -> None:
    """`self._get_exc_class_and_code(...)` in Flask's App: a subclass calls its bases' private
    helpers as often as anything; another receiver lists public members first."""
    root = tmp_path / "ws"
    base = (
        "class Scaffold:\n    def _get_code(self, exc):\n        pass\n\n"
        "    def register(self, handler):\n        pass\n"
    )
    write(root, "app/scaffold.py", base)
    use = (
        "from .scaffold import Scaffold\n\n\nclass App(Scaffold):\n"
        "    def handle(self, other: Scaffold):\n        self.\n        other.\n"
    )
    with hints_in(root, write(root, "app/app.py", use), use) as after:
        members = {}
        for receiver in ("self.", "other."):
            hint = after(receiver)
            assert hint is not None
            members[receiver] = [c["name"] for c in hint.chunks]
        assert members["self."] == ["_get_code", "register"]  # in file order
        assert members["other."] == ["register", "_get_code"]


def test_a_qualified_path_picks_its_module_among_homonyms(tmp_path: Path) -> None:
    """crossbeam has a `Channel` per flavour module: `flavors::at::Channel::` is at.rs's."""
    root = tmp_path / "ws"
    for flavour in ("at", "array", "list"):
        write(
            root,
            f"src/flavors/{flavour}.rs",
            f"pub struct Channel {{}}\n\nimpl Channel {{\n"
            f"    pub fn new_{flavour}() -> Channel {{\n        Channel {{}}\n    }}\n}}\n",
        )
    write(root, "src/flavors/mod.rs", "pub mod array;\npub mod at;\npub mod list;\n")
    use = "use crate::flavors;\n\nfn make() {\n    let c = flavors::at::Channel::\n}\n"
    with hints_in(root, write(root, "src/channel.rs", use), use) as after:
        hint = after("Channel::")
        assert hint is not None
        assert [c["name"] for c in hint.chunks] == ["new_at"]
        assert hint.text.splitlines()[0].endswith("Channel (src/flavors/at.rs)")


def test_an_alias_in_the_current_file_has_its_targets_impls(tmp_path: Path) -> None:
    """indexmap's set.rs: `type Bucket<T> = super::Bucket<T, ()>;` then `Bucket::key_ref`; the
    alias defines no type of its own, so lib.rs's impl block is still its target's."""
    root = tmp_path / "ws"
    write(
        root,
        "src/lib.rs",
        "mod set;\n\nstruct Bucket<K, V> {\n    key: K,\n    value: V,\n}\n\n"
        "impl<K, V> Bucket<K, V> {\n    fn key_ref(&self) -> &K {\n        &self.key\n    }\n}\n",
    )
    use = "type Bucket<T> = super::Bucket<T, ()>;\n\nfn keys() {\n    let f = Bucket::\n}\n"
    with hints_in(root, write(root, "src/set.rs", use), use) as after:
        hint = after("Bucket::")
        assert hint is not None and [c["name"] for c in hint.chunks] == ["key_ref"]


def test_a_star_re_export_lists_the_modules_names_next_to_used_ones_first(tmp_path: Path) -> None:
    """pyparsing's `__init__.py` is `from .core import *`: `pyparsing.Empty` is core.py's. Of
    those names, the ones declared next to a name the file uses through the alias lead
    (`nodes.Concat` between the `Slice` and `Compare` the parser uses), popular ones next."""
    root = tmp_path / "ws"
    write(root, "pp/__init__.py", "from .core import *\nfrom .util import helper\n")
    names = ["Word", "Forward", "Slice", "Concat", "Compare", "Literal", "Group"]
    core = "".join(f"class {n}:\n    pass\n\n\n" for n in names) + "def _hidden():\n    pass\n"
    write(root, "pp/core.py", core)
    write(root, "pp/util.py", "def helper():\n    pass\n")
    write(root, "pp/user.py", "from .core import Group\n\n\nx = Group()\n")  # used elsewhere
    use = "import pp\n\n\ndef f(x):\n    pp.Slice(x)\n    pp.\n    pp.Compare(x)\n"
    with hints_in(root, write(root, "app/use.py", use), use) as after:
        hint = after("    pp.")
        assert hint is not None
        shown = [c["name"] for c in hint.chunks]
        assert set(shown) >= {"Word", "Concat", "Group", "helper"} and "_hidden" not in shown
        # Concat, declared between the two used names, before Group, which another file uses;
        # Group before Word, which none does.
        assert shown.index("Concat") < shown.index("Group") < shown.index("Word")


def test_a_rust_module_lists_only_what_another_module_can_reach(tmp_path: Path) -> None:
    """chrono's `scan::` listed its private helpers and a test before its `pub(super)`
    parsers: a Rust item without `pub` is private to its module."""
    root = tmp_path / "ws"
    write(root, "Cargo.toml", "")
    write(
        root,
        "src/scan.rs",
        "fn equals(s: &str) -> bool {\n    true\n}\n\n"
        "pub(super) fn nanosecond(s: &str) -> i64 {\n    0\n}\n\n"
        "pub fn colon_or_space(s: &str) -> &str {\n    s\n}\n",
    )
    use = "use crate::scan;\n\nfn parse(s: &str) {\n    scan::\n}\n"
    with hints_in(root, write(root, "src/parse.rs", use), use) as after:
        hint = after("scan::")
        assert hint is not None
        assert {c["name"] for c in hint.chunks} == {"nanosecond", "colon_or_space"}


def test_members_declared_next_to_one_called_through_the_receiver_lead(tmp_path: Path) -> None:
    """clap's debug_asserts calls `cmd.get_name()`: Command's other getters, declared next to
    it, come before its builder methods that more files use."""
    root = tmp_path / "ws"
    methods = ["about", "version", "get_name", "get_version", "arg", "subcommand"]
    body = "".join(f"    def {m}(self):\n        pass\n\n" for m in methods)
    write(root, "pkg/command.py", f"class Command:\n{body}")
    for i in range(3):  # the builder methods are what most files call (not in this folder:
        # there, what they write after `    cmd.` would lead, test_receiver_follows.py)
        write(root, f"app/build{i}.py", "def b(cmd):\n    cmd.about()\n    cmd.arg()\n")
    use = (
        "from pkg.command import Command\n\n\ndef check(cmd: Command):\n"
        "    cmd.get_name()\n    cmd.\n"
    )
    with hints_in(root, write(root, "pkg/asserts.py", use), use) as after:
        hint = after("    cmd.")
        assert hint is not None
        shown = [c["name"] for c in hint.chunks]
        assert shown.index("get_version") < shown.index("about")


def test_a_rust_types_private_methods_show_only_inside_its_module(tmp_path: Path) -> None:
    """chrono's `naive/date.rs` cannot call `StrftimeItems::with_remainer` (no `pub`): its
    list leaves it out there, and keeps it in `format/strftime/` below the type's module. An
    `impl Iterator for` block's methods are as public as the trait."""
    root = tmp_path / "ws"
    write(root, "Cargo.toml", "")
    items = (
        "pub struct Items {\n    at: usize,\n}\n\nimpl Items {\n"
        "    pub fn new(s: &str) -> Items {\n        Items { at: 0 }\n    }\n\n"
        "    fn with_remainer(s: &str) -> Items {\n        Items { at: 1 }\n    }\n}\n\n"
        "impl Iterator for Items {\n    type Item = u8;\n\n"
        "    fn next(&mut self) -> Option<u8> {\n        None\n    }\n}\n"
    )
    write(root, "src/format/strftime.rs", items)
    for rel in ("src/naive/date.rs", "src/format/strftime/inner.rs"):
        use = "use crate::format::strftime::Items;\n\nfn parse() {\n    let i = Items::\n}\n"
        with hints_in(root, write(root, rel, use), use) as after:
            hint = after("Items::")
            assert hint is not None
            shown = {c["name"] for c in hint.chunks}
            assert {"new", "next"} <= shown
            assert ("with_remainer" in shown) == rel.endswith("inner.rs"), rel
    # The block's list of the type, which the file uses (`Items::new`), likewise.
    use = 'use crate::format::strftime::Items;\n\nfn parse() {\n    let i = Items::new("");\n}\n'
    date = write(root, "src/naive/date.rs", use)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(date).wait_ready(20)
        packed = context.context_for(date, use, len(use), tokenize)
        assert "pub fn new(s: &str) -> Items" in packed.text
        assert "with_remainer" not in packed.text
    finally:
        context.close()


def test_a_receiver_nothing_types_has_the_type_others_call_on_that_name(tmp_path: Path) -> None:
    """mistune's plugins take an untyped `block` (no type is named so): the other plugins
    call `block.parse_quote(` on it, a BlockParser method, so `block.` lists BlockParser's
    members, what they call first; a guess (`guessed`)."""
    root = tmp_path / "ws"
    names = ["register", "parse_text", "parse_quote", "parse_list"]
    parser = "class BlockParser:\n" + "".join(
        f"    def {n}(self, m, state):\n        pass\n\n" for n in names
    )
    write(root, "pkg/block_parser.py", parser)
    write(root, "pkg/other.py", "class Renderer:\n    def parse_quote(self):\n        pass\n")
    for i in range(2):
        plugin = (
            f"def plugin{i}(block, m, state):\n    block.parse_list(m)\n    block.parse_quote(m)\n"
        )
        write(root, f"pkg/plugins/p{i}.py", plugin)
    use = "def spoiler(block, m, state):\n    text = m.group(0)\n    block.\n"
    with hints_in(root, write(root, "pkg/plugins/spoiler.py", use), use) as after:
        hint = after("    block.")
        assert hint is not None and hint.guessed
        # BlockParser first (both called methods are its), what the plugins call first; then
        # Renderer, which has a `parse_quote` too.
        shown = [(c["path"], c["name"]) for c in hint.chunks]
        parser_names = [name for path, name in shown if path == "pkg/block_parser.py"]
        assert shown[0][0] == "pkg/block_parser.py" and "pkg/other.py" in {p for p, _ in shown}
        assert set(parser_names[:2]) == {"parse_quote", "parse_list"} and "register" in parser_names


def test_an_untyped_call_has_the_type_its_methods_of_that_name_agree_on(tmp_path: Path) -> None:
    """toml_edit's `item.decor_mut().`, `item` untyped: both `decor_mut` methods of the crate
    return a Decor, so Decor's members are listed; `new`, whose three methods return three
    types, says nothing."""
    root = tmp_path / "ws"
    write(root, "Cargo.toml", "")
    decor = (
        "pub struct Decor {\n    prefix: String,\n}\n\nimpl Decor {\n"
        "    pub fn new() -> Decor {\n        todo!()\n    }\n\n"
        "    pub fn set_prefix(&mut self, p: &str) {}\n    pub fn clear(&mut self) {}\n}\n"
    )
    write(root, "src/decor.rs", decor)
    for name in ("Table", "Array"):
        write(
            root,
            f"src/{name.lower()}.rs",
            f"pub struct {name} {{\n    d: Decor,\n}}\n\nimpl {name} {{\n"
            f"    pub fn new() -> {name} {{\n        todo!()\n    }}\n\n"
            "    pub fn decor_mut(&mut self) -> &mut Decor {\n        &mut self.d\n    }\n}\n",
        )
    use = "fn pretty(item) {\n    item.decor_mut().\n    item.new().\n}\n"
    with hints_in(root, write(root, "src/pretty.rs", use), use) as after:
        hint = after("item.decor_mut().")
        assert hint is not None and {c["name"] for c in hint.chunks} >= {"set_prefix", "clear"}
        assert after("item.new().") is None
