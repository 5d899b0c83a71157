"""The competent plain-pandas baseline for plan + documents.

What a capable analyst writes without this package, for the same campaign: phones
cleaned with vectorised string methods and normalised with ``phonenumbers`` once per
unique value; texts rendered with ``str.format_map``; SMS parts counted per text
(GSM 03.38 with its extension table, else UCS-2); one keyed BLAKE2b digest per row
for the client id; one block dict per row, grouped into documents of ``max_phones``.
It does not do the package's validation (lengths, senders, times, pairs): the baseline
is the floor of what plain pandas must do to post the campaign, not a second package.

    from baseline_pandas import plan_and_documents
    plan, docs = plan_and_documents(recipients, TEMPLATES, campaign="spring")
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import phonenumbers

# The provider's field order; a block carries the non-empty ones, then its phones.
FIELDS = (
    "send_viber",
    "send_sms",
    "name_delivery",
    "time_send",
    "sender_viber",
    "text_viber",
    "button_text",
    "button_url",
    "image_url",
    "validity_period_viber",
    "finale_viber_read",
    "sender_sms",
    "text_sms",
)
TEXTS = ("text_viber", "text_sms")
# GSM 03.38: the basic table, and the extension table whose characters take two septets.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM_ALL = GSM_BASIC | GSM_EXTENSION


def normalize_phones(phones: pd.Series, region: str = "RU") -> pd.Series:
    """Phones → international digits (NA where ``phonenumbers`` cannot read one)."""
    cleaned = phones.str.strip().str.replace(r"\.0+$", "", regex=True)  # Excel floats
    cleaned = cleaned.str.replace(r"[\s\-.()/]", "", regex=True)
    mapping = {}
    for value in cleaned.dropna().unique():
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            mapping[value] = phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164
            )[1:]
    return cleaned.map(mapping).astype("str")


def sms_parts(text) -> int:
    """SMS parts of one text: GSM-7 160/153 (extension characters count 2), else UCS-2 70/67."""
    if not isinstance(text, str) or not text:
        return 0
    if GSM_ALL.issuperset(text):
        units = len(text) + sum(text.count(ch) for ch in GSM_EXTENSION if ch in text)
        single, multi = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def client_ids(frame: pd.DataFrame, campaign: str) -> list[str]:
    """One keyed BLAKE2b digest per row of phone and message fields, as 1 … 2⁵³−1."""
    key = campaign.encode()[:64]
    columns = [frame["phone"].to_numpy(dtype=object)]
    columns += [frame[f].to_numpy(dtype=object) for f in FIELDS]
    out = []
    for row in zip(*columns, strict=True):
        content = "\x1f".join(v if isinstance(v, str) else "" for v in row).encode()
        digest = hashlib.blake2b(content, key=key, digest_size=8).digest()
        out.append(str(int.from_bytes(digest, "big") % (2**53 - 1) + 1))
    return out


def plan(recipients: pd.DataFrame, templates: pd.DataFrame, campaign: str) -> pd.DataFrame:
    """phone, the message fields (rendered), client_id_message and sms_parts per row."""
    merged = recipients.merge(templates, on="template", how="left", suffixes=("", "_template"))
    merged.index = recipients.index
    merged["phone"] = normalize_phones(recipients["phone"])
    placeholders = [c for c in recipients.columns if c not in ("phone", "template")]
    records = recipients[placeholders].to_dict("records")
    for field in TEXTS:
        merged[field] = pd.array(
            [
                t.format_map(r) if isinstance(t, str) else None
                for t, r in zip(merged[field].to_numpy(dtype=object), records, strict=True)
            ],
            dtype="str",
        )
    for field in FIELDS:
        if field not in merged:
            merged[field] = pd.array([None] * len(merged), dtype="str")
    merged["sms_parts"] = [sms_parts(t) for t in merged["text_sms"].to_numpy(dtype=object)]
    merged["client_id_message"] = client_ids(merged, campaign)
    bad = merged["phone"].isna() | merged.duplicated(subset=["phone", *TEXTS])
    merged["problem"] = np.where(bad, "phone missing or duplicate", None)
    return merged[["phone", *FIELDS, "client_id_message", "sms_parts", "problem"]]


def documents(plan: pd.DataFrame, max_phones: int = 1000) -> list[dict]:
    """One block per row (its non-empty fields and its phone), ``max_phones`` per document."""
    ok = plan["problem"].isna().to_numpy()
    columns = [plan[f].to_numpy(dtype=object)[ok] for f in FIELDS]
    phones = plan["phone"].to_numpy(dtype=object)[ok]
    ids = plan["client_id_message"].to_numpy(dtype=object)[ok]
    blocks = []
    for *values, phone, client_id in zip(*columns, phones, ids, strict=True):
        block = {f: v for f, v in zip(FIELDS, values, strict=True) if isinstance(v, str) and v}
        if block.get("send_viber") == "0":
            del block["send_viber"]
        if block.get("send_sms") == "0":
            del block["send_sms"]
        block["phones"] = [{"phone": phone, "client_id_message": client_id}]
        blocks.append(block)
    return [{"message": blocks[i : i + max_phones]} for i in range(0, len(blocks), max_phones)]


def plan_and_documents(
    recipients: pd.DataFrame, templates: pd.DataFrame, campaign: str, max_phones: int = 1000
) -> tuple[pd.DataFrame, list[dict]]:
    """The baseline's plan frame and its send documents."""
    frame = plan(recipients, templates, campaign)
    return frame, documents(frame, max_phones)
