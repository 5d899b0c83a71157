"""The sandbox's fast paths give exactly what the plain rules give.

The accept path memoises block checks per shape and works out fates with
precomputed cuts (issue 14); the same seed must still give the same fates, and a
block the same verdict, as :func:`check_block` and :func:`fate` give one by one.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from targetsms_frames.channels import BY_NAME
from targetsms_frames.sandbox.cascade import (
    DEFAULT_RATES,
    Block,
    Fate,
    Fates,
    cascade,
    earliest_fallback,
    fate,
)
from targetsms_frames.sandbox.rules import BlockChecks, check_block

_share = st.floats(0, 1, allow_nan=False)


@st.composite
def _rates(draw) -> dict:
    rates = {}
    for name in BY_NAME:
        deliver, expired = draw(_share), draw(_share)
        rates[name] = {
            **DEFAULT_RATES[name],
            "deliver": deliver,
            "expired": expired * (1 - deliver),
            "partly_deliver": draw(_share) * (1 - deliver) * (1 - expired),
        }
    rates["viber"] |= {"read": draw(_share), "link": draw(_share), "unsubscribe": draw(_share)}
    return rates


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    phones=st.lists(st.from_regex(r"7\d{10}", fullmatch=True), min_size=1, max_size=20),
    rates=_rates(),
)
def test_fates_are_the_fates_of_the_plain_rule(seed, phones, rates):
    fates = Fates(seed, rates)
    for phone in phones:
        assert fates(phone) == fate(seed, phone, rates)


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    phones=st.lists(st.from_regex(r"7\d{10}", fullmatch=True), min_size=1, max_size=40),
    rates=_rates(),
)
def test_fates_drawn_many_at_once_are_the_fates_of_the_plain_rule(seed, phones, rates):
    assert Fates(seed, rates).many(phones) == [fate(seed, phone, rates) for phone in phones]


_texts = st.text(alphabet=" aбв{}\n", max_size=1005)
_values = st.one_of(
    st.sampled_from(["", "0", "1", "2", "x", " ", "60", "-1", "100", "Shop", "2030-01-01 10:00"]),
    st.integers(-1, 3),
    st.booleans(),
    st.none(),
    st.just(1.5),
)
_names = st.sampled_from(
    [
        "send_viber",
        "send_sms",
        "send_whatsapp",
        "send_vk",
        "sender_viber",
        "sender_sms",
        "validity_period_viber",
        "finale_viber_read",
        "time_send",
        "templateId",
        "button_url",
        "name_delivery",
    ]
)
_block = st.fixed_dictionaries(
    {},
    optional={
        "text_viber": _texts,
        "text_sms": _texts,
        "text_whatsapp": _texts,
        "button_text": _texts,
        "phones": st.sampled_from([[], [{"phone": "79001234567"}], "79001234567"]),
    },
).flatmap(lambda texts: st.dictionaries(_names, _values).map(lambda rest: {**rest, **texts}))


@settings(max_examples=300, deadline=None)
@given(blocks=st.lists(_block, min_size=1, max_size=8))
def test_memoised_block_checks_give_the_verdict_of_check_block(blocks):
    checks = BlockChecks(frozenset({"100"}))
    for raw in blocks * 2:  # the second round meets every shape in the memo
        assert checks(raw) == check_block(raw, frozenset({"100"}))


def test_blocks_differing_only_in_their_texts_share_a_verdict_but_keep_their_texts():
    checks = BlockChecks(frozenset())
    base = {"send_viber": "1", "send_sms": 2, "sender_viber": "Shop", "sender_sms": "Shop"}
    phones = [{"phone": "79001234567"}]
    first = checks({**base, "text_viber": "Клиент 1", "text_sms": "Клиент 1", "phones": phones})
    second = checks({**base, "text_viber": "Клиент 2", "text_sms": "Клиент 2", "phones": phones})
    assert not isinstance(first, str) and not isinstance(second, str)
    assert first.channels == second.channels == ("viber", "sms")
    assert (first.fields["text_sms"], second.fields["text_sms"]) == ("Клиент 1", "Клиент 2")
    assert second.fields["send_sms"] == "2"  # a JSON number, as its text
    too_long = checks({**base, "text_viber": "x" * 1001, "text_sms": "y", "phones": phones})
    assert too_long == "Значение поля text_viber превышает 1000 символов"


_OUTCOMES = ("deliver", "expired", "partly_deliver", "not_deliver")


@settings(max_examples=200, deadline=None)
@given(
    channels=st.lists(st.sampled_from(list(BY_NAME)), min_size=1, max_size=4, unique=True),
    minutes=st.dictionaries(st.sampled_from(list(BY_NAME)), st.integers(1, 24 * 60)),
    finale_read=st.booleans(),
    start=st.floats(0, 1e9, allow_nan=False),
)
def test_no_fate_falls_back_before_earliest_fallback(channels, minutes, finale_read, start):
    """Fates are drawn late (at earliest_fallback): no fate's second channel starts sooner."""
    block = Block(
        name_delivery="x",
        channels=tuple(channels),
        start=start,
        validity_s=60.0 * minutes.get("viber", 60),
        finale_read=finale_read,
        sms_parts=1,
        validity={c: 60.0 * m for c, m in minutes.items()},
    )
    bound = earliest_fallback(block)
    tariffs = {c: 100 for c in BY_NAME}
    seconds = []
    for outcomes in itertools.product(_OUTCOMES, repeat=len(BY_NAME)):
        for engaged in ("", "read", "link", "unsubscribe"):
            block.cascades.clear()
            drawn = Fate(tuple(zip(BY_NAME, outcomes, strict=True)), engaged)
            steps = cascade(block, drawn, tariffs)
            if len(steps) > 1:
                seconds.append(steps[1].begin)
    assert all(s >= bound for s in seconds)
    if len(channels) > 1:  # and the bound is met by some fate (it is the soonest)
        assert min(seconds) == bound


_any_share = st.floats(-1, 2, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    size=st.integers(0, 300),
    rates=st.fixed_dictionaries(
        {
            name: st.fixed_dictionaries(
                {k: _any_share for k in ("deliver", "expired", "partly_deliver")}
            )
            for name in BY_NAME
        }
    ),
    viber=st.fixed_dictionaries({k: _any_share for k in ("read", "link", "unsubscribe")}),
)
def test_fates_drawn_many_at_once_follow_any_rates(seed, size, rates, viber):
    """Cuts in any order (a rate below 0 or above 1): the first cut above a draw decides."""
    rates["viber"] |= viber
    phones = [str(79_000_000_000 + 7919 * i) for i in range(size)]
    assert Fates(seed, rates).many(phones) == [fate(seed, phone, rates) for phone in phones]
