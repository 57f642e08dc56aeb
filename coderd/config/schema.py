"""The settings tree: sections, keys, defaults, documentation and bounds.

Each setting is a field of a frozen dataclass whose metadata carries its
documentation and its limits, so that one generic validator (fields.py `check_value`)
checks every key and specs.py `default_config_toml` renders the documented defaults.
Loading from files, initializationOptions and the environment is in
`coderd.config.settings`; this module knows nothing about sources.

To add a setting: add a `setting(...)` field to a section below. Types in use are
int, float, bool, str and tuple[str, ...] (a TOML array of strings).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coderd.config.fields import setting

KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")


@dataclass(frozen=True)
class ModelSettings:
    """[model]: which GGUF file to load and how llama.cpp runs it."""

    path: str = setting(
        "",
        'GGUF file to load; "" = the default model (the first *.gguf in '
        "$XDG_DATA_HOME/coderd/models, else the starter model if installed)",
    )
    n_ctx: int = setting(
        2048,
        "context positions (prompt + suggestion) the model is given",
        minimum=256,
        maximum=1_048_576,
        rejected={
            0: 'llama.cpp reads 0 as "the model\'s training context", 163,840 positions '
            "for DeepSeek-Coder-V2-Lite, far more memory than completion needs"
        },
    )
    threads: int = setting(
        0,
        "CPU threads for decoding; 0 = automatic: the physical cores less those other programs "
        "keep busy, looked at before each request",
        minimum=0,
        maximum=1024,
    )
    gpu_layers: int = setting(
        -1,
        "layers offloaded to the GPU; -1 = all when the llama.cpp build can offload, else 0",
        minimum=-1,
        maximum=10_000,
    )
    batch: int = setting(
        512, "llama.cpp's batch: the most tokens per llama_decode call", minimum=8, maximum=8192
    )
    prompt_chunk: int = setting(
        0,
        "tokens per llama_decode call while evaluating a prompt (a key cancelling the "
        "request waits for the chunk in progress, which stays in the KV cache); 0 = sized "
        "from the measured speed when completion.latency_target_ms > 0, else (and until "
        "measured) 32 on a CPU, model.batch with GPU offload",
        minimum=0,
        maximum=8192,
    )
    kv_cache_type: str = setting(
        "f16",
        "KV cache type: f16, or q8_0 / q4_0 for about 1/2 / 1/4 of its memory (quantised "
        "caches need flash attention, which coderd then turns on, and a head size that is a "
        "multiple of 32; on a CPU they decode a little slower)",
        choices=KV_CACHE_TYPES,
    )
    saved_states_mb: int = setting(
        -1,
        "host memory for the KV states of documents left for another, so that going back to "
        "one costs only what changed there; it fills as you switch files and stays at this "
        "bound (coderd/status `saved_states`); -1 = an eighth of the memory free when the "
        "model loads, at most 512; 0 = keep none (every switch back evaluates the whole prompt)",
        minimum=-1,
        maximum=1_000_000,
    )


@dataclass(frozen=True)
class CompletionSettings:
    """[completion]: how much context goes in and how much text comes out."""

    max_tokens: int = setting(64, "most tokens generated per suggestion", minimum=1, maximum=4096)
    latency_target_ms: int = setting(
        1000,
        "size the prompt for this machine: prefix, suffix and context budgets shrink (in "
        "proportion, never below 128/16/128 tokens) until a typical suggestion (16 tokens) takes "
        "about this long at the measured speed; the budgets below are the upper bounds; "
        "0 = use them as they are",
        minimum=0,
        maximum=600_000,
    )
    prefix_tokens: int = setting(
        384, "budget for the text before the cursor, in model tokens", minimum=16, maximum=1_000_000
    )
    suffix_tokens: int = setting(
        64,
        "budget for the text after the cursor, in model tokens (kept short: it is "
        "re-evaluated whenever its KV cache cannot be shifted)",
        minimum=0,
        maximum=1_000_000,
    )
    time_budget_ms: int = setting(
        1500,
        "once this many milliseconds went into generating, stop at the end of the line "
        "being written (cut anyway after twice as long); prompt evaluation is not counted "
        "(a stale request is cancelled instead)",
        minimum=50,
        maximum=600_000,
    )
    max_lines: int = setting(12, "most lines in a multi-line suggestion", minimum=1, maximum=1000)
    reuse_suffix_kv: bool = setting(
        True, "keep the suffix's KV cache across keystrokes (shifted) instead of re-evaluating it"
    )
    suffix_refresh_tokens: int = setting(
        16,
        "re-evaluate the suffix anyway once this many prefix tokens changed since it was "
        "evaluated, in the background at the next pause (keys may go to twice this first; "
        "measured: at 32 the first suggested token was right less often; bench/README.md)",
        minimum=0,
        maximum=1_000_000,
    )
    prompt_lookup: bool = setting(
        False,
        "draft the next tokens by copying what followed the same words earlier in the "
        "prompt, and check the draft in the same step (output unchanged; see bench/README.md "
        "for when it pays)",
    )
    stop: tuple[str, ...] = setting((), "extra stop strings")
    debounce_ms_max: int = setting(
        1000,
        "the longest a decode may wait for the next key; it waits only while keys come faster "
        "than a decode takes on this machine (both measured: 1.5x the usual gap between edits), "
        "so a burst does not start decodes that the next key cancels; 0 turns it off",
        minimum=0,
        maximum=2000,
    )
    speculate: bool = setting(
        True,
        "when idle after a suggestion, compute what follows it if accepted (whole, and its "
        "first line), so that accepting is answered at once",
    )
    candidates: int = setting(
        3,
        "suggestions computed when the user asks for one (Invoked trigger, e.g. to cycle); "
        "typing gets one",
        minimum=1,
        maximum=10,
    )
    syntax_check: bool = setting(
        False,
        "parse the file with the suggestion in it (tree-sitter) and cut the suggestion back to "
        "its longest part that adds no syntax error, or drop it; off by default because "
        "`coderd eval` measured it lowering edit similarity on three packages (Python, "
        "TypeScript, Go) and costing 6.4 ms at the p95 on a 2,000-line Python file, past "
        "the 2 ms it may take (bench/README.md, #16)",
    )


@dataclass(frozen=True)
class ContextSettings:
    """[context]: definitions from other files of the workspace, placed before the prefix."""

    enabled: bool = setting(True, "add repository context from the workspace index")
    budget_tokens: int = setting(
        256,
        "budget for repository context, in model tokens (it is cached across keystrokes, "
        "but every token of it slows decoding a little)",
        minimum=0,
        maximum=1_000_000,
    )
    receiver_tokens: int = setting(
        256,
        "budget for the members of the type before the cursor (`ctx.`, `Number::`), or where "
        "a bare name is typed the names sharing words with the line before it, shown as "
        "comment lines right above the cursor's line in the prompt only; evaluated when that "
        "receiver or name changes, so it shrinks (to nothing below 32 tokens) where this "
        "machine is too slow for it at completion.latency_target_ms; 0 = off",
        minimum=0,
        maximum=1_000_000,
    )
    nearby_lines: int = setting(
        30,
        "lines above the cursor whose identifiers are looked up in the index",
        minimum=0,
        maximum=10_000,
    )


@dataclass(frozen=True)
class DaemonSettings:
    """[daemon]: the process that holds the model for all of a user's editors (`coderd serve`)."""

    sessions: int = setting(
        3,
        "editor connections that keep a KV cache of their own in the shared model; one more "
        "takes the cache of the least recently served",
        minimum=1,
        maximum=16,
    )
    idle_timeout_s: int = setting(
        600,
        "the daemon exits this many seconds after its last editor disconnected (the next "
        "`coderd lsp` starts it again)",
        minimum=1,
        maximum=604_800,
    )


