"""The sandbox behaves like the provider's document says, over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
import requests
from conftest import cascade_block, post, sms_block

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.sandbox import provider as P

# The current document's answer shapes (smsgate/CascadingDoc): every channel's keys.
RESULT_KEYS = {
    "id_message",
    "client_id_message",
    "phone",
    "count_message",
    "id_viber",
    "id_whatsapp",
    "id_sms",
    "id_vk",
}
STATE_KEYS = {
    "id_message",
    "time_change_state",
    "state",
    "state_sms",
    "state_viber",
    "state_whatsapp",
    "state_vk",
    "num_parts_sms",
    "price_sms",
    "price_viber",
    "price_whatsapp",
    "price_vk",
}


def example_send_document() -> dict:
    """The provider document's example send document, with its placeholders filled in."""
    return {
        "message": [
            {
                "send_viber": "1",
                "send_sms": "2",
                "name_delivery": "НАЗВАНИЕ_РАССЫЛКИ",
                "time_send": "",
                "sender_viber": "SENDER",
                "text_viber": "ТЕКСТ_ВАЙБЕР",
                "button_text": "ТЕКСТ_КНОПКИ",
                "button_url": "https://example.org/",
                "image_url": "https://example.org/i.png",
                "validity_period_viber": "60",
                "finale_viber_read": "1",
                "sender_sms": "SENDER",
                "text_sms": "ТЕКСТ_СМС",
                "phones": [
                    {"phone": "79801234567", "client_id_message": "111"},
                    {"phone": "79800000001", "client_id_message": "112"},
                ],
            },
            {
                "send_viber": "1",
                "name_delivery": "НАЗВАНИЕ_РАССЫЛКИ_2",
                "sender_viber": "SENDER_2",
                "text_viber": "ТЕКСТ_ВАЙБЕР_2",
                "phones": [{"phone": "79800000002", "client_id_message": "113"}],
            },
            {
                "name_delivery": "НАЗВАНИЕ_РАССЫЛКИ_3",
                "sender_viber": "SENDER_3",
                "text_viber": "ТЕКСТ_ВАЙБЕР_3",
                "phones": [{"phone": "79800000003"}],
            },
        ]
    }


def all_strings(value) -> bool:
    if isinstance(value, dict):
        return all(all_strings(v) for v in value.values())
    if isinstance(value, list):
        return all(all_strings(v) for v in value)
    return isinstance(value, str)


def test_provider_example_send_document_gets_the_documented_answer_shape():
    # The documented answer: block 1 a result and a per-phone error, block 2 a result,
    # block 3 an error for the whole block (it names no channel: send_* default to 0).
    with tsf.sandbox(stop_list=["79800000001"]) as sb:
        answer = post(sb, example_send_document())
    assert set(answer) == {"message"}
    first, second, third = answer["message"]
    assert all_strings(answer)
    assert set(first[0]) == RESULT_KEYS
    assert first[0]["client_id_message"] == "111" and first[0]["id_message"].isdigit()
    assert first[0]["count_message"] == "1"  # Viber first: one part
    assert first[0]["id_viber"] != "0" and first[0]["id_sms"] != "0"
    assert set(first[1]) == {"client_id_message", "phone", "error"}
    assert first[1]["error"] == F.ERR_STOP_LIST
    assert set(second[0]) == RESULT_KEYS
    assert second[0]["id_sms"] == "0"  # SMS not used in this block
    assert third == {"error": P.ERR_NO_CHANNEL}


def test_third_block_with_a_channel_is_accepted_without_client_id(sb):
    block = example_send_document()["message"][2] | {"send_viber": "1"}
    (item,) = post(sb, {"message": [block]})["message"]
    assert item[0]["client_id_message"] == "" and item[0]["id_message"].isdigit()


def test_provider_example_state_document(sb):
    sent = post(sb, {"message": [sms_block(("79801234567", "111"), ("79800000001", "112"))]})
    ids = [r["id_message"] for r in sent["message"][0]]
    answer = post(sb, {"state": [{"id_message": ids[0]}, {"id_message": ids[1]}]})
    assert set(answer) == {"state"} and len(answer["state"]) == 2
    for row, id_message in zip(answer["state"], ids, strict=True):
        assert set(row) == STATE_KEYS and all_strings(row)
        assert row["id_message"] == id_message
        assert row["state"] == "send"  # an SMS takes 15 sandbox seconds to deliver
        assert row["price_sms"] == "2.50" and row["num_parts_sms"] == "1"
        assert len(row["time_change_state"]) == len("2017-11-23 13:15:25")


