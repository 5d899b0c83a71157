"""Client: the one place that talks to the provider.

Credentials are added to a document only at the moment it is posted; the body
is encoded once and every retry posts the same bytes. Whether a failure is
retried is decided by one predicate, :func:`should_retry`; the policy around it
is a tenacity ``Retrying`` value that the caller may replace.

Hostile answers are expected: redirects are never followed, and every text the
client produces passes through a :class:`~targetsms_frames.redact.Scrubber`
that masks the password and the token (a server may echo the request).

The work is split by job, in layers: here the credentials are checked and the
session set up; :mod:`~targetsms_frames.client_posting` posts a document (credentials
spliced in, retries, the answer read); :mod:`~targetsms_frames.client_documents` turns
the send and state documents into rows and columns. Every name is still importable
from here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any, NoReturn

import requests
from requests.adapters import HTTPAdapter
from tenacity import Retrying

from . import fields as F

# The names of the one-module client stay importable from here ("as" re-exports).
from .client_documents import _ANSWER_KEYS as _ANSWER_KEYS
from .client_documents import Documents
from .client_posting import _SEND_HEAD as _SEND_HEAD
from .client_posting import CREDENTIAL_KEYS as CREDENTIAL_KEYS
from .client_posting import HEADERS as HEADERS
from .client_posting import _no_netrc as _no_netrc
from .client_posting import _stated as _stated
from .errors import ConfigError
from .lean_http import LeanPoster
from .redact import Scrubber, Secret
from .retrying import MAX_RETRY_AFTER, default_retry, should_retry
from .urls import check_proxy, checked_host, gate_url_of

log = logging.getLogger(__name__)
__all__ = ["MAX_RETRY_AFTER", "Client", "default_retry", "should_retry"]

# The key of the account digest: fixed, so the same token always names the same account
# in a journal; it keeps the digest from being a plain hash of the token.
ACCOUNT_KEY = b"targetsms_frames/account/v1"
TOKEN_RE = re.compile(r"[\x21-\x7e]+")  # what an HTTP header carries as it is
# Documents in flight in send: a provider across the internet answers in tens of
# milliseconds, and with 4 the sender mostly waited (behind 50 ms, 8 gave 1.2-1.9x the
# recipients/s of 4); with no latency 8 cost nothing. Within the pool's 16 connections.
DEFAULT_WORKERS = 8


class Client(Documents):
    """Talks to TargetSMS: posts send, state and account documents, with safe retries.

    Args:
        login: the account's login.
        password: the account's password; it is never shown, logged or raised.
        token: instead of a login and password, a token made in the account cabinet
            (sent as ``Authorization: Bearer <token>``); a secret like the password.
        url: the endpoint (the platform is sold under other brands on other hosts).
        gate_url: the account gate (balance, senders, ...); by default ``sendsmsjson.php``
            beside ``url``.
        timeout: seconds to connect and to read an answer, or one number for both.
        retry: a tenacity ``Retrying``; the default is :func:`default_retry`.
        verify: verify TLS certificates (on by default; the provider's PHP sample turns
            it off, we do not).
        session: a ``requests.Session`` to post through (the network seam for tests).
        allow_http: allow plain ``http://`` to a host other than loopback.
        pool_size: connections kept open, enough for that many worker threads.
        sleep: how the default policy waits between tries (tests pass a no-op).

    Example:
        >>> client = Client("me", "s3cret", url="http://127.0.0.1:8080/sendmessagejson.php")
        >>> client
        Client(login='me', password='***', url='http://127.0.0.1:8080/sendmessagejson.php')
        >>> Client(token="t0k3n", url="http://127.0.0.1:8080/x.php").account
        'token:684cec0c2c671aa9'
    """

    def __init__(
        self,
        login: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        url: str = F.DEFAULT_URL,
        gate_url: str | None = None,
        timeout: float | tuple[float, float] = (10.0, 120.0),
        retry: Retrying | None = None,
        verify: bool | str = True,
        session: requests.Session | None = None,
        allow_http: bool = False,
        pool_size: int = 16,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if token is not None:
            if login or password:
                raise ConfigError(
                    "pass either a token or a login and password, not both: a document "
                    "speaks for one account"
                )
            if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
                raise ConfigError(
                    "the token must be printable ASCII without spaces, as the cabinet shows it"
                )
        elif not login or not password:
            raise ConfigError(
                "a TargetSMS login and password are both required (or a token: Client(token=...))"
            )
        checked_host(url, allow_http=allow_http)
        gate = gate_url if gate_url is not None else gate_url_of(url)
        checked_host(gate, allow_http=allow_http)
        self.login = login if token is None else None
        self._token = Secret(token) if token is not None else None
        self._password = Secret(password) if token is None and password else None
        self._scrub = Scrubber([s for s in (password, token) if s])
        self.url = url
        self._gate_url = gate
        self.timeout = timeout
        self.verify = verify
        self.retry = retry if retry is not None else default_retry(sleep=sleep)
        # Our own session posts through its pool without requests' per-call work (see
        # lean_http); a session passed in is used as it is, every call.
        self._lean: LeanPoster | None = None
        self.pool_size: int | None = None  # connections kept open (None: a session's own)
        if session is None:
            self.pool_size = pool_size
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._lean = LeanPoster(session)
        for address in (url, gate):
            check_proxy(address, session, allow_http=allow_http)
        self.session = session

    @classmethod
    def from_env(cls, **options: Any) -> Client:
        """A client from ``TARGETSMS_TOKEN`` or ``TARGETSMS_LOGIN`` and ``TARGETSMS_PASSWORD``.

        ``TARGETSMS_URL`` sets the endpoint.

        Example:
            >>> import os
            >>> os.environ.update(TARGETSMS_LOGIN="me", TARGETSMS_PASSWORD="s3cret")
            >>> Client.from_env().login
            'me'
        """
        login = os.environ.get("TARGETSMS_LOGIN", "").strip()
        password = os.environ.get("TARGETSMS_PASSWORD", "")
        token = os.environ.get("TARGETSMS_TOKEN", "").strip()
        options.setdefault("url", os.environ.get("TARGETSMS_URL", "").strip() or F.DEFAULT_URL)
        if token:
            if password:
                raise ConfigError(
                    "both TARGETSMS_TOKEN and TARGETSMS_PASSWORD are set; unset one of them "
                    "so that it is clear which account sends"
                )
            return cls(token=token, **options)
        if not login or not password:
            missing = [
                name
                for name, value in (("TARGETSMS_LOGIN", login), ("TARGETSMS_PASSWORD", password))
                if not value
            ]
            raise ConfigError(
                f"no TargetSMS credentials: {' and '.join(missing)} not set. Set "
                "TARGETSMS_LOGIN and TARGETSMS_PASSWORD (or TARGETSMS_TOKEN) in the "
                "environment, or pass them: Client(login, password)."
            )
        return cls(login, password, **options)

    @property
    def account(self) -> str:
        """The account, for journals and reports; never a secret.

        The login, or for a token ``"token:"`` and a keyed digest of it.
        """
        if self._token is None:
            return str(self.login)
        digest = hmac.new(ACCOUNT_KEY, self._token.reveal().encode(), hashlib.sha256)
        return "token:" + digest.hexdigest()[:16]

    def __repr__(self) -> str:
        if self._token is not None:
            return f"Client(account={self.account!r}, token='***', url={self.url!r})"
        return f"Client(login={self.login!r}, password='***', url={self.url!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Client holds credentials and is not pickled; make one per process")
