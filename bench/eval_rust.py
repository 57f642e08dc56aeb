"""Rust rules that keep a `method` sample's gold honest (eval_samples.classify): a method call
`x.name()` names the package's only method `name` only where Rust would resolve it there.

* A trait's method is callable only with the trait in scope: `iter.into_iter().collect()` in a
  file that never names futures-util's `StreamExt` is the standard `Iterator::collect`, not
  `StreamExt::collect` (the gold the package's name table gives). The file must name the trait
  (a `use`, a bound, `Trait::`) or a trait it is a supertrait of, or import with a glob (`use
  super::*`), which may bring it.
* `self.name()` inside `impl Fold` calls Fold's methods: futures-util's `self.project()` is the
  method `pin_project!` writes for each struct, not `Either::project`, the only one written
  out. A sample goes when the impl around it is for another type than the gold's.
* Any other method's type must be reachable from the file: the file names the type, an item
  of its module or the module (futures-util's `this.future.as_mut().as_pin_mut()` in a
  file that names nothing of lock/bilock.rs is `Pin::as_pin_mut`, not `BiLockGuard`'s). A
  value can come from a chain of calls without that (`url.origin().ascii_serialization()`):
  such samples go too, a few against many wrong golds (futures-util, hyper, itertools).
* A method that implements another crate's trait (`impl<T: AsMut<[u8]>> AsMut<[u8]> for
  Window<T>`) has no single definition here: `x.as_mut()` names the trait's method.
"""

from __future__ import annotations

import re

_GLOB_USE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+[^;]*\*\s*[;}]", re.M)
_IMPL = re.compile(
    r"^\s*(?:unsafe\s+)?impl\s+(?:([\w:]+)\s+for\s+)?&?\s*(?:'\w+\s+)?(?:mut\s+)?(?:dyn\s+)?"
    r"([A-Za-z_][\w:]*)"
)


def strip_generics(line: str) -> str:
    """`impl<T: AsMut<[u8]>> AsMut<[u8]> for Window<T> {` -> `impl AsMut for Window {`: what
    sits between angle brackets, nested ones too (`->` is no bracket)."""
    out, depth, previous = [], 0, ""
    for char in line:
        if char == "<":
            depth += 1
        elif char == ">" and previous != "-" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
        previous = char
    return "".join(out)


def enclosing_impl(lines: list[str], row: int) -> tuple[str, str] | None:
    """(trait, type) of the impl block around `row` (trait "" for an inherent impl), by
    indentation; None when `row` is in no impl (a free function, a trait's default method)."""
    indent = len(lines[row]) - len(lines[row].lstrip()) if row < len(lines) else 0
    for above in range(row - 1, -1, -1):
        code = lines[above]
        if not code.strip() or len(code) - len(code.lstrip()) >= indent:
            continue
        if code.lstrip().startswith(("where", "{", ")")):
            continue  # a header's `where` clause or its last line: the header is above
        match = _IMPL.match(strip_generics(code))
        if match is not None:
            trait = (match.group(1) or "").rsplit("::", 1)[-1]
            return trait, match.group(2).rsplit("::", 1)[-1]
        if code.lstrip().startswith(("trait ", "pub trait ", "mod ", "pub mod ")):
            return None
        indent = len(code) - len(code.lstrip())  # a fn or block around it: go on out
    return None


class Traits:
    """The package's Rust traits and, for each, the traits that name it as a supertrait
    (time's `pub trait Parsable: sealed::Sealed {}`): a bound `impl Parsable` makes Sealed's
    methods callable in a file that never names Sealed."""

    def __init__(self, files: dict, source_lines: dict[str, list[str]]) -> None:
        self.names: set[str] = set()
        self.subtraits: dict[str, set[str]] = {}
        for path, symbols in files.items():
            for d in symbols.definitions:
                if d.kind != "trait":
                    continue
                self.names.add(d.name)
                header = " ".join(source_lines.get(path, [])[d.start_line - 1 : d.start_line + 2])
                after = strip_generics(header).split(d.name, 1)[-1]
                bounds = after.split("{", 1)[0].split("where", 1)[0]
                if bounds.lstrip().startswith(":"):
                    for word in re.findall(r"\w+", bounds):
                        self.subtraits.setdefault(word, set()).add(d.name)

    def out_of_scope(self, trait: str, code: str) -> bool:
        """No trait that gives `trait`'s methods (itself, a subtrait's bound) is named in
        `code`, and no glob `use` may bring one."""
        if _GLOB_USE.search(code):
            return False
        seen, todo = set(), [trait]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            if re.search(rf"\b{re.escape(name)}\b", code):
                return False
            seen.add(name)
            todo.extend(self.subtraits.get(name, ()))
        return True


def self_of_another_type(lines: list[str], row: int, container: str, traits: set[str]) -> bool:
    """`self` at `row` is of another type than `container`, the only one with the method: the
    enclosing impl is neither for `container` nor of it (a trait's method: any type has it)."""
    if container in traits:
        return False
    found = enclosing_impl(lines, row)
    return found is not None and container not in found


def foreign_trait_method(lines: list[str], row: int, traits: set[str]) -> bool:
    """The definition at `row` (0-based) implements a trait that is no project trait."""
    found = enclosing_impl(lines, row)
    return found is not None and bool(found[0]) and found[0] not in traits


def resolves_elsewhere(
    lines: list[str],
    row: int,
    base: str,
    container: str,
    code: str,
    traits: Traits,
    module_items: set[str] = frozenset(),
) -> bool:
    """`base.name()` at `row` cannot be the gold, a method of `container` (module docstring)."""
    if container in traits.names:
        return traits.out_of_scope(container, code)
    if base == "self":
        return self_of_another_type(lines, row, container, traits.names)
    words = set(re.findall(r"\w+", code))
    return bool(module_items) and not (module_items & words)


def module_words(gold, files: dict) -> set[str]:
    """Words a file that may hold a value of the gold's type would name: the type, the
    items of the gold's module, the module's own name (`cached::get_powers()`)."""
    stem = gold.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if stem in ("mod", "lib"):
        stem = gold.path.rsplit("/", 2)[-2] if "/" in gold.path else stem
    # Not its inline modules: syn's data.rs has `mod parsing`, and a file's
    # `#[cfg(feature = "parsing")]` says nothing of Visibility (`cursor.ident().is_some()`).
    items = {d.name for d in files[gold.path].definitions if not d.container and d.kind != "module"}
    return items | {stem, gold.definition.container} - {""}
