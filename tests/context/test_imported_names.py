"""Which definitions an imported name brings (retrieve/imported.py), on real TypeScript files."""

from __future__ import annotations

from ctx_helpers import make

from coderd.context.retrieve.candidates import retrieve

ERRORS = (
    "export interface BadArgument {\n  readonly _tag: 'BadArgument'\n}\n\n"
    "export const BadArgument: (message: string) => BadArgument = (message) => ({\n"
    "  _tag: 'BadArgument',\n})\n\n"
    "export function fail(message: string): never;\n"
    "export function fail(message: string, code: number): never;\n"
    "export function fail(message: string, code?: number): never {\n  throw message\n}\n"
)
PATH = (
    "import type { BadArgument } from './Error.js'\nimport { fail } from './Error.js'\n\n"
    "export interface Path {\n  readonly fromFileUrl: (url: URL) => \n}\n"
)


def test_a_type_and_a_value_of_one_name_are_both_candidates_overloads_one(tmp_path) -> None:
    """@effect/platform's `BadArgument` is an interface (what `import type` means) and a
    constructor of the same name; `fail`'s overload signatures are one function."""
    index = make(tmp_path, {"src/Error.ts": ERRORS, "src/Path.ts": PATH})
    offset = PATH.index("=> \n") + 3
    found = [
        (c.ref.definition.name, c.ref.definition.kind, c.ref.definition.start_line)
        for c in retrieve(index, "src/Path.ts", PATH, offset, 30)
        if c.source == "import"
    ]
    assert ("BadArgument", "interface", 1) in found
    assert [f for f in found if f[0] == "BadArgument" and f[1] != "interface"]
    assert [f[2] for f in found if f[0] == "fail"] == [11]  # the implementation, once
    index.close()
