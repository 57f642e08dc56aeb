"""The check before display on real tree-sitter parses: keep, cut back, or drop."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.context.index.languages import parser_for
from coderd.policy.syntax_check import check_suggestion, check_suggestions
from coderd.testing.fake_engine import Rule, ScriptedEngine

PY = """def area(width, height):
    result = width * height
    |

def other():
    return 2
"""

TS = """function area(width: number): number {
|
}

const x = 1;
"""

GO = """package shapes

func Area(w int) int {
|
}

func Other() int {
	return 2
}
"""


def at_cursor(marked: str) -> tuple[str, int]:
    offset = marked.index("|")
    return marked[:offset] + marked[offset + 1 :], offset


def check(marked: str, suggestion: str, language: str) -> tuple[str, str]:
    text, offset = at_cursor(marked)
    checked = check_suggestion(text, offset, suggestion, language)
    return checked.text, checked.verdict


def test_python_keeps_good_code_cuts_an_unclosed_bracket_and_drops_a_stray_closer():
    assert check(PY, "return result", "python") == ("return result", "kept")
    cut = check(PY, "return result\n    print((result", "python")
    assert cut == ("return result", "cut")
    assert check(PY, "])", "python") == ("", "dropped")


def test_typescript_cuts_a_brace_that_closes_the_function_it_did_not_open():
    good = "  return width * width;"
    assert check(TS, good, "typescript") == (good, "kept")
    # The document's own `}` would be left unmatched: the suggestion closed its scope.
    assert check(TS, good + "\n}", "typescript") == (good, "cut")


def test_go_cuts_back_to_the_longest_part_that_parses():
    body = "\treturn w * w"
    assert check(GO, body, "go") == (body, "kept")
    assert check(GO, body + "\n}\n}", "go") == (body, "cut")
    # Closing the function and opening another is fine: the document's `}` closes that one.
    whole = body + "\n}\n\nfunc Extra() {"
    assert check(GO, whole, "go") == (whole, "kept")


def test_code_that_is_incomplete_anyway_is_not_dropped_mid_line():
    mid = "def f(items):\n    total = sum(|\n    return total\n"
    assert check(mid, "item.price for item in items)", "python")[1] == "kept"
    assert check(mid, "items", "python")[1] == "kept"  # still open, as it was
    opener = "def f(items):|\n\ndef g():\n    pass\n"
    body = "\n    # the body follows\n    return len(items)"
    assert check(opener, body, "python") == (body, "kept")


def test_a_language_without_a_grammar_is_left_unchecked():
    assert check("x = |", "((", "ruby") == ("((", "unchecked")


def test_the_index_tree_of_the_buffer_is_used_when_it_holds_the_same_text():
    text, offset = at_cursor(PY)
    source = text.encode()
    tree = parser_for("python").parse(source)
    end = tree.root_node.end_byte
    assert (
        check_suggestion(text, offset, "return (", "python", base=(source, tree)).verdict == "cut"
    )
    # The index's tree is copied, never edited: an edit would move its end and mark changes.
    assert tree.root_node.end_byte == end and not tree.root_node.has_changes
    stale = (b"x = (", parser_for("python").parse(b"x = ("))  # another text: parsed afresh
    assert check_suggestion(text, offset, "return result", "python", base=stale).verdict == "kept"


def test_check_suggestions_drops_the_broken_and_merges_duplicates_of_cuts():
    text, offset = at_cursor(PY)
    shown = check_suggestions(
        ["return result", "return result\n    ((", "])"], text, offset, "python", "a.py"
    )
    assert shown == ["return result"]


def settings_with(check: bool):
    options = {
        "completion": {"latency_target_ms": 0, "speculate": False, "syntax_check": check},
        "context": {"enabled": False},
    }
    return load_settings(
        config_path=Path("/nonexistent"), environ={}, init_options=options
    ).settings


@pytest.mark.parametrize(
    ("check", "shown"), [(True, "return result"), (False, "return result\n    print((result")]
)
def test_the_service_applies_the_check_when_the_setting_is_on(check, shown):
    engine = ScriptedEngine(rules=[Rule("", ("return result\n    print((result",))])
    service = CompletionService(settings_with(check), lambda _settings: engine)
    service.start()
    try:
        service.model_ready.result(timeout=10)
        text, offset = at_cursor(PY)
        outcome = service.submit(
            DocumentSnapshot("file:///a.py", text, offset, "python")
        ).future.result(10)
    finally:
        service.shutdown()
        service.join(5)
    assert outcome.text == shown
