"""Line-level building blocks for :mod:`coderd.policy.plan`: indentation, openers, closers, scopes.

Everything here is pure string work so that ``stop_index`` can rescan the generated text on every
token without measurable cost. Nothing in this module knows about plans or modes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A tab advances to the next multiple of TAB_WIDTH columns (what editors display), so "\t" and
# four spaces compare equal and "  \t" is also 4. Mixed indentation is rare; tab stops make it agree
# with what the user sees.
TAB_WIDTH = 4

CLOSE_CHARS = ")]}"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_QUOTES = "\"'`"

# Lines that close a block in keyword languages (Ruby, Lua, shell, Julia, Vim script).
_CLOSE_WORDS = frozenset(
    "end fi done esac endif endfor endwhile endfunction endforeach endswitch".split()
)
# Lines at the opener's own indentation that keep the construct going (`} else {`, `elif x:`,
# Go's `case 1:` under `switch {`): the scope does not end there.
_CONT_WORDS = frozenset(
    "else elif elsif elseif except finally catch rescue ensure when case default".split()
)
# Languages that never close blocks with a word: there `done = True` or `end = len(s)` at the
# opener's indentation is an ordinary statement, not a closer.
_NO_WORD_CLOSERS = frozenset(
    (
        "python javascript typescript javascriptreact typescriptreact java c cpp csharp go "
        "rust kotlin swift scala dart php json jsonc"
    ).split()
)
# Languages whose block headers carry no opener character (`def foo`, `if x`, `function f()`).
_KEYWORD_LANGS = frozenset({"ruby", "lua", "julia", "crystal"})
_C_FAMILY = frozenset({"c", "cpp", "objective-c", "objective-cpp", "cuda-cpp", "csharp"})
# Languages where a line ending in an opening tag (`<ul>`) opens a block closed by `</ul>`. Not
# plain TS/Java: there `Array<string>` at the end of a line is a type, not a tag.
_MARKUP_LANGS = frozenset(
    (
        "html xml vue svelte javascriptreact typescriptreact php astro django-html jinja-html "
        "handlebars razor"
    ).split()
)
_VOID_TAGS = frozenset(
    "br hr img input meta link area base col embed source track wbr param".split()
)

_WORD = re.compile(r"[A-Za-z_]\w*")
_ASSIGNMENT = re.compile(r"\s*(?:[-+*/%&|^@]?=(?!=)|:=)")
_CALL_OR_INDEX = re.compile(r"\s*[(\[]")
# `do` / `then` / `begin` / `else` as the last word, but not `x.then` or `undo`.
_WORD_OPENER = re.compile(r"(?:^|[^\w$.])(?:do|then|begin|else)$|(?:^|\W)do\s*\|[^|]*\|$")
_KEYWORD_OPENER = re.compile(
    r"^(?:(?:local|private|protected|public|export|async)\s+)*"
    r"(?:def|class|module|if|unless|while|until|case|for|function|struct|macro|begin|repeat)\b"
)
_FUNCTION_EXPR = re.compile(r"\bfunction\b\s*[\w.:]*\s*\([^()]*\)$")
_ONE_LINER_END = re.compile(r"\bend$")
# `if x:  # why` / `if (x) {  // why`: the opener hides before a trailing comment.
_TRAILING_COMMENT = re.compile(r"\s+(?:#|//)[^'\"`]*$")
_OPEN_TAG = re.compile(r"<([A-Za-z][\w:.-]*)(?:\s[^<>]*)?(?<!/)>$")


def indent_width(line: str) -> int:
    """Columns of leading indentation; tabs advance to the next multiple of TAB_WIDTH."""
    col = 0
    for ch in line:
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += TAB_WIDTH - col % TAB_WIDTH
        else:
            break
    return col


def is_comment_line(line: str) -> bool:
    """Whether a line is only a comment (its trailing `:` or `{` opens nothing)."""
    t = line.lstrip()
    if t.startswith(("//", "/*", "--", "<!--")) or t == "*" or t.startswith("* "):
        return True
    # `#` is a comment in most scripting languages; keep Rust attributes and shebangs out.
    return t.startswith("#") and not t.startswith(("#[", "#!", "#{"))


def ends_with_opener(line: str, language_id: str = "") -> bool:
    """Whether the code on this line opens a block whose body follows on the next lines."""
    s = line.rstrip()
    if not any(q in s for q in "'\"`"):  # without strings, a `#` or `//` starts a comment
        s = _TRAILING_COMMENT.sub("", s)
    if not s or s.endswith("::"):  # C++/Rust paths and Haskell signatures, not blocks
        return False
    if s[-1] in ":{([" or s.endswith(("=>", "->")):
        return True
    if _WORD_OPENER.search(s):
        return True
    if language_id in _MARKUP_LANGS:
        m = _OPEN_TAG.search(s)
        if m and m.group(1).lower() not in _VOID_TAGS:
            return True
    if language_id in _KEYWORD_LANGS:
        t = s.lstrip()
        if _FUNCTION_EXPR.search(t):
            return True
        return bool(_KEYWORD_OPENER.match(t)) and not _ONE_LINER_END.search(t)
    return False


# Where the language is known, only its own continuation keywords count, so that a line at the
# opener's indentation starting with `r` is decided at once in Python (`rescue` is Ruby's).
_CONT_BY_LANG = {"python": frozenset({"else", "elif", "except", "finally"})}
_BRACE_CONT = frozenset({"else", "catch", "finally", "case", "default"})


def _continuation_words(language_id: str) -> frozenset[str]:
    if language_id in _CONT_BY_LANG:
        return _CONT_BY_LANG[language_id]
    return _BRACE_CONT if language_id in _NO_WORD_CLOSERS else _CONT_WORDS


def opens_block(line: str, language_id: str = "") -> bool:
    """A code line (not a comment such as `# Example:`) that ends with a block opener."""
    return not is_comment_line(line) and ends_with_opener(line, language_id)


def _boundary_words(language_id: str) -> frozenset[str]:
    if language_id in _NO_WORD_CLOSERS:
        return _continuation_words(language_id)
    return _continuation_words(language_id) | _CLOSE_WORDS


def could_be_boundary(partial: str, language_id: str) -> bool:
    """Whether a stripped, possibly unfinished line might still turn out a closer/continuation.

    Streaming decides a line at the opener's indentation as soon as this is False, which saves
    the tokens of that line; when True it waits for the line to end.
    """
    if partial[0] in CLOSE_CHARS or partial.startswith("</") or partial == "<":
        return True
    m = _WORD.match(partial)
    if not m:
        return False
    words = _boundary_words(language_id)
    if m.end() == len(partial):  # the word may still grow: "el" -> "else"
        return any(w.startswith(m.group()) for w in words)
    return m.group() in words


def line_kind(stripped: str, language_id: str) -> str | None:
    """'closer' (`}`, `});`, `end`), 'continuation' (`} else {`, `elif x:`), or None."""
    if stripped[0] in CLOSE_CHARS:
        return "continuation" if ends_with_opener(stripped, language_id) else "closer"
    if stripped.startswith("</"):  # markup closing tag
        return "closer"
    m = _WORD.match(stripped)
    if not m:
        return None
    word, rest = m.group(), stripped[m.end() :]
    if _ASSIGNMENT.match(rest):  # `else = 3`, `done = True`: a variable, not a keyword
        return None
    if word in _continuation_words(language_id):
        return "continuation"
    if word in _CLOSE_WORDS and word in _boundary_words(language_id):
        if _CALL_OR_INDEX.match(rest):
            return None
        return "continuation" if ends_with_opener(stripped, language_id) else "closer"
    return None


def closer_token(stripped: str) -> str | None:
    """What a closing line closes with: its bracket, or its keyword (`end`)."""
    if stripped and stripped[0] in CLOSE_CHARS:
        return stripped[0]
    if stripped.startswith("</"):
        return "</"
    m = _WORD.match(stripped)
    return m.group() if m and m.group() in _CLOSE_WORDS else None


def iter_suffix_lines(suffix: str) -> Iterator[str]:
    """Lines after the cursor's line, lazily (the suffix can be large, we read a few lines)."""
    start = suffix.find("\n")
    while start != -1:
        end = suffix.find("\n", start + 1)
        line = suffix[start + 1 : end] if end != -1 else suffix[start + 1 :]
        yield line[:-1] if line.endswith("\r") else line
        start = end


