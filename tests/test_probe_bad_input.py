"""Input that is not a readable MP4 fails fast with its stable code, never a traceback.

Valid files are taken from the generated catalogue and broken on purpose: cut in
the moov or in the mdat, box sizes set to 0, 1 (64-bit), too small or beyond the
file, tables claiming 2^32 entries, a moov nested 10,000 deep, and a few hundred
random mutations. Each case has a bounded time (pytest-timeout).

Decisions the tests pin down:
- a faststart file cut inside its mdat is read: its moov describes the whole
  programme, so the probe reports it as truncated (how much is missing; the
  TRUNCATED_FILE check makes it an error) and what is present is still measured;
  a non-faststart file cut there has lost its moov entirely (CORRUPT_FILE);
- a box of size 0 is legal ("to the end of the file") and a 64-bit size is
  legal: files using them probe exactly like their ordinary twins.
"""

from __future__ import annotations

import struct
import tracemalloc
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pytest

from mp4_small_analyser.analysis.container.layout import TopBox as Box
from mp4_small_analyser.analysis.container.layout import read_layout
from mp4_small_analyser.analysis.container.probe import ProbeResult, probe
from mp4_small_analyser.analysis.sources.base import ByteSource, LocalFileSource
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from tests.fixtures_media import GeneratedMedia

pytestmark = pytest.mark.timeout(30)


class BytesSource(ByteSource):
    """An in-memory source, so hundreds of mutated files cost no disk."""

    def __init__(self, data: bytes, url: str = "memory://test.mp4") -> None:
        super().__init__(url)
        self._data = bytes(data)

    @property
    def size(self) -> int:
        return len(self._data)

    def _fetch(self, offset: int, size: int) -> bytes:
        self.bytes_read += size
        self.requests += 1
        return self._data[offset : offset + size]


def probe_bytes(data: bytes) -> ProbeResult:
    return probe(BytesSource(data))


def failure(data: bytes) -> AnalysisError:
    with pytest.raises(AnalysisError) as caught:
        probe_bytes(data)
    return caught.value


def top_level(data: bytes) -> dict[str, Box]:
    return {box.type: box for box in read_layout(BytesSource(data)).top_level}


def find_box(data: bytes, box_type: bytes) -> int:
    """Offset of the first box of `box_type` (the size field before the type)."""
    at = data.find(box_type)
    assert at >= 4, box_type
    return at - 4


def set_size(data: bytes, offset: int, size: int) -> bytes:
    return data[:offset] + struct.pack(">I", size) + data[offset + 4 :]


