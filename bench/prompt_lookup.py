"""Prompt-lookup decoding: decode speed with and without drafts copied from the prompt (issue #5).

Two prompt sets, prefix only (the cursor at the start of a line, nothing after it):

* `repetitive`: code that repeats itself, the cursor where the next similar piece starts (the
  second test of several alike, a run of `add_argument` calls, an `elif` chain, ...);
* `files`: cursors at random line starts of real source files (coderd's own and the stdlib).

Each prompt is completed with `completion.prompt_lookup` off and on, alternately, by the real
engine (`LlamaEngine.complete`, max 64 tokens, no stop rule, no time budget), from a cold cache;
decode speed = generated tokens / generate_ms summed over the set. The texts must be identical.
`--simulate` also replays the plain outputs through `PromptLookup` offline to show how many
drafts are offered and accepted under other policies, without timing anything.

    python -m bench.prompt_lookup [--model PATH|--synthetic] [--prompts N] [--reps R]
                                  [--simulate | --simulate-only] [--costs C2,C3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import sysconfig
import time
from dataclasses import replace
from pathlib import Path

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.engine.llama.lookup import PromptLookup

ROOT = Path(__file__).resolve().parents[1]
STDLIB_MODULES = (
    "argparse.py",
    "textwrap.py",
    "dataclasses.py",
    "shutil.py",
    "csv.py",
    "configparser.py",
    "json/encoder.py",
    "logging/__init__.py",
    "http/client.py",
    "pathlib.py",
    "difflib.py",
    "tarfile.py",
)

REPETITIVE = [
    """import pytest

from shop.cart import Cart, Item


def test_add_item_increases_total():
    cart = Cart()
    cart.add(Item("apple", price=3))
    assert cart.total == 3
    assert len(cart.items) == 1


def test_add_two_items_sums_prices():
    cart = Cart()
    cart.add(Item("apple", price=3))
    cart.add(Item("pear", price=4))
    assert cart.total == 7
    assert len(cart.items) == 2


def test_remove_item_decreases_total():
""",
    """def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Resize images in a folder")
    parser.add_argument("--input", type=Path, required=True, help="folder to read images from")
    parser.add_argument("--output", type=Path, required=True, help="folder to write images to")
    parser.add_argument("--width", type=int, default=800, help="largest width in pixels")
    parser.add_argument("--height", type=int, default=600, help="largest height in pixels")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality, 1 to 95")
""",
    """    def handle(self, event):
        if event.kind == "click":
            self.on_click(event.x, event.y)
            self.redraw()
        elif event.kind == "double_click":
            self.on_double_click(event.x, event.y)
            self.redraw()
        elif event.kind == "right_click":
            self.on_right_click(event.x, event.y)
            self.redraw()
        elif event.kind == "drag":
""",
    """class User:
    def __init__(self, name, email, age):
        self._name = name
        self._email = email
        self._age = age

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        self._name = value

    @property
    def email(self):
        return self._email

    @email.setter
    def email(self, value):
        self._email = value

    @property
""",
    """export function getUser(id: string): Promise<User> {
  return fetch(`${API}/users/${id}`)
    .then((res) => {
      if (!res.ok) throw new Error(`GET /users/${id}: ${res.status}`);
      return res.json();
    });
}

export function getOrder(id: string): Promise<Order> {
  return fetch(`${API}/orders/${id}`)
    .then((res) => {
      if (!res.ok) throw new Error(`GET /orders/${id}: ${res.status}`);
      return res.json();
    });
}

