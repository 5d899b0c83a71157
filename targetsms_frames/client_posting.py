"""Posting a document: credentials spliced into its bytes, retries, the answer read safely.

Credentials are added to a document only at the moment it is posted; the body
is encoded once and every retry posts the same bytes. Whether a failure is
retried is decided by one predicate, :func:`~targetsms_frames.retrying.should_retry`;
the policy around it is the client's tenacity ``Retrying``. Redirects are never
followed, and every text produced here passes through the client's
:class:`~targetsms_frames.redact.Scrubber` (a server may echo the request).

Split from :mod:`targetsms_frames.client` because this is the one job that holds a
secret in the posted bytes and reads hostile answers: :class:`Poster` knows nothing of
send or state documents (:mod:`~targetsms_frames.client_documents`) nor how a client
is set up (:class:`~targetsms_frames.client.Client`, which sets the attributes below).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import requests
from tenacity import Retrying

from . import answers
from . import fields as F
from .errors import AuthError, ConfigError, InputError, ProviderError, TransportError
from .lean_http import LeanPoster, LeanResponse
from .redact import Scrubber, Secret, SecretBytes, SecretHeader
from .retrying import retry_after_of
from .urls import redirect_target

# The client's log, under the name it always had (logging settings may name it).
log = logging.getLogger("targetsms_frames.client")

HEADERS = {"Content-Type": "application/json; charset=utf-8"}
CREDENTIAL_KEYS = frozenset({"login", "password", "security"})


def _stated(error: object) -> bool:
    """An ``error`` that says something (null, "" and blanks say nothing)."""
    return error is not None and not (isinstance(error, str) and not error.strip())


_SEND_HEAD = b'{"message":['


class QuickRead:
    """A reader tried on a 200 answer's bytes before they are decoded (``read`` gives
    None for an answer it does not read), and what it read."""

    __slots__ = ("read", "result")

    def __init__(self, read: Callable[[bytes], Any]) -> None:
        self.read, self.result = read, None


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """An explicit auth that adds nothing: without one requests would put a ~/.netrc
    password for the host in the Authorization header, over a token's Bearer."""
    return request


