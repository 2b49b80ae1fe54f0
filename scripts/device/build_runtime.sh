#!/usr/bin/env bash
# Builds the Celeris runtime from source on the GPU machine (it needs no
# LLVM) and exports CELERIS_RUNTIME_LIB for celeris.runtime. Sourced by the
# other device scripts from the repository root.
mkdir -p /tmp/celeris-device
g++ -std=c++17 -O2 -shared -fPIC -Iinclude lib/Runtime/Manifest.cpp \
    lib/Runtime/Runtime.cpp -ldl -o /tmp/celeris-device/libCelerisRuntime.so
export CELERIS_RUNTIME_LIB=/tmp/celeris-device/libCelerisRuntime.so
