"""Hugging Face libraries, set up the one way Vega uses them: offline and quiet.

Called before the first model load by every module that loads one (the embedder,
the `transformers` backend, training and export). Importing this module imports
nothing heavy; transformers is imported inside the function.
"""

from __future__ import annotations

import os


def quiet_huggingface() -> None:
    # Never reach for the Hub: every model Vega loads is a local folder.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    # Loading bars and library advice would land in CLI output and server logs.
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # untyped upstream
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
