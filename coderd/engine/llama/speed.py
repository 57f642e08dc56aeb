"""Measuring how fast this machine runs this model, once, for coderd/completion/budget.py.

Three figures, taken in the spare KV sequence (the speculation / park place, which
`KvSequences.spare` lends empty and takes back empty) so the prompt caches are untouched:
milliseconds per decoded token just after a short prompt and after a `DEEP`-token one, and per
prompt token in a keystroke-sized batch.
About 4 s for a 1.3B model on two cores, a few milliseconds for a test model; the result is
kept in $XDG_CACHE_HOME/coderd/speed.json, keyed by the model file, the llama.cpp build and
the run settings, so it happens once per model and machine.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from coderd.engine.base import ModelInfo
from coderd.engine.llama.kv_sequences import KvSequences
from coderd.engine.llama.runtime import DECODE_OK, LlamaContext, system_info
from coderd.engine.speed_profile import SpeedProfile
from coderd.system import paths

log = logging.getLogger(__name__)

DEEP = 384  # deep enough to see the slope, cheap enough to evaluate once
STEPS = 8  # decoded tokens per depth
KEYSTROKE_BATCH = 8
FILLER = "    value = compute(value, index)  # ordinary code\n"


class Measurable(Protocol):
    """What a measurement needs of the engine (LlamaEngine has it). A protocol, so that this
    module needs nothing of the engine's but these public parts."""

    @property
    def info(self) -> ModelInfo: ...

    @property
    def kv(self) -> KvSequences: ...

    def tokenize(self, text: str) -> list[int]: ...


def cache_key(engine: Measurable) -> str:
    info = engine.info
    stat = os.stat(info.path)
    return json.dumps(
        [info.path, stat.st_size, int(stat.st_mtime), info.threads, info.gpu_layers, system_info()],
        sort_keys=True,
    )


def load_or_measure(engine: Measurable) -> SpeedProfile:
    store = paths.cache_dir() / "speed.json"
    key = cache_key(engine)
    known = _read(store)
    if key in known:
        return SpeedProfile(**known[key])
    started = time.perf_counter()
    profile = measure(engine)
    log.info(
        "measured %s in %.1f s: %s",
        Path(engine.info.path).name,
        time.perf_counter() - started,
        profile,
    )
    known[key] = profile.as_dict()
    try:
        paths.ensure_dir(store.parent)
        tmp = store.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=1), encoding="utf-8")
        os.replace(tmp, store)
    except OSError as exc:  # a read-only cache only costs a measurement per start
        log.warning("cannot keep the speed measurement in %s: %s", store, exc)
    return profile


def _read(store: Path) -> dict[str, dict[str, float]]:
    try:
        data = json.loads(store.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def measure(engine: Measurable) -> SpeedProfile:
    ctx = engine.kv.ctx
    filler = engine.tokenize(FILLER) or [0]
    tokens = (filler * (DEEP // len(filler) + 2))[: DEEP + KEYSTROKE_BATCH + STEPS]
    with engine.kv.spare() as seq:
        _evaluate(ctx, seq, tokens[:DEEP], 0)
        prompt_ms = float("inf")
        for _attempt in range(3):  # the fastest of three, as for decoding below
            ctx.remove(seq, DEEP, -1)
            started = time.perf_counter()
            _evaluate(ctx, seq, tokens[DEEP : DEEP + KEYSTROKE_BATCH], DEEP)
            prompt_ms = min(prompt_ms, (time.perf_counter() - started) * 1000 / KEYSTROKE_BATCH)
        deep = _decode_steps(ctx, seq, tokens, DEEP + KEYSTROKE_BATCH)
        ctx.remove(seq, -1, -1)
        _evaluate(ctx, seq, tokens[:KEYSTROKE_BATCH], 0)
        shallow = _decode_steps(ctx, seq, tokens, KEYSTROKE_BATCH)
    return SpeedProfile.from_samples(
        (KEYSTROKE_BATCH, shallow), (DEEP + KEYSTROKE_BATCH, deep), prompt_ms
    )


def _evaluate(ctx: LlamaContext, seq: int, tokens: Sequence[int], start: int) -> None:
    """Whole batches, not the engine's prompt chunks: the budgets use only the timed
    keystroke-sized batch, which the engine too evaluates in one call (CPU chunks are 32)."""
    for i in range(0, len(tokens), ctx.n_batch):
        if ctx.decode(tokens[i : i + ctx.n_batch], start + i, seq=seq) != DECODE_OK:
            raise RuntimeError("llama_decode failed while measuring speed")


def _decode_steps(ctx: LlamaContext, seq: int, tokens: Sequence[int], start: int) -> float:
    """Milliseconds per single-token decode from `start` (what generation does): the fastest
    of STEPS decodes, so that a moment of load elsewhere on the machine is not kept forever
    in the cached profile as this machine's speed."""
    times = []
    for step in range(STEPS):
        started = time.perf_counter()
        if ctx.decode([tokens[step]], start + step, seq=seq) != DECODE_OK:
            raise RuntimeError("llama_decode failed while measuring speed")
        times.append((time.perf_counter() - started) * 1000)
    return min(times)
