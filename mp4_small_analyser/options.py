"""What a caller may tune: how bytes are fetched, and what the analysis measures.

Both models cross boundaries (CLI flags, request bodies, queue messages), so
they are pydantic models with documented defaults; every limit lives here.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
DEFAULT_MAX_EDIT_LIST_ENTRIES = 1000
"""Far above real files (one to three edits; a spliced programme a few dozen) and cheap to
decode: 1,000 one-tick edits on a 2 s clip take 10 s, 200,000 do not finish in an hour."""

PROFILE_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
ProfileName = Annotated[
    str,
    StringConstraints(pattern=PROFILE_NAME_PATTERN),
    Field(description="A QC profile's name: lower case, digits and dashes (docs/profiles.md)."),
]
DEFAULT_PROFILE = "ebu-r128"


class SourceLimits(BaseModel):
    """Limits on reading one file, locally or over HTTP."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_file_size: int = Field(
        2 * GiB, gt=0, description="Bytes; larger files fail FILE_TOO_LARGE."
    )
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to open a connection.")
    read_timeout: float = Field(30.0, gt=0, description="Seconds without a byte before giving up.")
    total_timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds one HTTP request may take end to end (redirects, headers and body); "
        "stops servers that trickle bytes. Bounds the whole download when the server "
        "ignores Range.",
    )
    block_size: int = Field(
        16 * KiB,
        ge=4 * KiB,
        description="Bytes per cached block; Range requests fetch whole blocks. Small so a "
        "probe reads little; sequential reads grow each request up to cache_blocks/4 blocks.",
    )
    cache_blocks: int = Field(
        1024, ge=2, description="Blocks kept in the block cache (LRU): 16 MiB by default."
    )
    max_redirects: int = Field(5, ge=0)
    max_edit_list_entries: int = Field(
        DEFAULT_MAX_EDIT_LIST_ENTRIES,
        ge=1,
        description="Entries of one track's edit list; more: CORRUPT_FILE before decoding.",
    )
    max_in_memory_body: int = Field(
        64 * MiB,
        gt=0,
        description="Bytes of a whole-file download (server ignoring Range) kept in memory; "
        "the rest spills to a temporary file.",
    )
    allow_private_urls: bool = Field(
        True,
        description="Allow loopback/private/link-local targets. The CLI allows them; the "
        "service sets this from ALLOW_PRIVATE_URLS (off by default).",
    )
    allowed_networks: tuple[IPv4Network | IPv6Network, ...] = Field(
        (),
        description="CIDR blocks reachable even when private targets are refused "
        "(e.g. an internal media server).",
    )
    allowed_s3_buckets: tuple[str, ...] | None = Field(
        None,
        description="Buckets s3:// URLs may name; None allows any (the CLI, with your own "
        "credentials). The service sets this from ALLOWED_S3_BUCKETS.",
    )


class AnalysisOptions(BaseModel):
    """What to measure and with which thresholds; the defaults follow FFmpeg's filters.

    Strict: requests and queue messages carry these, so `"yes"` is not a boolean and
    `"2"` not a number; infinities and NaN are refused (a message holding one could not
    be read back, JSON has no such numbers)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    probe_only: bool = Field(False, description="Container facts only, no decoding.")
    audio_metrics: bool = Field(True, description="Loudness, silence and audio defects.")
    video_metrics: bool = Field(True, description="Black, frozen, blur, blockiness.")
    max_audio_tracks: int = Field(
        8, ge=1, le=64, description="Audio tracks measured at most (the first ones, in order)."
    )
    profile: ProfileName = Field(DEFAULT_PROFILE, description="QC profile the checks judge by.")
    max_media_duration: float = Field(
        600.0, gt=0, description="Seconds of media decoded at most; the rest is not measured."
    )
    video_sample_rate: float = Field(2.0, gt=0, le=120, description="Frames per second sampled.")
    video_keyframes_only: bool = Field(False, description="Fast mode: decode keyframes only.")
    video_every_frame: bool = Field(
        False,
        description="Decode every frame for flashes (BT.1702), shot cuts, TI and interlace, "
        "about 3x the time of the default sampled depth; video_keyframes_only wins over it.",
    )
    silence_threshold_db: float = Field(-50.0, le=0, description="dBFS, as silencedetect n=.")
    silence_min_duration: float = Field(0.5, gt=0, description="Seconds, as silencedetect d=.")
    black_min_duration: float = Field(2.0, gt=0, description="Seconds, as blackdetect d=.")
    black_pixel_threshold: float = Field(0.10, ge=0, le=1, description="As blackdetect pix_th=.")
    black_picture_ratio: float = Field(0.98, ge=0, le=1, description="As blackdetect pic_th=.")
    freeze_noise_db: float = Field(-60.0, le=0, description="As freezedetect n= (in dB).")
    freeze_min_duration: float = Field(2.0, gt=0, description="Seconds, as freezedetect d=.")
