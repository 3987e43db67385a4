"""Every audio meter fed from one decoded stream, and their results as `AudioMeasures`."""

from __future__ import annotations

import numpy as np

from mp4_small_analyser.analysis.audio.defects import AudioDefectMeter
from mp4_small_analyser.analysis.audio.loudness import LoudnessMeter
from mp4_small_analyser.analysis.audio.silence import SilenceDetector
from mp4_small_analyser.analysis.decode import AudioFormat
from mp4_small_analyser.analysis.rounding import rounded, rounded_segments, rounded_value
from mp4_small_analyser.models import AudioMeasures, ChannelMeasures
from mp4_small_analyser.options import AnalysisOptions


class AudioMeters:
    def __init__(self, fmt: AudioFormat, options: AnalysisOptions) -> None:
        self.loudness = LoudnessMeter(fmt.sample_rate, fmt.channel_names)
        self.silence = SilenceDetector(
            fmt.sample_rate,
            fmt.channels,
            threshold_db=options.silence_threshold_db,
            min_duration=options.silence_min_duration,
        )
        self.defects = AudioDefectMeter(fmt.channels)
        self.channel_names = fmt.channel_names

    def add(self, block: np.ndarray) -> None:
        """A float32 block, channels x samples, full scale = 1.0."""
        self.loudness.add(block)
        self.silence.add(block)
        self.defects.add(block)

    def measures(self) -> AudioMeasures:
        loudness = self.loudness.result()
        silence = self.silence.result()
        defects = self.defects.result()
        return AudioMeasures(
            loudness_integrated=rounded(loudness.integrated),
            loudness_range=rounded(loudness.loudness_range),
            loudness_range_blocks=loudness.loudness_range_blocks,
            true_peak=rounded(loudness.true_peak),
            sample_peak=rounded(loudness.sample_peak),
            max_momentary=rounded(loudness.max_momentary),
            max_short_term=rounded(loudness.max_short_term),
            short_term_series=[rounded(v, 2) for v in loudness.short_term_series],
            silence_percentage=rounded(silence.percentage, 2),
            silence_segments=rounded_segments(silence.segments),
            silence_segment_count=silence.segment_count,
            clipping=defects.clipping,
            dc_offset=[rounded_value(v, 6) for v in defects.dc_offset],
            channels_silent=defects.channels_silent,
            phase_correlation=rounded(defects.phase_correlation),
            phase_issue=defects.phase_issue,
            per_channel=[
                ChannelMeasures(
                    name=name,
                    sample_peak=rounded(sample_peak),
                    true_peak=rounded(true_peak),
                    loudness=rounded(channel_loudness),
                )
                for name, sample_peak, true_peak, channel_loudness in zip(
                    self.channel_names,
                    loudness.channel_sample_peaks,
                    loudness.channel_true_peaks,
                    loudness.channel_loudness,
                    strict=True,
                )
            ],
        )
