"""What the cursor's line expects a member to give back, and which members give it.

`if !arg.` goes on with a predicate (`is_positional`), `c.` alone on its line with a call made
for its effect (`c.Abort()`), `subCmd, _, err := c.` with a method of three results (`Find`),
`let x = cmd.` with anything but a method that returns nothing. A type of 200 members (clap's
Command) shows ten of them in the receiver hint: sorted by popularity alone, the builder methods
every test calls came first whatever the line around them. This reads the line before the
receiver (stable while the member's name is typed) and each member's declared result, from its
signature as written; a member that declares nothing is unknown (Python, TypeScript) unless
its name asks a question (`is_bare`), and in Go and Rust returns nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coderd.context.index.extract import Definition
from coderd.context.index.readers import DefinitionRef
from coderd.context.retrieve.brackets import parameter_list, split_top
from coderd.context.retrieve.line_words import LineWords, stem, words_in
from coderd.context.retrieve.receiver_text import Receiver
from coderd.context.retrieve.skeletons import last_word, subwords

# The line before the receiver, for each expectation. A condition: `if`, `while`, `elif`,
# `assert`, a boolean operator, a negation, a Rust filter-like closure (`.filter(|a| `).
_CONDITION = re.compile(
    r"(?:(?:^|[\s(])(?:if|elif|while|and|or|not|assert|assert!\()|&&|\|\||!|"
    r"\.(?:filter|any|all|position|find|take_while|skip_while)\(\|[^|]*\|)\s*\(?\s*$"
)
# A type: `isinstance(node, nodes.`, `except errors.`, `raise`, `new`, a base class.
_TYPE = re.compile(
    r"(?:\b(?:isinstance|issubclass)\([^,()]*,\s*\(?|\bexcept\s*\(?|\b(?:raise|new|instanceof)"
    r"|\bclass\s+\w+\s*\(|\b(?:extends|implements))\s*$"
)
_OPTION_BINDING = re.compile(r"\b(?:if|while)\s+let\s+Some\s*\(.*=\s*$")  # `if let Some(x) =`
_ASSIGNMENT = re.compile(r"^(.*?)(?<![=!<>:+\-*/%&|^])(?::=|=)\s*$")  # `x =`, `a, b :=`
# `identifiers = list(`: the receiver is an argument, the target still names what it gives.
_ASSIGNED_CALL = re.compile(r"^(.*?)(?<![=!<>:+\-*/%&|^])(?::=|=)\s*[\w.:]+\(\s*$")
# A loop's variables name what the member gives: `for long_alias in sc.`, `for objPartInfo :=
# range c.`, `for (const route of tree.`.
_LOOP = re.compile(
    r"^\s*for\s*(?:\(\s*)?(?:(?:const|let|var|mut)\s+)?(.+?)\s*(?:\bin|\bof|:=\s*range)\s*$"
)
_LET = re.compile(r"^\s*(?:let|const|var|auto)\s+(?:mut\s+)?")
_RETURN = re.compile(r"^\s*return\s*$")
_STATEMENT = re.compile(r"^\s*(?:defer\s+|go\s+|await\s+)?$")  # the receiver starts it
# What may stand between an assignment and its value: `await`, `try`, `&mut`, `*`.
_WRAPPED = re.compile(r"(?:\b(?:await|yield|try)\s+|(?<!&)&\s*(?:mut\s+)?|\*)+$")

# Words that name no value: an error, a keyword (subwords drops `get`, `set`, `self`).
_NO_NAME = frozenset({"err", "error", "let", "mut", "var", "const", "this"})

# A member's result, from the text after its parameters.
UNIT, BOOL, OPTION, VALUE = "unit", "bool", "option", "value"
_TYPES = frozenset({"class", "struct", "interface", "enum", "trait", "type"})
_VALUES = frozenset({"constant", "variable"})
_UNIT_TYPES = frozenset({"", "()", "None", "void", "Promise<void>", "undefined", "never"})
_BOOL_TYPES = frozenset({"bool", "boolean", "Bool"})
_PREDICATE = re.compile(r"_?(?:is|has|can|should|needs|supports)(?:_|[A-Z]|$)")
# What introduces a written result (Go writes it right after the parameters).
_RESULT_MARKS = {
    "rust": "->",
    "python": "->",
    "go": "",
    "typescript": ":",
    "tsx": ":",
    "javascript": ":",
}
_OPTIONAL = re.compile(
    r"^(?:Option<|Optional\[|t\.Optional\[|typing\.Optional\[)|\|\s*(?:None|undefined|null)\b"
)


@dataclass(frozen=True)
class Expected:
    kind: str  # "condition", "option", "value", "statement", "type"
    arity: int = 1  # values a multiple assignment takes (`a, b := x.`)
    last: bool = False  # a statement right before its block's `}`: in Rust, the block's value
    words: frozenset[str] = frozenset()  # of the names assigned (`let required = cmd.`)
    head: str = ""  # the last of them, which names the thing (`file_sizes`: `size`)


def expected_at(line_before: str, next_line: str = "") -> Expected | None:
    """What the text from the line's start to the receiver expects of the member; None when
    it says nothing (an argument, a chain going on from the line above). `next_line`: the
    next line that is not blank."""
    if _STATEMENT.match(line_before):
        return Expected("statement", last=next_line.lstrip().startswith("}"))
    line_before = _WRAPPED.sub("", line_before)  # `x = await y.`, `let r = &mut z.`
    if _TYPE.search(line_before):
        return Expected("type")
    if _OPTION_BINDING.search(line_before):
        return Expected("option")
    if _CONDITION.search(line_before):
        return Expected("condition")
    if _RETURN.match(line_before):
        return Expected("value")
    loop = _LOOP.match(line_before)
    if loop:
        return Expected("value", words=_stems(loop.group(1)), head=_head(loop.group(1)))
    assigned = _ASSIGNMENT.match(line_before)
    if assigned is None:  # `identifiers = list(tlist.`: an argument, named by the target
        wrapped = _ASSIGNED_CALL.match(line_before)
        if wrapped is None:
            return None
        return Expected("value", words=_stems(wrapped.group(1)), head=_head(wrapped.group(1)))
    targets = _LET.sub("", assigned.group(1)).strip()
    if targets.startswith("(") and targets.endswith(")"):  # `let (nodes, edges) =`
        targets = targets[1:-1]
    if ":" in targets and not targets.endswith(":"):  # `x: T =`, `let y: Ix =`: one target
        targets = targets.split(":")[0]
    arity = len([t for t in split_top(targets, ",") if t.strip()]) or 1
    return Expected("value", arity, words=_stems(targets), head=_head(targets))


def named_like(member: Definition, expected: Expected, language: str) -> bool:
    """Whether the member's name, or the type it declares it returns, shares a word with the
    names the line assigns: `let groups = cmd.` goes on with `get_groups`, `identifiers =
    list(tlist.` with `get_identifiers`, `job = queue.` with `enqueue_call(...) -> 'Job'`."""
    if not expected.words:
        return False
    if not _stems(member.name).isdisjoint(expected.words):
        return True
    written = written_result(member, language) or ""
    return not _stems(written).isdisjoint(expected.words)


def line_words(text: str, receiver: Receiver) -> LineWords:
    """The words of the line before the receiver, the receiver's own aside (all of a module's
    names may share them): `c.setHeader(request, Cookies.` says `header`, `request`."""
    start = max(receiver.end - len(receiver.expression) - 2, 0)
    before = text[text.rfind("\n", 0, start) + 1 : start]
    return LineWords(words_in(before, receiver.expression))


def by_line(
    members: tuple[DefinitionRef, ...],
    expected: Expected | None,
    words: LineWords,
    language: str = "",
) -> tuple[DefinitionRef, ...]:
    """A module's names, those the line expects first (a type after `isinstance(x, mod.`, a
    predicate after `if pyd.`, a name sharing a word with what it assigns), then those
    sharing the line's words; among equals in the order given. Module hits +13/+6/+4 of 1,450
    at 256/512/1,024 with the type's members the same way (method +6/+1/0 of 2,350); what the
    members' results fit, as for a type's, +13/+7/+5 of 1,658 more (pydash +5/+3/+3)."""

    def order(member: DefinitionRef) -> tuple[int, int]:
        d = member.definition
        wanted = (
            kind_fit(d, expected)
            + named_like(d, expected, language)
            + fit(result_of(d, language), expected, language)
            if expected
            else 0
        )
        return -wanted, -words.shared(d.name)

    return tuple(sorted(members, key=order))


def _head(targets: str) -> str:
    """The last word of the last name assigned, as _stems writes it (`file_sizes` -> `size`)."""
    last = last_word(targets)
    return stem(last) if len(last) > 2 and last not in _NO_NAME else ""


def named_by_head(name: str, expected: Expected) -> int:
    """2 when `name` has the word the line's assigned name ends with (`file_sizes = fs.`:
    `sizes`), 1 when it shares another of its words (`get_file`), else 0."""
    if not expected.words:
        return 0
    stems = _stems(name)
    return (
        2 if expected.head and expected.head in stems else int(not stems.isdisjoint(expected.words))
    )


def _stems(text: str) -> frozenset[str]:
    """Words of the identifiers in `text` (skeletons.subwords), a plural's `s` dropped."""
    words = subwords(text) - _NO_NAME
    return frozenset(stem(w) for w in words if len(w) > 2)


