"""The workspace index: walk, parse (tree-sitter), watch (watchdog), one index per root."""
