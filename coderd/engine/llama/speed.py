"""Measuring how fast this machine runs this model, once, for coderd/completion/budget.py.

Four figures, taken in the spare KV sequence (the speculation / park place, which
`KvSequences.spare` lends empty and takes back empty) so the prompt caches are untouched:
milliseconds per decoded token just after a short prompt and after a `DEEP`-token one, per
prompt token in a keystroke-sized batch, and the fixed cost of a batch (from a `PROBE`-token
one: it sizes the prompt chunk, speed_profile.py).
About 5 s for a 1.3B model on two cores, a few milliseconds for a test model; the result is
kept in $XDG_CACHE_HOME/coderd/speed.json, keyed by the model file, the llama.cpp build and
the run settings, so it happens once per model and machine. Requests heal it when it was
taken under load (speed_profile.py SpeedWatch; `keep` writes the healed one).
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
from coderd.engine.speed_profile import KEYSTROKE_BATCH, SpeedProfile
from coderd.system import paths

log = logging.getLogger(__name__)

DEEP = 384  # deep enough to see the slope, cheap enough to evaluate once
STEPS = 8  # decoded tokens per depth
PROBE = 32  # a prompt batch 4x the keystroke one: what the fixed cost per call is read from
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
    kept = SpeedProfile.from_dict(_read(store).get(key))
    if kept is not None:
        return kept
    started = time.perf_counter()
    profile = measure(engine)
    log.info(
        "measured %s in %.1f s: %s",
        Path(engine.info.path).name,
        time.perf_counter() - started,
        profile,
    )
    keep(engine, profile)
    return profile


def keep(engine: Measurable, profile: SpeedProfile) -> None:
    """Write `profile` as this model's speed here (measured, or healed by requests)."""
    store = paths.cache_dir() / "speed.json"
    known = _read(store)
    known[cache_key(engine)] = profile.as_dict()
    try:
        paths.ensure_dir(store.parent)
        tmp = store.with_suffix(f".{os.getpid()}.tmp")  # daemons of other models write too
        tmp.write_text(json.dumps(known, indent=1), encoding="utf-8")
        os.replace(tmp, store)
    except OSError as exc:  # a read-only cache only costs a measurement per start
        log.warning("cannot keep the speed measurement in %s: %s", store, exc)


def _read(store: Path) -> dict[str, object]:
    try:
        data = json.loads(store.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def measure(engine: Measurable) -> SpeedProfile:
    ctx = engine.kv.ctx
    filler = engine.tokenize(FILLER) or [0]
    tokens = (filler * (DEEP // len(filler) + PROBE))[: DEEP + PROBE + STEPS]
    probe = min(PROBE, ctx.n_batch)  # one call
    with engine.kv.spare() as seq:
        _evaluate(ctx, seq, tokens[:DEEP], 0)
        probe_ms = min(_timed_batch(ctx, seq, tokens, probe) for _attempt in range(2))
        # The fastest of three, as for decoding below; the last leaves DEEP + KEYSTROKE_BATCH.
        batch_ms = min(_timed_batch(ctx, seq, tokens, KEYSTROKE_BATCH) for _attempt in range(3))
        prompt_ms = batch_ms / KEYSTROKE_BATCH
        deep = _decode_steps(ctx, seq, tokens, DEEP + KEYSTROKE_BATCH)
        ctx.remove(seq, -1, -1)
        _evaluate(ctx, seq, tokens[:KEYSTROKE_BATCH], 0)
        shallow = _decode_steps(ctx, seq, tokens, KEYSTROKE_BATCH)
    return SpeedProfile.from_samples(
        (KEYSTROKE_BATCH, shallow),
        (DEEP + KEYSTROKE_BATCH, deep),
        prompt_ms,
        probe=(probe, probe_ms),
    )


def _timed_batch(ctx: LlamaContext, seq: int, tokens: Sequence[int], size: int) -> float:
    """Milliseconds to evaluate `size` tokens after the first DEEP (what it held is dropped)."""
    ctx.remove(seq, DEEP, -1)
    started = time.perf_counter()
    _evaluate(ctx, seq, tokens[DEEP : DEEP + size], DEEP)
    return (time.perf_counter() - started) * 1000


def _evaluate(ctx: LlamaContext, seq: int, tokens: Sequence[int], start: int) -> None:
    """Whole batches, not the engine's prompt chunks: the timed batches are one call each
    (the probe too, unless llama.cpp's batch is smaller: then the probe says so)."""
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
