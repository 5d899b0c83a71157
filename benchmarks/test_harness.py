"""The benchmark harness checks itself: baselines do the same work, fakes answer validly.

Not in the default test run (testpaths); run it with
    python -m pytest -q -p no:cacheprovider benchmarks/test_harness.py
"""

from __future__ import annotations

import time

import baseline_pandas
import pytest
import requests
from baseline_send import batched_send, per_row_send, sample
from campaign import TEMPLATES, read_recipients, recipients, write_recipients
from null_provider import NullProvider, floor

import targetsms_frames as tsf


@pytest.fixture(scope="module")
def people():
    return recipients(600, seed=5)


def test_pandas_baseline_plans_what_the_package_plans(people, tmp_path):
    path = tmp_path / "r.parquet"
    write_recipients(600, path, seed=5)
    read = read_recipients(path)
    base, base_docs = baseline_pandas.plan_and_documents(read, TEMPLATES, campaign="t")
    plan = tsf.plan(read, TEMPLATES, campaign="t")
    docs = tsf.documents(plan)
    assert base["phone"].tolist() == plan["phone"].tolist()
    assert base["sms_parts"].tolist() == plan["sms_parts"].tolist()
    assert set(plan["sms_parts"]) == {1, 2}  # the campaign's part counts really vary
    posted = sorted(p["phone"] for d in base_docs for b in d["message"] for p in b["phones"])
    assert posted == sorted(p["phone"] for d in docs for b in d["message"] for p in b["phones"])
    assert all(len(b["phones"]) == 1 for d in base_docs for b in d["message"])


def test_baseline_counts_gsm_extension_and_ucs2_parts():
    assert baseline_pandas.sms_parts("a" * 160) == 1
    assert baseline_pandas.sms_parts("a" * 159 + "€") == 2  # the euro sign takes two septets
    assert baseline_pandas.sms_parts("я" * 70) == 1
    assert baseline_pandas.sms_parts("я" * 71) == 2


def test_null_provider_answers_send_and_states_validly(people):
    plan = tsf.plan(people, TEMPLATES, campaign="null-test")
    with NullProvider() as null:
        client = tsf.Client(null.login, null.password, url=null.url)
        # The null provider has no account gate: no preflight (as in bench_send.py).
        sent = tsf.send(plan, client, progress=False, max_phones=250, preflight=False)
        assert sent["outcome"].eq("accepted").all()
        assert sent["id_message"].str.fullmatch(r"\d+").all() and sent["id_message"].is_unique
        books = null.ledger(reset=True)
        assert books == {
            "documents": 3,
            "phones": 600,
            "distinct": 600,
            "repeated": 0,
            "state_ids": 0,
        }
        states = tsf.fetch_states(sent, client, progress=False)
        assert states["final"].all() and states["state"].eq("deliver").all()
        assert null.ledger()["state_ids"] == 600
        posted, _ = floor(tsf.documents(plan), null.url, null.login, null.password)
        assert posted == 600 and null.ledger()["phones"] == 600
        posted, _ = floor(tsf.documents(plan), null.url, null.login, null.password)
        assert null.ledger()["repeated"] == 600  # the same ids again since the last reset
        bad = tsf.Client(null.login, "wrong", url=null.url)
        with pytest.raises(tsf.errors.AuthError):
            tsf.fetch_states(["1"], bad, progress=False)