def test_unknown_id_gets_an_error_state_and_empty_time(sb):
    (row,) = post(sb, {"state": [{"id_message": "111"}]})["state"]
    assert row["state"] == F.ERR_UNKNOWN_ID and row["time_change_state"] == ""


def test_state_of_another_accounts_message_is_unknown(sb):
    sb.provider.add_account("other", "pw-other")
    sent = post(
        sb, {"message": [sms_block(("79801234567", "1"))]}, login="other", password="pw-other"
    )
    id_message = sent["message"][0][0]["id_message"]
    (row,) = post(sb, {"state": [{"id_message": id_message}]})["state"]
    assert row["state"] == F.ERR_UNKNOWN_ID


# -- whole-document errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"", F.ERR_NO_POST),
        (b"   ", F.ERR_NO_POST),
        (b"{not json", F.ERR_BAD_JSON),
        (b"[1, 2]", F.ERR_BAD_JSON),
        (b'{"login": "x"', F.ERR_BAD_JSON),
        (b"\xff\xfe", F.ERR_BAD_JSON),
    ],
)
def test_malformed_documents(sb, raw, text):
    assert post(sb, raw=raw) == {"error": text}


def test_wrong_login_or_password(sb):
    assert post(sb, {"message": []}, password="wrong") == {"error": F.ERR_BAD_LOGIN}
    assert post(sb, {"message": []}, login="nobody") == {"error": F.ERR_BAD_LOGIN}
    assert post(sb, {"message": []}, password=123) == {"error": F.ERR_BAD_LOGIN}


def test_blocked_account(sb):
    sb.block_account()
    assert post(sb, {"message": [sms_block(("79801234567", "1"))]}) == {"error": F.ERR_BLOCKED}
    assert sb.ledger.accepted == {}


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        ({}, P.ERR_NO_REQUEST),
        ({"message": "hello"}, F.ERR_BAD_JSON),
        ({"message": []}, P.ERR_NO_MESSAGES),
        ({"state": {"id_message": "1"}}, F.ERR_BAD_JSON),
        ({"state": []}, F.ERR_BAD_JSON),
    ],
)
def test_document_level_errors(sb, payload, text):
    assert post(sb, payload) == {"error": text}


def test_get_and_wrong_path():
    with tsf.sandbox() as sb:
        assert requests.get(sb.url).json() == {"error": F.ERR_NO_POST}
        assert requests.post(sb.url.replace(".php", ".asp"), data=b"{}").status_code == 404


# -- block rules ---------------------------------------------------------------------------


def viber_block(**fields) -> dict:
    block = {
        "send_viber": "1",
        "sender_viber": "Shop",
        "text_viber": "Hi",
        "phones": [{"phone": "79801234567", "client_id_message": "1"}],
    }
    block.update(fields)
    return {k: v for k, v in block.items() if v is not None}


