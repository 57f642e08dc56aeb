"""brackets.py: code text read by its brackets (signatures, types as written)."""

from __future__ import annotations

from coderd.context.retrieve.brackets import closing_parenthesis, parameter_list, split_top


def test_a_parenthesis_closes_at_its_own_depth() -> None:
    assert closing_parenthesis("f(a, g(b), c) + 1", 2) == 12
    assert closing_parenthesis("f(a, g(b", 2) == -1


def test_a_list_splits_at_its_top_level_only() -> None:
    assert split_top("a: dict[str, int], b=(1, 2), c='x,y'", ",") == [
        "a: dict[str, int]",
        "b=(1, 2)",
        "c='x,y'",
    ]


def test_a_signature_s_parameter_list_follows_its_name() -> None:
    signature = "pub fn new<T: Into<String>>(name: T, f: fn(u8) -> u8) -> Self"
    inner, end = parameter_list(signature, "new") or ("", 0)
    assert inner == "name: T, f: fn(u8) -> u8" and signature[end:] == " -> Self"
    assert parameter_list("def run(self, x=(1, 2)):")[0] == "self, x=(1, 2)"
    assert parameter_list("def run(self, x", "run") is None  # unclosed
    assert parameter_list("class Run:", "Run") is None and parameter_list("f(x)", "g") is None
