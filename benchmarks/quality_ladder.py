"""Video quality scores of one picture at x264 CRF 18, 28, 38, 48 (the README's figures).

    .venv/bin/python benchmarks/quality_ladder.py

The clip tests/test_quality_e2e.py encodes: 3 s of 640x360 natural texture at 25 fps,
default x264 preset, each CRF analysed with the defaults (`run_task`). The test asserts
only that the scores fall strictly; this prints them.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from tests.mediagen import natural_texture, write_video
from tests.test_quality_e2e import CRFS, FPS, HEIGHT, SECONDS, WIDTH


def main() -> None:
    frames = natural_texture(WIDTH, HEIGHT, FPS * SECONDS)
    with tempfile.TemporaryDirectory() as folder:
        for crf in CRFS:
            path = write_video(
                Path(folder) / f"crf{crf}.mp4", frames, fps=FPS, options={"crf": str(crf)}
            )
            result = run_task(str(path))
            assert isinstance(result, CompletedResult), result
            video = result.results.video_analysis
            assert video is not None
            print(f"CRF {crf}: quality_score {video.quality_score}")


if __name__ == "__main__":
    main()
