"""How one retrieved definition is shown, from its smallest form to its largest.

pack.py gives every candidate it can its smallest form, best first, and grows the best ones
while the budget lasts: a small budget holds many signatures (what the code at the cursor
needs to call things), a large one more members and bodies too:

* a function or method: its signature on one line with the body elided (`def f(x): ...`,
  `func F(x int) error { ... }`), its parameters cut past MAX_LINE_SIGNATURE characters, then
  whole up to MAX_SHORT_SIGNATURE, then its first lines (at most MAX_SNIPPET_LINES);
* a type: its header line alone, then with its first members' signatures (a ranked member
  list from members.py grows by LISTED_MEMBERS steps, shown in file order; an imported class
  shows those the file uses first); a type without members: its header, then its body;
* a signature list (`skeleton`, members.py): its first members, growing the same way;

The first form of everything is one line: at small budgets a list of many signatures beats a
few classes with their members (#13: the naive import list won by being one line a name).
* a window of lines (recent.py): the lines.
"""

from __future__ import annotations

from collections.abc import Iterable

from coderd.context.index.extract import Definition

MAX_SNIPPET_LINES = 12  # a longer definition keeps its head and ends with a marker
LISTED_MEMBERS = (2, 4, 6, 8, 12, 16, 24, 32)
MAX_LISTED_MEMBERS = 48  # a member list grows so far, at most
MAX_LINE_CHARS = 240
ELIDED_INDENT = "    "  # the left-out marker's indent when no line kept after the first has one
MAX_MEMBER_CHARS = 110  # a member's signature line is cut (at a parameter) past this
MAX_LINE_SIGNATURE = 64  # the first form of a signature: its name and first parameters (96
# fitted fewer names at 256 tokens: dev import recall 0.880 -> 0.895 at 64, no kind lost)
MAX_SHORT_SIGNATURE = 140  # a signature longer than this loses its last parameters when short
SIGNATURE_LIMITS = (MAX_LINE_SIGNATURE, MAX_SHORT_SIGNATURE)
_NOT_CODE = ("@", "#[", "//", "/*", "*", "#")
TYPE_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "type"})


class Forms(list[str]):
    """forms()' answer; `head_last`: its last form is a type's head (docstring, fields) with
    all its members, a body more than a list: pack grows to it only once every candidate
    had its line. `shown[i]`: how many of `members` (best first) form i lists: the lines a
    chunk shows beyond its definition's own (a Rust type's methods sit in `impl` blocks, a
    Go type's anywhere in its package's file), for `coderd context --json` and the
    evaluation."""

    head_last = False

    def __init__(self, texts: Iterable[str] = ()) -> None:
        super().__init__(texts)
        self.members: list[Definition] = []
        self.shown: list[int] = [0] * len(self)

    def add(self, text: str, shown: int) -> None:
        if text.strip() and text not in self:
            self.append(text)
            self.shown.append(shown)

    def member_lines(self, form: int) -> list[list[int]]:
        """[start, end] of each member that form `form` lists."""
        return [[m.start_line, m.end_line] for m in self.members[: self.shown[form]]]


def forms(
    lines: list[str],
    definition: Definition,
    members: list[Definition] | None,
    comment: str,
    ranked: bool,
) -> Forms:
    """The ways to show `definition`, smallest first (distinct, non-empty). `members` are the
    members a type or signature list may show, best first; `ranked`: they were chosen for
    the cursor (members.py), so a definition that is not a type is shown by them too."""
    head = None
    unique = Forms()
    if definition.kind == "window":  # a region of lines, not a definition: shown whole
        text = "\n".join(lines[definition.start_line - 1 : min(definition.end_line, len(lines))])
        found = [(text, 0)]
    elif definition.kind == "skeleton" or (members and (definition.kind in TYPE_KINDS or ranked)):
        unique.members = members = list(members or [])
        found = _member_forms(lines, definition, members)
        if definition.kind != "skeleton":  # a type: its header line first
            found.insert(0, (header_line(lines, definition), 0))
            head = _head_form(lines, definition, members)
    else:
        body = lines[definition.start_line - 1 : definition.end_line]
        shorts = (_short(lines, definition, comment, limit) for limit in SIGNATURE_LIMITS)
        found = [(short, 0) for short in shorts if short] + [(_head(body, comment), 0)]
    for text, shown in found:
        unique.add(text, shown)
    if head and head not in unique:  # a head of the header line alone adds nothing
        unique.add(head, len(unique.members))
        unique.head_last = len(unique) > 1
    return unique


