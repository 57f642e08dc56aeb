"""The hosted DeepSeek API: which model ids it serves, and what its FIM beta needs.

DeepSeek retired the `deepseek-chat` and `deepseek-reasoner` ids on 2026-07-24 (15:59 UTC);
since then the API answers them with "Model Not Exist". The current ids are
`deepseek-v4-flash` and `deepseek-v4-pro`. Both default to thinking mode, and FIM completion
(the beta, https://api.deepseek.com/beta/completions) works only without it, so requests to
the API carry `"thinking": {"type": "disabled"}`. Other servers get no such field (some
refuse unknown fields).
"""

from __future__ import annotations

from urllib.parse import urlsplit

API_HOST = "api.deepseek.com"
CURRENT_IDS = ("deepseek-v4-flash", "deepseek-v4-pro")
RETIRED_IDS = {"deepseek-chat": "2026-07-24", "deepseek-reasoner": "2026-07-24"}
NON_THINKING = {"thinking": {"type": "disabled"}}


def is_deepseek_api(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() == API_HOST


def retired_note(model: str, url: str) -> str | None:
    """For the DeepSeek API: why `model` is no id it serves, and which ones it does."""
    if not is_deepseek_api(url) or model in CURRENT_IDS:
        return None
    current = " or ".join(repr(m) for m in CURRENT_IDS)
    if model in RETIRED_IDS:
        return f"DeepSeek retired {model!r} on {RETIRED_IDS[model]}: use {current}"
    return f"the DeepSeek API serves {current}"


def model_check(model: str, url: str) -> str | None:
    """`coderd doctor`'s line on the model id for the DeepSeek API; None for other servers."""
    if not is_deepseek_api(url):
        return None
    if model in CURRENT_IDS:
        return f"{model!r} is a current DeepSeek API model id"
    return "PROBLEM " + (retired_note(model, url) or "")
