"""A campaign file to a results file, a chunk at a time: ten million rows in bounded memory.

:func:`send_file` reads the recipients a slice at a time
(:func:`~targetsms_frames.read_table_chunks`), plans each slice
(:func:`~targetsms_frames.plan_chunks`: duplicates are found across the whole
file, client ids are what planning the whole file would give), sends it
(:func:`~targetsms_frames.send_chunks`: one journal, one pool of workers) and
appends its sent rows to the output file before reading the next slice. Memory
follows the chunk size, not the file's size; killed at any point, the same call
with the same journal resumes: nothing accepted is sent twice.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pandas as pd

from .client import DEFAULT_WORKERS, Client
from .errors import InputError
from .table_chunks import DEFAULT_CHUNK_ROWS, read_table_chunks

WRITES = (".parquet", ".csv")


def send_file(
    recipients: str | os.PathLike,
    output: str | os.PathLike,
    client: Client,
    *,
    campaign: str,
    journal: str | os.PathLike,
    templates: pd.DataFrame | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    sheet: int | str = 0,
    columns: dict[str, str] | None = None,
    region: str = "RU",
    tz=None,
    workers: int = DEFAULT_WORKERS,
    progress: bool | None = None,
    preflight: bool = True,
) -> dict[str, int]:
    """Plan and send a campaign file chunk by chunk; write every row's result to ``output``.

    The output (Parquet or CSV) has one row per recipient row, in the file's order:
    ``row`` (the label :func:`~targetsms_frames.read_table` gives it: the CSV line,
    the Parquet row number) and the sent frame's columns. A row with a problem is
    there too, ``outcome`` "invalid" and the rule in ``error``.

    Args:
        recipients: a ``.parquet``, ``.csv`` or workbook of recipients.
        output: the results file to write (``.parquet`` or ``.csv``; replaced).
        client: a :class:`~targetsms_frames.Client`.
        campaign: the campaign key (client ids are derived from it).
        journal: the journal file: required, it is what makes a resume safe.
        templates: a templates frame, as for :func:`~targetsms_frames.plan`.
        chunk_rows: recipients per chunk; memory grows with it, not with the file.
        sheet: the sheet of a workbook.
        columns: header → column name, as for :func:`~targetsms_frames.read_table`.
        region: the region of phones without a country code.
        tz: the zone ``time_send`` is read in, as for :func:`~targetsms_frames.plan`.
        workers: documents in flight at once.
        progress: show progress (default: when there is a terminal or notebook).
        preflight: ask the account gate about each chunk before sending it
            (stop list, senders, balance).

    Returns:
        Rows per outcome, e.g. ``{"accepted": 9_990_000, "invalid": 10_000}``.

    Example:
        >>> import os, tempfile, pandas as pd, targetsms_frames as tsf
        >>> folder = tempfile.mkdtemp()
        >>> people = os.path.join(folder, "people.csv")
        >>> pd.DataFrame({"phone": ["79801234567", "79801234568", "79801234567"],
        ...     "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"}
        ... ).to_csv(people, index=False)
        >>> with tsf.sandbox() as sb:
        ...     counts = send_file(people, os.path.join(folder, "sent.parquet"), sb.client(),
        ...         campaign="c", journal=os.path.join(folder, "c.journal"), chunk_rows=2,
        ...         progress=False)
        >>> counts
        {'accepted': 2, 'invalid': 1}
        >>> pd.read_parquet(os.path.join(folder, "sent.parquet"))["row"].tolist()
        [2, 3, 4]
    """
    from .chunked_plan import plan_chunks
    from .sending import send_chunks

    target = os.fspath(output)
    suffix = os.path.splitext(target)[1].lower()
    if suffix not in WRITES:
        raise InputError(
            f"send_file writes .parquet or .csv (a workbook holds at most 1,048,576 rows), "
            f"not {suffix or 'this file'}: {target}"
        )
    if journal is None:
        raise InputError("send_file needs a journal: it is what makes a resume safe")
    frames = read_table_chunks(recipients, chunk_rows, sheet=sheet, columns=columns)
    plans = plan_chunks(frames, templates, campaign=campaign, region=region, tz=tz)
    sent = send_chunks(
        plans, client, journal=journal, workers=workers, progress=progress, preflight=preflight
    )
    counts: Counter[str] = Counter()
    for chunk in _written(sent, target, suffix):
        counts.update(chunk["outcome"].astype(object).tolist())
    return {str(k): int(v) for k, v in sorted(counts.items())}


def _written(sent: Iterator[pd.DataFrame], target: str, suffix: str) -> Iterator[pd.DataFrame]:
    """Append each sent chunk to the output as it comes; the file is whole only at the end."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    side = f"{target}.partial"
    parquet: pq.ParquetWriter | None = None
    chunks = 0
    try:
        for chunk in sent:
            table = chunk.rename_axis("row").reset_index()
            if suffix == ".csv":
                table.to_csv(side, mode="a" if chunks else "w", header=not chunks, index=False)
            else:
                arrow = pa.Table.from_pandas(table, preserve_index=False)
                parquet = parquet or pq.ParquetWriter(side, arrow.schema)
                parquet.write_table(arrow)
            chunks += 1
            yield chunk
        if not chunks:
            raise InputError(f"no recipients were read, so nothing was written to {target}")
    finally:
        if parquet is not None:
            parquet.close()
    os.replace(side, target)
