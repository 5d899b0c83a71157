"""plan() allocates Arrow buffers from the system pool, and leaves the default as it was."""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow as pa

import targetsms_frames as tsf
from targetsms_frames import arrow_pool
from targetsms_frames.arrow_pool import system_pool

TEMPLATES = pd.DataFrame(
    {
        "template": ["promo"],
        "send_sms": ["1"],
        "sender_sms": ["Shop"],
        "text_sms": ["{name}, -10% today"],
    }
)


def _people(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "phone": [f"8980{i:07d}" for i in range(n)],
            "name": [f"Anna {i % 7}" for i in range(n)],
            "template": "promo",
        }
    )


def test_plan_restores_the_default_pool():
    before = pa.default_memory_pool()
    tsf.plan(_people(5), TEMPLATES, campaign="pool")
    assert pa.default_memory_pool().backend_name == before.backend_name


def test_plan_is_the_same_in_either_pool(monkeypatch):
    people = _people(300)
    switched = tsf.plan(people, TEMPLATES, campaign="pool")
    monkeypatch.setattr(arrow_pool, "_switchable", lambda: False)  # the default pool
    kept = tsf.plan(people, TEMPLATES, campaign="pool")
    pd.testing.assert_frame_equal(switched, kept)


def test_a_pool_the_user_set_is_kept():
    previous = pa.default_memory_pool()
    mine = pa.system_memory_pool()
    pa.set_memory_pool(mine)
    try:
        with system_pool():
            assert pa.default_memory_pool().backend_name == mine.backend_name
        assert pa.default_memory_pool().backend_name == mine.backend_name
    finally:
        pa.set_memory_pool(previous)


def test_nested_and_concurrent_uses_restore_once():
    before = pa.default_memory_pool().backend_name
    barrier = threading.Barrier(4)

    def work():
        with system_pool():
            barrier.wait()
            with system_pool():
                pa.array(["x"] * 10)
            barrier.wait()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert arrow_pool._depth == 0
    assert pa.default_memory_pool().backend_name == before
