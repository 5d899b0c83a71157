"""``plan`` and ``send``: a campaign from spreadsheets, checked, estimated, sent."""

from __future__ import annotations

import argparse
import os
from contextlib import ExitStack

import pandas as pd

from ..client import DEFAULT_WORKERS
from ..errors import InputError
from . import common
from .output import check_output, default_output, write_output


def read_inputs(args: argparse.Namespace):
    """The recipients and templates frames the options name (one workbook may hold both)."""
    from ..tables import read_table

    mapping = common.columns(args.columns)
    recipients = read_table(args.recipients, sheet=common.sheet(args.sheet), columns=mapping)
    templates = None
    if args.templates or args.templates_sheet is not None:
        source = args.templates or args.recipients
        templates = read_table(
            source, sheet=common.sheet(args.templates_sheet or 0), columns=mapping
        )
    if recipients.empty and "phone" not in recipients.columns:
        raise InputError(
            f"{args.recipients} has no rows: it needs a header row with a phone column"
        )
    return recipients, templates


def make_plan(args: argparse.Namespace, tz=None):
    """The plan of the options' spreadsheets; ``tz`` is the account's zone (hours from Moscow)."""
    from ..planning import plan

    region = common.region(args.region)
    recipients, templates = read_inputs(args)
    return plan(recipients, templates, campaign=args.campaign, region=region, tz=tz)


def problem_sheet(campaign, lang: str = "en", check=None):
    """The plan's problems, each naming the recipients' sheet beside its row, and the rows
    the preflight (``check``) stopped: the stop list under ``phone``, a sender under
    ``sender_sms``."""
    from ..planning import problems
    from ..preflight import STOP_LISTED

    found = problems(campaign, lang=lang)
    if check is None or not check["blocking"].any():
        return found
    stopped = check.loc[check["blocking"], "preflight"]
    extra = [
        {"row": label, "column": "phone" if item == STOP_LISTED else "sender_sms", "rule": item}
        for label, text in stopped.items()
        for item in str(text).split("; ")
        if item == STOP_LISTED or item.startswith("sender_sms ")
    ]
    more = pd.DataFrame(extra, columns=["row", "column", "rule"])
    if "sheet" in found.columns:
        more.insert(0, "sheet", campaign.attrs.get("sheet"))
    both = pd.concat([found, more.astype(found.dtypes.to_dict())], ignore_index=True)
    try:
        return both.sort_values("row", kind="stable", ignore_index=True)
    except TypeError:  # row labels of mixed types: plan problems first, then the preflight's
        return both


def estimate_line(campaign, tariffs) -> tuple[pd.DataFrame, str]:
    """The estimate sheet (each row, then a total row) and its one-line summary."""
    from ..costs import estimate_cost

    estimate = estimate_cost(campaign, tariffs)
    totals = estimate.attrs["totals"]
    total = pd.DataFrame(
        {
            "first_channel": [f"{totals['messages']} messages"],
            "expected_cost": [totals["expected"]],
            "worst_cost": [totals["worst"]],
        },
        index=pd.Index(["total"]),
    )
    sheet = pd.concat([estimate.astype({"phone": object}), total])
    sheet.index.name = "row"
    return sheet, (
        f"estimated cost: {totals['expected']:.2f} RUB if every first channel delivers, "
        f"at most {totals['worst']:.2f} RUB if every fallback is used"
    )


def run_plan(args: argparse.Namespace) -> int:
    output = check_output(default_output(args, "plan"))
    tariffs = common.tariffs(args.tariffs)
    campaign = make_plan(args)
    sheets = {"plan": campaign, "problems": problem_sheet(campaign, args.lang)}
    line = None
    if tariffs:
        sheets["estimate"], line = estimate_line(campaign, tariffs)
    written = write_output(output, labels=args.labels, **sheets)
    bad = int(campaign["problem"].notna().sum())
    print(f"plan: {len(campaign)} rows, {len(campaign) - bad} ready to send, {bad} with problems")
    if line:
        print(line)
    print(f"nothing was sent; wrote {', '.join(written)}")
    return common.OK


