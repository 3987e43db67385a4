import sys

from mp4_small_analyser.cli import main

sys.exit(main())
