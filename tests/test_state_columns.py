"""The column-wise state path gives exactly what the per-item path gives, on any answer.

``state_answers.state_table`` against ``answers.state_row``; ``states.table_frame``
against ``states.states_frame``; ``answers.decode`` (orjson first) against json; the
scrubber's ASCII prefilter against its full scan.
"""

from __future__ import annotations

import copy
import json
import math
from unittest import mock

import pandas as pd
import pyarrow as pa
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from targetsms_frames import Client, answers, default_retry, state_answers, state_wire, states
from targetsms_frames import fields as F
from targetsms_frames.redact import Scrubber
from targetsms_frames.states import _empty_state, states_frame, table_frame

SCRUB = Scrubber(["hunter2-secret"])
KEYS = list(state_answers.ITEM_KEYS)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["１２３", "²", "٣", "0", "00", "000", "", " ", "\u00a0", "1.5", "7"])
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
# Values near the rules' edges, so that most items are well formed or nearly so.
near = {
    "id_message": st.sampled_from(
        ["7", "0012", "0", "000", "9" * 20, "9" * 21, " 7", "7 ", "７", "", "1a", "1\n"]
    )
    | st.from_regex(r"[0-9]{1,22}", fullmatch=True),
    "time_change_state": st.sampled_from(
        [
            "2026-01-01 10:00:00",
            "2026-02-30 10:00:00",
            "2026-01-01 24:00:00",
            "2026-01-01 10:00:60",
            "0000-01-01 00:00:00",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            " 2026-01-01 10:00:00",
            "２０２６-01-01 10:00:00",
            "",
        ]
    ),
    "state": st.sampled_from([*F.STATES, " deliver", "deliver\n", "\u00a0send", "Deliver", ""])
    | st.just(F.ERR_UNKNOWN_ID)
    | st.just("hunter2-secret " * 80),
    "num_parts_sms": st.sampled_from(["0", "1", "999", "1000", "1001", "0001", "²", " 2", ""]),
    "price": st.sampled_from(
        ["0", "1.20", "0,5", ".5", "1.", "999999.9999", "1000000", "1.00001", "-1", "inf", "nan"]
    )
    | st.sampled_from(["1e3", "１.2", " 1.2", ""])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-5, max_value=10**7),
}


def _near(key: str):
    if key.startswith("price_"):
        return near["price"]
    if key.startswith("state_"):
        return st.sampled_from([*F.STATES, " read", "", "x"])
    return near[key]


