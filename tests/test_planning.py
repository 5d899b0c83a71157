"""plan(): templates, placeholders, phones, every rule as a row problem, client ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

import targetsms_frames as tsf
from targetsms_frames.errors import InputError
from targetsms_frames.planning import MAX_CLIENT_ID, PLAN_COLUMNS

MSK = timezone(timedelta(hours=3))
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=MSK)

GOOD = {
    "send_viber": "1",
    "send_sms": "2",
    "sender_viber": "Shop",
    "text_viber": "Привет, {name}!",
    "sender_sms": "Shop",
    "text_sms": "{name}, скидка 10%",
}


def frame(*rows: dict, **columns) -> pd.DataFrame:
    return pd.DataFrame([GOOD | {"name": "Anna"} | columns | row for row in rows])


# -- the catalogue of bad input: (row overrides, the exact problem) ----------------------

LONG = "x" * 1001
BAD_ROWS = [
    ({"phone": "call me"}, "phone: 'call me' is not a phone number"),
    ({"phone": None}, "phone: missing"),
    ({"phone": "1234567890123456"}, "phone: '1234567890123456' has more than 15 digits"),
    ({"phone": "12345"}, "phone: '12345' is not a valid phone number (region RU or international)"),
    (
        {"phone": "+1 000 000"},
        "phone: '+1 000 000' is not a valid phone number (region RU or international)",
    ),
    (
        {"send_viber": "10"},
        "send_viber: '10' is not a cascade position 0-9 (0 = don't use this channel)",
    ),
    ({"send_sms": "x"}, "send_sms: 'x' is not a cascade position 0-9 (0 = don't use this channel)"),
    (
        {"send_viber": "0", "send_sms": "0"},
        "send_viber, send_whatsapp, send_sms, send_vk: no channel "
        "(set send_viber, send_whatsapp, send_sms and/or send_vk to 1-9)",
    ),
    ({"text_sms": None}, "text_sms: required when send_sms is set"),
    ({"sender_sms": None}, "sender_sms: required when send_sms is set"),
    (
        {"sender_sms": "TwelveLetter"},
        "sender_sms: 'TwelveLetter' must be up to 11 Latin characters or up to 15 digits",
    ),
    (
        {"sender_sms": "Магазин"},
        "sender_sms: 'Магазин' must be up to 11 Latin characters or up to 15 digits",
    ),
    (
        {"sender_sms": "1" * 16},
        f"sender_sms: '{'1' * 16}' must be up to 11 Latin characters or up to 15 digits",
    ),
    ({"text_viber": None}, "text_viber: required when send_viber is set"),
    ({"sender_viber": None}, "sender_viber: required when send_viber is set"),
    ({"text_viber": LONG}, "text_viber: 1001 characters, at most 1000 allowed"),
    ({"text_viber": "{name}" + "x" * 997}, "text_viber: 1001 characters, at most 1000 allowed"),
    (
        {"button_text": "x" * 20, "button_url": "https://a.ru"},
        "button_text: 20 characters, at most 19 allowed",
    ),
    ({"button_text": "Go"}, "button_url: required with button_text"),
    ({"button_url": "https://a.ru"}, "button_text: required with button_url"),
    ({"image_url": "https://a.ru/i.png"}, "image_url: needs a button (button_text and button_url)"),
    (
        {"validity_period_viber": "0"},
        "validity_period_viber: '0' is not a whole number of minutes above 0",
    ),
    (
        {"validity_period_viber": "1.5"},
        "validity_period_viber: '1.5' is not a whole number of minutes above 0",
    ),
    (
        {"validity_period_viber": "hour"},
        "validity_period_viber: 'hour' is not a whole number of minutes above 0",
    ),
    ({"finale_viber_read": "2"}, "finale_viber_read: '2' must be 0 or 1"),
    (
        {"time_send": "yesterday"},
        "time_send: 'yesterday' is not a time (write YYYY-MM-DD hh:mm, Moscow time)",
    ),
    (
        {"time_send": "2026-02-30 10:00"},
        "time_send: '2026-02-30 10:00' is not a time (write YYYY-MM-DD hh:mm, Moscow time)",
    ),
    ({"time_send": "2020-01-01 10:00"}, "time_send: 2020-01-01 10:00 (Moscow time) is in the past"),
    (
        {"name": None, "text_viber": "Hi", "text_sms": "{name}"},
        "text_sms: no value for placeholder {name}",
    ),
    ({"text_sms": "Hi {surname}"}, "text_sms: no column for placeholder {surname}"),
    (
        {"text_sms": "Hi {name"},
        "text_sms: unbalanced braces in the text (expected '}' before end of string), write {{ and }} for literal braces",
    ),
    ({"client_id_message": "abc"}, "client_id_message: 'abc' must be a number of 1 to 18 digits"),
    (
        {"client_id_message": "1" * 19},
        f"client_id_message: '{'1' * 19}' must be a number of 1 to 18 digits",
    ),
]


@pytest.mark.parametrize(
    ("bad", "problem"),
    BAD_ROWS,
    ids=[p.split(":")[0] + "-" + str(i) for i, (_, p) in enumerate(BAD_ROWS)],
)
def test_bad_row_gets_its_exact_problem_and_is_never_sent(bad, problem):
    recipients = frame(
        {"phone": "79801234567"}, {"phone": "79801234568"} | bad, {"phone": "79801234569"}
    )
    plan = tsf.plan(recipients, campaign="catalogue", now=NOW)
    assert plan["problem"].isna().tolist() == [True, False, True]
    assert plan.loc[1, "problem"] == problem
    assert tsf.problems(plan)["row"].tolist() == [1]
    with tsf.sandbox() as sb:
        sent = tsf.send(plan, sb.client(), progress=False)
        ledger = sb.ledger
    assert sent["outcome"].tolist() == ["accepted", "invalid", "accepted"]
    assert sent.loc[1, "error"] == problem and pd.isna(sent.loc[1, "id_message"])
    assert plan.loc[1, "client_id_message"] not in ledger.submitted
    assert set(ledger.phones) == {"79801234567", "79801234569"}


def test_duplicate_row_is_a_problem_on_the_second_row_only():
    recipients = frame({"phone": "79801234567"}, {"phone": "8 980 123-45-67"}, index=None)
    recipients.index = ["a", "b"]
    plan = tsf.plan(recipients, campaign="c", now=NOW)
    assert pd.isna(plan.loc["a", "problem"])
    assert plan.loc["b", "problem"] == "phone: duplicate of row 'a' (same phone, same message)"


def test_same_phone_with_other_content_is_not_a_duplicate():
    plan = tsf.plan(
        frame({"phone": "79801234567"}, {"phone": "79801234567", "name": "Boris"}), campaign="c"
    )
    assert plan["problem"].isna().all()
    assert plan["client_id_message"].nunique() == 2


def test_a_users_repeated_client_id_is_a_problem():
    recipients = frame(
        {"phone": "79801234567", "client_id_message": "42"},
        {"phone": "79801234568", "client_id_message": 42.0},
    )
    plan = tsf.plan(recipients, campaign="c")
    assert (
        plan.loc[1, "problem"]
        == "client_id_message: 42 is also the id of row 0 (each message needs its own)"
    )


def test_unknown_and_missing_template_names():
    recipients = pd.DataFrame(
        {
            "phone": ["79801234567", "79801234568", "79801234569"],
            "template": ["promo", "promo2", None],
            "name": "Anna",
        }
    )
    templates = pd.DataFrame([{"template": "promo", **GOOD}])
    plan = tsf.plan(recipients, templates, campaign="c")
    assert plan["problem"].tolist()[1:] == [
        "template: no template named 'promo2' (templates: promo)",
        "template: missing",
    ]
    assert pd.isna(plan.loc[0, "problem"])


@pytest.mark.parametrize(
    ("recipients", "templates", "campaign", "message"),
    [
        (
            pd.DataFrame({"tel": ["79801234567"]}),
            None,
            "c",
            "recipients has no 'phone' column (it has: tel)",
        ),
        (frame({"phone": "79801234567"}), None, "", "campaign is required"),
        (frame({"phone": "79801234567"}), None, None, "campaign is required"),
        ([{"phone": "79801234567"}], None, "c", "recipients must be a pandas DataFrame, not list"),
        (
            frame({"phone": "79801234567"}),
            pd.DataFrame([{"template": "a", **GOOD}]),
            "c",
            "recipients has no 'template' column",
        ),
        (
            frame({"phone": "79801234567"}, template="a"),
            pd.DataFrame([{"template": "a", "text_smss": "x"}]),
            "c",
            "templates has columns that are not message fields: text_smss",
        ),
        (
            frame({"phone": "79801234567"}, template="a"),
            pd.DataFrame([{"send_sms": "1"}]),
            "c",
            "templates has no 'template' column",
        ),
        (
            frame({"phone": "79801234567"}, template="a"),
            pd.DataFrame([{"template": "a", **GOOD}, {"template": "a", **GOOD}]),
            "c",
            "templates defines 'a' twice",
        ),
        (
            frame({"phone": "79801234567"}, {"phone": "79801234568"}).set_axis([7, 7]),
            None,
            "c",
            "recipients' index repeats the label 7",
        ),
    ],
)
def test_problems_with_the_whole_call_raise_input_error(recipients, templates, campaign, message):
    with pytest.raises(InputError) as caught:
        tsf.plan(recipients, templates, campaign=campaign)
    assert str(caught.value).startswith(message)


# -- what a good plan looks like -------------------------------------------------------


def test_templates_placeholders_and_per_row_overrides():
    recipients = pd.DataFrame(
        {
            "phone": ["79801234567", "79801234568", "79801234569"],
            "template": ["ru", "en", "ru"],
            "name": ["Анна", "John", "Олег"],
            "code": [1234, 5678, 9012],
            "text_sms": [None, None, "Личное: {name}"],
        }
    )
    templates = pd.DataFrame(
        {
            "template": ["ru", "en"],
            "send_sms": ["1", 1],
            "sender_sms": ["Shop", "Shop"],
            "text_sms": ["{name}, код {code} {{не скобка}}", "{name}, code {code:>6}"],
        }
    )
    before = recipients.copy(deep=True), templates.copy(deep=True)
    plan = tsf.plan(recipients, templates, campaign="c")
    assert plan["text_sms"].tolist() == [
        "Анна, код 1234 {не скобка}",
        "John, code   5678",
        "Личное: Олег",
    ]
    assert plan["send_sms"].tolist() == ["1", "1", "1"]
    assert plan["name_delivery"].tolist() == ["c", "c", "c"]  # the campaign, by default
    assert plan["problem"].isna().all()
    pd.testing.assert_frame_equal(recipients, before[0])
    pd.testing.assert_frame_equal(templates, before[1])


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("8 (980) 123-45-67", "79801234567"),
        ("+7 980 123 45 67", "79801234567"),
        ("9801234567", "79801234567"),
        (79801234567.0, "79801234567"),
        ("79801234567.0", "79801234567"),
        ("380442589632", "380442589632"),
        ("+380 44 258 96 32", "380442589632"),
        ("8.980.123.45.67", "79801234567"),
        ("7.9801234567E+10", "79801234567"),
        (79801234567, "79801234567"),
    ],
)
def test_phones_become_international_digits(raw, digits):
    plan = tsf.plan(
        pd.DataFrame({"phone": [raw], **{k: [v] for k, v in GOOD.items()}, "name": ["A"]}),
        campaign="c",
    )
    assert plan.loc[0, "phone"] == digits and pd.isna(plan.loc[0, "problem"])


def test_phones_of_another_default_region():
    plan = tsf.plan(frame({"phone": "044 258 96 32"}), campaign="c", region="UA")
    assert plan.loc[0, "phone"] == "380442589632"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("2026-12-01 10:00", "2026-12-01 10:00"),
        ("2026-12-01 10:00:59", "2026-12-01 10:00"),
        ("01.12.2026 10:00", "2026-12-01 10:00"),
        (datetime(2026, 12, 1, 10, 0), "2026-12-01 10:00"),
        (datetime(2026, 12, 1, 7, 0, tzinfo=UTC), "2026-12-01 10:00"),
        (pd.Timestamp("2026-12-01 09:00", tz="Europe/Berlin"), "2026-12-01 11:00"),
        ("2026-12-01T07:00:00+00:00", "2026-12-01 10:00"),
        (46357.4166666667, "2026-12-01 10:00"),  # an Excel serial date
    ],
)
def test_time_send_forms(value, written):
    plan = tsf.plan(frame({"phone": "79801234567", "time_send": value}), campaign="c", now=NOW)
    assert plan.loc[0, "time_send"] == written and pd.isna(plan.loc[0, "problem"])


def test_sms_encoding_and_parts():
    plan = tsf.plan(
        frame(
            {"phone": "79801234567", "text_sms": "a" * 161},
            {"phone": "79801234568", "text_sms": "Ы" * 70},
            {"phone": "79801234569", "send_sms": "0"},
        ),
        campaign="c",
    )
    assert plan["sms_encoding"].tolist()[:2] == ["GSM-7", "UCS-2"]
    assert plan["sms_parts"].tolist()[:2] == [2, 1]
    assert pd.isna(plan.loc[2, "sms_parts"]) and pd.isna(plan.loc[2, "sms_encoding"])
    assert str(plan["sms_parts"].dtype) == "Int64"


def test_client_ids_are_stable_per_campaign_and_content():
    recipients = frame({"phone": "79801234567"}, {"phone": "79801234568"})
    one = tsf.plan(recipients, campaign="spring")["client_id_message"]
    again = tsf.plan(recipients.copy(), campaign="spring")["client_id_message"]
    other = tsf.plan(recipients, campaign="autumn")["client_id_message"]
    changed = tsf.plan(recipients.assign(name="Boris"), campaign="spring")["client_id_message"]
    assert one.tolist() == again.tolist()
    assert set(one).isdisjoint(other) and set(one).isdisjoint(changed)
    assert all(v.isdigit() and 1 <= int(v) <= MAX_CLIENT_ID for v in one)


def test_a_users_own_ids_win():
    recipients = frame(
        {"phone": "79801234567", "client_id_message": "777"}, {"phone": "79801234568"}
    )
    plan = tsf.plan(recipients, campaign="c")
    assert plan.loc[0, "client_id_message"] == "777"
    assert plan.loc[1, "client_id_message"] != "777" and plan.loc[1, "client_id_message"].isdigit()


def test_plan_contract():
    recipients = frame({"phone": "79801234567"}, {"phone": "bad"})
    recipients.index = pd.Index(["r1", "r2"], name="who")
    plan = tsf.plan(recipients, campaign="c")
    assert list(plan.columns) == list(PLAN_COLUMNS)
    assert plan.index.equals(recipients.index)
    for column in PLAN_COLUMNS:
        if column != "sms_parts":
            assert pd.api.types.is_string_dtype(plan[column]), column
    empty = tsf.plan(recipients.iloc[:0], campaign="c")
    assert len(empty) == 0 and list(empty.columns) == list(PLAN_COLUMNS)


def test_derived_ids_never_change_between_versions():
    # A re-run after upgrading must reuse the ids of the first run, or it would send
    # twice: the derivation (content key, keyed hash, modulo 2**53 - 1, plus 1) is
    # part of the contract, pinned here. It changed once, before 1.0, from BLAKE2b
    # ("4687503495447257", see tests/test_client_id_derivation.py) to content_hash's,
    # and a journal of the old ids refuses plans of the new (same file).
    recipients = pd.DataFrame(
        {"phone": ["79801234567"], "send_sms": ["1"], "sender_sms": ["Shop"], "text_sms": ["Hello"]}
    )
    plan = tsf.plan(recipients, campaign="spring-2026")
    key = "\x1f".join(
        ["79801234567", "0", "1", "spring-2026", "", "", "", "", "", "", "", "", "Shop", "Hello"]
    )
    from targetsms_frames.planning import derive_client_ids

    assert plan.loc[0, "client_id_message"] == derive_client_ids("spring-2026", [key])[0]
    assert derive_client_ids("spring-2026", [key]) == ["6600772269376944"]


def test_cells_keep_their_text_and_blank_text_is_missing():
    recipients = pd.DataFrame(
        {
            "phone": pd.Series(["79801234567", "79801234568", "79801234569"], dtype=object),
            "send_sms": pd.Series([1, 1.0, "1"], dtype=object),  # as Excel and people type it
            "sender_sms": "Shop",
            "text_sms": pd.Series(["1e5", " Code 10.0 ", "   "], dtype=object),
        }
    )
    plan = tsf.plan(recipients, campaign="cells")
    assert plan["send_sms"].tolist() == ["1", "1", "1"]
    assert plan["text_sms"].tolist()[:2] == ["1e5", " Code 10.0 "]
    assert plan["problem"].isna().tolist()[:2] == [True, True]
    assert plan.loc[2, "problem"] == "text_sms: required when send_sms is set"
