"""builder.py: one build, the memos that make the next one cheap, the warm-up after a parse,
and what is kept per document (a real index of real files; a counting tokenizer)."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import DEADLINE_S, write

from coderd.context.builder import ContextBuilder
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.pack.block import SeamCheck
from coderd.context.retrieve.recent import RecentRegions

GEOMETRY = (
    "class Rectangle:\n    def area(self):\n        return 1\n\n\ndef scale(r, k):\n    return r\n"
)
MAIN = "from geometry import Rectangle, scale\n\n\ndef go():\n    r = Rectangle()\n    x = \n"
OFFSET = MAIN.index("x = ") + 4


class Counting:
    """A token per four characters of each line, with its newline: counts add up at line ends,
    as DeepSeek Coder's do (its pre-tokenizer splits there)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> list[int]:
        self.calls.append(text)
        return list(range(sum(len(line) // 4 + 1 for line in text.splitlines(keepends=True))))


def workspace(tmp_path: Path) -> WorkspaceIndex:
    root = tmp_path / "ws"
    write(root, "geometry.py", GEOMETRY)
    write(root, "main.py", MAIN)
    index = WorkspaceIndex(root)
    index.rescan()
    return index


def build(builder: ContextBuilder, index: WorkspaceIndex, text: str, offset: int, tokenize):
    return builder.build(index, "main.py", "doc:main", text, offset, tokenize, 400, None)


def test_typing_in_a_body_returns_the_very_same_context(tmp_path: Path) -> None:
    index, builder, tokenize = workspace(tmp_path), ContextBuilder(30, RecentRegions()), Counting()
    try:
        first = build(builder, index, MAIN, OFFSET, tokenize)
        assert "class Rectangle" in first.text and first.text.endswith("# main.py\n")
        typed = MAIN.replace("x = ", "x = sc")
        assert build(builder, index, typed, OFFSET + 2, tokenize) is first
        # A retrieved file parsed again (its version changes): built again, with its new text.
        write(index.root, "geometry.py", GEOMETRY.replace("return r", "return r * k"))
        index.update("geometry.py")
        again = build(builder, index, typed, OFFSET + 2, tokenize)
        assert again is not first and "return r * k" in again.text
    finally:
        index.close()


def test_texts_and_token_counts_are_memoised_across_builds(tmp_path: Path) -> None:
    index, builder, tokenize = workspace(tmp_path), ContextBuilder(30, RecentRegions()), Counting()
    try:
        first = build(builder, index, MAIN, OFFSET, tokenize)
        counted = len(tokenize.calls)
        assert counted > 0
        builder.last.clear()  # a first build at this place: retrieval and packing again
        assert build(builder, index, MAIN, OFFSET, tokenize).text == first.text
        assert len(tokenize.calls) == counted  # every snippet's count was kept
        # The disk changed but the index has not seen it (same version): the text read for
        # that version is used; once the index commits the file, it is read again.
        write(index.root, "geometry.py", GEOMETRY.replace("return r", "return r + 1"))
        builder.last.clear()
        assert "return r\n" in build(builder, index, MAIN, OFFSET, tokenize).text
        index.update("geometry.py")
        assert "return r + 1\n" in build(builder, index, MAIN, OFFSET, tokenize).text
    finally:
        index.close()


def test_a_definition_s_forms_are_drawn_once_per_version_of_its_file(
    tmp_path: Path, monkeypatch
) -> None:
    # Drawing forms (a class's lists of 2, 4, ... 48 member lines) was half of a first build
    # on Rust packages; a build at another position retrieves the same definitions.
    from coderd.context.pack import shapes

    index, builder, tokenize = workspace(tmp_path), ContextBuilder(30, RecentRegions()), Counting()
    drawn: list[str] = []
    real = shapes.forms

    def counting(lines, definition, *rest):
        drawn.append(definition.name)
        return real(lines, definition, *rest)

    monkeypatch.setattr(shapes, "forms", counting)
    read: list[str] = []
    real_read = builder._read

    def reading(index, file):
        read.append(file)
        return real_read(index, file)

    monkeypatch.setattr(builder, "_read", reading)
    try:
        first = build(builder, index, MAIN, OFFSET, tokenize)
        assert "Rectangle" in drawn and "geometry.py" in read
        drawn.clear()
        read.clear()
        builder.last.clear()  # a first build at this place again: retrieval and packing
        assert build(builder, index, MAIN, OFFSET, tokenize).text == first.text
        assert drawn == []
        assert "geometry.py" not in read  # nor its text read and split to draw nothing
        write(index.root, "geometry.py", GEOMETRY.replace("return r", "return r * k"))
        index.update("geometry.py")  # a new version: drawn from its new text
        assert "return r * k" in build(builder, index, MAIN, OFFSET, tokenize).text
        assert "scale" in drawn
    finally:
        index.close()


def test_a_result_is_never_taken_from_another_index(tmp_path: Path) -> None:
    builder, tokenize = ContextBuilder(30, RecentRegions()), Counting()
    first_index = workspace(tmp_path)
    first = build(builder, first_index, MAIN, OFFSET, tokenize)
    first_index.close()
    # The same root indexed again after a body changed: the definitions are equal and the
    # new index's file versions count from the start again, so only the index tells them apart.
    write(first_index.root, "geometry.py", GEOMETRY.replace("return r", "return k"))
    second_index = WorkspaceIndex(first_index.root)
    second_index.rescan()
    try:
        assert second_index.version("geometry.py") == first_index.version("geometry.py")
        second = build(builder, second_index, MAIN, OFFSET, tokenize)
        assert second is not first and "return k" in second.text
    finally:
        second_index.close()


def test_warm_prepares_the_document_and_forget_drops_it(tmp_path: Path) -> None:
    index, builder = workspace(tmp_path), ContextBuilder(30, RecentRegions())
    try:
        typed = MAIN.replace("x = ", "x = s")
        index.set_buffer("main.py", typed).result(DEADLINE_S)
        builder.warm(index, "main.py", "doc:main", MAIN, typed)
        document = builder.documents.get("doc:main")
        assert document is not None
        assert len(document.rows) == 1  # the row index of the new text
        assert document.scoped == index.file("main.py").imports  # its imports resolved
        parsed = document.parse.parsed  # the parse with the edited line blanked
        assert parsed is not None and b"x = s" not in parsed.source
        # A build of that text finds them: the same row index, the same parse.
        build(builder, index, typed, typed.index("x = s") + 5, Counting())
        assert document.parse.parsed is parsed and len(document.rows) == 1
        builder.warm(index, "other.py", "doc:other", None, "")  # not indexed: nothing kept
        assert "doc:other" not in builder.documents
        builder.forget("doc:main")
        assert len(builder.documents) == 0 and len(builder.last) == 0
    finally:
        index.close()


def test_the_joined_block_is_checked_until_the_tokenizer_proved_additive() -> None:
    seams = SeamCheck()
    assert all(seams.due() for _ in range(3))
    for _ in range(SeamCheck.TRUST_AFTER):
        seams.saw(True)
    assert sum(seams.due() for _ in range(10 * SeamCheck.CHECK_EVERY)) == 10  # spot checks
    seams.saw(False)  # one build whose pieces did not add up: checked every time from now on
    assert all(seams.due() for _ in range(50))


class MergesAtSeams:
    """Counts a blank line as 5 tokens: the joined block (blank lines between files) costs
    more than the pieces pack() counted one by one."""

    def __call__(self, text: str) -> list[int]:
        return list(range(len(text) // 4 + 1 + 5 * text.count("\n\n")))


def test_a_block_stays_in_its_budget_when_the_tokenizer_is_not_additive(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    names = [f"shape_{i}" for i in range(40)]
    for n, name in enumerate(names):  # one file each: a blank line between every two files
        write(root, f"{name}.py", f"def {name}(a, b):\n    return a + {n}\n")
    imports = "".join(f"from {name} import {name}\n" for name in names)
    main = imports + "\n\ndef go():\n    x = \n"
    write(root, "main.py", main)
    index = WorkspaceIndex(root)
    index.rescan()
    builder, tokenize = ContextBuilder(30, RecentRegions()), MergesAtSeams()
    try:
        # Every budget gives another block: each is a first build, joined and counted anew.
        for budget in range(100, 100 + 4 * SeamCheck.TRUST_AFTER, 2):
            packed = builder.build(
                index, "main.py", "doc:main", main, main.index("x = ") + 4, tokenize, budget, None
            )
            assert packed.text.count("\n\n") > 3  # several files: the budget binds
            assert len(tokenize(packed.text)) <= budget
    finally:
        index.close()


def test_a_snippet_counts_as_its_lines_once_the_tokenizer_proved_additive(tmp_path: Path) -> None:
    # A member list grown by one line was tokenised whole again (2 ms of a 13 ms build in
    # itertools' lib.rs): its lines' counts are kept, and only the new line is tokenised.
    index, builder, tokenize = workspace(tmp_path), ContextBuilder(30, RecentRegions()), Counting()
    try:
        first = build(builder, index, MAIN, OFFSET, tokenize)
        assert not builder.counts.seams.inexact
        tokenize.calls.clear()
        builder.last.clear()
        grown = GEOMETRY.replace("return 1\n", "return 1\n\n    def perimeter(self):\n")
        write(index.root, "geometry.py", grown)
        index.update("geometry.py")
        again = build(builder, index, MAIN, OFFSET, tokenize)
        assert "def perimeter(self):" in again.text and again.text != first.text
        counted = [c for c in tokenize.calls if c != again.text]  # the block's own check aside
        assert counted and all(c.count("\n") <= 1 for c in counted)  # one line at a time
        assert not any("def area(self):" in c for c in counted)  # kept from the first build
    finally:
        index.close()


def test_a_tokenizer_whose_lines_do_not_add_up_counts_snippets_whole(tmp_path: Path) -> None:
    index, builder, tokenize = (
        workspace(tmp_path),
        ContextBuilder(30, RecentRegions()),
        MergesAtSeams(),
    )
    calls: list[str] = []

    def recording(text: str) -> list[int]:
        calls.append(text)
        return tokenize(text)

    try:
        build(builder, index, MAIN, OFFSET, recording)
        assert builder.counts.seams.inexact  # the joined block's blank lines cost more
        calls.clear()
        builder.last.clear()
        packed = build(builder, index, MAIN, OFFSET, recording)
        assert any(c.count("\n") > 1 for c in calls if c != packed.text)  # whole snippets
        assert len(tokenize(packed.text)) <= 400
    finally:
        index.close()
