"""send(): concurrent, journaled, never twice, nothing lost — even when killed."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest
from killing import send_and_kill

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.answers import SENT_COLUMNS
from targetsms_frames.errors import AuthError, JournalError
from targetsms_frames.sandbox import SandboxProcess


def recipients(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "phone": [str(79000000000 + start + i) for i in range(n)],
            "name": [f"Client {i}" for i in range(n)],
            "template": ["viber" if i % 2 else "sms" for i in range(n)],
        }
    )


TEMPLATES = pd.DataFrame(
    {
        "template": ["viber", "sms"],
        "send_viber": ["1", "0"],
        "send_sms": ["2", "1"],
        "sender_viber": ["Shop", None],
        "text_viber": ["{name}, скидка 10%", None],
        "sender_sms": ["Shop", "Shop"],
        "text_sms": ["{name}, скидка 10%", "{name}, sale"],
    }
)


def make_plan(n: int, start: int = 0, campaign: str = "test") -> pd.DataFrame:
    return tsf.plan(recipients(n, start), TEMPLATES, campaign=campaign)


def assert_once(ledger, plan):
    assert set(ledger.accepted.values()) == {1}
    assert set(ledger.accepted) == set(plan.loc[plan.problem.isna(), "client_id_message"])
    assert set(ledger.phones.values()) == {1}


def test_ten_thousand_recipients_through_thirty_percent_faults():
    plan = make_plan(10_000)
    faults = tsf.Faults(rate=0.3, seed=11, retry_after=0, slow_seconds=0.5)
    with tsf.sandbox(faults=faults, balance="1000000") as sb:
        client = sb.client(
            timeout=(2, 0.25), retry=tsf.default_retry(attempts=12, sleep=lambda s: None)
        )
        sent = tsf.send(plan, client, workers=4, max_phones=250, progress=False)
        ledger = sb.ledger
        injected = sb.faults.injected
    assert sent["outcome"].eq("accepted").all(), sent["error"].dropna().unique()[:3]
    assert sent["id_message"].str.fullmatch(r"\d+").all()
    assert_once(ledger, plan)
    assert injected["drop_after"] > 0 and sum(injected.values()) >= 10


def test_sent_frame_contract():
    plan = tsf.plan(
        pd.concat(
            [recipients(3), pd.DataFrame({"phone": ["nope"], "name": ["X"], "template": ["sms"]})],
            ignore_index=True,
        ).set_axis(["a", "b", "c", "d"]),
        TEMPLATES,
        campaign="contract",
    )
    with tsf.sandbox(stop_list=["79000000001"]) as sb:
        # Without the preflight, so that the provider's own refusal is what is shown.
        sent = tsf.send(plan, sb.client(), progress=False, preflight=False)
    assert list(sent.columns) == list(SENT_COLUMNS)
    assert sent.index.equals(plan.index)
    assert sent["outcome"].tolist() == ["accepted", "rejected", "accepted", "invalid"]
    assert sent.loc["b", "error"] == "Номер телефона присутствует в стоп-листе."
    assert sent.loc["d", "error"].startswith("phone: 'nope'")
    assert str(sent["count_message"].dtype) == "Int64"
    for column in SENT_COLUMNS:
        if column != "count_message":
            assert pd.api.types.is_string_dtype(sent[column]), column
    assert pd.isna(sent.loc["a", "id_viber"]) and sent.loc["b", "phone"] == "79000000001"
    assert sent.loc["c", "id_sms"].isdigit() and sent.loc["c", "count_message"] == 1


def test_send_twice_with_a_journal_posts_nothing_new(tmp_path):
    plan = make_plan(500)
    journal = tmp_path / "campaign.journal"
    with tsf.sandbox() as sb:
        first = tsf.send(plan, sb.client(), journal=journal, max_phones=100, progress=False)
        posted = sb.requests
        second = tsf.send(plan, sb.client(), journal=journal, max_phones=100, progress=False)
        assert sb.requests == posted == 5
        assert_once(sb.ledger, plan)
    pd.testing.assert_frame_equal(first, second)


def test_send_twice_without_a_journal_gets_the_same_ids_back():
    plan = make_plan(50)
    with tsf.sandbox() as sb:
        first = tsf.send(plan, sb.client(), progress=False)
        second = tsf.send(plan, sb.client(), progress=False)
        assert_once(sb.ledger, plan)
    assert first["id_message"].tolist() == second["id_message"].tolist()


def test_unknown_rows_are_sent_again_with_the_same_ids(tmp_path):
    plan = make_plan(40)
    journal = tmp_path / "j.journal"
    with tsf.sandbox(faults=tsf.Faults(retry_after=0)) as sb:
        client = sb.client(retry=tsf.default_retry(attempts=2, sleep=lambda s: None))
        sb.inject("drop_after", "drop_after")  # the first document's answer is lost twice
        first = tsf.send(plan, client, journal=journal, max_phones=10, workers=1, progress=False)
        assert first["outcome"].value_counts().to_dict() == {"accepted": 30, "unknown": 10}
        assert (
            first.loc[first.outcome == "unknown", "error"].str.contains("may have received").all()
        )
        second = tsf.send(plan, client, journal=journal, max_phones=10, workers=1, progress=False)
        assert second["outcome"].eq("accepted").all()
        assert sb.requests == 2 + 3 + 1  # only the unknown document was posted again
        assert_once(sb.ledger, plan)
    pd.testing.assert_series_equal(
        first.id_message[first.outcome == "accepted"],
        second.id_message[first.outcome == "accepted"],
    )


def test_duplicate_text_answers_keep_the_journaled_ids(tmp_path):
    plan = make_plan(20)
    journal = tmp_path / "j.journal"
    with tsf.sandbox(duplicate_answer="error", faults=tsf.Faults(retry_after=0)) as sb:
        client = sb.client()
        sb.inject("truncated")  # accepted, answer cut: the retry is answered "already sent"
        sent = tsf.send(plan, client, journal=journal, workers=1, progress=False)
    assert sent["outcome"].eq("accepted").all()
    assert sent["error"].eq("accepted earlier; the provider did not repeat its id_message").all()
    with tsf.sandbox(duplicate_answer="error") as sb:
        client = sb.client()
        tsf.send(plan, client, journal=tmp_path / "k.journal", progress=False)
        again = tsf.send(plan.iloc[:5], client, journal=tmp_path / "k.journal", progress=False)
    assert again["id_message"].str.isdigit().all() and again["error"].isna().all()


def test_the_journal_refuses_another_account_and_holds_no_password(tmp_path):
    plan = make_plan(10)
    journal = tmp_path / "j.journal"
    with tsf.sandbox(password="Secret-Password-77") as sb:
        tsf.send(plan, sb.client(), journal=journal, progress=False)
    # Another sandbox of the same login is the same account (its port changes every run);
    # another login is another account.
    with tsf.sandbox(login="someone-else") as other:
        with pytest.raises(JournalError, match="use a new journal file"):
            tsf.send(plan, other.client(), journal=journal, progress=False)
        assert other.requests == 0
    for path in tmp_path.iterdir():
        assert b"Secret-Password-77" not in path.read_bytes()


def test_a_wrong_password_stops_the_send(tmp_path):
    plan = make_plan(10)
    with tsf.sandbox() as sb:
        client = tsf.Client(sb.login, "wrong", url=sb.url)
        with pytest.raises(AuthError):
            tsf.send(plan, client, journal=tmp_path / "j.journal", progress=False)


def test_rows_without_money_are_held_not_rejected(monkeypatch):
    plan = make_plan(4)
    with tsf.sandbox() as sb:
        sb.provider.accounts[sb.login].balance = 0
        sent = tsf.send(plan, sb.client(), progress=False, preflight=False)
        held = sb.ledger.held
    # The provider's documented no-money text: it keeps the message until a top-up.
    assert sent["outcome"].eq("held").all()
    assert sent["error"].eq(F.ERR_HELD).all()
    assert held == dict.fromkeys(plan["client_id_message"], 1)


CHILD = textwrap.dedent(
    """
    import sys, pandas as pd, targetsms_frames as tsf
    sys.path.insert(0, {tests!r})
    from test_sending import make_plan
    url, login, password, journal = sys.argv[1:5]
    client = tsf.Client(login, password, url=url, timeout=(2, 0.5))
    tsf.send(make_plan(20_000), client, journal=journal, workers=2, max_phones=200, progress=False)
    print("finished")
    """
)


def test_killed_mid_campaign_resumes_from_the_journal(tmp_path):
    faults = ("--fault-rate", "0.2", "--faults", "drop_after,http_503,truncated")
    with SandboxProcess("--balance", "10000000", *faults) as remote:
        journal = tmp_path / "campaign.journal"
        accepted_at_kill = send_and_kill(remote, CHILD, journal, at_least=4000)
        assert 4000 <= accepted_at_kill < 20_000

        plan = make_plan(20_000)
        client = remote.client(
            timeout=(2, 0.5), retry=tsf.default_retry(attempts=10, sleep=lambda s: None)
        )
        sent = tsf.send(plan, client, journal=journal, workers=2, max_phones=200, progress=False)
        ledger = remote.ledger()
    assert sent["outcome"].eq("accepted").all()
    assert sent["id_message"].notna().all() and sent["id_message"].nunique() == 20_000
    assert len(ledger["accepted"]) == 20_000 and set(ledger["accepted"].values()) == {1}
    assert set(ledger["phones"].values()) == {1}
