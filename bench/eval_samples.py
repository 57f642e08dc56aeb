"""Samples for the context evaluation: masked uses of symbols defined in another file.

A sample is a use of a symbol in a non-test source file whose only definition lives in another
file of the package, and which no import from another package brings (eval_external.py). It
is masked the way a user is mid-typing it: the cursor sits right before the used name (after
`obj.` / `mod.` / `pkg.`), the rest of that line is gone, and the lines after it stay as the
suffix. Kinds:

* import   a name the file imports directly (`from .models import Request`, `import {map}`, `use`);
* module   attribute access through an imported module (`utils.quote(`, `ns.x`, `cobra.Command`);
* method   `obj.name` where `name` is a method of one class (type) defined in another file,
           and nothing in the file says `obj` is from outside the package (eval_filters.py
           `Project.foreign_receiver`: `Vec::with_capacity`, `ch: Option<u8>` then
           `self.ch.take()`, `t := template.New(...)` then `t.Execute`; the chain's first
           name imported from another package: `core_schema.list_schema(`), and in Rust only
           where Rust would call it (eval_rust.py: its trait in scope, `self` of its type,
           its type or module named in the file), and in Python only where the gold, bound
           to `obj`, takes the call's arguments (eval_python.py): a sample must name a project
           definition that the name resolves to;
* package  (Go) a name defined in another file of the same package (no import needed).

Masking modes: `first` (default, #13's primary metric) masks the first line that uses the name
(import statements aside): what a user writes when the name first appears, the later uses
still in the suffix; `line` takes any use, so the name may also be used above it; `strict`
keeps only samples whose name appears nowhere else in the file outside its import statements
(not in code, comments or strings). Every sample records `distance`: the lines to the nearest
other code line using the name as a word (imports, comments and docstrings aside), None when
there is none.
"""

from __future__ import annotations

import io
import random
import re

from eval_external import ExternalImports
from eval_filters import (
    SOURCE_LINES,
    STD_METHODS,
    Project,
    attribute_names,
    chain_root,
    external_trait_impl,
    field_access,
    imported_variable,
    is_use_at,
    module_variables,
)
from eval_python import cannot_bind
from eval_rust import Traits, module_words, resolves_elsewhere

from coderd.context.index.extract import Definition
from coderd.context.index.languages import parser_for
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.resolve import JS_LANGUAGES
from coderd.context.retrieve.usage import SEPARATORS, TOKEN, import_rows

TEST_PART = re.compile(
    r"(^|/)(tests?|testing|docs?|examples?|__tests__|spec|spec-dtslint|benches|"
    r"benchmarks?|_examples|testdata|fuzz)(/|$)"
)
MAP_COMMENT_TAIL = 300  # characters at a file's end where a bundler puts its source map's address
IMPORT_LINE = re.compile(
    r"^\s*(import\b|from\s+\S+\s+import\b|#include|use\s|pub\s+use\s|package\s|"
    r"export\s+\*|export\s*\{|mod\s+\w+;)"
)
# Method names that builtin types have too: `d.items()` is rarely the package's own method.
BUILTIN_METHODS = {
    n
    for t in (
        dict,
        list,
        str,
        set,
        bytes,
        object,
        int,
        tuple,
        frozenset,
        io.TextIOWrapper,
        io.BufferedReader,
        io.BytesIO,
        io.StringIO,
    )
    for n in dir(t)
} | set(
    "map filter reduce push pop shift unshift slice splice concat join forEach find some every "
    "includes indexOf keys values entries then catch finally call apply bind toString valueOf "
    "next return throw subscribe add delete has get set clear size length Error String Close "
    "Write Read Error Len Less Swap new from into clone iter len unwrap expect fmt default "
    "as_str to_string is_empty push_str".split()
)


def is_test(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        bool(TEST_PART.search(path))
        or name.startswith(("test_", "tests."))
        or name.endswith(("_test.go", ".spec.ts", ".test.ts", "conftest.py", "_tests.rs"))
        or name.endswith(".d.ts")
        or name in ("build.rs", "setup.py", "noxfile.py")
    )


