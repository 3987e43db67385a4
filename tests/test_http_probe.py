"""Probing over HTTP reads the boxes it needs, not the media data."""

from __future__ import annotations

import struct
from pathlib import Path

from mp4_small_analyser.analysis.container.probe import probe
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from mp4_small_analyser.analysis.sources.http import HttpSource
from mp4_small_analyser.options import MiB, SourceLimits
from tests.fixtures_http import FileServer


def top_level_boxes(path: Path) -> list[tuple[str, int]]:
    """(type, size) of each top-level box, read independently of the product's box reader."""
    boxes = []
    with path.open("rb") as file:
        while header := file.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", file.read(8))[0]
            boxes.append((kind.decode("latin-1"), size))
            file.seek(file.tell() - (16 if size > 2**32 - 1 else 8) + size)
    return boxes


def test_probe_of_a_non_faststart_file_reads_under_5_percent(
    file_server: FileServer, large_non_faststart_mp4: Path
) -> None:
    path = large_non_faststart_mp4
    size = path.stat().st_size
    kinds = [kind for kind, _ in top_level_boxes(path)]
    assert size > 19 * MiB
    assert kinds.index("mdat") < kinds.index("moov")

    with LocalFileSource(path) as local:
        expected = probe(local)
    with HttpSource(file_server.publish(path)) as remote:
        result = probe(remote)

    assert result == expected
    assert remote.bytes_read < 0.05 * size
    file_server.wait_finished()
    assert file_server.bytes_sent_for("/" + path.name) < 0.05 * size


def test_probe_of_a_non_faststart_file_reads_the_moov_and_one_block(
    file_server: FileServer, large_non_faststart_mp4: Path
) -> None:
    """Codec facts come from the configuration boxes, so nothing past the moov is decoded:
    the first block (ftyp, the mdat header and the first sample's head) and then the file's
    tail from the moov header on, in one request."""
    path = large_non_faststart_mp4
    moov = dict(top_level_boxes(path))["moov"]
    block = SourceLimits().block_size
    url = file_server.publish(path)
    file_server.reset_counters()
    with HttpSource(url) as remote:
        result = probe(remote)
        assert (remote.bytes_read, remote.requests) == (block + moov, 2)
    assert result.video is not None and result.video.codec == "h264"
    assert result.video.hdr is not None and result.video.gop is not None
    file_server.wait_finished()
    name = "/" + path.name
    assert file_server.requests_for(name) == 2
    assert file_server.bytes_sent_for(name) == block + moov
    ranges = file_server.ranges_for(name)
    assert ranges == [
        f"bytes=0-{block - 1}",
        f"bytes={path.stat().st_size - moov}-{path.stat().st_size - 1}",
    ]
