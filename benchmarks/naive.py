"""The naive baseline, written as people commonly write it: one message per recipient,
built in a per-row loop and posted on its own with requests."""

from __future__ import annotations

import time

import pandas as pd
import requests


def naive_send(
    recipients: pd.DataFrame, templates: pd.DataFrame, url: str, login: str, password: str
) -> tuple[int, float]:
    """Send row by row; returns (accepted, seconds)."""
    by_name = {row["template"]: row for _, row in templates.iterrows()}
    accepted = 0
    started = time.perf_counter()
    for i, row in recipients.iterrows():
        template = by_name[row["template"]]
        phone = "".join(ch for ch in str(row["phone"]) if ch.isdigit())
        if phone.startswith("8") and len(phone) == 11:
            phone = "7" + phone[1:]
        message = {k: str(v) for k, v in template.items() if k != "template" and pd.notna(v)}
        for field in ("text_viber", "text_sms"):
            if field in message:
                message[field] = message[field].format(**row.to_dict())
        message["phones"] = [{"phone": phone, "client_id_message": str(900_000_000 + i)}]
        answer = requests.post(
            url, json={"login": login, "password": password, "message": [message]}
        )
        if "id_message" in answer.json()["message"][0][0]:
            accepted += 1
    return accepted, time.perf_counter() - started