def result_of(definition: Definition, language: str) -> str:
    """UNIT, BOOL, OPTION, VALUE, "tuple:N", or "" (unknown) for a method or function."""
    rest = _after_parameters(definition)
    if rest is None or language not in _RESULT_MARKS:
        return ""
    written = _written(rest, language)
    if written is None:  # Python, TypeScript: no result written
        return _by_name(definition.name)
    if written in _UNIT_TYPES:
        return UNIT
    if written in _BOOL_TYPES:
        return BOOL
    if written.startswith("(") and written.endswith(")") and language in ("go", "rust"):
        parts = [p for p in split_top(written[1:-1], ",") if p.strip()]
        return f"tuple:{len(parts)}" if len(parts) > 1 else VALUE
    return OPTION if _OPTIONAL.search(written) else VALUE


def written_result(definition: Definition, language: str) -> str | None:
    """The result type a method or function declares, as written; "" in Go and Rust for
    none (nothing returned), None where no result is written (or it is no function)."""
    rest = _after_parameters(definition)
    return None if rest is None or language not in _RESULT_MARKS else _written(rest, language)


def _written(rest: str, language: str) -> str | None:
    """written_result from the signature's text after the parameters."""
    mark = _RESULT_MARKS[language]
    if language == "go":
        written = rest.removesuffix("{")  # `(interface{}, error)`: braces of its own
    elif not rest.startswith(mark):
        return "" if language == "rust" else None
    else:
        written = rest[len(mark) :].split(" where ")[0].rstrip(":").removesuffix("{")
    return written.strip().strip("'\"")


