"""The server's usage on OpenAI's wire: cached tokens from vLLM and SGLang, which report them only
in a stream's last chunk, also when coderd's stop rule leaves the stream before it.

The loopback server keeps vLLM's documented contract (tests/remote_recorder.py `VllmContract`):
usage per chunk only with `continuous_usage_stats`, and without the cached tokens; those only
in the last chunk, and only when the server runs with `--enable-prompt-tokens-details`.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from remote_recorder import VllmContract  # tests/ is on sys.path
from test_remote_raw import no_proxy, server_ids, vocab  # noqa: F401 (fixtures; tests/engine)

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits, RequestStats
from coderd.engine.remote.client import RemoteEngine, RemoteOptions
from coderd.engine.remote.drain import DRAIN_TRIES, ServerCounts
from coderd.engine.remote.endpoint import LLAMA, OPENAI, resolve_endpoint
from coderd.engine.remote.shapes import PromptText
from coderd.engine.remote.stream import RemoteTimeout, Request, reads_on

PREFIX = "# util.py\nTWO = 2\n\ndef double(x):\n    return x * TWO\n# main.py\n" * 4
SUFFIX = "\n\nprint(add(1, double(2)))\n"
TYPED = "def add(a, b):\n    return a + b"
# coderd's stop rule, as the policy's would on a complete line: here at the first piece, so the
# stream is left before the server's last chunk.
FIRST_PIECE = GenerationLimits(max_tokens=16, stop_check=lambda text: len(text) if text else None)


@pytest.fixture
def serve(vocab):  # noqa: F811 (the fixture imported above)
    servers = []

    def start(**options) -> VllmContract:
        servers.append(VllmContract(server_ids(vocab), **options))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def type_keys(server: VllmContract, limits: GenerationLimits = FIRST_PIECE):
    """A prewarm, then one request per typed key, each waiting for the engine's late counts as
    coderd/status would show them a moment later: [(stats, the ids the server got)]."""
    engine = RemoteEngine(RemoteOptions(url=server.url, api_key_env="", format="raw"), environ={})
    seen = []
    try:
        for k in range(0, len(TYPED) + 1, 6):
            prompt = FimPrompt(
                prefix_ids=engine.tokenize(PREFIX + TYPED[:k]), suffix_ids=engine.tokenize(SUFFIX)
            )
            done = engine.complete(
                prompt, GenerationLimits(max_tokens=0) if k == 0 else limits, CancelToken()
            )
            engine.finish_reports(5)
            seen.append((done, server.prompt_ids[-1]))
    finally:
        engine.close()
    return seen


def test_a_stream_left_by_the_stop_rule_still_shows_the_servers_cached_tokens(serve):
    server = serve()
    seen = type_keys(server)
    prewarm, keys = seen[0], seen[1:]
    assert prewarm[0].stats.reused_tokens == 0  # a cold cache: vLLM leaves the count out
    for done, ids in keys:
        assert (done.text, done.stats.stop_reason) == ("x = ", "stop")
        assert done.stats.reused_tokens > len(ids) // 2, done.stats
        assert done.stats.reused_tokens + done.stats.evaluated_tokens == len(ids)
        assert done.stats.generated_tokens == 1  # what the user got, not what was read on
    options = [body["stream_options"] for body in server.requests]
    assert options == [{"include_usage": True, "continuous_usage_stats": True}] * len(seen)


def test_a_server_that_counts_no_cached_tokens_still_gives_its_prompt_count(serve):
    """vLLM without --enable-prompt-tokens-details: no key has a cached count, and every key
    has the server's prompt count, from the usage in every chunk."""
    server = serve(prompt_tokens_details=False)
    seen = type_keys(server)
    assert all(done.stats.reused_tokens == 0 for done, _ in seen)
    assert all(done.stats.evaluated_tokens == len(ids) for done, ids in seen)


def test_streams_are_read_on_only_where_cached_tokens_come_back():
    """Read on: where the chunks carry usage (vLLM, SGLang) or the server ended with it before
    (llama-server's /v1/completions), never where no usage comes (llama-cpp-python's server);
    for DRAIN_TRIES streams with no cached count, and for good once one had it; never on
    llama-server's own wire."""
    left = Request(
        endpoint=resolve_endpoint("http://h:8000", "raw"),
        text=PromptText("", "", ""),
        limits=GenerationLimits(),
        key_env="",
        key_set=False,
        model="",
        timeout=RemoteTimeout("silent"),
        drain=True,
    )
    assert not reads_on(left, {}) and reads_on(left, {"prompt": 90})
    assert reads_on(replace(left, usage_at_end=True), {})
    assert not reads_on(left, {"prompt": 90, "reused": 80})
    assert not reads_on(replace(left, drain=False), {"prompt": 90})
    stats, counts = RequestStats(), ServerCounts()
    assert not counts.drains(LLAMA) and not counts.usage_at_end
    for _ in range(DRAIN_TRIES):
        assert counts.drains(OPENAI)
        counts.take(stats, {"prompt": 90, "evaluated": 90, "reused": 0}, late=True)
    assert not counts.drains(OPENAI) and counts.usage_at_end
    again = ServerCounts()
    again.take(stats, {"evaluated": 10, "reused": 80, "cache_reported": 1}, late=False)
    for _ in range(DRAIN_TRIES + 1):
        again.take(stats, {"prompt": 90, "evaluated": 90, "reused": 0}, late=True)
    assert again.drains(OPENAI) and (stats.evaluated_tokens, stats.reused_tokens) == (90, 0)


def test_a_server_refusing_stream_options_gets_requests_without_them(serve):
    server = serve(refuse=("stream_options",))
    seen = type_keys(server, GenerationLimits(max_tokens=2))
    assert [done.text for done, _ in seen[1:]] == ["x = 1"] * (len(seen) - 1)
    assert seen[0][0].stats.stop_reason == "prewarm"
    # Refused once, sent again without; never asked again.
    assert ["stream_options" in body for body in server.requests] == [True] + [False] * len(seen)


def test_a_stream_read_on_is_closed_by_the_next_request(serve):
    """The slow server would stream 200 chunks (10 s) after the stop rule; the next key's
    request closes the stream read on first (it holds a place in the server's batch)."""
    server = serve()
    server.slow = True
    engine = RemoteEngine(RemoteOptions(url=server.url, api_key_env="", format="raw"), environ={})
    prompt = FimPrompt(prefix_ids=engine.tokenize(PREFIX), suffix_ids=engine.tokenize(SUFFIX))
    try:
        left = engine.complete(prompt, replace(FIRST_PIECE, max_tokens=200), CancelToken())
        assert (left.text, left.stats.stop_reason) == ("x", "stop")
        engine.complete(prompt, GenerationLimits(max_tokens=1), CancelToken())
        assert server.disconnected.wait(5), "the stream read on outlived the next request"
    finally:
        engine.close()
