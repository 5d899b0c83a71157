"""Posting through the client's own requests pool without requests' per-call work.

``requests.Session.post`` costs about 2 ms of CPU a call beyond the socket work: it
prepares a request object, reads the proxies and CA bundle from the environment
(every variable, every call), builds a response and reads the body in 10 KB pieces.
For a send of a million phones that is a large share of the client's time.

:class:`LeanPoster` posts through the very same connection pool (the session's own
``HTTPAdapter``, its TLS context and retry setting) with the same headers, timeouts
and no redirects, and raises the exceptions requests would raise for the same
failure, so :class:`~targetsms_frames.client.Client` translates them in one place.
It is used only for a session the client made itself and nobody has changed in a
way requests would honour (proxies, auth, cookies, hooks, another adapter):
anything else goes through ``session.post`` as before. The environment's settings
are read through requests once and read again whenever the environment changes.
"""

from __future__ import annotations

import os
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    DecodeError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.exceptions import HTTPError as _HTTPError
from urllib3.exceptions import InvalidHeader as _InvalidHeader
from urllib3.exceptions import ProxyError as _ProxyError
from urllib3.exceptions import SSLError as _SSLError

__all__ = ["LeanPoster", "LeanResponse"]


class LeanResponse:
    """What the client reads of an answer: ``status_code``, ``headers``, ``content``."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Any, content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content


class LeanPoster:
    """POSTs through a session's own adapter, as ``session.post`` would (see the module).

    Args:
        session: the client's own session (an ``HTTPAdapter`` mounted, no proxies).
    """

    def __init__(self, session: requests.Session) -> None:
        self.session = session
        self._env: dict | None = None
        self._settings: dict[tuple, tuple | None] = {}

    def usable(self, url: str, verify: Any) -> tuple | None:
        """What :meth:`post` needs for ``url`` when the lean path posts as requests would;
        None when ``session.post`` must (something requests honours is set)."""
        session = self.session
        if (
            session.proxies
            or session.auth is not None
            or session.cert is not None
            or session.params
            or len(session.cookies)
            or any(session.hooks.values())
            or not session.trust_env
        ):
            return None
        adapter = session.get_adapter(url)
        if type(adapter) is not HTTPAdapter:  # another transport mounted: requests' path
            return None
        if not hasattr(adapter, "get_connection_with_tls_context"):  # requests < 2.32.2
            return None
        # requests reads the environment again on every call; this reads it once and
        # compares: os.environ's own dict (CPython keeps it in ``_data``) copied in C.
        data = getattr(os.environ, "_data", None)
        env = dict(data) if isinstance(data, dict) else os.environ.copy()
        if env != self._env:
            self._env, self._settings = env, {}
        key = (url, verify if isinstance(verify, bool | str) else id(verify))
        if key not in self._settings:  # once per URL while the environment stays the same
            merged = session.merge_environment_settings(url, {}, None, verify, None)
            if select_proxy(url, merged["proxies"]) or merged["cert"] is not None:
                self._settings[key] = None
            else:
                prepared = requests.Request("POST", url).prepare()
                self._settings[key] = (prepared, merged["verify"])
        settings = self._settings[key]
        return None if settings is None else (*settings, adapter)

    def post(self, body: bytes, headers: dict, timeout: Any, settings: tuple) -> LeanResponse:
        """POST ``body`` to the URL of ``settings`` (from :meth:`usable`); never follows
        a redirect.

        Raises:
            requests.RequestException: the subclass requests raises for the same failure.
        """
        prepared, verify, adapter = settings
        sent = {**self.session.headers, **headers, "Content-Length": str(len(body))}
        if isinstance(timeout, tuple):
            connect, read = timeout
        else:
            connect = read = timeout
        try:
            pool = adapter.get_connection_with_tls_context(prepared, verify, None, None)
        except ValueError as exc:  # a bad CA bundle path, as requests raises it
            raise requests.exceptions.InvalidURL(exc) from None
        try:
            raw = pool.urlopen(
                method="POST",
                url=prepared.path_url,
                body=body,
                headers={k: v for k, v in sent.items() if v is not None},
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=adapter.max_retries,
                timeout=urllib3.Timeout(connect=connect, read=read),
                chunked=False,
            )
        except (ProtocolError, OSError) as exc:  # the table of HTTPAdapter.send
            raise requests.ConnectionError(exc) from None
        except MaxRetryError as exc:
            reason = exc.reason
            if isinstance(reason, ConnectTimeoutError) and not isinstance(
                reason, NewConnectionError
            ):
                raise requests.ConnectTimeout(exc) from None
            if isinstance(reason, ResponseError):
                raise requests.exceptions.RetryError(exc) from None
            if isinstance(reason, _ProxyError):
                raise requests.exceptions.ProxyError(exc) from None
            if isinstance(reason, _SSLError):
                raise requests.exceptions.SSLError(exc) from None
            raise requests.ConnectionError(exc) from None
        except ClosedPoolError as exc:
            raise requests.ConnectionError(exc) from None
        except _ProxyError as exc:
            raise requests.exceptions.ProxyError(exc) from None
        except _SSLError as exc:
            raise requests.exceptions.SSLError(exc) from None
        except ReadTimeoutError as exc:
            raise requests.ReadTimeout(exc) from None
        except _InvalidHeader as exc:
            raise requests.exceptions.InvalidHeader(exc) from None
        try:  # the body, as Response.content reads it (Response.iter_content's table)
            content = raw.read(decode_content=True)
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except ReadTimeoutError as exc:
            raise requests.ConnectionError(exc) from None
        except _SSLError as exc:
            raise requests.exceptions.SSLError(exc) from None
        except _HTTPError as exc:  # anything else urllib3 says about the body
            raise requests.RequestException(exc) from None
        finally:
            raw.release_conn()
        return LeanResponse(raw.status, raw.headers, content)
