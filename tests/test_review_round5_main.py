"""Adversarial review, fifth round: the new preflight and send against main's own code.

main is 8493a7e, taken from git into a temporary folder: its preflight is loaded in this
process under another name (``tsf_main``) for the money (hypothesis), and its ``send``
runs in a child process for the sent frames of plans the preflight changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames.errors import BalanceError, ProviderError
from targetsms_frames.preflight import Facts, judge
from targetsms_frames.tariffs import row_costs

ROOT = Path(__file__).resolve().parents[1]
MAIN = "8493a7e"


@pytest.fixture(scope="module")
def main_dir(tmp_path_factory) -> Path:
    """main's package, from git, in a folder of its own."""
    where = tmp_path_factory.mktemp("main")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", MAIN, "targetsms_frames"],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        pytest.skip(f"main ({MAIN}) is not in this clone's history")
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return where


@pytest.fixture(scope="module")
def old(main_dir):
    """main's preflight and tariffs modules, imported as ``tsf_main``."""
    package = main_dir / "targetsms_frames"
    spec = importlib.util.spec_from_file_location(
        "tsf_main", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tsf_main"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("tsf_main.preflight"), importlib.import_module(
        "tsf_main.tariffs"
    )


# -- the money: every figure equal to main's, on random plans --------------------------------

PRICE = st.decimals(min_value=0, max_value=99999, places=4, allow_nan=False, allow_infinity=False)
CHANNELS = ("sms", "viber", "whatsapp")
ORDER = st.sampled_from(["1", "2", "3", "0", "", None, "x"])
OPERATORS = ["MTS", "mts", "BeeLine", "Мегафон", "Tele2", "Ghost", "", None]
AREAS = {"mts": "МТС", "beeline": "Билайн", "megafon": "Мегафон", None: "Other"}


@st.composite
def balances(draw) -> pd.DataFrame:
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from(list(AREAS)), st.sampled_from(CHANNELS), PRICE),
            max_size=8,
        )
    )
    frame = pd.DataFrame(
        {
            "area": [AREAS[o] for o, _, _ in rows],
            "type_sms": [c for _, c, _ in rows],
            "type_text": "Рекламные",
            "price": pd.Series([p for _, _, p in rows], dtype=object),
        }
    )
    frame.attrs.update(value=draw(PRICE), currency="RUR")
    return frame


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(
        st.tuples(
            ORDER,
            ORDER,
            ORDER,
            st.integers(1, 9),  # SMS parts
            st.sampled_from(OPERATORS),
            st.sampled_from(["ok", "bad", "dup"]),  # a phone, no phone, a repeated phone
            st.booleans(),  # on the stop list
            st.booleans(),  # paid (the journal has it)
        ),
        max_size=30,
    ),
    balance=balances(),
    with_lookup=st.booleans(),
    shuffled=st.booleans(),
)
def test_preflight_money_and_findings_equal_mains(old, rows, balance, with_lookup, shuffled):
    old_preflight, old_tariffs = old
    phones = [
        "12" if kind == "bad" else "79801234500" if kind == "dup" else str(79801234501 + i)
        for i, (*_, kind, _, _) in enumerate(rows)
    ]
    frame = pd.DataFrame(
        {
            "phone": phones,
            "send_sms": [r[0] for r in rows],
            "send_viber": [r[1] for r in rows],
            "send_whatsapp": [r[2] for r in rows],
            "sender_sms": "Shop",
            "sender_viber": "Shop",
            "sender_whatsapp": "Shop",
            "text_sms": ["Ы" * (67 * r[3] - 3) for r in rows],
            "text_viber": "Hi",
            "text_whatsapp": "Hi",
        },
        dtype=object,
    )
    plan = tsf.plan(frame, campaign="money")
    if shuffled and len(plan):  # an index of its own, labels repeated
        plan = plan.iloc[::-1].set_axis([i % 3 for i in range(len(plan))])
    lookup = None
    if with_lookup:
        lookup = pd.DataFrame(
            {"phone": plan["phone"].tolist(), "operator": [r[4] for r in rows]}, dtype=object
        )
    stop = frozenset(p for p, r in zip(phones, rows, strict=True) if r[6] and len(p) > 2)
    paid = np.array([r[7] for r in rows], dtype=bool)
    senders = pd.DataFrame({"originator": [], "state": []})
    senders.attrs["any_originator"] = True
    new = judge(plan, Facts(balance, senders, stop, None), lookup, paid)
    was = old_preflight.judge(plan, old_preflight.Facts(balance, senders, stop, None), lookup, paid)
    pd.testing.assert_frame_equal(new, was)
    assert new.attrs == was.attrs
    assert type(new.attrs["needed"]) is Decimal and type(new.attrs["first_channel"]) is Decimal
    # row_costs, now built from the groups, equal to main's frame
    pd.testing.assert_frame_equal(
        row_costs(plan, tsf.tariffs(balance), lookup),
        old_tariffs.row_costs(plan, old_tariffs.tariffs(balance), lookup),
    )


