"""Answer parsers under malformed and arbitrary answers: never raise, never a false id."""

from __future__ import annotations

import json
import re

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from targetsms_frames import Client, answers, default_retry
from targetsms_frames import fields as F
from targetsms_frames.errors import ProviderError, TransportError
from targetsms_frames.redact import Scrubber

ASCII_ID = re.compile(r"[0-9]{1,20}")
BLOCKS = [
    {
        "name_delivery": "A",
        "phones": [
            {"phone": "79801234567", "client_id_message": "1"},
            {"phone": "79801234568", "client_id_message": "2"},
        ],
    },
    {"name_delivery": "B", "phones": [{"phone": "79801234569", "client_id_message": "3"}]},
]


def one(result: dict) -> dict:
    blocks = [{"phones": [{"phone": "79801234567", "client_id_message": "1"}]}]
    return answers.send_rows(blocks, {"message": [[{"client_id_message": "1", **result}]]})[0]


# -- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["１２３", "١٢٣", "12a", "-5", "1.5", 1.5, "1" * 21, True, [], {}, "0x10", " 1 2 "]
)
def test_a_malformed_id_message_is_never_accepted(bad):
    row = one({"id_message": bad, "count_message": "1"})
    assert row["outcome"] == "unknown" and row["id_message"] is None
    assert "malformed id_message" in row["error"]


@pytest.mark.parametrize("good", ["1", "0012", "9" * 20, 77])
def test_a_real_id_with_an_empty_or_null_error_is_accepted(good):
    for error in (None, "", "  "):
        row = one({"id_message": good, "error": error})
        assert row["outcome"] == "accepted" and row["id_message"] == str(good)
        assert row["error"] is None


@pytest.mark.parametrize("bad", ["²", "１", "1001", "-1", "1.0", 2.0, "1e2", [1], False])
def test_a_malformed_count_is_na_and_said_in_error(bad):
    row = one({"id_message": "5", "count_message": bad})
    assert row["outcome"] == "accepted" and row["id_message"] == "5"
    assert row["count_message"] is None and "malformed count_message" in row["error"]


@pytest.mark.parametrize("good,value", [("0", 0), ("1000", 1000), (7, 7), ("", None)])
def test_counts_from_zero_to_a_thousand(good, value):
    row = one({"id_message": "5", "count_message": good})
    assert row["count_message"] == value and row["error"] is None


def test_a_malformed_channel_id_keeps_the_message_but_not_the_channel_id():
    row = one({"id_message": "5", "id_viber": "１２", "id_sms": "0"})
    assert (row["outcome"], row["id_viber"], row["id_sms"]) == ("accepted", None, None)
    assert "malformed id_viber: '１２'" in row["error"]


def test_one_bad_result_never_aborts_the_others():
    answer = {
        "message": [
            [
                {"client_id_message": "1", "id_message": "１２３"},
                {"client_id_message": "2", "id_message": "124", "count_message": "²"},
            ],
            [{"client_id_message": "3", "id_message": "125"}],
        ]
    }
    rows = answers.send_rows(BLOCKS, answer)
    assert [r["outcome"] for r in rows] == ["unknown", "accepted", "accepted"]
    assert [r["id_message"] for r in rows] == [None, "124", "125"]


def state(**fields) -> dict:
    item = {"id_message": "7", "time_change_state": "2026-01-01 10:00:00", "state": "deliver"}
    return answers.state_rows({"state": [item | fields]})[0]


@pytest.mark.parametrize(
    "field,bad",
    [
        ("num_parts_sms", "²"),
        ("num_parts_sms", "1001"),
        ("price_sms", "inf"),
        ("price_sms", "nan"),
        ("price_sms", 1e300),
        ("price_sms", "1e300"),
        ("price_viber", float("inf")),
        ("price_viber", "-1.00"),
        ("price_viber", "1000000"),
        ("price_viber", "1.00001"),
        ("price_viber", "１.20"),
        ("price_viber", [1]),
        ("id_message", "７"),
        ("time_change_state", "2026-02-30 10:00:00"),
        ("time_change_state", "２０２６-01-01 10:00:00"),
        ("time_change_state", ["x"]),
    ],
)
def test_malformed_state_values_are_na_with_an_error(field, bad):
    row = state(**{field: bad})
    assert row[field] is None and f"malformed {field}" in row["error"]
    assert row["state"] == "deliver" and row["final"]


@pytest.mark.parametrize(
    "price,value", [("1.20", 1.2), ("0,5", 0.5), ("999999.9999", 999999.9999), (0, 0.0)]
)
def test_prices_within_the_rules(price, value):
    row = state(price_sms=price)
    assert row["price_sms"] == value and row["error"] is None


