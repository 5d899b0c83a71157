"""The quick read of a send answer's bytes against the decoding path it skips.

Whatever the bytes, ``quick_columns`` either declines (None) or gives exactly the
columns ``send_columns`` gives for the decoded answer; and it does read the common
answer (else the fast path would silently never run).
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from targetsms_frames import answers
from targetsms_frames.answer_bytes import quick_columns
from targetsms_frames.answer_columns import send_columns
from targetsms_frames.encoding import Encoded

PASSWORD = "s3cret-Pa55"
ID = st.one_of(
    st.from_regex(r"[1-9][0-9]{0,19}", fullmatch=True),
    st.sampled_from(["0", "00", "0012", "7", "10", "9" * 20, "000000001"]),
)
HOSTILE_VALUE = st.one_of(
    ID,
    st.sampled_from(["000", "9" * 21, "0" * 21]),
    st.from_regex(r"[0-9]{1,22}", fullmatch=True),
    st.sampled_from(
        ["", " 12", "12 ", "١٢٣", "１２３", "12a", "-1", "1.5", "\\u0031", PASSWORD, "1\n2", "é"]
    ),
    st.integers(-5, 10**21),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
KEYS = ["id_message", "client_id_message", "phone", "count_message", "id_viber", "id_sms"]
EXTRA_KEYS = ["id_whatsapp", "id_vk", "error", "price", "id_message2"]


def _doc(n: int, sizes: list[int], client_ids: list[str] | None = None) -> Encoded:
    client_ids = client_ids or [str(10**17 + 7 * i) for i in range(n)]
    return Encoded(
        (b'{"message":[]}',),
        np.arange(n),
        client_ids,
        [str(79800000000 + i) for i in range(n)],
        ["Shop"] * n,
        sizes,
    )


@st.composite
def sizes_of(draw, n: int) -> list[int]:
    sizes, left = [], n
    while left:
        size = draw(st.integers(1, left))
        sizes.append(size)
        left -= size
    return sizes


def _items(results: list, sizes: list[int]) -> list:
    items, start = [], 0
    for size in sizes:
        items.append(results[start : start + size])
        start += size
    return items


@st.composite
def answered(draw):
    """A document and an answer to it: the common shape, then maybe spoiled a little."""
    n = draw(st.integers(1, 8))
    sizes = draw(sizes_of(n))
    doc = _doc(n, sizes)
    keys = list(KEYS)
    for key in EXTRA_KEYS:
        if draw(st.integers(0, 3 if key in ("error", "id_whatsapp", "id_vk") else 12)) == 0:
            keys.insert(draw(st.integers(0, len(keys))), key)
    if draw(st.booleans()):
        keys = draw(st.permutations(keys))
    drop = (
        draw(st.sets(st.sampled_from(keys), max_size=2)) if draw(st.integers(0, 3)) == 0 else set()
    )
    same_count = draw(st.booleans())
    count = draw(st.sampled_from(["0", "1", "2", "10", "999", "007", "1000"]))
    results = []
    for i, client_id in enumerate(doc.client_ids):
        value = {
            "id_message": draw(ID) if draw(st.integers(0, 9)) == 0 else str(10**12 + i),
            "client_id_message": client_id,
            "phone": doc.phones[i],
            "count_message": count if same_count else draw(st.sampled_from(["1", "2", "03"])),
            "id_viber": "0" if draw(st.booleans()) else draw(ID),
            "id_sms": draw(ID),
            "id_whatsapp": draw(ID),
            "id_vk": "0",
            "error": "",
            "price": "1.20",
            "id_message2": "5",
        }
        results.append({key: value[key] for key in keys if key not in drop})
    spoil = draw(st.integers(0, 9))
    if spoil == 1:  # one hostile value somewhere
        row = draw(st.integers(0, n - 1))
        key = draw(st.sampled_from(sorted(results[row]) or ["id_message"]))
        results[row][key] = draw(HOSTILE_VALUE)
    elif spoil == 2:  # the password echoed back where a phone was
        results[draw(st.integers(0, n - 1))]["phone"] = PASSWORD
    elif spoil == 3:  # another phone's client id, or one missing
        row = draw(st.integers(0, n - 1))
        results[row]["client_id_message"] = draw(st.sampled_from(["", "1", doc.client_ids[0]]))
    elif spoil == 4:  # an error text for one phone
        results[draw(st.integers(0, n - 1))]["error"] = draw(
            st.sampled_from(["", "Недостаточно средств", "0", "1"])
        )
    items = _items(results, sizes)
    if spoil == 5 and len(items) > 1:  # a block short, or one more
        items = items[:-1] if draw(st.booleans()) else [*items, items[0]]
    answer = {"message": items}
    if spoil == 6:
        answer["error"] = ""
    compact = draw(st.integers(0, 4)) > 0 or spoil == 0
    text = json.dumps(
        answer,
        ensure_ascii=draw(st.booleans()),
        separators=(",", ":") if compact else (", ", ": "),
    )
    content = text.encode()
    if spoil == 7:  # one byte changed, inserted or removed
        at = draw(st.integers(0, len(content) - 1))
        byte = bytes([draw(st.sampled_from(b'0123456789"{}[],:\\ \x00\xff'))])
        how = draw(st.integers(0, 2))
        content = (
            content[:at] + byte + content[at + 1 :]
            if how == 0
            else content[:at] + byte + content[at:]
            if how == 1
            else content[:at] + content[at + 1 :]
        )
    return doc, content


def _careful(doc: Encoded, content: bytes):
    answer, problem = answers.decode(content)
    return None if problem is not None else send_columns(doc, answer)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answered())
def test_the_quick_read_gives_the_decoded_columns_or_declines(case):
    doc, content = case
    quick = quick_columns(doc, content)
    if quick is not None:
        assert quick == _careful(doc, content)
        assert PASSWORD not in repr(quick)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40), st.data())
def test_the_common_answer_is_read_quickly(n, data):
    sizes = data.draw(sizes_of(n))
    doc = _doc(n, sizes)
    ids = data.draw(st.lists(st.from_regex(r"[1-9][0-9]{0,19}", fullmatch=True), min_size=n))
    results = [
        {
            "id_message": ids[i],
            "client_id_message": c,
            "phone": doc.phones[i],
            "count_message": "1",
            "id_viber": "0",
            "id_sms": ids[i],
        }
        for i, c in enumerate(doc.client_ids)
    ]
    content = json.dumps({"message": _items(results, sizes)}, separators=(",", ":")).encode()
    quick = quick_columns(doc, content)
    assert quick is not None
    assert quick == _careful(doc, content)
    assert quick["id_message"] == ids[:n] and quick["outcome"] == ["accepted"] * n


@pytest.mark.parametrize(
    "spoil",
    [
        lambda s: s.replace('"id_sms":"5"', '"id_sms":"٥"'),  # a non-ASCII digit
        lambda s: s.replace('"id_sms":"5"', '"id_sms":"\\u0035"'),  # an escaped digit
        lambda s: s.replace('"id_sms":"5"', '"id_sms":5'),  # a number, not a string
        lambda s: s.replace('"id_sms":"5"', '"id_sms":""5'),  # a digit outside a value
        lambda s: s.replace('"id_sms":"5"', '"id_sms":"5","id_sms":"6"'),  # a repeated key
        lambda s: s.replace('"phone":"79800000001"', f'"phone":"{PASSWORD}"'),  # echoed
        lambda s: s.replace('"id_message":"5"', '"id_message":"000"'),  # a zero id
        lambda s: s.replace('"client_id_message":"100000000000000007"', '"client_id_message":"1"'),
        lambda s: s.replace("]]}", "],[]]}"),  # a block more
        lambda s: s.replace("}]]}", '},{"id_message":"9"}]]}'),  # a result more
        lambda s: s.replace('"id_sms":"5"', '"id_sms":"5","error":"x"'),  # another key order
        lambda s: " " + s,
    ],
)
def test_hostile_answers_are_declined_or_read_as_decoded(spoil):
    doc = _doc(2, [2])
    results = [
        {
            "id_message": str(5 + i),
            "client_id_message": c,
            "phone": doc.phones[i],
            "count_message": "1",
            "id_viber": "0",
            "id_sms": str(5 + i),
        }
        for i, c in enumerate(doc.client_ids)
    ]
    text = json.dumps({"message": [results]}, separators=(",", ":"))
    spoiled = spoil(text)
    assert spoiled != text
    content = spoiled.encode()
    quick = quick_columns(doc, content)
    assert quick is None or quick == _careful(doc, content)


def test_many_blocks_of_every_size_agree():
    rng = random.Random(7)
    n = 1000
    sizes, left = [], n
    while left:
        sizes.append(min(left, rng.choice([1, 1, 2, 3, 50])))
        left -= sizes[-1]
    doc = _doc(n, sizes)
    results = [
        {
            "id_message": str(10**12 + i),
            "client_id_message": c,
            "phone": doc.phones[i],
            "count_message": rng.choice(["1", "2"]),
            "id_viber": rng.choice(["0", "00", str(i + 1)]),
            "id_sms": str(10**12 + i),
        }
        for i, c in enumerate(doc.client_ids)
    ]
    content = json.dumps({"message": _items(results, sizes)}, separators=(",", ":")).encode()
    quick = quick_columns(doc, content)
    assert quick is not None and quick == _careful(doc, content)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 30), st.data())
def test_values_of_one_width_are_read_as_the_decoded_ones(n, data):
    """Every column of one width (the matrix path), zeros included."""
    doc = _doc(n, data.draw(sizes_of(n)))
    columns = {}
    for key in ("id_message", "id_viber", "id_sms", "count_message"):
        width = data.draw(st.integers(1, 3 if key == "count_message" else 20))
        digits = st.from_regex(f"[0-9]{{{width}}}", fullmatch=True)
        zeros = "0" * width
        columns[key] = data.draw(
            st.lists(st.one_of(digits, st.just(zeros)), min_size=n, max_size=n)
        )
    results = [
        {
            "id_message": columns["id_message"][i],
            "client_id_message": c,
            "phone": "7" * data.draw(st.integers(0, 25)),
            "count_message": columns["count_message"][i],
            "id_viber": columns["id_viber"][i],
            "id_sms": columns["id_sms"][i],
        }
        for i, c in enumerate(doc.client_ids)
    ]
    content = json.dumps({"message": _items(results, doc.sizes)}, separators=(",", ":")).encode()
    quick = quick_columns(doc, content)
    careful = _careful(doc, content)
    if any(not v.strip("0") for v in columns["id_message"]):
        assert quick is None  # an id_message of zeros is the careful path's to judge
    else:
        assert quick is not None and quick == careful
