"""Choosing the prompt budgets for the loaded engine (coderd/budget.py has the arithmetic)."""

from __future__ import annotations

import logging

from coderd.completion.budget import Budgets, plan_budgets
from coderd.config.settings import Settings
from coderd.engine.base import Engine

log = logging.getLogger(__name__)


def plan_for_machine(engine: Engine, settings: Settings) -> Budgets:
    """The configured budgets, sized to `completion.latency_target_ms` when the engine can
    measure its speed (the real one; the scripted and remote ones cannot)."""
    c = settings.completion
    configured = Budgets(c.prefix_tokens, c.suffix_tokens, settings.context.budget_tokens)
    if not engine.measures_speed or c.latency_target_ms <= 0:
        return configured
    try:
        profile = engine.speed_profile()
    except Exception as exc:  # a failed measurement only means the configured budgets
        log.warning("could not measure this machine's speed (%s); configured budgets used", exc)
        return configured
    if profile is None:
        return configured
    budgets = plan_budgets(configured, profile, c.latency_target_ms)
    log.info(
        "prompt budgets: prefix %d, suffix %d, context %d tokens (%s)",
        budgets.prefix,
        budgets.suffix,
        budgets.context,
        budgets.reason,
    )
    return budgets
