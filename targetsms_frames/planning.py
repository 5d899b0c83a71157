"""Recipients + templates → the plan frame: one validated row per recipient.

Nothing is sent here and nothing is dropped: a row that breaks a rule keeps its
place with the reason in ``problem`` ("column: rule"), and :func:`problems`
lists them as a frame naming the row, the column and the rule.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import fields as F
from ._columns import Coded as _Coded
from ._columns import Problems as _Problems
from ._columns import arrow_of as _arrow_of
from ._columns import blank as _blank
from ._columns import coded_texts as _coded_texts
from ._columns import per_value as _per_value
from ._columns import split_problems
from ._columns import texts as _texts
from ._speed import factorized, gc_paused, text_series
from .arrow_compat import if_else
from .arrow_pool import system_pool
from .cells import (
    ARROW_CONTROL_RE,
    control_problem,
    surrogate_problem,
    without_surrogates,
)
from .checks import check_frame
from .client_ids import MAX_CLIENT_ID as MAX_CLIENT_ID  # re-exported
from .client_ids import client_ids as _client_ids
from .client_ids import content_keys as content_keys  # re-exported
from .client_ids import derive_client_ids as derive_client_ids  # re-exported
from .client_ids import row_digests as _row_digests
from .content_hash import ATTR as DERIVATION_ATTR
from .content_hash import named
from .contracts import PLAN_COLUMNS as _PLAN_COLUMNS
from .errors import InputError
from .field_rules import channel_orders as _channel_orders
from .field_rules import check_fields as _check_fields
from .heap import keep_big_blocks
from .phones import normalize_phone_column
from .problem_texts import translate_problem
from .rendering import render as _render
from .seen import Seen
from .segments import sms_parts_arrays
from .template_data import render_template_data
from .times import account_zone, time_send_column

PLAN_COLUMNS: tuple[str, ...] = _PLAN_COLUMNS  # the plan frame's contract (contracts.py)


def _check_call(recipients, templates, campaign) -> None:
    check_frame(recipients, "recipients")
    if "phone" not in recipients.columns:
        raise InputError(
            f"recipients has no 'phone' column (it has: {', '.join(map(str, recipients.columns))})"
        )
    if not isinstance(campaign, str) or not campaign.strip():
        raise InputError(
            "campaign is required: a key such as 'black-friday-2026' that keeps the client ids "
            "of this campaign the same on every run (and different from other campaigns)"
        )
    if templates is None:
        return
    check_frame(templates, "templates", labels=False)
    if "template" not in templates.columns:
        raise InputError("templates has no 'template' column naming each template")
    if "template" not in recipients.columns:
        raise InputError("recipients has no 'template' column saying which template each row uses")
    # Other template columns (a "comment") are the user's notes, never sent; a name one
    # typo away from a message field ("text_smss") is a mistake that would lose the field.
    typos = [
        f"{c} (did you mean {close[0]}?)"
        for c in map(str, templates.columns)
        if c != "template" and c not in F.MESSAGE_FIELDS
        for close in [difflib.get_close_matches(c, F.MESSAGE_FIELDS, 1, 0.85)]
        if close
    ]
    if typos:
        raise InputError(f"templates has columns that are not message fields: {', '.join(typos)}")
    names = pd.Series(_texts(templates["template"]), dtype=object)
    if names.isna().any():
        raise InputError("templates has a row without a template name")
    if names.duplicated().any():
        raise InputError(f"templates defines {names[names.duplicated()].iloc[0]!r} twice")


def _assemble(recipients, templates, problems: _Problems, campaign: str) -> tuple[dict, np.ndarray]:
    """The raw message fields of every row: the template's, overridden by the row's own.

    Each field is coded (see :class:`Coded`): a template field's codes are the row's
    template. Also returns where the row's template is unknown or missing.
    """
    n = len(recipients)
    values = {f: _Coded.empty(n) for f in F.MESSAGE_FIELDS}
    missing = np.zeros(n, dtype=bool)
    if templates is not None:
        names = _coded_texts(recipients["template"])
        # Names are matched as text Arrow can hold (a lone surrogate matches nothing).
        own_names = pd.Series(_texts(templates["template"]), dtype=object)
        table = templates.set_axis(own_names.map(_printable_text).tolist(), axis=0)
        known = pd.Index(table.index)
        printable = _per_value(names, _printable_text)
        positions = known.get_indexer(printable.table())[printable.codes]
        missing = positions < 0
        problems.add(
            missing,
            lambda i: (
                f"template: no template named {names[i]!r} "
                f"(templates: {', '.join(map(str, known))})"
                if names[i] is not None
                else "template: missing"
            ),
        )
        for field in F.MESSAGE_FIELDS:
            if field in table.columns:
                values[field] = _Coded(positions, _texts(table[field]))
    for field in F.MESSAGE_FIELDS:
        if field in recipients.columns:
            own = _coded_texts(recipients[field])
            values[field] = own.where(~_blank(own), values[field])
    values["name_delivery"] = _per_value(values["name_delivery"], lambda v: v or campaign)
    return values, missing


def _printable_text(value: str | None) -> str | None:
    """A text that Arrow can hold (lone surrogates replaced; the row has a problem)."""
    return without_surrogates(value) if value else value


def _refuse_surrogates(values, recipients, templates, problems: _Problems) -> None:
    """Message fields holding lone surrogates: a row problem, and made storable.

    Only Python text can hold them (Arrow cannot), so only fields that came from an
    object column, or from a template cell that has one, are looked at.
    """
    for field in F.MESSAGE_FIELDS:
        own = field in recipients.columns and _arrow_of(recipients[field]) is None
        shared = templates is not None and field in templates.columns
        if shared and not own:
            cells = templates[field].to_numpy(dtype=object)
            shared = any(isinstance(c, str) and surrogate_problem(c) for c in cells)
        if not (own or shared):
            continue
        reason = _per_value(values[field], lambda v: surrogate_problem(v) if v else None)
        bad = ~_blank(reason)
        if bad.any():
            problems.add(bad, lambda i, field=field, reason=reason: f"{field}: {reason[i]}")
            values[field] = _per_value(values[field], _printable_text)


def _refuse_controls(columns: dict[str, pa.Array], coded: dict, problems: _Problems) -> None:
    """Text fields holding control characters (other than tab and line breaks).

    ``coded``: the fields whose column is a :class:`Coded` one, checked once per text.
    """
    for field in F.TEXT_FIELDS:
        if field in coded:
            reason = _per_value(coded[field], lambda v: control_problem(v) if v else None)
            hits = ~_blank(reason)
            problems.add(hits, lambda i, field=field, r=reason: f"{field}: {r[i]}")
            continue
        column = columns[field]
        # UTF-8 puts bytes below 0x20 only for those characters: one NumPy pass over the
        # text buffer clears a whole column (a rare hit is then found row by row).
        data = column.buffers()[2]
        if data is not None:
            raw = np.frombuffer(data, dtype=np.uint8)
            if not len(raw) or raw.min() >= 0x20:
                continue
            if not ((raw < 0x20) & (raw != 0x09) & (raw != 0x0A) & (raw != 0x0D)).any():
                continue
        hits = np.asarray(
            pc.fill_null(pc.match_substring_regex(column, ARROW_CONTROL_RE), False), dtype=bool
        )
        if hits.any():
            found = column.filter(pa.array(hits)).to_pylist()
            reasons = dict(zip(np.flatnonzero(hits).tolist(), found, strict=True))
            problems.add(
                hits, lambda i, field=field, r=reasons: f"{field}: {control_problem(r[i])}"
            )


def _sms_parts(
    texts, rendered: pa.Array | None, sms: np.ndarray, wide: np.ndarray | None = None
) -> tuple[pa.Array, pa.Array]:
    """Encoding and parts of each row's SMS text (none where SMS is not used).

    ``wide``: for ``rendered``, whether each text holds a character beyond GSM 03.38.
    """
    if rendered is not None:
        # Where every row uses SMS (the usual campaign), no copy of the texts is needed.
        return sms_parts_arrays(
            rendered if sms.all() else if_else(pa.array(sms), rendered, _NO_TEXT), wide
        )
    keep = sms & ~_blank(texts)
    if isinstance(texts, _Coded):  # counted once per distinct text
        codes = np.where(keep, texts.codes, -1)
        encodings, parts = sms_parts_arrays(pa.array(texts.uniques, pa.large_string()))
        take = pa.array(codes, mask=codes < 0)
        return encodings.take(take), parts.take(take)
    return sms_parts_arrays(pa.array(np.where(keep, texts, None), pa.large_string()))


_NO_TEXT = pa.scalar(None, pa.large_string())


def _arrow_text(values, few_distinct: bool, taken: dict | None = None) -> pa.Array:
    """A column as Arrow text; a repetitive one via its distinct values.

    ``taken``: Arrow codes of :class:`Coded` columns made so far, by ``id`` of their
    NumPy codes (kept alive by the caller), shared by the columns with the same codes.
    """
    if isinstance(values, _Coded):
        if taken is None:
            return values.arrow()
        codes = values.codes
        if id(codes) not in taken:
            taken[id(codes)] = pa.array(codes, mask=codes < 0)
        return values.arrow(taken[id(codes)])
    if few_distinct:
        codes, uniques = factorized(values)
        dictionary = pa.array(np.asarray(uniques, dtype=object), pa.large_string())
        return dictionary.take(pa.array(codes, mask=codes < 0))
    return pa.array(values, pa.large_string(), from_pandas=True)


def plan(
    recipients: pd.DataFrame,
    templates: pd.DataFrame | None = None,
    *,
    campaign: str,
    region: str = "RU",
    now: datetime | None = None,
    tz=None,
) -> pd.DataFrame:
    """Validate and render a campaign: one plan row per recipient, same index.

    Args:
        recipients: a ``phone`` column; with templates, a ``template`` column; optionally
            ``client_id_message`` (your own ids win) and any columns the texts use as
            ``{placeholders}``. A column named like a message field overrides the
            template for the rows where it has a value.
        templates: a ``template`` column and message fields (``send_viber``, ``text_sms``,
            ``send_whatsapp``, ``text_whatsapp``, ``send_vk``, ``templateId``...). A
            ``templateData`` cell is JSON text of an object whose string values may hold
            ``{placeholders}``; it is rendered per recipient.
        campaign: the campaign key. The same key and content give the same client ids on
            every run, so a re-run never sends twice; a new key gives new ids.
        region: the region of phones written without a country code.
        now: the time to judge ``time_send`` against (default: now; a naive one is in ``tz``).
        tz: the account's zone, in which the provider reads ``time_send``: a
            ``datetime.tzinfo`` or whole hours from Moscow (``2`` for Yekaterinburg);
            default Moscow. Naive times are read in it, aware ones converted to it.

    Returns:
        The plan frame: ``phone`` (digits), every message field, ``client_id_message``,
        ``sms_encoding``, ``sms_parts`` and ``problem`` ("column: rule", or NA).

    Example:
        >>> import pandas as pd
        >>> recipients = pd.DataFrame({"phone": ["8 (980) 123-45-67"], "name": ["Anna"]})
        >>> templates = pd.DataFrame({"template": ["promo"], "send_sms": ["1"],
        ...     "sender_sms": ["Shop"], "text_sms": ["{name}, -10% today"]})
        >>> p = plan(recipients.assign(template="promo"), templates, campaign="spring")
        >>> p.loc[0, "phone"], p.loc[0, "text_sms"], int(p.loc[0, "sms_parts"])
        ('79801234567', 'Anna, -10% today', 1)

        An account two hours ahead of Moscow (Yekaterinburg), a time written in UTC:

        >>> from datetime import datetime, timezone
        >>> later = recipients.assign(template="promo", time_send="2030-01-01T05:00:00+00:00")
        >>> plan(later, templates, campaign="spring", tz=2).loc[0, "time_send"]
        '2030-01-01 10:00'
    """
    _check_call(recipients, templates, campaign)
    zone = account_zone(tz)
    keep_big_blocks()
    with gc_paused(), system_pool():
        seen = Seen(len(recipients))
        out = plan_frame(recipients, templates, campaign, region, _now(now, zone), zone, seen)
    if recipients.attrs.get("sheet") is not None:  # read_table's sheet: problems name it
        out.attrs["sheet"] = recipients.attrs["sheet"]
    return out


def _now(now: datetime | None, zone) -> datetime:
    """The time to judge ``time_send`` against: aware, in the account's zone if naive."""
    now = now or datetime.now(UTC)
    return now.replace(tzinfo=zone) if now.tzinfo is None else now


