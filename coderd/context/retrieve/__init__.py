"""Retrieval: which definitions the code at the cursor needs."""
