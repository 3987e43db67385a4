"""The heads of the first sync samples of an H.264/HEVC track: SEI and slice NAL types.

One scan feeds three findings without decoding: HDR static and dynamic metadata
(SEI 137, 144, 147, ST 2094-40), CEA-608/708 captions (A/53 cc_data) and whether a
GOP is open (the first slice's NAL unit type). SEI NAL units precede the slices of
an access unit (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4), so the first `head_bytes` of a
sample suffice. Only sync samples are read: encoders put static HDR metadata on
them, caption carriage is on every picture, and they are what the GOP question is
about; at most `max_samples` (2) of those decoded in the first `seconds` (2 s). Over HTTP each
head is one small read unless it sits in a block already fetched (a probe of a
non-faststart file finds the first one in the block the walk began with).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mp4_small_analyser.analysis.container.config.facts import VideoFacts
from mp4_small_analyser.analysis.container.gop import first_vcl_nal_type
from mp4_small_analyser.analysis.container.sei import Sei, is_sei, sample_seis, sei_messages
from mp4_small_analyser.analysis.container.tables import TrackTables

ReadAt = Callable[[int, int], bytes]


@dataclass(frozen=True)
class ScanLimits:
    seconds: float = 2.0
    """Sync samples decoded in the first this many seconds are read."""
    max_samples: int = 2
    """At most this many of them: the first keyframe carries the static HDR metadata and the
    encoder's settings, the second tells an open GOP from a closed one. Each may cost a
    ranged read over HTTP (a 16 KiB block), so the scan stays this small."""
    head_bytes: int = 4096
    """Bytes read from the start of each."""


@dataclass(frozen=True)
class SampleSeis:
    time: float
    """Decode time (s) from the track's first sample."""
    messages: tuple[Sei, ...]


@dataclass(frozen=True)
class Bitstream:
    config_seis: tuple[Sei, ...]
    """Declarative SEI carried in the avcC/hvcC arrays."""
    samples: tuple[SampleSeis, ...]
    """SEI of each sync sample read, in decode order."""
    sync_nal_types: dict[int, int]
    """Sample index → NAL unit type of its first slice."""

    @property
    def messages(self) -> list[Sei]:
        return [*self.config_seis, *(m for s in self.samples for m in s.messages)]


def scan(
    track: TrackTables, video: VideoFacts, read_at: ReadAt | None, limits: ScanLimits
) -> Bitstream:
    codec, config = video.codec, video.config
    length = config.nal_length_size if config is not None and config.nal_length_size else 4
    declared = tuple(
        message
        for nal in (config.parameter_sets if config is not None else ())
        if is_sei(nal, codec)
        for message in sei_messages(nal, codec)
    )
    if read_at is None or codec not in ("h264", "hevc") or track.sizes.size == 0:
        return Bitstream(declared, (), {})
    samples, nal_types = [], {}
    for index in _chosen(track, limits):
        size = int(min(track.sizes[index], limits.head_bytes))
        head = read_at(int(track.offsets[index]), size)
        time = float((track.dts[index] - track.dts[0]) / (track.timescale or 1))
        samples.append(SampleSeis(time, tuple(sample_seis(head, length, codec))))
        nal_type = first_vcl_nal_type(head, length, codec)
        if nal_type is not None:
            nal_types[int(index)] = nal_type
    return Bitstream(declared, tuple(samples), nal_types)


def _chosen(track: TrackTables, limits: ScanLimits) -> list[int]:
    times = (track.dts - track.dts[0]) / (track.timescale or 1)
    sync = track.sync if track.sync is not None else np.ones(track.sizes.size, np.bool_)
    wanted = sync & (times < limits.seconds) & (track.offsets >= 0)
    wanted[0] = track.offsets[0] >= 0
    return [int(i) for i in np.flatnonzero(wanted)[: limits.max_samples]]