def _journal_results(journal: str) -> dict[str, dict]:
    """What an existing journal knows, by client id (nothing for a new one)."""
    from ..journal import Journal

    if not os.path.exists(journal):
        return {}
    with Journal(journal) as book:
        return book.results()


def show_preflight(campaign, client, *, allow_partial: bool, paid=None):
    """Run the preflight and print it: the verdict, blocking rows and warnings by rule.

    Raises:
        BalanceError: the campaign needs more than the balance (unless allow_partial),
            before anything is asked or sent.
    """
    from ..errors import BalanceError
    from ..preflight import checked_preflight, rule_counts

    check = checked_preflight(campaign, client, hint="pass --no-preflight", paid=paid)
    blocking, warnings = rule_counts(check)
    print(f"preflight: the campaign {check.attrs['verdict']}")
    for title, counts in (("not sent", blocking), ("warnings", warnings)):
        if counts:
            items = "; ".join(f"{kind}: {n}" for kind, n in counts.items())
            print(f"preflight {title} (rows): {items}")
    if not check.attrs["affordable"] and not allow_partial:
        raise BalanceError(
            f"not sent: the campaign {check.attrs['verdict']}; top up the account, send "
            "fewer rows, or pass --allow-partial to send until the money runs out",
            needed=check.attrs["needed"],
            available=check.attrs["balance"],
        )
    return check


def run_send(args: argparse.Namespace) -> int:
    from ..account import account_time
    from ..preflight import apply_preflight
    from ..sending import kept_before, send

    output = check_output(default_output(args, "sent"))
    tariffs = common.tariffs(args.tariffs)
    journal = args.journal or os.path.splitext(output)[0] + ".journal"
    with ExitStack() as stack:
        client = common.client(args, stack, output)
        # The provider reads time_send in the account's zone: plan in it.
        clock = account_time(client)
        campaign = make_plan(args, tz=clock.offset_hours)
        ready = int(campaign["problem"].isna().sum())
        skipped = len(campaign) - ready
        print(f"ready to send {ready} messages ({skipped} rows with problems are skipped)")
        if clock.offset_hours:
            print(f"time_send is read in the account's zone: Moscow {clock.offset_hours:+d} h")
        if tariffs:
            print(estimate_line(campaign, tariffs)[1])
        before = _journal_results(journal)
        earlier = {k for k, row in before.items() if row["outcome"] == "accepted"}
        check = None
        if args.preflight:  # money only for what the journal does not have yet
            paid = kept_before(campaign, before)
            check = show_preflight(campaign, client, allow_partial=args.allow_partial, paid=paid)
        if not common.confirm(args, "Send?"):
            print("nothing was sent")
            return common.DECLINED
        planned = campaign  # its problems sheet, with the preflight's stopped rows added
        if check is not None:
            campaign = apply_preflight(
                campaign, client, allow_partial=args.allow_partial, check=check
            )
        sent = send(
            campaign,
            client,
            journal=journal,
            workers=args.workers,
            progress=None,
            preflight=False,  # made above, once, and shown before asking
        )
    written = write_output(
        output,
        labels=args.labels,
        summary=True,
        sent=sent,
        problems=problem_sheet(planned, args.lang, check),
    )
    counts = common.outcome_counts(sent, earlier)
    print("; ".join(f"{name}: {n}" for name, n in counts.items()))
    print(f"wrote {', '.join(written)} (journal: {journal})")
    code = common.send_exit_code(counts)
    if code == common.SOME_UNKNOWN:
        print("some rows have no answer: run the same command again (nothing is sent twice)")
    return code