@pytest.mark.parametrize(
    ("block", "text"),
    [
        ("not a block", P.ERR_BAD_BLOCK),
        (viber_block(send_viber=1, text_viber=1), P.err_type("text_viber")),
        (viber_block(text_viber=["Hi"]), P.err_type("text_viber")),
        (viber_block(send_viber="10"), P.err_order("send_viber")),
        (viber_block(send_sms="-1"), P.err_order("send_sms")),
        (viber_block(send_viber="0"), P.ERR_NO_CHANNEL),
        (viber_block(text_viber=""), P.ERR_NO_TEXT_VIBER),
        (viber_block(text_viber="x" * 1001), P.ERR_LONG_TEXT_VIBER),
        (viber_block(sender_viber=None), P.ERR_NO_SENDER_VIBER),
        (viber_block(button_text="x" * 20, button_url="https://a"), P.ERR_LONG_BUTTON),
        (viber_block(button_text="Go"), P.ERR_BUTTON_NO_URL),
        (viber_block(button_url="https://a"), P.ERR_BUTTON_NO_TEXT),
        (viber_block(image_url="https://a/i.png"), P.ERR_IMAGE_NO_BUTTON),
        (viber_block(validity_period_viber="0"), P.ERR_VALIDITY),
        (viber_block(validity_period_viber="1.5"), P.ERR_VALIDITY),
        (viber_block(finale_viber_read="2"), P.ERR_FINALE),
        (viber_block(send_sms="2"), P.ERR_NO_TEXT_SMS),
        (viber_block(send_sms="2", text_sms="Hi"), F.ERR_NO_SENDER),
        (viber_block(send_sms="2", text_sms="Hi", sender_sms="TwelveLetter"), P.ERR_SENDER_SMS),
        (viber_block(send_sms="2", text_sms="Hi", sender_sms="1" * 16), P.ERR_SENDER_SMS),
        (viber_block(send_sms="2", text_sms="Hi", sender_sms="Магазин"), P.ERR_SENDER_SMS),
        (viber_block(time_send="2030-01-01"), P.ERR_TIME_SEND),
        (viber_block(time_send="2030-02-30 10:00"), P.ERR_TIME_SEND),
        (viber_block(phones=[]), P.ERR_NO_PHONES),
        (viber_block(phones="79801234567"), P.ERR_NO_PHONES),
    ],
)
def test_block_rules(sb, block, text):
    (item,) = post(sb, {"message": [block]})["message"]
    assert item == {"error": text}
    assert sb.ledger.accepted == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"button_text": "x" * 19, "button_url": "https://a", "image_url": "https://a/i.png"},
        {"text_viber": "x" * 1000, "validity_period_viber": "1440", "finale_viber_read": "0"},
        {"send_sms": "2", "text_sms": "Hi", "sender_sms": "ElevenChars"},
        {"send_sms": "2", "text_sms": "Hi", "sender_sms": "1" * 15},
        {"time_send": "2030-01-01 10:00"},
    ],
)
def test_values_at_the_limits_are_accepted(sb, fields):
    (item,) = post(sb, {"message": [viber_block(**fields)]})["message"]
    assert isinstance(item, list) and item[0]["id_message"].isdigit()


def test_a_bad_block_does_not_stop_the_others(sb):
    answer = post(sb, {"message": [viber_block(text_viber=""), sms_block(("79801234567", "2"))]})
    assert answer["message"][0] == {"error": P.ERR_NO_TEXT_VIBER}
    assert answer["message"][1][0]["id_message"].isdigit()


# -- phone rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({"phone": "+79801234567", "client_id_message": "1"}, P.ERR_BAD_PHONE),
        ({"phone": "8 980 123 45 67", "client_id_message": "1"}, P.ERR_BAD_PHONE),
        ({"phone": "1234567", "client_id_message": "1"}, P.ERR_BAD_PHONE),
        ({"phone": "7" * 16, "client_id_message": "1"}, P.ERR_BAD_PHONE),
        ({"phone": 79801234567, "client_id_message": "1"}, P.ERR_BAD_PHONE),
        ({"phone": "79801234567", "client_id_message": "abc"}, P.ERR_BAD_CLIENT_ID),
        ({"phone": "79801234567", "client_id_message": "-5"}, P.ERR_BAD_CLIENT_ID),
        ("79801234567", P.ERR_BAD_PHONE),
    ],
)
def test_phone_rules(sb, entry, text):
    block = sms_block() | {"phones": [entry, {"phone": "380442589632", "client_id_message": "9"}]}
    bad, good = post(sb, {"message": [block]})["message"][0]
    assert bad["error"] == text and "id_message" not in bad
    assert good["id_message"].isdigit() and good["phone"] == "380442589632"


# -- duplicate ids and money ---------------------------------------------------------------


def test_a_repeated_client_id_returns_the_earlier_message_and_is_not_charged(sb):
    first = post(sb, {"message": [sms_block(("79801234567", "42"))]})["message"][0][0]
    again = post(sb, {"message": [sms_block(("79801234567", "42"), text="Other text")]})
    assert again["message"][0][0] == first
    ledger = sb.ledger
    assert ledger.accepted["42"] == 1 and ledger.submitted["42"] == 2
    assert ledger.total_charged == Decimal("2.50") and len(ledger.charges) == 1


