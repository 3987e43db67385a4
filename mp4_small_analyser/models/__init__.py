"""The result models: what the CLI prints, the store keeps and callbacks carry.

Defined once, in one module per part of a result; `task_result_json_schema()`
is what the docs show. Fields that a given mode does not compute (signal
metrics under `--probe`) stay `None`, so consumers can tell "not measured"
from "zero".
"""

from mp4_small_analyser.models.audio import (
    AudioAnalysis,
    AudioFacts,
    AudioMeasures,
    ChannelMeasures,
    Clipping,
)
from mp4_small_analyser.models.base import Segment
from mp4_small_analyser.models.captions import Captions, EmbeddedCaptions, TextTrack
from mp4_small_analyser.models.container import FileInfo, Track
from mp4_small_analyser.models.picture import (
    ActiveArea,
    Bars,
    ChannelLevels,
    Flashes,
    FlashSegment,
    FramingSegment,
    Interlace,
    Levels,
    PictureDepth,
    PictureSampling,
    RepeatedFields,
    ScanCounts,
    Shots,
    Unmeasured,
)
from mp4_small_analyser.models.results import Check, Results
from mp4_small_analyser.models.scoring import QualityScore
from mp4_small_analyser.models.task import (
    CompletedResult,
    FailedResult,
    Metadata,
    ReceivedResult,
    TaskResult,
    task_result_adapter,
    task_result_json_schema,
)
from mp4_small_analyser.models.thumbnails import (
    ContactSheet,
    ImageFile,
    StretchThumbnail,
    Thumbnails,
)
from mp4_small_analyser.models.verdict import Severity, SeverityCounts, Verdict, VerdictStatus
from mp4_small_analyser.models.video import (
    Color,
    ColourMismatch,
    ContentLight,
    DolbyVision,
    Gop,
    Hdr,
    MasteringDisplay,
    PictureMeasures,
    VideoAnalysis,
    VideoFacts,
)

__all__ = [
    "ActiveArea",
    "AudioAnalysis",
    "AudioFacts",
    "AudioMeasures",
    "Bars",
    "Captions",
    "ChannelLevels",
    "ChannelMeasures",
    "Check",
    "Clipping",
    "Color",
    "ColourMismatch",
    "CompletedResult",
    "ContactSheet",
    "ContentLight",
    "DolbyVision",
    "EmbeddedCaptions",
    "FailedResult",
    "FileInfo",
    "FlashSegment",
    "Flashes",
    "FramingSegment",
    "Gop",
    "Hdr",
    "ImageFile",
    "Interlace",
    "Levels",
    "MasteringDisplay",
    "Metadata",
    "PictureDepth",
    "PictureMeasures",
    "PictureSampling",
    "QualityScore",
    "ReceivedResult",
    "RepeatedFields",
    "Results",
    "ScanCounts",
    "Segment",
    "Severity",
    "SeverityCounts",
    "Shots",
    "StretchThumbnail",
    "TaskResult",
    "TextTrack",
    "Thumbnails",
    "Track",
    "Unmeasured",
    "Verdict",
    "VerdictStatus",
    "VideoAnalysis",
    "VideoFacts",
    "task_result_adapter",
    "task_result_json_schema",
]
