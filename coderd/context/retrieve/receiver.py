"""The receiver right before the cursor (`ctx.`, `cmd.Root().Fl`, `Number::`), its type, and
that type's members, best first: what the next token most likely names.

The context block never reads the cursor's line (it must stay byte-identical while the user
types there), so it can only guess which types' members a line will call; the expression before
the cursor says it. receiver_text.py finds that expression; this types it the way the block's
own retrieval types names (typed.py, on the parse with the cursor's line blanked, infer.py). It
ranks the members without the partial name typed after the separator, so that the list stays
the same while the user types the member's name: the prompt then keeps it in the KV cache
(prompt/builder.py puts it right above the cursor's line).

#13's evaluation with a 256-token hint on top of the block (bench/README.md, session 15):
method recall at 256 / 1,024 tokens of block 0.37 / 0.73 -> 0.66 / 0.82 on the five tuned
sets, 0.26 / 0.60 -> 0.44 / 0.66 on the held-out ones, where half the receivers stay untyped;
module attributes 0.75 / 0.91 -> 0.88 / 0.93 and 0.78 / 0.93 -> 0.90 / 0.94.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.blanket import with_extensions
from coderd.context.retrieve.enclosing import delegates, enclosing_function
from coderd.context.retrieve.expected import (
    by_line,
    expected_for,
    fits,
    line_words,
    named_by_head,
)
from coderd.context.retrieve.fields import definition_lines
from coderd.context.retrieve.infer import environment
from coderd.context.retrieve.infer_parse import ParseMemo
from coderd.context.retrieve.line_follows import followers
from coderd.context.retrieve.members import (
    beside_used,
)
from coderd.context.retrieve.receiver_calls import (
    called_on,
    called_types,
    imported_traits,
    returned_types,
    used_types,
)
from coderd.context.retrieve.receiver_modules import (
    module_members,
    uses_through,
    value_members,
)
from coderd.context.retrieve.receiver_names import MAX_TYPES, SELVES, named_types
from coderd.context.retrieve.receiver_text import Receiver
from coderd.context.retrieve.scope import module_files_in, scope_of
from coderd.context.retrieve.skeletons import is_dunder, ranked_members
from coderd.context.retrieve.typed import TYPE_KINDS, TypeResolver
from coderd.context.retrieve.visibility import inside, reachable, trait_impls

MAX_FIELDS = 12  # fields named in the hint's line of them
MAX_VARIANTS = 16  # an enum's variants named in the hint's line of them
# A variant at the top level of an enum's body: `Bytes(ClassBytes),`, `Up = 1,`, `Empty`.
_VARIANT = re.compile(r"\s*([A-Za-z_$][\w$]*)\s*(?:[,({=]|$)")
_SELF_FIELD = re.compile(
    r"\bself\.([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)"
)  # `self.x = `, `self.x: T =`
_CALL = re.compile(r"\([^()]*\)")
_SELF_PARAMETER = re.compile(r"\(\s*(?:&\s*(?:'\w+\s+)?)?(?:mut\s+)?self\b")


@dataclass(frozen=True)
class ReceiverMembers:
    receiver: Receiver
    groups: tuple[tuple[DefinitionRef, tuple[DefinitionRef, ...]], ...]  # type, its members
    fields: tuple[tuple[str, ...], ...] = ()  # per group: the fields its type declares
    variants: tuple[tuple[str, ...], ...] = ()  # per group: an enum's variants
    guessed: bool = False  # typed by its name alone (named_types), not by what it holds


def receiver_types(resolver: TypeResolver, expression: str) -> list[DefinitionRef]:
    """The types `expression`, written at the cursor, has (typed.py)."""
    expression = expression.replace("?.", ".")
    if expression.endswith(")"):
        callee = _CALL.sub("()", expression[: expression.rfind("(")])
        if "()" in callee:  # a call on a call's result: `cmd.Root().Find()`
            base, _, member = callee.rpartition(".")
            owners = receiver_types(resolver, base) if base else []
            return resolver.member_results(owners, member)
        return resolver.call_result(callee, resolver.rel)
    if expression == "Self":  # Rust's `Self::from_ordinal_date(...)`: the impl's type
        return resolver.receiver_types()
    if "::" in expression:
        return resolver.resolve_type(expression, resolver.rel)
    found = resolver.value_types(expression)
    if not found and "." not in expression:
        found = resolver.resolve_type(expression, resolver.rel)  # `Cls.` on a class
    return found


def receiver_members(
    index: WorkspaceIndex,
    rel: str,
    text: str,
    receiver: Receiver,
    near: frozenset[str],
    memo: ParseMemo | None = None,
    text_of: Callable[[str], str | None] | None = None,
) -> ReceiverMembers | None:
    """The receiver's types defined in other files of the workspace, each with its members best
    first (public before private, those most files use first, then by the words around the
    cursor: skeletons.ranked_members); for a module alias, the module's names the same way.
    None when it has no type found, or no such member. A type of the current file is left
    out: the prefix and suffix show it already."""
    symbols = index.file(rel)
    if symbols is None:
        return None
    language = symbols.language
    scope = scope_of(index, rel, symbols, language)
    files = scope.modules.get(receiver.expression)
    if not files and language == "rust" and "::" in receiver.expression:
        files = module_files_in(index, rel, receiver.expression)  # `super::ser::`
    if files:  # `utils.`, `pkg.`: a module alias
        used, above = uses_through(text, receiver)
        module = module_members(index, rel, files, language, near, used, above)
        wanted = expected_for(text, receiver)
        if module is not None:  # `isinstance(node, nodes.`: types; `const base = AST.`
            words = line_words(text, receiver)
            module = (module[0], by_line(module[1], wanted, words, language))
        return ReceiverMembers(receiver, (module,)) if module is not None else None
    held = value_members(index, rel, scope, receiver.expression, near)
    if held is not None:  # `timeoutProvider.`: an imported object literal, a TS namespace
        return ReceiverMembers(receiver, (held,))
    env = environment(index, rel, text, receiver.end, language, memo)
    resolver = TypeResolver(index, rel, scope, env, language)
    types = receiver_types(resolver, receiver.expression)
    guessed = not types
    if guessed and re.split(r"[^\w$]", receiver.expression, maxsplit=1)[0] in scope.outside:
        return None  # `core_schema.` from pydantic_core: a project type named alike is no guess
    # Nothing types it: the types whose methods other files call on that name, else those it
    # is named after (the calls first: +2/+2/+4 against the name first); and a guess's list
    # starts with what the others call (on a typed receiver that lost 19/5/4 at 256/512/1,024).
    called = called_on(index, rel, receiver.expression) if guessed else {}
    used, above = uses_through(text, receiver)  # those above, the prefix shows: last
    types = (
        types
        or used_types(index, rel, used)
        or called_types(index, rel, called)
        or named_types(index, rel, receiver.expression)
        or returned_types(resolver, receiver.expression)
        or imported_traits(resolver)
    )
    types = [t for t in types if t.definition.kind in TYPE_KINDS][:MAX_TYPES]
    if language == "rust":  # then the extension traits its types have (all, for a trait)
        concrete = [t for t in types if t.definition.kind != "trait"]
        types = with_extensions(types, index, rel, scope, concrete)
    groups, fields, variants = [], [], []
    # What the files most like this one write after the same tokens (`text_of` reads them).
    follows = followers(index, rel, text, receiver.end, text_of) if text_of else {}
    expected = expected_for(text, receiver)
    words = line_words(text, receiver)
    function, own = enclosing_function(text, receiver.end)
    own_receiver = receiver.expression in SELVES or receiver.expression == own
    # A Rust associated type (`type Item;`, `type Iter = Chars;`) follows `Type::`, never `x.`.
    dotted = language == "rust" and text[receiver.end - 1 : receiver.end] == "."
    for owner in types:
        members = [
            m
            for m in reachable(index, owner, resolver.members(owner), rel)
            if m.path != rel
            and not is_dunder(m.definition.name)
            and not (dotted and m.definition.kind == "type")
        ]
        # The definition's text, read once for both (Python fields, an enum's variants).
        lines = (
            definition_lines(index, owner)
            if owner.path != rel and (language == "python" or owner.definition.kind == "enum")
            else []
        )
        declared = _field_names(resolver, owner, rel, lines)
        cases = _variant_names(owner, lines)
        if not members and not declared and not cases:
            continue
        # One line per name: overloads, and a base's method its subclass overrides (the
        # override comes first: typed.py lists a type's own members before its bases').
        once = list({m.definition.name: m for m in reversed(members)}.values())[::-1]
        popular = index.popularity({m.definition.name for m in once}, rel)
        # Members declared next to one the file calls through this receiver: clap's
        # debug_asserts calls `cmd.get_name()`, and Command's other getters are beside it.
        by_block: dict[tuple[str, str], list[Definition]] = {}
        for m in once if used else ():
            by_block.setdefault((m.path, m.definition.container), []).append(m.definition)
        beside = frozenset().union(
            *(beside_used(ds, used, container) for (_, container), ds in by_block.items())
        )
        ranked = ranked_members(
            once,
            {},
            popular,
            near,
            earlier=above,
            private_too=receiver.expression in SELVES,
            beside=beside,
        )
        if follows:  # written after the same tokens elsewhere; the signals below outrank it
            ranked.sort(key=lambda m: _after_most(follows, m.definition.name, above))
        if words:
            ranked.sort(key=lambda m: -words.shared(m.definition.name))
        if expected is not None:  # `if cmd.` goes on with a predicate: those first
            ranked.sort(key=lambda m: -fits(m.definition, expected, language))
        ranked.sort(key=lambda m: -called.get(m.definition.name, 0))  # what others call on it
        if called and expected is not None and expected.words:
            # ... but on a guess, a member named like what the line assigns comes first:
            # fsspec's `file_sizes = fs.` goes on with `sizes`, whatever else `fs` is called.
            # 24 older sets: method +0/+1/+1 of 3,170; coffer +2/+2/+2 (the two it came from).
            ranked.sort(key=lambda m: -named_by_head(m.definition.name, expected))
        if function:  # a wrapper hands its work to a member named like itself: first
            ranked.sort(key=lambda m: -delegates(m.definition.name, function, own_receiver))
        through_traits = trait_impls(index, owner)
        on_type = language == "rust" and text[receiver.end - 2 : receiver.end] == "::"
        ranked.sort(key=lambda m: (inside(m, through_traits), on_type and _takes_self(m)))
        groups.append((owner, tuple(ranked)))
        fields.append(declared)
        variants.append(cases)
    if not groups:
        return None
    return ReceiverMembers(receiver, tuple(groups), tuple(fields), tuple(variants), guessed)


def _takes_self(member: DefinitionRef) -> bool:
    """A Rust method, not an associated function: `Type::` goes on with `new`,
    `with_capacity` (toml_edit's `Array::with_vec`) far more often than with a method. Listed
    after the associated functions there: method hits +5/+5/+4 on the ten sets, none lost."""
    return _SELF_PARAMETER.search(member.definition.signature) is not None


def _variant_names(owner: DefinitionRef, lines: list[str]) -> tuple[str, ...]:
    """An enum's variants (Rust, TypeScript), in order: what `Class::` most often goes on with,
    and no definitions of the index. Read off the top level of the enum's body (`lines`)."""
    if owner.definition.kind != "enum":
        return ()
    names: list[str] = []
    depth = 0
    for line in lines:
        code = line.strip()
        if depth == 1 and not code.startswith(("#", "//", "/*", "*", "@")):
            found = _VARIANT.match(line)
            if found:
                names.append(found.group(1))
        depth += code.count("{") + code.count("(") - code.count("}") - code.count(")")
    return tuple(names[:MAX_VARIANTS])


def _field_names(
    resolver: TypeResolver, owner: DefinitionRef, rel: str, lines: list[str]
) -> tuple[str, ...]:
    """The fields `owner` declares (struct fields, annotated attributes, what its constructor
    sets from a typed parameter; in Python any `self.x = ...` in its `lines` too), public
    ones first, at most MAX_FIELDS: `ctx.obj`, `r.URL` are no definitions, yet as often what
    the cursor's line goes on with."""
    if owner.path == rel:
        return ()
    names = [name for name in resolver.fields(owner) if not is_dunder(name)]
    for line in lines if resolver.language == "python" else ():
        names += [n for n in _SELF_FIELD.findall(line) if n not in names]
    names.sort(key=lambda name: name.startswith("_"))
    return tuple(names[:MAX_FIELDS])


def _after_most(
    follows: dict[str, tuple[int, int]], name: str, above: frozenset[str]
) -> tuple[int, int]:
    """Members written after the most tokens before the cursor's member elsewhere (`if not
    cmd.` in the folder's files most like this one: line_follows.py), then most often; not
    those called through the receiver above (the prefix shows them). Before the words of the
    line, the expected result and the enclosing function's name, not after them: method hits
    +22/+19/+15 of 2,469 at 256/512/1,024 tokens on all sets (module 0/-1/-1); after them,
    -33/-18/-4; counting only three tokens, +24/+11/+7."""
    level, count = follows.get(name, (0, 0)) if name not in above else (0, 0)
    return (-level, -count)
