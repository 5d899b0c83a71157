"""``sandbox`` (the local provider, in the foreground) and ``demo``."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from contextlib import suppress

from ..errors import InputError
from ..sandbox import FAULTS, Faults, Sandbox
from .common import add_language_options


def port(text: str) -> int:
    """A TCP port, 0 for any free one."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text} is not a port: give 0 to 65535 (0 picks a free one)"
        )
    return value


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a number of recipients: give 1 or more")
    return value


def milliseconds(text: str) -> float:
    """A delay in milliseconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a delay: give 0 or more milliseconds")
    return value


def run_sandbox(args: argparse.Namespace) -> int:
    # A provider process holds millions of small long-lived objects: collect them rarely.
    gc.set_threshold(100_000, 50, 1000)
    kinds = args.faults.split(",") if args.faults else FAULTS
    try:
        faults = Faults(args.fault_rate, kinds, seed=args.seed)
    except ValueError as exc:
        raise InputError(f"--faults: {exc}") from exc
    sb = Sandbox(
        port=args.port,
        login=args.login,
        password=args.password,
        balance=args.balance,
        seed=args.seed,
        speed=args.speed,
        faults=faults,
        latency=args.latency_ms / 1000,
    )
    try:
        sb.start()
    except OSError as exc:
        raise InputError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from exc
    # These are the sandbox's own test credentials, not secrets: printing them is the point.
    print(f"TargetSMS sandbox listening on {sb.url}", flush=True)
    print(f"login: {sb.login}", flush=True)
    print(f"password: {sb.password}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with suppress(KeyboardInterrupt):
        sb.serve_forever()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo as demo
    from .output import check_output

    return demo(
        output=check_output(args.output),
        recipients=args.recipients,
        seed=args.seed,
        labels=args.labels,
    )


def register(commands) -> None:
    demo = commands.add_parser("demo", help="run a sample campaign against the built-in sandbox")
    demo.add_argument("--output", default="targetsms-demo.xlsx", help="workbook to write")
    demo.add_argument("--recipients", type=positive, default=1000, help="sample size")
    demo.add_argument("--seed", type=int, default=7)
    add_language_options(demo, problems=False)
    demo.set_defaults(run=run_demo)

    sb = commands.add_parser("sandbox", help="run the local TargetSMS provider")
    sb.add_argument("--port", type=port, default=8707, help="0 picks a free port")
    sb.add_argument("--login", default="sandbox")
    sb.add_argument("--password", default=None, help="default: a new random one")
    sb.add_argument("--balance", default="100000", help="rubles on the test account")
    sb.add_argument("--seed", type=int, default=0)
    sb.add_argument("--speed", type=float, default=1.0, help="sandbox seconds per real second")
    sb.add_argument("--fault-rate", type=float, default=0.0, help="chance a request fails")
    sb.add_argument("--faults", default="", help=f"comma-separated, from: {', '.join(FAULTS)}")
    sb.add_argument(
        "--latency-ms",
        type=milliseconds,
        default=0.0,
        help="hold each request this long, like a provider across the internet (e.g. 50)",
    )
    sb.set_defaults(run=run_sandbox)
