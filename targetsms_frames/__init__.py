"""targetsms_frames: TargetSMS Viber/SMS cascade campaigns from pandas.

Example:
    >>> import targetsms_frames as tsf
    >>> with tsf.sandbox() as sb:
    ...     client = sb.client()
"""

from . import errors
from .client import Client, default_retry, should_retry
from .sandbox import Faults, sandbox

__version__ = "0.1.0"

__all__ = ["Client", "Faults", "default_retry", "errors", "sandbox", "should_retry"]