def test_an_unknown_state_text_is_the_error_and_final():
    row = state(state=F.ERR_UNKNOWN_ID, time_change_state="")
    assert row["state"] is None and row["final"] and row["error"] == F.ERR_UNKNOWN_ID
    missing = state(state=None)
    assert missing["final"] is False and "no state" in missing["error"]


def test_raw_texts_in_errors_are_scrubbed_and_bounded():
    scrub = Scrubber(["hunter2-secret"])
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    blocks = [{"phones": [{"phone": "79801234567", "client_id_message": "1"}]}]
    answer = {"message": [[{"client_id_message": "1", "id_message": deep}]]}
    row = answers.send_rows(blocks, answer, scrub=scrub)[0]
    assert row["outcome"] == "unknown" and len(row["error"]) < 200
    answer = {"message": [[{"client_id_message": "1", "error": "x hunter2-secret " * 500}]]}
    row = answers.send_rows(blocks, answer, scrub=scrub)[0]
    assert "hunter2" not in row["error"] and len(row["error"]) <= 1001


# -- properties ----------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["１２３", "²", "0", "00", "", " ", "1.5", "7", "deliver", "send"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=8,
)
RESULT_KEYS = ["id_message", "client_id_message", "id_viber", "id_sms", "count_message", "error"]
results = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={k: json_values | st.sampled_from(["1", "2", "3"]) for k in RESULT_KEYS},
    ),
)
send_answers = st.one_of(
    json_values,
    st.fixed_dictionaries({"message": json_values}),
    st.fixed_dictionaries(
        {"message": st.lists(st.one_of(json_values, st.lists(results, max_size=4)), max_size=3)}
    ),
)
STATE_KEYS = [
    "id_message",
    "time_change_state",
    "state",
    "state_sms",
    "state_viber",
    "num_parts_sms",
    "price_sms",
    "price_viber",
]
state_items = st.one_of(
    json_values, st.fixed_dictionaries({}, optional={k: json_values for k in STATE_KEYS})
)
state_answers = st.one_of(
    json_values, st.fixed_dictionaries({"state": st.lists(state_items, max_size=4)})
)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(send_answers)
def test_any_send_answer_gives_one_row_per_phone_and_no_false_id(answer):
    rows = answers.send_rows(BLOCKS, answer)
    assert [r["client_id_message"] for r in rows] == ["1", "2", "3"]
    for row in rows:
        assert row["outcome"] in answers.OUTCOMES
        for key in ("id_message", "id_viber", "id_sms"):
            assert row[key] is None or ASCII_ID.fullmatch(row[key])
        if row["outcome"] == "accepted" and row["id_message"] is None:
            # only the provider's own "sent before" text accepts without an id
            assert row["error"] is None and F.ERR_ALREADY_SENT in repr(answer)
        count = row["count_message"]
        assert count is None or (type(count) is int and 0 <= count <= 1000)
        assert row["error"] is None or isinstance(row["error"], str)


@FAST
@given(state_answers)
def test_any_state_answer_gives_typed_rows(answer):
    rows = answers.state_rows(answer)
    for row in rows:
        assert row["id_message"] is None or ASCII_ID.fullmatch(row["id_message"])
        assert row["state"] is None or row["state"] in F.STATES
        for key in ("price_sms", "price_viber"):
            price = row[key]
            assert price is None or (type(price) is float and 0 <= price < 1_000_000)
        parts = row["num_parts_sms"]
        assert parts is None or (type(parts) is int and 0 <= parts <= 1000)
        assert isinstance(row["final"], bool)
        assert row["error"] is None or isinstance(row["error"], str)


class CannedSession(requests.Session):
    """The client's network seam, answering every post with the given bytes."""

    def __init__(self, content: bytes) -> None:
        super().__init__()
        self.content = content

    def post(self, url, **options):
        response = requests.Response()
        response.status_code, response._content = 200, self.content
        return response


@FAST
@given(send_answers, state_answers)
def test_any_json_through_the_client_is_rows_or_a_typed_error(send_answer, state_answer):
    for answer, call in ((send_answer, "send"), (state_answer, "state")):
        client = Client(
            "me",
            "pw-secret",
            url="http://127.0.0.1:9/x.php",
            session=CannedSession(json.dumps(answer).encode()),
            retry=default_retry(attempts=1, sleep=lambda s: None),
        )
        try:
            if call == "send":
                rows = client.send_document(BLOCKS)
            else:
                rows = client.fetch_state(["1", "2"])
        except (ProviderError, TransportError):
            continue
        for row in rows:
            assert row["id_message"] is None or ASCII_ID.fullmatch(row["id_message"])
            if call == "send" and row["outcome"] == "accepted" and row["id_message"] is None:
                assert F.ERR_ALREADY_SENT in repr(answer)
