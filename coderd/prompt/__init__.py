"""The fill-in-the-middle prompt: prefix and suffix windows, anchors, the context block's format."""
