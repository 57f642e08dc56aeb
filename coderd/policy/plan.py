"""Completion policy: single- or multi-line, when to stop streaming, and post-processing.

Decoding runs at ~20 tokens/s on a laptop CPU, so the policy's main job is to stop generation
the moment the suggestion's end is known (``stop_index``), then clean the text (finish.py
``finalize``).
Pure functions over strings; no I/O. Internals: indentation is measured in columns with tabs
advancing to the next multiple of 4 (see :mod:`coderd.policy.scope`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from coderd.policy import scope as sc


class Mode(enum.Enum):
    SINGLE_LINE = "single-line"
    MULTI_LINE = "multi-line"


# What may follow the cursor without turning it into a "middle of the line" completion: the
# characters editors auto-close and statement punctuation.
CLOSING_TAIL = frozenset(")]}'\"`;, \t")


@dataclass(frozen=True)
class CursorContext:
    prefix: str  # document text before the cursor (possibly truncated at the start)
    suffix: str  # document text after the cursor (possibly truncated at the end)
    language_id: str = ""  # LSP languageId, e.g. "python"; may be empty

    @property
    def line_prefix(self) -> str:
        """Text of the cursor's line before the cursor."""
        return self.prefix[self.prefix.rfind("\n") + 1 :]

    @property
    def line_suffix(self) -> str:
        """Text of the cursor's line after the cursor, without its "\\n" / "\\r\\n"."""
        end = self.suffix.find("\n")
        line = self.suffix if end == -1 else self.suffix[:end]
        return line[:-1] if line.endswith("\r") else line

    @property
    def eol(self) -> str:
        """The document's line ending: "\\r\\n" when most of its breaks are CRLF, else "\\n"."""
        crlf = self.prefix.count("\r\n") + self.suffix.count("\r\n")
        lf = self.prefix.count("\n") + self.suffix.count("\n") - crlf
        return "\r\n" if crlf > lf else "\n"


@dataclass(frozen=True)
class CompletionPlan:
    mode: Mode
    # Multi-line: a generated line indented less than this (columns) leaves the scope.
    body_indent: int | None
    # Multi-line: indentation of the block's header; closers (`}`, `end`) and continuations
    # (`} else {`, `elif:`) are recognised at exactly this indentation. None: top level/unknown.
    opener_indent: int | None
    max_lines: int
    # Why this mode: "mid-line", "end-of-line", "opener" or "blank-line" (for logs and tests).
    reason: str = ""


def plan_completion(ctx: CursorContext, *, max_lines: int = 12) -> CompletionPlan:
    max_lines = max(1, max_lines)
    lp, ls = ctx.line_prefix, ctx.line_suffix
    lang = ctx.language_id
    if ls.strip() and not set(ls) <= CLOSING_TAIL:
        # Real code after the cursor: the suggestion can only fill this line.
        return CompletionPlan(Mode.SINGLE_LINE, None, None, max_lines, "mid-line")
    if not lp.strip():
        column = sc.indent_width(lp)
        prev = next((ln for ln in sc.iter_prefix_lines_reversed(ctx.prefix) if ln.strip()), None)
        if prev is not None and sc.opens_block(prev, lang) and column <= sc.indent_width(prev):
            # `if x:` then Enter without auto-indent: the body is whatever is deeper than the
            # header, however deep the cursor sits.
            header = sc.indent_width(prev)
            return CompletionPlan(Mode.MULTI_LINE, header + 1, header, max_lines, "blank-line")
        return CompletionPlan(
            Mode.MULTI_LINE,
            column,
            sc.enclosing_indent(ctx.prefix, column, lang),
            max_lines,
            "blank-line",
        )
    if sc.opens_block(lp, lang):
        header = sc.indent_width(lp)
        return CompletionPlan(Mode.MULTI_LINE, header + 1, header, max_lines, "opener")
    return CompletionPlan(Mode.SINGLE_LINE, None, None, max_lines, "end-of-line")


def stop_index(plan: CompletionPlan, ctx: CursorContext, text: str) -> int | None:
    """Index where the completion ends if `text` (generated so far) already shows it, else None.

    `text[:index]` is the completion without its terminating line break (a CRLF break is cut
    before its "\\r"). Once a value is returned, longer texts return the same value, and
    ``finalize(text) == finalize(text[:index])``. Linear in len(text).
    """
    return scan(plan, ctx, text, final=False)


