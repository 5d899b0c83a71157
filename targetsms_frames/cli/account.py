"""``balance``, ``senders``, ``lookup`` and ``cancel``: the account before and after a campaign.

Each works with ``--sandbox`` (the persistent sandbox next to the output, or in the
current folder) and with credentials from the environment (``TARGETSMS_LOGIN`` and
``TARGETSMS_PASSWORD``, or ``TARGETSMS_TOKEN``).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from ..errors import InputError
from . import common
from .output import check_output, default_output, write_output

NOT_CANCELLED = "not_found"


def _sandbox_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox", action="store_true", help="ask the built-in sandbox `send --sandbox` used"
    )
    parser.add_argument("--sandbox-state", help=argparse.SUPPRESS)


def _place(args: argparse.Namespace) -> str:
    """Where the sandbox state lives when there is no output: the current folder."""
    return args.output or "account.xlsx"


def run_balance(args: argparse.Namespace) -> int:
    from ..account import balance
    from ..preflight import amount

    output = check_output(args.output) if args.output else None
    with ExitStack() as stack:
        client = common.client(args, stack, _place(args))
        directions = balance(client)
    currency = directions.attrs["currency"]
    print(f"balance: {amount(directions.attrs['value'], currency)}")
    if len(directions):
        shown = directions[["type_sms", "type_text", "area", "price", "number"]]
        print(shown.to_string(index=False))
    if output:
        written = write_output(output, labels=args.labels, balance=directions)
        print(f"wrote {', '.join(written)}")
    return common.OK


def run_senders(args: argparse.Namespace) -> int:
    from ..account import senders

    output = check_output(args.output) if args.output else None
    with ExitStack() as stack:
        client = common.client(args, stack, _place(args))
        names = senders(client)
    if names.attrs["any_originator"]:
        print("any SMS sender may be used on this account (the provider lists none)")
    else:
        approved = int((names["state"].astype(object) == "completed").sum())
        print(f"only approved SMS senders may be used: {approved} of {len(names)} approved")
    if len(names):
        print(names.to_string(index=False))
    if output:
        written = write_output(output, labels=args.labels, senders=names)
        print(f"wrote {', '.join(written)}")
    return common.OK


def run_lookup(args: argparse.Namespace) -> int:
    from ..account import lookup
    from ..tables import read_table

    output = check_output(default_output(args, "lookup"))
    phones = read_table(
        args.phones, sheet=common.sheet(args.sheet), columns=common.columns(args.columns)
    )
    if "phone" not in phones.columns:
        raise InputError(
            f"{args.phones} has no phone column (it has: {', '.join(map(str, phones.columns))}); "
            "map yours with --columns Телефон=phone"
        )
    with ExitStack() as stack:
        client = common.client(args, stack, output)
        found = lookup(phones["phone"], client, progress=None)
    written = write_output(output, labels=args.labels, lookup=found)
    known = int(found["operator"].notna().sum())
    print(f"lookup: {len(found)} phones, {known} with a known operator")
    print(f"wrote {', '.join(written)}")
    return common.OK


def run_cancel(args: argparse.Namespace) -> int:
    from ..account import cancel_scheduled
    from .tracking import read_sent

    output = check_output(default_output(args, "cancelled"))
    sent = read_sent(args.sent, args.sheet)
    if "id_sms" not in sent.columns:
        raise InputError(f"{args.sent} has no id_sms column: pass the workbook `send` wrote")
    ids = sent["id_sms"].dropna().astype(str)
    ids = ids[ids.str.strip().ne("") & ids.ne("0")]
    if ids.empty:
        print("nothing to cancel: no row of the sent file has an id_sms (Viber-only rows)")
        return common.OK
    with ExitStack() as stack:
        client = common.client(args, stack, args.sent)
        print(f"cancel {ids.nunique()} scheduled SMS of {args.sent}")
        if not common.confirm(args, "Cancel them?"):
            print("nothing was cancelled")
            return common.DECLINED
        done = cancel_scheduled(sent, client)
    written = write_output(output, labels=args.labels, cancelled=done)
    deleted = int((done["action"].astype(object) == "delete").sum())
    missed = len(done) - deleted
    print(f"cancelled: {deleted}; not found (already sent, or cancelled before): {missed}")
    print(f"wrote {', '.join(written)}")
    return common.SOME_REFUSED if missed else common.OK


def register(commands) -> None:
    bal = commands.add_parser("balance", help="the account's money and its prices per direction")
    bal.add_argument("--output", help="also write the directions: .xlsx, .csv or .parquet")
    _sandbox_options(bal)
    common.add_language_options(bal, problems=False)
    bal.set_defaults(run=run_balance)

    snd = commands.add_parser("senders", help="the account's SMS sender names and their state")
    snd.add_argument("--output", help="also write them: .xlsx, .csv or .parquet")
    _sandbox_options(snd)
    common.add_language_options(snd, problems=False)
    snd.set_defaults(run=run_senders)

    look = commands.add_parser(
        "lookup", help="operator, region and time zone of each phone of a spreadsheet"
    )
    look.add_argument("phones", help="spreadsheet with a phone column (.xlsx, .csv, .parquet)")
    look.add_argument("--sheet", default=0, help="sheet (name or number)")
    look.add_argument("--columns", help="rename headers, e.g. Телефон=phone")
    look.add_argument("--output", help="file to write: .xlsx, .csv or .parquet")
    _sandbox_options(look)
    common.add_language_options(look, problems=False)
    look.set_defaults(run=run_lookup)

    cancel = commands.add_parser(
        "cancel", help="cancel the scheduled SMS of a sent campaign (its id_sms)"
    )
    cancel.add_argument("sent", help="the file `send` wrote (.xlsx, .csv or .parquet)")
    cancel.add_argument("--sheet", default="sent", help="sheet of the sent workbook")
    cancel.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    cancel.add_argument("--output", help="file to write: .xlsx, .csv or .parquet")
    _sandbox_options(cancel)
    common.add_language_options(cancel, problems=False)
    cancel.set_defaults(run=run_cancel)
