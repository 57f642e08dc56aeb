"""The machine: XDG paths, logging, hardware (memory, cores, threads)."""
