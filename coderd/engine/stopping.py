"""Where generated text stops: stop strings and rules, and the time budget.

Shared by the local engine and the remote backend, so a suggestion ends the same way whichever
produced it.
"""

from __future__ import annotations

from coderd.engine.base import GenerationLimits


def budget_cut(
    text: str, previous_len: int, overrun_s: float, limits: GenerationLimits
) -> int | None:
    """Once the time budget is spent, finish the line being written, not cut it mid-word.

    A line that goes on for another whole budget is cut at its last complete line (or where it
    is, if it has none): a late suggestion is worth little, a half line is worth less.
    """
    if overrun_s <= 0:
        return None
    newline = text.find("\n", previous_len)
    if newline >= 0:
        return newline
    if overrun_s > limits.time_budget_s:
        last = text.rfind("\n")
        return last if last > 0 else len(text)
    return None


def stop_position(text: str, previous_len: int, limits: GenerationLimits) -> int | None:
    cuts = []
    for stop in limits.stop_strings:
        found = text.find(stop, max(0, previous_len - len(stop) + 1))
        if found >= 0:
            cuts.append(found)
    if limits.stop_check is not None:
        cut = limits.stop_check(text)
        if cut is not None:
            cuts.append(cut)
    return min(cuts) if cuts else None
