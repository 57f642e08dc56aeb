"""Saved KV states on the tiny synthetic model: going back to a file costs only what changed
there, a prompt that replaced another one gives its cells back, and memory stays bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.engine.llama.kv_store import PER_SEQUENCE

FILES = {
    name: (f"import {name}\n\n" + body * 4, "\n\nif __name__ == '__main__':\n    main()\n")
    for name, body in (
        ("os", "def read_config(path):\n    with open(path) as f:\n        return f.read()\n"),
        ("re", "class Parser:\n    def parse(self, text):\n        return text.split()\n"),
        ("io", "async def fetch(url):\n    data = await get(url)\n    return data\n"),
        ("sys", "for line in sys.stdin:\n    print(line.strip().upper())\n"),
        ("json", "def dump(value):\n    return json.dumps(value, indent=2)\n"),
    )
}


@pytest.fixture()
def engine(tiny_model_path: Path):
    e = LlamaEngine(tiny_model_path, EngineOptions(threads=2))
    yield e
    e.close()


def complete(engine: LlamaEngine, name: str, typed: str = "", max_tokens: int = 1):
    prefix, suffix = FILES[name]
    prompt = FimPrompt(engine.tokenize(prefix + typed), engine.tokenize(suffix))
    return engine.complete(prompt, GenerationLimits(max_tokens=max_tokens), CancelToken())


def test_switching_a_b_a_re_evaluates_little_in_a(engine):
    first = complete(engine, "os")
    assert first.stats.evaluated_tokens == first.stats.prompt_tokens
    other = complete(engine, "re")
    assert other.stats.evaluated_tokens > other.stats.prompt_tokens // 2  # another file
    back = complete(engine, "os", typed="x")
    # The typed token and <FIM_MID> (a token more where the tokenizer merges), not the file.
    assert back.stats.restored_tokens > back.stats.prompt_tokens // 2
    assert back.stats.evaluated_tokens <= 4
    assert complete(engine, "re", typed="y").stats.evaluated_tokens <= 4  # and B again
    assert engine.kv.ctx.pos_max(0) + 1 == len(engine.kv.state(0).tokens)


def test_restored_cells_give_the_logits_of_a_cold_start(tiny_model_path):
    # Without the suffix shift, which is an approximation of its own (kv_plan.py).
    warm, cold = (
        LlamaEngine(tiny_model_path, EngineOptions(threads=2, reuse_suffix_kv=False))
        for _ in range(2)
    )
    complete(warm, "os")
    complete(warm, "re")
    back = complete(warm, "os", typed="x")
    assert back.stats.restored_tokens > 0
    complete(cold, "os", typed="x")
    assert np.allclose(warm.kv.ctx.last_logits(), cold.kv.ctx.last_logits(), atol=1e-3)
    warm.close()
    cold.close()


def test_a_cancelled_prompt_keeps_its_progress_while_another_is_served(engine, key_at_decode):
    """A prompt evaluated in the background (a prewarm) and cancelled part way: the prompt the
    user types into comes back whole, and the background one resumes where it stopped."""
    complete(engine, "os")
    prefix, suffix = FILES["json"]
    long = FimPrompt(engine.tokenize(prefix * 3), engine.tokenize(suffix))
    token = key_at_decode(engine, 2)
    partial = engine.complete(long, GenerationLimits(max_tokens=0), token)
    assert partial.stats.stop_reason == "cancelled"
    held = len(engine.kv.state(0).tokens)
    assert 0 < held < partial.stats.prompt_tokens
    typing = complete(engine, "os", typed="x")
    assert typing.stats.restored_tokens and typing.stats.evaluated_tokens <= 4
    resumed = engine.complete(long, GenerationLimits(max_tokens=0), CancelToken())
    assert resumed.stats.stop_reason == "prewarm"
    assert resumed.stats.restored_tokens == held  # from where the cancel stopped it
    assert resumed.stats.evaluated_tokens == resumed.stats.prompt_tokens - held


def complete_whole(engine: LlamaEngine, name: str, typed: str = ""):
    """`name`'s other prompt, with a context block of its own at its head (the whole prompt
    after a narrow one, completion/first_prompt.py): it shares nothing with `complete`'s, nor
    with another file's."""
    prefix, suffix = FILES[name]
    prompt = FimPrompt(
        engine.tokenize(prefix + typed), engine.tokenize(suffix), engine.tokenize(f"{name} = 1\n")
    )
    return engine.complete(prompt, GenerationLimits(max_tokens=1), CancelToken())


def test_saved_states_are_bounded_per_slot(engine):
    for name in FILES:
        complete(engine, name)
        complete_whole(engine, name)
    assert len(engine.kv.saved) == PER_SEQUENCE  # ten prompts: the cache holds one
    engine.forget_slot(0)  # the session went away
    assert len(engine.kv.saved) == 0


