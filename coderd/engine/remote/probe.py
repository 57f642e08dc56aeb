"""What a server says about itself: GET .../v1/models, read for remote.format = "auto" and
for `coderd doctor`.

`owned_by` names the engine: "vllm", "sglang", "llamacpp" (llama-server), "me"
(llama-cpp-python), "deepseek". vLLM refuses a `suffix` and llama-server's /v1/completions
ignores one, so for a DeepSeek Coder model those servers get the "raw" shape: the prompt laid
out by coderd, repository context and all. A llama-server with another model gets /infill
(it knows that model's markers); everything else keeps "suffix".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from coderd.engine.remote.endpoint import INFILL, RAW, SUFFIX, Endpoint
from coderd.engine.remote.errors import server_message

log = logging.getLogger(__name__)
RAW_ENGINES = ("vllm", "sglang", "llamacpp")
PROBE_TIMEOUT_S = 3.0  # coderd doctor's: long enough for a loaded server, short to wait for


@dataclass(frozen=True)
class ServerFacts:
    answered: bool
    status: int = 0
    engine: str = ""  # the models' owned_by
    models: tuple[str, ...] = ()
    problem: str = ""  # why it did not answer, or its error message


def read_models(response: httpx.Response) -> ServerFacts:
    if response.status_code >= 400:
        return ServerFacts(True, response.status_code, problem=server_message(response.content))
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        data = None
    entries = [e for e in data if isinstance(e, Mapping)] if isinstance(data, Sequence) else []
    owners = {str(e.get("owned_by", "")) for e in entries}
    return ServerFacts(
        True,
        response.status_code,
        engine=owners.pop() if len(owners) == 1 else "",
        models=tuple(str(e.get("id", "")) for e in entries),
    )


def unanswered(exc: Exception) -> ServerFacts:
    return ServerFacts(False, problem=f"{type(exc).__name__}: {exc}".rstrip(": "))


async def probe_async(client: httpx.AsyncClient, models_url: str) -> ServerFacts:
    try:
        return read_models(await client.get(models_url))
    except httpx.HTTPError as exc:
        return unanswered(exc)


def probe(models_url: str, headers: Mapping[str, str], timeout_s: float) -> ServerFacts:
    try:
        return read_models(httpx.get(models_url, headers=dict(headers), timeout=timeout_s))
    except httpx.HTTPError as exc:
        return unanswered(exc)


def is_deepseek_coder(name: str) -> bool:
    """Whether a model id or file name names a DeepSeek Coder model (not the V2+ chat ones)."""
    lowered = name.lower().replace("_", "-")
    return "deepseek" in lowered and "coder" in lowered


def choose_shape(facts: ServerFacts, model: str) -> str:
    """The shape for remote.format = "auto" on an OpenAI-style URL."""
    names = [model] if model else list(facts.models)
    deepseek_coder = bool(names) and all(is_deepseek_coder(n) for n in names)
    if facts.engine in RAW_ENGINES and deepseek_coder:
        return RAW
    if facts.engine == "llamacpp":
        return INFILL
    return SUFFIX


async def settle_shape(
    client: httpx.AsyncClient, endpoint: Endpoint, model: str
) -> tuple[Endpoint, Endpoint]:
    """remote.format = "auto" on an OpenAI-style URL: (the endpoint for this request, the one to
    keep). A server that does not answer gets "suffix" this time and is asked again next time
    (it may be starting); one that answers settles the shape for good."""
    facts = await probe_async(client, endpoint.models_url)
    if not facts.answered:
        return endpoint.with_shape(SUFFIX), endpoint
    shape = choose_shape(facts, model)
    settled = endpoint.with_shape(shape)
    engine = facts.engine or "an OpenAI-compatible server"
    log.info("remote backend: %s: %s, so the %s shape", endpoint.models_url, engine, shape)
    return settled, settled


def after_suffix_refused(endpoint: Endpoint, model: str) -> Endpoint:
    """remote.format = "auto" chose "suffix" (the server did not say what it is) and the server
    refused it (vLLM): a DeepSeek Coder model gets the raw shape from the next request on."""
    if endpoint.shape != SUFFIX or not is_deepseek_coder(model):
        return endpoint
    log.warning("remote backend: %s takes no suffix: the raw shape from now on", endpoint.url)
    return endpoint.with_shape(RAW)
