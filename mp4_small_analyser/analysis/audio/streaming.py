"""Numeric plumbing for the streaming audio meters: products kept on the calling
thread, and work arrays reused from block to block.

Both fix costs that dwarf the arithmetic of a 65536-sample block:

- OpenBLAS (numpy's BLAS) splits a product over all cores once m*n*k exceeds
  2^18. For these small, frequent products that buys nothing, and on shared or
  busy cores (a CI runner, concurrent analyses) its waiting worker threads turn a
  0.1 ms product into 10-50 ms. Slicing the rows keeps every call under the
  threshold, whatever OPENBLAS_NUM_THREADS says.
- A fresh megabyte-sized temporary is fresh pages from the kernel: glibc maps and
  unmaps such blocks, and each first touch of a page faults. In a microVM under
  load a fault cost ~10 µs here, so per-block temporaries made the true-peak pass
  10x slower than its arithmetic. Work arrays live as long as the meter.
"""

from __future__ import annotations

import math

import numpy as np

SINGLE_THREAD_WORK = 1 << 18
"""OpenBLAS's m*n*k below which a product stays on one thread (65536 * 4)."""


def matmul_rows(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`a @ b` into `out`, for `a` (..., rows, k) and `b` (k, n), a slice of rows at a time."""
    k, n = b.shape
    step = max(1, SINGLE_THREAD_WORK // (k * n))
    for index in np.ndindex(a.shape[:-2]):
        rows, into = a[index], out[index]
        for start in range(0, rows.shape[0], step):
            np.matmul(rows[start : start + step], b, out=into[start : start + step])
    return out


class Scratch:
    """Work arrays by name, kept between calls and grown when a larger one is asked for."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
        """An uninitialised C-contiguous array of `shape`, valid until the next call for `name`."""
        size = math.prod(shape)
        kept = self._arrays.get(name)
        if kept is None or kept.size < size or kept.dtype != dtype:
            kept = np.empty(size, dtype=dtype)
            self._arrays[name] = kept
        return kept[:size].reshape(shape)
