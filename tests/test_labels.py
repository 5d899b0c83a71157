"""Human labels and Russian problem texts: names for people, API names for code."""

from __future__ import annotations

import pandas as pd
import pytest

import targetsms_frames as tsf
from targetsms_frames.labels import (
    cascade_text,
    column_label,
    default_labels,
    default_lang,
    label_frame,
    translate_problem,
    unlabel,
)

FUTURE = "2099-01-01 10:00"


def every_kind_of_problem() -> pd.DataFrame:
    """A plan whose rows break every rule the planner checks, one rule or more per row."""
    base = {
        "phone": "79801234567",
        "send_viber": "1",
        "send_sms": "2",
        "sender_viber": "Shop",
        "text_viber": "Hi {name}",
        "sender_sms": "Shop",
        "text_sms": "Hi",
        "name": "Анна",
    }
    rows = [
        {"phone": None},
        {"phone": "call me"},
        {"phone": "7" * 16},
        {"phone": "70000000000"},
        {"template": "nope"},
        {"text_viber": "Hi {"},
        {"text_viber": "Hi {nothing}"},
        {"name": ""},
        {"send_viber": "x"},
        {"send_viber": "0", "send_sms": "0"},
        {"text_sms": None, "sender_viber": None},
        {"text_viber": "x" * 1001},
        {"button_text": "x" * 20},
        {"button_url": "https://example.org"},
        {"image_url": "https://example.org/i.png"},
        {"validity_period_viber": "soon"},
        {"finale_viber_read": "2"},
        {"sender_sms": "Кириллица"},
        {"time_send": "tomorrow"},
        {"time_send": "2001-01-01 10:00"},
        {"client_id_message": "12ab"},
        {"phone": "79801234568", "client_id_message": "77"},
        {"phone": "79801234569", "client_id_message": "77"},
        {},
        {},  # a duplicate of the row before
    ]
    frame = pd.DataFrame([{**base, "template": "t", **row} for row in rows])
    templates = pd.DataFrame({"template": ["t"]})
    return tsf.plan(frame, templates, campaign="labels")


def test_every_planner_problem_reads_in_russian():
    problems = tsf.problems(every_kind_of_problem())
    assert len(problems) >= 22
    english = ("required", "is not", "must be", "missing", "no ", "duplicate", "characters")
    for text in problems["rule"]:
        russian = translate_problem(text, "ru")
        assert russian != text, text
        assert not any(word in russian for word in english), (text, russian)
    whole = every_kind_of_problem()["problem"].dropna()
    for text in whole:  # "column: rule; column: rule" as the plan's problem column holds it
        russian = translate_problem(text, "ru")
        assert russian.count("; ") == text.count("; ")
        assert [p.split(": ")[0] for p in russian.split("; ")] == [
            p.split(": ")[0] for p in text.split("; ")
        ]


def test_translation_examples_and_what_it_leaves_alone():
    assert translate_problem("phone: 'x' is not a phone number", "ru") == (
        "phone: 'x' — не номер телефона"
    )
    assert translate_problem("not sent: text_sms: required when send_sms is set", "ru") == (
        "не отправлено: text_sms: обязательно, когда задан send_sms"
    )
    provider = "Номер телефона присутствует в стоп-листе."
    assert translate_problem(provider, "ru") == provider
    new_rule = "text_sms: a rule written after this table"
    assert translate_problem(new_rule, "ru") == new_rule  # kept, in English, never lost
    assert translate_problem("phone: missing", "en") == "phone: missing"
    with pytest.raises(tsf.errors.InputError, match="must be"):
        translate_problem("phone: missing", "de")


def test_column_labels_come_from_the_channel_in_the_name():
    assert column_label("price_whatsapp", "ru") == "Цена WhatsApp, ₽"
    assert column_label("state_vk", "en") == "VK status"
    assert column_label("id_message", "ru") == "ID сообщения"  # not a channel called "message"
    assert column_label("my_own_column", "ru") == "my_own_column"
    assert cascade_text("3", "vk", "en") == "VK (3rd)"
    assert cascade_text(2, "sms", "ru") == "SMS (2-й)"
    assert cascade_text("x", "sms", "ru") == "x"  # a bad code stays: its problem names it


def test_label_frame_never_changes_the_callers_frame():
    frame = pd.DataFrame({"send_sms": ["1", "0"], "outcome": ["accepted", "invalid"]})
    before = frame.copy()
    shown = label_frame(frame, "ru")
    assert shown.to_dict("list") == {
        "Канал SMS": ["SMS (1-й)", "—"],
        "Отправка": ["принято", "не отправлено: ошибка в плане"],
    }
    pd.testing.assert_frame_equal(frame, before)
    assert unlabel(shown).to_dict("list") == before.to_dict("list")


@pytest.mark.parametrize(
    ("env", "labels", "lang"),
    [
        ({"LC_ALL": "ru_RU.UTF-8"}, "ru", "ru"),
        ({"LANG": "ru_RU.UTF-8"}, "ru", "ru"),
        ({"LANG": "en_US.UTF-8"}, None, "en"),
        ({"LC_ALL": "C.UTF-8", "LANG": "ru_RU.UTF-8"}, None, "en"),  # LC_ALL wins
        ({}, None, "en"),
    ],
)
def test_default_labels_follow_the_system_locale(monkeypatch, env, labels, lang):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("locale.getlocale", lambda *a: (None, None))
    assert default_labels() == labels and default_lang() == lang


def test_no_translation_holds_the_separator_problems_split_on():
    from targetsms_frames.problem_texts import _RULES

    assert not [russian for _, russian in _RULES if "; " in russian]