def scan(plan: CompletionPlan, ctx: CursorContext, text: str, *, final: bool) -> int | None:
    if plan.mode is Mode.SINGLE_LINE:
        # Any line break ends it, even before content: at the end of a finished line a
        # leading "\n" means the model moved on to the next statement; that is "" here.
        nl = text.find("\n")
        if nl == -1:
            return None
        return nl - 1 if nl and text[nl - 1] == "\r" else nl
    return _scan_multi(plan, ctx, text, final)


_KEEP, _STOP_BEFORE, _INCLUDE_STOP, _UNDECIDED = range(4)


def _scan_multi(plan: CompletionPlan, ctx: CursorContext, text: str, final: bool) -> int | None:
    lp, lang = ctx.line_prefix, ctx.language_id
    opener = bool(lp.strip())
    base = sc.indent_width(lp)
    M = plan.opener_indent
    body = plan.body_indent if plan.body_indent is not None else 0
    scope = sc.analyze_suffix(ctx.line_suffix, ctx.suffix, M, lang)
    replay = sc.first_suffix_code_line(ctx.suffix)
    closes_line = opener and bool(ctx.line_suffix.strip())

    pos, i, last_end, blanks, counted = 0, 0, 0, 0, 0
    deeper_seen = prev_blank = False
    while True:
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else (nl - 1 if nl > pos and text[nl - 1] == "\r" else nl)
        line = text[pos:end]
        done = nl != -1 or final
        stripped = line.strip()
        if not stripped:
            if not done:
                return None  # only whitespace so far: indentation not known yet
            if i > 0 or not opener:  # an empty remainder of the opener line is not a blank line
                blanks += 1
                counted += 1
                if blanks >= 2:
                    return last_end
                prev_blank = True
        else:
            indent = sc.indent_width(lp + line if i == 0 else line)
            if i == 0 and opener:
                # The rest of the opener line (`def f(` -> `a, b):`). With an auto-closed tail
                # (`print(|)`), a first line that writes the closer finishes the suggestion.
                action = _KEEP
                if closes_line and done and sc.trailing_overlap(line.rstrip(), ctx.line_suffix):
                    action = _INCLUDE_STOP
            else:
                action = _classify(
                    stripped,
                    indent,
                    i,
                    done,
                    M,
                    body,
                    base,
                    scope,
                    lang,
                    not opener and deeper_seen and prev_blank,
                )
                if action == _KEEP and done and replay == (indent, stripped):
                    action = _STOP_BEFORE  # the model started replaying the suffix
            if action == _UNDECIDED:
                return None
            if action == _STOP_BEFORE:
                return last_end
            if action == _INCLUDE_STOP:
                return end
            last_end, blanks, prev_blank = end, 0, False
            counted += 1
            deeper_seen = deeper_seen or indent > base
        if nl == -1:
            return None
        if counted >= plan.max_lines:
            return last_end
        pos, i = nl + 1, i + 1


def _classify(
    stripped: str,
    indent: int,
    i: int,
    done: bool,
    M: int | None,
    body: int,
    base: int,
    scope: sc.SuffixScope,
    lang: str,
    new_paragraph: bool,
) -> int:
    """Decision for a non-blank generated line (not the opener line's remainder)."""
    if i == 0:
        # At a blank line the model cannot dedent; a lone closer there means "block is done",
        # which the document already says when its suffix closes or continues the block.
        if M is not None and scope.state != "open":
            if not done and sc.could_be_boundary(stripped, lang):
                return _UNDECIDED
            if done and sc.line_kind(stripped, lang) == "closer":
                return _STOP_BEFORE
        return _KEEP
    if M is not None and indent <= M:
        if indent < M or scope.state == "inside" or not sc.could_be_boundary(stripped, lang):
            return _STOP_BEFORE
        if not done:
            return _UNDECIDED  # `}` vs `} else {`, `end` vs `end = 3`: wait for the line end
        kind = sc.line_kind(stripped, lang)
        if kind == "continuation":
            return _STOP_BEFORE if stripped == scope.boundary else _KEEP
        if kind == "closer":
            if scope.state == "closed" and sc.closer_token(stripped) == scope.token:
                return _STOP_BEFORE  # the document already has this closer
            return _INCLUDE_STOP
        return _STOP_BEFORE
    if indent < body:
        return _STOP_BEFORE
    if new_paragraph and indent <= base:
        # At a blank line: after a finished block, a blank line and a statement back at the
        # cursor's column start the next unit (method, function); one unit per suggestion.
        return _STOP_BEFORE
    return _KEEP
