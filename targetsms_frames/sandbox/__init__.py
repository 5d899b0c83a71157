"""A local TargetSMS provider on loopback: the only safe place to try things.

The provider has no test mode, so this sandbox implements its send and state
documents faithfully (checks, answers, duplicate ids, money, delivery over
time) and adds what a real provider does to you only on bad days: dropped
connections, HTTP errors, slow, cut-short and HTML answers.

Example:
    >>> import targetsms_frames as tsf
    >>> with tsf.sandbox(balance="100.00") as sb:
    ...     sb.ledger.balance
    Decimal('100.00')
"""

from .process import SandboxProcess
from .provider import Charge, Ledger, Provider
from .server import FAULTS, FAULTS_AFTER_EFFECT, Faults, Sandbox, sandbox

__all__ = [
    "FAULTS",
    "FAULTS_AFTER_EFFECT",
    "Charge",
    "Faults",
    "Ledger",
    "Provider",
    "Sandbox",
    "SandboxProcess",
    "sandbox",
]
