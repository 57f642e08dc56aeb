"""The line hint past what follows the line's tokens: names of the same shape as those
followers (line_follows.py `shapes`), and followers the file already writes above the cursor
last (line_names.py `WrittenAbove`), on real indexes of real Go and Python files."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.line_follows import shape, shapes

PARSERS = (
    "package parser\n\n"
    "func NewAtxParser() Parser { return nil }\n"
    "func NewListParser() Parser { return nil }\n"
    "func NewListItemParser() Parser { return nil }\n"
    "func prioritizedCount() int { return 0 }\n"
    "var parserState = 0\n"
)
DEFAULTS = (
    "package parser\n\nfunc DefaultParsers() []Parser {\n\treturn []Parser{\n"
    "\t\tPrioritized(NewAtxParser(), 100),\n"
    "\t\tPrioritized(\n"
    "\t}\n}\n"
)


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


def hint_names(root: Path, rel: str, text: str, offset: int) -> list[str]:
    provider = ContextProvider(
        ContextSettings(budget_tokens=400), [root], IndexRegistry(watch=False)
    )
    path = root / rel
    assert provider.index_for(path).wait_ready(20)
    hint = provider.receiver_hint(path, text, offset, tokenize, 300)
    provider.close()
    assert hint is not None
    return [c["name"] for c in hint.chunks]


def test_a_name_s_shape_is_its_first_and_last_words() -> None:
    assert shape("NewListParser") == ("new", "parser")
    assert shape("tokenLocalDate") == ("token", "date")
    assert shape("parse") is None
    assert shapes({"NewAtxParser": (3, 1), "NewX": (2, 4)}) == {
        ("new", "parser"): 3,
        ("new", "x"): 2,
    }


def test_names_shaped_like_what_follows_come_next_and_what_is_written_above_last(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    write(root, "go.mod", "module example.com/md\n")
    write(root, "parser/parsers.go", PARSERS)
    write(
        root,
        "parser/prioritized.go",
        "package parser\n\nfunc Prioritized(p Parser, n int) Parser { return p }\n",
    )
    write(root, "parser/defaults.go", DEFAULTS)
    offset = DEFAULTS.index("\t\tPrioritized(\n") + len("\t\tPrioritized(")
    names = hint_names(root, "parser/defaults.go", DEFAULTS, offset)
    # `NewAtxParser` follows `Prioritized(` but is written right above: the model reads it
    # there, it goes last. The parsers of its shape that no line writes yet share the
    # function's word: they rank as followers, before a name sharing the line's word
    # (`prioritizedCount`), and that before one that only shares the function's word
    # (`parserState`, which has fewer words of its own: first without shapes).
    assert names.index("NewListParser") < names.index("prioritizedCount")
    assert names.index("prioritizedCount") < names.index("parserState")
    assert names.index("NewListItemParser") < names.index("parserState")
    assert names[-1] == "NewAtxParser"


def test_an_import_statement_is_not_a_use_above(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "pkg/__init__.py", "")
    write(
        root,
        "pkg/hooks.py",
        "def before_nothing(state):\n    pass\n\n\ndef after_nothing(state):\n    pass\n",
    )
    write(root, "pkg/other.py", "from .hooks import after_nothing\n\nbefore = after_nothing\n")
    typed = "from .hooks import before_nothing, after_nothing\n\nclass Retrying:\n    before = \n"
    write(root, "pkg/retrying.py", typed)
    offset = typed.index("before = ") + len("before = ")
    names = hint_names(root, "pkg/retrying.py", typed, offset)
    # `before = after_nothing` elsewhere: it follows, and its import above is no use of it.
    assert names[0] == "after_nothing"


JS = (
    "package nats\n\nconst (\n"
    '\tapiConsumerListT = "CONSUMER.LIST.%s"\n'
    '\tapiStreamCreateT = "STREAM.CREATE.%s"\n'
    ")\n\nfunc apiSubj(s string) string { return s }\n"
)
KV = (
    'package nats\n\nimport "fmt"\n\n'
    'const (\n\tkvBucketTmpl = "KV_%s"\n\tkvKeyTmpl = "KV.%s"\n\tkvValueTmpl = "V.%s"\n)\n\n'
    "func names() {\n"
    "\ta := apiSubj(fmt.Sprintf(kvBucketTmpl, 1))\n"
    "\tb := apiSubj(fmt.Sprintf(kvBucketTmpl, 2))\n"
    "\tc := apiSubj(fmt.Sprintf(kvKeyTmpl, 3))\n"
    "\td := apiSubj(fmt.Sprintf(apiStreamCreateT, 4))\n"
    "}\n"
)
JSM = (
    'package nats\n\nimport "fmt"\n\nfunc listConsumers() {\n\tclSubj := apiSubj(fmt.Sprintf(\n}\n'
)


def test_a_name_shaped_like_the_followers_that_shares_words_ranks_with_them(
    tmp_path: Path,
) -> None:
    """nats.go's jsm.go: at `clSubj := c.js.apiSubj(fmt.Sprintf(` kv.go's templates follow
    (`kvBucketTmpl` twice) and `apiStreamCreateT` once; `apiConsumerListT`, shaped like that
    one (`api...T`) and sharing the line's word and the function's, ranks with the followers,
    by the words shared: first. A name only shaped like one (`kvValueTmpl`) comes after them."""
    root = tmp_path / "ws"
    write(root, "go.mod", "module example.com/nats\n")
    write(root, "js.go", JS)
    write(root, "kv.go", KV)
    write(root, "jsm.go", JSM)
    offset = JSM.index("Sprintf(") + len("Sprintf(")
    names = hint_names(root, "jsm.go", JSM, offset)
    assert names[0] == "apiConsumerListT"
    assert names.index("kvKeyTmpl") < names.index("kvValueTmpl")