def _after_parameters(definition: Definition) -> str | None:
    """A function's signature after its parameters, on one line; None for no function."""
    if definition.kind not in ("method", "function"):
        return None
    found = parameter_list(definition.signature, definition.name)
    return " ".join(definition.signature[found[1] :].split()) if found else None


def _by_name(name: str) -> str:
    """An undeclared result that the name says: `is_bare`, `hasFocus` answer a question."""
    return BOOL if _PREDICATE.match(name) else ""


def kind_fit(definition: Definition, expected: Expected) -> int:
    """For a module's names after `isinstance(x, mod.`, `except mod.`: 1 a type, -1 a
    constant or a variable (which no such line names), 0 else (a factory function)."""
    if expected.kind != "type":
        return 0
    return 1 if definition.kind in _TYPES else -1 if definition.kind in _VALUES else 0


def fit(result: str, expected: Expected, language: str) -> int:
    """1: what the line expects, -1: what it cannot use, 0: either (or unknown)."""
    if not result or expected.kind == "type":
        return 0
    arity = int(result.partition(":")[2] or 1) if result.startswith("tuple") else 1
    if expected.kind == "statement":  # a Rust block's last line is its value
        return 1 if result == UNIT and not (expected.last and language == "rust") else 0
    if result == UNIT:
        return -1  # a condition, a binding, a value: a method that returns nothing gives none
    if expected.kind == "condition":
        return 1 if result == BOOL else 0
    if expected.kind == "option":
        return 1 if result == OPTION else 0
    if expected.arity > 1 or (language == "go" and arity > 1):
        return 1 if arity == expected.arity else -1  # Go: `a, b := x.` takes two results
    return 0


def fits(member: Definition, expected: Expected, language: str) -> int:
    """How well a member fits what the line expects: its result (fit), and one more when its
    name shares a word with the names the line assigns."""
    return fit(result_of(member, language), expected, language) + named_like(
        member, expected, language
    )


def expected_for(text: str, receiver: Receiver) -> Expected | None:
    """What the cursor's line expects of the receiver's member, from the text before the
    receiver (and the next line's `}`); None for a chain going on from the lines above."""
    separator = 2 if text[receiver.end - 2 : receiver.end] in ("::", "?.") else 1
    start = receiver.end - separator - len(receiver.expression)
    if start < 0 or text[start : receiver.end - separator] != receiver.expression:
        return None
    after = text[receiver.end :].split("\n", 8)[1:8]
    return expected_at(
        text[text.rfind("\n", 0, start) + 1 : start], next((x for x in after if x.strip()), "")
    )
