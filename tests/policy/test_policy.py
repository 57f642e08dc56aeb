"""Tests for coderd.policy.plan: golden post-processing cases, streaming stop rules, and helpers."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from coderd.policy.finish import finalize
from coderd.policy.plan import (
    CompletionPlan,
    CursorContext,
    Mode,
    plan_completion,
    stop_index,
)
from coderd.policy.scope import indent_width

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CURSOR = "\u2588"
GOLDEN = Path(__file__).parent / "golden" / "policy_cases.toml"
CASES = tomllib.loads(GOLDEN.read_text(encoding="utf-8"))["case"]


def _ctx(document: str, language: str = "") -> CursorContext:
    assert document.count(CURSOR) == 1, "exactly one cursor marker"
    prefix, suffix = document.split(CURSOR)
    return CursorContext(prefix, suffix, language)


def _load(case: dict) -> tuple[CursorContext, CompletionPlan, str, str]:
    document, raw, expected = case["document"], case["raw"], case["expected"]
    if case.get("eol") == "crlf":
        document, expected = document.replace("\n", "\r\n"), expected.replace("\n", "\r\n")
    if case.get("raw_crlf"):
        raw = raw.replace("\n", "\r\n")
    ctx = _ctx(document, case.get("language", ""))
    return ctx, plan_completion(ctx, max_lines=case.get("max_lines", 12)), raw, expected


def _stream(plan: CompletionPlan, ctx: CursorContext, raw: str) -> tuple[int | None, int | None]:
    """Feed raw one character at a time; return (stop, length of text when it was first known)
    and check that a returned stop never changes afterwards."""
    stop, decided_at = None, None
    for n in range(len(raw) + 1):
        got = stop_index(plan, ctx, raw[:n])
        if stop is None:
            if got is not None:
                stop, decided_at = got, n
                assert got <= n
        else:
            assert got == stop, f"stop moved from {stop} to {got} at {n}"
    return stop, decided_at


def test_golden_file_is_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) >= 35 and len(set(names)) == len(names)
    for case in CASES:
        assert {"name", "document", "raw", "expected", "mode", "stop"} <= case.keys(), case
        assert case["mode"] in ("single-line", "multi-line")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden(case):
    ctx, plan, raw, expected = _load(case)
    assert plan.mode.value == case["mode"]
    assert finalize(plan, ctx, raw) == expected
    stop = stop_index(plan, ctx, raw)
    assert (-1 if stop is None else stop) == case["stop"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_streaming_is_stable_and_cut_preserves_result(case):
    ctx, plan, raw, expected = _load(case)
    stop, decided_at = _stream(plan, ctx, raw)
    if stop is not None:
        assert finalize(plan, ctx, raw[:stop]) == expected
        # Whatever the engine holds once told to stop (it may overshoot by a token) finalizes
        # alike: every text from the point where the stop became known on.
        for n in range(decided_at, len(raw) + 1):
            assert finalize(plan, ctx, raw[:n]) == expected


def test_golden_is_deterministic():
    for case in CASES:
        ctx, plan, raw, _ = _load(case)
        assert finalize(plan, ctx, raw) == finalize(plan, ctx, raw)


# ------------------------------------------------------------------ streaming decidability


def _decided(document: str, raw: str, language: str = "python", **kw) -> tuple[int | None, int]:
    ctx = _ctx(document, language)
    stop, at = _stream(plan_completion(ctx, **kw), ctx, raw)
    return stop, at


def test_dedent_is_decided_at_first_non_whitespace_char():
    raw = "\n    return a\nprint(1)\n"
    assert _decided("def f(a):█\n", raw) == (13, len("\n    return a\np"))


def test_blank_partial_line_is_undecided():
    ctx = _ctx("def f():█\n", "python")
    plan = plan_completion(ctx)
    assert stop_index(plan, ctx, "\n    x = 1\n") is None
    assert stop_index(plan, ctx, "\n    x = 1\n        ") is None


def test_possible_keyword_waits_then_decides():
    doc = "def f(x):\n    if x:█\n"
    ctx = _ctx(doc, "python")
    plan = plan_completion(ctx)
    body = "\n        a()\n"
    assert stop_index(plan, ctx, body + "    e") is None  # else? elif? except?
    assert stop_index(plan, ctx, body + "    el") is None
    assert stop_index(plan, ctx, body + "    els") is None
    assert stop_index(plan, ctx, body + "    else:\n") is None  # continuation: keep going
    assert stop_index(plan, ctx, body + "    r") == len(body) - 1  # no Python keyword: r...
    assert stop_index(plan, ctx, body + "    eq") == len(body) - 1


def test_closing_brace_waits_for_line_end():
    ctx = _ctx("if (x) {█\n", "javascript")
    plan = plan_completion(ctx)
    assert stop_index(plan, ctx, "\n  a();\n}") is None  # could still become `} else {`
    assert stop_index(plan, ctx, "\n  a();\n} else {\n") is None
    assert stop_index(plan, ctx, "\n  a();\n}\n") == len("\n  a();\n}")
    assert stop_index(plan, ctx, "\n  a();\n};\n") == len("\n  a();\n};")


def test_inside_existing_body_stops_at_any_line_at_opener_indent():
    ctx = _ctx("if (x) {█\n  old();\n}\n", "javascript")
    plan = plan_completion(ctx)
    # Existing body lines follow: the model's `}` (or `} else {`) must not be inserted.
    assert stop_index(plan, ctx, "\n  a();\n}") == len("\n  a();")


def test_single_line_stops_at_first_break_including_crlf():
    ctx = _ctx("x = █\n")
    plan = plan_completion(ctx)
    assert stop_index(plan, ctx, "foo") is None
    assert stop_index(plan, ctx, "foo\r") is None
    assert stop_index(plan, ctx, "foo\r\n") == 3
    assert stop_index(plan, ctx, "foo\nbar") == 3
    assert stop_index(plan, ctx, "\nfoo") == 0


def test_max_lines_is_decided_at_the_line_break():
    raw = "\n    a = 1\n    b = 2\n    c = 3\n"
    stop, at = _decided("def f():█\n", raw, max_lines=2)
    assert stop == len("\n    a = 1\n    b = 2") and at == stop + 1


def test_two_blank_lines_stop():
    stop, at = _decided("█", "x = 1\n\n\ny = 2\n")
    assert (stop, at) == (5, 8)


def test_random_texts_keep_streaming_invariants():
    """Fuzz: a stop never moves once given, and every text the engine can hold from then on
    finalizes like the cut text."""
    pieces = [
        "\n",
        "    ",
        "\t",
        "  ",
        "}",
        "} else {",
        "end",
        "else:",
        "x = 1",
        "return y",
        ")",
        "(",
        "foo(a, b)",
        "\r\n",
        " ",
        "# c",
        "done",
        "case 1:",
        "]",
        "😀",
        "</p>",
    ]
    docs = [
        ("def f(a):█\n", "python"),
        ("if (x) {█\n}\n", "javascript"),
        ("fn f() {\n    █\n}\n", "rust"),
        ("x = g(█)\n", "python"),
        ("[1].each do |x|█\n", "ruby"),
        ("y = █", ""),
        ("a(█b)", "go"),
        ("\r\nclass A:\r\n    █\r\n", "python"),
        ("<ul>█\n</ul>", "html"),
    ]
    rng = random.Random(1234)
    for document, language in docs:
        ctx = _ctx(document, language)
        plan = plan_completion(ctx, max_lines=5)
        for _ in range(150):
            raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
            stop, decided_at = _stream(plan, ctx, raw)
            result = finalize(plan, ctx, raw)
            if stop is not None:
                for n in [stop] + list(range(decided_at, len(raw) + 1)):
                    assert finalize(plan, ctx, raw[:n]) == result, (document, raw, n)
            assert result == "" or result.strip(), "whitespace-only results are dropped"
            if plan.mode is Mode.SINGLE_LINE:
                assert "\n" not in result
            if ctx.eol == "\r\n":
                assert "\n" not in result.replace("\r\n", "")


def test_partial_repeat_of_suffix_line_is_kept():
    ctx = _ctx("def f():█\n    xyz = 1\n", "python")
    assert finalize(plan_completion(ctx), ctx, "\n    x") == "\n    x"


def test_mid_line_keeps_one_separating_space():
    ctx = _ctx("x = █foo()", "python")
    assert finalize(plan_completion(ctx), ctx, "await   \n") == "await "
    end = _ctx("x = █)", "python")  # before a closer the space would be noise
    assert finalize(plan_completion(end), end, "a \n") == "a"


def test_balanced_overlap_with_auto_closed_brackets():
    ctx = _ctx("f(g(█))", "python")
    plan = plan_completion(ctx)
    assert finalize(plan, ctx, "x))") == "x"
    assert finalize(plan, ctx, "h(x))") == "h(x)"
    assert finalize(plan, ctx, '"(")') == '"("'  # the ( inside quotes opens nothing


# ------------------------------------------------------------------ planning


@pytest.mark.parametrize(
    "document, language, mode, reason",
    [
        ("x = 1█\n", "python", Mode.SINGLE_LINE, "end-of-line"),
        ("x = █", "python", Mode.SINGLE_LINE, "end-of-line"),
        ("foo(a, █)", "python", Mode.SINGLE_LINE, "end-of-line"),
        ("foo(█bar)", "python", Mode.SINGLE_LINE, "mid-line"),
        ("    █return x", "python", Mode.SINGLE_LINE, "mid-line"),
        ("if x:█", "python", Mode.MULTI_LINE, "opener"),
        ("if x: █  ", "python", Mode.MULTI_LINE, "opener"),
        ("foo(█)", "python", Mode.MULTI_LINE, "opener"),
        ("const f = (x) =>█", "typescript", Mode.MULTI_LINE, "opener"),
        ("fn f() ->█", "rust", Mode.MULTI_LINE, "opener"),
        ("xs.each do |x|█", "ruby", Mode.MULTI_LINE, "opener"),
        ("if [ -f x ]; then█", "shellscript", Mode.MULTI_LINE, "opener"),
        ("begin█", "pascal", Mode.MULTI_LINE, "opener"),
        ("def greet(name)█", "ruby", Mode.MULTI_LINE, "opener"),
        ("local function f(a)█", "lua", Mode.MULTI_LINE, "opener"),
        ("def greet(name)█", "", Mode.SINGLE_LINE, "end-of-line"),
        ("p.then█", "javascript", Mode.SINGLE_LINE, "end-of-line"),
        ("std::█", "cpp", Mode.SINGLE_LINE, "end-of-line"),
        ("# Example:█", "python", Mode.SINGLE_LINE, "end-of-line"),
        ("// TODO {█", "c", Mode.SINGLE_LINE, "end-of-line"),
        ("if x:  # positive█", "python", Mode.MULTI_LINE, "opener"),
        ("if (x) {  // hot path█", "c", Mode.MULTI_LINE, "opener"),
        ("print('#', x)█", "python", Mode.SINGLE_LINE, "end-of-line"),
        ("<ul>█", "html", Mode.MULTI_LINE, "opener"),
        ("<br>█", "html", Mode.SINGLE_LINE, "end-of-line"),
        ("<li>one</li>█", "html", Mode.SINGLE_LINE, "end-of-line"),
        ("x = {█}", "python", Mode.MULTI_LINE, "opener"),
        ("█", "", Mode.MULTI_LINE, "blank-line"),
        ("def f():\n    █", "python", Mode.MULTI_LINE, "blank-line"),
    ],
)
def test_plan_mode(document, language, mode, reason):
    plan = plan_completion(_ctx(document, language))
    assert (plan.mode, plan.reason) == (mode, reason)


def test_plan_indents():
    opener = plan_completion(_ctx("class A:\n    def f(self):█\n", "python"))
    assert (opener.opener_indent, opener.body_indent) == (4, 5)
    body = "class A:\n    def f(self):\n        x = 1\n        █"
    blank = plan_completion(_ctx(body, "python"))
    assert (blank.opener_indent, blank.body_indent) == (4, 8)
    top = plan_completion(_ctx("import os\n█", "python"))
    assert (top.opener_indent, top.body_indent) == (None, 0)
    no_autoindent = plan_completion(_ctx("    if x:\n█", "python"))
    assert (no_autoindent.opener_indent, no_autoindent.body_indent) == (4, 5)
    single = plan_completion(_ctx("x = █"), max_lines=0)
    assert (single.body_indent, single.opener_indent, single.max_lines) == (None, None, 1)


def test_cursor_context_lines_and_eol():
    ctx = CursorContext("a\r\nbc", "de\r\nf\r\n")
    assert (ctx.line_prefix, ctx.line_suffix, ctx.eol) == ("bc", "de", "\r\n")
    assert CursorContext("abc", "").line_prefix == "abc"
    assert CursorContext("", "xyz").line_suffix == "xyz"
    assert CursorContext("", "").eol == "\n"
    assert CursorContext("a\nb\r\nc\n", "").eol == "\n"  # mostly LF


@pytest.mark.parametrize(
    "text, width",
    [
        ("", 0),
        ("x", 0),
        ("    x", 4),
        ("\tx", 4),
        ("\t\tx", 8),
        ("  \tx", 4),
        ("\t  x", 6),
        ("   ", 3),
    ],
)
def test_indent_width_tabs_are_four_column_stops(text, width):
    assert indent_width(text) == width


def test_crlf_output_follows_document_not_model():
    ctx = _ctx("function f() {█\r\n}\r\n", "javascript")
    plan = plan_completion(ctx)
    assert finalize(plan, ctx, "\n  a();\n  b();\n}\n") == "\r\n  a();\r\n  b();"
    lf = _ctx("function f() {█\n}\n", "javascript")
    assert finalize(plan_completion(lf), lf, "\r\n  a();\r\n}\r\n") == "\n  a();"
