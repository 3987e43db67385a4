"""Built-in check on how the pictures were looked at: measures the sampling was too sparse
for, left null rather than guessed (docs/quality.md, "Depth: what is decoded")."""

from __future__ import annotations

from collections.abc import Iterator

from mp4_small_analyser.models import Results

from .finding import Finding


def sparse_sampling(results: Results) -> Iterator[Finding]:
    video = results.video_analysis
    sampling = video.sampling if video is not None else None
    if sampling is None:
        return
    reasons: dict[str, list[str]] = {}
    for item in sampling.unmeasured:
        if item.cause == "sparse":
            reasons.setdefault(item.reason, []).append(item.measure)
    if not reasons:
        return
    listed = "; ".join(f"{', '.join(names)} {reason}" for reason, names in reasons.items())
    yield Finding(
        "SPARSE_SAMPLING",
        None,
        "info",
        f"The {sampling.depth} analysis looked at pictures up to {sampling.max_gap:.2f} s apart, "
        f"too sparse for some measures, which are left null rather than guessed: {listed}.",
        value=sampling.max_gap,
    )
