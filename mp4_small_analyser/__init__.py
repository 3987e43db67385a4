"""mp4-small-analyser: technical QC of MP4 files by path or URL."""

__version__ = "0.1.0"
