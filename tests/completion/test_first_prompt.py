"""A placement's first prompt sized to the time before the first key (first_prompt.py): on a
machine too slow for the whole prompt, the prewarm evaluates a narrow one, keys are served
with it, the whole prompt follows in the background, and the document moves over once it is
in; a prompt the cache already holds is never narrowed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from coderd.completion.budget import FLOOR_PREFIX, Budgets
from coderd.completion.first_prompt import (
    NarrowPrompts,
)
from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.completion.tickets import Ticket
from coderd.context.pack.block import PackedContext
from coderd.engine.base import (
    CancelToken,
    Completion,
    FimPrompt,
    GenerationLimits,
    RequestStats,
)
from coderd.engine.speed_profile import SpeedProfile
from coderd.prompt.assembler import PromptAssembler
from coderd.testing.fake_engine import Rule, ScriptedEngine

# 10 ms per prompt token: the prior's second affords 100 tokens, far less than a whole prompt.
SLOW = SpeedProfile(decode_ms=20.0, depth_ms=0.0, prompt_ms=10.0)
TEXT = "".join(f"value_{i} = compute({i}, 'some text')\n" for i in range(200))


@dataclass
class OneSequence(ScriptedEngine):
    """Scripted, with a measured speed and one KV sequence's worth of memory: a prompt costs
    what it does not share with the last one evaluated whole (`would_evaluate`). Prompts
    longer than `slow_over` tokens take `slow_s`, like a whole prompt on two cores."""

    profile: SpeedProfile = SLOW
    slow_over: int = 1 << 30
    slow_s: float = 0.0
    chunk_s: float = 0.0  # a slow prompt's first chunk: a cancel lets it finish, not an interrupt
    interrupted: int = 0  # slow prompts stopped inside that chunk
    held: tuple[int, ...] = ()
    prompts: list[int] = field(default_factory=list)  # prefix tokens of each call

    measures_speed = True

    def speed_profile(self) -> SpeedProfile:
        return self.profile

    def would_evaluate(self, prompt: FimPrompt, slot: int = 0) -> int:
        ids = self._ids(prompt)
        shared = next((i for i, (a, b) in enumerate(zip(ids, self.held)) if a != b), None)
        return len(ids) - (min(len(ids), len(self.held)) if shared is None else shared)

    @staticmethod
    def _ids(prompt: FimPrompt) -> tuple[int, ...]:
        return (*prompt.context_ids, *prompt.prefix_ids, -1, *prompt.suffix_ids)

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        self.prompts.append(len(prompt.prefix_ids))
        if len(self._ids(prompt)) > self.slow_over:
            chunk_ends = time.monotonic() + self.chunk_s
            while time.monotonic() < chunk_ends and not cancel.interrupting:
                time.sleep(0.002)
            self.interrupted += cancel.interrupting
            if cancel.wait(self.slow_s):
                return Completion("", self._cancelled())
        done = super().complete(prompt, limits, cancel, speculative, slot)
        if done.stats.stop_reason != "cancelled":
            self.held = self._ids(prompt)
        return done

    @staticmethod
    def _cancelled() -> RequestStats:
        return RequestStats(stop_reason="cancelled")


@pytest.fixture
def running(start_service):
    def start(engine: OneSequence, context: object = None) -> CompletionService:
        options = {
            "completion": {"latency_target_ms": 1000, "speculate": False},
            "context": {"enabled": context is not None},
        }
        return start_service(engine, options, context)

    return start


def snap(text: str = TEXT) -> DocumentSnapshot:
    return DocumentSnapshot("file:///a.py", text, len(text), "python")


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert condition()


def prewarms(service: CompletionService) -> dict:
    return service.prewarms.status()


def test_a_slow_machine_prewarms_a_narrow_prompt_then_the_whole_one(running):
    engine = OneSequence(rules=[Rule("", ("x",))])
    service = running(engine)
    first = service.prewarm(snap(), user_moved=True).future.result(10)
    assert first.narrowed and first.prompt_pending
    assert engine.prompts[0] <= FLOOR_PREFIX  # what the time before the first key affords
    (sized,) = service.status()["prewarm"]["sizing"]  # why, in coderd/status
    assert sized["narrowed"] and sized["whole"] > sized["affordable"] >= sized["narrow"]
    wait_until(lambda: prewarms(service)["done"] == 2)  # the whole one, right after
    assert engine.prompts[1] > 2 * FLOOR_PREFIX
    # The document moved over: its keys are served with the whole prompt, at no cost.
    outcome = service.submit(snap(TEXT + "v")).future.result(10)
    assert engine.prompts[-1] > 2 * FLOOR_PREFIX and not outcome.prompt_pending


def test_keys_before_the_whole_prompt_is_in_are_served_with_the_narrow_one(running):
    engine = OneSequence(rules=[Rule("", ("x",))], slow_over=2 * FLOOR_PREFIX, slow_s=30.0)
    service = running(engine)
    assert service.prewarm(snap(), user_moved=True).future.result(10).narrowed
    wait_until(lambda: len(engine.prompts) == 2)  # the whole prompt is being evaluated
    outcome = service.submit(snap(TEXT + "v")).future.result(10)  # and a key cancels it
    assert outcome.status == "ok" and outcome.text == "x"
    assert engine.prompts[2] <= FLOOR_PREFIX  # the narrow prompt, what the cache holds
    assert outcome.prompt_pending  # the whole one is still to come, at a pause
    assert prewarms(service)["cancelled"] >= 1


def test_a_prompt_the_cache_holds_is_not_narrowed(running):
    engine = OneSequence(rules=[Rule("", ("x",))])
    service = running(engine)
    service.prewarm(snap(), user_moved=True).future.result(10)
    wait_until(lambda: prewarms(service)["done"] == 2)
    # A focus back on the document (its whole prompt in the cache): evaluated as it is.
    again = service.prewarm(snap(), user_moved=True).future.result(10)
    assert not again.narrowed and engine.prompts[-1] > 2 * FLOOR_PREFIX


def test_a_fast_machine_never_narrows(running):
    engine = OneSequence(profile=SpeedProfile(decode_ms=1.0, depth_ms=0.0, prompt_ms=0.01))
    service = running(engine)
    outcome = service.prewarm(snap(), user_moved=True).future.result(10)
    assert not outcome.narrowed and engine.prompts == [max(engine.prompts)]
    assert engine.prompts[0] > 2 * FLOOR_PREFIX


class Retrieval:
    """The same context block for every prompt (a ContextProvider's two calls)."""

    text = "# util.py\n" + "".join(f"def helper_{i}(value): ...\n" for i in range(8))

    def context_for(self, path: Path, text: str, offset: int, tokenize: object, **_: object):
        return PackedContext(self.text, [])

    latest = context_for

    def receiver_hint(self, *args: Any) -> None:
        return None  # no receiver hint: these tests are about the block

    def forget(self, path: Path) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_narrow_prompt_keeps_the_block_only_where_it_costs_nothing(running):
    engine = OneSequence(rules=[Rule("", ("x",))])
    service = running(engine, context=Retrieval())
    at_end = DocumentSnapshot("file:///a.py", TEXT, len(TEXT), "python", path="/w/a.py")
    first = service.prewarm(at_end, user_moved=True).future.result(10)
    assert first.narrowed and first.context_text == ""  # never seen: the block costs too much
    wait_until(lambda: prewarms(service)["done"] == 2)
    assert engine.held[: len(Retrieval.text)] == tuple(map(ord, Retrieval.text))
    # A jump far up the file: the whole prompt there costs its windows, the block is held.
    up = TEXT.index("value_40")
    jump = service.prewarm(
        DocumentSnapshot("file:///a.py", TEXT, up, "python", path="/w/a.py"), user_moved=True
    ).future.result(10)
    assert jump.narrowed and jump.context_text == Retrieval.text


def test_the_first_key_after_a_placement_that_never_ran_gets_the_narrow_prompt(running):
    engine = OneSequence(rules=[Rule("", ("x",))], slow_over=2 * FLOOR_PREFIX, slow_s=30.0)
    service = running(engine)
    service.prewarm(snap(), wait_s=30.0, user_moved=True)  # still waiting when the key comes
    outcome = service.submit(snap(TEXT + "v")).future.result(10)
    assert outcome.narrowed and outcome.text == "x" and outcome.prompt_pending
    assert len(outcome.prefix_text) <= FLOOR_PREFIX  # one token per character
    # The next key is no first key: it stays with the narrow prompt until the whole one is in.
    after = service.submit(snap(TEXT + "vx")).future.result(10)
    assert not after.narrowed and after.prompt_pending
    assert len(after.prefix_text) <= FLOOR_PREFIX


def test_no_narrow_prompt_when_it_would_spare_little(running):
    engine = OneSequence(rules=[Rule("", ("x",))])
    service = running(engine)
    service.prewarm(snap(), user_moved=True).future.result(10)
    wait_until(lambda: prewarms(service)["done"] == 2)
    # 110 characters appended since: more than the second affords, but a narrow prompt
    # (none of it in the cache) would cost as much.
    grown = TEXT + "".join(f"more_{i} = {i}\n" for i in range(10))
    again = service.prewarm(snap(grown), user_moved=True).future.result(10)
    assert not again.narrowed and len(again.prefix_text) > 2 * FLOOR_PREFIX


def test_a_first_key_drops_the_whole_prompt_waiting_for_it_to_be_late(running):
    engine = OneSequence(rules=[Rule("", ("x",))])
    service = running(engine)
    assert service.prewarm(snap(), user_moved=True).future.result(10).narrowed
    outcome = service.submit(snap(TEXT + "v")).future.result(10)  # within the usual time
    # Not made to wait for a chunk of the whole prompt: it had not started, and is dropped.
    assert engine.prompts[1] <= FLOOR_PREFIX and len(outcome.prefix_text) <= FLOOR_PREFIX
    assert prewarms(service)["cancelled"] == 1 and outcome.prompt_pending


def test_the_first_key_stops_the_whole_prompt_inside_its_chunk(running):
    """The first key after the placement (its narrow prompt in) finds the whole prompt that
    follows running: that chunk is of no use to it, so it is interrupted, not waited for (the
    first key after a session's first open waited 847 ms, session 13). A later key lets a
    chunk finish: with keys closer than a chunk, the whole prompt would never progress."""
    engine = OneSequence(
        rules=[Rule("", ("x",))], slow_over=2 * FLOOR_PREFIX, slow_s=30.0, chunk_s=30.0
    )
    service = running(engine)
    assert service.prewarm(snap(), user_moved=True).future.result(10).narrowed
    wait_until(lambda: len(engine.prompts) == 2)  # the whole prompt, in its first chunk
    whole = service.prewarms.running[1]
    first = service.submit(snap(TEXT + "v"))
    assert whole.interrupting  # submit() stops it, inside its chunk
    assert first.future.result(10).status == "ok" and engine.interrupted == 1
    service.prewarm(snap(TEXT + "v"))  # the whole prompt again (as at the next pause)
    wait_until(lambda: len(engine.prompts) == 4)
    again = service.prewarms.running[1]
    later = service.submit(snap(TEXT + "vw"))
    assert again.cancelled and not again.interrupting  # its chunk runs to its end
    later.cancel.cancel("test over")


def test_closing_a_narrowed_document_leaves_nothing_behind(running):
    engine = OneSequence(rules=[Rule("", ("x",))], slow_over=2 * FLOOR_PREFIX, slow_s=30.0)
    service = running(engine)
    assert service.prewarm(snap(), user_moved=True).future.result(10).narrowed
    service.submit(snap(TEXT + "v")).future.result(10)  # pinned to the narrow prompt
    service.forget("file:///a.py")
    counts = service.documents.counts()
    assert any(name.startswith("narrow prompt") for name in counts), counts
    assert set(counts.values()) == {0}, counts


def test_a_document_keeps_the_narrow_width_it_was_pinned_to():
    """A switch back to a document served from a narrow prompt: its saved state holds that
    width's windows; narrowed at another width it evaluated its whole narrow prompt again
    (110 tokens, 1.4 s with the 1.3B model on two cores, session 12)."""
    engine = OneSequence()
    planned = Budgets(1024, 256, 0)

    def make(budgets: Budgets, name: str = "") -> PromptAssembler:
        return PromptAssembler(
            engine.tokenize,
            engine.info,
            prefix_tokens=budgets.prefix,
            suffix_tokens=budgets.suffix,
            context_tokens=budgets.context,
        )

    full = make(planned).assemble("k", TEXT, len(TEXT), path=None, context=None)
    narrow = NarrowPrompts()

    def narrowed(first_key_s: float, pinned: PromptAssembler | None = None) -> PromptAssembler:
        ticket = Ticket(snap(), prewarm=True, first_key_s=first_key_s)
        found = narrow.prompt_for(engine, ticket, full, 0, SLOW, None, planned, make, 0.0, pinned)
        assert found is not None
        return found[0]

    first = narrowed(1.0)  # 100 tokens affordable
    assert narrowed(5.0) is not first  # 500: another width, for a document not pinned
    assert narrowed(5.0, pinned=first) is first
    assert narrowed(1.0) is first  # one assembler per width