items = st.one_of(
    st.fixed_dictionaries({}, optional={k: _near(k) | junk for k in KEYS}),
    st.fixed_dictionaries(
        {k: _near(k) for k in KEYS[:3]}, optional={"price_viber": _near("price_viber")}
    ),
    junk,
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a, b) -> bool:
    """Equal values of the same type (1 == 1.0 == True is not enough here)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def assert_rows_agree(given_items: list) -> None:
    table = state_answers.state_table(given_items, SCRUB)
    assert table.schema == state_answers.SCHEMA
    reference = [answers.state_row(item, SCRUB) for item in given_items]
    got = table.to_pylist()
    assert len(got) == len(reference)
    for k, (row, ref) in enumerate(zip(got, reference, strict=True)):
        assert set(row) == set(ref), k
        for key in ref:
            assert same(row[key], ref[key]), (k, key, row[key], ref[key], given_items[k])


@FAST
@given(st.lists(items, max_size=8))
def test_the_table_is_exactly_the_per_item_rows(given_items):
    assert_rows_agree(given_items)


@FAST
@given(st.lists(st.fixed_dictionaries({k: _near(k) for k in KEYS}), min_size=1, max_size=6))
def test_the_table_agrees_when_every_item_has_the_same_keys(given_items):
    # The common shape: every item has the same keys (the one-call-per-item path).
    assert_rows_agree(given_items)


def test_well_formed_and_hostile_items_together():
    good = {
        "id_message": "7",
        "time_change_state": "2026-01-01 10:00:00",
        "state": "deliver",
        "state_sms": "",
        "state_viber": "read",
        "num_parts_sms": "0",
        "price_sms": "0",
        "price_viber": "1.20",
    }
    hostile = [
        good,
        good | {"id_message": "０"},
        good | {"price_viber": float("nan")},
        good | {"price_viber": 10**30},
        good | {"num_parts_sms": [["1"]]},
        good | {"state": "hunter2-secret was here"},
        good | {"id_message": "\ud800"},
        {"id_message": "8"},
        None,
        ["deliver"],
        good | {"id_message": "0000"},
        good | {"state_viber": 5},
    ]
    assert_rows_agree(hostile * 3)
    rows = state_answers.state_table(hostile, SCRUB).to_pylist()
    assert "hunter2" not in repr(rows)
    assert rows[0]["error"] is None and rows[0]["final"] is True
    assert rows[1]["id_message"] is None and "malformed id_message" in rows[1]["error"]


def test_an_empty_answer_is_an_empty_table():
    assert state_answers.state_table([], SCRUB).num_rows == 0


# -- the frame -----------------------------------------------------------------------------


@FAST
@given(st.lists(items, max_size=6), st.lists(st.booleans(), max_size=8))
def test_the_frame_is_exactly_states_frame(given_items, answered):
    table = state_answers.state_table(given_items, SCRUB)
    rows = table.to_pylist()
    # Some rows have no answer: null in the table, the empty state in the rows.
    picks = [k if a and k < len(rows) else -1 for k, a in enumerate(answered)]
    missing = {p: f"id{p}" if p % 2 else None for p, k in enumerate(picks) if k < 0}
    taken = table.take(pa.array([k if k >= 0 else None for k in picks], pa.int64()))
    index = pd.RangeIndex(10, 10 + len(picks))
    got = table_frame(taken, index, missing)
    reference = states_frame(
        [rows[k] if k >= 0 else _empty_state(missing[p]) for p, k in enumerate(picks)], index
    )
    pd.testing.assert_frame_equal(got, reference)


# -- decode and the scrubber ---------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=10,
)


@FAST
@given(json_values, st.booleans())
def test_decode_reads_as_json_does(value, spaced):
    content = json.dumps(value, ensure_ascii=spaced, indent=1 if spaced else None).encode()
    answer, problem = answers.decode(content)
    expected = json.loads(content)
    if isinstance(expected, dict):
        assert problem is None and repr(answer) == repr(expected)
    else:
        assert (answer, problem) == (None, "JSON but not an object")


@FAST
@given(
    st.from_regex(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,3})?", fullmatch=True)
)
def test_decode_reads_any_number_as_json_does(number):
    content = ('{"price": ' + number + "}").encode()
    expected = json.loads(content)
    answer, problem = answers.decode(content)
    if math.isinf(expected["price"]):  # orjson refuses it; json's answer stands
        assert problem is None and math.isinf(answer["price"])
    else:
        assert problem is None and repr(answer) == repr(expected)


@pytest.mark.parametrize(
    "content",
    [
        b'{"a": 18446744073709551616}',
        b'{"a": [-9223372036854775809]}',
        b'{"a": 1e400}',
        b'{"a": NaN}',
        b'{"a": "\\ud800"}',
        b'\xef\xbb\xbf{"a": 1}',
        b'{"a": 1} x',
        b"[" * 5000,
        b'{"a": 1',
        '{"a": "é"}'.encode("utf-16"),
    ],
)
def test_decode_leaves_what_orjson_refuses_or_bends_to_json(content):
    try:
        expected = json.loads(content)
    except RecursionError:
        expected = "deep"
    except ValueError:
        expected = "bad"
    answer, problem = answers.decode(content)
    if isinstance(expected, dict):
        assert problem is None and repr(answer) == repr(expected)
    else:
        assert answer is None and problem is not None


@FAST
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_the_scrubbers_ascii_prefilter_agrees_with_its_full_scan(noise):
    scrub = Scrubber(["hunter2-secret", "s3cr3t-t0k3n"])
    for text in (noise, noise + "hunter2-secret", "hunter2-secre" + noise, noise + "s3cr3t"):
        full = any(
            scrub._any.search(text, run.start(), run.end()) for run in scrub._runs.finditer(text)
        )
        literal = any(form in text for form in scrub._literals) or any(
            form in text.lower() for form in scrub._hex
        )
        assert scrub._found(text) == (full or literal)


# -- fetch_states end to end ---------------------------------------------------------------


class AnsweringSession(requests.Session):
    """The client's network seam: answers each state document by a rule per asked id."""

    def __init__(self, rule) -> None:
        super().__init__()
        self.rule = rule

    def post(self, url, data=None, **options):
        asked = [item["id_message"] for item in json.loads(bytes(data))["state"]]
        found = [row for i in asked for row in self.rule(i)]
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"state": found}).encode()
        return response


