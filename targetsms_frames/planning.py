"""Recipients + templates → the plan frame: one validated row per recipient.

Nothing is sent here and nothing is dropped: a row that breaks a rule keeps its
place with the reason in ``problem`` ("column: rule"), and :func:`problems`
lists them as a frame naming the row, the column and the rule.
"""

from __future__ import annotations

import hashlib
import string
from collections import defaultdict
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import fields as F
from ._speed import gc_paused, text_series
from .cells import cell_text
from .checks import check_frame
from .errors import InputError
from .phones import normalize_phone_arrays
from .segments import sms_parts_many

MAX_CLIENT_ID = 2**53 - 1  # exact in a float64 and in JavaScript: safe in every tool
EXCEL_EPOCH = pd.Timestamp("1899-12-30")

PLAN_COLUMNS: tuple[str, ...] = (
    "phone",
    *F.MESSAGE_FIELDS,
    "client_id_message",
    "sms_encoding",
    "sms_parts",
    "problem",
)
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")
_FORMATTER = string.Formatter()
_PERSONAL_TEXTS = ("text_viber", "text_sms")  # long and one per row: best left in Arrow


class _Problems:
    """Row problems collected rule by rule, joined per row at the end.

    Each problem reads "column: rule" and never contains the separator "; ".
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.by_row: dict[int, list[str]] = defaultdict(list)

    def add(self, mask, message) -> None:
        """Add ``message`` (a text, or a function of the row position) where ``mask`` holds."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            self.by_row[i].append(message(i) if callable(message) else message)

    def keep_only(self, mask, columns: tuple[str, ...]) -> None:
        """Where ``mask`` holds, keep only the problems of these columns."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            kept = [t for t in self.by_row.get(i, []) if t.split(": ", 1)[0] in columns]
            self.by_row[i] = kept

    def add_at(self, position: int, message: str) -> None:
        self.by_row[position].append(message)

    def series(self, index: pd.Index) -> pd.Series:
        values = np.full(self.n, None, dtype=object)
        for i, texts in self.by_row.items():
            values[i] = "; ".join(texts)
        return text_series(values, index)


def _arrow_of(series: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow text behind a pandas ``str`` column (no copy), or None for other dtypes."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return series.array.__arrow_array__()
    return None


def _texts(values: pd.Series) -> np.ndarray:
    """A column as an object array of text or None (never NaN, never whitespace only)."""
    arrow = _arrow_of(values)
    if arrow is not None:
        spaces = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arrow), ""), False)
        texts = values.to_numpy(dtype=object, na_value=None)
        blank = np.asarray(spaces, dtype=bool)
        return np.where(blank, None, texts) if blank.any() else texts
    return _per_value(values.to_numpy(dtype=object), cell_text)


def _blank(values: np.ndarray | pa.Array) -> np.ndarray:
    """Where an object array of text (str or None, never NaN), or Arrow text, is None or ""."""
    if isinstance(values, pa.Array):
        return np.asarray(pc.fill_null(pc.equal(values, ""), True), dtype=bool)
    return ~values.astype(bool)


def _per_value(values: np.ndarray, rule, dtype=object) -> np.ndarray:
    """``rule`` applied once per distinct value, spread back to every row.

    Message fields repeat (they come from a few templates), so this turns a
    million Python calls into a handful.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = np.array([rule(u) for u in uniques] + [rule(None)], dtype=dtype)
    return results[codes]  # code -1 (missing) picks the last entry, rule(None)


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
    check_frame(templates, "templates")
    if "template" not in templates.columns:
        raise InputError("templates has no 'template' column naming each template")
    if "template" not in recipients.columns:
        raise InputError("recipients has no 'template' column saying which template each row uses")
    unknown = [c for c in templates.columns if c != "template" and c not in F.MESSAGE_FIELDS]
    if unknown:
        raise InputError(
            f"templates has columns that are not message fields: {', '.join(map(str, unknown))} "
            f"(message fields: {', '.join(F.MESSAGE_FIELDS)})"
        )
    names = pd.Series(_texts(templates["template"]))
    if names.isna().any():
        raise InputError("templates has a row without a template name")
    if names.duplicated().any():
        raise InputError(f"templates defines {names[names.duplicated()].iloc[0]!r} twice")


