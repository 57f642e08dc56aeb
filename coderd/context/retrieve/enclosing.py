"""The function the cursor is in, and the members a function hands its work to: a wrapper
calls a member named like itself (`def get(self, key): return self._data.get(`), which the
receiver hint (receiver.py) lists first; the line hint (line_names.py) goes by the words of
the function's name too.
"""

from __future__ import annotations

import re

from coderd.context.retrieve.skeletons import subwords

# A function's first line: `def name`, `pub(crate) async fn name`, `func (s *T) Name`,
# `function name`, a TypeScript method `async name(a: T): R {` (not `if (x) {`). Only
# modifiers may come before the keyword: kombu's docstring line "Ensures function performing
# broker commands" was read as `function performing` (all sets: method +1/0/0, none lost).
_FUNCTION = re.compile(
    r"^(?P<a>\s*)(?:(?:(?:pub(?:\([\w: ]*\))?|async|export|default|unsafe|const|extern|static"
    r"|private|public|protected|override)\s+)*(?:def|fn|function\*?)\s+"
    r"|func\s*(?:\(\s*(?P<own>\w+)?[^)]*\)\s*)?)"
    r"(?P<name>[A-Za-z_$][\w$]*)"
    r"|^(?P<b>\s*)(?:(?:public|private|protected|static|async|override)\s+)*"
    r"(?P<method>[A-Za-z_$][\w$]*)\s*\([^()]*\)\s*(?::[^{]*)?\{\s*$"
)
_NOT_FUNCTIONS = frozenset({"if", "for", "while", "switch", "catch", "with", "return", "match"})
MAX_FUNCTION_LINES = 200  # looked up this far above the cursor for the function it is in


def enclosing_function(text: str, offset: int) -> tuple[str, str]:
    """The name of the function the cursor is in (the nearest function line above, less
    indented than the cursor's line; "" at the top level or past MAX_FUNCTION_LINES) and the
    name of a Go method's receiver (`func (l *Logger) Name(`: `l`), else ""."""
    start = text.rfind("\n", 0, offset) + 1
    indent = len(text[start:offset]) - len(text[start:offset].lstrip())
    top = start - 1
    for _ in range(MAX_FUNCTION_LINES):  # the lines above, not the whole file's
        if top <= 0:
            break
        top = text.rfind("\n", 0, top)
    for line in reversed(text[max(top + 1, 0) : max(start - 1, 0)].split("\n")):
        found = _FUNCTION.match(line)
        if found is None:
            continue
        spaces = found["a"] if found["name"] else found["b"]
        name = found["name"] or found["method"]
        if len(spaces) < indent and name not in _NOT_FUNCTIONS:
            return name, found["own"] or ""
    return "", ""


def delegates(name: str, function: str, own: bool = False) -> int:
    """How surely a member is what the function the cursor is in hands its work to: 2 for the
    same name (`def get(self, key): return self._data.get(`), 1 for a name that starts with
    the function's (`fn contains` calls `self.map.contains_key(`, `fn find_edge_undirected`
    `self.g.find_edge_undirected_from_node(`), or whose words, two or more, are all the
    function's (rq's `handle_job_failure` calls `job._handle_failure(`: sixteen sets, method
    +3/+3/+3 of 1,930, all rq, none lost). Sharing some words is not enough: inside
    `get_matches_with`, clap's `self.cmd.` has a dozen members about matches (eleven sets:
    method hits +5/-4 samples for shared words, +5/-1 for a shared start). `own`: the
    receiver is the function's own (`self.`, Go's `l.` in `func (l *T)`), whose same-named
    member is the function itself."""
    if not function:
        return 0
    if name == function:
        return 0 if own else 2  # `self.` calling the method it is in: rarely
    if _flat(name).startswith(_flat(function)):
        return 1
    words = subwords(name)
    return int(len(words) > 1 and words <= subwords(function))


def _flat(name: str) -> str:
    return name.replace("_", "").lower()