export function getInvoice(id: string): Promise<Invoice> {
""",
    """func (s *Store) GetUser(ctx context.Context, id int64) (*User, error) {
	row := s.db.QueryRowContext(ctx, "SELECT id, name, email FROM users WHERE id = ?", id)
	var u User
	if err := row.Scan(&u.ID, &u.Name, &u.Email); err != nil {
		return nil, fmt.Errorf("get user %d: %w", id, err)
	}
	return &u, nil
}

func (s *Store) GetTeam(ctx context.Context, id int64) (*Team, error) {
""",
    """COLORS = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
""",
    """    def test_parse_int(self):
        self.assertEqual(parse_value("42"), 42)
        self.assertEqual(parse_value("-7"), -7)

    def test_parse_float(self):
        self.assertEqual(parse_value("4.5"), 4.5)
        self.assertEqual(parse_value("-0.25"), -0.25)

    def test_parse_bool(self):
""",
    """@dataclass
class Settings:
    host: str = field(default="localhost", metadata={"help": "address to listen on"})
    port: int = field(default=8080, metadata={"help": "port to listen on"})
    workers: int = field(default=4, metadata={"help": "worker processes"})
    timeout: float = field(default=30.0, metadata={"help": "request timeout in seconds"})
""",
    """static int parse_header(struct reader *r, struct header *h)
{
	if (read_u32(r, &h->magic) < 0)
		return -1;
	if (read_u16(r, &h->version) < 0)
		return -1;
	if (read_u16(r, &h->flags) < 0)
		return -1;
	if (read_u32(r, &h->length) < 0)
		return -1;
""",
    """SELECT_USERS = "SELECT id, name, email FROM users WHERE team_id = %s"
SELECT_TEAMS = "SELECT id, name, owner_id FROM teams WHERE org_id = %s"
SELECT_ORGS = "SELECT id, name, plan FROM orgs WHERE id = %s"


def load_users(cursor, team_id):
    cursor.execute(SELECT_USERS, (team_id,))
    return [User(*row) for row in cursor.fetchall()]


def load_teams(cursor, org_id):
""",
    """    it("rejects an empty name", () => {
        const result = validate({ name: "", age: 30 });
        expect(result.ok).toBe(false);
        expect(result.errors).toEqual(["name is required"]);
    });

    it("rejects a negative age", () => {
""",
]


def file_prompts(n: int, seed: int) -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in sorted((ROOT / "coderd").rglob("*.py")) if p.stat().st_size > 4000]
    files += [stdlib / m for m in STDLIB_MODULES if (stdlib / m).is_file()]
    texts = [p.read_text(encoding="utf-8") for p in files]
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        text = rng.choice(texts)
        lines = text.splitlines(keepends=True)
        if len(lines) < 80:
            continue
        i = rng.randrange(40, len(lines) - 5)
        if not lines[i].strip():
            continue  # a blank line: the completion would start anywhere
        start = max(0, i - 40)
        out.append("".join(lines[start:i]))
    return out


def complete(engine: LlamaEngine, prefix: str, max_tokens: int, lookup: bool):
    """One request from a cold cache: the same prompt evaluation whichever the setting."""
    engine.options = replace(engine.options, prompt_lookup=lookup)
    engine.forget_slot(0)
    limits = GenerationLimits(max_tokens=max_tokens, time_budget_s=3600.0)
    return engine.complete(FimPrompt(engine.tokenize(prefix), ()), limits, CancelToken())


def time_set(engine: LlamaEngine, prompts: list[str], reps: int, max_tokens: int):
    """Alternate off/on per prompt (the order flips each time) so both share the noise.

    Returns the speeds, the number of differing texts, and (prompt ids, plain greedy ids).
    """
    tokens = {False: 0, True: 0}
    ms = {False: 0.0, True: 0.0}
    mismatches = 0
    plain = []
    for rep in range(reps):
        for i, prefix in enumerate(prompts):
            texts = {}
            for on in (False, True) if (rep + i) % 2 == 0 else (True, False):
                result = complete(engine, prefix, max_tokens, on)
                texts[on] = result.text
                tokens[on] += result.stats.generated_tokens
                ms[on] += result.stats.generate_ms
                if not on and rep == 0:
                    n = len(result.prompt_ids)
                    plain.append((list(result.prompt_ids), list(engine.kv.state(0).tokens[n:])))
            mismatches += texts[False] != texts[True]
    speed = {on: tokens[on] / (ms[on] / 1000) for on in (False, True)}
    return speed, mismatches, tokens[False] // reps, plain


def simulate(plain, policy: dict, banned, n_ctx: int) -> dict:
    """Replay plain greedy outputs through PromptLookup as DecodeRun.generate would feed it."""
    sizes = {1: 0, 2: 0, 3: 0}
    generated = accepted = proposed = 0
    for prompt_ids, greedy in plain:
        lookup = PromptLookup(prompt_ids, banned=banned, **policy)
        ahead: list[int] = []
        for token in greedy:
            generated += 1
            lookup.append(token)
            if ahead and ahead[0] == token:
                ahead.pop(0)  # evaluated with the previous batch
                continue
            ahead = lookup.propose(n_ctx)
            sizes[1 + len(ahead)] += 1
        accepted += lookup.accepted
        proposed += lookup.proposed
    return dict(generated=generated, sizes=sizes, accepted=accepted, proposed=proposed)


def batch_costs(engine: LlamaEngine, reps: int = 8) -> dict[int, float]:
    """ms of one llama_decode of 1, 2, 3 tokens with logits for all, after a 300-token prompt."""
    ctx = engine.kv.ctx
    ids = engine.tokenize(REPETITIVE[0] * 3)[:340]
    out: dict[int, list[float]] = {1: [], 2: [], 3: []}
    for _ in range(reps):
        for size in out:
            engine.forget_slot(0)
            ctx.decode(ids[:300], 0)
            started = time.perf_counter()
            for step in range(4):
                ctx.decode(
                    ids[300 + step * size : 300 + (step + 1) * size],
                    300 + step * size,
                    all_logits=True,
                )
            out[size].append((time.perf_counter() - started) / 4 * 1000)
    engine.forget_slot(0)
    return {size: statistics.median(v) for size, v in out.items()}


POLICIES = {
    "n 3..1, draft 2, no backoff": dict(max_draft=2, min_ngram=1, max_skip=0),
    "n 3..2, draft 2, no backoff": dict(max_draft=2, min_ngram=2, max_skip=0),
    "n 3, draft 2, no backoff": dict(max_draft=2, min_ngram=3, max_skip=0),
    "n 3..1, draft 1, no backoff": dict(max_draft=1, min_ngram=1, max_skip=0),
    "n 3..1, draft 2, backoff 16": dict(max_draft=2, min_ngram=1, max_skip=16),
    "n 3..1, draft 2, backoff 32": dict(max_draft=2, min_ngram=1, max_skip=32),
    "n 3..2, draft 2, backoff 16": dict(max_draft=2, min_ngram=2, max_skip=16),
    "n 3, draft 2, backoff 16": dict(max_draft=2, min_ngram=3, max_skip=16),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, help="GGUF (default: the starter model)")
    p.add_argument(
        "--synthetic",
        action="store_true",
        help="the random-weight 1.3B (coderd.testing.synthetic, Q4_K_M) instead",
    )
    p.add_argument("--prompts", type=int, default=12, help="prompts from real files")
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--simulate", action="store_true", help="also replay other draft policies")
    p.add_argument(
        "--simulate-only",
        action="store_true",
        help="no timing: generate the plain outputs and replay the policies",
    )
    p.add_argument(
        "--costs",
        help="also model with these costs of a 2- and a 3-token decode "
        "relative to a 1-token one, e.g. 1.6,1.95 (another model's, measured)",
    )
    args = p.parse_args(argv)
    if args.synthetic:
        from coderd.testing.synthetic import cached_model

        path = cached_model("1.3b", quant="Q4_K_M")
    elif args.model:
        path = args.model
    else:
        from coderd.models.loader import starter_model_path

        path = starter_model_path()
    engine = LlamaEngine(path, EngineOptions(threads=args.threads, n_ctx=2048))
    sets = {"repetitive": REPETITIVE, "files": file_prompts(args.prompts, args.seed)}
    costs = batch_costs(engine)
    print(
        f"model {path.name}, {args.threads} thread(s); llama_decode ms for 1/2/3 tokens: "
        + " / ".join(f"{costs[s]:.1f}" for s in (1, 2, 3))
    )
    all_plain = {}
    if args.simulate_only:
        for name, prompts in sets.items():
            all_plain[name] = []
            for prefix in prompts:
                result = complete(engine, prefix, args.tokens, False)
                n = len(result.prompt_ids)
                all_plain[name].append(
                    (list(result.prompt_ids), list(engine.kv.state(0).tokens[n:]))
                )
    else:
        print("| prompts | tokens/s off | tokens/s on | change | texts differing |")
        print("|---|---|---|---|---|")
    for name, prompts in sets.items():
        if args.simulate_only:
            break
        speed, mismatches, n_tokens, plain = time_set(engine, prompts, args.reps, args.tokens)
        all_plain[name] = plain
        change = speed[True] / speed[False] - 1
        print(
            f"| {name} ({len(prompts)}, {n_tokens} tokens) | {speed[False]:.1f} | "
            f"{speed[True]:.1f} | {change:+.1%} | {mismatches} |",
            flush=True,
        )
    other = None
    if args.costs:
        two, three = (float(x) for x in args.costs.split(","))
        other = {1: 1.0, 2: two, 3: three}
    if args.simulate or args.simulate_only:
        print(
            "\nreplayed offline on the plain outputs: decodes per generated token, accepted / "
            "offered draft tokens, modelled decode time vs plain (llama_decode costs above)"
        )
        extra = f" | modelled at {args.costs}" if other else ""
        print(
            "| prompts | policy | decodes/token | 1/2/3-token decodes | accepted/offered | "
            f"modelled time{extra} |"
        )
        print("|---|---|---|---|---|---|" + ("---|" if other else ""))
        for name, plain in all_plain.items():
            for policy, options in POLICIES.items():
                r = simulate(plain, options, engine.loaded.banned.tolist(), engine.kv.ctx.n_ctx)
                sizes = "/".join(str(r["sizes"][size]) for size in (1, 2, 3))
                modelled = [_modelled(r, c) for c in (costs, other) if c]
                print(
                    f"| {name} | {policy} | {sum(r['sizes'].values()) / r['generated']:.2f} | "
                    f"{sizes} | {r['accepted']}/{r['proposed']} | "
                    + " | ".join(f"{m:.2f}" for m in modelled)
                    + " |"
                )
    engine.close()
    return 0


def _modelled(r: dict, costs: dict[int, float]) -> float:
    """Decode time with drafts relative to plain greedy (one 1-token decode per token)."""
    return sum(n * costs[size] for size, n in r["sizes"].items()) / (r["generated"] * costs[1])


if __name__ == "__main__":
    sys.exit(main())
