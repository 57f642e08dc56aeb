"""Settings loading: defaults, each source, precedence, and every kind of bad input."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from coderd.config.fields import FieldSpec, check_value
from coderd.config.settings import (
    CompletionSettings,
    ConfigProblem,
    Settings,
    default_config_toml,
    load_settings,
    settings_as_dict,
)
from coderd.system import paths

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str | None = None, environ=None, init_options=None):
    path = write_config(tmp_path, text) if text is not None else tmp_path / "missing.toml"
    return load_settings(config_path=path, environ=environ or {}, init_options=init_options)


def test_defaults_when_nothing_is_set(tmp_path):
    loaded = load(tmp_path)
    assert loaded.settings == Settings()
    assert loaded.problems == ()  # a missing file is the normal first run
    assert loaded.settings.model.n_ctx == 2048
    assert loaded.settings.completion.stop == ()
    assert set(loaded.origins.values()) == {"default"}


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().completion.max_tokens = 1  # type: ignore[misc]


def test_config_file_alone(tmp_path):
    loaded = load(tmp_path, '[model]\npath = "/m.gguf"\n[completion]\nstop = ["\\n\\n", "def "]\n')
    assert loaded.problems == ()
    assert loaded.settings.model.path == "/m.gguf"
    assert loaded.settings.completion.stop == ("\n\n", "def ")
    assert loaded.origins["model.path"] == str(tmp_path / "config.toml")


def test_init_options_alone(tmp_path):
    loaded = load(tmp_path, init_options={"completion": {"max_tokens": 32}, "log": {}})
    assert loaded.problems == ()
    assert loaded.settings.completion.max_tokens == 32
    assert loaded.origins["completion.max_tokens"] == "initializationOptions"


def test_environment_alone(tmp_path):
    loaded = load(tmp_path, environ={"CODERD_MODEL_PATH": "/e.gguf", "CODERD_LOG_LEVEL": "DEBUG"})
    assert loaded.problems == ()
    assert loaded.settings.model.path == "/e.gguf"
    assert loaded.settings.log.level == "debug"  # choices are case-insensitive
    assert loaded.origins["model.path"] == "CODERD_MODEL_PATH"


def test_precedence_file_then_init_options_then_environment(tmp_path):
    text = "[completion]\nmax_tokens = 10\nmax_lines = 3\ntime_budget_ms = 900\n"
    init = {"completion": {"max_tokens": 20, "max_lines": 4}}
    loaded = load(tmp_path, text, environ={"CODERD_COMPLETION_MAX_TOKENS": "30"}, init_options=init)
    assert loaded.problems == ()
    completion = loaded.settings.completion
    assert (completion.max_tokens, completion.max_lines, completion.time_budget_ms) == (30, 4, 900)


def test_config_path_follows_xdg_and_coderd_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CODERD_CONFIG", raising=False)
    xdg_file = tmp_path / "xdg" / "coderd" / "config.toml"
    assert paths.config_file() == xdg_file
    xdg_file.parent.mkdir(parents=True)
    xdg_file.write_text("[model]\nbatch = 64\n")
    assert load_settings(environ={}).settings.model.batch == 64

    other = write_config(tmp_path, "[model]\nbatch = 128\n")
    loaded = load_settings(environ={"CODERD_CONFIG": str(other)})
    assert (loaded.config_path, loaded.settings.model.batch) == (other, 128)
    assert loaded.problems == ()  # CODERD_CONFIG is not an unknown setting


def test_toml_syntax_error_ignores_the_file_and_names_the_line(tmp_path):
    loaded = load(tmp_path, "[model]\nbatch = 64\n\n[completion]\nmax_tokens = = 3\n")
    assert loaded.settings == Settings()
    [problem] = loaded.problems
    assert problem.line == 5
    assert "invalid TOML" in problem.message and "ignored" in problem.message
    assert str(problem).startswith(f"{tmp_path / 'config.toml'}:5: invalid TOML")


def test_bad_value_names_key_and_line_and_keeps_the_rest(tmp_path):
    text = '# comment\n[model]\nbatch = 64\n\n[completion]\nmax_lines = 5\nmax_tokens = "lots"\n'
    loaded = load(tmp_path, text)
    [problem] = loaded.problems
    assert (problem.key, problem.line) == ("completion.max_tokens", 7)
    assert str(problem) == (
        f"{tmp_path / 'config.toml'}:7: completion.max_tokens: "
        'expected an integer, got "lots" (using the default 64)'
    )
    assert loaded.settings.model.batch == 64 and loaded.settings.completion.max_lines == 5
    assert loaded.settings.completion.max_tokens == 64


def test_bad_value_in_a_higher_source_keeps_the_lower_one(tmp_path):
    loaded = load(
        tmp_path,
        "[completion]\nmax_tokens = 32\n",
        environ={"CODERD_COMPLETION_MAX_TOKENS": "lots"},
    )
    [problem] = loaded.problems
    assert problem.source == "CODERD_COMPLETION_MAX_TOKENS" and problem.line is None
    assert "keeping 32 from" in problem.message
    assert loaded.settings.completion.max_tokens == 32


@pytest.mark.parametrize(
    "line, expected_error",
    [
        ("max_tokens = true", "expected an integer, got true"),  # bool is not an int
        ("max_tokens = 2.5", "expected an integer, got 2.5"),  # no silent rounding
        ("max_tokens = 0", "expected 1 to 4096, got 0"),
        ("reuse_suffix_kv = 1", "expected true or false, got 1"),
        ("stop = [1, 2]", "expected a list of strings, got [1, 2]"),
    ],
)
def test_type_and_bound_rules(tmp_path, line, expected_error):
    [problem] = load(tmp_path, f"[completion]\n{line}\n").problems
    assert problem.line == 2
    assert problem.message.startswith(expected_error)


def test_int_is_accepted_for_float_fields():
    spec = FieldSpec("s", "ratio", float, 0.5, "doc", 0.0, 1.0, None, {})
    assert check_value(spec, 1) == (1.0, None)
    assert check_value(spec, True)[1] == "expected a number, got true"


def test_n_ctx_zero_is_rejected_with_the_reason(tmp_path):
    [problem] = load(tmp_path, "[model]\nn_ctx = 0\n").problems
    assert problem.key == "model.n_ctx" and problem.line == 2
    assert "163,840" in problem.message and "V2-Lite" in problem.message


def test_unknown_keys_and_sections_suggest_a_fix(tmp_path):
    text = "max_tokens = 3\n[completion]\nmax_token = 3\n[modle]\nbatch = 8\n"
    problems = {p.key: p for p in load(tmp_path, text).problems}
    assert problems["completion.max_token"].line == 3
    assert "did you mean completion.max_tokens?" in problems["completion.max_token"].message
    assert problems["modle"].line == 4 and "did you mean model?" in problems["modle"].message
    assert "did you mean completion.max_tokens?" in problems["max_tokens"].message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("true", True),
        ("ON", True),
        ("yes", True),
        ("1", True),
        ("false", False),
        ("off", False),
        ("No", False),
        ("0", False),
    ],
)
def test_environment_bool_words(tmp_path, text, expected):
    loaded = load(tmp_path, environ={"CODERD_COMPLETION_REUSE_SUFFIX_KV": text})
    assert loaded.settings.completion.reuse_suffix_kv is expected


def test_environment_list_and_bad_values(tmp_path):
    environ = {
        "CODERD_COMPLETION_STOP": "def , class,,",
        "CODERD_COMPLETION_REUSE_SUFFIX_KV": "maybe",
        "CODERD_MODEL_N_CTX": "100",
        "CODERD_MODEL_THREADS": "",  # empty counts as unset
        "CODERD_LOG_LEVL": "debug",
        "CODERD_SOMETHING_ELSE": "not ours to judge",
    }
    loaded = load(tmp_path, environ=environ)
    assert loaded.settings.completion.stop == ("def", "class")
    problems = {p.source: str(p) for p in loaded.problems}
    assert set(problems) == {
        "CODERD_COMPLETION_REUSE_SUFFIX_KV",
        "CODERD_MODEL_N_CTX",
        "CODERD_LOG_LEVL",
    }
    assert problems["CODERD_COMPLETION_REUSE_SUFFIX_KV"].startswith(
        "CODERD_COMPLETION_REUSE_SUFFIX_KV: completion.reuse_suffix_kv: expected true/false"
    )
    assert "expected 256 to 1048576, got 100" in problems["CODERD_MODEL_N_CTX"]
    assert "did you mean CODERD_LOG_LEVEL?" in problems["CODERD_LOG_LEVL"]


@pytest.mark.parametrize("options", [["completion"], "max_tokens=3", 7])
def test_init_options_that_are_not_an_object(tmp_path, options):
    loaded = load(tmp_path, init_options=options)
    assert loaded.settings == Settings()
    [problem] = loaded.problems
    assert problem.source == "initializationOptions" and "expected an object" in problem.message


def test_init_options_with_a_section_that_is_not_an_object(tmp_path):
    options = {"completion": 5, "model": {"batch": 64, "n_ctx": "big"}}
    loaded = load(tmp_path, init_options=options)
    assert loaded.settings.model.batch == 64
    problems = {(p.key, p.line) for p in loaded.problems}
    assert problems == {("completion", None), ("model.n_ctx", None)}


def test_context_budget_shrinks_prefix_tokens(tmp_path):
    loaded = load(tmp_path, "[model]\nn_ctx = 256\n")
    completion = loaded.settings.completion
    assert completion.prefix_tokens == 256 - 64 - 64 - 8
    assert (completion.suffix_tokens, completion.max_tokens) == (64, 64)
    [problem] = loaded.problems
    assert problem.key == "completion.prefix_tokens"
    for term in ("prefix_tokens (384)", "suffix_tokens (64)", "max_tokens (64)", "n_ctx (256)"):
        assert term in problem.message


def test_context_budget_shrinks_further_when_the_prefix_is_at_its_minimum(tmp_path):
    text = "[model]\nn_ctx = 256\n[completion]\nsuffix_tokens = 300\nmax_tokens = 4000\n"
    loaded = load(tmp_path, text)
    completion = loaded.settings.completion
    budget = (completion.prefix_tokens, completion.suffix_tokens, completion.max_tokens)
    assert budget == (16, 0, 232)
    assert loaded.problems[0].message.endswith(
        "using prefix_tokens = 16, suffix_tokens = 0, max_tokens = 232"
    )


def test_unreadable_config_file_is_one_problem(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[model]\npath = "\xff\xfe"\n')
    loaded = load_settings(config_path=path, environ={})
    [problem] = loaded.problems
    assert "not UTF-8" in problem.message and loaded.settings == Settings()

    directory = tmp_path / "dir.toml"
    directory.mkdir()
    [problem] = load_settings(config_path=directory, environ={}).problems
    assert "cannot read" in problem.message


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[model]\nbatch = 64\n")
    loaded = load_settings(config_path=path, environ={})
    assert loaded.problems == () and loaded.settings.model.batch == 64


def test_default_config_toml_parses_back_to_the_defaults(tmp_path):
    text = default_config_toml()
    assert tomllib.loads(text) == settings_as_dict(Settings())
    assert "# Range: 256 to 1048576. Environment: CODERD_MODEL_N_CTX.\n" in text
    loaded = load(tmp_path, text)
    assert loaded.problems == () and loaded.settings == Settings()


def test_settings_as_dict_is_plain_data():
    settings = Settings(completion=CompletionSettings(stop=("a",)))
    assert settings_as_dict(settings)["completion"]["stop"] == ["a"]
    assert settings_as_dict(settings)["log"] == {"level": "info"}


def test_problem_without_line_or_key():
    problem = ConfigProblem("initializationOptions", "", None, "oops")
    assert str(problem) == "initializationOptions: oops"


def test_the_editor_cannot_turn_the_remote_backend_on(tmp_path):
    """A project's editor settings must not send its code off the machine."""
    loaded = load_settings(
        config_path=tmp_path / "absent.toml",
        environ={},
        init_options={
            "remote": {"enabled": True, "url": "http://evil.example"},
            "network": {"offline": False},
            "completion": {"max_tokens": 20},
        },
    )
    assert loaded.settings.remote.enabled is False
    assert loaded.settings.remote.url != "http://evil.example"
    assert loaded.settings.completion.max_tokens == 20  # the rest still applies
    assert any("never from the editor" in str(p) for p in loaded.problems)
    from_env = load_settings(
        config_path=tmp_path / "absent.toml", environ={"CODERD_REMOTE_ENABLED": "true"}
    )
    assert from_env.settings.remote.enabled is True
