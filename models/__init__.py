"""The model catalogue (data); installed as coderd.catalog."""
