"""The `coderd` commands: complete, doctor, bench, context, models."""