def reference_fetch(given_ids, client, chunk_size: int, polls: int = 1) -> pd.DataFrame:
    """fetch_states as it was: one state_row dict per item, the last row for an id wins;
    ``polls``: at most that many polls of the ids not final yet."""
    ids, index, _ = states._ids_of(given_ids)
    unique = list(dict.fromkeys(i for i in ids if i is not None and str(i).strip()))
    unique = [str(i).strip() for i in unique]
    known: dict = {}
    open_ids = unique
    for _ in range(polls):
        for k in range(0, len(open_ids), chunk_size):
            chunk = open_ids[k : k + chunk_size]
            for asked, row in zip(chunk, client.fetch_state(chunk), strict=False):
                known[row["id_message"] or asked] = row
        open_ids = [i for i in unique if not known.get(i, {}).get("final")]
        if not open_ids:
            break
    rows = [
        known.get(str(i).strip(), _empty_state(i)) if i is not None else _empty_state(None)
        for i in ids
    ]
    return states_frame(rows, index)


ID_TEXTS = st.sampled_from(["5", "6", "77", " 5", "5 ", "0", "", " ", "１", "8"]) | st.none()
VARIANTS = st.sampled_from(["good", "other", "nameless", "none", "two", "junk", "bad_price"])


def _rows_for(variants: dict):
    def rule(asked: str) -> list:
        good = {"id_message": asked, "time_change_state": "2026-01-01 10:00:00"}
        good |= {"state": "deliver", "state_viber": "read", "price_viber": "1.20"}
        kind = variants.get(asked, "good")
        return {
            "good": [good],
            "other": [good | {"id_message": "8", "state": "send"}],
            "nameless": [good | {"id_message": "", "state": "expired"}],
            "none": [],
            "two": [good, good | {"state": "not_deliver"}],
            "junk": [["x"]],
            "bad_price": [good | {"price_viber": "1e3", "state": "send"}],
        }[kind]

    return rule


@FAST
@given(
    st.lists(ID_TEXTS, max_size=12),
    st.dictionaries(st.sampled_from(["5", "6", "77", "0", "１", "8"]), VARIANTS),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=5),
)
def test_fetch_states_is_exactly_the_per_item_fetch(given_ids, variants, chunk_size, batch):
    client = Client(
        "me",
        "hunter2-secret",
        url="http://127.0.0.1:9/sendmessagejson.php",
        session=AnsweringSession(_rows_for(variants)),
        retry=default_retry(attempts=1, sleep=lambda s: None),
    )
    polls = 1 + batch % 3  # waiting: up to three polls of what is not final
    expected = reference_fetch(given_ids, client, chunk_size, polls)
    clock = [0.0]  # a clock that moves only when fetch_states sleeps: polls are counted

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    saved = states.BATCH
    states.BATCH = batch  # batches that end inside and across documents
    try:
        with mock.patch.object(states.time, "monotonic", lambda: clock[0]):
            got = states.fetch_states(
                given_ids,
                client,
                chunk_size=chunk_size,
                progress=False,
                wait=polls > 1,
                interval=1.0,
                max_interval=1.0,
                timeout=polls - 1 + 0.5,
                sleep=sleep,
            )
    finally:
        states.BATCH = saved
    pd.testing.assert_frame_equal(got, expected)


# -- the state document as bytes -----------------------------------------------------------


@FAST
@given(st.lists(st.from_regex(r"[0-9]{1,22}", fullmatch=True), min_size=1, max_size=6))
def test_the_state_body_is_the_json_of_the_document(ids):
    expected = json.dumps(
        {"state": [{"id_message": i} for i in ids]}, ensure_ascii=False, separators=(",", ":")
    )
    assert state_wire.state_body(ids) == expected.encode("utf-8")


@FAST
@given(st.lists(ID_TEXTS | st.text(max_size=4) | st.integers(0, 99), max_size=6))
def test_joined_digits_is_the_per_id_rule(ids):
    plain = bool(ids) and all(
        type(i) is str and i != "" and i.isascii() and i.isdigit() for i in ids
    )
    assert (state_wire.joined_digits(ids) is not None) == plain
    assert (state_wire.state_body(ids) is not None) == plain


class RecordingSession(AnsweringSession):
    """Records every posted body (the bytes the provider would read)."""

    def __init__(self, rule) -> None:
        super().__init__(rule)
        self.bodies: list[bytes] = []

    def post(self, url, data=None, **options):
        self.bodies.append(bytes(data))
        return super().post(url, data=data, **options)


