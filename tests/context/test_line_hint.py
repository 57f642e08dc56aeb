"""The line hint: where a bare name is typed, the names the file can use bare that share words
with its line before the cursor, as comment lines for right above it (retrieve/line_names.py,
pack/hint.py `render_names`, builder.py), on a real index of real Go and Python files."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.pack.hint import BlockShown
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.line_names import name_at
from coderd.context.retrieve.line_words import LineWords, words_in, words_of

BINDINGS = {
    "binding/yaml.go": "package binding\n\ntype yamlBinding struct{}\n\n"
    'func (yamlBinding) Name() string {\n\treturn "yaml"\n}\n',
    "binding/query.go": "package binding\n\ntype queryBinding struct{}\n\n"
    "func decodeQuery(values []string) error {\n\treturn nil\n}\n",
    "binding/msgpack.go": "package binding\n\ntype msgpackBinding struct{}\n\n"
    "type PreviousNode struct{}\n\ntype reporter interface{}\n",
    "binding/methods.go": "package binding\n\nconst (\n\tmGET = 1\n\tmPATCH = 2\n)\n",
    "binding/tokens.go": "package binding\n\nconst (\n\ttokenEOF = iota\n\ttokenNumber\n\tlexerState\n)\n",
    "binding/form.go": "package binding\n\ntype formBinding struct{}\n\n"
    "type formPostBinding struct{}\n\nfunc mappingByPtr(ptr any) error {\n\treturn nil\n}\n",
}
MAIN = "package binding\n\nvar (\n\tForm = formBinding{}\n\tYAML = \n)\n"


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


@pytest.fixture
def provider(tmp_path: Path):
    root = tmp_path / "ws"
    write(root, "go.mod", "module example.com/gin\n")
    for rel, text in {**BINDINGS, "binding/binding.go": MAIN}.items():
        write(root, rel, text)
    found = ContextProvider(ContextSettings(budget_tokens=400), [root], IndexRegistry(watch=False))
    assert found.index_for(root / "binding" / "binding.go").wait_ready(20)
    yield found, root / "binding" / "binding.go"
    found.close()


def test_the_name_being_typed_and_the_words_of_its_line() -> None:
    def at(line: str):
        found = name_at(line, len(line))
        return (line[: found.end], set(found.words)) if found else None

    assert at("\tYAML          = ") == ("\tYAML          = ", {"yaml"})
    # What was typed of the name is not a word of the line: typing it keeps the hint.
    assert at("\tuserRestoreCh chan *userRe") == (
        "\tuserRestoreCh chan *",
        {"user", "restore", "userrestorech"},
    )
    # Keywords say what the line does, not what it names; its tokens still say what follows
    # them elsewhere (line_follows.py). A line's start alone says nothing.
    assert at("    return ") == ("    return ", set()) and at("    ") is None
    assert at("    x = ctx.") is None and at("Ok(Number::") is None  # a receiver's member
    assert at("    # the yaml binding ") is None and at("\t// see yaml ") is None
    assert at('    print("the yaml ') is None  # inside a string
    assert at("fn parse(input: &'a str) -> Pars") == (
        "fn parse(input: &'a str) -> ",
        {"parse", "input"},
    )  # a Rust lifetime opens no string


def test_the_words_a_line_says_and_those_a_name_shares() -> None:
    assert words_of("ProtoBuf") == {"proto", "buf", "protobuf"}
    assert words_of("reporters") == {"reporter"} and words_of("address") == {"address"}
    assert words_in("if err := s.broadcast(msg)", leave_out="s") == {"broadcast", "msg"}
    # The receiver's own words aside: every name of `Cookies` may share them.
    assert words_in('setHeader(request, "cookie", Cookies', leave_out="Cookies") == {
        "header",
        "setheader",
        "request",
    }
    said = LineWords(words_in("var prev []*"))
    assert said.shared("PreviousNode") == 1 and said.shared("NextNode") == 0
    assert LineWords(words_in("MsgPack =")).shared("msgpackBinding") == 1
    assert LineWords(frozenset()).shared("anything") == 0


def test_the_line_hint_lists_names_sharing_the_line_s_words(provider) -> None:
    context, main = provider
    offset = MAIN.index("YAML = ") + 7
    hint = context.receiver_hint(main, MAIN, offset, tokenize, 200)
    assert hint is not None
    assert hint.text.splitlines()[0] == "\t// binding/yaml.go: type yamlBinding struct{}"
    assert [c["name"] for c in hint.chunks] == ["yamlBinding"]
    assert all(c["source"] == "line" for c in hint.chunks)
    assert tuple(tokenize(hint.text)) == hint.ids
    # Typing the name keeps the very same hint: the prompt keeps it in the KV cache.
    typed = MAIN.replace("YAML = ", "YAML = yam")
    assert context.receiver_hint(main, typed, offset + 3, tokenize, 200) is hint


def test_most_shared_words_first_then_fewest_words_of_their_own(provider) -> None:
    context, main = provider
    text = MAIN.replace("YAML = ", "FormPost = ")
    offset = text.index("FormPost = ") + 11
    hint = context.receiver_hint(main, text, offset, tokenize, 200)
    assert hint is not None
    # `formBinding` is used on the line above, in the prefix: still a candidate (the block
    # would show it, not this hint, when it fits there).
    assert [c["name"] for c in hint.chunks] == ["formPostBinding", "formBinding"]
    small = context.receiver_hint(main, text, offset, tokenize, 14)
    assert small is not None and [c["name"] for c in small.chunks] == ["formPostBinding"]
    assert len(small.ids) <= 14


def test_a_word_matches_its_plural_its_longer_form_and_a_name_written_as_one(provider) -> None:
    context, main = provider
    for line, wanted in (
        ("MsgPack = ", "msgpackBinding"),  # `msgpack`, one word in the name
        ("var prev []*", "PreviousNode"),  # `prev` starts `previous`
        ("reporters = append(reporters, ", "reporter"),  # a plural
    ):
        text = MAIN.replace("YAML = ", line)
        hint = context.receiver_hint(main, text, text.index(line) + len(line), tokenize, 200)
        assert hint is not None and hint.chunks[0]["name"] == wanted, line


def test_the_name_of_the_function_the_cursor_is_in_speaks_after_the_line(provider) -> None:
    """chi's `func (mx *Mux) Patch(...) { mx.handle(mPATCH, ...) }`: the line says `handle`,
    the function `patch`."""
    context, main = provider
    text = MAIN + "\nfunc Patch(pattern string) {\n\thandle(\n}\n"
    offset = text.index("handle(") + 7
    hint = context.receiver_hint(main, text, offset, tokenize, 200)
    assert hint is not None and hint.chunks[0]["name"] == "mPATCH"
    assert "mGET" not in [c["name"] for c in hint.chunks]


def test_a_case_label_has_the_words_of_the_switchs_other_labels(provider) -> None:
    """go-toml's `case tokenRightCurlyBrace:` among `case tokenLeftCurlyBrace:`: a bare `case `
    says nothing, the labels around it do (the switch ends the search: not `lexerState`); a
    label already there is never one again (`tokenEOF`)."""
    context, main = provider
    text = MAIN + (
        "\nfunc next(t int) {\n\tswitch t {\n\tcase tokenEOF:\n\t\treturn\n\tcase \n\t}\n"
        "\tswitch t {\n\tcase lexerState:\n\t}\n}\n"
    )
    offset = text.index("case \n") + 5
    at = name_at(text, offset)
    assert at is not None and at.taken - {"case"} == {"tokenEOF"}  # not the other switch's
    hint = context.receiver_hint(main, text, offset, tokenize, 200)
    assert hint is not None
    names = [c["name"] for c in hint.chunks]
    # `lexerState` follows a line's `case` elsewhere in the file (line_follows.py).
    assert "tokenNumber" in names and "tokenEOF" not in names


def test_names_the_block_shows_leave_the_hint(provider) -> None:
    context, main = provider
    text = MAIN.replace("YAML = ", "FormPost = ")
    offset = text.index("FormPost = ") + 11
    block = "# binding/form.go\ntype formPostBinding struct{}\n"
    shown = BlockShown.of(block, [{"path": "binding/form.go", "lines": [5, 5]}])
    hint = context.receiver_hint(main, text, offset, tokenize, 200, shown)
    assert hint is not None and [c["name"] for c in hint.chunks] == ["formBinding"]


def test_no_line_hint_where_the_line_names_nothing_the_file_can_use(provider) -> None:
    context, main = provider
    for line in ("\tPlain = ", "\t", "\treturn "):
        text = MAIN.replace("\tYAML = ", line)
        offset = text.index(line + "\n") + len(line)
        assert context.receiver_hint(main, text, offset, tokenize, 200) is None, line
