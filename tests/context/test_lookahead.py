"""The context of a keystroke built on the buffer thread before its request (lookahead.py)."""

from __future__ import annotations

from pathlib import Path

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.lookahead import edit_position
from coderd.context.provider import ContextProvider

GEOMETRY = (
    "class Rectangle:\n    def area(self):\n        return 1\n\n\ndef scale(r, k):\n    return r\n"
)
MAIN = "from .geometry import Rectangle, scale\n\n\ndef go():\n    r = Rectangle()\n    x = \n"


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


def test_edit_position_is_the_end_of_what_changed() -> None:
    assert edit_position("ab", "aXb") == 2  # typed X
    assert edit_position("abc", "abcd") == 4  # typed at the end
    assert edit_position("abcd", "abd") == 2  # deleted c
    assert edit_position("a\nb", "a\nxy\nb") == 5  # pasted a line
    assert edit_position(None, "text") is None  # opened: no edit to follow
    assert edit_position("same", "same") is None


def workspace(tmp_path: Path) -> tuple[ContextProvider, Path]:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "geometry.py").write_text(GEOMETRY)
    (root / "pkg" / "main.py").write_text(MAIN)
    provider = ContextProvider(
        ContextSettings(budget_tokens=400), [root], IndexRegistry(watch=False)
    )
    index = provider.index_for(root / "pkg" / "main.py")
    assert index is not None and index.wait_ready(20)
    return provider, root / "pkg" / "main.py"


def test_the_context_at_a_keystroke_is_ready_before_its_request(tmp_path: Path) -> None:
    provider, main = workspace(tmp_path)
    try:
        provider.set_buffer(main, MAIN).result(20)
        before = provider.context_for(main, MAIN, MAIN.index("x = ") + 4, tokenize)
        typed = MAIN.replace("x = ", "x = s")
        provider.set_buffer(main, typed).result(20)  # the parse, then the look-ahead
        offset = typed.index("x = s") + 5
        ahead = provider.ahead._ready[str(main)]
        assert ahead[:4] == (typed, offset, 400, None) and "class Rectangle" in ahead[4].text
        # The request at that position gets that very result, without building it again.
        provider.builder.last.clear()
        assert provider.context_for(main, typed, offset, tokenize) is ahead[4]
        assert str(main) not in provider.ahead._ready  # taken once
        assert ahead[4].text == before.text  # a keystroke in the body: the same context bytes
        # Another budget than the one looked ahead with: built, not taken. The entry built
        # ahead (budget 400) is held before the request: a take() that ignored the budget
        # would return it, and remove it.
        provider.set_buffer(main, MAIN).result(20)
        offset = MAIN.index("x = ") + 4
        ahead = provider.ahead._ready[str(main)]
        assert ahead[:4] == (MAIN, offset, 400, None)
        built = provider.context_for(main, MAIN, offset, tokenize, budget=300)
        assert built is not ahead[4]
        assert provider.ahead._ready.get(str(main)) is ahead  # still there, not taken
    finally:
        provider.close()


def test_an_overtaken_keystroke_is_not_looked_ahead(tmp_path: Path) -> None:
    provider, main = workspace(tmp_path)
    try:
        provider.set_buffer(main, MAIN).result(20)
        provider.context_for(main, MAIN, MAIN.index("x = ") + 4, tokenize)
        first = MAIN.replace("x = ", "x = s")
        second = MAIN.replace("x = ", "x = sc")
        pending = provider.set_buffer(main, first)
        provider.set_buffer(main, second).result(20)
        pending.result(20)
        assert provider.ahead.take(main, first, first.index("x = s") + 5, 400, None) is None
        assert provider.ahead.take(main, second, second.index("x = sc") + 6, 400, None) is not None
    finally:
        provider.close()


def test_typing_on_a_line_reuses_the_context_and_latest_knows_it(tmp_path: Path) -> None:
    """Keystrokes on the line of the last look-ahead build carry its result over (retrieval
    never reads the cursor's line before the cursor); an edit elsewhere builds again."""
    provider, main = workspace(tmp_path)
    builds: list[int] = []
    build = provider.ahead._build
    provider.ahead._build = lambda *args: builds.append(1) or build(*args)  # type: ignore[method-assign]
    try:
        provider.set_buffer(main, MAIN).result(20)
        provider.context_for(main, MAIN, MAIN.index("x = ") + 4, tokenize)  # its budget
        text = MAIN.replace("x = ", "x = s")
        provider.set_buffer(main, text).result(20)
        assert len(builds) == 1
        first = provider.ahead._ready[str(main)][4]
        for typed in ("sc", "sca", "scal"):
            text = MAIN.replace("x = ", f"x = {typed}")
            provider.set_buffer(main, text).result(20)
            offset = text.index(f"x = {typed}") + 4 + len(typed)
            assert provider.latest(main, text, offset, tokenize, 400) is first
        assert len(builds) == 1  # three keystrokes, no build
        # Another file changes (here the editor's buffer of it): what was built may be stale.
        geometry = main.parent / "geometry.py"
        provider.set_buffer(geometry, GEOMETRY + "\n\ndef grow(r):\n    return r\n").result(20)
        text = MAIN.replace("x = ", "x = scale")
        provider.set_buffer(main, text).result(20)
        assert len(builds) == 2  # the same line, but built again
        builds.clear()
        builds.append(1)
        moved = text.replace("def go():\n", "def go():\n    y = 1\n")  # another line
        provider.set_buffer(main, moved).result(20)
        assert len(builds) == 2
        far = moved.index("from")  # the cursor far from the last build: not known
        assert provider.latest(main, moved, far, tokenize, 400) is None
    finally:
        provider.close()


def test_edit_position_agrees_with_a_character_scan_on_random_edits() -> None:
    import random

    def scanned(old: str, new: str) -> int:
        head = 0
        while head < min(len(old), len(new)) and old[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        return len(new) - tail

    rng = random.Random(7)
    for _ in range(500):
        old = "".join(rng.choice("ab\n") for _ in range(rng.randrange(0, 60)))
        lo = rng.randrange(0, len(old) + 1)
        hi = rng.randrange(lo, len(old) + 1)
        new = old[:lo] + "".join(rng.choice("ab\n") for _ in range(rng.randrange(0, 4))) + old[hi:]
        if new != old:
            assert edit_position(old, new) == scanned(old, new), (old, new)
