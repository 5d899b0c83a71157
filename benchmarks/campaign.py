"""A realistic campaign for the benchmarks: recipients as a spreadsheet gives them.

Two templates with personal placeholders (a Cyrillic Viber → SMS cascade and a Latin
SMS), about 10% of phones in messy spreadsheet shapes, unique phones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TEMPLATES = pd.DataFrame(
    {
        "template": ["promo", "order"],
        "name_delivery": ["Распродажа", "Orders"],
        "send_viber": ["1", "0"],
        "send_sms": ["2", "1"],
        "sender_viber": ["ShopBench", None],
        "text_viber": ["{name}, для вас скидка {discount}% по коду {code} до воскресенья!", None],
        "button_text": ["Открыть", None],
        "button_url": ["https://example.org/sale", None],
        "sender_sms": ["ShopBench", "ShopBench"],
        "text_sms": [
            # 70 characters with a 4-letter name (one UCS-2 part), 71 with a 5-letter one (two):
            # the part counts vary by row, so checking them against a baseline means something.
            "{name}, скидка {discount}% по коду {code} до воскресенья: example.org/sales/vip",
            "Dear {name}, your order [{code}] is ready for pickup. Thank you!",  # [ ] count 2
        ],
    }
)
NAMES = np.array(
    ["Анна", "Борис", "Вера", "Глеб", "Дарья", "John", "Maria", "Олег", "Ирина", "Kate"]
)


def recipients(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` recipients with unique phones, ~10% of them messy."""
    rng = np.random.default_rng(seed)
    # 79400000000-79999999999: every one a valid Russian mobile number for phonenumbers.
    numbers = 79_400_000_000 + rng.choice(599_999_999, size=n, replace=False)
    phones = numbers.astype(str).astype(object)
    messy = np.flatnonzero(rng.random(n) < 0.10)
    for k, i in enumerate(messy.tolist()):
        p = phones[i]
        if k % 3 == 0:
            phones[i] = f"8 ({p[1:4]}) {p[4:7]}-{p[7:9]}-{p[9:]}"
        elif k % 3 == 1:
            phones[i] = f"+7 {p[1:4]} {p[4:7]} {p[7:9]} {p[9:]}"
        else:
            phones[i] = f"{p}.0"  # a float that went through Excel
    return pd.DataFrame(
        {
            "phone": pd.array(phones, dtype="str"),
            "name": pd.array(rng.choice(NAMES, n), dtype="str"),
            "template": pd.array(np.where(rng.random(n) < 0.6, "promo", "order"), dtype="str"),
            "discount": pd.array(rng.choice(["10", "15", "20"], n), dtype="str"),
            "code": pd.array([f"C{c:06d}" for c in rng.integers(0, 999_999, n)], dtype="str"),
        }
    )


def write_recipients(n: int, path, seed: int = 1) -> None:
    """Write ``n`` recipients to a Parquet file, so each measured process only reads them.

    Reading Parquet gives Arrow-backed text columns, as a real campaign file would, and
    keeps the generator's transient memory out of every measured peak.
    """
    recipients(n, seed).to_parquet(path, index=False)


def read_recipients(path) -> pd.DataFrame:
    """The recipients a :func:`write_recipients` file holds, every column text."""
    frame = pd.read_parquet(path)
    return frame.astype({c: "str" for c in frame.columns})
