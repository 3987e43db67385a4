"""Thumbnails: small JPEG pictures cut from frames the analysis decoded anyway.

The result names them (`Thumbnails`); the images themselves are stored beside
the results (a folder next to the SQLite file, an S3 bucket on AWS) and read
back at `GET /callback/{task_id}/thumbnails/{name}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from mp4_small_analyser.models.base import Model

JPEG: Literal["image/jpeg"] = "image/jpeg"


@dataclass(frozen=True)
class ImageFile:
    """An encoded picture on its way from the analysis to a thumbnail store."""

    name: str
    data: bytes
    media_type: str = JPEG


class ContactSheet(Model):
    name: str = Field(description="File name: GET /callback/{task_id}/thumbnails/{name}.")
    width: int
    height: int
    columns: int
    rows: int
    times: list[float] = Field(
        description="Seconds of media time of each tile, row by row from the top left."
    )


class StretchThumbnail(Model):
    kind: Literal["black", "frozen"]
    time: float = Field(description="Seconds: the first sampled frame of the stretch.")
    name: str = Field(description="File name: GET /callback/{task_id}/thumbnails/{name}.")
    width: int
    height: int


class Thumbnails(Model):
    media_type: Literal["image/jpeg"] = JPEG
    contact_sheet: ContactSheet | None = Field(
        None, description="Frames evenly spread over the analysed video, in one picture."
    )
    stretches: list[StretchThumbnail] = Field(
        default_factory=list,
        description="The first frame of each black or frozen stretch (the first 20 stretches).",
    )