def test_a_file_typed_into_in_place_is_saved_when_another_comes(engine):
    """Keys typed in place shift the suffix's cells (kv_plan.py); the decode of the suggestion
    applies the shift, so switching to another file afterwards saves the first one's state
    (it was skipped while any shift had ever been planned: #12's three-file switch found the
    first key back in a file evaluating its whole prompt)."""
    complete(engine, "os", max_tokens=2)
    for typed in ("x", "xy", "xyz"):
        shifted = complete(engine, "os", typed=typed, max_tokens=2)
    assert shifted.stats.suffix_shifted
    complete(engine, "re", max_tokens=2)  # another file: "os" must be saved aside
    back = complete(engine, "os", typed="xyzw", max_tokens=2)
    assert back.stats.restored_tokens > back.stats.prompt_tokens // 2
    assert back.stats.evaluated_tokens <= 4


def test_a_saved_state_comes_back_with_gpu_sized_chunks(tiny_model_path):
    """The swap is worth it when the tokens it spares cost more than the copies (measured),
    not a prompt chunk: on a GPU a chunk is the whole batch, more than a file's prompt here,
    and going back to a file re-evaluated all of it."""
    engine = LlamaEngine(tiny_model_path, EngineOptions(threads=2, prompt_chunk=512))
    try:
        assert engine.prompt_chunk == 512
        complete(engine, "os")
        complete(engine, "re")
        back = complete(engine, "os", typed="x")
        assert back.stats.prompt_tokens < 512
        assert back.stats.restored_tokens > back.stats.prompt_tokens // 2
        assert back.stats.evaluated_tokens <= 4
    finally:
        engine.close()


def test_going_back_when_the_slot_keeps_one_saved_state(engine):
    """Restoring A saves B first; with room for one state per slot, B's save must not evict
    the A being restored (it did: `list.remove(x): x not in list`, seen in coderd eval)."""
    engine.kv.saved.per_sequence = 1
    complete(engine, "os")
    complete(engine, "re")  # "os" saved
    back = complete(engine, "os", typed="x")  # "re" saved, "os" restored
    assert back.stats.restored_tokens > back.stats.prompt_tokens // 2
    assert [len(s.record.tokens) > 0 for s in engine.kv.saved] == [True]  # "re" kept


def test_the_saved_states_bound_follows_the_memory_free_at_load(tiny_model_path, monkeypatch):
    from coderd.engine.llama import kv_sequences
    from coderd.engine.llama.kv_store import MAX_BYTES, bytes_bound

    assert bytes_bound(64 * 1024**3) == MAX_BYTES  # never more than kv_persist.py writes
    monkeypatch.setattr(kv_sequences, "available_memory_bytes", lambda: 2 * 1024**3)
    small = LlamaEngine(tiny_model_path, EngineOptions(n_ctx=512, threads=1))
    try:
        assert small.kv.saved.max_bytes == 256 * 1024**2  # a laptop with 2 GB free
    finally:
        small.close()


def test_model_saved_states_mb_sets_the_bound_and_0_keeps_none(tiny_model_path):
    """The user's bound (model.saved_states_mb, through the loader) replaces the automatic
    one; at 0 nothing is copied out, and going back evaluates the whole file again. The
    request's stats say what the store holds, against its bound (coderd/status `last`)."""
    from coderd.config.settings import load_settings
    from coderd.models.loader import engine_options

    for mb, expected in ((0, 0), (3, 3 << 20), (-1, -1)):
        loaded = load_settings(init_options={"model": {"saved_states_mb": mb}}, environ={})
        assert not loaded.problems
        assert engine_options(loaded.settings).saved_states_bytes == expected
    none = LlamaEngine(tiny_model_path, EngineOptions(threads=2, saved_states_bytes=0))
    some = LlamaEngine(tiny_model_path, EngineOptions(threads=2, saved_states_bytes=3 << 20))
    try:
        for e in (none, some):
            complete(e, "os")
            complete(e, "re")
        back_none, back_some = (complete(e, "os", typed="x") for e in (none, some))
        assert back_none.stats.restored_tokens == 0 and len(none.kv.saved) == 0
        assert back_none.stats.evaluated_tokens > back_none.stats.prompt_tokens // 2
        assert back_some.stats.restored_tokens > back_some.stats.prompt_tokens // 2
        assert back_some.stats.saved_bound_mb == 3.0 and back_none.stats.saved_bound_mb == 0
        assert back_some.stats.saved_states == len(some.kv.saved) == 1  # "re"
        assert 0 < back_some.stats.saved_mb <= 3.0
    finally:
        none.close()
        some.close()


