"""The names the cursor's line points at: where a bare name is being typed (no receiver before
it), the names the file can use bare (its imports, its Go package, `*` imports) that share
words with what the line says before it, or else with the name of the function it is in,
for the line hint (pack/hint.py `render_names`).

    YAML          = |          gin's binding.go: `yamlBinding` (binding/yaml.go)
    verifyCh chan *|           raft's api.go: `verifyFuture` (future.go)

The context block cannot use the cursor's line (it must stay the same while the user types);
the hint sits right above that line, inside the prefix, and depends on the text before the
name being typed: typing the name keeps it. Go package names missed at 256 tokens: 66 of 241
shared a word with the line, 57 of them among the ten names sharing most. With the hint: Go
package hits +62/+21/+7 of 895 at 256/512/1,024 tokens, imported names +31/+6/0 of 3,318;
words matched by plural, prefix and whole name (line_words.py) +13/+7/+4 and +6/+2/0 more;
the words of the enclosing function's name after the line's, package +32/+15/+4 more; after
a bare `case `, the words of the switch's other labels (go-toml's `case tokenLocalDate:`
among `case tokenLocalTime:`), those labels left out, +6/+2/0 of 975; first of all, the names
written elsewhere right after what the line says (line_follows.py), +38/+21/+3 of 988 and
imported names +24/+5/0 of 3,483. After the names sharing the line's words, those of the
same shape as the followers (first and last words: goldmark's `NewListParser` among the
`NewSetextHeadingParser()` lines above); a name that follows but is written above the
cursor's line already goes last (the model reads it in the prefix; import statements are no
use): Go package names +18/+15/+9 of 1,143 on the 35 Go packages that missed some, goldmark
+10/+10/+7. Shapes before the line's words lost msgpack's `reflect.Float32: encodeFloat32Value`
(its sibling file's `decode*Value` names took the room): -6/-3/0 there. A line written like
the one above with one name changed (`reflect.Int16:` under `reflect.Int8:
encodeInt8CondValue,`) puts that line's next name, changed the same way, first
(line_analogy.py): Go package +6/+4/0 of 1,228 on the 24 older sets (all msgpack), none lost.
The words of the comment lines right above (line_sequence.py `comment_above`) rank after the
function's, and bring names that share nothing else: goldmark's `// if code block line
starts with a tab` over `preserveLeadingTabInCodeBlock(`; package +7/+4/+2 of 1,228, imported
names +1/0/0 of 4,172, none lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from coderd.context.index.extract import Import
from coderd.context.index.line_edits import export_rows, import_rows
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.enclosing import enclosing_function
from coderd.context.retrieve.line_analogy import analogues
from coderd.context.retrieve.line_arguments import argument_at, callee_definitions, parameter_words
from coderd.context.retrieve.line_follows import (
    MIN_CONTEXT,
    context_of,
    first_word,
    shape,
    shapes,
)
from coderd.context.retrieve.line_sequence import (
    COMMENT_STARTS,
    LAST,
    comment_above,
    listed_above,
    ranked_after,
    successors,
)
from coderd.context.retrieve.line_words import LineWords, parts_of, words_in
from coderd.context.retrieve.scope import Scope

MAX_LINE_CHARS = 160  # of the line before the name: as for a receiver (receiver_text.py)
MAX_LINE_NAMES = 24  # the hint's budget keeps fewer; past these, nothing shares enough
MAX_CASE_LINES = 80  # looked at either way for a switch's other case labels
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_NAME_BEING_TYPED = re.compile(r"[A-Za-z_$][\w$]*$")
_LIFETIME = re.compile(r"'[A-Za-z_]\w*\b(?!')")


@dataclass(frozen=True)
class NameAt:
    end: int  # where the name being typed starts: the hint depends on the text before it
    words: frozenset[str]  # the words of the line before it
    function: frozenset[str] = frozenset()  # those of the name of the function it is in
    cases: frozenset[str] = frozenset()  # after `case `, those of the switch's other labels
    taken: frozenset[str] = frozenset()  # the names those labels are: never one again
    listed: tuple[str, ...] = ()  # the names of the lines above where the cursor is (a list)
    analogues: tuple[str, ...] = ()  # the line above's next name, changed as this line is
    comment: frozenset[str] = frozenset()  # the words of the comment lines right above
    argument: tuple[str, int] | None = None  # the call it is an argument of, which one


def name_at(text: str, offset: int) -> NameAt | None:
    """A bare name being typed (or about to be) at the cursor, and the words of its line
    before it; None after a member separator, in a comment or a string, or on a line that
    names nothing."""
    line_start = text.rfind("\n", max(0, offset - MAX_LINE_CHARS), offset) + 1
    before = text[max(line_start, offset - MAX_LINE_CHARS) : offset]
    typed = _NAME_BEING_TYPED.search(before)
    end = offset - (len(typed.group()) if typed else 0)
    line = before[: len(before) - (offset - end)]
    # Right after a separator: a member (a Rust `-> ` return type is no C `p->x`).
    if line.endswith((".", "::", "->", "?.")) or line.lstrip().startswith(COMMENT_STARTS):
        return None
    quotes = _LIFETIME.sub("", line)  # Rust's `&'a str` opens no string
    if quotes.count('"') % 2 or quotes.count("'") % 2 or quotes.count("`") % 2:
        return None  # inside a string
    words, function = words_in(line), words_in(enclosing_function(text, end)[0])
    taken: frozenset[str] = frozenset()
    if line.lstrip().startswith("case "):
        taken = _sibling_cases(text, line_start, len(line) - len(line.lstrip()))
        taken |= frozenset(_IDENTIFIER.findall(line))
    cases = words_in(" ".join(taken))
    listed = listed_above(text, line_start, line)
    comment = words_in(comment_above(text, line_start))
    if (
        not (words or function or cases or listed or comment)
        and len(context_of(line)) < MIN_CONTEXT
    ):
        return None
    analogous = analogues(text, line_start, line)
    return NameAt(
        end, words, function, cases, taken, listed, analogous, comment, argument_at(text, end)
    )


def _sibling_cases(text: str, line_start: int, indent: int) -> frozenset[str]:
    """The names in the other `case` labels of the cursor's switch (go-toml's `case
    tokenLocalDate:` among `case tokenLocalTime:`), up to MAX_CASE_LINES lines either way:
    lines as indented as the cursor's that are neither a case nor a `default` end it (Go's
    `switch` and `}`), more indented ones are a case's body."""
    found: set[str] = set()
    line_end = text.find("\n", line_start)
    above = text[max(0, line_start - MAX_CASE_LINES * MAX_LINE_CHARS) : line_start]
    below = (
        text[line_end + 1 : line_end + 1 + MAX_CASE_LINES * MAX_LINE_CHARS] if line_end >= 0 else ""
    )
    # Nearest first; `above` ends with the line break before the cursor's line.
    for lines in (above.split("\n")[::-1][1:MAX_CASE_LINES], below.split("\n")[:MAX_CASE_LINES]):
        for line in lines:
            code = line.strip()
            if not code or len(line) - len(line.lstrip()) > indent:
                continue
            if code.startswith("case "):
                found.update(_IDENTIFIER.findall(code[5:]))
            elif not code.startswith("default"):
                break
    return frozenset(found)


