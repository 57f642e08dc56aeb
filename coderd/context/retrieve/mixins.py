"""A mixin's `self` is also the classes it is mixed with: pyyaml's Composer calls
`self.peek_event()`, a method of Parser, which `class Loader(Reader, Scanner, Parser, Composer,
Constructor, Resolver)` puts beside it; feedparser's namespace classes call
`self._start_author()` of their siblings in `_FeedParserMixin`'s bases.

Only a class whose own code calls on `self` a method its own hierarchy lacks, and whose bases
are all the project's (a library's base, `dict` or `http.client.HTTPConnection`, may provide
the method), is read so: what mixes it in (the subclasses naming it as a base, those with
the most bases first) comes after it, then those subclasses' other bases. Python only:
elsewhere a type checker forbids the call.
"""

from __future__ import annotations

import re

from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.brackets import split_top
from coderd.context.retrieve.fields import definition_lines
from coderd.context.retrieve.resolving import Resolving

MAX_MIXERS = 2  # subclasses that mix the class in, those with the most bases first
MAX_COMPANIONS = 12  # classes added to `self`'s own
NEUTRAL_BASES = frozenset({"object", "ABC", "abc.ABC", "Generic", "t.Generic", "typing.Generic"})
_HEADER = re.compile(r"\s*class\s+\w+\s*\(([^)]*)\)")  # the bases as written
# `self` first, its word boundary after it: a pattern that opens with a literal is searched
# for by that literal, ten times faster than one that opens with `\b` (textual's Widget is
# 140 KB: about 5 ms of a profiled build).
_SELF_CALL = re.compile(r"self(?<!\wself)\.([A-Za-z_]\w*)\s*\(")
_SELF_SET = re.compile(r"self(?<!\wself)\.([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)")


def mixin_companions(
    resolver: Resolving, own: DefinitionRef, members: list[DefinitionRef]
) -> list[DefinitionRef]:
    """The classes `own` is mixed with, when its code calls on `self` what neither its
    `members` (its body's and its bases') nor its assigned attributes provide."""
    if resolver.language != "python":
        return []
    lines = definition_lines(resolver.index, own)
    if own.path == resolver.rel:  # the line being typed must not change what `self` is
        at = resolver.env.row - (own.definition.start_line - 1)
        lines = lines[:at] + lines[at + 1 :] if 0 <= at < len(lines) else lines
    text = "\n".join(lines)
    header = _HEADER.match(text)
    written = split_top(header.group(1), ",") if header else []
    for base in (b.strip() for b in written if "=" not in b):  # not `metaclass=...`
        # A library's base (dict, http.client's HTTPConnection) may provide the method.
        if base.split("[", 1)[0] not in NEUTRAL_BASES and not resolver.resolve_type(
            base, own.path, 1
        ):
            return []
    provided = {m.definition.name for m in members} | set(_SELF_SET.findall(text))
    missing = {n for n in _SELF_CALL.findall(text) if not n.startswith("__")} - provided
    if not missing:  # `self.__class__(...)` is object's
        return []
    found: list[DefinitionRef] = []
    # The classes that mix most in first: pyyaml's BaseConstructor has subclasses of its own
    # (SafeConstructor) before BaseLoader(Reader, Scanner, Parser, Composer, ...) in path order.
    mixers = sorted(
        (m for m in resolver.index.subclasses(own.definition.name) if m != own),
        key=lambda m: -len(m.definition.bases),
    )
    for mixer in mixers[:MAX_MIXERS]:
        found.append(mixer)
        for base in mixer.definition.bases:
            for ref in resolver.resolve_type(base, mixer.path, 1):
                if ref != own and ref not in found:
                    found.append(ref)
    return found[:MAX_COMPANIONS]
