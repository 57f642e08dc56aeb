"""Reading code text by its brackets: where a parenthesis closes, a list split at its top
level, a signature's parameter list. Text only: no syntax tree (a signature line, a type
as written, the line being typed)."""

from __future__ import annotations


def closing_parenthesis(text: str, start: int) -> int:
    """The index of the `)` closing the parenthesis opened right before `start` (-1: none)."""
    depth = 1
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def split_top(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside brackets and quotes."""
    parts, depth, start, quote = [], 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([<{":
            depth += 1
        elif ch in ")]>}":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def parameter_list(signature: str, name: str | None = None) -> tuple[str, int] | None:
    """(what a signature's parentheses hold, the index right after the closing one): the
    first parenthesis after `name` where it is given (`fn new<T: Into<String>>(name: T)`),
    else the first one; None when there is none or it does not close."""
    at = 0 if name is None else signature.find(name)
    if at < 0:
        return None
    opening = signature.find("(", at + len(name or ""))
    closing = closing_parenthesis(signature, opening + 1) if opening >= 0 else -1
    if closing < 0:
        return None
    return signature[opening + 1 : closing], closing + 1