# Rows planned at a time: a slice's intermediates (rendered texts, content keys, digests)
# are freed before the next slice, so a million rows peak at about the plan frame's size
# plus one slice's work. Each text column of the plan is then one Arrow chunk per slice.
SLICE_ROWS = 100_000


def plan_frame(recipients, templates, campaign, region, now, zone, seen: Seen) -> pd.DataFrame:
    """One recipients frame's plan (checked already), a slice at a time, against ``seen``."""
    n = len(recipients)
    if n <= SLICE_ROWS:
        return _plan(recipients, templates, campaign, region, now, zone, seen)
    slices = [
        _plan(recipients.iloc[i : i + SLICE_ROWS], templates, campaign, region, now, zone, seen)
        for i in range(0, n, SLICE_ROWS)
    ]
    return named(pd.concat(slices), any(DERIVATION_ATTR in s.attrs for s in slices))


def _plan(recipients, templates, campaign, region, now, zone, seen: Seen) -> pd.DataFrame:
    """One slice's plan; duplicates and repeated ids are looked for in ``seen`` too."""
    n = len(recipients)
    index = recipients.index
    problems = _Problems(n)

    phones, phone_problem = normalize_phone_column(recipients["phone"], region)
    problems.add(phone_problem.astype(bool), lambda i: phone_problem[i])

    values, no_template = _assemble(recipients, templates, problems, campaign)
    _refuse_surrogates(values, recipients, templates, problems)
    given = {
        f
        for f in F.MESSAGE_FIELDS
        if f in recipients.columns or (templates is not None and f in templates.columns)
    } | {"name_delivery"}  # the campaign when no template names it
    wide: dict[str, np.ndarray] = {}  # per rendered field, its texts beyond GSM 03.38
    failed, rendered = _render(values, recipients, problems, given, wide)
    render_template_data(values, recipients, problems)
    used = _channel_orders(values, problems)
    _check_fields(values, used, problems, failed, given)
    time_send_column(recipients, values, problems, now, zone)

    columns = {"phone": phones}
    absent = pa.nulls(n, pa.large_string())  # a field no template or column gives
    coded = {}
    positions: dict[int, pa.Array] = {}  # a template's fields share their codes: made once
    for field in F.MESSAGE_FIELDS:
        columns[field] = rendered.get(field)
        if columns[field] is None:
            empty = field not in given and field not in F.ORDER_FIELDS
            columns[field] = (
                absent if empty else _arrow_text(values[field], few_distinct=True, taken=positions)
            )
            if isinstance(values[field], _Coded):
                coded[field] = values[field]
    _refuse_controls(columns, coded, problems)  # after rendering: placeholders may bring them
    # Same content, same 64-bit keyed digest: duplicates are found on the digests.
    # Only the fields whose column was made from their codes: an absent one is empty.
    keyed = {f: c for f, c in coded.items() if columns[f] is not absent}
    digests = _row_digests(campaign, columns, keyed)
    client_ids, derived = _client_ids(recipients, digests, problems, ~_blank(phones), seen)
    # Without its template a row's fields are meaningless: say that, not what follows.
    problems.keep_only(no_template, ("template", "phone"))

    encodings, parts = _sms_parts(
        values["text_sms"], rendered.get("text_sms"), used["sms"], wide.get("text_sms")
    )

    frame = {}
    if templates is not None:
        template = recipients["template"]
        frame["template"] = (
            template
            if isinstance(template.dtype, pd.StringDtype)
            else text_series(_per_value(_texts(template), _printable_text), index)
        )
    for name, column in columns.items():
        frame[name] = text_series(column, index)
    frame["client_id_message"] = text_series(client_ids, index)
    frame["sms_encoding"] = text_series(encodings, index)
    frame["sms_parts"] = pd.Series(
        pd.arrays.IntegerArray(
            np.asarray(parts.fill_null(0), dtype=np.int64), np.asarray(parts.is_null(), dtype=bool)
        ),
        index=index,
    )
    frame["problem"] = problems.series(index)
    return named(pd.DataFrame(frame, index=index), derived)


