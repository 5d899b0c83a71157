"""The command line: ``targetsms-frames demo | sandbox``."""

from __future__ import annotations

import argparse
import contextlib
import gc
import signal
import sys

from .errors import TargetSMSError
from .sandbox import FAULTS, Faults, Sandbox


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
    with contextlib.suppress(KeyboardInterrupt):
        sb.serve_forever()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(output=args.output, recipients=args.recipients, seed=args.seed)


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
    try:
        return args.run(args)
    except (TargetSMSError, OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"targetsms-frames: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
