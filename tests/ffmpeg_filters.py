"""FFmpeg's own filters run over a file, their reports read back: the reference values the
picture depth tests compare with (the product never runs ffmpeg)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path


def run(path: Path, vf: str) -> str:
    """ffmpeg's log (stderr) for the video filter chain `vf`."""
    command = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-an", "-vf", vf]
    command += ["-f", "null", "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stderr


def per_frame(path: Path, vf: str) -> list[dict[str, str]]:
    """Each frame's metadata that the chain `vf` sets (metadata=mode=print), with pts_time."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "meta.txt"
        run(path, f"{vf},metadata=mode=print:file={out}")
        frames: list[dict[str, str]] = []
        for line in out.read_text().splitlines():
            if line.startswith("frame:"):
                fields = dict(part.split(":", 1) for part in line.split())
                frames.append({"pts_time": fields["pts_time"]})
            elif "=" in line and frames:
                key, value = line.split("=", 1)
                frames[-1][key] = value
        return frames


def cropdetect(path: Path) -> dict[str, int]:
    """cropdetect's last x1, x2, y1, y2 (round=2: no rounding of the size to 16)."""
    found = re.findall(r"x1:(\d+) x2:(\d+) y1:(\d+) y2:(\d+)", run(path, "cropdetect=round=2"))
    x1, x2, y1, y2 = (int(value) for value in found[-1])
    return {"x1": x1, "x2": x2, "y1": y1, "y2": y2}


def idet(path: Path) -> dict[str, dict[str, int]]:
    """idet's closing counts: single, multi (tff, bff, progressive, undetermined), repeated."""
    log = run(path, "idet")
    counts: dict[str, dict[str, int]] = {}
    repeated = re.findall(r"Repeated Fields: Neither:\s*(\d+) Top:\s*(\d+) Bottom:\s*(\d+)", log)
    neither, top, bottom = (int(value) for value in repeated[-1])
    counts["repeated"] = {"neither": neither, "top": top, "bottom": bottom}
    for name in ("Single", "Multi"):
        found = re.findall(
            name + r" frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+) "
            r"Undetermined:\s*(\d+)",
            log,
        )
        tff, bff, progressive, undetermined = (int(value) for value in found[-1])
        counts[name.lower()] = {
            "tff": tff,
            "bff": bff,
            "progressive": progressive,
            "undetermined": undetermined,
        }
    return counts


def siti_summary(path: Path) -> dict[str, float]:
    """siti's summary: SI and TI average and max over every frame (TI of the first is 0)."""
    log = run(path, "siti=print_summary=1")
    si = re.search(r"Spatial Information:\s*Average: ([\d.]+)\s*Max: ([\d.]+)", log)
    ti = re.search(r"Temporal Information:\s*Average: ([\d.]+)\s*Max: ([\d.]+)", log)
    assert si and ti, log[-2000:]
    return {
        "si_mean": float(si[1]),
        "si_max": float(si[2]),
        "ti_mean": float(ti[1]),
        "ti_max": float(ti[2]),
    }


def field_order(path: Path) -> str:
    """ffprobe's field_order of the first video stream (progressive, tt, bb, tb, bt, unknown)."""
    command = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries"]
    command += ["stream=field_order", "-of", "csv=p=0", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
