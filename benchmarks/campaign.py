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
    return _frame(numbers, rng)


def _frame(numbers: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(numbers)
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


# A campaign of ten million rows is written and read a slice at a time, so neither needs
# more memory than one slice. Phones stay unique across slices: row i gets number
# i * _STEP mod _SPAN, a permutation of the range (3**18 shares no factor with it).
_SPAN = 599_999_999
_STEP = 3**18


def write_campaign(n: int, path, *, slice_rows: int = 1_000_000, seed: int = 1) -> None:
    """Write ``n`` recipients (as :func:`recipients` makes them) to Parquet, a slice at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    for start in range(0, n, slice_rows):
        rows = np.arange(start, min(start + slice_rows, n), dtype=np.int64)
        numbers = 79_400_000_000 + (rows * _STEP + seed) % _SPAN
        frame = _frame(numbers, np.random.default_rng([seed, start]))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def read_frames(path, rows: int = 200_000):
    """The recipients of a campaign file, ``rows`` at a time, labelled 0, 1, 2... throughout.

    Feed them to ``tsf.plan_chunks``: the labels go on from frame to frame, so every row
    of the campaign has its own.
    """
    import pyarrow.parquet as pq

    start = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
        frame = batch.to_pandas()
        frame = frame.astype({c: "str" for c in frame.columns})
        frame.index = pd.RangeIndex(start, start + len(frame))
        start += len(frame)
        yield frame


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
