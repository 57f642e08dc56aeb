"""The receiver's members (retrieve/receiver.py) as comment lines for right above the cursor's
line: the receiver hint.

    x = ctx.            becomes, in the prompt only:     # ctx: Context (click/core.py)
                                                         #   def invoke(self, callback, ...):
                                                         #   def forward(self, cmd, ...):
                                                         x = ctx.

Comments in the file's own syntax, indented as the cursor's line, so the prompt still reads as
the file's code; each member on one line, as the context block lists members (render.py
`member_line`). It sits inside the prefix, not in the block at its head: only the hint and the
cursor's line are evaluated when it appears or changes, everything above stays in the KV cache
(prompt/builder.py). Its tokens are counted with the model's tokenizer and never pass `budget`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coderd.context.pack.render import member_line
from coderd.context.pack.shapes import comment_for
from coderd.context.retrieve.receiver import ReceiverMembers

MEMBER_INDENT = "  "  # a member under its type's line, after the comment marker


@dataclass(frozen=True)
class ReceiverHint:
    text: str  # whole comment lines, each ending with a line break
    ids: tuple[int, ...]  # `text` tokenised: what goes into the prompt
    chunks: tuple[dict, ...]  # path, lines, name, source "receiver": one per member shown


def render_hint(
    found: ReceiverMembers,
    *,
    current_path: str,
    indent: str,
    lines_of: Callable[[str], list[str] | None],
    tokenize: Callable[[str], list[int]],
    budget: int,
) -> ReceiverHint | None:
    """The hint in at most `budget` tokens, best members first; None when not even one member
    fits under its type's line. `lines_of(path)`: a file's lines (its open buffer's, if any)."""
    comment = comment_for(current_path)
    shown: list[str] = []
    chunks: list[dict] = []
    used = 0
    for owner, members in found.groups:
        lines = lines_of(owner.path)
        head = f"{indent}{comment} {found.receiver.expression}: "
        head += f"{owner.definition.name} ({owner.path})\n"
        cost = len(tokenize(head))
        group: list[str] = []
        for member in members:
            source = lines if member.path == owner.path else lines_of(member.path)
            if not source or member.definition.start_line > len(source):
                continue
            line = f"{indent}{comment} {MEMBER_INDENT}"
            line += member_line(source, member.definition).strip() + "\n"
            tokens = len(tokenize(line)) + (0 if group else cost)
            if used + tokens > budget:
                break
            group += [line] if group else [head, line]
            used += tokens
            d = member.definition
            chunks.append(
                {
                    "path": member.path,
                    "lines": [d.start_line, d.end_line],
                    "name": d.name,
                    "source": "receiver",
                }
            )
        shown += group
    while shown:
        text = "".join(shown)
        ids = tokenize(text)
        if len(ids) <= budget:  # pieces counted line by line may not add up exactly
            return ReceiverHint(text, tuple(ids), tuple(chunks[: _members(shown, comment)]))
        shown.pop()
        if shown and not shown[-1].startswith(f"{indent}{comment} {MEMBER_INDENT}"):
            shown.pop()  # a type's line with none of its members left
    return None


def _members(shown: list[str], comment: str) -> int:
    """How many of the lines are members (the chunks follow them in order)."""
    return sum(line.lstrip().startswith(f"{comment} {MEMBER_INDENT}") for line in shown)
