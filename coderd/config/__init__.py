"""Settings: one typed tree (schema.py) and where its values come from (settings.py)."""
