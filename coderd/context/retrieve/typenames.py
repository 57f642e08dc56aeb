"""Type expressions as written -> the one type name whose members a value has.

`t.Optional["Context"]` -> `Context`, `*pkg.Command` -> `pkg.Command`, `Result<&'a Foo, E>` ->
`Foo`, `Promise<Foo> | undefined` -> `Foo`, `(*Cmd, error)` -> `Cmd`. Wrappers that hand their
first argument through (optional, result, smart pointers, promises) are unwrapped; containers
(lists, maps, vectors) and anything unparsable give "" (the element type is not what a
`.method` on the value reaches). The result is a dotted or `::` path, or "". declared_type
also keeps a sequence's element type (`list[Node]` -> "[]Node"): what `for x in xs` gives.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable
from functools import lru_cache

from coderd.context.retrieve.brackets import split_top

# Generic wrappers whose first type argument is the value's type for member access.
WRAPPERS = frozenset(
    {
        "Optional",
        "Final",
        "ClassVar",
        "Annotated",
        "Type",
        "Awaitable",
        "Coroutine",
        "Required",
        "NotRequired",
        "ReadOnly",
        "Promise",
        "PromiseLike",
        "Readonly",
        "Partial",
        "NonNullable",
        "Result",
        "Option",
        "Box",
        "Rc",
        "Arc",
        "RefCell",
        "Cell",
        "Mutex",
        "RwLock",
        "Cow",
        "Pin",
        "Ref",
        "RefMut",
        "MutexGuard",
        "Weak",
        "ManuallyDrop",
    }
)
# Containers: a member access on them is not a member of their element type. Only names that
# cannot be a package's own type; `Map<K, V>` may well be one (serde_json's), so it resolves.
CONTAINERS = frozenset(
    {"list", "dict", "set", "tuple", "frozenset", "type", "Union", "Literal", "Callable"}
)
NOTHING = frozenset({"None", "null", "undefined", "void", "never", "NoneType"})
# Containers whose first type argument is what iterating over them gives (`for x in xs`,
# `xs.forEach(x => ...)`): declared_type writes them ELEMENT + that type.
SEQUENCES = frozenset(
    {
        "list",
        "List",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Iterator",
        "Generator",
        "AsyncIterable",
        "AsyncIterator",
        "AsyncGenerator",
        "Collection",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "AbstractSet",
        "MutableSet",
        "deque",
        "Deque",
        "tuple",
        "Tuple",
        "Array",
        "ReadonlyArray",
        "Vec",
        "VecDeque",
        "HashSet",
        "BTreeSet",
    }
)
ELEMENT = "[]"  # declared_type's prefix of a container's element type: "[]Node"
# Mappings, whose values (`d[k]`, `d.values()`, `for k, v in d.items()`, Go's `for _, v :=
# range m`) have the last argument's type: declared_type writes MAPPED + that type.
MAPPINGS = frozenset(
    {
        "dict",
        "Dict",
        "Mapping",
        "MutableMapping",
        "OrderedDict",
        "defaultdict",
        "DefaultDict",
        "ChainMap",
        "Map",
        "ReadonlyMap",
        "Record",
        "HashMap",
        "BTreeMap",
        "IndexMap",
    }
)
MAPPED = "{}"  # declared_type's prefix of a mapping's value type: "{}Command"
_PREFIXES = re.compile(
    r"^(?:&'\w+\s+|&|\*|mut\s+|dyn\s+|impl\s+|const\s+|readonly\s+|typeof\s+|keyof\s+|\.\.\.)+"
)
_LIFETIME = re.compile(r"(?<=[&<,\s])'[a-z_]\w*\b(?!')\s*,?\s*")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)*$")


@lru_cache(maxsize=8192)
def normalize_type(text: str) -> str:
    """The type name a value annotated with `text` has members of ("" when none: a container
    too, whose element type declared_type gives)."""
    found = _normalize(_LIFETIME.sub("", text.strip()), 0)
    if found.endswith(("Self", ".this")) and re.split(r"\.|::", found)[-1] == "Self":
        found = "Self"
    return sys.intern(found)


@lru_cache(maxsize=8192)
def declared_type(text: str) -> str:
    """normalize_type(text), or for a container of a type (`list[Node]`, `Node[]`,
    `[]*Node`, `Vec<Node>`, `Optional[Sequence[Node]]`) ELEMENT + that type ("[]Node"): no
    member is reached on it, but iterating over it gives values of that type."""
    text = _LIFETIME.sub("", text.strip())
    element = _element(text, 0)
    if element:
        return sys.intern(ELEMENT + element)
    value = _mapped(text, 0)
    return sys.intern(MAPPED + value) if value else normalize_type(text)


def _mapped(text: str, depth: int) -> str:
    """The value type of a mapping (`dict[str, Cmd]`, `Optional[Mapping[str, Cmd]]`, Go's
    `map[string]*Cmd`, `Record<string, Cmd>`), "" for anything else."""
    if depth > 6 or not text:
        return ""
    text = _bare(text)
    if (found := _in_union(_mapped, text, depth)) is not None:
        return found
    if text.startswith("map["):  # Go
        return _normalize(text[text.find("]") + 1 :], depth + 1)
    short, args = _type_arguments(text)
    if short in WRAPPERS and args:
        return _mapped(args[0], depth + 1)
    return _normalize(args[-1], depth + 1) if short in MAPPINGS and len(args) == 2 else ""


def _bare(text: str) -> str:
    """A type without quotes (a forward reference) and prefixes (`&mut`, `*`, `readonly`)."""
    return _PREFIXES.sub("", text.strip().strip("\"'`").strip()).strip()


def _in_union(reader: Callable[[str, int], str], text: str, depth: int) -> str | None:
    """What `reader` gives the first alternative of a union (`A | None`) it reads, "" when it
    reads none; None when `text` is no union."""
    alternatives = split_top(text, "|")
    if len(alternatives) < 2:
        return None
    return next((r for r in (reader(a, depth + 1) for a in alternatives) if r), "")


def _type_arguments(text: str) -> tuple[str, list[str]]:
    """`t.Mapping[str, Cmd]` -> ("Mapping", ["str", " Cmd"]), `Vec<Node>` -> ("Vec",
    ["Node"]); ("", []) without type arguments."""
    bracket = min((i for i in (text.find("["), text.find("<")) if i > 0), default=-1)
    if bracket <= 0:
        return "", []
    short = split_qualified(text[:bracket].strip())[1]
    close = text.rfind("]" if text[bracket] == "[" else ">")
    return short, split_top(text[bracket + 1 : close], ",")


def _element(text: str, depth: int) -> str:
    if depth > 6 or not text:
        return ""
    text = _bare(text)
    if (found := _in_union(_element, text, depth)) is not None:
        return found
    if text.endswith("[]"):  # T[] (TS)
        return _normalize(text[:-2], depth + 1)
    if text.startswith("["):  # []T, [n]T (Go); [T], [T; n] (Rust)
        close = text.find("]")
        inner, rest = text[1:close], text[close + 1 :].strip()
        return _normalize(rest if rest else split_top(inner, ";")[0], depth + 1)
    short, args = _type_arguments(text)
    if not args:
        return ""
    if short in WRAPPERS:
        return _element(args[0], depth + 1)
    return _normalize(args[0], depth + 1) if short in SEQUENCES else ""


def _normalize(text: str, depth: int) -> str:
    if depth > 6 or not text:
        return ""
    text = _bare(text)
    if text.startswith("(") and text.endswith(")"):  # Go results `(*T, error)`, parenthesised types
        parts = split_top(text[1:-1], ",")
        return _normalize(parts[0], depth + 1) if parts else ""
    if (found := _in_union(_normalize, text, depth)) is not None:
        return found
    if text.endswith("[]") or text.startswith("["):  # T[] (TS), []T / [T; n] (Go, Rust)
        return ""
    bracket = min((i for i in (text.find("["), text.find("<")) if i > 0), default=-1)
    if bracket > 0:
        base, args = (
            text[:bracket].strip(),
            text[bracket + 1 : text.rfind("]" if text[bracket] == "[" else ">")],
        )
        qualifier, short = split_qualified(base)
        if short in WRAPPERS:
            first = split_top(args, ",")
            return _normalize(first[0], depth + 1) if first else ""
        if short in CONTAINERS or qualifier in (
            "t",
            "typing",
            "typing_extensions",
            "collections.abc",
        ):
            return ""
        text = base
    text = (
        re.sub(r"^(?:typing|t|te|typing_extensions)\.", "", text)
        if text.count(".") == 1 and text.split(".")[1] in WRAPPERS | CONTAINERS | NOTHING
        else text
    )
    if text in NOTHING or text in CONTAINERS or not _NAME.match(text):
        return ""
    return text


_NO_MODULE = frozenset({"crate", "self", "super", ""})  # qualifier parts naming no module


def split_qualified(name: str) -> tuple[str, str]:
    """`a.b.C` -> ("a.b", "C"); `crate::x::C` -> ("crate::x", "C"); `C` -> ("", "C")."""
    for separator in ("::", "."):
        if separator in name:
            head, _, tail = name.rpartition(separator)
            return head, tail
    return "", name


def in_module(path: str, qualifier: str) -> bool:
    """Whether the file at `path` is the module a qualifier names by its last parts:
    `flavors::at` is src/flavors/at.rs or src/flavors/at/mod.rs (crossbeam has six types
    called Channel, one per flavour module), `pkg.sub` pkg/sub.py or pkg/sub/__init__.py."""
    parts = [p for p in qualifier.replace("::", ".").split(".") if p not in _NO_MODULE]
    if not parts:
        return False
    stem = posixpath.splitext(path)[0]
    if posixpath.basename(stem) in ("mod", "__init__", "index"):
        stem = posixpath.dirname(stem)
    return stem == "/".join(parts) or stem.endswith("/" + "/".join(parts))