def iter_prefix_lines_reversed(prefix: str) -> Iterator[str]:
    """Lines before the cursor's line, nearest first."""
    end = prefix.rfind("\n")
    while end != -1:
        start = prefix.rfind("\n", 0, end)
        line = prefix[start + 1 : end]
        yield line[:-1] if line.endswith("\r") else line
        end = start


def enclosing_indent(prefix: str, column: int, language_id: str) -> int | None:
    """Indentation of the nearest earlier code line shallower than `column` (the block header)."""
    for line in iter_prefix_lines_reversed(prefix):
        if not line.strip() or is_comment_line(line):
            continue
        if language_id in _C_FAMILY and line.startswith("#"):
            continue  # preprocessor lines sit at column 0 inside bodies
        ind = indent_width(line)
        if ind < column:
            return ind
    return None


@dataclass(frozen=True)
class SuffixScope:
    """What the text after the cursor says about the block being completed.

    state: 'open'   the document does not close the block: the model's closer is wanted;
           'closed' the next line at the opener's indentation closes/continues it (`}`, `else:`);
           'inside' existing body lines follow the cursor: the completion must not leave the body.
    """

    state: str
    token: str | None = None  # the closer the suffix already has, when 'closed'
    boundary: str = ""  # stripped text of that line, to recognise a duplicated `} else {`


