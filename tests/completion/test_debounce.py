"""The adaptive debounce: no wait unless a decode costs more than the user's gap between keys."""

from __future__ import annotations

import pytest

from coderd.completion.debounce import COSTS_KEPT, TypingRhythm

DOC = "file:///a.py"


def typing(
    rhythm: TypingRhythm, gap: float, keys: int = 6, start: float = 100.0, key: str = DOC
) -> float:
    """Edits `gap` apart; returns the time of the last one."""
    at = start
    for k in range(keys):
        at = start + k * gap
        rhythm.edited(key, at=at)
    return at


def test_a_fast_engine_decodes_at_once_however_fast_the_keys():
    rhythm = TypingRhythm()
    last = typing(rhythm, gap=0.06)
    rhythm.decoded(0.025)  # a GPU: 16 tokens in 25 ms
    assert rhythm.debounce(DOC, limit_s=1.0, now=last + 0.005) == 0.0


def test_a_slow_engine_waits_while_keys_come_faster_than_a_decode():
    rhythm = TypingRhythm()
    last = typing(rhythm, gap=0.1)
    rhythm.decoded(0.6)  # two CPU cores: 16 tokens in 600 ms
    wait = rhythm.debounce(DOC, limit_s=1.0, now=last + 0.01)
    assert wait == pytest.approx(1.5 * 0.1 - 0.01)
    assert rhythm.debounce(DOC, limit_s=0.05, now=last + 0.01) == 0.05  # the setting caps it
    assert rhythm.debounce(DOC, limit_s=0.0, now=last + 0.01) == 0.0  # 0 turns it off


def test_slow_typing_on_a_slow_engine_does_not_wait():
    rhythm = TypingRhythm()
    last = typing(rhythm, gap=0.8)
    rhythm.decoded(0.6)
    assert rhythm.debounce(DOC, limit_s=1.0, now=last + 0.01) == 0.0


def test_a_request_after_a_pause_does_not_wait():
    rhythm = TypingRhythm()
    last = typing(rhythm, gap=0.1)
    rhythm.decoded(0.6)
    assert rhythm.debounce(DOC, limit_s=1.0, now=last + 1.0) == 0.0


def test_nothing_measured_yet_means_no_wait():
    rhythm = TypingRhythm()
    rhythm.decoded(0.6)
    assert rhythm.debounce(DOC, limit_s=1.0) == 0.0  # no edits
    fresh = TypingRhythm()
    last = typing(fresh, gap=0.1)
    assert fresh.debounce(DOC, limit_s=1.0, now=last) == 0.0  # no decode measured


def test_the_gap_comes_from_edits_not_from_requests():
    rhythm = TypingRhythm()
    last = typing(rhythm, gap=0.1)
    rhythm.decoded(0.6)
    for k in range(5):  # requests asked again and again (a sequential client) change nothing
        rhythm.debounce(DOC, limit_s=1.0, now=last + k * 0.3)
    assert rhythm.typing_gap(DOC) == pytest.approx(0.1)


def test_pauses_do_not_count_as_typing_speed():
    rhythm = TypingRhythm()
    for at in (0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 5.3):
        rhythm.edited(DOC, at=at)
    assert rhythm.typing_gap(DOC) == pytest.approx(0.1)


def test_a_busy_spell_ages_out():
    rhythm = TypingRhythm()
    last = typing(rhythm, gap=0.1)
    for _ in range(COSTS_KEPT):
        rhythm.decoded(2.0)  # measured while the machine was busy
    assert rhythm.debounce(DOC, limit_s=1.0, now=last) > 0
    for _ in range(COSTS_KEPT):
        rhythm.decoded(0.02)  # the machine is free again
    assert rhythm.debounce(DOC, limit_s=1.0, now=last) == 0.0


def test_forget_drops_the_document():
    rhythm = TypingRhythm()
    typing(rhythm, gap=0.1)
    assert list(rhythm.keys()) == [DOC]
    rhythm.forget(DOC)
    assert list(rhythm.keys()) == [] and rhythm.typing_gap(DOC) is None


def test_background_work_waits_for_a_pause_even_on_a_fast_engine():
    """A prompt switch in the background starts 1.5 usual gaps after the last edit, however
    fast the engine: an answer just before the next key leaves no idle time for it."""
    rhythm = TypingRhythm()
    last = typing(rhythm, gap=0.2)
    rhythm.decoded(0.025)  # a GPU: the decode itself never waits
    assert rhythm.debounce(DOC, limit_s=1.0, now=last + 0.05) == 0.0
    assert rhythm.until_paused(DOC, now=last + 0.05) == pytest.approx(1.5 * 0.2 - 0.05)
    assert rhythm.until_paused(DOC, now=last + 0.5) == 0.0  # paused already
    assert TypingRhythm().until_paused(DOC) == 0.0  # no edits reported: no key to wait for
    opened = TypingRhythm()
    opened.edited(DOC)
    assert opened.until_paused(DOC) == 0.0  # only the open: nobody types there


def test_before_a_document_has_a_rhythm_the_users_rhythm_elsewhere_stands_in():
    """The first key after an open: one gap (the open's wait) says nothing of the user's
    speed. The rhythm of the document typed in last stands in; with none, background work
    waits for the next edit (None) instead of starting at once, where the second key would
    wait for its chunk."""
    rhythm = TypingRhythm()
    rhythm.edited(DOC, at=100.0)  # didOpen
    rhythm.edited(DOC, at=103.0)  # the first key, after a wait
    assert rhythm.until_paused(DOC, now=103.05) is None
    typing(rhythm, gap=0.2, key="other.py")  # typed in before, at 100.0-101.0
    assert rhythm.until_paused(DOC, now=103.05) == pytest.approx(1.5 * 0.2 - 0.05)
