"""Celeris from Python: the GPU runtime (`celeris.runtime`) over torch tensors
and CuPy arrays."""