def problems(plan_frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Every row problem of a plan as its own row: ``row``, ``column``, ``rule``.

    ``lang="ru"`` gives the rules in Russian. A plan of a sheet read by ``read_table``
    gets a first column ``sheet`` naming it.

    Example:
        >>> import pandas as pd
        >>> p = plan(pd.DataFrame({"phone": ["x"], "send_sms": ["1"], "sender_sms": ["Shop"],
        ...     "text_sms": ["Hi"]}), campaign="c")
        >>> problems(p).to_dict("records")
        [{'row': 0, 'column': 'phone', 'rule': "'x' is not a phone number"}]
    """
    check_frame(plan_frame, "the plan")
    if "problem" not in plan_frame.columns:
        raise InputError("the frame has no 'problem' column; pass the frame tsf.plan() returned")
    rows = []
    bad = plan_frame["problem"].dropna()
    for label, text in bad.items():
        for item in split_problems(str(text)):
            column, _, rule = item.partition(": ")
            rows.append({"row": label, "column": column, "rule": translate_problem(rule, lang)})
    out = pd.DataFrame(rows, columns=["row", "column", "rule"]).astype(
        {"column": "str", "rule": "str"}
    )
    if plan_frame.attrs.get("sheet") is not None:
        out.insert(0, "sheet", pd.Series(str(plan_frame.attrs["sheet"]), out.index, "str"))
    return out
