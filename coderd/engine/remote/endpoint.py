"""Where requests go and in which shape, from remote.url and remote.format.

Three request shapes (shapes/):

* "suffix": OpenAI's legacy completions API with a `suffix`; the server lays out the FIM
  prompt (the DeepSeek API's FIM beta, llama-cpp-python's server, SGLang with
  `--completion-template deepseek_coder`).
* "infill": llama-server's /infill (`input_prefix`/`input_suffix`).
* "raw": coderd lays out the whole prompt, FIM markers written as text, and sends it as
  `prompt` with no suffix: to /v1/completions (vLLM, SGLang, llama-server, llama-cpp-python)
  or to llama-server's own /completion.

Two wire formats for the streamed answer: OpenAI's (`choices[0].text`, `data: [DONE]`) and
llama-server's own (`content`, `"stop": true`), which /infill and /completion speak.

remote.format = "auto" keeps what the URL said before the setting existed (/infill: infill;
anything else: suffix), except where the URL or a probe tells more: /completion is raw, and
an OpenAI-style URL that is not the DeepSeek API is decided by a probe of the server before
the first request (probe.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from coderd.engine.base import EngineError, ModelInfo
from coderd.engine.remote.deepseek_api import is_deepseek_api
from coderd.engine.remote.errors import FIX_URL

AUTO, SUFFIX, INFILL, RAW = "auto", "suffix", "infill", "raw"
FORMATS = (AUTO, SUFFIX, INFILL, RAW)
OPENAI, LLAMA = "openai", "llama"  # wire formats of the streamed answer
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Endpoint:
    url: str  # the URL requests are POSTed to
    shape: str  # suffix, infill, raw; AUTO until a probe decides
    wire: str  # OPENAI or LLAMA

    @property
    def models_url(self) -> str:
        """Where the server lists its models (OpenAI's GET .../models), for probes."""
        parts = urlsplit(self.url)
        path = parts.path.rsplit("/", 1)[0]
        if is_deepseek_api(self.url):  # GET https://api.deepseek.com/models, beside /beta
            path = ""
        elif self.wire == LLAMA:  # /infill, /completion sit beside /v1
            path += "/v1"
        return urlunsplit((parts.scheme, parts.netloc, path + "/models", "", ""))

    def with_shape(self, shape: str) -> Endpoint:
        """The probe's decision: the same server, in `shape` (infill: its /infill)."""
        if shape == INFILL:
            parts = urlsplit(self.url)
            path = parts.path.rsplit("/", 1)[0].removesuffix("/v1") + "/infill"
            url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
            return Endpoint(url, INFILL, LLAMA)
        return replace(self, shape=shape)


def resolve_endpoint(url: str, fmt: str = AUTO) -> Endpoint:
    """A URL ending in /completions, /completion or /infill is used as it is. Otherwise it is a
    base URL, as OpenAI clients take it: with no path, /v1/completions is appended (/infill
    for remote.format = "infill"); with a path (/v1, DeepSeek's /beta), /completions."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EngineError(f"remote.url = {url!r} is not an http:// or https:// URL; {FIX_URL}")
    if fmt not in FORMATS:
        raise EngineError(f"remote.format = {fmt!r} is not one of {', '.join(FORMATS)}")
    path = parts.path.rstrip("/")
    if path.endswith("/infill"):
        wire, fixed = LLAMA, INFILL
    elif path.endswith("/completion"):
        wire, fixed = LLAMA, RAW
    elif path.endswith("/completions"):
        wire, fixed = OPENAI, None
    elif fmt == INFILL:
        wire, fixed, path = LLAMA, INFILL, path.removesuffix("/v1") + "/infill"
    else:
        wire, fixed = OPENAI, None
        path = path + "/completions" if path else "/v1/completions"
    if fixed is not None and fmt not in (AUTO, fixed):
        raise EngineError(
            f'remote.format = "{fmt}" does not go with remote.url = {url!r}, whose path '
            f'takes the "{fixed}" shape: set remote.format = "auto", or change remote.url'
        )
    if fixed is None and fmt == INFILL:
        raise EngineError(
            f'remote.format = "infill" needs llama-server\'s /infill, not {url!r}: '
            "change remote.url to http://HOST:PORT/infill"
        )
    shape = fixed or (SUFFIX if fmt == AUTO and is_deepseek_api(url) else fmt)
    whole = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return Endpoint(whole, shape, wire)


def describe(endpoint: Endpoint, model: str, n_ctx: int, key_env: str, key: str) -> ModelInfo:
    """What the remote engine reports as its model (coderd/status, the log), with a warning
    when no API key goes to a server that is not this machine."""
    host = urlsplit(endpoint.url).hostname or ""
    warnings = []
    if not key and host not in LOOPBACK:
        unset = f"${key_env} is not set" if key_env else "it is empty"
        warnings.append(
            f"remote backend {endpoint.url}: no API key is sent (remote.api_key_env: {unset})"
        )
    return ModelInfo(
        path=endpoint.url,
        name=model or host,
        architecture="remote",
        pre_tokenizer=None,
        n_ctx=n_ctx,
        n_ctx_train=0,
        n_vocab=0,
        # The markers are the server's (or, raw, text it turns into them): no ids are ours.
        fim_ids=(-1, -1, -1),
        gpu_layers=0,
        threads=0,
        warnings=tuple(warnings),
    )
