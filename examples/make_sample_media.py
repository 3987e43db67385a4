"""Write two small sample videos for the README walk-through (PyAV, no downloads).

    .venv/bin/python examples/make_sample_media.py [FOLDER]     # default: var/samples

video1.mp4: 8 s, 640x360 H.264 + stereo AAC near -23 LUFS, opening on 2.5 s of black.
video2.mp4: 6 s, 1280x720 H.264 + stereo AAC far too loud, its picture frozen after 2 s.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

RATE = 48000
FPS = 25


def write(path: Path, seconds: float, size: tuple[int, int], gain: float, black: float,
          freeze_after: float | None) -> None:  # fmt: skip
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width]
    t = np.arange(round(seconds * RATE)) / RATE
    tone = gain * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    audio = np.vstack([tone, 0.9 * tone]).astype(np.float32)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "veryfast", "crf": "23"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("aac", rate=RATE)
        sound.layout = "stereo"
        for i in range(round(seconds * FPS)):
            moment = i / FPS
            if freeze_after is not None and moment > freeze_after:
                moment = freeze_after
            if moment < black:
                rgb = np.zeros((height, width, 3), dtype=np.uint8)
            else:
                phase = moment * 3.0
                waves = np.sin(xx / 13.7 + phase) * np.cos(yy / 9.3 - phase / 2)
                ripple = np.sin((xx + yy) / 5.1 + phase * 2)
                rgb = np.dstack([128 + 70 * waves, 128 + 40 * ripple, 128 - 60 * waves])
                rgb = rgb.clip(0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        size_per_frame = sound.codec_context.frame_size
        for start in range(0, audio.shape[1], size_per_frame):
            chunk = np.ascontiguousarray(audio[:, start : start + size_per_frame])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            for packet in sound.encode(frame):
                out.mux(packet)
        for packet in sound.encode(None):
            out.mux(packet)


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "var/samples")
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "video1.mp4", 8, (640, 360), gain=0.1, black=2.5, freeze_after=None)
    write(folder / "video2.mp4", 6, (1280, 720), gain=0.9, black=0, freeze_after=2)
    print(f"wrote {folder / 'video1.mp4'} and {folder / 'video2.mp4'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
