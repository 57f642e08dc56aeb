"""Processes: the relay (`coderd lsp`), the daemon (`coderd serve`), their rendezvous."""
