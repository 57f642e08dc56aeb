"""The speed profile heals itself from real requests (issue #12: a measurement taken under load
shrank the prompt for good): budgets follow within a window of requests, both ways, and the
healed profile is kept at most once a KEEP_INTERVAL_S."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from coderd.completion.budget import Budgets, plan_budgets
from coderd.completion.runner import KEEP_INTERVAL_S
from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.engine.base import CancelToken, Completion, FimPrompt, GenerationLimits, RequestStats
from coderd.engine.speed_profile import MIN_SAMPLES, SpeedProfile, SpeedWatch
from coderd.testing.fake_engine import Rule, ScriptedEngine

# Requests really run at TRUE; a measurement taken under load said SLOW.
TRUE = SpeedProfile(decode_ms=20.0, depth_ms=0.03, prompt_ms=10.0, call_ms=8.0)
SLOW = TRUE.scaled(5.0, 5.0)
CONFIGURED = Budgets(384, 64, 256)


@dataclass
class MeasuredEngine(ScriptedEngine):
    """Scripted, but with a measured profile (`measured`), and requests whose stats say they
    ran at `true` speed: no clock in the test."""

    measured: SpeedProfile = SLOW
    true: SpeedProfile = TRUE
    kept: list[SpeedProfile] = field(default_factory=list)

    measures_speed = True

    def speed_profile(self) -> SpeedProfile:
        return self.measured

    def keep_speed_profile(self, profile: SpeedProfile) -> None:
        self.kept.append(profile)

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        done = super().complete(prompt, limits, cancel, speculative, slot)
        timed(done.stats, self.true)
        return done


def timed(stats: RequestStats, speed: SpeedProfile, evaluated: int = 4) -> RequestStats:
    stats.evaluated_tokens = evaluated
    stats.prompt_ms = speed.batch_ms(evaluated)
    depth = stats.prompt_tokens + stats.generated_tokens // 2
    stats.generate_ms = stats.generated_tokens * speed.decode_token_ms(depth)
    return stats


def request(prompt_tokens: int = 300, generated: int = 16) -> RequestStats:
    return RequestStats(prompt_tokens=prompt_tokens, generated_tokens=generated, stop_reason="eog")


@pytest.fixture
def service(start_service):
    options = {"completion": {"latency_target_ms": 1000, "speculate": False}}
    return lambda engine: start_service(engine, options)


def ask(service: CompletionService, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        text = f"value_{i} = compute({i})\n"  # a new place each time: no cache hit
        outcome = service.submit(DocumentSnapshot("k", text, len(text))).future.result(10)
        assert outcome.status == "ok" and outcome.stats.stop_reason == "stop"


def budgets_of(service: CompletionService) -> tuple[int, int, int]:
    return service.budgets.prefix, service.budgets.suffix, service.budgets.context


def test_a_profile_measured_under_load_heals_and_the_budgets_grow_back(service):
    engine = MeasuredEngine(rules=[Rule("", ("abcdefghijklmnop",))])
    s = service(engine)
    assert budgets_of(s) == (128, 16, 128)  # what SLOW leaves: the floors
    ask(s, MIN_SAMPLES - 1)
    assert budgets_of(s) == (128, 16, 128) and engine.kept == []  # a window first
    ask(s, 1, start=MIN_SAMPLES)
    assert budgets_of(s) == (384, 64, 256) == budgets_of_plan(TRUE)
    (kept,) = engine.kept
    assert kept.decode_ms == pytest.approx(TRUE.decode_ms)
    assert kept.prompt_ms == pytest.approx(TRUE.prompt_ms)
    assert s.status()["budgets"]["prefix"] == 384


def test_a_machine_that_got_busy_shrinks_the_budgets(service):
    engine = MeasuredEngine(rules=[Rule("", ("abcdefghijklmnop",))], measured=TRUE, true=SLOW)
    s = service(engine)
    assert budgets_of(s) == (384, 64, 256)
    ask(s, MIN_SAMPLES)
    assert budgets_of(s) == (128, 16, 128)
    assert engine.kept and engine.kept[0].decode_ms == pytest.approx(SLOW.decode_ms)


def test_healed_profiles_are_kept_at_most_once_an_interval_and_at_the_end(service):
    engine = MeasuredEngine(rules=[Rule("", ("abcdefghijklmnop",))])
    s = service(engine)
    now = [0.0]
    s._runner._clock = lambda: now[0]  # the interval, without waiting for it
    ask(s, MIN_SAMPLES)
    assert len(engine.kept) == 1
    engine.true = SLOW  # the load came back: heals again, within the interval
    ask(s, MIN_SAMPLES, start=100)
    assert budgets_of(s) == (128, 16, 128) and len(engine.kept) == 1
    now[0] = KEEP_INTERVAL_S + 1
    ask(s, 1, start=200)  # the next request after the interval writes it
    assert len(engine.kept) == 2 and engine.kept[1].decode_ms == pytest.approx(SLOW.decode_ms)
    engine.true = TRUE
    ask(s, MIN_SAMPLES, start=300)
    assert len(engine.kept) == 2  # held back...
    s.shutdown()
    s.join(5)
    assert len(engine.kept) == 3  # ...and written when the worker ends


def budgets_of_plan(profile: SpeedProfile) -> tuple[int, int, int]:
    b = plan_budgets(CONFIGURED, profile, 1000)
    return b.prefix, b.suffix, b.context


def feed(watch: SpeedWatch, requests: Sequence[RequestStats]) -> list[SpeedProfile | None]:
    return [watch.observe(r) for r in requests]


def test_the_watch_heals_the_prompt_figure_on_its_own():
    watch = SpeedWatch(TRUE.scaled(0.2, 1.0))  # prompt measured 5x too fast
    healed = feed(watch, [timed(request(), TRUE) for _ in range(MIN_SAMPLES)])
    assert healed[:-1] == [None] * (MIN_SAMPLES - 1)
    last = healed[-1]
    assert last is not None and last.prompt_ms == pytest.approx(TRUE.prompt_ms)
    assert last.call_ms == pytest.approx(TRUE.call_ms)
    assert last.decode_ms == pytest.approx(TRUE.decode_ms)  # the decode figure was right


def test_the_watch_ignores_noise_outliers_and_untimed_requests():
    watch = SpeedWatch(TRUE)
    noisy = [timed(request(), TRUE.scaled(1.3, 0.8)) for _ in range(20)]
    noisy[3::4] = [timed(request(), TRUE.scaled(10.0, 10.0)) for _ in noisy[3::4]]  # a build
    assert feed(watch, noisy) == [None] * 20
    cancelled = [timed(request(), SLOW) for _ in range(20)]
    for stats in cancelled:
        stats.stop_reason = "cancelled"
    assert feed(watch, cancelled) == [None] * 20
    # Whole-prompt evaluations do not tell the keystroke cost (far cheaper per token on a GPU).
    big = [timed(request(), TRUE.scaled(0.05, 1.0), evaluated=500) for _ in range(20)]
    assert feed(watch, big) == [None] * 20
    # Nor do requests that copied a saved state back (a file switch): the copy is no evaluation.
    switches = [timed(request(), TRUE.scaled(20.0, 1.0)) for _ in range(20)]
    for stats in switches:
        stats.restored_tokens = 300
    assert feed(watch, switches) == [None] * 20
    assert watch.profile == TRUE


@pytest.mark.parametrize(
    ("profile", "low", "high"),
    [
        # The 2-core reference (1.3B model): about the 32 tokens bench/README.md found best.
        (SpeedProfile(decode_ms=38.0, depth_ms=0.037, prompt_ms=12.5, call_ms=12.0), 24, 48),
        # An H200: the whole batch.
        (SpeedProfile(decode_ms=1.2, depth_ms=0.0005, prompt_ms=0.25, call_ms=1.9), 512, 512),
        # Hopeless: never below a keystroke batch.
        (SpeedProfile(decode_ms=1.0, depth_ms=0.0, prompt_ms=500.0), 8, 8),
    ],
)
def test_the_prompt_chunk_follows_the_measured_speed(profile, low, high):
    chunk = profile.prompt_chunk(512)
    assert low <= chunk <= high
    # A chunk costs at most half a typical suggestion (a key waits for the one in progress).
    if chunk > 8:
        assert profile.call_ms + chunk * (profile.prompt_ms - profile.call_ms / 8) <= (
            profile.suggestion_ms(384) / 2
        )
    # And a heal moves it: prompts twice as slow, a smaller chunk.
    if 8 < chunk < 512:
        assert profile.scaled(2.0, 1.0).prompt_chunk(512) < chunk


def test_a_re_plan_keeps_the_prompt_being_typed_into_until_the_new_one_is_in(service):
    """Re-planned budgets change a prompt whole: the document typed into keeps its prompt (and
    its KV cache) and switches once a prewarm has evaluated the new one."""
    engine = MeasuredEngine(rules=[Rule("", ("abcdefghijklmnop",))], measured=TRUE, true=SLOW)
    s = service(engine)
    head = "".join(f"value_{i} = compute({i})\n" for i in range(60))  # longer than any window

    def key(typed: str):
        text = head + typed
        outcome = s.submit(DocumentSnapshot("doc", text, len(text))).future.result(10)
        assert outcome.status == "ok"
        return outcome

    before = key("x")
    assert len(before.prefix_text) > 200  # a window of the configured 384 tokens
    ask(s, MIN_SAMPLES)  # other requests: the machine got busy, budgets shrink
    assert budgets_of(s) == (128, 16, 128)
    after = key("x=")
    assert after.prefix_text == before.prefix_text + "="  # the same window: the cache holds it
    assert after.prompt_pending
    deadline = time.monotonic() + 10
    while s.status()["prewarm"]["done"] < 1 and time.monotonic() < deadline:  # type: ignore[index]
        time.sleep(0.005)
    switched = key("x=1")
    assert len(switched.prefix_text) <= 128 and not switched.prompt_pending
    assert s.document_counts()["retired prompts"] == 0


def test_a_call_cost_measured_under_load_heals_from_single_token_keys():
    """The starter's profile taken on a busy machine (kept in speed.json on the reference VM):
    a quiet key evaluating one token costs the call's fixed part, far below that profile's."""
    loaded = SpeedProfile(decode_ms=13.8, depth_ms=0.002, prompt_ms=26.3, call_ms=84.3)
    quiet = SpeedProfile(decode_ms=15.0, depth_ms=0.0015, prompt_ms=4.55, call_ms=15.0)
    watch = SpeedWatch(loaded)
    keys = []
    for _ in range(MIN_SAMPLES):
        keys.append(timed(request(prompt_tokens=500), quiet, evaluated=1))
    healed = feed(watch, keys)[-1]
    assert healed is not None
    assert healed.batch_ms(1) == pytest.approx(quiet.batch_ms(1), rel=0.01)
    assert loaded.prompt_chunk(512) == 8  # the floor: every prompt in 8-token calls
    assert healed.prompt_chunk(512) >= 24
