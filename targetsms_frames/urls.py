"""The provider's address, checked exactly as the HTTP stack will read it.

Python's ``urlsplit`` and urllib3 (under requests) disagree on odd URLs: for
``http://HOST:PORT\\@127.0.0.1/`` the first sees 127.0.0.1 and the second
connects to HOST. So the host is taken from the request requests would prepare,
and anything two parsers could read differently (userinfo, backslashes,
whitespace, control characters) is refused outright.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from urllib3.util import parse_url

from .errors import ConfigError

GATE_PATH = "sendsmsjson.php"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_host(url: str, *, allow_http: bool = False) -> str:
    """The host requests will connect to for ``url``, or a ConfigError saying why not.

    Example:
        >>> checked_host("http://127.0.0.1:8080/sendmessagejson.php")
        '127.0.0.1'
        >>> checked_host("http://evil.example:80\\\\@127.0.0.1/")
        Traceback (most recent call last):
        ...
        targetsms_frames.errors.ConfigError: the URL has a backslash; ...
    """
    if not isinstance(url, str) or not url:
        raise ConfigError("the URL must be a non-empty text, e.g. https://sms.targetsms.ru/...")
    for bad, what in (("\\", "a backslash"), ("@", "a user name or password part ('@')")):
        if bad in url:
            raise ConfigError(
                f"the URL has {what}; two HTTP parsers could read its host differently. "
                "Write the provider's address plainly: https://host[:port]/path"
            )
    if any(c.isspace() or ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in url):
        raise ConfigError(
            "the URL has whitespace or a control character; write the provider's address "
            "plainly: https://host[:port]/path"
        )
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise ConfigError("the URL is not an http(s) address of the provider")
    try:
        prepared = requests.Request("POST", url).prepare()
        parts = parse_url(prepared.url or "")
    except (requests.RequestException, ValueError) as exc:
        raise ConfigError(f"the URL cannot be used: {type(exc).__name__}") from None
    host = (parts.host or "").strip("[]").lower()
    if not host or parts.auth:
        raise ConfigError("the URL has no host the client could connect to")
    if parts.scheme == "http" and not allow_http and not _is_loopback(host):
        raise ConfigError(
            f"refusing plain http:// to {host}: the password would travel in clear text. "
            "Use https://, or pass allow_http=True if you really mean it."
        )
    return host


def check_proxy(url: str, session: requests.Session, *, allow_http: bool = False) -> None:
    """Refuse plain http that a proxy (session or environment) would carry off the machine.

    requests sends an ``http://`` request to a proxy in clear, so ``http://127.0.0.1``
    with ``HTTP_PROXY`` set would hand the password to the proxy's host.
    """
    if allow_http or urlsplit(url).scheme != "http":
        return
    proxies = dict(getattr(session, "proxies", None) or {})
    if getattr(session, "trust_env", False):
        proxies = {**requests.utils.get_environ_proxies(url), **proxies}
    proxy = requests.utils.select_proxy(url, proxies)
    if not proxy:
        return
    try:
        host = (parse_url(proxy).host or "").strip("[]").lower()
    except ValueError:
        host = ""
    if not _is_loopback(host):
        raise ConfigError(
            f"plain http:// would go through the proxy at {host or 'an unreadable address'} "
            "and the password with it in clear text. Set NO_PROXY for this host, use "
            "https://, or pass allow_http=True if you really mean it."
        )


def gate_url_of(url: str) -> str:
    """The account gate beside an endpoint: its last path segment replaced.

    Example:
        >>> gate_url_of("https://sms.targetsms.ru/sendmessagejson.php")
        'https://sms.targetsms.ru/sendsmsjson.php'
    """
    parts = urlsplit(url)
    folder = parts.path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, f"{folder}/{GATE_PATH}", "", ""))


def redirect_target(location: str, base: str) -> str:
    """scheme://host[:port] of a redirect's target, never its path or query."""
    try:
        parts = urlsplit(urljoin(base, location))
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "an unreadable address"
    return f"{parts.scheme or '?'}://{host}{port}"
