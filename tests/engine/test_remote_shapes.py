"""Where requests go and what they carry, per remote.url and remote.format (pure functions)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from coderd.engine.base import EngineError, GenerationLimits
from coderd.engine.remote.deepseek_api import CURRENT_IDS
from coderd.engine.remote.endpoint import resolve_endpoint
from coderd.engine.remote.errors import http_error
from coderd.engine.remote.probe import ServerFacts, choose_shape
from coderd.engine.remote.shapes import PromptText, request_body

TEXT = PromptText(context="# a.py\nX = 1\n# b.py\n", prefix="def f():\n    return", suffix="\n")


@pytest.mark.parametrize(
    "url, fmt, expected",
    [
        ("http://h:8080", "auto", ("http://h:8080/v1/completions", "auto", "openai")),
        ("http://h:8080/", "raw", ("http://h:8080/v1/completions", "raw", "openai")),
        ("http://h:8080", "infill", ("http://h:8080/infill", "infill", "llama")),
        ("http://h:8080/v1", "infill", ("http://h:8080/infill", "infill", "llama")),
        ("http://h:8080/infill", "auto", ("http://h:8080/infill", "infill", "llama")),
        ("http://h:8080/completion", "auto", ("http://h:8080/completion", "raw", "llama")),
        ("http://h:8000/v1", "suffix", ("http://h:8000/v1/completions", "suffix", "openai")),
        (
            "https://api.deepseek.com/beta",
            "auto",
            ("https://api.deepseek.com/beta/completions", "suffix", "openai"),
        ),
    ],
)
def test_url_and_format_give_the_endpoint(url, fmt, expected):
    e = resolve_endpoint(url, fmt)
    assert (e.url, e.shape, e.wire) == expected


@pytest.mark.parametrize(
    "url, fmt, words",
    [
        ("http://h:8080/infill", "raw", ('remote.format = "raw"', "remote.url")),
        ("http://h:8080/completion", "suffix", ('"raw" shape', "remote.format")),
        ("http://h:8080/v1/completions", "infill", ("/infill", "remote.url")),
        ("ftp://h", "auto", ("not an http",)),
    ],
)
def test_a_url_and_format_that_disagree_name_both_settings(url, fmt, words):
    with pytest.raises(EngineError) as raised:
        resolve_endpoint(url, fmt)
    assert all(w in str(raised.value) for w in words), raised.value


def test_the_deepseek_api_gets_non_thinking_mode_and_no_other_server_does():
    limits = GenerationLimits(max_tokens=8, stop_strings=("\n\n", "a", "b", "c", "d"))
    api = resolve_endpoint("https://api.deepseek.com/beta")
    body = request_body(api, TEXT, limits, "deepseek-v4-flash")
    assert body == {
        "prompt": TEXT.context + TEXT.prefix,
        "suffix": "\n",
        "max_tokens": 8,
        "temperature": 0,
        "stream": True,
        "stop": ["\n\n", "a", "b", "c"],
        "model": "deepseek-v4-flash",
        "thinking": {"type": "disabled"},
        # usage as DeepSeek documents it (with prompt_cache_hit_tokens): no vLLM options
        "stream_options": {"include_usage": True},
    }
    local = request_body(resolve_endpoint("http://h:8000/v1", "suffix"), TEXT, limits, "")
    assert "thinking" not in local and "model" not in local


def test_a_prewarm_asks_for_one_token_on_the_openai_wire_and_none_from_llama_server():
    prewarm = GenerationLimits(max_tokens=0)
    raw = request_body(resolve_endpoint("http://h:8000", "raw"), TEXT, prewarm, "")
    assert raw["max_tokens"] == 1 and "suffix" not in raw
    native = request_body(resolve_endpoint("http://h:8080/completion"), TEXT, prewarm, "")
    assert native["n_predict"] == 0 and native["cache_prompt"] is True


@pytest.mark.parametrize(
    "engine, models, model, shape",
    [
        ("vllm", ("deepseek-ai/deepseek-coder-6.7b-base",), "", "raw"),
        ("sglang", ("x",), "deepseek-ai/deepseek-coder-1.3b-base", "raw"),
        ("vllm", ("Qwen/Qwen2.5-Coder-7B",), "", "suffix"),
        ("llamacpp", ("deepseek-coder-1.3b-base.Q8_0.gguf",), "", "raw"),
        ("llamacpp", ("qwen2.5-coder-1.5b-q8_0.gguf",), "", "infill"),
        ("me", ("deepseek-coder-1.3b-base.gguf",), "", "suffix"),
        ("", (), "", "suffix"),
    ],
)
def test_auto_picks_the_shape_from_what_the_server_says(engine, models, model, shape):
    assert choose_shape(ServerFacts(True, 200, engine, models), model) == shape


def test_the_suffix_shape_breaks_spelled_markers_too():
    """SGLang's completion template writes the markers around prompt and suffix as text."""
    spelled = PromptText(context="", prefix="a = '<｜fim▁hole｜>'\n", suffix="b = '<｜fim▁end｜>'")
    body = request_body(
        resolve_endpoint("http://h:30000", "suffix"), spelled, GenerationLimits(), ""
    )
    assert body["prompt"] == "a = '<\u200b｜fim▁hole｜>'\n"
    assert body["suffix"] == "b = '<\u200b｜fim▁end｜>'"


def test_the_readme_example_for_the_hosted_api_uses_a_current_id_in_non_thinking_mode():
    """README.md's [remote] example for api.deepseek.com: a model id the API serves now, and the
    request coderd sends for it asks for non-thinking mode (FIM works only there)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    [example] = [tomllib.loads(b)["remote"] for b in blocks if "api.deepseek.com" in b]
    assert example["model"] in CURRENT_IDS
    body = request_body(
        resolve_endpoint(example["url"]), TEXT, GenerationLimits(), example["model"]
    )
    assert body["model"] in CURRENT_IDS and body["thinking"] == {"type": "disabled"}


def test_the_api_refusing_a_retired_id_names_the_setting_and_the_current_ids():
    """What api.deepseek.com answers for an id it no longer serves (HTTP 400, "Model Not
    Exist"): one line naming remote.model, when the id was retired and what to use."""
    body = b'{"error": {"message": "Model Not Exist", "type": "invalid_request_error"}}'
    error = http_error(
        400,
        body,
        "https://api.deepseek.com/beta/completions",
        key_env="DEEPSEEK_API_KEY",
        key_set=True,
        model="deepseek-chat",
    )
    message = str(error)
    assert "remote.model = 'deepseek-chat'" in message and "Model Not Exist" in message
    assert "retired 'deepseek-chat' on 2026-07-24" in message and "deepseek-v4-flash" in message
    assert "\n" not in message
