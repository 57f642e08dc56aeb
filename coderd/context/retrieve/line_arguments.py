"""An argument being typed: where the name at the cursor is an argument of a call opened on
its line or a few lines above, the parameter it fills says what it is by its name and type.

    c := &selfCollector{MustNewConstMetric(|      client_golang: `NewDesc` (desc.go), for
                                                   `MustNewConstMetric(desc *Desc, ...)`
    desc := NewDesc(|                             `BuildFQName`, for `NewDesc(fqName, ...`
    res = append(res, NewEventKey(|               tcell: `KeyRune`, for `NewEventKey(k Key, ...`

The line's own words name the function called (`must new const metric`), which its siblings
share; the parameter's words name the value wanted. The line hint (line_names.py) ranks the
names sharing them (`by_parameter`) right after those sharing the line's words. On the 26
older sets and `chest`: Go package names +5/+5/+2 of 1,658 at 256/512/1,024 tokens (all
client_golang), nothing else moved, nothing lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.brackets import parameter_list, split_top
from coderd.context.retrieve.line_words import words_in
from coderd.context.retrieve.scope import Scope

_CALLEE = re.compile(r"([A-Za-z_$][\w$]*)\s*$")
_NOT_CALLS = frozenset({"if", "for", "while", "switch", "return", "func", "fn", "def", "catch"})
_OPENERS, _CLOSERS = "([{", ")]}"
MAX_CALL_CHARS = 480  # read back from the cursor for the call it is in: six lines of 80


def argument_at(text: str, end: int) -> tuple[str, int] | None:
    """(the function called, which argument from 0) where `end` is inside the parentheses of
    a call (`NewEventKey(KeyRune, ` -> ("NewEventKey", 1)), opened on its line or on a line
    above (a call's arguments one to a line); None elsewhere: in a block, a list, a literal."""
    line = text[max(0, end - MAX_CALL_CHARS) : end]
    depth, commas = 0, 0
    for at in range(len(line) - 1, -1, -1):
        char = line[at]
        if char in _CLOSERS:
            depth += 1
        elif char in _OPENERS:
            if depth:
                depth -= 1
                continue
            if char != "(":
                return None  # a list or a literal's fields: no parameter to fill
            callee = _CALLEE.search(line, 0, at)
            if callee is None or callee.group(1) in _NOT_CALLS:
                return None
            return callee.group(1), commas
        elif char == "," and not depth:
            commas += 1
    return None


def callee_definitions(
    scope: Scope,
    own: Iterable[DefinitionRef],
    bare: Callable[[str], Iterable[DefinitionRef]],
    callee: str,
) -> list[DefinitionRef]:
    """The definitions a bare `callee` may call: the file's import of that name, else its own
    top-level definitions (`own`) and those of the files it uses bare (`bare(file)`: a Go
    package's other files) so named."""
    for local, refs in scope.named:
        if local == callee:
            return refs
    found = [ref for ref in own if ref.definition.name == callee]
    for file, _ in scope.open_files:
        found += [ref for ref in bare(file) if ref.definition.name == callee]
    return found


def parameter_words(definitions: list[DefinitionRef], place: int) -> frozenset[str]:
    """The words of the name and type of the `place`-th parameter of the first of
    `definitions` (those of a name, best first) that has one; `self` and a Go receiver are
    no parameters. Go's `fqName, help string` gives `fqName` the type after it."""
    for ref in definitions:
        d = ref.definition
        if d.kind not in ("function", "method"):
            continue
        parameters = _parameters(d.signature, d.name)
        if place < len(parameters):
            return words_in(parameters[place])
    return frozenset()


def _parameters(signature: str, name: str) -> list[str]:
    listed = parameter_list(signature, name)
    if listed is None:
        return []
    found = [p.strip() for p in split_top(listed[0], ",") if p.strip()]
    found = [p for p in found if p.lstrip("&").removeprefix("mut ") not in ("self", "cls")]
    # Go: a name without a type takes the next one's (`a, b int`).
    for i in range(len(found) - 2, -1, -1):
        bare, after = found[i], found[i + 1]
        if " " not in bare and ":" not in bare and " " in after and ":" not in after:
            found[i] = f"{bare} {after.split(' ', 1)[1]}"
    return found
