"""What the commands share: option parsing, the client, exit codes, the summary."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack

import pandas as pd

from .. import fields as F
from ..errors import ConfigError, InputError

# Exit codes (documented in the README and in `targetsms-frames --help`).
OK = 0  # every row sent is accepted; every message is final
DECLINED = 1  # you answered no: nothing was sent
USAGE = 2  # a usage or input error: nothing was sent
SOME_UNKNOWN = 3  # some rows have no answer: run the same command again
SOME_REFUSED = 4  # the provider rejected or held some rows
NOT_FINAL = 5  # `states --wait` reached the timeout before every message was final
EXIT_CODES = {
    OK: "all accepted / all final",
    DECLINED: "you declined: nothing sent",
    USAGE: "usage or input error",
    SOME_UNKNOWN: "some rows unknown: run it again",
    SOME_REFUSED: "some rows rejected or held",
    NOT_FINAL: "not final at the timeout",
}
SANDBOX_STATE = "targetsms-sandbox.state"


def tariffs(text: str | None) -> dict | None:
    """``viber=1.20,sms=2.50`` → a tariffs dict, with a price for every channel."""
    if not text:
        return None
    pairs = {}
    for item in text.split(","):
        channel, _, price = item.partition("=")
        channel = channel.strip().lower()
        if not price.strip():
            raise InputError(
                f"--tariffs wants channel=price pairs like viber=1.20,sms=2.50, not {item!r}"
            )
        if channel not in F.CHANNELS:
            raise InputError(
                f"--tariffs: {channel!r} is not a channel here (channels: "
                f"{', '.join(F.CHANNELS)}); give a price for each, e.g. viber=1.20,sms=2.50"
            )
        pairs[channel] = price.strip()
    # A channel the campaign uses without a price is refused by estimate_cost.
    return pairs


def columns(text: str | None) -> dict[str, str] | None:
    """``Телефон=phone,Имя=name`` → a header mapping for read_table."""
    if not text:
        return None
    out = {}
    for item in text.split(","):
        header, _, name = item.partition("=")
        if not header.strip() or not name.strip():
            raise InputError(
                f"--columns wants header=column pairs like Телефон=phone, not {item!r}"
            )
        out[header.strip()] = name.strip()
    return out


def region(text: str) -> str:
    """A region phonenumbers knows, or a clear refusal before anything is read."""
    import phonenumbers

    code = text.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InputError(
            f"--region {text} is not a known region: give a two-letter country code "
            "such as RU, KZ or BY"
        )
    return code


def sheet(value: str | int) -> str | int:
    """``--sheet 2`` is the third sheet; ``--sheet Получатели`` a sheet by name."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def sandbox_state(output: str) -> str:
    """The CLI sandbox's state file: one per folder, next to the output."""
    return os.path.join(os.path.dirname(os.path.abspath(output)), SANDBOX_STATE)


def client(args, stack: ExitStack, output: str):
    """The sandbox's client with ``--sandbox``, else the real provider's from the environment."""
    from ..client import Client

    if getattr(args, "sandbox", False):
        from ..sandbox.persist import PersistentSandbox

        state = args.sandbox_state or sandbox_state(output)
        sb = stack.enter_context(PersistentSandbox(state))
        print(f"using the built-in sandbox (state: {state}); nothing reaches a real phone")
        return sb.client()
    try:
        return Client.from_env()
    except ConfigError as exc:
        first = str(exc).split(". ", 1)[0]
        raise InputError(f"{first} (set them in the environment, or try --sandbox first)") from exc


def outcome_counts(sent: pd.DataFrame, earlier: set[str]) -> dict[str, int]:
    """Rows by what happened to them in this run; ``earlier`` are the journal's accepted ids."""
    outcome = sent["outcome"].astype(object)
    before = sent["client_id_message"].astype(object).isin(earlier)
    return {
        "sent now": int(((outcome == "accepted") & ~before).sum()),
        "already accepted earlier (journal)": int(((outcome == "accepted") & before).sum()),
        "rejected": int((outcome == "rejected").sum()),
        "held": int((outcome == "held").sum()),
        "unknown": int((outcome == "unknown").sum()),
        "invalid (not sent, see problems)": int((outcome == "invalid").sum()),
    }


def send_exit_code(counts: dict[str, int]) -> int:
    """Unknown first (run again), then refused; rows the plan refused do not count."""
    if counts["unknown"]:
        return SOME_UNKNOWN
    if counts["rejected"] or counts["held"]:
        return SOME_REFUSED
    return OK


def confirm(args, question: str) -> bool:
    """``--yes``, or the answer at a terminal; without a terminal a clear refusal."""
    if getattr(args, "yes", False):
        return True
    if not sys.stdin.isatty():
        raise InputError(
            f"refusing to {question.rstrip('?').lower()} without confirmation: "
            "run in a terminal or pass --yes"
        )
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes", "д", "да")


def _labels(text: str) -> str | None:
    value = text.strip().lower()
    if value in ("none", "no", "api", ""):
        return None
    if value not in ("ru", "en"):
        raise argparse.ArgumentTypeError(f"{text} is not ru, en or none")
    return value


def _lang(text: str) -> str:
    value = text.strip().lower()
    if value not in ("ru", "en"):
        raise argparse.ArgumentTypeError(f"{text} is not ru or en")
    return value


def add_language_options(parser: argparse.ArgumentParser, *, problems: bool = True) -> None:
    """``--labels`` for the workbook's headers and codes, ``--lang`` for problem texts.

    Both default to the system locale: Russian where it is Russian (labels.py).
    """
    from ..labels import default_labels

    parser.add_argument(
        "--labels",
        type=_labels,
        default=default_labels(),
        help="workbook headers: ru, en or none (the API's names); default: the locale's",
    )
    if problems:
        from ..labels import default_lang

        parser.add_argument(
            "--lang",
            type=_lang,
            default=default_lang(),
            help="language of problem texts: ru or en; default: the locale's",
        )
