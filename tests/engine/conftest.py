"""Fixtures of the engine tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from coderd.engine.base import CancelToken
from coderd.engine.llama.engine import LlamaEngine


@pytest.fixture
def key_at_decode() -> Iterator[Callable[[LlamaEngine, int], CancelToken]]:
    """`key_at_decode(engine, n)`: a token that the engine's n-th llama_decode from now
    cancels, as a key arriving while that prompt chunk runs; the calls after it go through
    untouched, and the engine's own decode is put back when the test ends."""
    undo: list[Callable[[], None]] = []

    def arm(engine: LlamaEngine, n: int) -> CancelToken:
        token, real, calls = CancelToken(), engine.kv.ctx.decode, []

        def decode(tokens, start_pos, **kw):
            calls.append(len(tokens))
            if len(calls) == n:
                token.cancel("a key")
            return real(tokens, start_pos, **kw)

        engine.kv.ctx.decode = decode
        undo.append(lambda: setattr(engine.kv.ctx, "decode", real))
        return token

    yield arm
    for step in undo:
        step()