def test_a_repeated_client_id_within_one_document(sb):
    block = sms_block(("79801234567", "42"), ("79801234567", "42"))
    one, two = post(sb, {"message": [block]})["message"][0]
    assert one == two
    assert sb.ledger.accepted["42"] == 1


def test_duplicate_answer_as_error_text():
    with tsf.sandbox(duplicate_answer="error") as sb:
        post(sb, {"message": [sms_block(("79801234567", "42"))]})
        again = post(sb, {"message": [sms_block(("79801234567", "42"))]})["message"][0][0]
        assert again == {
            "client_id_message": "42",
            "phone": "79801234567",
            "error": F.ERR_ALREADY_SENT,
        }
        assert sb.ledger.accepted["42"] == 1


def test_balance_runs_out_per_phone():
    with tsf.sandbox(balance="5.00", tariffs={"sms": "2.50"}) as sb:
        block = sms_block(*[(f"7980123456{i}", str(i)) for i in range(3)])
        results = post(sb, {"message": [block]})["message"][0]
        assert [r.get("error") for r in results] == [None, None, F.ERR_HELD]
        ledger = sb.ledger
        assert ledger.balance == Decimal("0.00") and ledger.total_charged == Decimal("5.00")


def test_count_message_counts_parts_of_the_first_channel(sb):
    long_cyrillic = "Ы" * 71  # two UCS-2 parts
    blocks = [
        sms_block(("79801234567", "1"), text="a" * 161),
        sms_block(("79801234568", "2"), text=long_cyrillic),
        cascade_block(("79801234569", "3"), text_sms=long_cyrillic),
        cascade_block(("79801234570", "4"), send_viber="2", send_sms="1", text_sms=long_cyrillic),
    ]
    answer = post(sb, {"message": blocks})["message"]
    assert [item[0]["count_message"] for item in answer] == ["2", "2", "1", "2"]
    charges = {c.client_id_message: c.amount for c in sb.ledger.charges}
    assert charges == {
        "1": Decimal("5.00"),
        "2": Decimal("5.00"),
        "3": Decimal("1.20"),
        "4": Decimal("5.00"),
    }


# -- delivery over time --------------------------------------------------------------------


def states(sb, ids):
    return {
        r["id_message"]: r for r in post(sb, {"state": [{"id_message": i} for i in ids]})["state"]
    }


def sent_ids(answer):
    return [r["id_message"] for item in answer["message"] for r in item]


def test_cascade_viber_fails_then_sms_delivers_with_both_prices():
    rates = {"viber": {"deliver": 0.0, "expired": 0.0}, "sms": {"deliver": 1.0}}
    with tsf.sandbox(rates=rates, tariffs={"viber": "1.20", "sms": "2.50"}) as sb:
        answer = post(sb, {"message": [cascade_block(("79801234567", "1"), text_sms="Ы" * 100)]})
        (id_message,) = sent_ids(answer)
        row = states(sb, [id_message])[id_message]
        assert (row["state"], row["state_viber"], row["state_sms"]) == ("send", "send", "send")
        assert row["price_viber"] == "1.20" and row["price_sms"] == "0.00"
        sb.advance(seconds=P.VIBER_FAIL_S)  # Viber fails, SMS starts
        row = states(sb, [id_message])[id_message]
        assert (row["state"], row["state_viber"], row["state_sms"]) == (
            "send",
            "not_deliver",
            "send",
        )
        assert row["price_sms"] == "5.00"  # two UCS-2 parts, charged when the SMS went out
        sb.advance(seconds=P.SMS_DELIVER_S)
        row = states(sb, [id_message])[id_message]
        assert (row["state"], row["state_viber"], row["state_sms"]) == (
            "deliver",
            "not_deliver",
            "deliver",
        )
        assert (row["price_viber"], row["price_sms"], row["num_parts_sms"]) == ("1.20", "5.00", "2")
        ledger = sb.ledger
        assert ledger.total_charged == Decimal("6.20") and ledger.balance == Decimal("99993.80")
        assert ledger.delivered == {"sms": 1}


