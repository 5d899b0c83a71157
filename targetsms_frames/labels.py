"""Human names for the API's columns and codes, in Russian or English; problem texts in Russian.

Frames keep the API's names (``send_sms``, ``price_viber``); only what a person reads
(a workbook's headers and cells, a problem text) is labelled. Channels are read from the
column names (``price_<channel>``, ``send_<channel>``...), so a channel added later gets a
readable label without a change here. Pure: no I/O beyond reading the locale.
"""

from __future__ import annotations

import locale
import os
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd

from .problem_texts import translate_problem

LANGS = ("ru", "en")
ZONE_MSK = {"ru": "МСК", "en": "MSK"}
CHANNEL_NAMES = {"viber": "Viber", "sms": "SMS", "whatsapp": "WhatsApp", "vk": "VK"}

# Columns with one fixed label: API name → (Russian, English).
_FIXED: dict[str, tuple[str, str]] = {
    "row": ("Строка", "Row"),
    "column": ("Столбец", "Column"),
    "rule": ("Правило", "Rule"),
    "template": ("Шаблон", "Template"),
    "phone": ("Телефон", "Phone"),
    "name_delivery": ("Рассылка", "Campaign"),
    "time_send": ("Время отправки, МСК", "Send time, MSK"),
    "button_text": ("Текст кнопки", "Button text"),
    "button_url": ("Ссылка кнопки", "Button link"),
    "image_url": ("Картинка", "Image link"),
    "finale_viber_read": ("Viber: только «прочитано»", "Viber: read only"),
    "templateId": ("Шаблон VK", "VK template"),
    "templateData": ("Данные шаблона VK", "VK template data"),
    "client_id_message": ("ID клиента", "Client ID"),
    "sms_encoding": ("Кодировка SMS", "SMS encoding"),
    "sms_parts": ("Частей SMS", "SMS parts"),
    "problem": ("Проблема", "Problem"),
    "id_message": ("ID сообщения", "Message ID"),
    "count_message": ("Частей в 1-м канале", "Parts, first channel"),
    "outcome": ("Отправка", "Send outcome"),
    "error": ("Ошибка", "Error"),
    "time_change_state": ("Время статуса", "Status time"),
    "state": ("Статус", "Status"),
    "num_parts_sms": ("Оплачено частей SMS", "SMS parts charged"),
    "final": ("Окончательный", "Final"),
    "state_error": ("Ошибка статуса", "Status error"),
    "messages": ("Сообщений", "Messages"),
    "delivered": ("Доставлено", "Delivered"),
    "delivery_rate": ("Доля доставленных", "Delivery rate"),
    "money_total": ("Сумма, ₽", "Total, ₽"),
    "cost_per_delivered": ("Цена доставленного, ₽", "Cost per delivered, ₽"),
    "estimate": ("Оценка, ₽", "Estimate, ₽"),
    "over_estimate": ("Сверх оценки, ₽", "Over estimate, ₽"),
    "first_channel": ("Канал 1", "Channel 1"),
    "expected_cost": ("Ожидаемая цена, ₽", "Expected cost, ₽"),
    "worst_cost": ("Наибольшая цена, ₽", "Worst cost, ₽"),
    "cost_note": ("Примечание", "Note"),
}
# Columns named "<prefix>_<channel>": prefix → (Russian, English) with {ch} for the channel.
_PER_CHANNEL: dict[str, tuple[str, str]] = {
    "send": ("Канал {ch}", "{ch} channel"),
    "sender": ("Отправитель {ch}", "{ch} sender"),
    "text": ("Текст {ch}", "{ch} text"),
    "button_text": ("Текст кнопки {ch}", "{ch} button text"),
    "button_url": ("Ссылка кнопки {ch}", "{ch} button link"),
    "image_url": ("Картинка {ch}", "{ch} image link"),
    "validity_period": ("Срок жизни {ch}, мин", "{ch} validity, min"),
    "id": ("ID {ch}", "{ch} ID"),
    "state": ("Статус {ch}", "{ch} status"),
    "price": ("Цена {ch}, ₽", "{ch} price, ₽"),
    "money": ("Сумма {ch}, ₽", "{ch} money, ₽"),
    "delivered": ("Доставлено {ch}", "Delivered {ch}"),
}
_PER_CHANNEL_RE = re.compile(rf"^({'|'.join(sorted(_PER_CHANNEL, key=len, reverse=True))})_(\w+)$")
# Codes in cells: API value → (Russian, English).
STATE_TEXT: dict[str, tuple[str, str]] = {
    "send": ("в процессе", "in progress"),
    "deliver": ("доставлено", "delivered"),
    "not_deliver": ("не доставлено", "not delivered"),
    "expired": ("истёк срок", "expired"),
    "partly_deliver": ("доставлено частично", "partly delivered"),
    "read": ("прочитано", "read"),
    "link": ("переход по ссылке", "link followed"),
    "unsubscribe": ("отписка", "unsubscribed"),
}
OUTCOME_TEXT: dict[str, tuple[str, str]] = {
    "accepted": ("принято", "accepted"),
    "rejected": ("отклонено", "rejected"),
    "held": ("ждёт пополнения счёта", "held until top-up"),
    "invalid": ("не отправлено: ошибка в плане", "not sent: plan problem"),
    "unknown": ("неизвестно: отправьте снова", "unknown: send again"),
}
TOTAL_TEXT = ("Итого", "Total")
NOT_USED = "—"


