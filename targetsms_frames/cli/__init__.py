"""The command line: ``targetsms-frames demo | plan | send | states | balance | senders |
lookup | cancel | sandbox``.

Errors are one sentence on stderr and exit code 2 (``--debug`` shows the traceback);
the other exit codes are in :data:`common.EXIT_CODES` and the README.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..errors import TargetSMSError
from . import account, campaign, common, serve, tracking


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other error."""

    def error(self, message: str):
        self.exit(common.USAGE, f"targetsms-frames: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from .. import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    codes = "; ".join(f"{code} {meaning}" for code, meaning in common.EXIT_CODES.items())
    parser = _Parser(
        prog="targetsms-frames",
        description="TargetSMS Viber/SMS campaigns from spreadsheets, safely.",
        epilog=f"exit codes: {codes}",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="-v: progress notes, -vv: debug"
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve.register(commands)
    campaign.register(commands)
    tracking.register(commands)
    account.register(commands)
    return parser


def _logging(verbose: int) -> None:
    """Info lines (journal skips, retries) reach the terminal at -v, debug at -vv."""
    level = logging.WARNING if not verbose else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("targetsms-frames: %(message)s"))
    package = logging.getLogger("targetsms_frames")
    package.addHandler(handler)
    package.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _logging(args.verbose)
    try:
        return args.run(args)
    except (TargetSMSError, OSError, ValueError) as exc:
        if args.debug:
            raise
        text = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"targetsms-frames: error: {text}", file=sys.stderr)
        return common.USAGE
    except KeyboardInterrupt:
        print(
            "targetsms-frames: interrupted; a journaled send resumes when run again",
            file=sys.stderr,
        )
        return 130