def is_bundle(text: str) -> bool:
    """Build output that ends with its source map's address (`//# sourceMappingURL=`, a
    bundler's `lib/node/chunk-KSHIDGUL.mjs`): nobody types there, as in the `.d.ts` files
    that is_test leaves out. Its definitions stay (an import may resolve to them)."""
    return "sourceMappingURL=" in text[-MAP_COMMENT_TAIL:]


def header_line(lines: list[str], definition: Definition) -> int:
    """1-based line of a definition's own header, past decorators and comments."""
    row = definition.start_line - 1
    while row + 1 < len(lines) and (
        lines[row].lstrip().startswith(("@", "#[", "//", "/*", "*")) or not lines[row].strip()
    ):
        row += 1
    return row + 1


def skipped_rows(lines: list[str], language: str) -> set[int]:
    """Rows that are not code to complete: import statements, comments, docstrings."""
    skip: set[int] = set()
    in_import = in_string = False
    quote = '"""'
    for row, line in enumerate(lines):
        stripped = line.strip()
        if in_string:
            skip.add(row)
            in_string = quote not in stripped
            continue
        if in_import:
            skip.add(row)
            in_import = not (")" in stripped or "}" in stripped)
            continue
        if IMPORT_LINE.match(line):
            skip.add(row)
            in_import = stripped.endswith(("(", "{", ",")) or (
                "(" in stripped and ")" not in stripped
            )
            continue
        if stripped.startswith(("#", "//", "*", "/*")):
            skip.add(row)
            if stripped.startswith("/*") and "*/" not in stripped:
                in_string, quote = True, "*/"
            continue
        if language == "python":
            for q in ('"""', "'''"):
                if stripped.startswith((q, "r" + q, "f" + q)) or (
                    q in stripped and stripped.count(q) % 2
                ):
                    skip.add(row)
                    if stripped.count(q) % 2:
                        in_string, quote = True, q
                    break
    return skip


def uses_with_columns(line: str) -> list[tuple[str, str, int]]:
    """(name, base, column) like retrieve.line_uses, with where each name starts."""
    found, previous, before = [], "", ""
    for match in TOKEN.finditer(line):
        token = match.group()
        if token in SEPARATORS:
            before, previous = previous, token
            continue
        if token[0].isalpha() or token[0] == "_":
            if previous in SEPARATORS:
                base = before if before and (before[0].isalpha() or before[0] == "_") else "?"
            else:
                base = ""
            found.append((token, base, match.start()))
        previous = token
    return found


def _definition_tables(files) -> tuple[dict, dict]:
    top: dict[str, list[DefinitionRef]] = {}
    methods: dict[str, list[DefinitionRef]] = {}
    for path, symbols in files.items():
        # An item of an inline `mod` (regex-syntax's `mod tests { struct Bytes(..) }`) is
        # not a member: `hir::Class::Bytes` is an enum's variant, which no table holds.
        inline = {d.name for d in symbols.definitions if d.kind == "module"}
        for d in symbols.definitions:
            if d.kind in ("variable", "impl") or len(d.name) < 3 or d.container in inline:
                continue
            (methods if d.container else top).setdefault(d.name, []).append(DefinitionRef(path, d))
    return top, methods


FOREIGN = "\0another package"
JS_EXTENSION = re.compile(r"\.[mc]?[jt]sx?$")


