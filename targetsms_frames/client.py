"""Client: the one place that talks to the provider.

Credentials are added to a document only at the moment it is posted; the body
is encoded once and every retry posts the same bytes. Whether a failure is
retried is decided by one predicate, :func:`should_retry`; the policy around it
is a tenacity ``Retrying`` value that the caller may replace.

Hostile answers are expected: redirects are never followed, and every text the
client produces passes through a :class:`~targetsms_frames.redact.Scrubber`
that masks the password and the token (a server may echo the request).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import requests
from requests.adapters import HTTPAdapter
from tenacity import Retrying

from . import answers, state_answers, state_wire
from . import fields as F
from .contracts import ID_COLUMNS
from .errors import AuthError, ConfigError, InputError, ProviderError, TransportError
from .lean_http import LeanPoster, LeanResponse
from .redact import Scrubber, Secret, SecretBytes, SecretHeader
from .retrying import MAX_RETRY_AFTER, default_retry, retry_after_of, should_retry
from .urls import check_proxy, checked_host, gate_url_of, redirect_target

if TYPE_CHECKING:
    from .encoding import Encoded

log = logging.getLogger(__name__)
__all__ = ["MAX_RETRY_AFTER", "Client", "default_retry", "should_retry"]

HEADERS = {"Content-Type": "application/json; charset=utf-8"}
# The key of the account digest: fixed, so the same token always names the same account
# in a journal; it keeps the digest from being a plain hash of the token.
ACCOUNT_KEY = b"targetsms_frames/account/v1"
TOKEN_RE = re.compile(r"[\x21-\x7e]+")  # what an HTTP header carries as it is
CREDENTIAL_KEYS = frozenset({"login", "password", "security"})


def _stated(error: object) -> bool:
    """An ``error`` that says something (null, "" and blanks say nothing)."""
    return error is not None and not (isinstance(error, str) and not error.strip())


_SEND_HEAD = b'{"message":['
_ANSWER_KEYS = " ".join(
    ("message", "error", "client_id_message", "phone", "id_message", "count_message", *ID_COLUMNS)
)


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """An explicit auth that adds nothing: without one requests would put a ~/.netrc
    password for the host in the Authorization header, over a token's Bearer."""
    return request


class Client:
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
        if session is None:
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

    @property
    def gate_url(self) -> str:
        """The account gate's address (``sendsmsjson.php`` beside :attr:`url`)."""
        return self._gate_url

    def __repr__(self) -> str:
        if self._token is not None:
            return f"Client(account={self.account!r}, token='***', url={self.url!r})"
        return f"Client(login={self.login!r}, password='***', url={self.url!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Client holds credentials and is not pickled; make one per process")

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

    def _post_encoded(self, payload: bytes | Sequence) -> tuple[dict, bytes]:
        """:meth:`post_encoded` with the answer not yet scrubbed, and its bytes.

        The caller scrubs before any text of the answer is used (``send_encoded`` takes
        only ASCII digits from it unscrubbed, which scrubbing never changes).
        """
        parts: Sequence[Any] = (
            [payload] if isinstance(payload, bytes | bytearray | memoryview) else payload
        )
        head = bytes(parts[0][: len(_SEND_HEAD)]) if parts else b""
        tail = bytes(parts[-1][-2:]) if parts else b""
        if head != _SEND_HEAD or tail != b"]}":
            raise InputError('an encoded document is the JSON object {"message":[...]}')
        raw: list[bytes] = []
        answer = self._post(self.url, self._spliced(parts), raw=raw)
        if len(answer) == 1 and _stated(answer.get("error")):
            self._refuse(answer["error"])
        return answer, raw[0]

    def post_gate(self, payload: dict) -> dict:
        """Post one document to the account gate and return its answer.

        Adds ``"security": {"login", "password"}`` (or the Bearer header for a token
        client) and posts with the same retries and safeguards as :meth:`post`.

        Example:
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
    ) -> dict:
        """Post with retries; the answer scrubbed (with ``raw``: not scrubbed, and its
        bytes appended to ``raw`` for the caller, who scrubs)."""
        attempts = 0
        maybe_received = False
        failure: TransportError | None = None
        try:
            for attempt in self.retry.copy():
                with attempt:
                    attempts += 1
                    try:
                        return self._post_once(url, body, attempts, raw)
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

    def _post_once(self, url: str, body: SecretBytes, attempt: int, raw: list | None) -> dict:
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
        return self._read(url, response, raw)

    def _read(
        self,
        url: str,
        response: requests.Response | LeanResponse,
        raw: list | None = None,
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
                if not isinstance(client_id, str) or not F.CLIENT_ID_RE.fullmatch(client_id):
                    raise InputError(
                        f"block {b}, phone {p} has no client_id_message of digits: without "
                        "one a retry could send the message twice. Plan the campaign with "
                        "tsf.plan(), which assigns them."
                    )
        answer = self.post({"message": list(blocks)})
        return answers.send_rows(blocks, answer, scrub=self._scrub)

    def send_encoded(self, document: Encoded) -> dict[str, list]:
        """Post a document from :func:`~targetsms_frames.encoding.encode_documents`; the
        sent frame's columns, one value per phone in the order posted (as
        :meth:`send_document` gives rows). ``send`` checks the client ids before encoding.
        """
        from .answer_columns import send_columns

        answer, raw = self._post_encoded(document.parts)

        def careful() -> object:  # the answer as post() has it: read by json, scrubbed
            return self._scrub.deep(answers.decode(raw)[0], raw)

        if self._scrub(_ANSWER_KEYS) != _ANSWER_KEYS:  # a secret spelled inside a key name
            return send_columns(document, careful(), scrub=self._scrub)
        return send_columns(document, answer, scrub=self._scrub, scrubbed=careful)

    def fetch_state(self, ids: Iterable[str]) -> list[dict]:
        """Post a state document for these ids; typed state rows in the same order."""
        items = [{"id_message": str(i)} for i in ids]
        if not items:
            return []
        return answers.state_rows(self.post({"state": items}), scrub=self._scrub)

    def _fetch_state_items(self, ids: Iterable[str]) -> state_answers.StateItems:
        """:meth:`fetch_state` unparsed: the answer's items and the client's scrubber
        (``state_answers.state_table`` parses the items of many documents at once). Items
        of a plain ``{"state": [...]}`` answer come unscrubbed, with the answer and its
        bytes: see ``state_answers.StateItems``."""
        ids = list(ids)
        body = state_wire.state_body(ids)  # digit ids joined: the bytes json would give
        if body is None:
            answer = self.post({"state": [{"id_message": str(i)} for i in ids]}) if ids else {}
        else:  # as post() does, without encoding the document again
            raw: list[bytes] = []
            answer = self._post(self.url, self._spliced([body]), raw=raw)
            found = answer.get("state")
            if len(answer) == 1 and type(found) is list and self._scrub("state") == "state":
                # No error to raise: the items are scrubbed later, if need be (their
                # texts are checked once each; see state_answers.unscrubbed_state_table).
                return state_answers.StateItems(found, self._scrub, (answer, raw[0]))
            answer = self._scrub.deep(answer, raw[0])
            if len(answer) == 1 and _stated(answer.get("error")):
                self._refuse(answer["error"])
        found = answer.get("state")
        return state_answers.StateItems(found if isinstance(found, list) else [], self._scrub)