def run_send_file(args: argparse.Namespace) -> int:
    """``send --chunk-rows N``: the file a chunk at a time, into a .parquet or .csv file."""
    from ..account import account_time
    from ..campaign_files import WRITES, send_file
    from ..tables import read_table

    output = check_output(default_output(args, "sent"))
    if not output.lower().endswith(WRITES):
        raise InputError(
            f"--chunk-rows writes its results to a .parquet or .csv file (a workbook holds "
            f"at most 1,048,576 rows), not {output}: pass --output <name>.parquet"
        )
    journal = args.journal or os.path.splitext(output)[0] + ".journal"
    mapping = common.columns(args.columns)
    templates = None
    if args.templates or args.templates_sheet is not None:
        source = args.templates or args.recipients
        templates = read_table(
            source, sheet=common.sheet(args.templates_sheet or 0), columns=mapping
        )
    with ExitStack() as stack:
        client = common.client(args, stack, output)
        clock = account_time(client)  # the provider reads time_send in the account's zone
        print(
            f"sending {args.recipients} in chunks of {args.chunk_rows:,} rows: each chunk is "
            "planned (duplicates are found across the whole file), "
            + ("checked with the account, " if args.preflight else "")
            + f"sent and written to {output} before the next is read"
        )
        if not common.confirm(args, "Send?"):
            print("nothing was sent")
            return common.DECLINED
        counts = send_file(
            args.recipients,
            output,
            client,
            campaign=args.campaign,
            journal=journal,
            templates=templates,
            chunk_rows=args.chunk_rows,
            sheet=common.sheet(args.sheet),
            columns=mapping,
            region=common.region(args.region),
            tz=clock.offset_hours,
            workers=args.workers,
            preflight=args.preflight,
        )
    print("; ".join(f"{name}: {n:,}" for name, n in counts.items()))
    print(f"wrote {output} (journal: {journal})")
    code = common.send_exit_code({"unknown": 0, "rejected": 0, "held": 0, **counts})
    if code == common.SOME_UNKNOWN:
        print("some rows have no answer: run the same command again (nothing is sent twice)")
    return code


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipients", help="recipients spreadsheet (.xlsx, .csv or .parquet)")
    parser.add_argument("--templates", help="templates spreadsheet (default: the recipients file)")
    parser.add_argument("--campaign", required=True, help="campaign key: keeps client ids stable")
    parser.add_argument("--sheet", default=0, help="sheet of the recipients (name or number)")
    parser.add_argument(
        "--templates-sheet", help="sheet of the templates (name or number); may be in one workbook"
    )
    parser.add_argument(
        "--columns", help="rename headers, e.g. Телефон=phone,Имя=name (case and spaces ignored)"
    )
    parser.add_argument("--region", default="RU", help="region of phones without a country code")
    parser.add_argument("--tariffs", help="prices for the estimate, e.g. viber=1.20,sms=2.50")
    parser.add_argument("--output", help="file to write: .xlsx, .csv or .parquet")
    common.add_language_options(parser)


def register(commands) -> None:
    dry = commands.add_parser("plan", help="check a campaign and estimate it; sends nothing")
    add_options(dry)
    dry.set_defaults(run=run_plan)

    send = commands.add_parser("send", help="send a campaign (credentials from the environment)")
    add_options(send)
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.add_argument(
        "--sandbox", action="store_true", help="send to the built-in sandbox (kept next to output)"
    )
    send.add_argument("--sandbox-state", help=argparse.SUPPRESS)
    send.add_argument("--journal", help="journal file (default: next to the output)")
    send.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="documents in flight at once"
    )
    send.add_argument(
        "--no-preflight",
        dest="preflight",
        action="store_false",
        help="skip the account checks (balance, stop list, senders) before sending",
    )
    send.add_argument(
        "--allow-partial",
        action="store_true",
        help="send even when the balance does not cover the campaign at most",
    )
    send.add_argument(
        "--chunk-rows",
        type=int,
        help="read, plan and send the file this many rows at a time into a .parquet or .csv "
        "output: for campaigns too large to hold at once (millions of rows)",
    )
    send.set_defaults(
        run=lambda args: (run_send if args.chunk_rows is None else run_send_file)(args)
    )