def _map(
    series: pd.Series, function: Callable[[Any], object], *, text_only: bool = True
) -> pd.Series:
    """``function`` on each text (or each present value), as an object column: any text fits.

    An object column, not Arrow text: a lone surrogate must reach the writer, which makes
    it safe, instead of failing here.
    """
    values = [
        function(v) if isinstance(v, str) or (not text_only and not _missing(v)) else v
        for v in series.astype(object)
    ]
    return pd.Series(values, index=series.index, dtype=object)


def _code(table: dict[str, str], value: str) -> str:
    """A code's text from ``table``; a code it does not know stays as written."""
    return table.get(value, value)


def _put(frame: pd.DataFrame, position: int, series: pd.Series) -> None:
    """Replace the frame's column at ``position`` (its name may repeat) with ``series``.

    The Series as is: an array would be re-inferred (object text would turn into ``str``).
    """
    # pandas takes a Series here (it aligns it on the index); pandas-stubs leave it out.
    frame.isetitem(position, series)  # type: ignore[arg-type]


def _missing(value: Any) -> bool:  # any cell, as pd.isna takes it
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # an array-like value is not missing
        return False


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGS.index(lang)]


def check_lang(lang: str | None, *, allow_none: bool = True) -> None:
    """Raise ``InputError`` unless ``lang`` is "ru", "en" (or None when allowed)."""
    if (lang is None and allow_none) or lang in LANGS:
        return
    from .errors import InputError

    allowed = '"ru", "en" or None' if allow_none else '"ru" or "en"'
    raise InputError(f"labels/lang must be {allowed}, not {lang!r}")


def channel_name(channel: str) -> str:
    """``"whatsapp"`` → ``"WhatsApp"``; an unknown channel keeps its name, capitalised."""
    return CHANNEL_NAMES.get(channel, channel[:1].upper() + channel[1:])


def _channel_of(name: str) -> tuple[str, str] | None:
    match = _PER_CHANNEL_RE.match(name)
    if not match or match.group(2) in ("message", "error", "total", "rate"):
        return None
    return match.group(1), match.group(2)


def column_label(name: str, lang: str) -> str:
    """The human header of an API column; other names are kept.

    Example:
        >>> column_label("price_sms", "ru"), column_label("send_whatsapp", "en")
        ('Цена SMS, ₽', 'WhatsApp channel')
    """
    if name in _FIXED:
        return _pick(_FIXED[name], lang)
    found = _channel_of(name)
    if found:
        return _pick(_PER_CHANNEL[found[0]], lang).format(ch=channel_name(found[1]))
    return name


def ordinal(position: int, lang: str) -> str:
    """Cascade position as a word: 2 → "2-й" (ru), "2nd" (en)."""
    if lang == "ru":
        return f"{position}-й"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(position if position < 20 else position % 10, "th")
    return f"{position}{suffix}"


