"""Rows are never lost or misreported: resumed campaigns and duplicate labels."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.errors import InputError


def recipients(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(n)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Sale",
        }
    )


def sandbox_now(sb) -> datetime:
    return datetime.fromtimestamp(sb.provider.now(), F.MSK)


def test_a_resumed_campaign_keeps_what_was_accepted_after_a_re_plan(tmp_path):
    journal = tmp_path / "campaign.journal"
    with tsf.sandbox() as sb:
        start = sandbox_now(sb)
        people = recipients().assign(
            time_send=(start + timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
        )
        first_plan = tsf.plan(people, campaign="resume", now=start)
        assert first_plan["problem"].isna().all()
        first = tsf.send(first_plan, sb.client(), journal=journal, progress=False)
        assert first["outcome"].eq("accepted").all()
        posted = sb.requests

        sb.advance(minutes=10)  # the same cell run again later: time_send is now past
        later_plan = tsf.plan(people, campaign="resume", now=sandbox_now(sb))
        assert later_plan["problem"].str.endswith("is in the past").all()
        again = tsf.send(later_plan, sb.client(), journal=journal, progress=False)
        assert sb.requests == posted  # nothing posted again
        ledger = sb.ledger
    assert again["outcome"].eq("accepted").all()
    assert again["id_message"].tolist() == first["id_message"].tolist()
    assert again["client_id_message"].tolist() == first["client_id_message"].tolist()
    assert (
        again["error"]
        .str.startswith("accepted before (the journal has it); today's plan says: time_send: ")
        .all()
    )
    assert set(ledger.accepted.values()) == {1} and len(ledger.accepted) == 4


def test_without_the_journal_a_re_planned_invalid_row_stays_invalid():
    with tsf.sandbox() as sb:
        start = sandbox_now(sb)
        people = recipients(1).assign(
            time_send=(start + timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
        )
        tsf.send(tsf.plan(people, campaign="r", now=start), sb.client(), progress=False)
        sb.advance(minutes=10)
        sent = tsf.send(
            tsf.plan(people, campaign="r", now=sandbox_now(sb)), sb.client(), progress=False
        )
    assert sent.loc[0, "outcome"] == "invalid" and pd.isna(sent.loc[0, "id_message"])


def test_a_duplicate_row_does_not_claim_its_twins_journaled_id(tmp_path):
    journal = tmp_path / "j.journal"
    people = recipients(2)
    with tsf.sandbox() as sb:
        tsf.send(tsf.plan(people, campaign="d"), sb.client(), journal=journal, progress=False)
        twice = pd.concat([people, people.iloc[[0]]], ignore_index=True)
        sent = tsf.send(tsf.plan(twice, campaign="d"), sb.client(), journal=journal, progress=False)
    assert sent["outcome"].tolist() == ["accepted", "accepted", "invalid"]
    assert sent["id_message"].notna().sum() == 2


# -- duplicate labels: refused by every frame-taking function, before anything is done -------


@pytest.fixture(scope="module")
def frames():
    plan = tsf.plan(recipients(), campaign="labels")
    with tsf.sandbox(speed=3600) as sb:
        sent = tsf.send(plan, sb.client(), progress=False)
        states = tsf.fetch_states(sent, sb.client(), wait=True, interval=0.05, progress=False)
    return plan, sent, states


def doubled(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame])


def twin_column(frame: pd.DataFrame) -> pd.DataFrame:
    column = frame.columns[0]
    return pd.concat([frame, frame[[column]]], axis=1)


CALLS = {
    "plan": lambda f, sb: tsf.plan(f["recipients"], campaign="x"),
    "problems": lambda f, sb: tsf.problems(f["plan"]),
    "documents": lambda f, sb: tsf.documents(f["plan"]),
    "send": lambda f, sb: tsf.send(f["plan"], sb.client(), progress=False),
    "fetch_states": lambda f, sb: tsf.fetch_states(f["sent"], sb.client(), progress=False),
    "estimate_cost": lambda f, sb: tsf.estimate_cost(f["plan"], {"viber": 1, "sms": 2}),
    "cost_report": lambda f, sb: tsf.cost_report(f["states"]),
    "cost_report estimate": lambda f, sb: tsf.cost_report(f["states"], estimate=f["estimate"]),
}


@pytest.mark.parametrize("damage", [doubled, twin_column])
@pytest.mark.parametrize("call", CALLS)
def test_every_frame_taking_function_refuses_ambiguous_rows_before_acting(frames, call, damage):
    plan, sent, states = frames
    good = {
        "recipients": recipients(),
        "plan": plan,
        "sent": sent,
        "states": states,
        "estimate": tsf.estimate_cost(plan, {"viber": 1, "sms": 2}),
    }
    target = {"plan": "recipients", "cost_report estimate": "estimate"}.get(call)
    target = (
        target
        or {
            "problems": "plan",
            "documents": "plan",
            "send": "plan",
            "fetch_states": "sent",
            "estimate_cost": "plan",
            "cost_report": "states",
        }[call]
    )
    given = good | {target: damage(good[target])}
    with tsf.sandbox() as sb:
        with pytest.raises(InputError) as caught:
            CALLS[call](given, sb)
        assert sb.requests == 0
    if damage is doubled:
        assert "index repeats the label 0" in str(caught.value)
        assert "reset_index(drop=True)" in str(caught.value)
    else:
        assert "two columns named" in str(caught.value)


def test_ids_in_a_series_keep_their_labels_row_for_row(frames):
    _, sent, _ = frames
    ids = pd.Series([sent.loc[0, "id_message"], sent.loc[1, "id_message"]], index=[7, 7])
    with tsf.sandbox() as sb:  # another sandbox: the ids are unknown there, still one row each
        states = tsf.fetch_states(ids, sb.client(), progress=False)
    assert states.index.tolist() == [7, 7]
    assert states["id_message"].tolist() == ids.tolist()


def test_concatenated_templates_are_fine_when_their_names_differ():
    one = pd.DataFrame(
        {"template": ["a"], "send_sms": ["1"], "sender_sms": ["S"], "text_sms": ["x"]}
    )
    two = one.assign(template="b")
    plan = tsf.plan(recipients().assign(template="b"), pd.concat([one, two]), campaign="t")
    assert plan["problem"].isna().all()