def analyze_suffix(
    line_suffix: str, suffix: str, opener_indent: int | None, language_id: str
) -> SuffixScope:
    head = line_suffix.strip()
    if head and head[0] in CLOSE_CHARS:  # `{|}`: the editor auto-closed the block
        return SuffixScope("closed", head[0], head)
    if opener_indent is None:
        return SuffixScope("open")
    for line in iter_suffix_lines(suffix):
        s = line.strip()
        if not s:
            continue
        ind = indent_width(line)
        if ind > opener_indent:
            return SuffixScope("inside")
        if ind == opener_indent and line_kind(s, language_id) is not None:
            return SuffixScope("closed", closer_token(s), s)
        return SuffixScope("open")
    return SuffixScope("open")


def first_suffix_code_line(suffix: str) -> tuple[int, str] | None:
    """(indent, stripped) of the first non-blank suffix line after the cursor's line, when it
    holds a word character: a generated line equal to it means the model is replaying the suffix.
    Punctuation-only lines (`}`) are left to the scope rules, they repeat legitimately."""
    for line in iter_suffix_lines(suffix):
        s = line.strip()
        if s:
            return (indent_width(line), s) if any(c.isalnum() for c in s) else None
    return None


def trailing_overlap(text: str, rest: str) -> int:
    """Length of the longest tail of `text` that equals a prefix of `rest` (the rest of the line).

    The tail may not contain a bracket that closes something opened inside `text`: for
    `foo(bar(|))` the model's `f(x))` overlaps by one `)`, not two.
    """
    last_matched = _last_matched_closer(text)
    # Also against the rest without its leading blanks: `f(a, | )` and the model's `b)`.
    for candidate in dict.fromkeys((rest, rest.lstrip())):
        for k in range(min(len(text), len(candidate)), 0, -1):
            if text[-k:] == candidate[:k] and last_matched < len(text) - k:
                return k
    return 0


def _last_matched_closer(text: str) -> int:
    """Index of the last closing bracket that pairs with an opener in `text` (-1 if none).
    Brackets inside quotes opened in `text` are ignored: `"(")` closes the call, not the `(`."""
    stack: list[str] = []
    last, quote, escaped = -1, "", False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in _QUOTES:
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in _PAIRS and stack and stack[-1] == _PAIRS[ch]:
            stack.pop()
            last = i
    return last
