"""The exceptions of targetsms_frames, in one tree.

Problems with a single row never raise: they are reported in the frame's
``problem`` or ``error`` column. These exceptions are for problems with the
whole call::

    TargetSMSError                  base of everything raised here
    ├── ConfigError                 settings: missing credentials, plain http to a remote host,
    │                               a URL two HTTP parsers could read differently, a redirect
    ├── InputError (ValueError)     the call's input as a whole: missing column, no campaign,
    │                               a block whose phones lack client_id_message
    ├── ProviderError               the provider answered {"error": "..."} for the whole document
    │   └── AuthError               wrong login or password, blocked account
    ├── TransportError              no usable answer after every retry; ``maybe_received``
    │                               says whether the provider may have acted on the document
    ├── JournalError                the journal file is unusable or belongs to another plan
    └── BalanceError                preflight: the campaign needs more than the balance;
                                    nothing was posted (send(..., allow_partial=True) sends anyway)

No exception's message, ``args`` or attributes ever contain the password or the token,
even when the server echoes the request back (the client scrubs every text it makes).
"""

from __future__ import annotations

from decimal import Decimal


class TargetSMSError(Exception):
    """Base class of every exception raised by targetsms_frames."""


class ConfigError(TargetSMSError):
    """The toolkit is set up wrongly (credentials, URL, options)."""


class InputError(TargetSMSError, ValueError):
    """The input of a call is wrong as a whole; the message says what to fix."""


class ProviderError(TargetSMSError):
    """The provider refused the whole document with ``{"error": text}``.

    Attributes:
        text: the provider's own error text, verbatim.
    """

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class AuthError(ProviderError):
    """The provider refused the login or password, or the account is blocked."""


class TransportError(TargetSMSError):
    """No usable answer came back, after every retry.

    Attributes:
        maybe_received: True when the provider may have received and acted on
            the document (the connection broke after the body was sent, the
            answer timed out, was cut short or was not JSON). Sending it again
            is safe: every phone carries a client_id_message.
        attempts: how many times the document was posted.
        status: the last HTTP status seen, if any.
        retry_after: seconds the server asked us to wait (Retry-After), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        maybe_received: bool,
        attempts: int = 1,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.maybe_received = maybe_received
        self.attempts = attempts
        self.status = status
        self.retry_after = retry_after


class JournalError(TargetSMSError):
    """The journal cannot be used for this send (corrupt, or made for another plan)."""


class BalanceError(TargetSMSError):
    """The campaign needs more money than the account has; nothing was posted.

    Attributes:
        needed: what the campaign costs at most (Decimal, every channel of every row).
        available: the account's balance (Decimal).
    """

    def __init__(
        self, message: str, *, needed: Decimal | None = None, available: Decimal | None = None
    ) -> None:
        super().__init__(message)
        self.needed = needed
        self.available = available
