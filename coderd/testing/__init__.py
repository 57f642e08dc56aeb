"""Synthetic GGUF models and the scripted engine, for tests and benchmarks."""
