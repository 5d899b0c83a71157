"""The demo campaign against the built-in sandbox (``targetsms-frames demo``)."""

from __future__ import annotations

from .sandbox import sandbox


def run_demo(*, output: str, recipients: int = 1000, seed: int = 7) -> int:
    """Send a small cascade through the sandbox and print what happened."""
    blocks = [
        {
            "send_viber": "1",
            "send_sms": "2",
            "name_delivery": "demo",
            "sender_viber": "Shop",
            "text_viber": "Скидка 10% для вас",
            "sender_sms": "Shop",
            "text_sms": "Скидка 10% для вас",
            "phones": [
                {"phone": str(79800000000 + i), "client_id_message": str(i + 1)}
                for i in range(recipients)
            ],
        }
    ]
    with sandbox(seed=seed, speed=3600.0) as sb:
        client = sb.client()
        rows = client.send_document(blocks)
        accepted = [r["id_message"] for r in rows if r["outcome"] == "accepted"]
        sb.advance(hours=3)
        states = client.fetch_state(accepted)
        ledger = sb.ledger
    delivered = sum(s["state"] == "deliver" for s in states)
    print(
        f"sandbox self-check: {len(accepted)}/{len(rows)} accepted, {delivered} delivered, "
        f"charged {ledger.total_charged} RUB"
    )
    return 0
