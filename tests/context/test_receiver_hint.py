"""The receiver hint: the members of the type before the cursor (`ctx.`), as comment lines for
right above the cursor's line (retrieve/receiver.py, pack/hint.py, builder.py), on a real index
of real files, and made ahead by the look-ahead after a keystroke's parse."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.receiver import receiver_at

MODELS = """class Context:
    def invoke(self, callback, *args):
        pass

    def forward(self, command):
        pass

    def __enter__(self):
        return self

    def _close(self):
        pass


class Special(Context):
    def forward(self, command, extra=None):
        pass

    def lookup(self, name):
        pass
"""
USER = "from .models import Context\n\n\ndef use(ctx: Context):\n    ctx.invoke(print)\n"
MAIN = """from .models import Context, Special


def run(ctx: Context, special: Special, unknown):
    value = 1
    ctx.
"""


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


@pytest.fixture
def provider(tmp_path: Path):
    root = tmp_path / "ws"
    for rel, text in {
        "pkg/__init__.py": "",
        "pkg/models.py": MODELS,
        "pkg/user.py": USER,
        "pkg/main.py": MAIN,
    }.items():
        write(root, rel, text)
    found = ContextProvider(ContextSettings(budget_tokens=400), [root], IndexRegistry(watch=False))
    assert found.index_for(root / "pkg" / "main.py").wait_ready(20)
    yield found, root / "pkg" / "main.py"
    found.close()


def test_the_receiver_is_the_expression_before_the_separator() -> None:
    def at(line: str):
        found = receiver_at(line, len(line))
        return (found.expression, found.typed) if found else None

    assert at("    x = ctx.") == ("ctx", "")
    assert at("    x = ctx.inv") == ("ctx", "inv")
    assert at("return cmd.Root().Fl") == ("cmd.Root()", "Fl")
    assert at("Ok(Number::") == ("Number", "")
    assert at("a?.b.") == ("a?.b", "")
    assert at("    x = ") is None
    assert at("x = 3.") is None
    assert at("print('see.") is None  # the first word of a string
    assert receiver_at("ctx.\nnext", 4).end == 4  # the cursor's line only
    # A minified line: only its end is searched, and a chain longer than that is not typed.
    assert at("x = " + "f(" * 50_000 + "ctx.") == ("ctx", "")
    assert at("a.b" * 50_000 + ".") is None


def test_the_hint_lists_the_receivers_members_as_comments_above_the_line(provider) -> None:
    context, main = provider
    offset = MAIN.index("ctx.\n") + 4
    hint = context.receiver_hint(main, MAIN, offset, tokenize, 200)
    assert hint is not None
    lines = hint.text.splitlines()
    assert lines[0] == "    # ctx: Context (pkg/models.py)"
    assert all(line.startswith("    #   ") for line in lines[1:])
    names = [c["name"] for c in hint.chunks]
    # Used in another file first (popularity), public before private, no dunder.
    assert names[0] == "invoke" and names.index("forward") < names.index("_close")
    assert "__enter__" not in names
    assert "    #   def invoke(self, callback, *args):" in lines
    assert hint.text.endswith("\n") and tuple(tokenize(hint.text)) == hint.ids
    assert all(c["path"] == "pkg/models.py" and c["source"] == "receiver" for c in hint.chunks)
    # Typing the member's name keeps the very same hint: the prompt keeps it in the KV cache.
    typed = MAIN.replace("ctx.\n", "ctx.inv\n")
    assert context.receiver_hint(main, typed, offset + 3, tokenize, 200) is hint


def test_an_override_shows_once_and_the_budget_holds(provider) -> None:
    context, main = provider
    text = MAIN.replace("ctx.\n", "special.\n")
    offset = text.index("special.\n") + 8
    hint = context.receiver_hint(main, text, offset, tokenize, 200)
    assert hint is not None
    names = [c["name"] for c in hint.chunks]
    assert names.count("forward") == 1 and "lookup" in names and "invoke" in names
    assert "def forward(self, command, extra=None):" in hint.text  # the subclass's own
    # A smaller budget keeps the best members; too small for one member: no hint at all.
    small = context.receiver_hint(main, text, offset, tokenize, 30)
    assert small is not None and len(small.ids) <= 30 < len(hint.ids)
    assert [c["name"] for c in small.chunks] == names[: len(small.chunks)]
    assert context.receiver_hint(main, text, offset, tokenize, 8) is None


def test_no_hint_without_a_typed_receiver(provider) -> None:
    context, main = provider
    for receiver in ("unknown.", "value.", "    "):
        text = MAIN.replace("ctx.\n", receiver + "\n")
        offset = text.index(receiver + "\n") + len(receiver)
        assert context.receiver_hint(main, text, offset, tokenize, 200) is None, receiver
    # Turned off: nothing, whatever the receiver.
    offset = MAIN.index("ctx.\n") + 4
    assert context.receiver_hint(main, MAIN, offset, tokenize, 0) is None


def test_a_type_of_the_current_file_gets_no_hint(provider) -> None:
    """Its members are in the prompt's own prefix or suffix already."""
    context, main = provider
    text = "class Local:\n    def go(self):\n        pass\n\n\ndef f(x: Local):\n    x.\n"
    context.set_buffer(main, text).result(20)
    assert context.receiver_hint(main, text, len(text) - 1, tokenize, 200) is None


