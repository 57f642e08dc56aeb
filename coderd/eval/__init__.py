"""`coderd eval`: completion quality on the user's own repository (sampling.py picks cursor
positions, running.py sends them through the language server's service, scoring.py compares,
report.py prints, recommend.py picks the configuration)."""
