"""plan() under hostile input: never a traceback from row data, one row out per row in."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames.errors import InputError

MSK = timezone(timedelta(hours=3))
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=MSK)
GOOD = {
    "phone": "79801234567",
    "send_viber": "1",
    "send_sms": "2",
    "sender_viber": "Shop",
    "text_viber": "Hi {name}",
    "sender_sms": "Shop",
    "text_sms": "Hi {name}",
    "name": "Anna",
}


def one_bad_row(**bad) -> pd.DataFrame:
    """Three recipients; the middle one carries ``bad`` (object columns, as Excel gives)."""
    rows = [GOOD | {"phone": "79801234560"}, GOOD | bad, GOOD | {"phone": "79801234569"}]
    return pd.DataFrame(rows, dtype=object)


def problem_of(frame: pd.DataFrame, **options) -> str:
    plan = tsf.plan(frame, campaign="hostile", now=NOW, **options)
    assert plan["problem"].isna().tolist() == [True, False, True], plan["problem"].tolist()
    return plan.loc[1, "problem"]


# -- row data that used to raise -----------------------------------------------------------


@pytest.mark.parametrize("field", ["text_viber", "text_sms", "sender_viber", "sender_sms"])
def test_a_lone_surrogate_is_a_row_problem(field):
    problem = problem_of(one_bad_row(**{field: "Hi \ud83d"}))
    assert problem.startswith(
        f"{field}: has an invalid character '\\ud83d' (a lone surrogate) at position 4"
    )


def test_a_lone_surrogate_in_a_template_is_a_problem_of_its_rows():
    templates = pd.DataFrame(
        [
            {"template": "ok", "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"},
            {"template": "bad", "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi\udfff"},
        ],
        dtype=object,
    )
    people = pd.DataFrame({"phone": ["79801234560", "79801234561"], "template": ["ok", "bad"]})
    plan = tsf.plan(people, templates, campaign="hostile", now=NOW)
    assert pd.isna(plan.loc[0, "problem"])
    assert plan.loc[1, "problem"] == (
        "text_sms: has an invalid character '\\udfff' (a lone surrogate) at position 3"
    )


def test_a_lone_surrogate_in_a_placeholder_value_is_a_row_problem():
    assert problem_of(one_bad_row(name="An\udc00na")) == (
        "text_viber: the value of placeholder {name} is not text; "
        "text_sms: the value of placeholder {name} is not text"
    )


def test_a_lone_surrogate_in_a_phone_or_template_name_is_a_row_problem():
    assert (
        problem_of(one_bad_row(phone="7980\ud800")) == "phone: '7980\\ud800' is not a phone number"
    )
    templates = pd.DataFrame([{"template": "t", **{k: v for k, v in GOOD.items() if k != "phone"}}])
    templates = templates.drop(columns="name")
    recipients = pd.DataFrame(
        [
            GOOD | {"phone": f"7980123456{i}", "template": t}
            for i, t in enumerate(["t", "t\ud800", "t"])
        ],
        dtype=object,
    )
    plan = tsf.plan(recipients, templates, campaign="hostile", now=NOW)
    assert plan.loc[1, "problem"] == "template: no template named 't\\ud800' (templates: t)"
    assert plan.loc[1, "template"] == "t\ufffd"


@pytest.mark.parametrize(
    "field", ["text_viber", "text_sms", "sender_viber", "sender_sms", "name_delivery"]
)
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x1b", "\x1f"])
def test_control_characters_are_a_row_problem(field, char):
    problem = problem_of(one_bad_row(**{field: f"Sh{char}op"}))
    assert f"{field}: has a control character {char!r} at position 3" in problem


def test_control_characters_from_a_placeholder_are_caught_after_rendering():
    assert "text_sms: has a control character '\\x1b'" in problem_of(one_bad_row(name="\x1b[31m"))


def test_tab_and_line_breaks_are_text():
    plan = tsf.plan(one_bad_row(text_sms="a\tb\r\nc"), campaign="hostile", now=NOW)
    assert plan["problem"].isna().all() and plan.loc[1, "text_sms"] == "a\tb\r\nc"


@pytest.mark.parametrize(
    "value", [1e10, float("inf"), float("-inf"), 10**30, 10**400, -5, 0, "0001-01-01 00:00"]
)
def test_absurd_times_are_a_row_problem(value):
    problem = problem_of(one_bad_row(time_send=value))
    assert problem.startswith("time_send: ") and "Moscow time" in problem


def test_a_nullable_integer_time_column_with_missing_values():
    recipients = one_bad_row().assign(time_send=pd.array([None, 5, None], dtype="Int64"))
    problem = problem_of(recipients)
    assert problem == "time_send: 1900-01-04 00:00 (Moscow time) is in the past"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{name!z}", "text_sms: placeholder {name!z}: unknown conversion !z (use !s, !r or !a)"),
        (
            "{name:>99999999999999999999}",
            "text_sms: placeholder {name:>99999999999999999999}: the format width is above 1000",
        ),
        ("{name:.2f}", "text_sms: placeholder {name:.2f}: 'Anna' is not a number"),
        ("{name:d}", "text_sms: placeholder {name:d}: 'Anna' is not a whole number"),
        ("{name:+}", "text_sms: placeholder {name:+}: Sign not allowed in string format specifier"),
        ("{name:{x}}", "text_sms: placeholder {name:{x}}: the format spec is not understood"),
        ("{0}", "text_sms: no column for placeholder {0}"),
        ("{name[0]}", "text_sms: no column for placeholder {name[0]}"),
    ],
)
def test_placeholder_conversions_and_specs_are_row_problems(text, problem):
    assert problem_of(one_bad_row(text_sms=text)).startswith(problem)


def test_a_placeholder_holding_the_separator_stays_one_problem():
    plan = tsf.plan(one_bad_row(text_sms="{name; phone}"), campaign="c", now=NOW)
    assert tsf.problems(plan).to_dict("records") == [
        {"row": 1, "column": "text_sms", "rule": "no column for placeholder {name; phone}"}
    ]


def test_number_format_specs_work_on_numeric_text():
    recipients = one_bad_row(amount="1234.5", n="7").assign(amount="1234.5", n="7")
    recipients["text_sms"] = "{amount:.2f} {n:03d} {amount:,.1f} {name!r:>8}"
    plan = tsf.plan(recipients, campaign="hostile", now=NOW)
    assert plan["problem"].isna().all()
    assert plan.loc[1, "text_sms"] == "1234.50 007 1,234.5   'Anna'"


def test_duplicate_column_names_are_a_whole_call_error():
    recipients = pd.concat([one_bad_row(), one_bad_row()[["name"]]], axis=1)
    with pytest.raises(InputError, match="two columns named 'name'"):
        tsf.plan(recipients, campaign="hostile")


def test_missing_phones_get_no_false_repeated_id_problem():
    recipients = pd.DataFrame([GOOD, GOOD | {"phone": None}, GOOD | {"phone": ""}], dtype=object)
    recipients.loc[3] = GOOD | {"phone": "  "}
    plan = tsf.plan(recipients, campaign="hostile", now=NOW)
    assert pd.isna(plan.loc[0, "problem"])
    assert plan["problem"].tolist()[1:] == ["phone: missing"] * 3


def test_problems_keeps_a_value_holding_the_separator_whole():
    plan = tsf.plan(one_bad_row(sender_sms="a; text_sms: b", phone="x; y"), campaign="c", now=NOW)
    found = tsf.problems(plan)
    assert found["column"].tolist() == ["phone", "sender_sms"]
    assert found["rule"].tolist() == [
        "'x; y' is not a phone number",
        "'a; text_sms: b' must be up to 11 Latin characters or up to 15 digits",
    ]


# -- the account's zone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "written"),
    [
        (None, "2026-12-01 10:00"),
        (0, "2026-12-01 10:00"),
        (2, "2026-12-01 12:00"),
        (-1, "2026-12-01 09:00"),
        (ZoneInfo("Asia/Yekaterinburg"), "2026-12-01 12:00"),
        (UTC, "2026-12-01 07:00"),
    ],
)
def test_aware_times_are_converted_to_the_accounts_zone(tz, written):
    recipients = one_bad_row(time_send=pd.Timestamp("2026-12-01 10:00", tz="Europe/Moscow"))
    plan = tsf.plan(recipients, campaign="tz", now=NOW, tz=tz)
    assert plan.loc[1, "time_send"] == written and plan["problem"].isna().all()


def test_naive_times_are_read_and_judged_in_the_accounts_zone():
    # 13:30 Moscow is now; in Yekaterinburg (+2) it is 15:30 there.
    now = datetime(2026, 11, 27, 13, 30, tzinfo=MSK)
    recipients = one_bad_row(time_send="2026-11-27 15:00")
    in_moscow = tsf.plan(recipients, campaign="tz", now=now)
    assert (
        pd.isna(in_moscow.loc[1, "problem"]) and in_moscow.loc[1, "time_send"] == "2026-11-27 15:00"
    )
    ahead = tsf.plan(recipients, campaign="tz", now=now, tz=2)
    assert ahead.loc[1, "problem"] == "time_send: 2026-11-27 15:00 (UTC+05:00 time) is in the past"
    assert ahead.loc[1, "time_send"] == "2026-11-27 15:00"  # kept, so the client id is too
    named = tsf.plan(recipients, campaign="tz", now=now, tz=ZoneInfo("Asia/Yekaterinburg"))
    assert named.loc[1, "problem"].endswith("(Asia/Yekaterinburg time) is in the past")


@pytest.mark.parametrize("tz", ["+2", 2.5, 12, True, "Europe/Moscow"])
def test_a_wrong_zone_is_a_whole_call_error(tz):
    with pytest.raises(InputError, match=r"tz must be a datetime\.tzinfo"):
        tsf.plan(one_bad_row(), campaign="tz", tz=tz)


# -- the property: anything in every column --------------------------------------------------

CELL = st.one_of(
    st.none(),
    st.just(np.nan),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.text(max_size=12),
    st.text(alphabet="{}:!.>0123456789name ;\x00\x1b\ud800", max_size=12),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.sampled_from(["79801234567", "8 980 123-45-67", "+7 980 123 45 67", "1", "2", "0"]),
    st.sampled_from(["{name}", "Hi {name:>5}", "{name!r}", "2030-01-01 10:00", "Shop"]),
)
COLUMNS = ["phone", "name", "client_id_message", "template", *tsf.planning.F.MESSAGE_FIELDS]
HOSTILE = "{}:!.>0123456789name ;\x00\x01\x1b\t\n\ud800\udfff\\"
# VK's templateData: JSON objects whose keys and values hold placeholders and hostile text
# (written raw or as JSON escapes), odd numbers and nesting; and JSON that is not quite.
JSON_TEXT = st.one_of(
    st.sampled_from(["{name}", "Hi {name}", "{phone}", "{nope}", "{{x}}", "{", "{name:>5}"]),
    st.sampled_from(["a\x01b", "\ud800", "x\udfff {name}", "\t\r\n", "\x1b[31m{name}"]),
    st.text(alphabet=HOSTILE, max_size=8),
)
JSON_VALUE = st.one_of(
    JSON_TEXT,
    JSON_TEXT,  # text twice as often: an object with one bad value is refused whole
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([None, True, [1], {"m": "x"}]),
)
JSON_KEY = st.sampled_from(["Name", "N", "a\x01", "\ud800"]) | st.text(alphabet=HOSTILE, max_size=4)
JSON_OBJECT = st.builds(
    lambda data, ascii: json.dumps(data, ensure_ascii=ascii),
    st.dictionaries(JSON_KEY, JSON_VALUE, min_size=1, max_size=3),
    st.booleans(),  # escapes (\ud800, \u0001) or the characters themselves
)
ODD_JSON = st.sampled_from(
    [
        '{"n": 1e999}',
        '{"n": NaN}',
        '{"n": 0.10000000000000000001}',
        '{"n": 1, "n": 2}',
        '{"n": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"n": ' + "9" * 5000 + "}",
        '["{name}"]',
        '{"a\\u0001": "x"}',
        '{"a": "\\udc00{name}"}',
    ]
)
# one_of flattens CELL's eleven branches into its own: pick the kind first, so most cells
# are objects that parse and reach the rendering.
TEMPLATE_DATA = st.sampled_from([JSON_OBJECT] * 6 + [ODD_JSON] * 2 + [CELL]).flatmap(lambda s: s)
ROW = {c: CELL for c in COLUMNS} | {
    "templateData": TEMPLATE_DATA,
    "send_vk": st.sampled_from(["1", "2"]) | CELL,
    "templateId": st.just("100") | CELL,
}


def assert_sendable_template_data(plan: pd.DataFrame) -> None:
    """Every clean row's templateData is a JSON object the provider can read, of text
    that obeys the rules of every text field."""
    for text in plan.loc[plan["problem"].isna(), "templateData"].dropna():
        data = json.loads(text)
        assert isinstance(data, dict)
        json.dumps(data, allow_nan=False)  # raises on inf and NaN
        for key, value in data.items():
            for t in [key, value] if isinstance(value, str) else [key]:
                assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", t)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.fixed_dictionaries({}, optional=ROW), min_size=1, max_size=5),
    st.sampled_from(["object", "mixed"]),
    st.booleans(),
)
def test_plan_never_raises_on_row_data(rows, kind, with_templates):
    columns = ["phone", *sorted({c for r in rows for c in r} - {"phone"})]
    recipients = pd.DataFrame(rows, columns=columns, dtype=object)
    if kind == "mixed":  # pandas' own inference: str, float, datetime and Int64 columns
        # pandas cannot make a lone surrogate str; pandas 2.2 cannot make an integer column
        # of a number beyond int64: the input stays object then, which plan must take too.
        with contextlib.suppress(UnicodeError, OverflowError, TypeError):
            recipients = recipients.infer_objects().convert_dtypes()
    recipients.index = [f"r{i}" for i in range(len(recipients))]
    templates = pd.DataFrame(
        {"template": ["1", "Shop"], "send_sms": ["1", "1"], "sender_sms": "Shop"}
        | {"text_sms": ["{name}", "Hi"], "send_vk": ["2", "0"], "templateId": ["100", None]}
        | {"templateData": ['{"Name": "{name}", "Phone": "+{phone}"}', None]}
    )
    if not with_templates or "template" not in recipients:
        templates = None
    try:
        plan = tsf.plan(recipients, templates, campaign="prop", now=NOW)
    except InputError:
        return  # a whole-call problem, said clearly: allowed
    assert plan.index.equals(recipients.index)
    sendable = plan["problem"].isna()
    assert (sendable | plan["problem"].str.len().gt(0)).all()
    ready = plan[sendable]
    assert ready["phone"].str.fullmatch(r"[0-9]{10,15}").all()
    assert ready["client_id_message"].str.fullmatch(r"[0-9]{1,18}").all()
    assert ready["client_id_message"].is_unique
    assert set(tsf.problems(plan)["row"]) == set(plan.index[~sendable])
    assert_sendable_template_data(plan)
    assert sum(len(b["phones"]) for d in tsf.documents(plan) for b in d["message"]) == len(ready)
