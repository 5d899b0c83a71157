"""Problem texts in Russian: the planner's English rules, translated by pattern.

The planner writes each problem in English ("column: rule"); a Russian reader gets the
same facts in Russian. Column names stay the API's names, since they name the columns
of the user's own spreadsheet. A text with no known pattern is returned unchanged, so a
rule added to the planner later is never lost, only left in English.
"""

from __future__ import annotations

import re

_Q = r"(?P<q>'.*'|\".*\")"  # a value as the planner quotes it (repr)
# (rule pattern, Russian text); named groups are carried over.
_RULES: tuple[tuple[str, str], ...] = (
    (r"missing", "не указан"),
    (rf"{_Q} is not a phone number", "{q} — не номер телефона"),
    (rf"{_Q} has more than (?P<n>\d+) digits", "в {q} больше {n} цифр"),
    (
        rf"{_Q} is not a valid phone number \(region (?P<r>\w+) or international\)",
        "{q} — несуществующий номер (ни в регионе {r}, ни международный)",
    ),
    (
        rf"no template named {_Q} \(templates: (?P<list>.*)\)",
        "нет шаблона {q} (есть шаблоны: {list})",
    ),
    (
        r"unbalanced braces in the text \((?P<e>.*)\), write \{\{ and \}\} for literal braces",
        "непарные фигурные скобки в тексте ({e}), скобку как символ пишите {{{{ или }}}}",
    ),
    (r"no column for placeholder (?P<p>\{.*\})", "нет столбца для подстановки {p}"),
    (r"no value for placeholder (?P<p>\{.*\})", "пустое значение для подстановки {p}"),
    (
        rf"{_Q} is not a cascade position 0-9 \(0 = don't use this channel\)",
        "{q} — не место в каскаде 0-9 (0 — канал не используется)",
    ),
    (
        r"no channel \(set (?P<f>.*) to 1-9\)",
        "нет ни одного канала (задайте {f} числом 1-9)",
    ),
    (r"required when (?P<f>\w+) is set", "обязательно, когда задан {f}"),
    (r"required with (?P<f>\w+)", "обязательно вместе с {f}"),
    (
        r"(?P<n>\d+) characters, at most (?P<m>\d+) allowed",
        "{n} символов, допускается не больше {m}",
    ),
    (
        r"needs a button \(button_text and button_url\)",
        "нужна кнопка (button_text и button_url)",
    ),
    (
        rf"{_Q} is not a whole number of minutes above 0",
        "{q} — не целое число минут больше 0",
    ),
    (rf"{_Q} must be 0 or 1", "{q}: допустимо только 0 или 1"),
    (
        rf"{_Q} must be up to (?P<a>\d+) Latin characters or up to (?P<d>\d+) digits",
        "{q}: допустимо до {a} латинских символов или до {d} цифр",
    ),
    (
        rf"{_Q} is not a time \(write YYYY-MM-DD hh:mm, Moscow time\)",
        "{q} — не время (пишите ГГГГ-ММ-ДД чч:мм, московское время)",
    ),
    (r"(?P<t>.+) \(Moscow time\) is in the past", "{t} (московское время) уже прошло"),
    (
        rf"{_Q} must be a number of 1 to (?P<n>\d+) digits",
        "{q}: нужно число из 1-{n} цифр",
    ),
    (
        r"(?P<id>\d+) is also the id of row (?P<r>.+) \(each message needs its own\)",
        "{id} уже занят строкой {r} (у каждого сообщения свой)",
    ),
    (
        r"duplicate of row (?P<r>.+) \(same phone, same message\)",
        "повтор строки {r} (тот же телефон, то же сообщение)",
    ),
    (r"no phone", "нет телефона"),
)
_COMPILED = tuple((re.compile(rf"^{pattern}$", re.S), text) for pattern, text in _RULES)
_COLUMNS = re.compile(r"^[A-Za-z_][\w]*(?:, [A-Za-z_][\w]*)*$")
_PREFIXES = {"not sent: ": "не отправлено: "}


def _rule(rule: str) -> str | None:
    for pattern, text in _COMPILED:
        match = pattern.match(rule)
        if match:
            return text.format(**match.groupdict())
    return None


def _one(problem: str) -> str:
    column, separator, rule = problem.partition(": ")
    if separator and _COLUMNS.match(column):
        translated = _rule(rule)
        return problem if translated is None else f"{column}: {translated}"
    translated = _rule(problem)
    return problem if translated is None else translated


def translate_problem(text: str, lang: str = "en") -> str:
    """A planner problem ("column: rule", several joined by "; ", or a bare rule) in ``lang``.

    English is the planner's own language and is returned as is. Unknown texts are kept.

    Example:
        >>> translate_problem("text_sms: required when send_sms is set", "ru")
        'text_sms: обязательно, когда задан send_sms'
        >>> translate_problem("'x' is not a phone number", "ru")
        "'x' — не номер телефона"
    """
    if lang == "en" or not isinstance(text, str):
        return text
    if lang != "ru":
        from .labels import check_lang

        check_lang(lang, allow_none=False)
    prefix = ""
    for english, russian in _PREFIXES.items():
        if text.startswith(english):
            prefix, text = russian, text[len(english) :]
    # Parts are translated one by one; an unknown part stays as written, so rejoining is lossless.
    return prefix + "; ".join(_one(part) for part in text.split("; "))