class Poster:
    """Posts documents for a :class:`~targetsms_frames.client.Client`, with safe retries."""

    # Set up by Client.__init__.
    login: str | None
    url: str
    timeout: float | tuple[float, float]
    verify: bool | str
    retry: Retrying
    session: requests.Session
    _gate_url: str
    _token: Secret | None
    _password: Secret | None
    _scrub: Scrubber
    _lean: LeanPoster | None

    @property
    def gate_url(self) -> str:
        """The account gate's address (``sendsmsjson.php`` beside :attr:`url`)."""
        return self._gate_url

    # -- posting -------------------------------------------------------------------------

    def post(self, payload: dict) -> dict:
        """Post one document (without credentials) and return the provider's JSON answer.

        Raises:
            AuthError: wrong login or password, or a blocked account.
            ProviderError: any other ``{"error": ...}`` for the whole document.
            TransportError: no usable answer after every retry.
            ConfigError: the address redirected elsewhere, or failed TLS verification.
        """
        answer = self._post(self.url, self._body(payload, nested=False))
        if len(answer) == 1 and _stated(answer.get("error")):
            self._refuse(answer["error"])
        return answer

    def post_encoded(self, payload: bytes | Sequence[bytes | memoryview]) -> dict:
        """Post one pre-encoded send document and return the provider's JSON answer.

        ``payload`` is the document's JSON without credentials, whole or in pieces, as
        :func:`targetsms_frames.encoding.encode_documents` makes it (``{"message":[...]}``);
        the credentials are spliced in front here, and the same bytes are posted on every
        retry, with the same safeguards as :meth:`post`.

        Raises:
            InputError: the payload is not a send document's JSON object.
            AuthError, ProviderError, TransportError, ConfigError: as :meth:`post`.
        """
        answer, raw = self._post_encoded(payload)
        return self._scrub.deep(answer, raw)

    def _post_encoded(
        self, payload: bytes | Sequence, quick: QuickRead | None = None
    ) -> tuple[dict, bytes]:
        """:meth:`post_encoded` with the answer not yet scrubbed, and its bytes.

        The caller scrubs before any text of the answer is used (``send_encoded`` takes
        only ASCII digits from it unscrubbed, which scrubbing never changes). With
        ``quick``, an answer it reads is not decoded: the answer given is ``{}`` and what
        it read is in ``quick.result``.
        """
        parts: Sequence[Any] = (
            [payload] if isinstance(payload, bytes | bytearray | memoryview) else payload
        )
        head = bytes(parts[0][: len(_SEND_HEAD)]) if parts else b""
        tail = bytes(parts[-1][-2:]) if parts else b""
        if head != _SEND_HEAD or tail != b"]}":
            raise InputError('an encoded document is the JSON object {"message":[...]}')
        raw: list[bytes] = []
        answer = self._post(self.url, self._spliced(parts), raw=raw, quick=quick)
        if len(answer) == 1 and _stated(answer.get("error")):
            self._refuse(answer["error"])
        return answer, raw[0]

    def post_gate(self, payload: dict) -> dict:
        """Post one document to the account gate and return its answer.

        Adds ``"security": {"login", "password"}`` (or the Bearer header for a token
        client) and posts with the same retries and safeguards as :meth:`post`.

        Example:
            >>> from targetsms_frames import Client
            >>> client = Client("me", "pw", url="http://127.0.0.1:9/sendmessagejson.php")
            >>> client.gate_url
            'http://127.0.0.1:9/sendsmsjson.php'

        Raises:
            AuthError: the gate refused the credentials ({"error": ...} with an auth text).
            ProviderError: any other ``{"error": ...}``.
            TransportError: no usable answer after every retry.
        """
        answer = self._post(self.gate_url, self._body(payload, nested=True))
        if _stated(answer.get("error")):
            self._refuse(answer["error"])
        return answer

    def _refuse(self, error: object) -> NoReturn:
        text = self._scrub.raw(error, 1000)
        kind = AuthError if text.strip() in F.AUTH_ERROR_TEXTS else ProviderError
        raise kind(f"the provider refused the document: {text}", text)

    def _body(self, payload: dict, *, nested: bool) -> SecretBytes:
        """The posted bytes: the payload encoded first (no secret is near if that fails),
        then the credentials spliced in front, straight into a masked object."""
        if not isinstance(payload, dict):
            raise InputError("a document is a dict")
        clash = CREDENTIAL_KEYS & payload.keys()
        if clash:
            raise InputError(
                f"a document must not carry {sorted(clash)}: the client adds the credentials"
            )
        encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if self._password is None:  # a token client: the Bearer header speaks for it
            return SecretBytes(encoded.encode("utf-8"))
        credentials = json.dumps(
            {"login": self.login, "password": self._password.reveal()},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        if nested:
            credentials = '{"security":' + credentials + "}"
        rest = "," + encoded[1:] if len(encoded) > 2 else "}"
        return SecretBytes((credentials[:-1] + rest).encode("utf-8"))

    def _spliced(self, parts: Sequence) -> SecretBytes:
        """An encoded document's bytes with the credentials spliced in front (as _body)."""
        if self._password is None:
            return SecretBytes(b"".join(parts))
        credentials = json.dumps(
            {"login": self.login, "password": self._password.reveal()},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        first = memoryview(parts[0])[1:]  # the payload's own "{" gives way to the login's
        return SecretBytes(b"".join((credentials[:-1], b",", first, *parts[1:])))

    def _headers(self) -> dict:
        if self._token is None:
            return HEADERS
        return {**HEADERS, "Authorization": SecretHeader("Bearer " + self._token.reveal())}

    def _post(
        self,
        url: str,
        body: SecretBytes,
        raw: list | None = None,
        quick: QuickRead | None = None,
    ) -> dict:
        """Post with retries; the answer scrubbed (with ``raw``: not scrubbed, and its
        bytes appended to ``raw`` for the caller, who scrubs; ``quick``: see
        :meth:`_post_encoded`)."""
        attempts = 0
        maybe_received = False
        failure: TransportError | None = None
        try:
            for attempt in self.retry.copy():
                with attempt:
                    attempts += 1
                    try:
                        return self._post_once(url, body, attempts, raw, quick)
                    except TransportError as exc:
                        maybe_received = maybe_received or exc.maybe_received
                        log.warning("attempt %d to %s failed: %s", attempts, self._scrub(url), exc)
                        raise
        except TransportError as exc:
            failure = exc
        fate = (
            "the provider may have received it; sending again with the same client ids is safe"
            if maybe_received
            else "the provider did not receive it"
        )
        raise TransportError(
            self._scrub(
                f"no usable answer from {url} after {attempts} attempt(s) (last: {failure}); {fate}"
            ),
            maybe_received=maybe_received,
            attempts=attempts,
            status=failure.status if failure else None,
        ) from failure

    def _post_once(
        self,
        url: str,
        body: SecretBytes,
        attempt: int,
        raw: list | None,
        quick: QuickRead | None = None,
    ) -> dict:
        log.debug("POST %s (%d bytes, attempt %d)", self._scrub(url), len(body), attempt)
        # Exceptions from requests are translated outside their except blocks and never
        # chained: their tracebacks hold frames whose locals are the raw request.
        failure: Exception | None = None
        lean = self._lean if self._lean is not None and self._lean.session is self.session else None
        response: requests.Response | LeanResponse
        try:
            settings = lean.usable(url, self.verify) if lean is not None else None
            if lean is not None and settings is not None:
                response = lean.post(body, self._headers(), self.timeout, settings)
            else:
                response = self.session.post(
                    url,
                    data=body,
                    headers=self._headers(),
                    timeout=self.timeout,
                    verify=self.verify,
                    allow_redirects=False,
                    auth=_no_netrc,
                )
        except requests.ConnectTimeout:
            failure = TransportError("connection timed out", maybe_received=False)
        except requests.ReadTimeout:
            failure = TransportError("the answer timed out", maybe_received=True)
        except requests.exceptions.SSLError as exc:
            failure = ConfigError(self._scrub(f"TLS verification of {url} failed: {exc}"))
        except requests.ConnectionError as exc:
            refused = "NewConnectionError" in repr(exc.args)
            failure = TransportError(
                "connection refused" if refused else "the connection broke",
                maybe_received=not refused,
            )
        except requests.RequestException as exc:
            failure = TransportError(type(exc).__name__, maybe_received=True)
        except (UnicodeError, ValueError, LookupError) as exc:
            # requests reads a redirect's Location even when it does not follow it; a
            # hostile one (bytes that are not UTF-8) raises from deep inside.
            failure = TransportError(
                f"the answer could not be read ({type(exc).__name__})", maybe_received=True
            )
        if failure is not None:
            raise failure
        return self._read(url, response, raw, quick)

    def _read(
        self,
        url: str,
        response: requests.Response | LeanResponse,
        raw: list | None = None,
        quick: QuickRead | None = None,
    ) -> dict:
        status = response.status_code
        if 300 <= status < 400:
            target = self._scrub(redirect_target(response.headers.get("Location", ""), url))
            raise ConfigError(
                self._scrub(
                    f"{url} answered HTTP {status}, a redirect to {target}; the client never "
                    "follows redirects (the document holds the credentials). Nothing was "
                    "accepted; the provider may have received the document, and sending "
                    "again with the same client ids is safe. Check the URL."
                )
            )
        if status == 429 or status >= 500:
            raise TransportError(
                f"HTTP {status}",
                maybe_received=status not in (429, 503),
                status=status,
                retry_after=retry_after_of(response),
            )
        if status != 200:
            raise ProviderError(self._scrub(f"HTTP {status} from {url}: is the URL right?"))
        if quick is not None and raw is not None:
            # An answer the quick reader reads is JSON of its own shape: nothing to refuse
            # or retry, and nothing to decode.
            result = quick.read(response.content)
            if result is not None:
                quick.result = result
                raw.append(response.content)
                return {}
        answer, problem = answers.decode(response.content)
        # Scrubbed at once: from here on the answer is in frame locals and in rows.
        if raw is None:
            answer = self._scrub.deep(answer, response.content)
        elif problem is None:
            raw.append(response.content)
        if problem is not None:
            head = self._scrub.raw(response.content[:4096].decode("utf-8", "ignore"), 40)
            raise TransportError(f"the answer is {problem} (starts {head!r})", maybe_received=True)
        assert answer is not None  # decode gives an object or a problem
        return answer
