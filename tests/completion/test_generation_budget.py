"""The time budget finishes the line being written instead of cutting it mid-word."""

from coderd.engine.base import GenerationLimits
from coderd.engine.stopping import budget_cut as _budget_cut

LIMITS = GenerationLimits(time_budget_s=1.0)


def test_within_the_budget_nothing_is_cut():
    assert _budget_cut("x = compute(\n", 0, -0.1, LIMITS) is None


def test_past_the_budget_the_current_line_is_finished_first():
    text = "first_line()\nsecond_li"
    assert _budget_cut(text, len(text) - 2, 0.1, LIMITS) is None  # mid-line: go on


def test_past_the_budget_generation_stops_at_the_next_newline():
    text = "first_line()\nsecond_line()\nthi"
    previous = len("first_line()\nsecond_li")  # the piece just decoded was "ne()\nthi"
    assert _budget_cut(text, previous, 0.1, LIMITS) == len("first_line()\nsecond_line()")


def test_a_line_that_runs_on_for_another_budget_is_cut_at_its_last_complete_line():
    text = "ok()\n" + "x" * 400
    assert _budget_cut(text, len(text) - 1, 1.5, LIMITS) == len("ok()")
    assert _budget_cut("y" * 400, 399, 1.5, LIMITS) == 400  # no complete line: keep it all
