"""The types a receiver that nothing types is named after (receiver.py's guess): `editor` ->
Editor, `error_store` -> ErrorStore, `highlight_text` -> Text, `state` -> BlockState and
InlineState, `tlist` -> TokenList. An untyped parameter (Python, JavaScript) or a destructured
one is most often named after its type; a guess all the same (ReceiverMembers.guessed).
"""

from __future__ import annotations

import re

from coderd.context.index.tables import NAME_WORDS  # `currentMutation` -> current, Mutation
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.paths import beside_the_code
from coderd.context.retrieve.typed import TYPE_KINDS

MAX_TYPES = 2  # a receiver typed as a union, or by homonyms: the first two
MIN_NAMED = 3  # a receiver named like a type (named_types): `ctx`, `req` name no type alone
SELVES = frozenset({"self", "this", "cls", "super", "Self"})
PARTS = re.compile(r"\?\.|\.|::")
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def named_types(index: WorkspaceIndex, rel: str, expression: str) -> list[DefinitionRef]:
    """The types a receiver that nothing typed is named after: `editor` -> Editor, `self.app`
    -> App, `error_store` -> ErrorStore; none when more than MAX_TYPES are. An untyped
    parameter (Python, JavaScript) or a destructured one is most often named after its type;
    a call's result is named after the method, not the type (`into_iter()` is no IntoIter).
    On the tuned sets a third of the receivers left untyped matched such a name, half of them
    with the gold among its members, the rest a base or subclass of it or a homonym. Else the
    one or two types whose name ends in its last word: `state` -> mistune's BlockState and
    InlineState, `client` -> QueryClient (index.ending_in); method hits +20/+16/+18 of 1,182
    at 256/512/1,024 on the ten sets (mistune +8, markdown +4, query-core +4/+2/0)."""
    last = PARTS.split(expression)[-1]
    word = last.strip("_$")
    if not IDENTIFIER.fullmatch(last) or len(word) < MIN_NAMED or word in SELVES:
        return []
    whole = {word[0].upper() + word[1:], "".join(p[:1].upper() + p[1:] for p in word.split("_"))}
    # Else its last word: `highlight_text` -> Text, `currentMutation` -> Mutation.
    words = NAME_WORDS.findall(word)
    tail = {words[-1].capitalize()} if len(words) > 1 and len(words[-1]) >= MIN_NAMED else set()
    for names in (whole, tail):
        found = [
            ref
            for name in sorted(names)
            for ref in index.lookup(name)
            if ref.definition.kind in TYPE_KINDS and ref.path != rel
        ]
        if found:
            found = beside_the_code(found, rel)
            return found if len(found) <= MAX_TYPES else []
    # Else the types whose name ends in that word: `state` -> BlockState, InlineState.
    found = [
        ref
        for ref in index.ending_in(words[-1].lower() if len(words[-1]) >= MIN_NAMED else "")
        if ref.definition.kind in TYPE_KINDS and ref.path != rel
    ]
    if not found and len(words) == 1:  # an abbreviation: `tlist` -> TokenList, not IdentifierList
        found = _abbreviated(index, rel, word.lower())
    found = beside_the_code(found, rel)
    return found if len(found) <= MAX_TYPES else []


def _abbreviated(index: WorkspaceIndex, rel: str, word: str) -> list[DefinitionRef]:
    """Types whose leading words' initials and whole last word spell `word`: sqlparse's
    filters take `tlist` (TokenList) everywhere; method hits +21/+17/+7 there, with static
    methods' first parameter no longer taken for `self` (infer.py)."""
    for cut in range(1, min(3, len(word) - MIN_NAMED) + 1):
        initials, last = word[:cut], word[cut:]
        found = [
            ref
            for ref in index.ending_in(last)
            if ref.definition.kind in TYPE_KINDS
            and ref.path != rel
            and "".join(w[0] for w in NAME_WORDS.findall(ref.definition.name)[:-1]).lower()
            == initials
        ]
        if found:
            return found
    return []