def test_going_back_and_forth_saves_into_the_buffer_of_the_state_swapped_in(engine):
    """Fresh memory for a save costs a page fault per 4 KiB (tens of ms for a real model's
    state, on the key that switches): the buffer of the state swapped back in takes the next
    save, and the cells restored from it are still right."""
    complete(engine, "os")
    complete(engine, "re")  # os saved (fresh memory)
    (first_os,) = list(engine.kv.saved)
    complete(engine, "os", typed="x")  # re saved (fresh), os swapped in: its buffer is spare
    back = complete(engine, "re", typed="y")  # os saved into that buffer, re swapped in
    assert back.stats.restored_tokens > 0 and back.stats.evaluated_tokens <= 4
    (saved_os,) = [s for s in engine.kv.saved if s.record.tokens[:3] != back.prompt_ids[:3]]
    assert saved_os.owner is first_os.buffer and saved_os.size > first_os.size  # typed on
    again = complete(engine, "os", typed="xz")
    assert again.stats.restored_tokens > 0 and again.stats.evaluated_tokens <= 4


def test_the_estimate_of_a_prompt_is_what_it_then_evaluates(engine):
    """`would_evaluate` (a placement's first prompt is sized by it) counts what the sequence
    and the saved states spare, and swaps nothing."""

    def prompt(name: str, typed: str = "") -> FimPrompt:
        prefix, suffix = FILES[name]
        return FimPrompt(engine.tokenize(prefix + typed), engine.tokenize(suffix))

    fresh = prompt("os")
    estimated = engine.would_evaluate(fresh)
    assert estimated == complete(engine, "os").stats.evaluated_tokens > 20
    assert engine.would_evaluate(prompt("os", "x")) <= 4  # in the sequence
    complete(engine, "re")  # "os" is saved now
    before = list(engine.kv.state(0).tokens)
    back = engine.would_evaluate(prompt("os", "x"))
    assert back < estimated // 2  # a saved state spares it
    assert engine.kv.state(0).tokens == before  # nothing swapped
    assert back >= complete(engine, "os", typed="x").stats.evaluated_tokens
    assert engine.would_evaluate(prompt("json")) > estimated // 2  # never seen: most of it


def test_a_three_file_switch_keeps_each_file_s_two_prompts(engine):
    """Files served from a narrow prompt while their whole one is evaluated in the background:
    after two others did the same, what the first was typed into is still kept (whether a
    swap is worth its copies is the measured speeds' call, `margin`: not this test's)."""
    first = complete(engine, "os")
    complete_whole(engine, "os")
    for name in ("re", "io"):
        complete(engine, name)
        complete_whole(engine, name)
    held = list(first.prompt_ids)
    assert any(list(s.record.tokens[: len(held)]) == held for s in engine.kv.saved)


def test_a_pause_s_prompt_cancelled_part_way_leaves_the_key_its_windows(
    tiny_model_path, key_at_decode
):
    """At a pause the whole prompt (the same block, wider windows) is evaluated after the
    narrow one a document is typed into; it keeps the block and drops the narrow windows,
    less than half the sequence. The next key cancels it after a chunk: its windows come
    back from a saved state instead of being evaluated again (each burst's last key paid
    92-118 tokens, session 13), and the whole prompt's progress is kept for the next pause."""
    engine = LlamaEngine(tiny_model_path, EngineOptions(threads=2, prompt_chunk=4))
    block = engine.tokenize("".join(f"def helper_{i}(value): ...\n" for i in range(12)))
    prefix, suffix = FILES["os"]

    def prompt(typed: str, wide: bool = False) -> FimPrompt:
        text = (prefix * 3 if wide else prefix[-60:]) + typed
        return FimPrompt(engine.tokenize(text), engine.tokenize(suffix), block)

    try:
        narrow = engine.complete(prompt(""), GenerationLimits(max_tokens=1), CancelToken())
        token = key_at_decode(engine, 2)
        pause = engine.complete(prompt("", wide=True), GenerationLimits(max_tokens=0,
                                refresh_suffix=True), token)  # fmt: skip
        assert pause.stats.stop_reason == "cancelled"
        # It kept the block: more than half of what the sequence held, so it saved nothing
        # first by the rule for prompts that throw most away.
        assert pause.stats.reused_tokens > narrow.stats.prompt_tokens // 2
        key = engine.complete(prompt("x"), GenerationLimits(max_tokens=1), CancelToken())
        assert key.stats.restored_tokens and key.stats.evaluated_tokens <= 4
        again = engine.complete(prompt("x", wide=True), GenerationLimits(max_tokens=0,
                                refresh_suffix=True), CancelToken())  # fmt: skip
        assert again.stats.restored_tokens > len(block)  # from where the cancel stopped it
    finally:
        engine.close()
