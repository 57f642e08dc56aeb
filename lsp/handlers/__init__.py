"""LSP handlers: inline completion, feedback, workspace folders and files."""