def _member_forms(
    lines, definition: Definition, members: list[Definition]
) -> list[tuple[str, int]]:
    # Ranked or not (an imported class's members come used-first from pack), a list grows by
    # the same steps: capping an imported class at a few members made the rest unreachable.
    counts = [c for c in LISTED_MEMBERS if c < len(members)]
    counts.append(len(members))
    found = []
    rendered: dict[int, str] = {}  # each member's line once, not once per form
    for count in counts:
        chosen = sorted(members[: min(count, MAX_LISTED_MEMBERS)], key=lambda m: m.start_line)
        shown = [] if definition.kind == "skeleton" else [header_line(lines, definition)]
        for m in chosen:
            if id(m) not in rendered:
                rendered[id(m)] = member_line(lines, m)
        found.append(("\n".join(shown + [rendered[id(m)] for m in chosen]), len(chosen)))
    return found


def _head_form(lines, definition: Definition, members: list[Definition]) -> str | None:
    """The type's head (docstring, fields, initialisers) with all its members; None past
    MAX_LISTED_MEMBERS. Grown with the members, it took a budget the next names needed (a
    12-line static initialiser before rxjs's Subject list could grow): it comes last."""
    if len(members) > MAX_LISTED_MEMBERS:
        return None
    chosen = sorted(members, key=lambda m: m.start_line)
    first = min((m.start_line for m in chosen), default=definition.end_line + 1)
    shown = lines[
        definition.start_line - 1 : min(first - 1, definition.start_line - 1 + MAX_SNIPPET_LINES)
    ]
    shown = shown or [lines[definition.start_line - 1].rstrip()]
    return "\n".join(shown + [member_line(lines, m) for m in chosen])


def member_line(lines: list[str], member: Definition) -> str:
    """One line for a member: its signature joined on one line (decorators and comments
    left out), indented as in the file; its header line when the signature is long."""
    header = header_line(lines, member)
    indent = header[: len(header) - len(header.lstrip())]
    code = [
        s for s in member.signature.split("\n") if s.strip() and not s.strip().startswith(_NOT_CODE)
    ]
    if not code or not header.strip().startswith(code[0].strip()):
        return header[: len(indent) + MAX_LINE_CHARS]
    text = _join(code)
    whole = header.rstrip()
    if len(code) == 1 and len(whole) - len(indent) < MAX_MEMBER_CHARS:
        # A member on one line, `abort(): void;` or Go's `type formBinding struct{}` or Rust's
        # `pub struct Pair<A, B>(A, B);`, as written: the signature stops before the body, and
        # the line without it is not the line the file has (nor what it constructs from).
        last = lines[member.end_line - 1] if member.end_line <= len(lines) else ""
        if last.rstrip() == whole:
            return whole
    text = cut_parameters(text, MAX_MEMBER_CHARS, len(code[0].strip()))
    return indent + text


