"""The K-weighting pre-filter of ITU-R BS.1770-4, for any sample rate, applied exactly.

The two biquads (a high-shelf "stage 1" and the RLB high-pass "stage 2") are
recomputed from their analog prototypes by the bilinear transform, as
libebur128 does, so 44.1, 96 or 22.05 kHz get their own coefficients; at 48 kHz
they reproduce the tables of BS.1770-4 Annex 1 to 1e-14.

Why a block-recursive evaluation rather than an FFT convolution: a per-sample
IIR loop is far too slow in Python, and numpy has no lfilter. The RLB high-pass
has a pair of poles at |z| = 0.99502 (48 kHz) / 0.99875 (192 kHz), so the
cascade's impulse response only stays below 1e-10 of its peak after 4 033 /
14 938 taps: an overlap-add convolution would cost two 2^15..2^16-point FFTs
per channel and block (measured ~8x slower than this) and would still be a
truncation. Instead the cascade is written as one 4-state linear
system (x -> s, y) and the signal is cut into chunks of CHUNK samples:

    y_chunk = T x_chunk + O s_k           (T: CHUNK x CHUNK Toeplitz of the first
                                           CHUNK impulse-response taps, O: C A^i)
    s_{k+1} = A^CHUNK s_k + G x_chunk      (G: A^(CHUNK-1-j) B)

The first two lines are matrix products over all chunks at once; the state
recurrence is solved by a log2(chunks)-step doubling scan. This is the same
linear system the sample-by-sample difference equation runs, so the result is
exact up to rounding (1e-11 in float64, ~1e-7 relative with the float32 input
products; tests/test_loudness.py checks the energy against a direct loop to
well below 0.001 LU), and it costs about 70 multiply-adds per sample in BLAS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mp4_small_analyser.analysis.audio.streaming import Scratch, matmul_rows

CHUNK = 64
"""Samples per chunk: 64 balances the Toeplitz product (CHUNK MACs a sample) against
the scan depth; 32..128 all run at the same speed within 30 %."""


@dataclass(frozen=True)
class Biquad:
    b: tuple[float, float, float]
    a: tuple[float, float, float]
    """a[0] is 1."""


def k_weighting_biquads(sample_rate: int) -> tuple[Biquad, Biquad]:
    """Stage 1 (high shelf, +4 dB above ~1.7 kHz) and stage 2 (RLB high-pass, ~38 Hz)."""
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = Biquad(
        b=((vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0),
        a=(1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0),
    )
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    high_pass = Biquad(
        b=(1.0, -2.0, 1.0), a=(1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0)
    )
    return shelf, high_pass


@dataclass(frozen=True)
class _StateSpace:
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: float


def _biquad_state_space(biquad: Biquad) -> _StateSpace:
    """Transposed direct form II: y = b0 x + s1; s1' = b1 x - a1 y + s2; s2' = b2 x - a2 y."""
    (b0, b1, b2), (_, a1, a2) = biquad.b, biquad.a
    return _StateSpace(
        a=np.array([[-a1, 1.0], [-a2, 0.0]]),
        b=np.array([b1 - a1 * b0, b2 - a2 * b0]),
        c=np.array([1.0, 0.0]),
        d=b0,
    )


def _cascade(first: _StateSpace, second: _StateSpace) -> _StateSpace:
    a = np.zeros((4, 4))
    a[:2, :2] = first.a
    a[2:, 2:] = second.a
    a[2:, :2] = np.outer(second.b, first.c)
    return _StateSpace(
        a=a,
        b=np.concatenate([first.b, second.b * first.d]),
        c=np.concatenate([second.d * first.c, second.c]),
        d=second.d * first.d,
    )


class KWeightingFilter:
    """Streaming K-weighting of (channels x n) float32 blocks of any length."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        shelf, high_pass = k_weighting_biquads(sample_rate)
        system = _cascade(_biquad_state_space(shelf), _biquad_state_space(high_pass))
        powers = [np.eye(4)]
        for _ in range(CHUNK):
            powers.append(system.a @ powers[-1])
        response = np.array(
            [system.d] + [system.c @ powers[i] @ system.b for i in range(CHUNK - 1)]
        )
        lags = np.arange(CHUNK)[:, None] - np.arange(CHUNK)[None, :]
        toeplitz = np.where(lags >= 0, response[np.clip(lags, 0, None)], 0.0)
        self._zero_state = np.ascontiguousarray(toeplitz.T, dtype=np.float32)
        """x_chunk @ this = the chunk's response from a zero state."""
        self._from_state = np.array([system.c @ powers[i] for i in range(CHUNK)]).T
        """(4, CHUNK): state at chunk start -> its contribution to each output."""
        self._to_state = np.array([powers[CHUNK - 1 - j] @ system.b for j in range(CHUNK)])
        """(CHUNK, 4): chunk input -> its contribution to the next chunk's state."""
        self._powers = np.array(powers)
        self._state = np.zeros((channels, 4))
        self._scratch = Scratch()

    def process(self, block: np.ndarray) -> np.ndarray:
        """K-weight `block` (channels x n, float32), continuing from the previous call.

        The result (float64) is a work array of this filter, valid until the next
        call. Whole chunks take the matrix path and the rest the tail path; a caller
        that cuts its blocks at a multiple of CHUNK (the meter does) avoids joining
        the two."""
        total = block.shape[1]
        whole = total - total % CHUNK
        if whole == total:
            return self._process_chunks(block)
        if whole == 0:
            return self._process_tail(block)
        head = self._process_chunks(block[:, :whole]).copy()
        return np.concatenate([head, self._process_tail(block[:, whole:])], axis=1)

    def _process_chunks(self, block: np.ndarray) -> np.ndarray:
        channels, total = block.shape
        count = total // CHUNK
        chunks = block.reshape(channels, count, CHUNK)
        wide = self._scratch.array("wide", chunks.shape, np.float64)
        np.copyto(wide, chunks)
        pushed = matmul_rows(
            wide, self._to_state, self._scratch.array("pushed", (channels, count, 4), np.float64)
        )
        states = self._scratch.array("states", (channels, count, 4), np.float64)
        states[:, 0] = self._state
        states[:, 1:] = pushed[:, :-1]
        # Hillis-Steele scan of s_{k+1} = P s_k + u_k: after the step of span d every
        # state holds the sum over its last 2d inputs, each decayed by the right power.
        step = 1
        decay = self._powers[CHUNK]
        while step < count:
            states[:, step:] += states[:, :-step] @ decay.T
            decay = decay @ decay
            step *= 2
        self._state = states[:, -1] @ self._powers[CHUNK].T + pushed[:, -1]
        out = matmul_rows(states, self._from_state, wide)
        out += matmul_rows(
            chunks, self._zero_state, self._scratch.array("zero", chunks.shape, np.float32)
        )
        return out.reshape(channels, total)

    def _process_tail(self, block: np.ndarray) -> np.ndarray:
        length = block.shape[1]
        x = block.astype(np.float64)
        out: np.ndarray = (
            x @ self._zero_state[:length, :length] + self._state @ self._from_state[:, :length]
        )
        self._state = self._state @ self._powers[length].T + x @ self._to_state[CHUNK - length :]
        return out
