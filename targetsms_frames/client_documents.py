"""The two documents a campaign posts: send (rows or columns per phone) and state.

Split from :mod:`targetsms_frames.client` because this is where the provider's
answers become rows and columns (:mod:`~targetsms_frames.answers`,
:mod:`~targetsms_frames.answer_columns`, :mod:`~targetsms_frames.state_answers`);
how a document is posted is :class:`~targetsms_frames.client_posting.Poster`'s job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from . import answers, state_answers, state_wire
from . import fields as F
from .client_posting import Poster, QuickRead, _stated
from .contracts import ID_COLUMNS
from .errors import InputError

if TYPE_CHECKING:
    from .encoding import Encoded

_ANSWER_KEYS = " ".join(
    ("message", "error", "client_id_message", "phone", "id_message", "count_message", *ID_COLUMNS)
)


class Documents(Poster):
    """The send and state documents of a :class:`~targetsms_frames.client.Client`."""

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
        from .answer_bytes import quick_columns
        from .answer_columns import send_columns

        secret_key = self._scrub(_ANSWER_KEYS) != _ANSWER_KEYS  # a secret spelled in a key
        # The common answer is read from its bytes (only its ASCII digits are taken, as
        # send_columns' common path takes them); any other is decoded.
        quick = None if secret_key else QuickRead(lambda content: quick_columns(document, content))
        answer, raw = self._post_encoded(document.parts, quick)
        if quick is not None and quick.result is not None:
            return quick.result

        def careful() -> object:  # the answer as post() has it: read by json, scrubbed
            return self._scrub.deep(answers.decode(raw)[0], raw)

        if secret_key:
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