def test_viber_expires_after_its_validity_period_then_sms():
    rates = {"viber": {"deliver": 0.0, "expired": 1.0}, "sms": {"deliver": 1.0}}
    with tsf.sandbox(rates=rates) as sb:
        answer = post(
            sb, {"message": [cascade_block(("79801234567", "1"), validity_period_viber="30")]}
        )
        (id_message,) = sent_ids(answer)
        sb.advance(minutes=29)
        assert states(sb, [id_message])[id_message]["state_viber"] == "send"
        sb.advance(minutes=1, seconds=P.SMS_DELIVER_S)
        row = states(sb, [id_message])[id_message]
        assert (row["state"], row["state_viber"], row["state_sms"]) == (
            "deliver",
            "expired",
            "deliver",
        )


@pytest.mark.parametrize(("finale", "expected_sms"), [("1", "deliver"), ("0", "send")])
def test_finale_viber_read(finale, expected_sms):
    # Delivered but never read: with finale_viber_read=1 the cascade moves on to SMS at
    # the end of the validity period; with 0 delivery is final.
    rates = {"viber": {"deliver": 1.0, "read": 0.0}, "sms": {"deliver": 1.0}}
    with tsf.sandbox(rates=rates) as sb:
        block = cascade_block(("79801234567", "1"), finale_viber_read=finale)
        (id_message,) = sent_ids(post(sb, {"message": [block]}))
        sb.advance(hours=2)
        row = states(sb, [id_message])[id_message]
        assert (row["state"], row["state_viber"], row["state_sms"]) == (
            "deliver",
            "deliver",
            expected_sms,
        )
        assert sb.ledger.total_charged == (Decimal("3.70") if finale == "1" else Decimal("1.20"))


def test_time_send_in_the_future_keeps_it_in_send_until_then(sb):
    start = sb.provider.now() + 3600
    time_send = P.datetime.fromtimestamp(start, F.MSK).strftime(F.TIME_SEND_FORMAT)
    (id_message,) = sent_ids(
        post(sb, {"message": [sms_block(("79801234567", "1"), time_send=time_send)]})
    )
    sb.advance(minutes=30)
    assert states(sb, [id_message])[id_message]["state"] == "send"
    sb.advance(minutes=31)
    assert states(sb, [id_message])[id_message]["state"] in F.FINAL_STATES


def test_fates_follow_seed_and_phone_and_rates():
    phones = [(str(79800000000 + i), str(i + 1)) for i in range(400)]
    outcomes = []
    for seed in (5, 5, 6):
        with tsf.sandbox(seed=seed, speed=1e6) as sb:
            ids = sent_ids(post(sb, {"message": [sms_block(*phones)]}))
            sb.advance(hours=48)
            outcomes.append([states(sb, ids)[i]["state"] for i in ids])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] != outcomes[2]
    delivered = outcomes[0].count("deliver") / len(phones)
    assert 0.90 < delivered < 0.99  # the default SMS delivery rate is 0.95


def test_time_runs_at_the_configured_speed():
    rates = {"sms": {"deliver": 1.0}}
    with tsf.sandbox(speed=600, rates=rates) as sb:  # 15 sandbox seconds in 25 ms
        (id_message,) = sent_ids(post(sb, {"message": [sms_block(("79801234567", "1"))]}))
        import time

        time.sleep(0.1)
        assert states(sb, [id_message])[id_message]["state"] == "deliver"


# -- faults --------------------------------------------------------------------------------


def raw_send(sb, client_id="1", timeout=5.0):
    body = {
        "login": sb.login,
        "password": sb.password,
        "message": [sms_block(("79801234567", client_id))],
    }
    return requests.post(sb.url, data=json.dumps(body).encode(), timeout=timeout)


@pytest.mark.parametrize(
    ("fault", "takes_effect"),
    [("drop_before", False), ("drop_after", True)],
)
def test_dropped_connections(sb, fault, takes_effect):
    sb.inject(fault)
    with pytest.raises(requests.ConnectionError):
        raw_send(sb)
    assert sb.ledger.accepted == ({"1": 1} if takes_effect else {})


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_errors_with_retry_after(status):
    with tsf.sandbox(faults=tsf.Faults(retry_after=7)) as sb:
        sb.inject(f"http_{status}")
        response = raw_send(sb)
        assert response.status_code == status and response.headers["Retry-After"] == "7"
        assert sb.ledger.accepted == {}


