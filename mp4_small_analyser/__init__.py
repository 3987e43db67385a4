"""mp4-small-analyser: technical QC of MP4 files by path or URL."""

import os

# One BLAS thread per process: files are analysed in parallel by processes, and the
# meters' small matrix products slow down badly when BLAS threads fight for shared cores.
# Set before numpy is first imported; an explicit setting by the user wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

__version__ = "0.1.0"