def _scope_names(
    symbols, files, external: ExternalImports
) -> tuple[dict[str, str], dict[str, str]]:
    """Names the file imports directly (local name -> the name it imports: `from ._parser
    import parse_requirement as _parse_requirement` is parse_requirement, not _parser.py's own
    `_parse_requirement`), and the modules it imports: local name -> the module's own last
    name (`import a.b as c` -> c: b; `from . import utils` -> utils). What an import from
    another package (eval_external.py) names stands for FOREIGN, which no definition has:
    no sample, and `ssl.wrap_socket` is not a method sample either."""
    imported: dict[str, str] = {}
    modules: dict[str, str] = {}
    stems = {f.rsplit("/", 1)[-1].split(".")[0] for f in files}
    for st in symbols.imports:
        foreign = external.external(st, symbols.language)
        renamed = dict(st.aliases)
        # `./AST.js` is AST.ts in TypeScript's ES module style: the module is AST, not js.
        module = st.module.strip("\"'`")
        if symbols.language in JS_LANGUAGES:
            module = JS_EXTENSION.sub("", module)
        parts = [p for p in re.split(r"[./:]+", module) if p]
        if parts and re.fullmatch(r"v\d+", parts[-1]):
            parts.pop()  # Go's major-version suffix
        for name in st.names:
            imported[renamed.get(name, name)] = FOREIGN if foreign else name
            if name in stems:  # `from . import utils`: a module imported by name
                modules[renamed.get(name, name)] = FOREIGN if foreign else name
        if parts and st.module in renamed:
            modules[renamed[st.module]] = FOREIGN if foreign else parts[-1]
        elif parts and not st.names:
            modules[parts[-1]] = FOREIGN if foreign else parts[-1]
    return imported, modules


def _in_module(gold_path: str, module: str) -> bool:
    """The gold's file is the module, or lies in the package (folder) of that name."""
    parts = gold_path.split("/")
    stem = parts[-1].split(".")[0]
    return stem == module or module in parts[:-1] or module in ("crate", "self", "super")


_go_packages: dict[str, str] = {}


def _go_package_of(ref: DefinitionRef) -> str:
    return _go_packages.get(ref.path, "")


def classify(
    name, base, path, symbols, tables, imported, modules
) -> tuple[str, DefinitionRef] | None:
    top, methods, attributes = tables
    if base == "" and imported.get(name, name) != name and name not in modules:
        refs = top.get(imported[name], [])  # imported under another name
        return ("import", refs[0]) if len(refs) == 1 and refs[0].path != path else None
    refs = top.get(name, [])
    directory = path.rpartition("/")[0]
    if base == "" and len(refs) == 1 and refs[0].path != path:
        if name in imported and name not in modules:
            return "import", refs[0]
        if symbols.language == "go" and refs[0].path.rpartition("/")[0] == directory:
            return "package", refs[0]
    elif base in modules and len(refs) == 1 and refs[0].path != path:
        if _in_module(refs[0].path, modules[base]) or _go_package_of(refs[0]) == modules[base]:
            return "module", refs[0]
    elif (
        base
        and base not in modules
        and name not in top
        and len(name) >= 4
        and name not in BUILTIN_METHODS
        and name not in STD_METHODS.get(symbols.language, ())
        and name not in attributes
    ):
        mrefs = methods.get(name, [])
        if len(mrefs) == 1 and mrefs[0].path != path and not external_trait_impl(mrefs[0], top):
            return "method", mrefs[0]
    return None


