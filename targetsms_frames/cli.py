"""The command line: ``targetsms-frames demo | plan | send | states | sandbox``.

Errors are one sentence on stderr and exit code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from contextlib import ExitStack, suppress

from .errors import InputError, TargetSMSError
from .sandbox import FAULTS, Faults, Sandbox


def _tariffs(text: str | None) -> dict | None:
    """``viber=1.20,sms=2.50`` → a tariffs dict."""
    if not text:
        return None
    pairs = {}
    for item in text.split(","):
        channel, _, price = item.partition("=")
        if not price:
            raise InputError(
                f"--tariffs wants channel=price pairs like viber=1.20,sms=2.50, not {item!r}"
            )
        pairs[channel.strip()] = price.strip()
    return pairs


def _plan_from(args: argparse.Namespace):
    from .excel import read_table
    from .planning import plan

    recipients = read_table(args.recipients, sheet=args.sheet)
    templates = read_table(args.templates) if args.templates else None
    return plan(recipients, templates, campaign=args.campaign, region=args.region)


def _default_output(args: argparse.Namespace, suffix: str) -> str:
    base = os.path.splitext(os.path.basename(getattr(args, "recipients", None) or "campaign"))[0]
    return args.output or f"{base}-{suffix}.xlsx"


def _plan(args: argparse.Namespace) -> int:
    from .costs import estimate_cost
    from .excel import to_excel
    from .planning import problems

    campaign = _plan_from(args)
    sheets = {"plan": campaign, "problems": problems(campaign)}
    tariffs = _tariffs(args.tariffs)
    if tariffs:
        estimate = estimate_cost(campaign, tariffs)
        sheets["estimate"] = estimate
    output = to_excel(_default_output(args, "plan"), **sheets)
    bad = int(campaign["problem"].notna().sum())
    print(f"plan: {len(campaign)} rows, {len(campaign) - bad} ready to send, {bad} with problems")
    if tariffs:
        totals = estimate.attrs["totals"]
        print(f"estimated cost: {totals['expected']:.2f} RUB (at most {totals['worst']:.2f})")
    print(f"nothing was sent; wrote {output}")
    return 0


def _client(args: argparse.Namespace, stack: ExitStack):
    from .client import Client

    if getattr(args, "sandbox", False):
        sb = stack.enter_context(Sandbox(speed=3600.0))
        print(f"using the built-in sandbox at {sb.url} (nothing reaches a real phone)")
        return sb.client()
    return Client.from_env()


def _send(args: argparse.Namespace) -> int:
    from .costs import estimate_cost
    from .excel import to_excel
    from .planning import problems
    from .sending import send

    campaign = _plan_from(args)
    ready = int(campaign["problem"].isna().sum())
    line = (
        f"ready to send {ready} messages ({len(campaign) - ready} rows with problems are skipped)"
    )
    tariffs = _tariffs(args.tariffs)
    if tariffs:
        totals = estimate_cost(campaign, tariffs).attrs["totals"]
        line += f", estimated {totals['expected']:.2f} RUB, at most {totals['worst']:.2f}"
    print(line)
    with ExitStack() as stack:
        client = _client(args, stack)
        if not args.yes:
            if not sys.stdin.isatty():
                raise InputError(
                    "refusing to send without confirmation: run in a terminal or pass --yes"
                )
            if input("Send? [y/N] ").strip().lower() not in ("y", "yes", "д", "да"):
                print("nothing was sent")
                return 1
        output = _default_output(args, "sent")
        journal = args.journal or os.path.splitext(output)[0] + ".journal"
        sent = send(campaign, client, journal=journal, workers=args.workers, progress=None)
    to_excel(output, sent=sent, problems=problems(campaign))
    counts = sent["outcome"].value_counts().to_dict()
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"wrote {output} (journal: {journal})")
    return 0 if counts.get("unknown", 0) == 0 else 3


def _states(args: argparse.Namespace) -> int:
    from .costs import cost_report
    from .excel import read_table, to_excel
    from .states import fetch_states

    sent = read_table(args.sent, sheet=args.sheet)
    if "id_message" not in sent.columns:
        raise InputError(f"{args.sent} has no id_message column: pass the workbook `send` wrote")
    with ExitStack() as stack:
        client = _client(args, stack)
        states = fetch_states(sent, client, wait=args.wait, timeout=args.timeout, progress=None)
    by = "name_delivery" if "name_delivery" in states.columns else None
    sheets = {"states": states}
    if by:
        sheets["costs"] = cost_report(states, by=by).reset_index()
    output = args.output or os.path.splitext(os.path.basename(args.sent))[0] + "-states.xlsx"
    to_excel(output, **sheets)
    final = states["final"].fillna(False).astype(bool)
    print(f"{int(final.sum())} of {int(states['id_message'].notna().sum())} messages are final")
    print(f"wrote {output}")
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    # A provider process holds millions of small long-lived objects: collect them rarely.
    gc.set_threshold(100_000, 50, 1000)
    faults = Faults(
        args.fault_rate, args.faults.split(",") if args.faults else FAULTS, seed=args.seed
    )
    sb = Sandbox(
        port=args.port,
        login=args.login,
        password=args.password,
        balance=args.balance,
        seed=args.seed,
        speed=args.speed,
        faults=faults,
    )
    sb.start()
    # These are the sandbox's own test credentials, not secrets: printing them is the point.
    print(f"TargetSMS sandbox listening on {sb.url}", flush=True)
    print(f"login: {sb.login}", flush=True)
    print(f"password: {sb.password}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with suppress(KeyboardInterrupt):
        sb.serve_forever()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(output=args.output, recipients=args.recipients, seed=args.seed)


def _campaign_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipients", help="recipients spreadsheet (.xlsx or .csv)")
    parser.add_argument("--templates", help="templates spreadsheet (.xlsx or .csv)")
    parser.add_argument("--campaign", required=True, help="campaign key: keeps client ids stable")
    parser.add_argument("--sheet", default=0, help="sheet of the recipients workbook")
    parser.add_argument("--region", default="RU", help="region of phones without a country code")
    parser.add_argument("--tariffs", help="prices for the estimate, e.g. viber=1.20,sms=2.50")
    parser.add_argument("--output", help="workbook to write")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="targetsms-frames",
        description="TargetSMS Viber/SMS campaigns from spreadsheets, safely.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run a sample campaign against the built-in sandbox")
    demo.add_argument("--output", default="targetsms-demo.xlsx", help="workbook to write")
    demo.add_argument("--recipients", type=int, default=1000, help="sample size")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(run=_demo)

    dry = commands.add_parser("plan", help="check a campaign and estimate it; sends nothing")
    _campaign_options(dry)
    dry.set_defaults(run=_plan)

    send = commands.add_parser("send", help="send a campaign (credentials from the environment)")
    _campaign_options(send)
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.add_argument("--sandbox", action="store_true", help="send to the built-in sandbox")
    send.add_argument("--journal", help="journal file (default: next to the output)")
    send.add_argument("--workers", type=int, default=4)
    send.set_defaults(run=_send)

    states = commands.add_parser("states", help="fetch delivery states and write the report")
    states.add_argument("sent", help="the workbook (or csv) that `send` wrote")
    states.add_argument("--sheet", default="sent")
    states.add_argument("--wait", action="store_true", help="wait until every message is final")
    states.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most")
    states.add_argument("--output", help="workbook to write")
    states.add_argument("--sandbox", action="store_true", help=argparse.SUPPRESS)
    states.set_defaults(run=_states)

    sb = commands.add_parser("sandbox", help="run the local TargetSMS provider")
    sb.add_argument("--port", type=int, default=8707, help="0 picks a free port")
    sb.add_argument("--login", default="sandbox")
    sb.add_argument("--password", default=None, help="default: a new random one")
    sb.add_argument("--balance", default="100000", help="rubles on the test account")
    sb.add_argument("--seed", type=int, default=0)
    sb.add_argument("--speed", type=float, default=1.0, help="sandbox seconds per real second")
    sb.add_argument("--fault-rate", type=float, default=0.0, help="chance a request fails")
    sb.add_argument("--faults", default="", help=f"comma-separated, from: {', '.join(FAULTS)}")
    sb.set_defaults(run=_sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if isinstance(getattr(args, "sheet", None), str) and args.sheet.isdigit():
        args.sheet = int(args.sheet)
    try:
        return args.run(args)
    except (TargetSMSError, OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"targetsms-frames: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "targetsms-frames: interrupted; a journaled send resumes when run again",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