def _short(lines: list[str], definition: Definition, comment: str, limit: int) -> str | None:
    """A definition's header alone on one line, its body elided (None when that is the whole
    of it): `def f(x): ...` (valid Python), `func F(x int) error { ... }` elsewhere."""
    if definition.kind in TYPE_KINDS:
        return header_line(lines, definition)
    code = [
        s
        for s in definition.signature.split("\n")
        if s.strip() and not s.strip().startswith(_NOT_CODE)
    ]
    if not code or definition.end_line - definition.start_line + 1 <= len(
        definition.signature.split("\n")
    ):
        return None
    # A Rust `where` clause restates the bounds: the one-line form leaves it out (nom's
    # `fn opt<I: Clone, O, E: ParseError<I>, F>(mut f: F) -> ... where F: Parser<I, O, E>`).
    clause = next(
        (i for i, s in enumerate(code) if i and (s.strip() + " ").startswith("where ")), 0
    )
    code = code[:clause] if clause else code
    header = header_line(lines, definition)
    base = header[: len(header) - len(header.lstrip())]
    written = header.strip()
    if len(code) == 1 and code[0].rstrip().endswith("=>") and len(written) <= MAX_SHORT_SIGNATURE:
        # An arrow function whose expression body starts on its header line (yjs' `export
        # const isVisible = (item, snapshot) => snapshot === undefined`): that line as
        # written, then the rest elided. `=> { ... }` is a body it does not have, and the
        # header line as written is what a reader knows it by (never cut, as below).
        rest = (
            written[len(code[0].strip()) :].strip() if written.startswith(code[0].strip()) else ""
        )
        if rest and not rest.startswith(("{", "(")):
            return base + written + " ..."
    text = _join(code)
    cut = cut_parameters(text, limit, len(code[0].strip()))
    if cut != text:
        text = cut + (":" if comment == "#" else "")
    if comment != "#" and text.endswith("{"):
        text = text[:-1].rstrip()  # `macro_rules! backtrace {`: its brace is the body's
    return base + text + (" ..." if comment == "#" else " { ... }")


def cut_parameters(text: str, limit: int, keep: int) -> str:
    """A joined signature cut at the last parameter boundary before `limit` characters, its
    first `keep` characters (the header line as written) never cut: that line is what a
    reader, and the model, recognise the definition by."""
    if len(text) <= max(limit, keep):
        return text
    cut = text.rfind(", ", keep, limit) if limit > keep else -1
    head = text[: cut if cut > 0 else max(limit, keep)].rstrip(", ")
    return head + ("...)" if head.endswith("(") else ", ...)")


def _join(code: list[str]) -> str:
    """Signature lines joined on one line (`def f(\n    a,\n    b,\n):` -> `def f(a, b):`)."""
    text = code[0].strip()
    for part in code[1:]:
        part = part.strip()
        glue = "" if text.endswith(("(", "[", "<")) or part.startswith((")", "]", ">")) else " "
        if glue == "" and text.endswith(",") and part.startswith((")", "]")):
            text = text[:-1]  # the trailing comma of a parameter list
        text += glue + part
    return text


def header_line(lines: list[str], definition: Definition) -> str:
    """The definition's own first line, past decorators and comments."""
    row = definition.start_line - 1
    while row + 1 < definition.end_line and (
        lines[row].lstrip().startswith(_NOT_CODE) or not lines[row].strip()
    ):
        row += 1
    return lines[row].rstrip()


def _head(body: list[str], comment: str) -> str:
    """The first MAX_SNIPPET_LINES lines and a comment saying the rest is left out, indented as
    the body's first indented line: never at the line's start, where `# ...` reads as the
    `# path` header of a file named "..." (a decorated class's second line, `class
    Delimiter:`, gave it no indent, and what followed in the block sat under that phantom
    file, for the model and for the evaluation's recall alike)."""
    if len(body) <= MAX_SNIPPET_LINES:
        return "\n".join(body)
    kept = body[:MAX_SNIPPET_LINES]
    inner = next((line for line in kept[1:] if line[:1] in (" ", "\t")), ELIDED_INDENT)
    indent = inner[: len(inner) - len(inner.lstrip())]
    return "\n".join([*kept, f"{indent}{comment} ..."])