def build_samples(
    index: WorkspaceIndex, max_per_kind: int, rng: random.Random, mask: str = "first"
) -> list[dict]:
    files = {p: s for p, s in index.snapshot().items() if not is_test(p)}
    texts = {p: (index.root / p).read_text("utf-8", "replace") for p in files}
    SOURCE_LINES.update({p: t.split("\n") for p, t in texts.items()})
    for p, text in texts.items():
        if p.endswith(".go") and (m := re.search(r"^package\s+(\w+)", text, re.M)):
            _go_packages[p] = m.group(1)
    tables = (*_definition_tables(files), attribute_names(texts))
    variables = module_variables(files)
    project = Project(files)
    traits = Traits(files, SOURCE_LINES)
    external = ExternalImports(index.root, files)
    by_kind: dict[str, list[dict]] = {}
    for path, symbols in sorted(files.items()):
        if is_bundle(texts[path]):
            continue
        raw = (index.root / path).read_bytes()
        text = raw.decode("utf-8", "replace")
        lines = text.split("\n")
        tree = parser_for(symbols.language).parse(raw)
        local = {d.name for d in symbols.definitions}
        imported, modules = _scope_names(symbols, files, external)
        # Names and modules the file imports from another package: a method called through
        # one (`from pydantic_core import core_schema`, then `core_schema.list_schema(`) is
        # that package's, whatever the project defines under the same name.
        outside = {n for n, v in (*imported.items(), *modules.items()) if v == FOREIGN}
        skip = skipped_rows(lines, symbols.language)
        imports_at = import_rows(lines, symbols.imports)
        code = "\n".join("" if r in skip else line for r, line in enumerate(lines))
        for row, line in enumerate(lines):
            if row in skip or row < 3 or not line.strip():
                continue
            if any(d.start_line == row + 1 for d in symbols.definitions):
                continue  # a definition's own header
            for name, base, column in uses_with_columns(line):
                if name in local:
                    continue
                found = classify(name, base, path, symbols, tables, imported, modules)
                if found is None or not is_use_at(tree, line, row, column, name):
                    continue
                if found[0] == "import" and imported_variable(symbols, name, found[1], variables):
                    continue  # the module it comes from assigns it: the gold is a homonym
                if (
                    found[0] == "method"
                    and found[1].definition.kind in ("method", "function")
                    and field_access(line, column, name, symbols.language)
                ):
                    continue  # a field of the same name, of a type from elsewhere
                if (
                    found[0] == "method"
                    and symbols.language == "python"
                    and cannot_bind(tree, row, len(line[:column].encode()), found[1].definition)
                ):
                    continue  # a plain function in a class body (eval_python.py)
                if found[0] == "method" and chain_root(line[:column]) in outside:
                    continue  # called on another package's module or value
                if found[0] == "method" and project.foreign_receiver(
                    line,
                    column,
                    base,
                    code,
                    symbols.language,
                    local,
                    modules,
                    found[1].definition.container,
                    row,
                ):
                    continue  # a std or DOM method of the same name (eval_filters.Project)
                if (
                    found[0] == "method"
                    and symbols.language == "rust"
                    and resolves_elsewhere(
                        lines,
                        row,
                        base,
                        found[1].definition.container,
                        text,
                        traits,
                        module_words(found[1], files),
                    )
                ):
                    continue  # a trait not in scope, `self` of another type (eval_rust.py)
                if mask == "strict" and _rows_using(lines, name, imports_at) != [row]:
                    continue
                rows = _rows_using(lines, name, skip)  # code rows: comments, docstrings aside
                if mask == "first" and rows[:1] != [row]:
                    continue
                sample = _sample(index, path, lines, row, column, found)
                sample["distance"] = min((abs(r - row) for r in rows if r != row), default=None)
                by_kind.setdefault(found[0], []).append(sample)
                break
    samples = []
    for _kind, found in sorted(by_kind.items()):
        rng.shuffle(found)
        samples += found[:max_per_kind]
    return samples


def _rows_using(lines: list[str], name: str, skipped: set[int]) -> list[int]:
    """Rows holding `name` as a word, the rows in `skipped` aside."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    return [r for r, line in enumerate(lines) if r not in skipped and word.search(line)]


def _sample(index, path, lines, row, column, found) -> dict:
    kind, gold = found
    masked = "\n".join(lines[:row] + [lines[row][:column]] + lines[row + 1 :])
    offset = sum(len(line) + 1 for line in lines[:row]) + column
    gold_lines = (index.root / gold.path).read_text("utf-8", "replace").split("\n")
    h = header_line(gold_lines, gold.definition)
    return {
        "path": path,
        "row": row,
        "text": masked,
        "offset": offset,
        "kind": kind,
        "line": lines[row].strip(),
        "gold_path": gold.path,
        "gold_name": gold.definition.name,
        "gold_line": h,
        "gold_text": gold_text(gold_lines[h - 1]),
    }


def gold_text(line: str) -> str:
    """The gold's header line as a signature: without the body's opening brace (a context
    may show `func (c *Command) Root() *Command` with its body elided), nor the parenthesis
    around an arrow function's object body (`export const f = <A>(S: S<A>): M<A> => ({`)."""
    text = line.strip().removesuffix("{").rstrip()
    return text.removesuffix("(").rstrip() if text.endswith("=> (") else text
