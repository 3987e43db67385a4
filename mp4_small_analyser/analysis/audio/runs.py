"""Runs of consecutive flagged samples, found with numpy for the streaming detectors."""

from __future__ import annotations

import numpy as np


def true_runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) positions of the runs of True in a non-empty 1-D bool array."""
    starts = np.flatnonzero(flags[1:] > flags[:-1]) + 1
    ends = np.flatnonzero(flags[1:] < flags[:-1]) + 1
    if flags[0]:
        starts = np.concatenate(([0], starts))
    if flags[-1]:
        ends = np.concatenate((ends, [flags.size]))
    return starts, ends
