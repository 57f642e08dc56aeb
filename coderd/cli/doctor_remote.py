"""`coderd doctor`'s part on the remote backend: the endpoint, its request shape, the model id
(for the DeepSeek API: whether it is a current one), the key's variable, and whether the
server answers (one GET of its model list with a short timeout, only with remote.enabled and
network.offline false: the only request doctor makes)."""

from __future__ import annotations

import os

from coderd.engine.base import EngineError


def backend_report(settings, probe: bool = True) -> dict:
    """Which backend completions use, in which shape, and whether the server answers (one
    short GET of its model list, only with remote.enabled). Shows whether the key is set,
    never the key."""
    from coderd.engine.remote.deepseek_api import model_check
    from coderd.engine.remote.endpoint import resolve_endpoint
    from coderd.engine.remote.errors import HIDDEN, key_env_problem
    from coderd.models.loader import backend

    r = settings.remote
    out: dict = {"in_use": backend(settings), "offline": settings.network.offline, "remote": None}
    if not r.enabled:
        return out
    hidden = key_env_problem(r.api_key_env) is not None
    key = os.environ.get(r.api_key_env, "") if r.api_key_env and not hidden else ""
    try:
        endpoint, error = resolve_endpoint(r.url, r.format), key_env_problem(r.api_key_env)
    except EngineError as exc:
        endpoint, error = None, str(exc)
    out["remote"] = {
        "url": r.url,
        "endpoint": endpoint.url if endpoint else None,
        "format": r.format,
        "shape": endpoint.shape if endpoint else None,
        "model": r.model,
        "model_check": model_check(r.model, r.url),
        "api_key_env": HIDDEN if hidden else r.api_key_env,
        "error": error,
        "timeout_ms": r.timeout_ms,
        "api_key_set": bool(key),
        "server": None,
        "tokenizer": tokenizer_report(settings) if endpoint is not None else None,
    }
    if endpoint is not None and out["in_use"] == "remote" and probe:
        out["remote"]["server"] = server_report(endpoint, r.model, key)
    return out


def tokenizer_report(settings) -> str:
    """What counts the token budgets (engine/remote/tokens.py), as the engine would choose it."""
    from pathlib import Path

    from coderd.engine.remote.tokens import remote_tokenizer
    from coderd.models.loader import remote_options

    options = remote_options(settings)
    local = Path(options.local_model) if options.local_model else None
    tokenizer, name = remote_tokenizer(options.model, options.url, options.format, local)
    getattr(tokenizer, "close", lambda: None)()
    return name


def server_report(endpoint, model: str, key: str) -> dict:
    """Whether the server answers its model list, what it runs, and what "auto" makes of it."""
    from coderd.engine.remote.endpoint import AUTO
    from coderd.engine.remote.probe import PROBE_TIMEOUT_S, choose_shape, probe

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    facts = probe(endpoint.models_url, headers, PROBE_TIMEOUT_S)
    auto = endpoint.shape == AUTO and facts.answered and facts.status < 400
    return {
        "url": endpoint.models_url,
        "answered": facts.answered,
        "status": facts.status,
        "engine": facts.engine,
        "models": list(facts.models),
        "problem": facts.problem,
        "auto_shape": choose_shape(facts, model) if auto else None,
    }


def render_backend(report: dict) -> list[str]:
    b, r = report["backend"], report["backend"]["remote"]
    if r is None:
        return ["backend: local model (remote.enabled = false)"]
    if b["in_use"] == "local":
        return [
            f"backend: local model: network.offline = true, so remote.url {r['url']} is not used"
        ]
    if r["error"]:
        return [f"backend: remote, PROBLEM {r['error']}"]
    key = "set" if r["api_key_set"] else "not set: no key is sent"
    shape = r["shape"]
    if shape == "auto":
        decided = (r["server"] or {}).get("auto_shape")
        shape = f"auto: {decided}" if decided else "auto: decided by asking the server"
    lines = [
        f"backend: remote {r['endpoint']} ({shape} shape, remote.format = {r['format']}; "
        f"timeout {r['timeout_ms']} ms); prompts leave this machine",
        f"  model: {r['model'] or '(none sent: the server default)'} (remote.model)"
        + (f": {r['model_check']}" if r["model_check"] else ""),
        f"  API key: ${r['api_key_env']} (remote.api_key_env) is {key}",
        f"  token budgets: {r['tokenizer']} tokenizer",
    ]
    server = r["server"]
    if server is not None:
        if not server["answered"]:
            said = f"PROBLEM no answer ({server['problem']}): start it or fix remote.url"
        elif server["status"] >= 400:
            said = f"answers HTTP {server['status']}: {server['problem']}"
        else:
            runs = ", ".join(server["models"]) or "no model listed"
            said = f"answers: {server['engine'] or 'OpenAI-compatible'} serving {runs}"
        lines.append(f"  server: {server['url']} {said}")
    return lines


def remote_ok(remote: dict) -> bool:
    """Whether the remote part of the report has no PROBLEM line."""
    server = remote["server"]
    return (
        not remote["error"]
        and not (remote["model_check"] or "").startswith("PROBLEM")
        and (server is None or server["answered"])
    )