def box(box_type: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


FTYP = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")


@pytest.fixture(scope="module")
def plain(media: GeneratedMedia) -> bytes:
    """H.264 + AAC with the moov at the end (ftyp, free, mdat, moov)."""
    return media.path("h264_aac").read_bytes()


@pytest.fixture(scope="module")
def faststart(media: GeneratedMedia) -> bytes:
    """The same file with the moov first (ftyp, moov, free, mdat)."""
    return media.path("h264_aac_faststart").read_bytes()


# --------------------------------------------------------------- not an MP4 at all


def test_zero_bytes_is_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with LocalFileSource(path) as source, pytest.raises(AnalysisError) as caught:
        probe(source)
    assert caught.value.code is ErrorCode.EMPTY_FILE


@pytest.mark.parametrize(
    ("data", "described"),
    [
        (b"\x00\x00\x00", "only 3 bytes, less than a box"),
        (
            np.random.default_rng(1).integers(0, 256, 65536, dtype=np.uint8).tobytes(),
            "its first box is not an ISO-BMFF box (it starts with FF E4 22 79",
        ),
        (
            b"Hello, this is a text file and not a video.\n" * 100,
            "it looks like a text file (it starts with 'Hello, this is a')",
        ),
        (
            b"\xef\xbb\xbf\n  <!DOCTYPE html><html><body>404 Not Found</body></html>",
            "it looks like an HTML page (an error page or a link to the video?)",
        ),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(1000), "an MP3 audio file (ID3 tag)"),
        # Two MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz: 417 bytes each.
        ((b"\xff\xfb\x90\x64" + bytes(413)) * 2, "it looks like an MP3 audio file (it starts"),
        (b'{"error": "not found"}', "it looks like JSON"),
        (b"#EXTM3U\n#EXT-X-VERSION:3\n", "an HLS playlist (.m3u8), not the media it lists"),
        (b"<?xml version='1.0'?><MPD/>", "an XML document (a DASH manifest?)"),
        (b"%PDF-1.7\n" + bytes(100), "a PDF document"),
        (b"PK\x03\x04" + bytes(100), "a ZIP archive"),
        (b"GIF89a" + bytes(100), "a GIF image"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "a JPEG image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(100), "a WebP image"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(100), "a WAV audio file"),
        (b"OggS" + bytes(100), "an Ogg file"),
        (b"FLV\x01" + bytes(100), "a Flash video (FLV)"),
    ],
    ids=[
        *("three-bytes", "random", "text", "html", "mp3-id3", "mp3-frame", "json", "hls"),
        *("dash", "pdf", "zip", "gif", "jpeg", "webp", "wav", "ogg", "flv"),
    ],
)
def test_other_bytes_are_not_mp4_and_say_what_they_look_like(data: bytes, described: str) -> None:
    error = failure(data)
    assert error.code is ErrorCode.NOT_MP4
    assert described in error.message


def encoded_image(codec: str) -> bytes:
    context = av.Codec(codec, "w").create("video")
    context.width, context.height, context.pix_fmt = 32, 16, "rgb24"
    rgb = np.zeros((16, 32, 3), dtype=np.uint8)
    packets = context.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24"))
    return b"".join(bytes(p) for p in packets)


def test_png_is_not_mp4() -> None:
    png = encoded_image("png")
    assert png.startswith(b"\x89PNG")
    error = failure(png)
    assert error.code is ErrorCode.NOT_MP4
    assert error.message == (
        "Not an MP4/QuickTime file: it looks like a PNG image "
        "(it starts with 89 50 4E 47 0D 0A 1A 0A 00 00 00 0D 49 48 44 52)"
    )


@pytest.mark.parametrize(
    ("container", "suffix", "described"),
    [
        ("matroska", ".mkv", "a Matroska (MKV) video"),
        ("webm", ".webm", "a WebM video"),
        ("mpegts", ".ts", "an MPEG transport stream (TS)"),
        ("avi", ".avi", "an AVI video"),
    ],
)
def test_other_containers_are_not_mp4(
    tmp_path: Path, container: str, suffix: str, described: str
) -> None:
    path = tmp_path / f"clip{suffix}"
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("libvpx-vp9" if container == "webm" else "mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    error = failure(path.read_bytes())
    assert error.code is ErrorCode.NOT_MP4
    assert f"it looks like {described}" in error.message


# --------------------------------------------------------------------- truncation


def test_cut_in_moov_is_corrupt(plain: bytes, faststart: bytes) -> None:
    for data in (plain, faststart):
        moov = top_level(data)["moov"]
        error = failure(data[: moov.offset + moov.size // 2])
        assert error.code is ErrorCode.CORRUPT_FILE
        assert f"moov box at offset {moov.offset} claims {moov.size} bytes" in error.message


def test_cut_in_mdat_of_faststart_file_is_read_as_truncated(faststart: bytes) -> None:
    mdat = top_level(faststart)["mdat"]
    cut = mdat.offset + mdat.size // 2
    whole, result = probe_bytes(faststart), probe_bytes(faststart[:cut])
    assert result.file_info.truncated and not whole.file_info.truncated
    assert result.file_info.bytes_missing == len(faststart) - cut
    assert result.file_info.duration == whole.file_info.duration
    assert 0 < (result.file_info.playable_until or 0) < (whole.file_info.duration or 0)
    assert (result.video, result.audio) == (whole.video, whole.audio)


def test_cut_in_mdat_of_non_faststart_file_has_no_moov(plain: bytes) -> None:
    mdat = top_level(plain)["mdat"]
    error = failure(plain[: mdat.offset + mdat.size // 2])
    assert error.code is ErrorCode.CORRUPT_FILE
    assert "mdat" in error.message


def test_heif_image_is_not_mp4() -> None:
    heif = box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + box(b"meta", bytes(64))
    error = failure(heif)
    assert error.code is ErrorCode.NOT_MP4
    assert "HEIF/AVIF still image" in error.message


def test_ftyp_alone_has_no_moov() -> None:
    error = failure(FTYP)
    assert error.code is ErrorCode.CORRUPT_FILE
    assert "No moov box" in error.message


# --------------------------------------------------------------------- box sizes


def test_size_zero_on_the_last_box_means_to_the_end(plain: bytes, faststart: bytes) -> None:
    for data, last in ((plain, "moov"), (faststart, "mdat")):
        patched = set_size(data, top_level(data)[last].offset, 0)
        assert probe_bytes(patched) == probe_bytes(data)


def test_size_zero_on_the_first_box_swallows_the_moov(plain: bytes) -> None:
    error = failure(set_size(plain, 0, 0))
    assert error.code is ErrorCode.CORRUPT_FILE


def test_64_bit_size_is_read(plain: bytes) -> None:
    # FFmpeg writes an 8-byte `free` before `mdat` so the header can grow to 64 bits in place.
    boxes = top_level(plain)
    free, mdat = boxes["free"], boxes["mdat"]
    assert free.end == mdat.offset and free.size == 8
    large = struct.pack(">I4sQ", 1, b"mdat", mdat.size + 8)
    patched = plain[: free.offset] + large + plain[mdat.offset + 8 :]
    assert len(patched) == len(plain)
    assert top_level(patched)["mdat"].header_size == 16
    assert probe_bytes(patched) == probe_bytes(plain)


@pytest.mark.parametrize("size", [2**40, 9])
def test_bad_64_bit_size_is_corrupt(plain: bytes, size: int) -> None:
    mdat = top_level(plain)["mdat"]
    patched = (
        plain[: mdat.offset] + struct.pack(">I4sQ", 1, b"mdat", size) + plain[mdat.offset + 16 :]
    )
    error = failure(patched)
    assert error.code is ErrorCode.CORRUPT_FILE
    assert f"mdat box at offset {mdat.offset}" in error.message


def test_box_larger_than_the_file_is_corrupt(faststart: bytes) -> None:
    moov = top_level(faststart)["moov"]
    error = failure(set_size(faststart, moov.offset, 9_000_000))
    assert error.code is ErrorCode.CORRUPT_FILE
    assert error.message == (
        f"moov box at offset {moov.offset} claims 9000000 bytes "
        f"but the file ends at {len(faststart)}"
    )


@pytest.mark.parametrize("size", [2, 7])
def test_box_smaller_than_its_header_is_corrupt(faststart: bytes, size: int) -> None:
    error = failure(set_size(faststart, top_level(faststart)["moov"].offset, size))
    assert error.code is ErrorCode.CORRUPT_FILE
    assert f"impossible size of {size} bytes" in error.message


def test_child_larger_than_its_parent_is_corrupt(faststart: bytes) -> None:
    trak = find_box(faststart, b"trak")
    error = failure(set_size(faststart, trak, len(faststart)))
    assert error.code is ErrorCode.CORRUPT_FILE
    assert f"trak box at offset {trak} claims" in error.message
    assert "its parent moov box ends" in error.message


def test_junk_after_the_last_box_is_not_read(plain: bytes, faststart: bytes) -> None:
    junk = np.random.default_rng(3).integers(0, 256, 1000, dtype=np.uint8).tobytes()
    for data in (plain, faststart):
        clean, padded = probe_bytes(data), probe_bytes(data + junk)
        assert padded.file_info.file_size == clean.file_info.file_size + len(junk)
        assert (padded.video, padded.audio, padded.tracks) == (
            clean.video,
            clean.audio,
            clean.tracks,
        )


def test_top_level_walk_is_capped() -> None:
    error = failure(FTYP + box(b"free", b"") * 2000)
    assert error.code is ErrorCode.CORRUPT_FILE
    assert "No moov box in the first 1024 top-level boxes" in error.message


def test_moov_nested_10000_deep_is_corrupt() -> None:
    nested = b""
    for _ in range(10_000):
        nested = box(b"moov", nested)
    error = failure(FTYP + nested)
    assert error.code is ErrorCode.CORRUPT_FILE
    assert "nested more than 16 boxes deep" in error.message


def test_many_boxes_in_moov_are_capped() -> None:
    many = box(b"moov", box(b"free", b"") * 200_000)
    error = failure(FTYP + many)
    assert error.code is ErrorCode.CORRUPT_FILE
    assert "more than 100000 boxes" in error.message


@pytest.mark.parametrize(
    ("table", "count_at"),
    [(b"stsz", 8), (b"stts", 4), (b"stss", 4)],
    ids=["stsz", "stts", "stss"],
)
def test_table_claiming_2_to_the_32_entries_allocates_nothing(
    faststart: bytes, table: bytes, count_at: int
) -> None:
    offset = find_box(faststart, table)
    field = offset + 8 + count_at
    patched = faststart[:field] + struct.pack(">I", 0xFFFFFFFF) + faststart[field + 4 :]
    tracemalloc.start()
    try:
        error = failure(patched)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code is ErrorCode.CORRUPT_FILE
    assert f"{table.decode()} box at offset {offset} claims 4294967295 entries" in error.message
    assert peak < 5_000_000


def test_track_id_beyond_a_signed_int_is_corrupt(media: GeneratedMedia) -> None:
    data = media.path("fragmented").read_bytes()
    tkhd = find_box(data, b"tkhd")
    track_id = tkhd + 8 + 4 + 8  # version 0: flags, creation and modification times
    assert data[track_id : track_id + 4] == struct.pack(">I", 1)
    patched = data[:track_id] + struct.pack(">I", 0x80000001) + data[track_id + 4 :]
    error = failure(patched)
    assert error.code is ErrorCode.CORRUPT_FILE
    assert error.message == f"tkhd box at offset {tkhd} has track ID {0x80000001}"


def test_no_audio_or_video_track(media: GeneratedMedia) -> None:
    data = media.path("rotated_90").read_bytes()
    # The handler and sample entry are what make FFmpeg call a track video.
    hidden = data.replace(b"vide", b"zzzz").replace(b"avc1", b"zzzz")
    error = failure(hidden)
    assert error.code is ErrorCode.NO_MEDIA_TRACKS
    assert "data" in error.message


def test_moov_without_tracks() -> None:
    mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, 0) + bytes(80))
    error = failure(FTYP + box(b"moov", mvhd))
    assert error.code is ErrorCode.NO_MEDIA_TRACKS


# --------------------------------------------------------------------- mutations


def mutations(data: bytes, moov: Box, count: int, seed: int) -> list[bytes]:
    """Damage of the kinds real files and attackers produce, inside the header area."""
    rng = np.random.default_rng(seed)
    out = []
    header_end = moov.end
    for _ in range(count):
        damaged = bytearray(data)
        kind = int(rng.integers(0, 4))
        if kind == 0:  # flipped bytes in the moov
            for at in rng.integers(moov.offset, header_end, size=int(rng.integers(1, 8))):
                damaged[int(at)] = int(rng.integers(0, 256))
        elif kind == 1:  # a 32-bit field set to an edge value
            at = int(rng.integers(0, header_end - 4)) & ~3
            value = int(rng.choice([0, 1, 7, 8, 0x7FFFFFFF, 0xFFFFFFFF, len(data) + 1]))
            damaged[at : at + 4] = struct.pack(">I", value)
        elif kind == 2:  # a box size field set to a random value
            types = [i - 4 for i in range(4, header_end - 4) if damaged[i : i + 4].isalpha()]
            at = int(rng.choice(types))
            damaged[at : at + 4] = struct.pack(">I", int(rng.integers(0, 2**32, dtype=np.uint64)))
        else:  # truncated somewhere in the header area
            damaged = damaged[: int(rng.integers(0, header_end))]
        out.append(bytes(damaged))
    return out


@pytest.mark.parametrize("name", ["h264_aac_faststart", "fragmented", "multitrack"])
def test_mutated_headers_fail_only_with_analysis_errors(media: GeneratedMedia, name: str) -> None:
    data = media.path(name).read_bytes()
    moov = top_level(data)["moov"]
    outcomes: Counter[str] = Counter()
    for damaged in mutations(data, moov, count=150, seed=2024):
        try:
            probe_bytes(damaged)
            outcomes["ok"] += 1
        except AnalysisError as error:
            assert error.code in (
                ErrorCode.EMPTY_FILE,
                ErrorCode.NOT_MP4,
                ErrorCode.CORRUPT_FILE,
                ErrorCode.NO_MEDIA_TRACKS,
            )
            assert error.message
            outcomes[error.code.value] += 1
    # Both outcomes occur: the mutations are neither all harmless nor all fatal.
    assert outcomes["ok"] > 0 and outcomes[ErrorCode.CORRUPT_FILE.value] > 0
    assert outcomes.total() == 150
