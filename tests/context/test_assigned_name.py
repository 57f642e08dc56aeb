"""The name a line assigns names the member it goes on with (retrieve/expected.py
`named_by_head`): on a receiver typed by a guess, those members lead the hint before what the
other files call on that name."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import hint_after

from coderd.context.retrieve.expected import expected_at, named_by_head


def test_the_last_word_of_the_assigned_name_counts_most() -> None:
    expected = expected_at("    file_sizes = ")
    assert expected is not None and expected.head == "size"
    assert named_by_head("sizes", expected) == 2
    assert named_by_head("get_file", expected) == 1  # another of its words
    assert named_by_head("rm", expected) == 0
    assert expected_at("    x, err := ").head == ""  # `err` names nothing
    assert named_by_head("sizes", expected_at("    return ")) == 0  # nothing assigned


FILESYSTEM = "class FileSystem:\n" + "".join(
    f"    def {name}(self, path):\n        pass\n\n"
    for name in ("cat_file", "get_file", "put_file", "rm_file", "ls", "sizes")
)
CALLERS = {  # what the other files call on `fs`: every member but `sizes`, some often
    f"pkg/use{i}.py": "def f(fs):\n" + "".join(f"    fs.{n}('x')\n" for n in names)
    for i, names in enumerate(
        [("cat_file", "get_file", "ls"), ("cat_file", "put_file"), ("get_file", "rm_file")]
    )
}


def test_a_guessed_receiver_s_member_named_like_the_assignment_comes_first(
    tmp_path: Path,
) -> None:
    files = {
        "pkg/spec.py": FILESYSTEM,
        **CALLERS,
        "pkg/parquet.py": "def sizes_of(fs, paths):\n    file_sizes = fs.\n",
    }
    hint = hint_after(tmp_path / "ws", files, "pkg/parquet.py", "file_sizes = fs.")
    assert hint.guessed
    names = [c["name"] for c in hint.chunks]
    assert names[0] == "sizes", names
