"""Client: the one place that talks to the provider.

Credentials are added to a document only at the moment it is posted; the body
is encoded once and every retry posts the same bytes. Whether a failure is
retried is decided by one predicate, :func:`should_retry`; the policy around it
is a tenacity ``Retrying`` value that the caller may replace.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from . import answers
from . import fields as F
from .errors import AuthError, ConfigError, InputError, ProviderError, TransportError

log = logging.getLogger(__name__)

HEADERS = {"Content-Type": "application/json; charset=utf-8"}
MAX_RETRY_AFTER = 60.0


class _Secret:
    """A string that never shows itself in a repr, str or format."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("credentials are not pickled")


def should_retry(exc: BaseException) -> bool:
    """The one retry decision: only failures that left us without a usable answer.

    Connection errors, timeouts, HTTP 429 and 5xx and answers that are not
    complete JSON are retried (they arrive as :class:`TransportError`). A JSON
    ``{"error": ...}`` is the provider's final word and is not.
    """
    return isinstance(exc, TransportError)


class wait_retry_after:
    """Wait what the server asked for (Retry-After), else the fallback backoff."""

    def __init__(self, fallback: Callable[[RetryCallState], float]) -> None:
        self.fallback = fallback

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            return min(max(asked, 0.0), MAX_RETRY_AFTER)
        return self.fallback(state)


