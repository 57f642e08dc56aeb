"""Repository-level context: the workspace index, kept fresh by a file watcher."""
