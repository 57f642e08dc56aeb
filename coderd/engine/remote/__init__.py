"""The opt-in remote backend: a completion server over HTTP."""
