"""A new context block off the typing path (scripted engine): requests keep the block already
in the cache; a prewarm evaluates the prompt with the new one in the background, and requests
switch to it only once that prewarm has evaluated it whole."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.context.pack.block import PackedContext
from coderd.engine.base import (
    CancelToken,
    Completion,
    FimPrompt,
    GenerationLimits,
    RequestStats,
)
from coderd.testing.fake_engine import Rule, ScriptedEngine

KEY, PATH = "file:///w/a.py", "/w/a.py"


class Retrieval:
    """Stands in for the session's ContextProvider: the block retrieval gives right now."""

    def __init__(self, text: str) -> None:
        self.text = text

    def context_for(self, path: Path, text: str, offset: int, tokenize: Any, **_: Any):
        return PackedContext(self.text, [])

    latest = context_for  # what the look-ahead built after the last edit: the same here

    def receiver_hint(self, *args: Any) -> None:
        return None  # no receiver hint: these tests are about the block

    def forget(self, path: Path) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class BlockEngine(ScriptedEngine):
    """Records the context block each call carried; prewarms take `prewarm_s` (cancellable)."""

    blocks: list[tuple[str, bool]] = field(default_factory=list)  # (block, prewarm)
    prewarm_s: float = 0.0

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        prewarm = limits.max_tokens == 0
        self.blocks.append((self.detokenize(prompt.context_ids), prewarm))
        if prewarm and cancel.wait(self.prewarm_s):
            return Completion("", stats=_cancelled())
        return super().complete(prompt, limits, cancel, speculative, slot)


def requests(engine: BlockEngine) -> list[str]:
    """The block of each request (prewarms left out)."""
    return [block for block, prewarm in engine.blocks if not prewarm]


def _cancelled() -> RequestStats:
    return RequestStats(stop_reason="cancelled")


@pytest.fixture
def service_with(start_service):
    def start(
        engine: ScriptedEngine, retrieval: Retrieval, speculate: bool = False
    ) -> CompletionService:
        options = {"completion": {"latency_target_ms": 0, "speculate": speculate}}
        return start_service(engine, options, retrieval)

    return start


def ask(service: CompletionService, text: str):
    snap = DocumentSnapshot(KEY, text, len(text), "python", path=PATH)
    return service.submit(snap).future.result(timeout=10)


def prewarms_ended(service: CompletionService, n: int) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        counts = cast(dict, service.status()["prewarm"])
        if counts["done"] + counts["cancelled"] >= n:
            return counts
        time.sleep(0.005)
    raise AssertionError("the prewarm did not end")


def test_requests_keep_the_cached_block_until_the_new_one_is_evaluated(service_with):
    engine = BlockEngine(rules=[Rule("", ("1",))], prewarm_s=5.0)
    retrieval = Retrieval("# old block\n")
    service = service_with(engine, retrieval)
    first = ask(service, "x = ")
    assert first.context_text == "# old block\n" and not first.prompt_pending
    retrieval.text = "# new block\n"  # say the index became ready
    second = ask(service, "x = 1")
    assert second.status == "ok" and second.context_text == "# old block\n"
    assert second.prompt_pending  # the new one waits for a background evaluation
    # That prewarm is under way with the new block; a key cancels it...
    deadline = time.monotonic() + 10
    while (engine.blocks[-1] != ("# new block\n", True)) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert engine.blocks[-1] == ("# new block\n", True)
    third = ask(service, "x = 12")
    assert prewarms_ended(service, 1)["cancelled"] == 1
    # ...and the key is still served with the block in the cache.
    assert third.context_text == "# old block\n"
    assert requests(engine)[-1] == "# old block\n"
    engine.prewarm_s = 0.0  # the pause after that key: the new block gets evaluated whole
    assert prewarms_ended(service, 2)["done"] == 1
    fourth = ask(service, "x = 123")
    assert fourth.context_text == "# new block\n" and not fourth.prompt_pending
    assert requests(engine) == ["# old block\n"] * 3 + ["# new block\n"]


def test_the_first_key_after_an_open_leaves_the_switch_to_the_next_key(service_with):
    """With only the open and one key seen, nothing tells a pause from the next key: the
    switch waits for that key, whose rhythm then says when the user paused (starting at once
    made the second key wait for the switch's chunk, session 9)."""
    engine = BlockEngine(rules=[Rule("", ("1",))])
    retrieval = Retrieval("# old block\n")
    service = service_with(engine, retrieval)
    service.edited(KEY)  # didOpen
    ask(service, "x = ")
    retrieval.text = "# new block\n"
    service.edited(KEY)  # the first key
    assert ask(service, "x = 1").prompt_pending
    time.sleep(0.2)
    assert cast(dict, service.status()["prewarm"])["queued"] == 0
    for typed in ("x = 12", "x = 123"):  # keys 50 ms apart: the rhythm is known now
        time.sleep(0.05)
        service.edited(KEY)
        assert ask(service, typed).prompt_pending
    deadline = time.monotonic() + 10  # 1.5 gaps after the last key: the switch runs
    while cast(dict, service.status()["prewarm"])["done"] < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert cast(dict, service.status()["prewarm"])["done"] == 1
    assert ask(service, "x = 1234").context_text == "# new block\n"


