"""s3:// sources against a real moto server: ranged reads, errors, allowed buckets, PyAV."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest

from mp4_small_analyser.analysis.sources.base import open_source
from mp4_small_analyser.analysis.sources.s3 import S3Source
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.options import KiB, SourceLimits
from tests.mediagen import moving_pattern, sine, write_video


@pytest.fixture
def bucket(aws_env: str) -> tuple[Any, str]:
    s3 = boto3.client("s3")
    name = f"media-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return s3, name


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("s3") / "clip.mp4"
    audio = np.vstack([sine(440, 2.0), sine(660, 2.0)])
    return write_video(path, moving_pattern(160, 120, 50), fps=25, audio=audio)


def test_ranged_reads_match_the_object(bucket: tuple[Any, str]) -> None:
    s3, name = bucket
    data = np.random.default_rng(7).integers(0, 256, 300 * KiB, dtype=np.uint8).tobytes()
    s3.put_object(Bucket=name, Key="blob.bin", Body=data)
    limits = SourceLimits(block_size=16 * KiB, cache_blocks=4)
    with open_source(f"s3://{name}/blob.bin", limits) as source:
        assert isinstance(source, S3Source)
        assert source.size == len(data)
        rng = np.random.default_rng(1)
        for _ in range(50):
            offset = int(rng.integers(0, len(data)))
            size = int(rng.integers(1, 40 * KiB))
            assert source.read_at(offset, size) == data[offset : offset + size]
        assert source.requests > 1
        assert source.bytes_read >= 16 * KiB


def test_analysis_of_an_s3_object(bucket: tuple[Any, str], clip: Path) -> None:
    s3, name = bucket
    s3.upload_file(str(clip), name, "videos/clip one.mp4")
    result = run_task(f"s3://{name}/videos/clip%20one.mp4")
    assert result.status == "completed", result
    video = result.results.video_analysis
    assert video is not None and (video.width, video.height) == (160, 120)
    assert result.metadata.bytes_read > 0 and result.metadata.requests >= 1


@pytest.mark.parametrize(
    ("key", "code"),
    [("missing.mp4", ErrorCode.FILE_NOT_FOUND), ("empty.mp4", ErrorCode.EMPTY_FILE)],
)
def test_errors_have_stable_codes(bucket: tuple[Any, str], key: str, code: ErrorCode) -> None:
    s3, name = bucket
    s3.put_object(Bucket=name, Key="empty.mp4", Body=b"")
    with pytest.raises(AnalysisError) as caught:
        S3Source(f"s3://{name}/{key}")
    assert caught.value.code == code


def test_missing_bucket_is_not_found(aws_env: str) -> None:
    with pytest.raises(AnalysisError) as caught:
        S3Source(f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/a.mp4")
    assert caught.value.code == ErrorCode.FILE_NOT_FOUND


def test_only_allowed_buckets_are_read(bucket: tuple[Any, str]) -> None:
    s3, name = bucket
    s3.put_object(Bucket=name, Key="a.mp4", Body=b"x" * 100)
    with pytest.raises(AnalysisError) as caught:
        S3Source(f"s3://{name}/a.mp4", SourceLimits(allowed_s3_buckets=("other",)))
    assert caught.value.code == ErrorCode.URL_NOT_ALLOWED
    with S3Source(f"s3://{name}/a.mp4", SourceLimits(allowed_s3_buckets=(name,))) as source:
        assert source.read(10) == b"x" * 10


@pytest.mark.parametrize("url", ["s3://bucket-only", "s3:///key", "s3://"])
def test_malformed_urls(url: str) -> None:
    with pytest.raises(AnalysisError) as caught:
        open_source(url)
    assert caught.value.code == ErrorCode.INVALID_URL


def test_object_replaced_mid_read_fails(bucket: tuple[Any, str]) -> None:
    s3, name = bucket
    s3.put_object(Bucket=name, Key="v.bin", Body=b"a" * (64 * KiB))
    source = S3Source(f"s3://{name}/v.bin", SourceLimits(block_size=16 * KiB))
    s3.put_object(Bucket=name, Key="v.bin", Body=b"b" * (64 * KiB))
    with pytest.raises(AnalysisError) as caught:
        source.read_at(40 * KiB, 10)
    assert caught.value.code == ErrorCode.DOWNLOAD_FAILED