@dataclass(frozen=True)
class RemoteSettings:
    """[remote]: a completion server instead of the local model (opt-in: the prompt leaves
    this machine). The API key is never a setting: it is read from the environment."""

    enabled: bool = setting(
        False,
        "send completion prompts (code around the cursor, repository context) to "
        "remote.url instead of running the local model",
    )
    url: str = setting(
        "http://127.0.0.1:8080",
        "the server's base URL, to which /v1/completions is appended "
        "(/completions when it has a path: .../v1, https://api.deepseek.com/beta); a URL ending "
        "in /completions is used as is, one ending in /infill or /completion speaks "
        "llama-server's own API",
    )
    format: str = setting(
        "auto",
        'the request shape: "suffix" (OpenAI /completions with a suffix: the server lays out '
        'the FIM prompt), "infill" (llama-server /infill), "raw" (coderd lays out the whole '
        "DeepSeek Coder prompt, repository context first, and sends it as the prompt: vLLM, "
        'SGLang, llama-server), "auto" (/infill and /completion URLs say; other servers are '
        "asked what they are before the first request)",
        choices=("auto", "suffix", "infill", "raw"),
    )
    model: str = setting(
        "",
        'model name sent with each request; "" sends none (a local server\'s own model); '
        'the DeepSeek API takes "deepseek-v4-flash" or "deepseek-v4-pro"',
    )
    api_key_env: str = setting(
        "CODERD_API_KEY",
        "the environment variable that holds the API key (sent as "
        '"Authorization: Bearer"); while it is unset, no key is sent',
    )
    timeout_ms: int = setting(
        10_000,
        "most milliseconds to connect and receive the first token (generation is then "
        "bounded by completion.time_budget_ms)",
        minimum=100,
        maximum=600_000,
    )
    # Off: completing inside a .env would send its keys to remote.url (coderd/policy/secrets.py).
    allow_secret_files: bool = setting(
        False,
        "also complete in files whose names look like secrets (.env, *.pem, credentials*: the "
        "names the workspace index skips); off, they get no remote completions and nothing "
        "of them is sent",
    )


@dataclass(frozen=True)
class NetworkSettings:
    """[network]: whether coderd may use the network at all."""

    offline: bool = setting(
        False,
        "never use the network: [remote] is ignored (the local model runs, and the editor "
        "is told why once) and `coderd models pull` refuses without making a request",
    )


LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class LogSettings:
    """[log]: what goes to the log file."""

    level: str = setting("info", "log level: " + ", ".join(LOG_LEVELS), choices=LOG_LEVELS)


@dataclass(frozen=True)
class Settings:
    """The whole settings tree; each attribute is one [section] of the TOML file."""

    model: ModelSettings = field(default_factory=ModelSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    log: LogSettings = field(default_factory=LogSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