# -- plans the preflight changes, sent as main sends them --------------------------------------

_CHILD = textwrap.dedent(
    """
    import pickle, sys
    import targetsms_frames as tsf
    with open(sys.argv[1], "rb") as f:
        plan, sandbox, options = pickle.load(f)
    with tsf.sandbox(**sandbox) as sb:
        try:
            out = tsf.send(plan, sb.client(), progress=False, workers=1, **options)
        except Exception as exc:
            out = f"{type(exc).__name__}: {exc}".replace(sb.gate_url, "GATE")
        result = (out, dict(sb.ledger.submitted), sb.requests, sb.ledger.balance)
    with open(sys.argv[2], "wb") as f:
        pickle.dump(result, f)
    """
)


def _sent_by_main(main_dir: Path, tmp_path: Path, plan, sandbox: dict, options: dict):
    given_, taken = tmp_path / "in.pickle", tmp_path / "out.pickle"
    given_.write_bytes(pickle.dumps((plan, sandbox, options)))
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    subprocess.run(
        [sys.executable, str(script), str(given_), str(taken)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(main_dir)},
        timeout=120,
    )
    return pickle.loads(taken.read_bytes())


def _sent_here(plan, sandbox: dict, options: dict):
    with tsf.sandbox(**sandbox) as sb:
        try:
            out = tsf.send(plan, sb.client(), progress=False, workers=1, **options)
        except Exception as exc:
            out = f"{type(exc).__name__}: {exc}".replace(sb.gate_url, "GATE")
        return out, dict(sb.ledger.submitted), sb.requests, sb.ledger.balance


def _blocked_plan() -> pd.DataFrame:
    n = 40
    people = pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(n)],
            "send_sms": ["1" if i % 5 else "2" for i in range(n)],
            "send_viber": ["1" if i % 5 == 0 else None for i in range(n)],
            "sender_sms": ["Shop" if i % 7 else "Nobody" for i in range(n)],
            "sender_viber": "Shop",
            "text_sms": [f"Hi {i}" for i in range(n)],
            "text_viber": "Hi",
        }
    )
    plan = tsf.plan(people, campaign="blocked")
    ids = plan["client_id_message"].astype(object).copy()
    ids[3] = "not-digits"  # on a stop-listed row (below): never refused
    ids[11] = ids[10]  # twins, the second stop-listed
    ids[21] = ids[20]  # twins, the first of an unapproved sender (row 21 is fine)
    ids[22] = ids[21]
    plan["client_id_message"] = ids.astype(plan["client_id_message"].dtype)
    return plan