def test_the_look_ahead_makes_the_hint_before_its_request(provider) -> None:
    context, main = provider
    before = MAIN.replace("ctx.\n", "ctx\n")
    context.set_buffer(main, before).result(20)
    assert context.receiver_hint(main, before, before.index("ctx\n") + 3, tokenize, 200) is None
    context.builder.hints.pop(str(main))
    context.set_buffer(main, MAIN).result(20)  # the `.` typed: parse, then the look-ahead
    made = context.builder.hints.get(str(main))
    assert made is not None and made[3] is not None and "def invoke" in made[3].text
    offset = MAIN.index("ctx.\n") + 4
    assert context.receiver_hint(main, MAIN, offset, tokenize, 200) is made[3]
    context.forget(main).result(20)
    assert context.builder.hints.get(str(main)) is None


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
        # A trait impl's method (called through the trait's syntax) after the type's own.
        assert [c["name"] for c in rust.chunks] == ["syntax", "fmt"]
    finally:
        context.close()


def test_members_starting_with_what_was_typed_replace_the_lists_last_lines(provider) -> None:
    context, main = provider
    text = MAIN.replace("ctx.\n", "special.\n")
    offset = text.index("special.\n") + 8
    # Room for the type's line and its best members (invoke, used elsewhere, then forward).
    plain = context.receiver_hint(main, text, offset, tokenize, 40)
    assert plain is not None and [c["name"] for c in plain.chunks] == ["invoke", "forward"]
    typed = text.replace("special.\n", "special.lo\n")
    hint = context.receiver_hint(main, typed, offset + 2, tokenize, 40)
    assert hint is not None and len(hint.ids) <= 40
    # `lookup` in place of the last line: the lines before are the plain list's, and their
    # KV cache stays.
    assert [c["name"] for c in hint.chunks] == ["invoke", "lookup"]
    kept = hint.text[: hint.text.rindex("    #   def lookup")]
    assert plain.text.startswith(kept) and kept.count("\n") == 2
    # Case aside, and nothing to add when the list shows the match already.
    upper = typed.replace(".lo", ".LO")
    assert context.receiver_hint(main, upper, offset + 2, tokenize, 40) == hint
    shown = text.replace("special.\n", "special.inv\n")
    assert context.receiver_hint(main, shown, offset + 3, tokenize, 40) == plain


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
"""
TS_NODE = "export class Node {\n  visit(): void {}\n}\n"
TS_WALK = "import { Node } from './node';\n\nfunction walk<T extends Node>(x: T) {\n  x.\n}\n"


def test_a_generic_parameter_has_its_bounds_members(tmp_path: Path) -> None:
    """`T: Buf`, `where B: Buf`, `T extends Node`; and `self` in a trait's default method."""
    root = tmp_path / "ws"
    write(root, "src/buf.rs", RUST_BUF)
    write(root, "src/chain.rs", RUST_CHAIN)
    write(root, "web/node.ts", TS_NODE)
    write(root, "web/walk.ts", TS_WALK)
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        chain = root / "src/chain.rs"
        assert context.index_for(chain).wait_ready(20)
        for receiver in ("self.a.", "src."):
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


def test_a_member_line_holding_a_nul_never_reaches_the_prompt() -> None:
    """A repository-token stand-in is NUL-delimited (engine/fim.py): file text spelling one
    must not become a token through the hint."""
    from coderd.context.index.extract import Definition
    from coderd.context.index.workspace import DefinitionRef
    from coderd.context.pack.hint import render_hint
    from coderd.context.retrieve.receiver import Receiver, ReceiverMembers

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
    found = ReceiverMembers(Receiver("box", 4, ""), ((owner, members),))
    hint = render_hint(
        found,
        current_path="main.py",
        indent="",
        lines_of=lambda _: lines,
        tokenize=tokenize,
        budget=200,
    )
    assert hint is not None and [c["name"] for c in hint.chunks] == ["open"]
    assert "\x00" not in hint.text
