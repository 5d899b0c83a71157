"""Send baselines, from the same plan frame ``tsf.send`` takes.

- :func:`batched_send`, the competent loop: 1,000 phones per POST, one
  ``requests.Session``, one thread; per document a block dict per row, ``json.dumps``,
  post, decode the answer, count the accepted phones.
- :func:`per_row_send`, the second, labelled reference: one ``requests.post`` per
  recipient, as people commonly write it first. Run on a small sample only.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import requests
from baseline_pandas import FIELDS  # the message fields a user posts, listed once

HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def _rows(plan: pd.DataFrame):
    ok = plan["problem"].isna().to_numpy()
    columns = [plan[f].to_numpy(dtype=object)[ok] for f in (*FIELDS, "phone", "client_id_message")]
    return list(zip(*columns, strict=True))


def _block(values) -> dict:
    *fields, phone, client_id = values
    block = {f: v for f, v in zip(FIELDS, fields, strict=True) if isinstance(v, str) and v}
    for channel in ("send_viber", "send_sms"):
        if block.get(channel) == "0":
            del block[channel]
    block["phones"] = [{"phone": phone, "client_id_message": client_id}]
    return block


def _accepted(answer: dict) -> int:
    return sum(
        1
        for item in answer.get("message", [])
        if isinstance(item, list)
        for result in item
        if "id_message" in result
    )


def batched_send(
    plan: pd.DataFrame, url: str, login: str, password: str, size: int = 1000
) -> tuple[int, float]:
    """Post the plan's sendable rows ``size`` at a time; returns (accepted, seconds)."""
    session = requests.Session()
    accepted = 0
    started = time.perf_counter()
    rows = _rows(plan)
    for start in range(0, len(rows), size):
        blocks = [_block(values) for values in rows[start : start + size]]
        body = json.dumps({"login": login, "password": password, "message": blocks})
        reply = session.post(url, data=body.encode(), headers=HEADERS, timeout=120)
        accepted += _accepted(reply.json())
    return accepted, time.perf_counter() - started


def per_row_send(plan: pd.DataFrame, url: str, login: str, password: str) -> tuple[int, float]:
    """One ``requests.post`` per sendable row; returns (accepted, seconds)."""
    accepted = 0
    started = time.perf_counter()
    for values in _rows(plan):
        document = {"login": login, "password": password, "message": [_block(values)]}
        accepted += _accepted(requests.post(url, json=document, timeout=120).json())
    return accepted, time.perf_counter() - started


def sample(plan: pd.DataFrame, n: int) -> pd.DataFrame:
    """Every k-th row of a plan, about ``n`` of them (a spread, not just the head)."""
    step = max(1, len(plan) // max(n, 1))
    return plan.iloc[np.arange(0, len(plan), step)[:n]]
