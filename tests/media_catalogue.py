"""The generated media the probe is tested and benchmarked on.

Each entry says how to make a file (with `mediagen.write_media`) and what the
probe must then report; the tests also hold every file against ffprobe. Clips
are short and small: the suite runs on two shared cores.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from tests.mediagen import AudioTrack, VideoTrack, write_media

X264_GOP_10 = {"g": "10", "sc_threshold": "0", "preset": "ultrafast"}
QUIET_X265 = {"preset": "ultrafast", "x265-params": "log-level=error"}
CENC_OPTIONS = {
    "encryption_scheme": "cenc-aes-ctr",
    "encryption_key": "00112233445566778899aabbccddeeff",
    "encryption_kid": "ffeeddccbbaa99887766554433221100",
}


@dataclass(frozen=True)
class MediaSpec:
    suffix: str
    video: VideoTrack | None = None
    audio: tuple[AudioTrack, ...] = ()
    container_format: str | None = None
    container_options: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    # What the probe must report, beyond what ffprobe is asked about.
    video_codec: str | None = None
    audio_codecs: tuple[str, ...] = ()
    format: str = "mp4"
    faststart: bool = False
    fragmented: bool = False
    encrypted: bool = False
    keyframe_interval: float | None = None
    variable_frame_rate: bool = False
    display_aspect_ratio: str | None = None
    """None: width:height, square pixels."""
    color: dict[str, str] | None = None


H264_AAC = MediaSpec(
    ".mp4",
    VideoTrack(320, 240, frames=50, options=X264_GOP_10),
    (AudioTrack(seconds=2.0),),
    video_codec="h264",
    audio_codecs=("aac",),
    keyframe_interval=0.4,
)

CATALOGUE: dict[str, MediaSpec] = {
    "h264_aac": H264_AAC,
    "h264_aac_faststart": replace(
        H264_AAC, container_options={"movflags": "+faststart"}, faststart=True
    ),
    "fragmented": replace(
        H264_AAC,
        container_options={"movflags": "frag_keyframe+empty_moov"},
        faststart=True,
        fragmented=True,
    ),
    "hevc_10bit": MediaSpec(
        ".mp4",
        VideoTrack(320, 240, codec="libx265", pix_fmt="yuv420p10le", options=QUIET_X265),
        video_codec="hevc",
    ),
    "av1": MediaSpec(
        ".mp4",
        VideoTrack(320, 240, codec="libsvtav1", options={"preset": "12"}),
        video_codec="av1",
    ),
    "vp9_opus": MediaSpec(
        ".mp4",
        VideoTrack(320, 240, codec="libvpx-vp9", options={"deadline": "realtime"}),
        (AudioTrack(codec="libopus"),),
        video_codec="vp9",
        audio_codecs=("opus",),
    ),
    "mpeg4_odd_size": MediaSpec(
        ".mp4",
        VideoTrack(318, 178, codec="mpeg4", options={"g": "10"}),
        (AudioTrack(channels=1),),
        video_codec="mpeg4",
        audio_codecs=("aac",),
        keyframe_interval=0.4,
    ),
    "h264_444_odd_size": MediaSpec(
        ".mp4",
        VideoTrack(317, 179, pix_fmt="yuv444p", options={"preset": "ultrafast"}),
        video_codec="h264",
    ),
    "aac_mono_m4a": MediaSpec(
        ".m4a", None, (AudioTrack(channels=1),), "ipod", audio_codecs=("aac",), format="m4a"
    ),
    "mp3": MediaSpec(
        ".mp4", None, (AudioTrack(codec="libmp3lame", sample_rate=44100),), audio_codecs=("mp3",)
    ),
    "opus": MediaSpec(".mp4", None, (AudioTrack(codec="libopus"),), audio_codecs=("opus",)),
    "alac_m4a": MediaSpec(
        ".m4a", None, (AudioTrack(codec="alac"),), "ipod", audio_codecs=("alac",), format="m4a"
    ),
    "ac3_51": MediaSpec(
        ".mp4", None, (AudioTrack(codec="ac3", channels=6),), audio_codecs=("ac3",)
    ),
    "aac_51": MediaSpec(".mp4", None, (AudioTrack(channels=6),), audio_codecs=("aac",)),
    "fps_23976": MediaSpec(
        ".mp4", VideoTrack(frames=24, fps=Fraction(24000, 1001)), video_codec="h264"
    ),
    "fps_30": MediaSpec(".mp4", VideoTrack(frames=30, fps=Fraction(30)), video_codec="h264"),
    "fps_60": MediaSpec(".mp4", VideoTrack(frames=60, fps=Fraction(60)), video_codec="h264"),
    "vfr": MediaSpec(
        ".mp4",
        VideoTrack(frames=30, durations_ms=(20, 40, 60)),
        video_codec="h264",
        variable_frame_rate=True,
    ),
    "anamorphic_bt709": MediaSpec(
        ".mp4",
        VideoTrack(240, 180, sample_aspect_ratio=Fraction(4, 3), color=(1, 1, 1, 1)),
        video_codec="h264",
        display_aspect_ratio="16:9",
        color={"primaries": "bt709", "transfer": "bt709", "matrix": "bt709", "range": "tv"},
    ),
    "rotated_90": MediaSpec(".mp4", VideoTrack(rotation_cw=90), video_codec="h264"),
    "mov": MediaSpec(
        ".mov",
        VideoTrack(),
        (AudioTrack(),),
        "mov",
        video_codec="h264",
        audio_codecs=("aac",),
        format="mov",
    ),
    "3gp": MediaSpec(
        ".3gp",
        VideoTrack(176, 144),
        (AudioTrack(channels=1, sample_rate=16000),),
        "3gp",
        video_codec="h264",
        audio_codecs=("aac",),
        format="3gp",
    ),
    "multitrack": MediaSpec(
        ".mp4",
        VideoTrack(),
        (AudioTrack(language="eng"), AudioTrack(channels=1, language="fra")),
        metadata={"creation_time": "2024-01-02T03:04:05.000000Z"},
        video_codec="h264",
        audio_codecs=("aac", "aac"),
    ),
    "encrypted": MediaSpec(
        ".mp4",
        VideoTrack(),
        (AudioTrack(),),
        container_options=CENC_OPTIONS,
        video_codec="h264",
        audio_codecs=("aac",),
        encrypted=True,
    ),
}

LARGE_NON_FASTSTART = MediaSpec(
    ".mp4",
    # Lossless noise is incompressible: about 140 KB a frame, so 150 frames ≈ 21 MB.
    VideoTrack(320, 240, frames=150, options={"preset": "ultrafast", "qp": "0"}, noise=True),
    video_codec="h264",
)


def build(spec: MediaSpec, path: Path) -> Path:
    return write_media(
        path,
        video=spec.video,
        audio=spec.audio,
        container_format=spec.container_format,
        container_options=spec.container_options,
        metadata=spec.metadata,
    )
