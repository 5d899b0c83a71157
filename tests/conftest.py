from __future__ import annotations

import json

import pytest
import requests

import targetsms_frames as tsf


@pytest.fixture
def sb():
    """A sandbox with a plain test account, fresh for each test."""
    with tsf.sandbox(seed=1) as sandbox:
        yield sandbox


def post(sb, payload: dict | None = None, *, raw: bytes | None = None, **credentials):
    """Post a document to the sandbox with raw requests; returns the decoded answer."""
    if raw is None:
        body = {"login": sb.login, "password": sb.password, **credentials, **(payload or {})}
        raw = json.dumps(body, ensure_ascii=False).encode()
    response = requests.post(sb.url, data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    return response.json()


def sms_block(*phones, text="Hello", **fields) -> dict:
    """A valid SMS-only block for the given (phone, client id) pairs."""
    return {
        "send_sms": "1",
        "sender_sms": "Shop",
        "text_sms": text,
        **fields,
        "phones": [{"phone": p, "client_id_message": c} for p, c in phones],
    }


def cascade_block(*phones, **fields) -> dict:
    """A valid Viber → SMS cascade block."""
    return {
        "send_viber": "1",
        "send_sms": "2",
        "sender_viber": "Shop",
        "text_viber": "Скидка 10%",
        "sender_sms": "Shop",
        "text_sms": "Скидка 10%",
        **fields,
        "phones": [{"phone": p, "client_id_message": c} for p, c in phones],
    }