def cascade_text(value: Any, channel: str, lang: str) -> Any:
    """A ``send_<channel>`` code as text: "2" → "SMS (2-й)", "0" or empty → "—".

    Example:
        >>> cascade_text("2", "sms", "ru"), cascade_text("1", "viber", "en")
        ('SMS (2-й)', 'Viber (1st)')
        >>> cascade_text("0", "sms", "en")
        '—'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text in ("", "0"):
        return NOT_USED
    if len(text) == 1 and text in "123456789":
        return f"{channel_name(channel)} ({ordinal(int(text), lang)})"
    return value  # a bad code stays as written: the plan's problem names it


def zone_label(dtype: object, lang: str) -> str:
    """The zone a datetime column is written in: naive times are Moscow time (the provider's)."""
    tz = getattr(dtype, "tz", None)
    if tz is None:
        return ZONE_MSK[lang]
    if str(tz) in ("Europe/Moscow", "MSK", "UTC+03:00"):
        return ZONE_MSK[lang]
    return str(tz)


def ends_with_total(frame: pd.DataFrame) -> bool:
    """Whether the last row is a total row: its first cell is the text "total".

    Example:
        >>> ends_with_total(pd.DataFrame({"a": ["x", "total"]}))
        True
        >>> ends_with_total(pd.DataFrame({"a": pd.array([1, None], dtype="Int64")}))
        False
    """
    if not len(frame) or not len(frame.columns):
        return False
    first = frame.iloc[-1, 0]
    return isinstance(first, str) and first == "total"  # pd.NA == "total" is NA, not False


def _code_map(table: dict[str, tuple[str, str]], lang: str) -> dict[str, str]:
    return {code: _pick(pair, lang) for code, pair in table.items()}


def label_frame(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A copy of ``frame`` with human headers and readable codes, for a person to read.

    Datetime headers get their zone ("Время статуса, МСК"); ``send_<channel>`` codes read
    "SMS (2-й)"; states and outcomes are words; problem texts are translated; a last row
    named "total" reads "Итого". The caller's frame is not changed.

    Example:
        >>> f = pd.DataFrame({"send_sms": ["2"], "state_sms": ["deliver"]})
        >>> label_frame(f, "ru").to_dict("records")
        [{'Канал SMS': 'SMS (2-й)', 'Статус SMS': 'доставлено'}]
    """
    check_lang(lang, allow_none=False)
    out = frame.copy()
    states, outcomes = _code_map(STATE_TEXT, lang), _code_map(OUTCOME_TEXT, lang)
    headers: list[str] = []
    for position, name in enumerate(map(str, frame.columns)):
        series = out.iloc[:, position]
        found = _channel_of(name)
        if found and found[0] == "send":
            channel = found[1]
            series = _map(
                series, partial(cascade_text, channel=channel, lang=lang), text_only=False
            )
        elif name == "state" or (found and found[0] == "state") or name == "outcome":
            table = outcomes if name == "outcome" else states
            series = _map(series, partial(_code, table))
        elif name == "first_channel":
            series = _map(series, channel_name)
        elif name == "column":  # the problems() frame names API columns
            series = _map(series, lambda v: _column_list(v, lang))
        elif name in ("problem", "rule", "cost_note", "error") and lang == "ru":
            series = _map(series, lambda v: translate_problem(v, lang))
        _put(out, position, series)
        header = column_label(name, lang)
        if pd.api.types.is_datetime64_any_dtype(frame.iloc[:, position]):
            header = f"{header}, {zone_label(frame.iloc[:, position].dtype, lang)}"
        while header in headers:  # two API names never share a header
            header += " "
        headers.append(header)
    out.columns = headers
    if ends_with_total(out):
        out.iloc[-1, 0] = _pick(TOTAL_TEXT, lang)
    return out


def _column_list(text: str, lang: str) -> str:
    return ", ".join(column_label(part.strip(), lang) for part in text.split(","))


def unlabel(frame: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`label_frame` for a sheet read back: API names and codes again.

    Use it on ``read_table`` of a labelled workbook (e.g. the ``sent`` sheet before
    ``fetch_states``). Headers and codes it does not know are kept.

    Example:
        >>> f = pd.DataFrame({"ID сообщения": ["7"], "Канал SMS": ["SMS (2-й)"]})
        >>> unlabel(f).to_dict("records")
        [{'id_message': '7', 'send_sms': '2'}]
    """
    names: dict[str, str] = {}
    for lang in LANGS:
        names.update({_pick(pair, lang): api for api, pair in _FIXED.items()})
        for prefix, pair in _PER_CHANNEL.items():
            for channel, shown in CHANNEL_NAMES.items():
                names[_pick(pair, lang).format(ch=shown)] = f"{prefix}_{channel}"
    codes: dict[str, str] = {}
    for table in (STATE_TEXT, OUTCOME_TEXT):
        for code, pair in table.items():
            codes.update({pair[0]: code, pair[1]: code})
    cascade = re.compile(r"^\w+ \(([1-9])(?:-й|st|nd|rd|th)\)$")
    out = frame.copy()
    columns = []
    for position, header in enumerate(map(str, frame.columns)):
        base = header.rstrip()  # a repeated header was made unique with trailing spaces
        if base not in names:  # a datetime header ends with its zone: "Время статуса, МСК"
            base = base.rsplit(", ", 1)[0]
        api = names.get(base, header)
        series = out.iloc[:, position]
        if api.startswith("send_"):
            series = _map(
                series,
                lambda v: "0" if v == NOT_USED else (m.group(1) if (m := cascade.match(v)) else v),
            )
        elif api in ("state", "outcome") or api.startswith("state_"):
            series = _map(series, lambda v: codes.get(v, v))
        _put(out, position, series)
        columns.append(api)
    out.columns = columns
    return out


def default_labels() -> str | None:
    """``"ru"`` when the system locale is Russian, else None (the API's names).

    For the command line: a Russian marketer's workbooks read in Russian by default.
    Reads ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` and ``LANGUAGE``, then the C library's
    locale.
    """
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable)
        if value:
            return "ru" if value.lower().startswith("ru") else None
    try:
        current = locale.getlocale()[0] or ""
    except ValueError:
        current = ""
    return "ru" if current.lower().startswith("ru") else None


def default_lang() -> str:
    """``"ru"`` when the system locale is Russian, else ``"en"``: for problem texts."""
    return default_labels() or "en"


__all__ = [
    "cascade_text",
    "channel_name",
    "column_label",
    "default_labels",
    "default_lang",
    "label_frame",
    "translate_problem",
    "unlabel",
]
