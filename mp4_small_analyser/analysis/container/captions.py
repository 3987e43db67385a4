"""Captions and text: CEA-608/708 in H.264/HEVC SEI, and subtitle/caption tracks.

In-band captions are ATSC A/53 Part 4 cc_data in ITU-T T.35 SEI (see sei.py),
found in the sync samples the bitstream scan read. `carried` is any cc_data,
padding included (the caption channel is there; ffprobe 5.1 shows it as frame side
data "ATSC A53 Part 4 Closed Captions"); `cea608`/`cea708` need data that is not
padding.

Track kinds (sample entry → what it is): `tx3g` 3GPP Timed Text (3GPP TS 26.245,
ffprobe mov_text), `wvtt` WebVTT (ISO/IEC 14496-30 §7), `stpp` TTML/IMSC1
(14496-30 §6), `c608`/`c708` CEA-608/708 caption tracks; handlers `text`,
`sbtl`, `subt`, `clcp`. ffprobe 5.1 calls `wvtt` and `stpp` tracks "data".
"""

from __future__ import annotations

from mp4_small_analyser.analysis.container.bitstream import Bitstream
from mp4_small_analyser.analysis.container.sei import T35, cc_data, t35
from mp4_small_analyser.models import EmbeddedCaptions, TextTrack

TEXT_CODECS = {
    "tx3g": "mov_text", "text": "mov_text", "wvtt": "webvtt", "stpp": "ttml",
    "c608": "eia_608", "c708": "cea_708", "mp4s": "dvd_subtitle",
}  # fmt: skip
TEXT_HANDLERS = frozenset({"text", "sbtl", "subt", "clcp"})


def embedded(scan: Bitstream) -> EmbeddedCaptions:
    field1 = field2 = dtvcc = 0
    carried = False
    first = None
    for sample in scan.samples:
        for sei in sample.messages:
            kind = t35(sei.payload) if sei.payload_type == T35 else None
            if kind is None or kind.kind != "a53_cc":
                continue
            cc = cc_data(kind.body)
            carried = carried or cc.triplets > 0
            field1, field2, dtvcc = (
                field1 + cc.cea608_field1,
                field2 + cc.cea608_field2,
                (dtvcc + cc.cea708),
            )
            if first is None and (cc.cea608_field1 or cc.cea608_field2 or cc.cea708):
                first = round(sample.time, 6)
    return EmbeddedCaptions(
        cea608=bool(field1 or field2),
        cea708=bool(dtvcc),
        carried=carried,
        fields=[field for field, count in ((1, field1), (2, field2)) if count],
        first_seen=first,
        samples_scanned=len(scan.samples),
    )


def text_track(index: int, entry: str, handler: str | None, language: str | None) -> TextTrack:
    captions = entry in ("c608", "c708") or handler == "clcp"
    return TextTrack(
        index=index,
        kind="captions" if captions else "subtitles",
        codec=TEXT_CODECS.get(entry, entry.strip()),
        sample_entry=entry,
        language=language,
    )