def line_names(
    index: WorkspaceIndex,
    rel: str,
    scope: Scope,
    at: NameAt,
    follows: dict[str, tuple[int, int]] | None = None,
    above: WrittenAbove | None = None,
) -> list[DefinitionRef]:
    """The names the file can use bare that follow the line's last tokens elsewhere
    (`follows`: name -> (how many tokens, how often), line_follows.py) or share a word with
    what `at` (name_at) says: `words` (the line's) or `function` (the name of the function
    the cursor is in: chi's `mx.handle(` in `func Post` goes on with `mPOST`) or, after `case `, with the
    switch's other labels (`cases`; the names they are, `taken`, never come again): those
    found after the most tokens first (a name shaped like those followers that shares a word
    of the line or the function counts as found after as many), most words of the line and
    the function first among them, then the most often, then most words of the line, then
    of the function, then of the `comment` right above, then fewest words of their own
    that neither says, then most words of
    the labels (before the fewest own words, pflag's `case *` among 20 `*xValue` labels
    lost 3 of 15), then the most used. Other names shaped like the followers come right after those
    sharing the line's words; a follower that `above` says the file writes above the cursor's
    line goes last. Below a list (`listed`: line_sequence.py), the names that go on with it
    come first, nearest successor first; before all, the `analogous` names
    (line_analogy.py) the file can use."""
    listed, analogous, taken = at.listed, at.analogues, at.taken
    found: dict[tuple[str, int], tuple[tuple[int, ...], DefinitionRef]] = {}
    family: list[DefinitionRef] = []
    first = first_word(listed[0]) if listed else ""
    said, named, labels = LineWords(at.words), LineWords(at.function), LineWords(at.cases)
    told_by, wanted = LineWords(at.comment), LineWords(_parameter(index, rel, scope, at))
    follows = follows or {}
    like = shapes(follows)

    def consider(ref: DefinitionRef, parts: frozenset[str]) -> None:
        name = ref.definition.name
        if first and ref.path != rel and first_word(name) == first:
            family.append(ref)
        shared, by_function = said.shared(name, parts), named.shared(name, parts)
        by_label = labels.shared(name, parts)
        by_comment = told_by.shared(name, parts)
        by_parameter = wanted.shared(name, parts) if wanted else 0
        level, count = follows.get(name, (0, 0))
        shaped = 0 if level or not like else like.get(shape(name) or ("", ""), 0)
        if name in analogous and ref.path != rel:
            found[(ref.path, ref.definition.start_line)] = ((0,), ref)
        elif (
            (shared or by_function or by_label or level or shaped or by_comment or by_parameter)
            and ref.path != rel
            and name not in taken
        ):
            own = len(parts) - shared - by_function
            seen = bool(level and above is not None and above(name))
            rest = (-shared, -by_parameter, -shaped, -by_function, -by_comment, own, -by_label)
            # A name shaped like the followers that shares the line's or the function's words
            # is as likely as they are (nats.go's `fmt.Sprintf(` in jsm.go: `apiConsumerListT`
            # among kv.go's `kv...Tmpl`); alone, a shape is not (msgpack: -6/-3/0 at 256). Go
            # package hits +5/+2/+1 of 1,228 (nats.go +2/+2/+1, miekg/dns +1/-1/0).
            lifted = level or (shaped if shared + by_function else 0)
            told = shared + by_function if lifted else 0  # the others: as before (go-toml -1/-1)
            key = (LAST, seen, -lifted, -told, -count, *rest)
            found[(ref.path, ref.definition.start_line)] = (key, ref)

    for file, _ in scope.open_files:
        for ref, parts in _top_level_words(index, file):
            consider(ref, parts)
    for _, refs in scope.named:
        for ref in refs:
            consider(ref, parts_of(ref.definition.name))
    if listed:
        written = above if above is not None else (lambda name: False)
        ranks = successors(listed, family, written) if family else {}
        going_on = [
            (ranks[ref.definition.name], ref) for ref in family if ref.definition.name in ranks
        ]
        # A list of the names the file imports (astroid's ALL_NODE_CLASSES tuple) goes on in
        # the order they are imported or in alphabetical order.
        imported = ranked_after(listed, [name for name, _ in scope.named], written)
        going_on += [
            (imported[name], ref) for name, refs in scope.named if name in imported for ref in refs
        ]
        for rank, ref in going_on:
            if ref.path != rel:
                place = (ref.path, ref.definition.start_line)
                old = found.get(place)
                if old is None or old[0][0] > rank:
                    found[place] = ((rank, *old[0][1:]) if old else (rank,), ref)
    popular = index.popularity({ref.definition.name for _, ref in found.values()}, rel)
    ranked = sorted(
        found.values(),
        key=lambda item: (
            item[0],
            -popular.get(item[1].definition.name, 0),
            item[1].path,
            item[1].definition.start_line,
        ),
    )
    return [ref for _, ref in ranked[:MAX_LINE_NAMES]]


