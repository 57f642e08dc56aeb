"""What a member list shows (#13): a declaration's member line keeps its `;`; a Go interface
lists its methods; a definition is shown once (not by a signature list starting at its line
too); nothing another file cannot name (`_`, Go's `init`). Real files in tmp_path, no model."""

from __future__ import annotations


def test_a_declared_member_is_shown_with_its_semicolon():
    # `abort(): void;` as written: without its `;` it is not the line a reader (or the
    # evaluation, which looks for the gold's line) finds in the interface.
    from coderd.context.index.extract import extract
    from coderd.context.pack.render import member_line

    source = "export interface Controller {\n  readonly signal: string;\n  abort(): void;\n}\n"
    abort = next(d for d in extract(source.encode(), "typescript").definitions if d.name == "abort")
    assert member_line(source.split("\n"), abort) == "  abort(): void;"
