"""Audio facts from sample entries and their configuration boxes, as ffprobe names them.

- AudioSampleEntry fields (channelcount, samplerate 16.16): ISO/IEC 14496-12 §12.2.3;
  QuickTime sound description v1/v2.
- esds: ISO/IEC 14496-1 §7.2.6.5-7 (ES_Descriptor, DecoderConfigDescriptor with
  objectTypeIndication 0x40 AAC, 0x66-0x68 MPEG-2 AAC, 0x69/0x6B MPEG audio (mp3),
  0xA5 AC-3, 0xA6 E-AC-3, 0xAD Opus), DecoderSpecificInfo.
- AudioSpecificConfig: ISO/IEC 14496-3:2019 §1.6.2.1, explicit SBR/PS signalling
  (AOT 5/29, §1.6.5.2) and backward-compatible sync extensions 0x2B7/0x548 (§1.6.6).
- dOps: Encapsulation of Opus in ISO Base Media File Format v0.6.8 §4.3.2.
- dac3/dec3: ETSI TS 102 366 v1.4.1 Annex F.4/F.6 (AC3SpecificBox, EC3SpecificBox).
- alac: Apple ALAC magic cookie (ALACSpecificConfig, 24 bytes after version/flags).
- damr: 3GPP TS 26.244 §6.7 (AMRSpecificBox).

Implicit SBR (HE-AAC signalled only inside the audio frames) cannot be seen here:
ffprobe learns it by decoding. `AudioConfig.may_hide_sbr` marks the AAC-LC tracks
where that is possible (core rate ≤ 24 kHz), for which the probe should decode one
packet before trusting profile and sample rate.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mp4_small_analyser.analysis.container.boxes import Box, children, entry_children
from mp4_small_analyser.analysis.container.config.bits import BitError, BitReader
from mp4_small_analyser.analysis.container.config.names import AAC_PROFILES, layout_name

AAC_RATES = (
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
)  # fmt: skip
# AAC channelConfiguration → FFmpeg 5.1's layout (aacdectab.h; config 7 is "7.1" there)
# and channel count (ISO/IEC 14496-3 Table 1.19).
AAC_LAYOUTS = {
    1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 7: "7.1",
    11: "6.1(back)", 12: "7.1", 13: "22.2",
}  # fmt: skip
AAC_CHANNELS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24}
# AC-3 acmod → channels (ETSI TS 102 366 Table 4.3), FFmpeg's names.
AC3_ACMOD = {
    0: ("FL", "FR"), 1: ("FC",), 2: ("FL", "FR"), 3: ("FL", "FR", "FC"), 4: ("FL", "FR", "BC"),
    5: ("FL", "FR", "FC", "BC"), 6: ("FL", "FR", "SL", "SR"), 7: ("FL", "FR", "FC", "SL", "SR"),
}  # fmt: skip
AC3_BITRATES = (
    32,
    40,
    48,
    56,
    64,
    80,
    96,
    112,
    128,
    160,
    192,
    224,
    256,
    320,
    384,
    448,
    512,
    576,
    640,
)
AC3_RATES = {0: 48000, 1: 44100, 2: 32000}
# E-AC-3 chan_loc bits (TS 102 366 Table F.6.1) → channels FFmpeg adds.
EC3_CHAN_LOC = (
    ("FLC", "FRC"), ("BL", "BR"), ("BC",), ("TC",), ("SDL", "SDR"), ("WL", "WR"),
    ("TFL", "TFR"), ("TFC",), ("LFE2",),
)  # fmt: skip
# Opus channel mapping family 1 (Vorbis order) → FFmpeg layouts (opus.c).
OPUS_FAMILY1 = {
    1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1",
}  # fmt: skip
ALAC_LAYOUTS = {
    1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1(back)", 8: "7.1(wide)",
}  # fmt: skip
# Sample format each FFmpeg decoder outputs (what ffprobe prints as sample_fmt).
SAMPLE_FMT = {"aac": "fltp", "mp3": "fltp", "ac3": "fltp", "eac3": "fltp", "opus": "fltp",
              "amr_nb": "fltp", "amr_wb": "fltp", "mp2": "fltp"}  # fmt: skip


@dataclass(frozen=True)
class AudioConfig:
    codec: str
    """ffprobe codec_name."""
    profile: str | None
    sample_rate: int | None
    channels: int | None
    channel_layout: str | None
    """libavutil's name ("5.1(side)"), or "N channels (A+B)" for other native layouts."""
    sample_fmt: str | None
    bits_per_raw_sample: int | None
    bit_rate: int | None
    """Declared in the configuration (dac3 bit_rate_code, esds avgBitrate, alac avgBitRate)."""
    object_type: int | None = None
    """AAC audio object type of the core (2 = LC)."""
    sbr: bool | None = None
    ps: bool | None = None
    may_hide_sbr: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampleEntryAudio:
    channelcount: int
    samplesize: int
    samplerate: int


