"""bench/shift_quality.py's procedure: the engine's own shift path against a full re-evaluation."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from coderd.engine.llama.engine import EngineOptions, LlamaEngine

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.shift_quality import changed_tokens, evaluate, keep_cells, layout, shifted_and_reference  # noqa: E402

TEXT = "def area(w, h):\n    return w * h\n\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n" * 4


def test_changed_tokens_counts_removed_plus_added():
    assert changed_tokens((1, 2, 3), (1, 2, 3, 4)) == 1
    assert changed_tokens((1, 2, 3), (1, 2, 5, 6)) == 3
    assert changed_tokens((1, 2), (1, 2)) == 0


def test_shifted_cells_are_stale_and_the_reference_is_exact(tiny_model_path):
    engine = LlamaEngine(tiny_model_path, EngineOptions(threads=1))
    bos = (engine.loaded.bos,) if engine.loaded.bos is not None else ()
    head0 = bos + tuple(engine.tokenize(TEXT[:90]))
    head1 = bos + tuple(engine.tokenize(TEXT[:104]))
    tail = tuple(engine.tokenize(TEXT[104:220]))[:24]
    assert changed_tokens(head0, head1) > 0

    evaluate(engine, layout(head0, tail), shift=False)
    evaluate(engine, layout(head1, tail), shift=True)  # raises unless kv_plan shifts
    shifted = engine.kv.ctx.last_logits().copy()
    keep_cells(engine, len(head1))
    evaluate(engine, layout(head1, tail), shift=False)
    reference = engine.kv.ctx.last_logits().copy()
    keep_cells(engine, 0)
    evaluate(engine, layout(head1, tail), shift=False)
    cold = engine.kv.ctx.last_logits().copy()
    assert np.allclose(reference, cold, atol=1e-3)  # keeping the head's cells is exact
    assert not np.allclose(shifted, reference, atol=1e-3)  # the block saw the old head

    a, b = shifted_and_reference(engine, head0, head1, tail, 8)
    assert len(a) == 8 and 1 <= len(b) <= 8
    assert engine.kv.ctx.pos_max(0) + 1 == len(engine.kv.state(0).tokens)
    engine.close()
