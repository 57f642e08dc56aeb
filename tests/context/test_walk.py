"""The walk skips gitignored, binary, huge, vendored, minified and secret files."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write

from coderd.context.index.walk import WalkOptions, WorkspaceRules, is_secret_name, walk
from coderd.context.index.workspace import WorkspaceIndex


def indexed(root: Path, options: WalkOptions | None = None) -> set[str]:
    index = WorkspaceIndex(root, options)
    index.rescan()
    index.close()
    return set(index.snapshot())


def test_walk_skips_everything_that_must_not_be_indexed(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.gen.py\n/out/\n")
    write(tmp_path, ".git/info/exclude", "local_only.py\n")
    write(tmp_path, "src/.gitignore", "private/\n!keep.gen.py\n")
    keep = {
        "main.py": "def main(): pass\n",
        "src/app.ts": "export function app() {}\n",
        "src/keep.gen.py": "X = 1\n",  # re-included by the nested .gitignore
        "src/lib/util.go": "package lib\nfunc F() {}\n",
    }
    skip = {
        "a.gen.py": "X = 1\n",  # root .gitignore
        "out/x.py": "X = 1\n",  # ignored directory
        "local_only.py": "X = 1\n",  # .git/info/exclude
        "src/private/p.py": "X = 1\n",  # nested .gitignore
        "node_modules/lib/index.js": "function f() {}\n",
        ".venv/lib/site.py": "X = 1\n",
        "env2/lib/site.py": "X = 1\n",  # a virtual environment: pyvenv.cfg below
        "build/gen.py": "X = 1\n",
        "target/debug/build.rs": "fn main() {}\n",
        "__pycache__/m.py": "X = 1\n",
        "dist/bundle.min.js": "function f(){}\n",
        "src/app.min.js": "function f(){}\n",
        "src/long.js": "var x = [" + "1," * 4000 + "];\n",  # one very long line: minified
        "src/blob.py": b"X = 1\n\x00\x01\x02binary",
        "src/huge.py": "X = 1\n" * 200_000,
        ".env": "TOKEN=abc\n",
        ".env.local.js": "TOKEN=abc\n",
        "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "server.key": "k\n",
        "cert.pem": "c\n",
        "credentials.json": "{}\n",
        "src/secrets.py": "API_KEY = 'x'\n",
        "src/embedded_key.py": "KEY = '''-----BEGIN RSA PRIVATE KEY-----\nabc'''\n",
        "notes.md": "# not code\n",
    }
    for rel, text in {**keep, **skip}.items():
        write(tmp_path, rel, text)
    write(tmp_path, "env2/pyvenv.cfg", "home = /usr\n")
    assert indexed(tmp_path) == set(keep)


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    write(tmp_path, "small.py", "X = 1\n")
    write(tmp_path, "medium.py", "X = 1\n" * 100)
    assert indexed(tmp_path, WalkOptions(max_file_bytes=100)) == {"small.py"}


def test_gitignore_can_be_turned_off(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.py\n")
    write(tmp_path, "a.py", "X = 1\n")
    assert indexed(tmp_path) == set()
    assert indexed(tmp_path, WalkOptions(follow_gitignore=False)) == {"a.py"}


def test_a_gitignore_line_git_cannot_read_is_skipped(tmp_path: Path) -> None:
    """black's tests keep `.gitignore` files of a lone `!` on purpose: git skips such a line,
    and so does the walk; the file's other patterns still apply (it used to stop the walk)."""
    write(tmp_path, "tests/data/bad/.gitignore", "!\nbuild.py\n")
    write(tmp_path, "tests/data/bad/build.py", "X = 1\n")
    write(tmp_path, "tests/data/bad/kept.py", "X = 1\n")
    write(tmp_path, "src/app.py", "X = 1\n")
    assert indexed(tmp_path) == {"src/app.py", "tests/data/bad/kept.py"}


def test_symlinked_directories_are_not_entered(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret_tree.py", "X = 1\n")
    root = tmp_path / "ws"
    write(root, "a.py", "X = 1\n")
    (root / "link").symlink_to(outside, target_is_directory=True)
    assert list(walk(WorkspaceRules(root))) == ["a.py"]


def test_secret_names() -> None:
    for name in (
        ".env",
        ".env.production",
        "id_ed25519",
        "id_rsa.pub",
        "KEY.PEM",
        ".netrc",
        ".npmrc",
        "credentials",
        "aws-credentials.json",
        "client.p12",
    ):
        assert is_secret_name(name), name
    for name in ("environment.py", "id_utils.py", "keys.py", "monkey.rs", "credit.go"):
        assert not is_secret_name(name), name


def test_index_stops_growing_at_max_files(tmp_path):
    from coderd.context.index.walk import WalkOptions
    from coderd.context.index.workspace import WorkspaceIndex

    for i in range(12):
        (tmp_path / f"m{i:02d}.py").write_text(f"def f{i}():\n    return {i}\n")
    index = WorkspaceIndex(tmp_path, WalkOptions(max_files=5))
    index.build()
    assert index.wait_ready(30)
    assert index.stats().files == 5
    index.close()


def test_the_lsp_language_id_of_a_path_is_what_an_editor_sends() -> None:
    """`coderd complete` and `coderd eval` have no editor to say the languageId; the completion
    policy's rules are keyed by it (`ruby`'s `end`, `typescriptreact`'s tags)."""
    from coderd.context.index.languages import lsp_language_id

    assert lsp_language_id("src/app.py") == "python"  # it once got "py"
    assert lsp_language_id("web/App.tsx") == "typescriptreact"
    assert lsp_language_id("lib/task.rb") == "ruby"  # not indexed, still known to the policy
    assert lsp_language_id("include/geo.h") == "cpp"
    assert lsp_language_id("Makefile") == ""
