"""The documents in flight by default: one number for every face, within the pool."""

from __future__ import annotations

import inspect

import targetsms_frames as tsf
from targetsms_frames.cli import build_parser
from targetsms_frames.client import DEFAULT_WORKERS


def _default(function, name: str):
    return inspect.signature(function).parameters[name].default


def test_send_send_chunks_send_file_and_the_cli_share_the_default():
    cli = build_parser().parse_args(["send", "people.csv", "--campaign", "c"])
    defaults = {
        _default(tsf.send, "workers"),
        _default(tsf.send_chunks, "workers"),
        _default(tsf.send_file, "workers"),
        cli.workers,
    }
    assert defaults == {DEFAULT_WORKERS}
    # Enough documents in flight to hide a distant provider's latency.
    assert DEFAULT_WORKERS >= 8


def test_every_default_worker_gets_a_pooled_connection():
    # More workers than pooled connections would open and drop a connection per post.
    assert _default(tsf.Client, "pool_size") >= DEFAULT_WORKERS
