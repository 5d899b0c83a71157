"""``states``: delivery states and the money report for a campaign that was sent."""

from __future__ import annotations

import argparse
from contextlib import ExitStack

import pandas as pd

from ..errors import InputError
from . import common
from .output import check_output, default_output, write_output


def sent_types(sent: pd.DataFrame) -> pd.DataFrame:
    """A sent frame read back from a file, with the sent contract's types.

    A spreadsheet gives text; ``count_message`` is a number in the sent frame, so it is
    a number again here (one type per column, whichever way the frame came). The
    ``row`` column ``send`` wrote (the recipients' sheet rows) becomes the index again.
    """
    out = sent
    if "row" in out.columns:
        rows = pd.to_numeric(out["row"], errors="coerce")
        if rows.notna().all() and rows.is_unique:
            out = out.drop(columns="row").set_axis(pd.Index(rows.astype("int64")), axis=0)
    if "count_message" in out.columns:
        count = pd.to_numeric(out["count_message"], errors="coerce")
        out = out.assign(count_message=count.astype("Int64"))
    return out


def read_sent(path: str, sheet: str | int) -> pd.DataFrame:
    """The sent frame a ``send`` wrote, whatever its labels ("ID сообщения" is id_message)."""
    from ..labels import unlabel
    from ..tables import read_table

    return sent_types(unlabel(read_table(path, sheet=common.sheet(sheet))))


def run_states(args: argparse.Namespace) -> int:
    from ..costs import cost_report
    from ..states import fetch_states

    output = check_output(default_output(args, "states"))
    sent = read_sent(args.sent, args.sheet)
    if "id_message" not in sent.columns:
        raise InputError(f"{args.sent} has no id_message column: pass the workbook `send` wrote")
    with ExitStack() as stack:
        client = common.client(args, stack, args.sent)
        states = fetch_states(sent, client, wait=args.wait, timeout=args.timeout, progress=None)
    sheets = {"states": states}
    if "name_delivery" in states.columns:
        sheets["costs"] = cost_report(states, by="name_delivery").reset_index()
    written = write_output(output, labels=args.labels, summary=True, **sheets)
    sent_ids = int(states["id_message"].notna().sum())
    final = int(states["final"].fillna(False).astype(bool).sum())
    print(f"{final} of {sent_ids} messages are final")
    print(f"wrote {', '.join(written)}")
    if final < sent_ids and args.wait:
        print(f"not final after {args.timeout:g} s: run `states --wait` again later")
        return common.NOT_FINAL
    return common.OK


def register(commands) -> None:
    states = commands.add_parser("states", help="fetch delivery states and write the report")
    states.add_argument("sent", help="the file `send` wrote (.xlsx, .csv or .parquet)")
    states.add_argument("--sheet", default="sent", help="sheet of the sent workbook")
    states.add_argument("--wait", action="store_true", help="wait until every message is final")
    states.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most")
    states.add_argument("--output", help="file to write: .xlsx, .csv or .parquet")
    states.add_argument(
        "--sandbox", action="store_true", help="ask the built-in sandbox `send --sandbox` used"
    )
    states.add_argument("--sandbox-state", help=argparse.SUPPRESS)
    common.add_language_options(states, problems=False)
    states.set_defaults(run=run_states)
