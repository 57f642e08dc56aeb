"""Packing: candidates rendered into the context block within its token budget."""