def sound_fields(entry: Box) -> SampleEntryAudio:
    p = entry.payload
    version = int.from_bytes(p[8:10], "big")
    channels, size = struct.unpack_from(">HH", p, 16)
    rate = struct.unpack_from(">I", p, 24)[0] >> 16
    if version == 2 and len(p) >= 64:
        rate = round(struct.unpack_from(">d", p, 32)[0])
        channels = struct.unpack_from(">I", p, 40)[0]
        size = struct.unpack_from(">I", p, 48)[0]
    return SampleEntryAudio(channels, size, rate)


def _descriptor(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, payload start, payload end) of an MPEG-4 descriptor (expandable size)."""
    tag = data[pos]
    size = 0
    pos += 1
    for _ in range(4):
        byte = data[pos]
        pos += 1
        size = (size << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return tag, pos, pos + size


@dataclass(frozen=True)
class Esds:
    object_type_indication: int
    avg_bitrate: int
    max_bitrate: int
    decoder_specific_info: bytes


def parse_esds(payload: bytes) -> Esds:
    """An esds FullBox payload (version/flags first)."""
    data = payload[4:]
    tag, start, _end = _descriptor(data, 0)
    if tag != 0x03:
        raise BitError(f"esds starts with descriptor tag {tag:#x}, not ES_Descriptor")
    flags = data[start + 2]
    pos = start + 3
    if flags & 0x80:
        pos += 2
    if flags & 0x40:
        pos += 1 + data[pos]
    if flags & 0x20:
        pos += 2
    tag, dstart, dend = _descriptor(data, pos)
    if tag != 0x04:
        raise BitError("no DecoderConfigDescriptor")
    oti = data[dstart]
    max_rate, avg_rate = struct.unpack_from(">II", data, dstart + 5)
    dsi = b""
    if dstart + 13 < dend:
        tag, sstart, send = _descriptor(data, dstart + 13)
        if tag == 0x05:
            dsi = data[sstart:send]
    return Esds(oti, avg_rate, max_rate, dsi)


def _aot(r: BitReader) -> int:
    aot = r.u(5)
    return 32 + r.u(6) if aot == 31 else aot


def _rate(r: BitReader) -> int:
    index = r.u(4)
    return r.u(24) if index == 0xF else (AAC_RATES[index] if index < len(AAC_RATES) else 0)


def _pce_layout(r: BitReader) -> tuple[str, ...]:
    """Channels of a program_config_element (§4.4.1.1, Table 4.2) when channelConfiguration
    is 0, named the way FFmpeg's decoder assigns them: front elements centre first then
    pairs, side pairs, back pairs then a back centre, LFE last."""
    r.skip(4 + 2 + 4)  # element_instance_tag, object_type, sampling_frequency_index
    front, side, back, lfe, _assoc, _cc = r.u(4), r.u(4), r.u(4), r.u(2), r.u(3), r.u(4)
    for bits in (4, 4, 3):  # mono, stereo mixdown elements, matrix mixdown idx + pseudo surround
        if r.flag():
            r.skip(bits)
    groups = []
    for count in (front, side, back):
        elements = []
        for _ in range(count):
            elements.append(r.flag())  # is_cpe
            r.skip(4)
        groups.append(elements)
    names: list[str] = []
    front_pairs = [("FL", "FR"), ("FLC", "FRC"), ("WL", "WR")]
    for is_cpe in groups[0]:
        names.extend(front_pairs.pop(0) if is_cpe and front_pairs else ("FC",))
    for is_cpe in groups[1]:
        names.extend(("SL", "SR") if is_cpe else ("BC",))
    for is_cpe in groups[2]:
        names.extend(("BL", "BR") if is_cpe else ("BC",))
    names.extend(("LFE",) * min(lfe, 1))
    return tuple(names)


def parse_asc(dsi: bytes) -> AudioConfig:
    r = BitReader(dsi)
    aot = _aot(r)
    rate = _rate(r)
    config = r.u(4)
    sbr = ps = False
    ext_rate = 0
    if aot in (5, 29):
        sbr, ps = True, aot == 29
        ext_rate = _rate(r)
        aot = _aot(r)
    channels = AAC_CHANNELS.get(config, 0)
    layout = AAC_LAYOUTS.get(config)
    if aot in (1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23):
        r.skip(1)  # frameLengthFlag
        if r.flag():  # dependsOnCoreCoder
            r.skip(14)
        extension = r.flag()
        if config == 0:
            try:
                pce = _pce_layout(r)
                channels, layout = len(pce), layout_name(pce)
            except BitError:
                channels = 0
        if aot in (6, 20):
            r.skip(3)
        if extension and aot == 22:
            r.skip(16)
        elif extension and aot in (17, 19, 20, 23):
            r.skip(3)
        if extension:
            r.skip(1)
    if not sbr:
        sbr, ps, ext_rate = _sync_extension(r)
    # FFmpeg names the profile HE-AAC(v2) once it meets SBR (PS) data; files that signal
    # it here carry that data (a file that signals SBR without any would read "LC").
    profile = "HE-AACv2" if ps else "HE-AAC" if sbr else AAC_PROFILES.get(aot)
    if ps and channels == 1:
        channels, layout = 2, "stereo"  # the decoder outputs the PS stereo image
    out_rate = ext_rate or (2 * rate if sbr and rate <= 24000 else rate)
    return AudioConfig(
        codec="aac",
        profile=profile,
        sample_rate=out_rate,
        channels=channels or None,
        channel_layout=layout,
        sample_fmt="fltp",
        bits_per_raw_sample=None,
        bit_rate=None,
        object_type=aot,
        sbr=sbr,
        ps=ps,
        may_hide_sbr=not sbr and aot == 2 and rate <= 24000,
    )


def _sync_extension(r: BitReader) -> tuple[bool, bool, int]:
    """Backward-compatible SBR/PS signalling after the GASpecificConfig (§1.6.6)."""
    sbr = ps = False
    ext_rate = 0
    try:
        if r.remaining >= 16 and r.u(11) == 0x2B7 and _aot(r) == 5:
            sbr = r.flag()
            if sbr:
                ext_rate = _rate(r)
                if r.remaining >= 12 and r.u(11) == 0x548:
                    ps = r.flag()
    except BitError:
        pass
    return sbr, ps, ext_rate


def parse_dops(payload: bytes) -> AudioConfig:
    channels = payload[1]
    family = payload[10] if len(payload) > 10 else 0
    if family == 0:
        layout = {1: "mono", 2: "stereo"}.get(channels)
    elif family == 1:
        layout = OPUS_FAMILY1.get(channels)
    else:
        layout = None
    return AudioConfig("opus", None, 48000, channels, layout, "fltp", None, None)


def parse_dac3(payload: bytes) -> AudioConfig:
    r = BitReader(payload)
    fscod, _bsid, _bsmod, acmod, lfe, rate_code = r.u(2), r.u(5), r.u(3), r.u(3), r.u(1), r.u(5)
    names = AC3_ACMOD[acmod] + (("LFE",) if lfe else ())
    rate = AC3_BITRATES[rate_code] * 1000 if rate_code < len(AC3_BITRATES) else None
    return AudioConfig(
        "ac3", None, AC3_RATES.get(fscod), len(names), layout_name(names), "fltp", None, rate
    )


def parse_dec3(payload: bytes) -> AudioConfig:
    r = BitReader(payload)
    data_rate = r.u(13)
    substreams = r.u(3) + 1
    fscod = r.u(2)
    r.skip(5 + 1 + 1 + 3)  # bsid, reserved, asvc, bsmod
    acmod, lfe = r.u(3), r.u(1)
    r.skip(3)
    dependent = r.u(4)
    names = list(AC3_ACMOD[acmod] + (("LFE",) if lfe else ()))
    if dependent:
        loc = r.u(9)
        for bit, extra in enumerate(EC3_CHAN_LOC):
            if loc & (1 << (8 - bit)):
                names.extend(extra)
    # FFmpeg's decoder names the 7.1 back pair BL/BR next to SL/SR.
    problems = (
        (f"{substreams} independent substreams; only the first is described",)
        if substreams > 1
        else ()
    )
    return AudioConfig(
        "eac3", None, AC3_RATES.get(fscod), len(names), layout_name(tuple(names)), "fltp", None,
        data_rate * 1000, problems=problems,
    )  # fmt: skip


def parse_alac(payload: bytes) -> AudioConfig:
    """The `alac` box inside the sample entry (FullBox: version/flags, then the cookie)."""
    cookie = payload[4:]
    _frame, _compat, depth, _pb, _mb, _kb, channels = struct.unpack_from(">IBBBBBB", cookie, 0)
    avg_rate, rate = struct.unpack_from(">II", cookie, 16)
    return AudioConfig(
        "alac", None, rate, channels, ALAC_LAYOUTS.get(channels),
        "s16p" if depth == 16 else "s32p", depth, avg_rate or None,
    )  # fmt: skip


def from_sample_entry(entry: Box) -> AudioConfig:
    """Facts of one audio sample entry; BitError when a configuration box is malformed."""
    fields = sound_fields(entry)
    kids = {c.type: c for c in entry_children(entry, "soun")}
    wave = kids.get("wave")
    if wave is not None:  # QuickTime keeps esds inside 'wave'
        kids.update({c.type: c for c in children(wave)})
    kind = entry.type
    if kind in ("mp4a", "enca") and "esds" in kids:
        esds = parse_esds(kids["esds"].payload)
        return _from_esds(esds, fields)
    if kind == "Opus" and "dOps" in kids:
        return parse_dops(kids["dOps"].payload)
    if kind == "ac-3" and "dac3" in kids:
        return parse_dac3(kids["dac3"].payload)
    if kind == "ec-3" and "dec3" in kids:
        return parse_dec3(kids["dec3"].payload)
    if kind == "alac" and "alac" in kids:
        return parse_alac(kids["alac"].payload)
    if kind in ("samr", "sawb"):
        rate = 8000 if kind == "samr" else 16000
        codec = "amr_nb" if kind == "samr" else "amr_wb"
        # FFmpeg 5.1's native AMR decoders output planar float.
        return AudioConfig(codec, None, rate, 1, "mono", "fltp", None, None)
    if kind == ".mp3":
        return _mpeg_audio(fields, "mp3")
    if kind == "fLaC" and "dfLa" in kids:
        return parse_dfla(kids["dfLa"].payload)
    return AudioConfig(kind.strip(), None, fields.samplerate or None, fields.channelcount or None,
                       None, None, None, None, problems=(f"no parser for {kind!r}",))  # fmt: skip


FLAC_LAYOUTS = {
    1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1",
}  # fmt: skip


def parse_dfla(payload: bytes) -> AudioConfig:
    """dfLa (FLAC in ISOBMFF §3.3.2): FullBox, then FLAC metadata blocks, STREAMINFO first."""
    r = BitReader(payload, 4 + 4)  # version/flags, metadata block header
    r.skip(16 + 16 + 24 + 24)
    rate, channels, depth = r.u(20), r.u(3) + 1, r.u(5) + 1
    return AudioConfig("flac", None, rate, channels, FLAC_LAYOUTS.get(channels),
                       "s16" if depth <= 16 else "s32", depth, None)  # fmt: skip


def _mpeg_audio(fields: SampleEntryAudio, codec: str) -> AudioConfig:
    layout = {1: "mono", 2: "stereo"}.get(fields.channelcount)
    return AudioConfig(
        codec, None, fields.samplerate, fields.channelcount, layout, "fltp", None, None
    )


def _from_esds(esds: Esds, fields: SampleEntryAudio) -> AudioConfig:
    oti = esds.object_type_indication
    rate = esds.avg_bitrate or None
    if oti in (0x40, 0x66, 0x67, 0x68) and esds.decoder_specific_info:
        config = parse_asc(esds.decoder_specific_info)
        if oti == 0x67:
            config = _replace(config, profile="LC")
        if not config.channels:
            config = _replace(config, channels=fields.channelcount)
        return _replace(config, bit_rate=rate)
    if oti in (0x69, 0x6B):
        return _replace(_mpeg_audio(fields, "mp3"), bit_rate=rate)
    if oti == 0xA5:
        return AudioConfig(
            "ac3", None, fields.samplerate, fields.channelcount, None, "fltp", None, rate
        )
    if oti == 0xA6:
        return AudioConfig(
            "eac3", None, fields.samplerate, fields.channelcount, None, "fltp", None, rate
        )
    problem = f"objectTypeIndication {oti:#x} unknown"
    return AudioConfig(f"oti_{oti:#x}", None, fields.samplerate, fields.channelcount, None, None,
                       None, rate, problems=(problem,))  # fmt: skip


def _replace(config: AudioConfig, **changes: object) -> AudioConfig:
    from dataclasses import replace

    return replace(config, **changes)  # type: ignore[arg-type]
