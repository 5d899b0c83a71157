"""The journal: refuses every damaged or foreign file by name before anything is posted."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pandas as pd
import pytest

import targetsms_frames as tsf
from targetsms_frames.errors import JournalError
from targetsms_frames.journal import FORMAT, Journal, endpoint


def small_plan(n: int = 6) -> pd.DataFrame:
    return tsf.plan(
        pd.DataFrame(
            {
                "phone": [str(79801230000 + i) for i in range(n)],
                "send_sms": "1",
                "sender_sms": "Shop",
                "text_sms": "Hi",
            }
        ),
        campaign="journal",
    )


@pytest.fixture
def written(tmp_path):
    """A real journal of one accepted campaign, and its sandbox's login."""
    path = tmp_path / "campaign.journal"
    with tsf.sandbox() as sb:
        tsf.send(small_plan(), sb.client(), journal=path, max_phones=3, progress=False)
    return path


def execute(path, *statements):
    db = sqlite3.connect(path)
    with db:
        for statement in statements:
            db.execute(statement)
    db.close()


def refused(path, *match: str):
    """send with this journal raises a JournalError naming the file, and posts nothing."""
    with tsf.sandbox() as sb:
        with pytest.raises(JournalError) as caught:
            tsf.send(small_plan(), sb.client(), journal=path, progress=False)
        assert sb.requests == 0
    message = str(caught.value)
    assert str(path) in message
    for text in match:
        assert text in message, message
    return message


def test_a_new_journal_says_what_it_is(tmp_path):
    path = tmp_path / "new.journal"
    Journal(path).close()
    assert sorted(os.listdir(tmp_path)) == ["new.journal"]  # no side file left behind
    meta = dict(sqlite3.connect(path).execute("SELECT key, value FROM meta").fetchall())
    assert meta == {"format": FORMAT, "version": "2"}


def test_results_are_stored_by_column_name(written):
    db = sqlite3.connect(written)
    (record,) = db.execute("SELECT results FROM documents ORDER BY id LIMIT 1").fetchone()
    record = json.loads(record)
    assert record["columns"][:2] == ["client_id_message", "phone"]
    assert all(len(row) == len(record["columns"]) for row in record["rows"])


def test_a_journal_with_an_extra_result_column_still_resumes(written):
    # A later version may record another column: an old reader keeps what it knows.
    db = sqlite3.connect(written)
    with db:
        for doc_id, results in db.execute("SELECT id, results FROM documents").fetchall():
            record = json.loads(results)
            record["columns"].append("id_whatsapp")
            for row in record["rows"]:
                row.append(None)
            db.execute(
                "UPDATE documents SET results = ? WHERE id = ?", (json.dumps(record), doc_id)
            )
    db.close()
    with tsf.sandbox() as sb:
        sent = tsf.send(small_plan(), sb.client(), journal=written, progress=False)
        assert sb.requests == 0
    assert sent["outcome"].eq("accepted").all() and sent["id_message"].notna().all()


def test_an_empty_file_is_not_adopted(tmp_path):
    path = tmp_path / "empty.journal"
    path.write_bytes(b"")
    refused(path, "empty file", "delete it")
    assert path.read_bytes() == b""


def test_a_text_file_is_not_adopted(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("phone,name\n79801234567,Anna\n")
    refused(path, "not an SQLite file", "left untouched")
    assert path.read_text().startswith("phone,name")


def test_an_unrelated_sqlite_database_is_not_adopted(tmp_path):
    path = tmp_path / "shop.db"
    execute(
        path, "CREATE TABLE orders (id INTEGER, total TEXT)", "INSERT INTO orders VALUES (1, 'x')"
    )
    refused(path, "not a targetsms_frames journal", "left untouched")
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("orders",)]


def test_a_database_with_a_foreign_meta_table_is_not_adopted(tmp_path):
    path = tmp_path / "other.db"
    execute(
        path,
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT INTO meta VALUES ('login', 'x')",
    )
    refused(path, "not a targetsms_frames journal")


def test_a_journal_of_the_first_format_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.journal"
    execute(
        path,
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE documents (id INTEGER PRIMARY KEY, phones TEXT, posted_at REAL, "
        "answered_at REAL, summary TEXT, results TEXT)",
        "INSERT INTO meta VALUES ('login', 'sandbox'), ('url', 'http://127.0.0.1:1/x.php')",
    )
    refused(path, "earlier version", "journal format 1", "new journal file", "not sent twice")


def test_a_newer_format_is_refused(written):
    execute(written, "UPDATE meta SET value = '99' WHERE key = 'version'")
    refused(written, "journal format '99'", "upgrade")


def test_a_wrong_schema_is_refused(written):
    execute(written, "DROP TABLE documents", "CREATE TABLE documents (id INTEGER)")
    refused(written, "damaged", "table documents lacks", "new journal file")


def test_a_malformed_database_is_refused(written):
    data = bytearray(written.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, overwritten
    written.write_bytes(bytes(data))
    refused(written, "damaged")


@pytest.mark.parametrize(
    ("results", "what"),
    [
        ("{not json", "document 1"),
        ('[["1", "2"]]', "document 1: results is not an object"),
        ('{"columns": ["client_id_message", "outcome"], "rows": [["1"]]}', "not 2 values"),
        ('{"columns": ["client_id_message", "outcome"], "rows": [["1", "won"]]}', "'won'"),
        ('{"columns": ["client_id_message", "outcome"], "rows": [[1, "accepted"]]}', "not an id"),
        (
            '{"columns": ["client_id_message", "outcome", "id_message"], '
            '"rows": [["1", "accepted", "１２３"]]}',
            "id_message '１２３'",
        ),
        ('{"columns": ["phone"], "rows": [["7"]]}', "lacks the client_id_message"),
    ],
)
def test_damaged_results_are_refused_naming_the_document(written, results, what):
    execute(written, f"UPDATE documents SET results = '{results}' WHERE id = 1")
    refused(written, "damaged", what)


def test_a_posted_document_of_the_wrong_width_is_refused(written):
    execute(
        written, """UPDATE documents SET results = NULL, phones = '[["1", "2"]]' WHERE id = 2"""
    )
    refused(written, "document 2", "not 3 values")


def test_a_read_only_journal_is_refused(written):
    os.chmod(written, stat.S_IRUSR | stat.S_IRGRP)
    try:
        refused(written, "read-only", "writable")
    finally:
        os.chmod(written, stat.S_IRUSR | stat.S_IWUSR)


def test_a_sandbox_on_another_port_is_the_same_account(written):
    with tsf.sandbox() as sb:  # same login, new port: the CLI's sandbox on every run
        sent = tsf.send(small_plan(), sb.client(), journal=written, progress=False)
        assert sb.requests == 0
    assert sent["outcome"].eq("accepted").all()


def test_the_journal_binds_to_the_clients_account_when_it_has_one(written):
    with tsf.sandbox() as sb:
        sb.provider.add_token("tok-journal", sb.login)
        client = tsf.Client(token="tok-journal", url=sb.url)  # its account is "token:<digest>"
        with pytest.raises(JournalError, match="account 'sandbox'"):
            tsf.send(small_plan(), client, journal=written, progress=False)


def test_the_endpoint_ignores_only_a_loopback_port():
    assert endpoint("http://localhost:8707/x.php") == "http://localhost/x.php"
    assert endpoint("http://[::1]:8707/x.php") == "http://[::1]/x.php"
    assert endpoint("https://gw.example.ru:8443/x.php") == "https://gw.example.ru:8443/x.php"
    assert endpoint("https://gw.example.ru/x.php") != endpoint("https://gw.example.ru:8443/x.php")
