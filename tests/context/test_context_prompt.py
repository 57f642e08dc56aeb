"""Repository context in the prompt: imported definitions, DeepSeek path headers, stability;
`coderd context` showing the very prompt the server builds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from coderd.config.settings import ContextSettings
from coderd.context.provider import ContextProvider

GEOMETRY = '''"""Shapes."""


class Rectangle:
    """An axis-aligned rectangle."""

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height

    def area(self) -> float:
        return self.width * self.height


def scale(shape: Rectangle, factor: float) -> Rectangle:
    """A copy of `shape`, `factor` times larger."""
    return Rectangle(shape.width * factor, shape.height * factor)


def unrelated_helper():
    return 42
'''
MAIN = "from pkg.geometry import Rectangle, scale\nfrom .units import METRES\n\n\ndef report(r):\n    bigger = scale(r, 2)\n    return \n"
UNITS_TS = "export function toMetres(feet: number): number {\n  return feet * 0.3048;\n}\n"
APP_TS = (
    "import { toMetres } from './units';\n\nexport function show(f: number) {\n  const m = \n}\n"
)


BOS, BEGIN, HOLE, END = (
    "<｜begin▁of▁sentence｜>",
    "<｜fim▁begin｜>",
    "<｜fim▁hole｜>",
    "<｜fim▁end｜>",
)
# In main.py's `    bigger = |scale(r, 2)`: text on both sides of the hole.
LINE, COLUMN = 6, 14
CURSOR = MAIN.index("scale(r, 2)")


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "geometry.py").write_text(GEOMETRY)
    (root / "pkg" / "main.py").write_text(MAIN)
    (root / "pkg" / "units.py").write_text("METRES = 1.0\n")
    (root / "web").mkdir()
    (root / "web" / "units.ts").write_text(UNITS_TS)
    (root / "web" / "app.ts").write_text(APP_TS)
    (root / ".env").write_text("SECRET_KEY = 'hunter2'\ndef scale(): pass\n")
    return root


def words(text: str) -> list[str]:
    return text.split()


def provider_for(root: Path, budget: int = 400) -> ContextProvider:
    provider = ContextProvider(ContextSettings(budget_tokens=budget), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    return provider


def test_imported_definitions_come_with_deepseek_path_headers(tmp_path):
    root = workspace(tmp_path)
    provider = provider_for(root)
    main = root / "pkg" / "main.py"
    packed = provider.context_for(main, MAIN, MAIN.index("return ") + 7, words)
    text = packed.text
    assert text.startswith("# pkg/geometry.py\n")
    assert "def scale(shape: Rectangle, factor: float) -> Rectangle:" in text
    assert "class Rectangle:" in text and "    def area(self) -> float:" in text
    assert "METRES = 1.0" in text and "# pkg/units.py\n" in text  # a relative import
    assert "unrelated_helper" not in text and "hunter2" not in text
    assert text.endswith("# pkg/main.py\n")  # the current file's header, right before its prefix
    assert {c["source"] for c in packed.chunks} == {"import"}
    provider.close()


def test_typescript_relative_import_uses_line_comments(tmp_path):
    root = workspace(tmp_path)
    provider = provider_for(root)
    app = root / "web" / "app.ts"
    packed = provider.context_for(app, APP_TS, APP_TS.index("const m = ") + 10, words)
    assert packed.text.startswith(
        "// web/units.ts\nexport function toMetres(feet: number): number {"
    )
    assert packed.text.endswith("// web/app.ts\n")
    provider.close()


def test_keystrokes_inside_a_function_body_keep_the_context_bytes(tmp_path):
    root = workspace(tmp_path)
    provider = provider_for(root)
    main = root / "pkg" / "main.py"
    cursor = MAIN.index("return ") + 7
    first = provider.context_for(main, MAIN, cursor, words).text
    text = MAIN
    for ch in "bigger.area()":
        text = text[:cursor] + ch + text[cursor:]
        cursor += 1
        provider.set_buffer(main, text)  # as didChange does
        assert provider.context_for(main, text, cursor, words).text == first
    provider.close()


def test_budget_is_respected(tmp_path):
    root = workspace(tmp_path)
    provider = provider_for(root, budget=40)
    main = root / "pkg" / "main.py"
    packed = provider.context_for(main, MAIN, MAIN.index("return ") + 7, words)
    assert len(words(packed.text)) <= 40
    assert packed.text.endswith("# pkg/main.py\n")
    provider.close()


def test_complete_json_shows_the_imported_definition_in_the_prompt(tmp_path, tiny_model_path):
    from lsp_client import scratch_env

    root = workspace(tmp_path)
    exe = Path(sys.executable).parent / "coderd"
    result = subprocess.run(
        [
            str(exe),
            "complete",
            f"{root / 'pkg' / 'main.py'}:7:12",
            "--model",
            str(tiny_model_path),
            "--workspace",
            str(root),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # A roomy budget: without ../shared the synthetic byte-level vocabulary needs far more
        # tokens per definition than DeepSeek's.
        env=scratch_env(
            tmp_path / "home", CODERD_COMPLETION_MAX_TOKENS="4", CODERD_CONTEXT_BUDGET_TOKENS="1200"
        ),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (
        "def scale(shape: Rectangle, factor: float) -> Rectangle:"
        in report["prompt"]["context_text"]
    )
    assert {c["name"] for c in report["prompt"]["context"]} >= {"Rectangle", "scale"}
    pieces = {p["name"]: p["ids"] for p in report["prompt"]["pieces"]}
    assert len(pieces["context"]) > 20


def test_context_command_batch_uses_the_given_text(tmp_path, tiny_model_path):
    from lsp_client import scratch_env

    root = workspace(tmp_path)
    batch = tmp_path / "requests.jsonl"
    module_use = "import pkg.geometry\n\nx = pkg.geometry.scale(1)\n"
    # The receiver hint, its type guessed from the parameter's name, then a typed one.
    guess_use = "import pkg.geometry\n\ndef f(rectangle):\n    rectangle.\n"
    typed_use = "from pkg.geometry import Rectangle\n\ndef f(r: Rectangle):\n    r.\n"
    batch.write_text(
        json.dumps({"file": str(root / "pkg" / "main.py"), "line": 6, "character": 11})
        + "\n"
        + json.dumps(
            {"file": str(root / "pkg" / "main.py"), "line": 2, "character": 0, "text": module_use}
        )
        + "\n"
        + json.dumps(
            {"file": str(root / "pkg" / "main.py"), "line": 3, "character": 14, "text": guess_use}
        )
        + "\n"
        + json.dumps(
            {"file": str(root / "pkg" / "main.py"), "line": 3, "character": 6, "text": typed_use}
        )
        + "\n"
    )
    exe = Path(sys.executable).parent / "coderd"
    result = subprocess.run(
        [
            str(exe),
            "context",
            "--batch",
            str(batch),
            "--model",
            str(tiny_model_path),
            "--workspace",
            str(root),
            "--budget",
            "1200",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=scratch_env(tmp_path / "home"),
    )
    assert result.returncode == 0, result.stderr
    first, second, guessed, typed = (json.loads(line) for line in result.stdout.splitlines())
    assert {c["name"] for c in first["context"]} >= {"Rectangle", "scale"}
    assert "# pkg/main.py\n" + MAIN[: first["offset"]] + HOLE in first["prompt_text"]
    # The text given in the request replaced the file: a module import, then `.scale` used.
    assert "scale" in [c["name"] for c in second["context"]]
    assert "Rectangle" not in [c["name"] for c in second["context"]]
    assert all(c["tokens"] > 0 for c in first["context"] + second["context"])
    assert "# rectangle: Rectangle (pkg/geometry.py)" in guessed["receiver"]["text"]
    assert guessed["receiver"]["guessed"] is True
    assert "# r: Rectangle (pkg/geometry.py)" in typed["receiver"]["text"]
    assert typed["receiver"]["guessed"] is False


def coderd(tmp_path: Path, *args: str) -> str:
    """`coderd ARGS` in a scratch home with the same settings for every command; its stdout."""
    from lsp_client import scratch_env

    exe = Path(sys.executable).parent / "coderd"
    result = subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=scratch_env(
            tmp_path / "home", CODERD_COMPLETION_MAX_TOKENS="4", CODERD_CONTEXT_BUDGET_TOKENS="1200"
        ),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def shown_and_sent(tmp_path: Path, model: Path) -> tuple[dict, dict, str]:
    """`coderd context --json` and `coderd complete --json` at the cursor, and the prompt the
    engine evaluated (its ids, markers as their texts)."""
    from coderd.engine.llama.model import LlamaModel

    root = workspace(tmp_path)
    where = [
        f"{root / 'pkg' / 'main.py'}:{LINE}:{COLUMN}",
        "--model",
        str(model),
        "--workspace",
        str(root),
        "--json",
    ]
    shown = json.loads(coderd(tmp_path, "context", *where))
    sent = json.loads(coderd(tmp_path, "complete", *where))
    vocab = LlamaModel(model, gpu_layers=0, vocab_only=True)
    ids = [t for piece in sent["prompt"]["pieces"] for t in piece["ids"]]
    engine_text = b"".join(vocab.piece(t, special=True) for t in ids).decode("utf-8")
    vocab.close()
    return shown, sent, engine_text


def assert_same_counts(shown: dict, sent: dict) -> None:
    pieces = {p["name"]: p["ids"] for p in sent["prompt"]["pieces"]}
    assert shown["context_tokens"] == len(pieces["context"]) > 20
    assert shown["prefix_tokens"] == len(pieces["prefix"]) > 0
    assert shown["suffix_tokens"] == len(pieces["suffix"]) > 0
    assert [c["name"] for c in shown["context"]] == [c["name"] for c in sent["prompt"]["context"]]


def test_context_prompt_text_is_the_fim_prompt_the_engine_builds(tmp_path, tiny_model_path):
    shown, sent, engine_text = shown_and_sent(tmp_path, tiny_model_path)
    context = sent["prompt"]["context_text"]
    assert "# pkg/geometry.py\n" in context and context.endswith("# pkg/main.py\n")
    # DeepSeek's PSM order: context and the current file's header inside the prefix part.
    expected = BEGIN + context + MAIN[:CURSOR] + HOLE + MAIN[CURSOR:] + END
    assert shown["prompt_text"] in (expected, BOS + expected)
    assert shown["prompt_text"] == engine_text
    assert_same_counts(shown, sent)


def test_context_with_repository_tokens_is_what_the_server_sends(tmp_path, repo_model_path):
    shown, sent, engine_text = shown_and_sent(tmp_path, repo_model_path)
    context = sent["prompt"]["context_text"]
    assert context.startswith("<|repo_name|>ws\n<|file_sep|>pkg/geometry.py\n")
    assert context.endswith("<|file_sep|>pkg/main.py\n")
    # Qwen's order: the repository context before the PRE marker.
    expected = context + BEGIN + MAIN[:CURSOR] + HOLE + MAIN[CURSOR:] + END
    assert shown["prompt_text"] in (expected, BOS + expected)
    assert "# pkg/" not in shown["prompt_text"] and "\x00" not in shown["prompt_text"]
    assert shown["prompt_text"] == engine_text
    assert_same_counts(shown, sent)
    # The listing without --json shows the real token texts too.
    root = tmp_path / "ws"
    listing = coderd(
        tmp_path,
        "context",
        f"{root / 'pkg' / 'main.py'}:{LINE}:{COLUMN}",
        "--model",
        str(repo_model_path),
        "--workspace",
        str(root),
    )
    assert "<|file_sep|>pkg/main.py\n" in listing and "\x00" not in listing
