"""A line written like the one above it, one name changed: the name that line goes on with,
changed the same way.

    reflect.Int8:          encodeInt8CondValue,
    reflect.Int16:         |            msgpack's encode_value.go: `encodeInt16CondValue`
    field.encoder = encodeInternedInterfaceValue
    field.decoder = |                   msgpack's types.go: `decodeInternedInterfaceValue`

Tables, switches and paired assignments are written this way; the words of the line alone
(`reflect`, `int`) fit every `encode*Value` of the package, and digits are no words at all.
The line hint (line_names.py) puts the names made here first when the file can use them. On
the 24 older evaluation sets: Go package hits +6/+4/0 of 1,228 at 256/512/1,024 tokens (all
msgpack's tables), nothing else moved.
"""

from __future__ import annotations

import re

from coderd.context.retrieve.line_sequence import line_start_before

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def analogues(text: str, line_start: int, line: str) -> tuple[str, ...]:
    """Names the cursor's line (`line`: its text before the name being typed, which starts at
    `line_start`) may go on with: where the line right above is indented the same and its
    names start as this line's do, all but one, the name that follows them there with that one
    changed as it is here. Empty otherwise."""
    if not line.strip() or line_start < 2:
        return ()
    start = line_start_before(text, line_start - 1)  # -1: too long to read
    above = text[start : line_start - 1] if start >= 0 else ""
    indent = line[: len(line) - len(line.lstrip())]
    if not above.startswith(indent) or above[len(indent) : len(indent) + 1].isspace():
        return ()
    mine, theirs = _IDENTIFIER.findall(line), _IDENTIFIER.findall(above)
    if not mine or len(theirs) <= len(mine):
        return ()
    changed = [i for i, (a, b) in enumerate(zip(theirs, mine, strict=False)) if a != b]
    if len(changed) != 1:
        return ()
    was, now = theirs[changed[0]], mine[changed[0]]
    return tuple(n for n in _substituted(theirs[len(mine)], was, now) if n not in theirs)


def _substituted(name: str, was: str, now: str) -> list[str]:
    """`name` with `was` written as `now` (`encodeInt8CondValue`, Int8 -> Int16), else with
    the part that differs between them (`encoder` -> `decoder`: en -> de) changed, once at
    each place it occurs and everywhere; its first letter's case kept at each place."""
    found = _replaced(name, was, now)
    if found:
        return found
    head = 0
    while head < min(len(was), len(now)) and was[head] == now[head]:
        head += 1
    tail = 0
    while tail < min(len(was), len(now)) - head and was[-1 - tail] == now[-1 - tail]:
        tail += 1
    core_was, core_now = was[head : len(was) - tail], now[head : len(now) - tail]
    if len(core_was) < 2 and not core_was.isdigit():
        return []  # one letter changed: it occurs anywhere
    return _replaced(name, core_was, core_now)


def _replaced(name: str, was: str, now: str) -> list[str]:
    if not was or not now:
        return []
    lower = name.lower()
    places = []
    at = lower.find(was.lower())
    while at >= 0:
        places.append(at)
        at = lower.find(was.lower(), at + len(was))
    out: list[str] = []
    for chosen in [[p] for p in places] + ([places] if len(places) > 1 else []):
        result, last = [], 0
        for p in chosen:
            first = now[0].upper() if name[p].isupper() else now[0].lower()
            result += [name[last:p], first + now[1:]]
            last = p + len(was)
        out.append("".join(result) + name[last:])
    return list(dict.fromkeys(out))