@pytest.mark.parametrize(
    ("sandbox", "options"),
    [
        ({"any_originator": False, "senders": {"Shop": "completed"}}, {}),
        ({"balance": "30", "tariffs": {"sms": "2.50", "viber": "1.00"}}, {"allow_partial": True}),
        ({"balance": "30", "tariffs": {"sms": "2.50", "viber": "1.00"}}, {}),
    ],
    ids=["blocked-rows", "allow-partial", "refused"],
)
def test_a_plan_the_preflight_changes_is_sent_as_main_sends_it(
    main_dir, tmp_path, sandbox, options
):
    plan = _blocked_plan()
    sandbox = {**sandbox, "stop_list": [plan.loc[i, "phone"] for i in (3, 11, 30)]}
    if "senders" in sandbox:
        plan.loc[20, "sender_sms"] = "Nobody"
    was = _sent_by_main(main_dir, tmp_path, plan, sandbox, options)
    new = _sent_here(plan, sandbox, options)
    if isinstance(was[0], str):
        assert new[0] == was[0]
    else:
        pd.testing.assert_frame_equal(new[0], was[0])
        assert new[0].attrs == was[0].attrs
    assert new[1:] == was[1:]


# -- send_chunks: each chunk preflighted, and resumed with each phone once ------------------


def _sms_people(n: int) -> pd.DataFrame:
    """n recipients of one SMS each, from one approved sender."""
    return pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(n)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Hi",
        }
    )


def test_chunks_are_each_preflighted_and_a_gate_failure_midway_resumes_each_phone_once(
    tmp_path,
):
    people = _sms_people(60)

    def chunks():
        return (tsf.plan(people.iloc[i : i + 15], campaign="chunks") for i in range(0, 60, 15))

    journal = tmp_path / "j.sqlite"
    with tsf.sandbox(stop_list=[people.loc[40, "phone"]]) as sb:
        client = sb.client()
        gate, asked = client.post_gate, []

        def flaky_gate(payload):
            asked.append(payload["type"])
            if payload["type"] == "list_stop" and asked.count("list_stop") == 3:
                raise ProviderError("the provider refused the document: not now", "not now")
            return gate(payload)

        client.post_gate = flaky_gate
        done = []
        with pytest.raises(ProviderError, match=r"\(asked for the stop list\): .*not now"):
            for sent in tsf.send_chunks(chunks(), client, journal=journal, progress=False):
                done.append(sent)
        assert len(done) == 2 and sb.requests > 0
        assert sorted(asked) == sorted(["balance", "originator", "list_stop"] * 3)  # per chunk
        posted_before = dict(sb.ledger.submitted)
        assert len(posted_before) == 30  # the third chunk posted nothing
        client.post_gate = gate
        again = pd.concat(tsf.send_chunks(chunks(), client, journal=journal, progress=False))
        assert sorted(sb.ledger.submitted.values()) == [1] * 59  # the stop-listed never
    assert again["outcome"].value_counts().to_dict() == {"accepted": 59, "invalid": 1}
    assert again.loc[40, "error"] == "phone is on the account's stop list"


def test_send_file_preflights_each_chunk_stops_at_the_chunk_the_money_misses_and_resumes(
    tmp_path,
):
    people = _sms_people(50)
    source, output, journal = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "j.sqlite"
    people.to_csv(source, index=False)
    options = {"campaign": "file5", "journal": journal, "chunk_rows": 10, "progress": False}
    # 2.50 a message: 62.50 pays for two chunks and a half; the third is refused whole.
    with tsf.sandbox(balance="62.50", tariffs={"sms": "2.50"}) as sb:
        client = sb.client()
        gate, asked = client.post_gate, []
        client.post_gate = lambda payload: asked.append(payload["type"]) or gate(payload)
        with pytest.raises(BalanceError, match=r"needs 25\.00 ₽ at most, the account has 12\.50"):
            tsf.send_file(source, output, client, **options)
        assert len(sb.ledger.accepted) == 20  # the third chunk: nothing posted
        assert asked.count("balance") == 3 and asked.count("list_stop") == 3
    # Resumed against an account with the money: the first 20 never again, the rest once.
    with tsf.sandbox(balance="1000", tariffs={"sms": "2.50"}) as sb2:
        counts = tsf.send_file(source, output, sb2.client(), **options)
        again = dict(sb2.ledger.submitted)
    assert len(again) == 30 and set(again.values()) == {1}
    assert counts.get("accepted") == 50
    assert pd.read_csv(output, dtype=str)["outcome"].eq("accepted").all()
