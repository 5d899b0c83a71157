"""targetsms_frames: TargetSMS Viber/SMS cascade campaigns from pandas.

Example:
    >>> import pandas as pd, targetsms_frames as tsf
    >>> recipients = pd.DataFrame({"phone": ["8 980 123-45-67"], "name": ["Anna"],
    ...     "send_sms": "1", "sender_sms": "Shop", "text_sms": "{name}, -10% today"})
    >>> plan = tsf.plan(recipients, campaign="spring")
    >>> with tsf.sandbox() as sb:
    ...     sent = tsf.send(plan, sb.client(), progress=False)
    >>> sent.loc[0, "outcome"]
    'accepted'
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from . import errors
from .account import (
    AccountTime,
    account_time,
    balance,
    cancel_scheduled,
    lookup,
    scheduled,
    senders,
    stop_list,
)
from .campaign_files import send_file
from .chunked_plan import plan_chunks
from .client import Client, default_retry, should_retry
from .costs import cost_report, estimate_cost
from .documents import documents
from .excel import to_excel
from .journal import Journal
from .planning import plan, problems
from .preflight import preflight
from .sandbox import Faults, SandboxProcess, sandbox
from .scheduling import schedule_local
from .sending import send, send_chunks
from .states import fetch_states
from .table_chunks import read_table_chunks
from .tables import read_table
from .tariffs import operator_key, row_costs, tariffs

try:  # the installed distribution's version: one number, in pyproject.toml
    __version__ = _version("targetsms-frames")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "AccountTime",
    "Client",
    "Faults",
    "Journal",
    "SandboxProcess",
    "account_time",
    "balance",
    "cancel_scheduled",
    "cost_report",
    "default_retry",
    "documents",
    "errors",
    "estimate_cost",
    "fetch_states",
    "lookup",
    "operator_key",
    "plan",
    "plan_chunks",
    "preflight",
    "problems",
    "read_table",
    "read_table_chunks",
    "row_costs",
    "sandbox",
    "schedule_local",
    "scheduled",
    "send",
    "send_chunks",
    "send_file",
    "senders",
    "should_retry",
    "stop_list",
    "tariffs",
    "to_excel",
]
