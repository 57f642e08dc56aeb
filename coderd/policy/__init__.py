"""Completion policy: single or multi-line before the engine runs, and the cut after it."""
