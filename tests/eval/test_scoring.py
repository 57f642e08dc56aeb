"""Scores on known pairs: exact match, edit similarity, identifier match."""

from __future__ import annotations

import pytest

from coderd.eval.scoring import edit_similarity, levenshtein, score


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("same", "same", 0),
    ],
)
def test_levenshtein_on_known_pairs(a, b, distance):
    assert levenshtein(a, b) == distance == levenshtein(b, a)


def test_edit_similarity_on_known_pairs():
    assert edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert edit_similarity("", "") == 1.0
    assert edit_similarity("abc", "xyz") == 0.0


def test_exact_match_ignores_trailing_whitespace_only():
    assert score("line-rest", "return x  ", "return x").exact_match
    assert not score("line-rest", "return  x", "return x").exact_match
    assert score("block", "\n    a = 1\n    b = 2\n\n", "\n    a = 1   \n    b = 2").exact_match
    assert not score("block", "\n  a = 1", "\n    a = 1").exact_match  # indentation counts


def test_line_samples_are_scored_on_the_first_line_of_the_suggestion():
    scores = score("next-line", "total = a + b\nprint(total)", "total = a + b")
    assert scores.exact_match and scores.edit_similarity == 1.0
    block = score("block", "\n    x = 1\n    y = 2", "\n    x = 1")
    assert not block.exact_match and block.edit_similarity == pytest.approx(1 - 10 / 19)


def test_identifier_match_and_f1():
    same_names = score("line-rest", "foo(bar,baz)", "foo(bar, baz)")
    assert not same_names.exact_match and same_names.identifier_match
    assert same_names.identifier_f1 == 1.0
    half = score("line-rest", "foo(qux)", "foo(bar)")
    assert not half.identifier_match and half.identifier_f1 == pytest.approx(0.5)


def test_an_empty_suggestion_scores_zero_and_counts_as_empty():
    scores = score("line-rest", "", "value)")
    assert scores.empty and not scores.exact_match and scores.edit_similarity == 0.0
