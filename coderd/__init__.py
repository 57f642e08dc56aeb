"""coderd: local fill-in-the-middle code completion from GGUF models."""

__version__ = "0.1.0"