def test_slow_answer_arrives_after_the_timeout_but_takes_effect():
    with tsf.sandbox(faults=tsf.Faults(slow_seconds=1.0)) as sb:
        sb.inject("slow")
        with pytest.raises(requests.ReadTimeout):
            raw_send(sb, timeout=0.2)
        assert sb.ledger.accepted == {"1": 1}


def test_html_page_instead_of_json(sb):
    sb.inject("html")
    response = raw_send(sb)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/html"
    assert response.text.startswith("<html>")
    assert sb.ledger.accepted == {}


def test_truncated_json_takes_effect(sb):
    sb.inject("truncated")
    response = raw_send(sb)
    with pytest.raises(ValueError):
        response.json()
    assert sb.ledger.accepted == {"1": 1}


def test_scripted_faults_run_in_order_then_normal(sb):
    sb.inject("http_503", None, "html")
    assert raw_send(sb, "1").status_code == 503
    assert raw_send(sb, "2").json()["message"][0][0]["client_id_message"] == "2"
    assert raw_send(sb, "3").headers["Content-Type"] == "text/html"
    assert raw_send(sb, "4").json()["message"][0][0]["client_id_message"] == "4"
    assert sb.faults.injected == {"http_503": 1, "html": 1}


def test_faults_by_probability():
    with tsf.sandbox(faults=tsf.Faults(rate=0.3, kinds=["http_502"], seed=3)) as sb:
        statuses = [raw_send(sb, str(i)).status_code for i in range(200)]
    failed = statuses.count(502)
    assert 35 <= failed <= 85 and set(statuses) == {200, 502}


def test_unknown_fault_is_refused():
    with pytest.raises(ValueError, match="unknown fault"):
        tsf.Faults(script=["explode"])


# -- as its own process --------------------------------------------------------------------


def test_sandbox_command_prints_url_and_credentials_and_serves():
    command = [
        sys.executable,
        "-m",
        "targetsms_frames.cli",
        "sandbox",
        "--port",
        "0",
        "--login",
        "alice",
        "--password",
        "pa55",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        url = lines[0].rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/sendmessagejson.php")
        assert lines[1:] == ["login: alice", "password: pa55"]
        body = {"login": "alice", "password": "pa55", "message": [sms_block(("79801234567", "1"))]}
        answer = requests.post(url, json=body, timeout=5).json()
        assert answer["message"][0][0]["id_message"].isdigit()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _mutations(value, rng):
    """Random damage to a JSON value: wrong types, missing keys, garbage."""
    garbage = [
        None,
        1,
        1.5,
        True,
        "",
        "x",
        [],
        {},
        [1],
        {"a": 1},
        "0",
        "-1",
        "99999999999999999999",
    ]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < 0.1:
                continue  # a missing key
            out[key] = rng.choice(garbage) if roll < 0.25 else _mutations(item, rng)
        return out
    if isinstance(value, list):
        items = [_mutations(item, rng) for item in value]
        if rng.random() < 0.2:
            items.append(rng.choice(garbage))
        return items
    return rng.choice(garbage) if rng.random() < 0.3 else value


def test_damaged_documents_always_get_a_documented_answer():
    import random

    rng = random.Random(5)
    provider = P.Provider(speed=1000)
    provider.add_account("a", "b", balance="1000000")
    send = {"login": "a", "password": "b", **example_send_document()}
    for i in range(3000):
        document = _mutations(
            send
            if i % 2
            else {"login": "a", "password": "b", "state": [{"id_message": "1000000"}]},
            rng,
        )
        answer = provider.handle(json.dumps(document).encode())
        assert isinstance(answer, dict) and len(answer) == 1
        (key,) = answer
        assert key in ("error", "message", "state")
        if key == "error":
            assert isinstance(answer["error"], str) and answer["error"]
        elif key == "message":
            for item in answer["message"]:
                assert (isinstance(item, dict) and set(item) == {"error"}) or all(
                    isinstance(r, dict) and all_strings(r) for r in item
                )
        else:
            assert all(set(row) == STATE_KEYS and all_strings(row) for row in answer["state"])
