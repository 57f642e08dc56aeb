"""The suggestion to show: the generated text cut at the stop rule (plan.py `scan`), what the
document already has trimmed (the rest of the line, the suffix's next lines, an auto-closed
bracket), and line breaks in the document's style. Pure functions over strings.
"""

from __future__ import annotations

from coderd.policy import scope as sc
from coderd.policy.plan import CLOSING_TAIL, CompletionPlan, CursorContext, Mode, scan


def finalize(plan: CompletionPlan, ctx: CursorContext, text: str) -> str:
    """The suggestion to show: cut at the stop rule, trim what the document already has,
    "" when nothing useful is left; line breaks in the document's style."""
    cut = scan(plan, ctx, text, final=True)
    if cut is not None:
        text = text[:cut]
    text = text.replace("\r\n", "\n")
    if not text.strip():
        return ""
    if plan.mode is Mode.SINGLE_LINE:
        text = _finish_single(ctx, text)
    else:
        text = _finish_multi(plan, ctx, text.rstrip())
    if not text.strip():
        return ""
    return text.replace("\n", "\r\n") if ctx.eol == "\r\n" else text


def _strip_double_space(ctx: CursorContext, first: str) -> str:
    # After `x = ` a leading " 5" would give `x =  5`; after `f(a,` the space in " b)" is wanted.
    lp = ctx.line_prefix
    if lp.strip() and lp[-1] in " \t":
        return first.lstrip(" \t")
    return first


def _finish_single(ctx: CursorContext, text: str) -> str:
    ls = ctx.line_suffix
    stripped = text.rstrip()
    tail = text[len(stripped) :]
    if ls[:1].strip() and not set(ls) <= CLOSING_TAIL and tail[:1] in (" ", "\t"):
        # Mid-line before code: in `foo(|bar)` the space of "x, " separates it from `bar`.
        stripped += tail[0]
    text = _strip_double_space(ctx, stripped)
    if ls.lstrip().startswith(text.strip()):
        return ""  # the model replayed what follows the cursor
    # The editor auto-closed `)` and the model wrote it too: drop the model's copy.
    return text[: len(text) - sc.trailing_overlap(text, ls)]


def _finish_multi(plan: CompletionPlan, ctx: CursorContext, text: str) -> str:
    lp, ls = ctx.line_prefix, ctx.line_suffix
    lines = text.split("\n")
    opener = bool(lp.strip())  # else the cursor sits on a blank line
    if opener:
        # Line 0 continues the opener line: whitespace alone there is trailing junk, but the
        # newline that follows is what puts the body on its own line, so it stays.
        lines[0] = _strip_double_space(ctx, lines[0]) if lines[0].strip() else ""
    else:
        # At a blank line a leading newline would leave the cursor's line empty; take the code
        # up to the cursor's line when it is indented like the cursor.
        k = 0
        while k < len(lines) - 1 and not lines[k].strip():
            k += 1
        if k and lines[k].startswith(lp):
            lines = [lines[k][len(lp) :]] + lines[k + 1 :]
    lines = _drop_replayed_tail(ctx, lines, opener)
    text = "\n".join(lines).rstrip()
    suffix = ctx.suffix.replace("\r\n", "\n")
    if not text.strip() or (suffix.startswith(text) and suffix[len(text) : len(text) + 1] in "\n"):
        return ""  # the completion is the suffix's next whole line(s)
    if len(lines) == 1 or "\n" not in text:
        return text[: len(text) - sc.trailing_overlap(text, ls)]
    head = ls.strip()
    if opener and head and head[0] in sc.CLOSE_CHARS and plan.opener_indent is not None:
        last = text[text.rfind("\n") + 1 :]
        if sc.indent_width(last) > plan.opener_indent:
            # `{|}`: the body goes between the braces, so the `}` needs its own line back.
            text += "\n" + lp[: len(lp) - len(lp.lstrip())]
    return text


def _drop_replayed_tail(ctx: CursorContext, lines: list[str], opener: bool) -> list[str]:
    """Drop the completion's last lines when they repeat the suffix's first lines (same
    indentation and text: a `}` closing an inner block is not the suffix's outer `}`)."""
    if ctx.line_suffix.strip():
        return lines
    keyed = []  # (index, indent, stripped) of lines that may be dropped
    for i, line in enumerate(lines):
        if line.strip() and not (opener and i == 0):
            full = ctx.line_prefix + line if i == 0 else line
            keyed.append((i, sc.indent_width(full), line.strip()))
    if not keyed:
        return lines
    wanted = []
    for line in sc.iter_suffix_lines(ctx.suffix):
        if line.strip():
            wanted.append((sc.indent_width(line), line.strip()))
            if len(wanted) == len(keyed):
                break
    for k in range(len(wanted), 0, -1):
        if [(ind, s) for _, ind, s in keyed[-k:]] == wanted[:k]:
            return lines[: keyed[-k][0]]
    return lines