def test_going_back_to_a_document_keeps_the_block_its_cache_holds(service_with):
    """Visiting other files changes what retrieval gives (the recent files); the prewarm for
    the return keeps the block that the document's cache or saved state holds, as a key
    does, and the newer block waits for the switch at a pause. Taking it cost a three-file
    switch-back 444 of 570 tokens (session 9)."""
    engine = BlockEngine(rules=[Rule("", ("1",))])
    retrieval = Retrieval("# old block\n")
    service = service_with(engine, retrieval)
    ask(service, "x = ")  # in the cache whole
    retrieval.text = "# new block\n"  # the user went elsewhere, and comes back
    back = service.prewarm(
        DocumentSnapshot(KEY, "x = ", 4, "python", path=PATH), user_moved=True
    ).future.result(timeout=10)
    assert back.status == "ok" and engine.blocks[-1] == ("# old block\n", True)
    assert ask(service, "x = 1").prompt_pending  # the new one: in the background, later


def test_a_block_that_comes_back_cancels_the_switch(service_with):
    engine = BlockEngine(rules=[Rule("", ("1",))], prewarm_s=5.0)
    retrieval = Retrieval("# old block\n")
    service = service_with(engine, retrieval)
    ask(service, "x = ")
    retrieval.text = "# new block\n"
    assert ask(service, "x = 1").prompt_pending
    retrieval.text = "# old block\n"  # before the new one was evaluated
    again = ask(service, "x = 12")
    assert again.context_text == "# old block\n" and not again.prompt_pending
    counts = prewarms_ended(service, 1)
    assert counts["queued"] == 1 and counts["cancelled"] == 1  # no switch evaluated any more


class NoNews(Retrieval):
    """The look-ahead has built nothing since (the index delivered a file's context without
    an edit: lsp/server/warming.py); a prompt's first build and prewarms still retrieve."""

    def latest(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_a_key_with_no_news_keeps_the_block_that_waits(service_with):
    """A key that cancels the switch's evaluation, while the look-ahead has nothing newer,
    must not take "nothing new" for "retrieval came back to the cached block": the new block
    still waits, and the key asks for its evaluation again."""
    engine = BlockEngine(rules=[Rule("", ("1",))], prewarm_s=5.0)
    retrieval = NoNews("# old block\n")
    service = service_with(engine, retrieval)
    ask(service, "x = ")
    retrieval.text = "# new block\n"  # the index's first build ended
    service.prewarm(DocumentSnapshot(KEY, "x = ", 4, "python", path=PATH), switch=True)
    wait_for_calls(engine, 2)
    assert engine.blocks[-1] == ("# new block\n", True)
    key = ask(service, "x = 1")  # cancels it: the switch's evaluation was under way
    assert key.context_text == "# old block\n" and key.prompt_pending
    engine.prewarm_s = 0.0
    deadline = time.monotonic() + 10
    while cast(dict, service.status()["prewarm"])["done"] < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert ask(service, "x = 12").context_text == "# new block\n"


def wait_for_calls(engine: BlockEngine, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(engine.blocks) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(engine.blocks) >= n


def test_prewarms_keep_the_first_block_until_a_prompt_with_it_is_in_whole(service_with):
    """On a slow CPU the open's prewarm, the jump's and the first key each evaluate a few
    chunks before the next cancels them: they must all carry the same block to add up."""
    engine = BlockEngine(rules=[Rule("", ("1",))], prewarm_s=5.0)
    retrieval = Retrieval("# block at the open\n")
    service = service_with(engine, retrieval)
    text = "x = \n" * 40
    service.prewarm(DocumentSnapshot(KEY, text, len(text), "python", path=PATH))  # didOpen
    wait_for_calls(engine, 1)
    retrieval.text = "# block at the cursor\n"  # the cursor's code names other definitions
    service.prewarm(DocumentSnapshot(KEY, text, 4, "python", path=PATH))  # a jump: supersedes
    wait_for_calls(engine, 2)
    assert engine.blocks == [("# block at the open\n", True)] * 2  # nothing evaluated whole
    engine.prewarm_s = 0.0
    first = service.submit(DocumentSnapshot(KEY, text, 4, "python", path=PATH))
    outcome = first.future.result(timeout=10)
    assert outcome.context_text == "# block at the open\n" and outcome.prompt_pending
    # That key evaluated its prompt whole: now the new block goes in, in the background.
    assert prewarms_ended(service, 3)["done"] == 1
    assert engine.blocks[-1] == ("# block at the cursor\n", True)
    typed = text[:4] + "2" + text[4:]  # the next key (the same text would be a cache answer)
    again = service.submit(DocumentSnapshot(KEY, typed, 5, "python", path=PATH))
    assert again.future.result(timeout=10).context_text == "# block at the cursor\n"


@dataclass
class SpeculatingEngine(BlockEngine):
    speculations: int = 0

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        self.speculations += speculative
        return super().complete(prompt, limits, cancel, speculative, slot)


def test_a_waiting_block_takes_the_pause_before_a_speculation(service_with):
    """Both wait for the user's pause; a speculation on the older prompt took every pause of
    a bursty typist, and the new block was never evaluated (session 12)."""
    engine = SpeculatingEngine(rules=[Rule("", ("1 + 2",))])
    retrieval = Retrieval("# old block\n")
    service = service_with(engine, retrieval, speculate=True)
    for typed in ("x = ", "x = 1", "x = 12"):  # keys 50 ms apart: a rhythm
        time.sleep(0.05)
        service.edited(KEY)
        ask(service, typed)
    deadline = time.monotonic() + 10
    while not engine.speculations and time.monotonic() < deadline:
        time.sleep(0.005)
    assert engine.speculations  # with nothing waiting, a pause speculates
    retrieval.text = "# new block\n"
    time.sleep(0.05)
    service.edited(KEY)
    speculated = engine.speculations
    assert ask(service, "x = 123").prompt_pending
    assert prewarms_ended(service, 1)["done"] == 1  # the pause went to the new block
    assert engine.speculations == speculated
