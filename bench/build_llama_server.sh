#!/bin/sh
# Build llama-server and llama-bench (the baseline of bench/lsp_trace.py) from the llama.cpp
# sources vendored in the llama-cpp-python sdist, so the baseline runs the same llama.cpp as coderd.
#
#   pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d /tmp/dl
#   tar -xzf /tmp/dl/llama_cpp_python-0.3.36.tar.gz -C /tmp/dl
#   sh bench/build_llama_server.sh /tmp/dl/llama_cpp_python-0.3.36 [/tmp/llama-build]
#
# About 10-15 minutes on two cores. The binaries land in BUILD/bin; never commit them.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 SDIST_DIR [BUILD_DIR]   (SDIST_DIR: an unpacked llama-cpp-python sdist)" >&2
    exit 2
fi
src="$1/vendor/llama.cpp"
build="${2:-/tmp/llama-build}"
if [ ! -f "$src/CMakeLists.txt" ]; then
    echo "no llama.cpp sources at $src" >&2
    exit 1
fi

cmake -S "$src" -B "$build" -DLLAMA_CURL=OFF -DGGML_NATIVE=ON -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" --target llama-server llama-bench -j2
echo "built: $build/bin/llama-server $build/bin/llama-bench"
