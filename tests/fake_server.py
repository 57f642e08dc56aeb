"""The real language server with the scripted engine ($CODERD_FAKE_SCRIPT) in place of llama.cpp."""

from coderd.engine.fake import ScriptedEngine
from lsp.server import run_stdio

if __name__ == "__main__":
    run_stdio(ScriptedEngine.from_env)