def default_retry(
    *, attempts: int = 6, max_delay: float = 120.0, sleep: Callable[[float], None] = time.sleep
) -> Retrying:
    """The default retry policy: exponential backoff with jitter, capped in tries and time.

    Example:
        >>> policy = default_retry(attempts=3, sleep=lambda s: None)
        >>> policy.stop.stops[0].max_attempt_number
        3
    """
    return Retrying(
        stop=stop_after_attempt(attempts) | stop_after_delay(max_delay),
        wait=wait_retry_after(wait_exponential_jitter(multiplier=0.5, max=20.0, jitter=1.0)),
        retry=retry_if_exception(should_retry),
        reraise=True,
        sleep=sleep,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return float(value) if value else None
    except ValueError:  # an HTTP date: not worth parsing, back off as usual
        return None


def _scrub(exc: requests.RequestException) -> requests.RequestException:
    """Detach the request (its body holds the password) from a requests exception."""
    exc.request = None
    exc.response = None
    return exc


class Client:
    """Talks to TargetSMS: posts send and state documents, with safe retries.

    Args:
        login: the account's login.
        password: the account's password; it is never shown, logged or raised.
        url: the endpoint (the platform is sold under other brands on other hosts).
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
    """

    def __init__(
        self,
        login: str,
        password: str,
        *,
        url: str = F.DEFAULT_URL,
        timeout: float | tuple[float, float] = (10.0, 120.0),
        retry: Retrying | None = None,
        verify: bool | str = True,
        session: requests.Session | None = None,
        allow_http: bool = False,
        pool_size: int = 16,
        sleep: Callable[[float], None] = time.sleep,
        gate_url: str | None = None,
    ) -> None:
        if not login or not password:
            raise ConfigError("a TargetSMS login and password are both required")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"the URL {url!r} is not an http(s) address of the provider")
        if parts.scheme == "http" and not allow_http and not _is_loopback(parts.hostname):
            raise ConfigError(
                f"refusing plain http:// to {parts.hostname}: the password would travel in "
                "clear text. Use https://, or pass allow_http=True if you really mean it."
            )
        self.login = login
        self._password = _Secret(password)
        self.url = url
        self._gate_url = gate_url
        self.timeout = timeout
        self.verify = verify
        self.retry = retry if retry is not None else default_retry(sleep=sleep)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session

    @classmethod
    def from_env(cls, **options) -> Client:
        """A client from ``TARGETSMS_LOGIN``, ``TARGETSMS_PASSWORD`` and ``TARGETSMS_URL``.

        Example:
            >>> import os
            >>> os.environ.update(TARGETSMS_LOGIN="me", TARGETSMS_PASSWORD="s3cret")
            >>> Client.from_env().login
            'me'
        """
        login = os.environ.get("TARGETSMS_LOGIN", "").strip()
        password = os.environ.get("TARGETSMS_PASSWORD", "")
        if not login or not password:
            missing = [
                name
                for name, value in (("TARGETSMS_LOGIN", login), ("TARGETSMS_PASSWORD", password))
                if not value
            ]
            raise ConfigError(
                f"no TargetSMS credentials: {' and '.join(missing)} not set. Set "
                "TARGETSMS_LOGIN and TARGETSMS_PASSWORD in the environment, or pass them: "
                "Client(login, password)."
            )
        options.setdefault("url", os.environ.get("TARGETSMS_URL", "").strip() or F.DEFAULT_URL)
        return cls(login, password, **options)

    def __repr__(self) -> str:
        return f"Client(login={self.login!r}, password='***', url={self.url!r})"

    def __reduce__(self):
        raise TypeError("a Client holds credentials and is not pickled; make one per process")

    @property
    def gate_url(self) -> str:
        """The account gate (``sendsmsjson.php``): ``gate_url`` if given, else next to ``url``."""
        if self._gate_url:
            return self._gate_url
        base, _, _ = self.url.split("?", 1)[0].rpartition("/")
        return f"{base}/sendsmsjson.php"

    # -- posting -------------------------------------------------------------------------

    def post_gate(self, payload: dict) -> dict:
        """Post one account-gate document (``type`` and its extras); the answer dict.

        Credentials go in ``security``, as the gate expects; retries, errors and
        secrecy are those of :meth:`post`.
        """
        security = {"login": self.login, "password": self._password.reveal()}
        return self._exchange({"security": security, **payload}, self.gate_url)

    def post(self, payload: dict) -> dict:
        """Post one document (without credentials) and return the provider's JSON answer.

        Raises:
            AuthError: wrong login or password, or a blocked account.
            ProviderError: any other ``{"error": ...}`` for the whole document.
            TransportError: no usable answer after every retry.
        """
        doc = {"login": self.login, "password": self._password.reveal(), **payload}
        return self._exchange(doc, self.url)

    def _exchange(self, doc: dict, url: str) -> dict:
        body = json.dumps(
            doc,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        attempts = 0
        maybe_received = False
        try:
            for attempt in self.retry.copy():
                with attempt:
                    attempts += 1
                    try:
                        answer = self._post_once(body, attempts, url)
                    except TransportError as exc:
                        maybe_received = maybe_received or exc.maybe_received
                        log.warning("attempt %d to %s failed: %s", attempts, url, exc)
                        raise
        except TransportError as exc:
            fate = (
                "the provider may have received it; sending again with the same client ids is safe"
                if maybe_received
                else "the provider did not receive it"
            )
            raise TransportError(
                f"no usable answer from {url} after {attempts} attempt(s) (last: {exc}); {fate}",
                maybe_received=maybe_received,
                attempts=attempts,
                status=exc.status,
            ) from exc
        if "error" in answer and len(answer) == 1:
            text = str(answer["error"])
            kind = AuthError if text.strip() in F.AUTH_ERROR_TEXTS else ProviderError
            raise kind(f"the provider refused the document: {text}", text)
        return answer

    def _post_once(self, body: bytes, attempt: int, url: str) -> dict:
        log.debug("POST %s (%d bytes, attempt %d)", url, len(body), attempt)
        try:
            response = self.session.post(
                url, data=body, headers=HEADERS, timeout=self.timeout, verify=self.verify
            )
        except requests.ConnectTimeout as exc:
            raise TransportError("connection timed out", maybe_received=False) from _scrub(exc)
        except requests.ReadTimeout as exc:
            raise TransportError("the answer timed out", maybe_received=True) from _scrub(exc)
        except requests.exceptions.SSLError as exc:
            raise ConfigError(f"TLS verification of {url} failed: {exc}") from _scrub(exc)
        except requests.ConnectionError as exc:
            refused = "NewConnectionError" in repr(exc.args)
            raise TransportError(
                "connection refused" if refused else "the connection broke",
                maybe_received=not refused,
            ) from _scrub(exc)
        except requests.RequestException as exc:
            raise TransportError(type(exc).__name__, maybe_received=True) from _scrub(exc)
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransportError(
                f"HTTP {status}",
                maybe_received=status not in (429, 503),
                status=status,
                retry_after=_retry_after(response),
            )
        if status != 200:
            raise ProviderError(f"HTTP {status} from {url}: is the URL right?")
        try:
            answer = json.loads(response.content)
        except ValueError:
            head = response.content[:40].decode("utf-8", "replace")
            raise TransportError(
                f"the answer is not complete JSON (starts {head!r})", maybe_received=True
            ) from None
        if not isinstance(answer, dict):
            raise TransportError("the answer is JSON but not an object", maybe_received=True)
        return answer

    # -- the two documents ---------------------------------------------------------------

    def send_document(self, blocks: Sequence[dict]) -> list[dict]:
        """Post a send document; one row per phone, in the order posted.

        Every phone must carry a ``client_id_message``: it is what makes a retry
        safe, so a block without one is refused before anything is posted.

        Example:
            >>> from targetsms_frames.sandbox import sandbox
            >>> with sandbox() as sb:
            ...     rows = sb.client().send_document([{"send_sms": "1", "sender_sms": "Shop",
            ...         "text_sms": "Hi", "phones": [{"phone": "79801234567",
            ...         "client_id_message": "1"}]}])
            >>> rows[0]["outcome"], rows[0]["count_message"]
            ('accepted', 1)
        """
        for b, block in enumerate(blocks, start=1):
            phones = block.get("phones") if isinstance(block, dict) else None
            if not isinstance(phones, list) or not phones:
                raise InputError(f"block {b} has no phones")
            for p, phone in enumerate(phones, start=1):
                client_id = phone.get("client_id_message") if isinstance(phone, dict) else None
                if not isinstance(client_id, str) or not client_id.isdigit():
                    raise InputError(
                        f"block {b}, phone {p} has no client_id_message of digits: without "
                        "one a retry could send the message twice. Plan the campaign with "
                        "tsf.plan(), which assigns them."
                    )
        answer = self.post({"message": list(blocks)})
        return answers.send_rows(blocks, answer)

    def fetch_state(self, ids: Iterable[str]) -> list[dict]:
        """Post a state document for these ids; typed state rows in the same order."""
        items = [{"id_message": str(i)} for i in ids]
        if not items:
            return []
        return answers.state_rows(self.post({"state": items}))
