"""Models: the catalogue, the local store, downloads, imports and the hardware fit.

    catalog.py    models/catalog.toml (shipped as coderd.catalog) plus the user's own entries
    gguf_meta.py  a GGUF header reader in pure Python: metadata, tensors, truncation
    validate.py   what `add` checks before importing a file (file type, header, structure,
                  tokenizer, FIM markers)
    structure.py  llama.cpp's verdict on hyperparameters and tensors, loaded without weights
    store.py      $XDG_DATA_HOME/coderd/models and its manifest.json (installed, default)
    pull.py       `pull` through huggingface_hub: resume, disk check, sha256
    fit.py        memory estimates; n_ctx, threads, GPU layers; the recommendation
    loader.py     which GGUF to load, and the engine for it

Only pull.py touches the network, and only when `coderd models pull` runs.
"""
