"""bench/eval_baselines.py `hint_covers`: when the receiver hint counts as showing the gold, on
a hint made by the provider from a real index of real files."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:  # the eval's modules import each other by plain name
    sys.path.insert(0, str(BENCH))

from eval_baselines import hint_covers  # noqa: E402

from coderd.config.settings import ContextSettings  # noqa: E402
from coderd.context.index.registry import IndexRegistry  # noqa: E402
from coderd.context.provider import ContextProvider  # noqa: E402

CORE = """class Context:
    def find_root(self) -> "Context":
        return self

    def get_parameter_source(self, name: str) -> int:
        return 0
"""
MAIN = """from core import Context


def complete(ctx: Context):
    return ctx."""


def gold(name: str, line: int, text: str) -> dict:
    return {"gold_path": "core.py", "gold_line": line, "gold_name": name, "gold_text": text}


def test_the_hint_covers_the_members_it_shows(tmp_path: Path) -> None:
    (tmp_path / "core.py").write_text(CORE)
    (tmp_path / "main.py").write_text(MAIN)
    provider = ContextProvider(ContextSettings(), [tmp_path], IndexRegistry(watch=False))
    try:
        assert provider.index_for(tmp_path / "main.py").wait_ready(20)

        def tokenize(text: str) -> list[int]:
            return list(range(len(text.split()) + text.count("\n")))

        main = tmp_path / "main.py"
        hint = provider.receiver_hint(main, MAIN, len(MAIN), tokenize, 200)
        assert hint is not None
        source = gold(
            "get_parameter_source", 5, "def get_parameter_source(self, name: str) -> int:"
        )
        assert hint_covers(hint, source)
        # Another file's line of that number, or a signature the hint does not show: no.
        assert not hint_covers(hint, {**source, "gold_path": "main.py"})
        assert not hint_covers(hint, {**source, "gold_text": "def get_parameter_source(self):"})
        # A hint too small for that member leaves it out.
        small = provider.receiver_hint(main, MAIN, len(MAIN), tokenize, 14)
        assert small is not None and len(small.chunks) == 1 and not hint_covers(small, source)
    finally:
        provider.close()
