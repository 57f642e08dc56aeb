"""The types whose methods the workspace's other files call on a name: receiver.py's first
guess for a receiver nothing types, before the type it is named after (`block.` in a mistune
plugin: the other plugins call `block.parse_axt_heading(`, a BlockParser method). Code names a
value the same way where it holds the same kind of thing, and calls the same few methods on
it. The index counts, per name, the files calling each member on it (FileSymbols.calls,
SymbolTables.calls_on).
Method hits +65/+52/+38 of 1,340 samples at 256/512/1,024 tokens on eleven sets (toml_edit +6,
sqlparse +8 at 256, a gain in 27 packages, url -1); the scan is 6 % of extraction time."""

from __future__ import annotations

from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.paths import beside_the_code
from coderd.context.retrieve.receiver_names import IDENTIFIER, MAX_TYPES, PARTS, SELVES
from coderd.context.retrieve.typed import TYPE_KINDS, TypeResolver

MAX_RESULT_HOMONYMS = 8  # methods of a call's name whose results are read (returned_types)
# What the file's own uses must add up to for a type (a member only it declares counts 1, one
# of two types' counts 1/2): two such members, or one and two shared.
MIN_USED_SCORE = 1.5


def called_on(index: WorkspaceIndex, rel: str, expression: str) -> dict[str, int]:
    """How many other files call each member on the receiver's last name (`self.block.` ->
    `block`), {} for a call's result or `self`."""
    last = PARTS.split(expression)[-1]
    if not IDENTIFIER.fullmatch(last) or last in SELVES:
        return {}
    return index.called_on(last, rel)


def called_types(index: WorkspaceIndex, rel: str, called: dict[str, int]) -> list[DefinitionRef]:
    """The MAX_TYPES types (defined in other files) owning the members of `called` most files
    call, a member several types define counting for each a share."""
    return _types_of(index, rel, _owner_scores(index, called))


def used_types(index: WorkspaceIndex, rel: str, used: frozenset[str]) -> list[DefinitionRef]:
    """The types (defined in other files) declaring the most of what the file itself uses
    through the receiver on other lines, attributes too (`elif event.is_attrib:`, then
    `event.is_modify`, `event.is_moved_from`: watchdog's InotifyEvent, whose properties no
    file calls); none unless the first declares at least MIN_USED_SCORE of them."""
    score = _owner_scores(index, dict.fromkeys(used, 1))
    found = _types_of(index, rel, score)
    return found if found and score[found[0].definition.name] >= MIN_USED_SCORE else []


def _owner_scores(index: WorkspaceIndex, counts: dict[str, int]) -> dict[str, float]:
    """Per type name, the counts of the members it declares, a member several types declare
    counting for each a share."""
    score: dict[str, float] = {}
    for member, count in counts.items():
        owners = {r.definition.container for r in index.lookup(member) if r.definition.container}
        for owner in owners:
            score[owner] = score.get(owner, 0.0) + count / len(owners)
    return score


def _types_of(index: WorkspaceIndex, rel: str, score: dict[str, float]) -> list[DefinitionRef]:
    """The MAX_TYPES types of the names in `score` (defined in other files), best first."""
    found: list[DefinitionRef] = []
    for owner in sorted(score, key=lambda o: (-score[o], o)):
        found += beside_the_code(
            [
                r
                for r in index.lookup(owner)
                if r.definition.kind in TYPE_KINDS and not r.definition.container and r.path != rel
            ],
            rel,
        )
        if len(found) >= MAX_TYPES:
            break
    return found[:MAX_TYPES]


def returned_types(resolver: TypeResolver, expression: str) -> list[DefinitionRef]:
    """A call's result nothing types (`item.decor_mut().`, its receiver untyped): what the
    project's methods of that name declare they return, when they agree on MAX_TYPES types
    or fewer (toml_edit's two `decor_mut` both return a Decor). The last guess, after the
    calls and the names: method hits +5/+3/+2 of 1,340 on eleven sets, none lost."""
    if not expression.endswith(")"):
        return []
    member = PARTS.split(expression[: expression.rfind("(")])[-1]
    if not IDENTIFIER.fullmatch(member) or member in SELVES:
        return []
    methods = [
        r for r in resolver.index.lookup(member) if r.definition.kind in ("method", "function")
    ]
    if len(methods) > MAX_RESULT_HOMONYMS:
        return []  # `new`, `get`: a name too common to say anything
    found: list[DefinitionRef] = []
    for method in methods:
        found += [t for t in resolver.results_of([method]) if t not in found]
    found = beside_the_code(found, resolver.rel)
    return found if len(found) <= MAX_TYPES else []


def imported_traits(resolver: TypeResolver) -> list[DefinitionRef]:
    """The last guess, in Rust: the traits the file imports whose methods it calls, those it
    calls most of first. Rust imports a trait only to call its methods: rand's uniform.rs
    imports FloatSIMDUtils to call `low.all_lt(`, `scale.finite_mask(` on macro-typed values."""
    symbols = resolver.index.file(resolver.rel)
    if resolver.language != "rust" or symbols is None:
        return []
    calls = {call.rpartition(".")[2] for call in symbols.calls}  # `low.all_lt(` -> all_lt
    score: dict[DefinitionRef, int] = {}
    for _, refs in resolver.scope.named:
        for ref in refs:
            if ref.definition.kind == "trait" and ref.path != resolver.rel and ref not in score:
                score[ref] = sum(m.definition.name in calls for m in resolver.members(ref))
    return sorted((t for t in score if score[t]), key=lambda t: -score[t])[:MAX_TYPES]