def _assemble(
    recipients, templates, problems: _Problems, campaign: str
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The raw message fields of every row: the template's, overridden by the row's own.

    Also returns where the row's template is unknown or missing.
    """
    n = len(recipients)
    values: dict[str, np.ndarray] = {f: np.full(n, None, dtype=object) for f in F.MESSAGE_FIELDS}
    missing = np.zeros(n, dtype=bool)
    if templates is not None:
        names = _texts(recipients["template"])
        table = templates.assign(template=_texts(templates["template"])).set_index("template")
        known = pd.Index(table.index)
        positions = known.get_indexer(names)
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
                column = _texts(table[field])
                values[field] = np.where(missing, None, column[np.where(missing, 0, positions)])
    for field in F.MESSAGE_FIELDS:
        if field in recipients.columns:
            own = _texts(recipients[field])
            values[field] = np.where(_blank(own), values[field], own)
    name = values["name_delivery"]
    values["name_delivery"] = np.where(_blank(name), campaign, name)
    return values, missing


def _render(
    values: dict[str, np.ndarray], recipients: pd.DataFrame, problems: _Problems
) -> tuple[dict[str, np.ndarray], dict[str, pa.Array]]:
    """Fill ``{placeholder}`` in every text field from the row's columns (in place).

    Returns, per field, the rows whose text could not be rendered (already reported),
    and, for the fields rendered wholly in Arrow, the Arrow array of the result (the
    same texts as ``values``), so they need not be converted back.
    """
    arrow: dict[str, pa.Array] = {}
    columns: dict[str, pa.ChunkedArray | None] = {}
    failed: dict[str, np.ndarray] = {}

    def column(name: str) -> pa.ChunkedArray | None:
        """A recipients column as Arrow text, for C-speed joins."""
        if name not in columns:
            if not name.isidentifier() or name not in recipients.columns:
                columns[name] = None
            else:
                series = recipients[name]
                columns[name] = _arrow_of(series)
                if columns[name] is None:
                    columns[name] = pa.chunked_array([pa.array(_texts(series), pa.large_string())])
        return columns[name]

    for field in F.TEXT_FIELDS:
        texts = values[field]
        rendered = texts.copy()
        failed[field] = np.zeros(len(texts), dtype=bool)
        joins: list[tuple[np.ndarray, pa.ChunkedArray]] = []
        for text, rows in _rows_by_text_with_braces(texts):
            try:
                parts = list(_FORMATTER.parse(text))
            except ValueError as exc:
                for i in rows:
                    problems.add_at(
                        i,
                        f"{field}: unbalanced braces in the text ({exc}), "
                        "write {{ and }} for literal braces",
                    )
                rendered[rows] = None
                failed[field][rows] = True
                continue
            pieces: list = []  # literals and Arrow columns, joined element-wise
            ok = np.ones(len(rows), dtype=bool)
            take = pa.array(rows)
            for literal, name, spec, conversion in parts:
                pieces.append(literal)
                if name is None:
                    continue
                source = column(name)
                if source is None:
                    for i in rows:
                        problems.add_at(i, f"{field}: no column for placeholder {{{name}}}")
                    ok[:] = False
                    break
                cell = source.take(take).cast(pa.large_string())
                missing = np.asarray(pc.fill_null(pc.equal(cell, ""), True), dtype=bool)
                for i in rows[missing & ok]:
                    problems.add_at(i, f"{field}: no value for placeholder {{{name}}}")
                ok &= ~missing
                if spec or conversion:  # rare: format each value in Python
                    formatted = [
                        _FORMATTER.format_field(_FORMATTER.convert_field(v or "", conversion), spec)
                        for v in cell.to_pylist()
                    ]
                    cell = pa.chunked_array([pa.array(formatted, pa.large_string())])
                pieces.append(cell)
            failed[field][rows] = ~ok
            if not ok.any():
                rendered[rows] = None
                continue
            scalars = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in pieces]
            joined = pc.binary_join_element_wise(
                *scalars,
                pa.scalar("", pa.large_string()),
                null_handling="replace",
                null_replacement="",
            )
            if isinstance(joined, pa.Scalar):  # no placeholder at all, only braces
                rendered[rows] = np.where(ok, joined.as_py(), None)
                joins.append((rows, None))
            else:
                joins.append((rows, pc.if_else(pa.array(ok), joined, pa.scalar(None, joined.type))))
                rendered[rows] = None  # filled below, unless the field stays in Arrow
        whole = _whole(joins, rendered)
        if whole is not None:
            arrow[field] = whole
        if whole is not None and field in _PERSONAL_TEXTS:
            values[field] = whole  # long, one per row: kept in Arrow, never made Python text
            continue
        for rows, joined in joins:
            if joined is not None:
                rendered[rows] = joined.to_numpy(zero_copy_only=False)
        values[field] = rendered
    return failed, arrow


def _whole(joins: list, rendered: np.ndarray) -> pa.Array | None:
    """The rendered column as one Arrow array, when every text in it came from a join."""
    if not joins or any(joined is None for _, joined in joins):
        return None
    covered = np.zeros(len(rendered), dtype=bool)
    for rows, _ in joins:
        covered[rows] = True
    if rendered[~covered].astype(bool).any():
        return None  # some rows hold texts that had no placeholders
    rows = np.concatenate([rows for rows, _ in joins])
    texts = pa.concat_arrays([c for _, joined in joins for c in joined.chunks])
    where = np.full(len(rendered), -1, dtype=np.int64)
    where[rows] = np.arange(len(rows))
    return texts.take(pa.array(where, mask=where < 0))


def _rows_by_text_with_braces(texts: np.ndarray):
    """(text, row positions) for each distinct text that has a brace, in C-speed passes."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    braced = np.fromiter(("{" in u or "}" in u for u in uniques), dtype=bool, count=len(uniques))
    if not braced.any():
        return
    rows = np.flatnonzero((codes >= 0) & braced[np.maximum(codes, 0)])
    rows = rows[np.argsort(codes[rows], kind="stable")]
    bounds = np.flatnonzero(np.diff(codes[rows])) + 1
    for group in np.split(rows, bounds):
        yield uniques[codes[group[0]]], group


def _channel_orders(values, problems: _Problems) -> tuple[np.ndarray, np.ndarray]:
    used = {}
    for channel, field in F.CHANNEL_ORDER_FIELD.items():
        raw = values[field]
        text = _per_value(raw, lambda v: (v or "0").strip())
        bad = _per_value(text, lambda v: v not in F.CHANNEL_ORDER_VALUES, bool)
        problems.add(
            bad,
            lambda i, raw=raw, field=field: (
                f"{field}: {raw[i]!r} is not a cascade position 0-9 (0 = don't use this channel)"
            ),
        )
        text = np.where(bad, "0", text)
        values[field] = text
        used[channel] = _per_value(text, lambda v: v != "0", bool)
    problems.add(
        ~used["viber"] & ~used["sms"],
        "send_viber, send_sms: no channel (set send_viber and/or send_sms to 1-9)",
    )
    return used["viber"], used["sms"]


def _lengths(values: np.ndarray | pa.Array) -> np.ndarray:
    """Characters per text (0 for none)."""
    if isinstance(values, pa.Array):
        return np.asarray(pc.utf8_length(values).fill_null(0), dtype=np.int64)
    return np.fromiter(
        map(len, np.where(_blank(values), "", values).tolist()), np.int64, len(values)
    )


def _check_fields(values, viber, sms, problems: _Problems, failed: dict) -> None:
    # A text whose placeholders failed is reported once, not again as missing.
    blank = {f: _blank(values[f]) & ~failed.get(f, False) for f in F.MESSAGE_FIELDS}
    problems.add(viber & blank["text_viber"], "text_viber: required when send_viber is set")
    problems.add(viber & blank["sender_viber"], "sender_viber: required when send_viber is set")
    length = _lengths(values["text_viber"])
    problems.add(
        length > F.MAX_TEXT_VIBER,
        lambda i: f"text_viber: {length[i]} characters, at most {F.MAX_TEXT_VIBER} allowed",
    )
    button = _lengths(values["button_text"])
    problems.add(
        button > F.MAX_BUTTON_TEXT,
        lambda i: f"button_text: {button[i]} characters, at most {F.MAX_BUTTON_TEXT} allowed",
    )
    has_text, has_url = ~blank["button_text"], ~blank["button_url"]
    problems.add(has_text & ~has_url, "button_url: required with button_text")
    problems.add(has_url & ~has_text, "button_text: required with button_url")
    problems.add(
        ~blank["image_url"] & ~(has_text & has_url),
        "image_url: needs a button (button_text and button_url)",
    )
    validity = values["validity_period_viber"]
    bad = _per_value(validity, lambda v: bool(v) and not F.VALIDITY_RE.match(v.strip()), bool)
    problems.add(
        bad,
        lambda i: (
            f"validity_period_viber: {validity[i]!r} is not a whole number of minutes above 0"
        ),
    )
    finale = values["finale_viber_read"]
    bad = _per_value(finale, lambda v: v is not None and v.strip() not in ("", "0", "1"), bool)
    problems.add(bad, lambda i: f"finale_viber_read: {finale[i]!r} must be 0 or 1")
    problems.add(sms & blank["text_sms"], "text_sms: required when send_sms is set")
    sender = values["sender_sms"]
    problems.add(sms & blank["sender_sms"], "sender_sms: required when send_sms is set")
    bad = sms & _per_value(sender, lambda v: bool(v) and not F.SMS_SENDER_RE.match(v.strip()), bool)
    problems.add(
        bad,
        lambda i: (
            f"sender_sms: {sender[i]!r} must be up to {F.MAX_SENDER_SMS_ALPHA} Latin characters "
            f"or up to {F.MAX_SENDER_SMS_DIGITS} digits"
        ),
    )
    for field in ("validity_period_viber", "finale_viber_read", "sender_sms", "sender_viber"):
        values[field] = _per_value(values[field], lambda v: v.strip() if v else v)


def _parse_time(value, raw, now: datetime) -> tuple[str | None, str | None]:
    """One time_send cell → ('YYYY-MM-DD hh:mm' in Moscow time, None) or (None, problem)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    stamp = None
    if isinstance(raw, datetime | pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(raw)
    elif isinstance(raw, int | float | np.integer | np.floating) and not isinstance(raw, bool):
        stamp = EXCEL_EPOCH + pd.Timedelta(days=float(raw))  # an Excel serial date
    else:
        text = str(raw).strip()
        for fmt in _TIME_FORMATS:
            try:
                stamp = pd.Timestamp(datetime.strptime(text, fmt))
                break
            except ValueError:
                continue
        if stamp is None:
            try:
                stamp = pd.Timestamp(text.replace("T", " ")) if text[:4].isdigit() else None
            except ValueError:
                stamp = None
    if stamp is None or pd.isna(stamp):
        return None, f"time_send: {value!r} is not a time (write YYYY-MM-DD hh:mm, Moscow time)"
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(F.MSK).tz_localize(None)
    stamp = stamp.floor("min")
    if stamp.to_pydatetime().replace(tzinfo=F.MSK) < now.astimezone(F.MSK).replace(
        second=0, microsecond=0
    ):
        return None, f"time_send: {stamp:%Y-%m-%d %H:%M} (Moscow time) is in the past"
    return stamp.strftime(F.TIME_SEND_FORMAT), None


def _time_send(recipients, templates, values, problems: _Problems, now: datetime) -> None:
    # Parse from the original cells: a datetime or an Excel serial must not go through text.
    raw = values["time_send"]
    originals = raw.copy()
    if "time_send" in recipients.columns:
        column = recipients["time_send"].to_numpy(dtype=object)
        own = ~pd.isna(column) & (column != "")
        originals[own] = column[own]
    codes, uniques = pd.factorize(originals, use_na_sentinel=True)
    parsed = [_parse_time(cell_text(cell), cell, now) for cell in uniques]
    texts = np.array([text for text, _ in parsed] + [None], dtype=object)
    reasons = np.array([problem for _, problem in parsed] + [None], dtype=object)
    problems.add(reasons.astype(bool)[codes], lambda i: reasons[codes[i]])
    values["time_send"] = texts[codes]  # code -1 (no time) picks the None


def _arrow_text(values: np.ndarray, few_distinct: bool) -> pa.Array:
    """An object array of str or None as Arrow text; a repetitive one via its distinct values."""
    if few_distinct:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        dictionary = pa.array(np.asarray(uniques, dtype=object), pa.large_string())
        return dictionary.take(pa.array(codes, mask=codes < 0))
    return pa.array(values, pa.large_string(), from_pandas=True)


def content_keys(columns: dict[str, pa.Array]) -> pa.Array:
    """Per row, the phone and every message field, as one text: what makes a message itself.

    The phone, then each field in the order of ``MESSAGE_FIELDS``, joined by the unit
    separator "\\x1f" (a missing field as empty text).
    """
    parts = [columns["phone"], *(columns[f] for f in F.MESSAGE_FIELDS)]
    separator = pa.scalar("\x1f", pa.large_string())
    joined = pc.binary_join_element_wise(
        *parts, separator, null_handling="replace", null_replacement=""
    )
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _hasher(campaign: str):
    """A BLAKE2b hasher keyed by the campaign (keys longer than 64 bytes are hashed first)."""
    key = campaign.encode()
    if len(key) > 64:
        key = hashlib.blake2b(key).digest()
    return hashlib.blake2b(digest_size=8, key=key)


def _digests(campaign: str, keys) -> np.ndarray:
    """The keyed 64-bit BLAKE2b digest of each content key, as unsigned integers."""
    copy = _hasher(campaign).copy
    keys = keys if isinstance(keys, pa.Array) else pa.array(keys, pa.large_string())
    # Hash the UTF-8 bytes where Arrow keeps them: no Python string per row.
    _, offsets, data = keys.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[keys.offset : keys.offset + len(keys) + 1]
    data = memoryview(data if data is not None else b"")

    def digest(start: int, end: int) -> bytes:
        h = copy()
        h.update(data[start:end])
        return h.digest()

    digests = b"".join(map(digest, offsets[:-1].tolist(), offsets[1:].tolist()))
    return np.frombuffer(digests, dtype=">u8").astype(np.uint64)


def _ids_of(digests: np.ndarray) -> list[str]:
    numbers = digests % np.uint64(MAX_CLIENT_ID) + np.uint64(1)
    return pc.cast(pa.array(numbers), pa.large_string()).to_numpy(zero_copy_only=False).tolist()


def derive_client_ids(campaign: str, keys) -> list[str]:
    """client_id_message values from the campaign key and each row's content: 1 ≤ id < 2**53.

    ``keys`` are the rows' content keys (:func:`content_keys`), as texts or an Arrow array.

    Example:
        >>> one = derive_client_ids("spring", ["79801234567"])
        >>> one == derive_client_ids("spring", ["79801234567"])
        True
        >>> one != derive_client_ids("autumn", ["79801234567"])
        True
    """
    return _ids_of(_digests(campaign, keys))


def _first_of_each(values: np.ndarray) -> np.ndarray:
    """For each row, the position of the first row with the same value."""
    codes = pd.factorize(values)[0]
    return np.unique(codes, return_index=True)[1][codes]


def _client_ids(recipients, digests, labels, problems: _Problems, duplicate) -> np.ndarray:
    derived = np.array(_ids_of(digests), dtype=object)
    if "client_id_message" not in recipients.columns:
        ids = derived
    else:
        own = _texts(recipients["client_id_message"])
        given = ~_blank(own)
        bad = given & np.array(
            [v is not None and not F.CLIENT_ID_RE.match(v.strip()) for v in own.tolist()],
            dtype=bool,
        )
        problems.add(
            bad, lambda i: f"client_id_message: {own[i]!r} must be a number of 1 to 18 digits"
        )
        own = np.array([v.strip() if v else v for v in own.tolist()], dtype=object)
        ids = np.where(given & ~bad, own, derived)
    # A duplicate row repeats its twin's derived id; it is reported as a duplicate already.
    repeated = pd.Series(ids, dtype=object).duplicated().to_numpy() & ~duplicate
    if repeated.any():
        first = {}
        for i, value in enumerate(ids.tolist()):
            if not duplicate[i]:
                first.setdefault(value, i)
        problems.add(
            repeated,
            lambda i: (
                f"client_id_message: {ids[i]} is also the id of row {labels[first[ids[i]]]!r} "
                "(each message needs its own)"
            ),
        )
    return ids


def plan(
    recipients: pd.DataFrame,
    templates: pd.DataFrame | None = None,
    *,
    campaign: str,
    region: str = "RU",
    now: datetime | None = None,
) -> pd.DataFrame:
    """Validate and render a campaign: one plan row per recipient, same index.

    Args:
        recipients: a ``phone`` column; with templates, a ``template`` column; optionally
            ``client_id_message`` (your own ids win) and any columns the texts use as
            ``{placeholders}``. A column named like a message field overrides the
            template for the rows where it has a value.
        templates: a ``template`` column and message fields (``send_viber``, ``text_sms``...).
        campaign: the campaign key. The same key and content give the same client ids on
            every run, so a re-run never sends twice; a new key gives new ids.
        region: the region of phones written without a country code.
        now: the time to judge ``time_send`` against (default: now).

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
    """
    _check_call(recipients, templates, campaign)
    with gc_paused():
        return _plan(recipients, templates, campaign, region, now)


def _plan(recipients, templates, campaign, region, now) -> pd.DataFrame:
    now = now or datetime.now(F.MSK)
    if now.tzinfo is None:
        now = now.replace(tzinfo=F.MSK)
    n = len(recipients)
    index = recipients.index
    labels = index.tolist()  # plain Python labels, for messages that name rows
    problems = _Problems(n)

    phones, phone_problem = normalize_phone_arrays(recipients["phone"], region)
    problems.add(phone_problem.astype(bool), lambda i: phone_problem[i])

    values, no_template = _assemble(recipients, templates, problems, campaign)
    failed, rendered = _render(values, recipients, problems)
    viber, sms = _channel_orders(values, problems)
    _check_fields(values, viber, sms, problems, failed)
    _time_send(recipients, templates, values, problems, now)

    columns = {"phone": _arrow_text(phones, few_distinct=False)}
    for field in F.MESSAGE_FIELDS:
        columns[field] = rendered.get(field)
        if columns[field] is None:
            columns[field] = _arrow_text(values[field], few_distinct=True)
    # Same content, same 64-bit keyed digest: duplicates are found on the digests.
    digests = _digests(campaign, content_keys(columns))
    has_phone = ~_blank(phones)
    first = _first_of_each(digests)
    duplicate = (first != np.arange(n)) & has_phone
    problems.add(
        duplicate,
        lambda i: f"phone: duplicate of row {labels[first[i]]!r} (same phone, same message)",
    )
    client_ids = _client_ids(recipients, digests, labels, problems, duplicate)
    # Without its template a row's fields are meaningless: say that, not what follows.
    problems.keep_only(no_template, ("template", "phone"))

    sms_texts = values["text_sms"]
    if "text_sms" in rendered:
        sms_texts = pc.if_else(
            pa.array(sms), rendered["text_sms"], pa.scalar(None, pa.large_string())
        )
    else:
        sms_texts = np.where(sms & ~_blank(sms_texts), sms_texts, None)
    encodings, parts = sms_parts_many(sms_texts)

    frame = {}
    if templates is not None:
        template = recipients["template"]
        frame["template"] = (
            template
            if isinstance(template.dtype, pd.StringDtype)
            else text_series(_texts(template), index)
        )
    for name, column in columns.items():
        frame[name] = text_series(column, index)
    frame["client_id_message"] = text_series(client_ids, index)
    frame["sms_encoding"] = text_series(encodings, index)
    frame["sms_parts"] = pd.Series(parts, index=index, dtype="Int64")
    frame["problem"] = problems.series(index)
    return pd.DataFrame(frame, index=index)


def problems(plan_frame: pd.DataFrame) -> pd.DataFrame:
    """Every row problem of a plan as its own row: ``row``, ``column``, ``rule``.

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
        for item in str(text).split("; "):
            column, _, rule = item.partition(": ")
            rows.append({"row": label, "column": column, "rule": rule})
    return pd.DataFrame(rows, columns=["row", "column", "rule"]).astype(
        {"column": "str", "rule": "str"}
    )
