"""The receiver hint: the members of the type before the cursor (`ctx.`), as comment lines for
right above the cursor's line (retrieve/receiver.py, pack/hint.py, builder.py), on a real index
of real files, and made ahead by the look-ahead after a keystroke's parse."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import hint_after, write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.pack.hint import BlockShown
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.receiver_text import receiver_at

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
    # Calls taking closures and calls: their arguments collapse, the chain stays.
    assert at("    let n = v.iter().map(|x| f(x)).fil") == ("v.iter().map()", "fil")
    assert at("foo(bar(x)).baz.") == ("foo().baz", "")
    assert at("assert!(v.into_iter().eq(w.iter().map(|y| g(y)).") == ("w.iter().map()", "")
    assert at("print('see.") is None  # the first word of a string
    assert receiver_at("ctx.\nnext", 4).end == 4  # the cursor's line only
    # A minified line: only its end is searched, and a chain longer than that is not typed.
    assert at("x = " + "f(" * 50_000 + "ctx.") == ("ctx", "")
    assert at("a.b" * 50_000 + ".") is None
    # A chain going on at a line's start: the lines above, joined, end with the receiver.
    assert at("let n = v\n    .par_iter()\n    .ma") == ("v.par_iter()", "ma")
    assert at("    return (ctx\n        .") == ("ctx", "")
    chain = "par_iter\n    .into_par_iter()\n    .inspect(|x| g(h(x)))\n    .whi"
    assert at(chain) == ("par_iter.into_par_iter().inspect()", "whi")
    assert at("x = foo(\n    a)\n    .") is None  # a call's arguments over two lines
    assert at("\n    .") is None and at("x\n\n    .b()\n    .") is None
    assert at("x = a\n" + "    .b()\n" * 40 + "    .") is None  # longer than what is looked at


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


def test_members_called_through_it_above_come_after_the_others(provider) -> None:
    """The prefix shows `ctx.invoke(print)` called: the list is for what it does not show
    (hyper's `conn.set_*()` run: the next one is one not called yet). Called below, in the
    suffix, it keeps its place."""
    context, main = provider
    for line, first in (
        ("ctx.invoke(print)\n    ctx.", "forward"),
        ("ctx.\n    ctx.invoke(1)", "invoke"),
    ):
        text = MAIN.replace("ctx.\n", line + "\n")
        offset = text.index("ctx.\n") + 4
        hint = context.receiver_hint(main, text, offset, tokenize, 200)
        assert hint is not None
        names = [c["name"] for c in hint.chunks]
        assert names[0] == first and "invoke" in names, line


def test_a_modules_names_used_through_its_alias_above_come_after_the_others(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/utils.py", "def quote(text):\n    pass\n\n\ndef unquote(text):\n    pass\n")
    write(root, "pkg/main.py", "")
    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(root / "pkg/main.py").wait_ready(20)
        for used, first in (("utils.quote('a')\n    utils.", "unquote"), ("utils.", "quote")):
            text = f"from . import utils\n\n\ndef go():\n    {used}\n"
            context.set_buffer(root / "pkg/main.py", text).result(20)
            at = text.rindex("utils.") + 6
            hint = context.receiver_hint(root / "pkg/main.py", text, at, tokenize, 200)
            assert hint is not None and hint.chunks[0]["name"] == first, used
    finally:
        context.close()


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


def test_a_budget_of_nothing_stops_the_look_ahead_making_hints(provider) -> None:
    """A re-plan on a machine found slower takes the hint away: nothing made ahead after."""
    context, main = provider
    context.set_buffer(main, MAIN).result(20)  # opened: the next edit is looked ahead at
    offset = MAIN.index("ctx.\n") + 4
    assert context.receiver_hint(main, MAIN, offset, tokenize, 200) is not None
    typed = MAIN.replace("ctx.\n", "ctx.i\n")
    context.set_buffer(main, typed).result(20)
    assert context.builder.hints.get(str(main))[2][0] == "i"  # made ahead, while it had a budget
    assert context.receiver_hint(main, MAIN, offset, tokenize, 0) is None
    context.builder.hints.pop(str(main))
    context.set_buffer(main, MAIN.replace("ctx.\n", "ctx.in\n")).result(20)
    assert context.builder.hints.get(str(main)) is None


def test_a_guess_made_in_the_library_leaves_examples_and_tests_out(tmp_path: Path) -> None:
    """werkzeug's `rv.`: the other files call `rv.set_etag(` and `rv.close(`, which names a
    Response; the library's own, not the examples' or the tests' (paths.py)."""
    response = "class Response:\n    def set_etag(self, etag):\n        pass\n\n"
    response += "    def close(self):\n        pass\n\n    def make_conditional(self, environ):\n        pass\n"
    aside = "class Response:\n    def render(self):\n        pass\n"
    files = {
        "benches/responses.py": aside,
        "examples/app/utils.py": aside,
        "tests/test_wrappers.py": aside,
        "src/pkg/response.py": response,
        "src/pkg/one.py": "def a(rv):\n    rv.set_etag('x')\n    rv.close()\n",
        "src/pkg/two.py": "def b(rv):\n    rv.set_etag('y')\n",
        "src/pkg/utils.py": "def send(path):\n    rv = make(path)\n    rv.\n",
    }
    hint = hint_after(tmp_path / "ws", files, "src/pkg/utils.py", "    rv.")
    assert "def make_conditional(self, environ):" in hint.text
    assert "def render(self):" not in hint.text


def test_an_untyped_rust_receiver_gets_the_imported_traits_it_calls(tmp_path: Path) -> None:
    """rand's uniform.rs: macro-typed values call FloatSIMDUtils' methods, a trait the file
    imports for that alone; `low.` lists it, not the other imported trait it never calls."""
    utils = "pub(crate) trait FloatSIMDUtils {\n    fn all_lt(self, other: Self) -> bool;\n"
    utils += "    fn all_finite(self) -> bool;\n}\n\npub(crate) trait Widening {\n"
    utils += "    fn wmul(self, x: Self) -> Self;\n}\n"
    main = "use crate::utils::{FloatSIMDUtils, Widening};\n\nmacro_rules! m {\n"
    main += "    ($ty:ty) => {\n        fn f(low: $ty, high: $ty) {\n"
    main += "            assert!(high.all_lt(low));\n            low.\n        }\n    };\n}\n"
    files = {"src/utils.rs": utils, "src/main.rs": main}
    hint = hint_after(tmp_path / "ws", files, "src/main.rs", "    low.")
    assert "fn all_finite(self) -> bool;" in hint.text
    assert "wmul" not in hint.text and hint.guessed


# What a context block listing Context with `invoke` shows (pack/block.py's chunk shape).
LISTED = BlockShown.of(
    "# pkg/models.py\nclass Context:\n    def invoke(self, callback, *args):\n",
    [{"path": "pkg/models.py", "lines": [1, 12], "members": [[2, 3]]}],
)


def test_members_the_block_lists_leave_the_hint_to_the_next_ones(provider) -> None:
    """The block at the head of the prompt and the hint above the cursor never show a member
    twice: the hint's room goes to members the block leaves out."""
    context, main = provider
    offset = MAIN.index("ctx.\n") + 4
    plain = context.receiver_hint(main, MAIN, offset, tokenize, 200)
    names = [c["name"] for c in plain.chunks]
    assert names[0] == "invoke" and len(names) > 1
    hint = context.receiver_hint(main, MAIN, offset, tokenize, 200, LISTED)
    assert [c["name"] for c in hint.chunks] == names[1:]
    assert "def invoke" not in hint.text and hint.text.startswith("    # ctx: Context")
    # The same block: the very same hint; the block's lines alone (no chunk of that file
    # spans them) or a chunk without the line's text: the member is not shown there.
    assert context.receiver_hint(main, MAIN, offset, tokenize, 200, LISTED) is hint
    elsewhere = BlockShown.of(LISTED.text, [{"path": "pkg/user.py", "lines": [1, 12]}])
    unlisted = BlockShown("# pkg/models.py\nclass Context:\n", LISTED.spans)
    for shown in (elsewhere, unlisted):
        again = context.receiver_hint(main, MAIN, offset, tokenize, 200, shown)
        assert [c["name"] for c in again.chunks] == names
    # Every member listed there: no hint (a type's line alone says nothing).
    every = BlockShown.of(
        MODELS, [{"path": "pkg/models.py", "lines": [1, 12], "members": [[2, 3], [5, 6], [11, 12]]}]
    )
    assert context.receiver_hint(main, MAIN, offset, tokenize, 200, every) is None


def test_the_look_ahead_makes_the_hint_beside_the_last_requests_block(provider) -> None:
    context, main = provider
    offset = MAIN.index("ctx.\n") + 4
    context.set_buffer(main, MAIN).result(20)
    assert context.receiver_hint(main, MAIN, offset, tokenize, 200, LISTED) is not None
    typed = MAIN.replace("ctx.\n", "ctx.f\n")
    context.set_buffer(main, typed).result(20)  # parse, then the look-ahead's hint
    made = context.builder.hints.get(str(main))
    assert made[2] == ("f", LISTED) and "def invoke" not in made[3].text
    assert context.receiver_hint(main, typed, offset + 1, tokenize, 200, LISTED) is made[3]


def test_a_shown_decorator_or_brace_says_nothing_of_the_member(tmp_path: Path) -> None:
    """A member's own line is what counts: the block showing some `@property` line does not
    show the property under another; a Go method listed without its body's `{` is shown."""
    models = "class Box:\n    @property\n    def size(self):\n        return 0\n"
    main = "from .models import Box\n\n\ndef run(box: Box):\n    box.\n"
    files = {"pkg/__init__.py": "", "pkg/models.py": models, "pkg/main.py": main}
    for rel, text in files.items():
        write(tmp_path, rel, text)
    context = ContextProvider(ContextSettings(), [tmp_path], IndexRegistry(watch=False))
    try:
        assert context.index_for(tmp_path / "pkg" / "main.py").wait_ready(20)
        at, spans = main.index("box.\n") + 4, frozenset({("pkg/models.py", 1, 4)})
        decorator = BlockShown("class Box:\n    @property\n", spans)
        hint = context.receiver_hint(
            tmp_path / "pkg" / "main.py", main, at, tokenize, 200, decorator
        )
        assert hint is not None and "def size(self):" in hint.text
        shown = BlockShown("class Box:\n    def size(self):\n", spans)
        assert (
            context.receiver_hint(tmp_path / "pkg" / "main.py", main, at, tokenize, 200, shown)
            is None
        )
    finally:
        context.close()
    assert BlockShown("func (b *Box) Size() int\n", spans).shows(
        "pkg/models.py", 2, "func (b *Box) Size() int {"
    )