def test_latency_holds_each_request_and_the_baselines_post_through_it(people):
    with tsf.SandboxProcess(latency=0.05) as remote, NullProvider(latency=0.05) as null:
        for url in (remote.url, null.url):
            session = requests.Session()
            started = time.perf_counter()
            for _ in range(3):
                reply = session.post(url, data=b"{}")
            assert time.perf_counter() - started >= 0.15
            assert "error" in reply.json()  # each provider's own answer to an empty document
        plan = tsf.plan(people, TEMPLATES, campaign="latency-test")
        accepted, _ = batched_send(plan, remote.url, remote.login, remote.password, size=250)
        small = sample(tsf.plan(people, TEMPLATES, campaign="latency-test-2"), 5)
        accepted_one, _ = per_row_send(small, remote.url, remote.login, remote.password)
        assert (accepted, accepted_one) == (600, 5)
        assert len(remote.ledger()["accepted"]) == 605
        accepted, seconds = batched_send(plan, null.url, null.login, null.password, size=250)
        assert accepted == 600 == null.ledger()["distinct"] and seconds >= 3 * 0.05


def test_null_provider_fast_path_answers_as_the_decoded_json_would(people):
    import json

    import null_provider as npv

    plan = tsf.plan(people.head(50), TEMPLATES, campaign="fast-path")
    compact = {"login": npv.LOGIN, "password": npv.PASSWORD, **tsf.documents(plan)[0]}
    spaced = json.dumps(compact).encode()  # default separators, ASCII escapes
    states = json.dumps(
        {
            "login": npv.LOGIN,
            "password": npv.PASSWORD,
            "state": [{"id_message": "5"}, {"id_message": "77"}],
        }
    ).encode()
    wrong = json.dumps(compact | {"password": "nope"}).encode()
    for body in (json.dumps(compact, ensure_ascii=False).encode(), spaced, states, wrong, b"{"):
        before = npv.BOOKS.next_id
        fast = npv.answer(body)
        npv.BOOKS.next_id = before  # the same fresh ids for the reference
        assert json.loads(fast) == json.loads(npv.answer_decoded(body))
    assert len(json.loads(npv.answer(spaced))["message"]) == 50


def test_campaign_file_has_the_copies_it_says_and_one_row_per_recipient(tmp_path):
    from bench_campaign import write_campaign

    path = str(tmp_path / "c.parquet")
    copies = write_campaign(path, 5_000, duplicates=40)
    frames = list(tsf.read_table_chunks(path, 1_000))
    assert sum(len(f) for f in frames) == 5_000 and copies == 4 * 40
    plans = list(tsf.plan_chunks(frames, TEMPLATES, campaign="t"))
    problems = [p for plan in plans for p in plan["problem"].dropna()]
    assert len(problems) == copies and all("duplicate of row" in p for p in problems)


def test_cpu_seconds_reads_another_process_and_this_one():
    import subprocess
    import sys

    from _common import cpu_seconds

    burn = (
        "import time\n"
        "t = time.process_time()\n"
        "while time.process_time() - t < 0.3: pass\n"
        "print('burnt', flush=True)\n"
        "time.sleep(30)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "burnt"
        # The child's 0.3 s of CPU, in clock ticks (startup adds a little, never less).
        assert 0.29 <= cpu_seconds(child.pid) < 5
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    before = cpu_seconds()
    t = time.process_time()
    while time.process_time() - t < 0.05:
        pass
    assert cpu_seconds() - before >= 0.05


def test_bytes_mode_checks_every_document_and_keeps_its_bookkeeping_out_of_the_clock(tmp_path):
    from bench_plan import one_run

    path = str(tmp_path / "r.parquet")
    write_recipients(3_000, path, seed=7)
    got = one_run("bytes", path)
    dicts = one_run("package", path)
    # The same checks as the dicts mode, from the arrays kept inside the loop.
    for key in ("rows", "problems", "phones", "parts", "posted", "posted_phones"):
        assert got[key] == dicts[key], key
    assert got["posted"] == 3_000 == got["ids_distinct"] and got["ids_digits"]
    # The bookkeeping was timed, and is not in the documents' figures.
    assert got["bookkeeping_s"] > 0 and got["bookkeeping_cpu_s"] >= 0
    assert got["documents_s"] > 0 and got["cpu_s"] >= got["plan_cpu_s"]
    assert got["total_s"] == pytest.approx(got["plan_s"] + got["documents_s"])
