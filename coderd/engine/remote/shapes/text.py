"""The prompt as text, the one input of every shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PromptText:
    """The prompt's parts as text, in the order they are laid out (stable part first)."""

    context: str  # repository context ("# path" headers and code), "" for none
    prefix: str
    suffix: str
