"""The line hint's first signal: the names written elsewhere right after what the cursor's line
says before the name (retrieve/line_follows.py), on a real index of real Go files."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.line_follows import context_of, followers


def sliced(kind: str, body: str) -> str:
    return (
        f"package flags\n\ntype {kind}Slice struct{{ value []string }}\n\n"
        f"func (s *{kind}Slice) String() string {{\n{body}\treturn out\n}}\n"
    )


FILES = {
    "flags/csv.go": "package flags\n\nfunc writeAsCSV(vals []string) (string, error) {\n"
    '\treturn "", nil\n}\n\nfunc readAsCSV(val string) ([]string, error) {\n'
    "\treturn nil, nil\n}\n\ntype outBuffer struct{}\n",
    "flags/bool_slice.go": sliced("bool", "\tout, _ := writeAsCSV(s.value)\n"),
    "flags/int_slice.go": sliced("int", "\tout, _ := writeAsCSV(s.value)\n"),
    "flags/ip_slice.go": sliced("ip", "\tout, _ := readAsCSV(s.value[0])\n"),
}
TYPED = sliced("string", "\tout, _ := \n")


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    found = tmp_path / "ws"
    write(found, "go.mod", "module example.com/flags\n")
    for rel, text in {**FILES, "flags/string_slice.go": TYPED}.items():
        write(found, rel, text)
    return found


def test_the_context_is_the_line_s_last_tokens_its_start_counting_as_one() -> None:
    assert context_of("\tout, _ := ") == (",", "_", ":=")
    assert context_of("\th = ") == ("^", "h", "=")
    assert context_of("\t") == ("^",)


def test_names_after_the_same_tokens_count_the_most_tokens_first(root: Path) -> None:
    index = WorkspaceIndex(root)
    index.rescan()
    offset = TYPED.index("out, _ := ") + 10

    def text_of(file: str) -> str:
        return (root / file).read_text()

    found = followers(index, "flags/string_slice.go", TYPED, offset, text_of)
    # Three tokens, `, _ :=`: twice writeAsCSV, once readAsCSV.
    assert found["writeAsCSV"] == (3, 2) and found["readAsCSV"] == (3, 1)
    # The cursor's own line never counts: what is typed there is no evidence.
    typed = TYPED.replace("out, _ := ", "out, _ := readAsCSV(s.value[1])")
    assert followers(index, "flags/string_slice.go", typed, offset, text_of)["readAsCSV"] == (
        3,
        1,
    )
    # A line's start alone is followed by too many names: nothing.
    text = TYPED + "\t"
    assert followers(index, "flags/string_slice.go", text, len(text), text_of) == {}
    index.close()


def test_the_line_hint_ranks_what_follows_before_what_shares_a_word(root: Path) -> None:
    provider = ContextProvider(
        ContextSettings(budget_tokens=400), [root], IndexRegistry(watch=False)
    )
    main = root / "flags" / "string_slice.go"
    assert provider.index_for(main).wait_ready(20)
    offset = TYPED.index("out, _ := ") + 10
    hint = provider.receiver_hint(main, TYPED, offset, tokenize, 200)
    assert hint is not None
    # `outBuffer` shares the line's word `out`; `writeAsCSV` is what its siblings write here.
    assert [c["name"] for c in hint.chunks][:3] == ["writeAsCSV", "readAsCSV", "outBuffer"]
    provider.close()
