"""Where a file sits: tests, examples and benchmarks beside a library's own code.

The library's code never calls into them, so a guess about a type (receiver_names.py,
receiver_calls.py) or a name seen nearby (candidates.py) made in the library's code leaves
their definitions out: werkzeug's `rv.` (a Response, by what other files call on `rv`) was
typed as examples/coolmagic's Response, whose 7 lines hold none of the members the real one
has.
"""

from __future__ import annotations

ASIDE_FOLDERS = frozenset(
    {"test", "tests", "testing", "__tests__", "spec", "example", "examples", "benches", "bench"}
)


def is_aside(path: str) -> bool:
    """A test, an example or a benchmark (by its folders or its name)."""
    parts = path.split("/")
    return (
        any(p in ASIDE_FOLDERS for p in parts[:-1])
        or parts[-1].startswith("test_")
        or parts[-1].endswith(("_test.go", ".test.ts", ".spec.ts", "_tests.rs"))
    )


def beside_the_code(refs: list, rel: str) -> list:
    """`refs` without those aside (is_aside) unless `rel` is aside too: the library's code
    cannot reach a test's type (Go compiles `_test.go` files apart, Rust `tests/` as crates of
    their own, and nothing imports an example)."""
    return refs if is_aside(rel) else [r for r in refs if not is_aside(r.path)]
