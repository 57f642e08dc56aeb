"""How close a suggestion is to the masked text, as CrossCodeEval and RepoBench score it.

* exact match: equal after trailing whitespace (per line and at the end) is dropped;
* edit similarity: 1 - Levenshtein distance / length of the longer text (on the same
  normalised texts), 1.0 for two empty texts;
* identifier match: the identifiers (names, keywords) in order are the same (CrossCodeEval's
  identifier exact match), and their F1 over the two multisets.

Line samples (`line-rest`, `next-line`) are scored on the suggestion's first line only: the
masked text is one line, and what the model adds after it is what the editor would show past
the line the user wanted (it counts against nothing, as in CrossCodeEval's line-level task).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True)
class Scores:
    exact_match: bool
    edit_similarity: float
    identifier_match: bool
    identifier_f1: float
    empty: bool

    def as_dict(self) -> dict[str, float | bool]:
        return {
            "exact_match": self.exact_match,
            "edit_similarity": round(self.edit_similarity, 4),
            "identifier_match": self.identifier_match,
            "identifier_f1": round(self.identifier_f1, 4),
            "empty": self.empty,
        }


def normalise(text: str) -> str:
    """Line breaks as "\\n", no trailing whitespace on any line, no blank lines at the ends."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def scored_text(kind: str, suggestion: str) -> str:
    """The part of the suggestion a sample of `kind` is scored on."""
    if kind == "block":
        return suggestion
    return suggestion.replace("\r\n", "\n").split("\n", 1)[0]


def levenshtein(a: str, b: str) -> int:
    """Edits (insert, delete, substitute one character) that turn `a` into `b`."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def edit_similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest


def identifiers(text: str) -> list[str]:
    return _IDENTIFIER.findall(text)


def identifier_f1(predicted: list[str], expected: list[str]) -> float:
    if not predicted and not expected:
        return 1.0
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def score(kind: str, suggestion: str, expected: str) -> Scores:
    """The scores of one sample (`expected` is the masked text)."""
    got, want = normalise(scored_text(kind, suggestion)), normalise(expected)
    # A block's text keeps its indentation: the editor shows it as the model wrote it.
    got_ids, want_ids = identifiers(got), identifiers(want)
    return Scores(
        exact_match=got == want,
        edit_similarity=edit_similarity(got, want),
        identifier_match=got_ids == want_ids,
        identifier_f1=identifier_f1(got_ids, want_ids),
        empty=not suggestion.strip(),
    )
