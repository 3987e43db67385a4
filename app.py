#!/usr/bin/env python3
"""CDK entry point: reads `.env` (written by ./setup-config.sh) and defines both stacks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from aws_cdk import App

from mp4_small_analyser_cdk.config import ConfigError, load_config
from mp4_small_analyser_cdk.deployment import build_deployment

# MP4_ANALYSER_ENV_FILE lets CI (and the tests) synthesise from another file, e.g. .env.example.
ENV_FILE = Path(os.environ.get("MP4_ANALYSER_ENV_FILE") or Path(__file__).parent / ".env")


def main() -> None:
    try:
        config = load_config(ENV_FILE, os.environ)
    except ConfigError as error:
        sys.exit(f"Error: {error}")
    app = App()
    build_deployment(app, config)
    app.synth()


if __name__ == "__main__":
    main()