def _parameter(index: WorkspaceIndex, rel: str, scope: Scope, at: NameAt) -> frozenset[str]:
    """The words of the parameter the name at the cursor is an argument for (line_arguments)."""
    if at.argument is None:
        return frozenset()
    bare = lambda file: (ref for ref, _ in _top_level_words(index, file))  # memoised per file
    callee, place = at.argument
    return parameter_words(callee_definitions(scope, bare(rel), bare, callee), place)


class WrittenAbove:
    """Whether a name is written above the cursor's line, its import statements (and Python's
    `__all__`) aside: there the model reads it in the prefix, and the hint's room is better
    spent on a name it does not (as the block ranks names used above the cursor last)."""

    def __init__(self, text: str, end: int, imports: Iterable[Import]) -> None:
        self._text = text[: text.rfind("\n", 0, end) + 1]
        self._imports = imports
        self._skip: set[int] | None = None  # rows of import statements, found on first need

    def __call__(self, name: str) -> bool:
        text = self._text
        start = text.find(name)
        while start >= 0:
            end = start + len(name)
            if _bounded(text, start, end) and text.count("\n", 0, start) not in self._skipped():
                return True
            start = text.find(name, end)
        return False

    def _skipped(self) -> set[int]:
        if self._skip is None:
            lines = self._text.split("\n")
            self._skip = import_rows(lines, self._imports)
            if "__all__" in self._text:
                self._skip |= export_rows(lines)
        return self._skip


def _bounded(text: str, start: int, end: int) -> bool:
    """No identifier character right before `start` nor at `end`."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "_$" or after.isalnum() or after in "_$")


def _top_level_words(index: WorkspaceIndex, file: str) -> tuple:
    """A file's top-level definitions with their words, kept per version of the file in the
    index's memos: raft's 502 package names cost 1.9 ms a line split anew, 0.8 ms kept."""

    def split() -> tuple:
        symbols = index.file(file)
        return tuple(
            (DefinitionRef(file, d), parts_of(d.name))
            for d in (symbols.definitions if symbols else ())
            if not d.container and d.kind != "impl"
        )

    return index.memos.name_words.setdefault((file, index.version(file)), split)