@pytest.mark.parametrize(
    "credentials", [{"login": "mé", "password": "hunter2-secret"}, {"token": "t0k3n-secret"}]
)
def test_the_fast_state_document_posts_the_bytes_of_the_careful_one(credentials):
    ids = ["5", "0012", "77", "5"]
    sessions = [RecordingSession(_rows_for({})) for _ in range(2)]
    clients = [
        Client(**credentials, url="http://127.0.0.1:9/sendmessagejson.php", session=s)
        for s in sessions
    ]
    fast = clients[0]._fetch_state_items(ids)
    careful = clients[1].post({"state": [{"id_message": i} for i in ids]})
    assert sessions[0].bodies == sessions[1].bodies and len(sessions[0].bodies) == 1
    assert fast.items == careful["state"]
    # Ids that are not plain digits take the careful encoding, to the same effect.
    odd = clients[0]._fetch_state_items(["５", " 7"])
    assert sessions[0].bodies[-1] == json.dumps(
        {
            **({"login": "mé", "password": "hunter2-secret"} if "login" in credentials else {}),
            "state": [{"id_message": "５"}, {"id_message": " 7"}],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    assert len(odd.items) == 2


# -- items not scrubbed yet ----------------------------------------------------------------

SECRET = "hunter2-secret"
echoes = st.sampled_from(
    [SECRET, f"x {SECRET} y", "hunter2-secr", "aHVudGVyMi1zZWNyZXQ", "hunter2%2Dsecret", "ok"]
)
secret_items = st.one_of(
    items,
    st.fixed_dictionaries({k: _near(k) for k in KEYS}).flatmap(
        lambda good: st.sampled_from(KEYS).flatmap(
            lambda key: echoes.map(lambda text: good | {key: text})
        )
    ),
    st.fixed_dictionaries({k: _near(k) for k in KEYS}).flatmap(
        lambda good: echoes.map(lambda text: good | {text: "1"})
    ),
)


@FAST
@given(st.lists(secret_items, max_size=6), st.integers(min_value=1, max_value=3))
def test_the_unscrubbed_table_is_the_table_of_the_scrubbed_items(given_items, copies):
    given_items = given_items * copies  # repeated values: the per-distinct checks
    table = state_answers.unscrubbed_state_table(copy.deepcopy(given_items), SCRUB)
    scrubbed = SCRUB.deep(copy.deepcopy(given_items))
    if table is not None:
        assert table.equals(state_answers.state_table(scrubbed, SCRUB))
        assert scrubbed == given_items  # a table only when scrubbing changes nothing
    elif given_items and scrubbed == given_items:
        pass  # None is always safe: the caller scrubs first


def test_an_echoed_secret_sends_the_items_through_the_scrubber():
    good = {k: "0" for k in KEYS} | {"id_message": "7", "state": "deliver"}
    assert state_answers.unscrubbed_state_table([good] * 3, SCRUB) is not None
    for echoed in ({**good, "state_sms": SECRET}, {**good, SECRET: "1"}):
        assert state_answers.unscrubbed_state_table([good, echoed], SCRUB) is None


def _echoing(variants: dict):
    """A state rule that echoes the password in a value or a key for some ids."""
    base = _rows_for(variants)

    def rule(asked: str) -> list:
        rows = base(asked)
        if asked == "6":
            return [
                row | {"state": f"Ошибка: {SECRET}"} if type(row) is dict else row for row in rows
            ]
        if asked == "77":
            echo = {SECRET: "x", "state_viber": f"{SECRET}!"}
            return [row | echo if type(row) is dict else row for row in rows]
        return rows

    return rule


@FAST
@given(
    st.lists(st.sampled_from(["5", "6", "77", "8"]), max_size=10),
    st.dictionaries(st.sampled_from(["5", "6", "77", "8"]), VARIANTS),
    st.integers(min_value=1, max_value=4),
)
def test_fetch_states_with_echoed_secrets_is_exactly_the_per_item_fetch(
    given_ids, variants, chunk_size
):
    client = Client(
        "me",
        SECRET,
        url="http://127.0.0.1:9/sendmessagejson.php",
        session=AnsweringSession(_echoing(variants)),
        retry=default_retry(attempts=1, sleep=lambda s: None),
    )
    expected = reference_fetch(given_ids, client, chunk_size)
    got = states.fetch_states(given_ids, client, chunk_size=chunk_size, progress=False)
    pd.testing.assert_frame_equal(got, expected)
    assert SECRET not in repr(got.to_dict())
