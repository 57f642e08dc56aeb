"""The local engine: llama.cpp through llama-cpp-python's C bindings."""
