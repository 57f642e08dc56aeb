"""The language server: the per-connection server, its protocol and its documents."""
