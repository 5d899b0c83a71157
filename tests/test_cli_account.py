"""The account commands (balance, senders, lookup, cancel), send's preflight and the
CLI's languages, through real subprocesses against sandboxes on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime, timedelta

import openpyxl
import pandas as pd
from cli_run import run

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.demo import sample_recipients, sample_templates
from targetsms_frames.sandbox.persist import PersistentSandbox


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def one_sentence(result, code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("targetsms-frames: error: ")
    return result.stderr


def env_of(sb, **more) -> dict:
    return {
        "TARGETSMS_LOGIN": sb.login,
        "TARGETSMS_PASSWORD": sb.password,
        "TARGETSMS_URL": sb.url,
        **more,
    }


def sms_people(path, phones, **columns):
    frame = pd.DataFrame(
        {"phone": phones, "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi", **columns}
    )
    frame.to_csv(path, index=False)
    return path


def test_balance_prints_the_money_and_writes_the_directions_by_extension(tmp_path):
    with tsf.sandbox(balance="15000", tariffs={"viber": "1.20", "sms": "2.37"}) as sb:
        out = ok(run("balance", env=env_of(sb)))
        wrote = ok(run("balance", "--output", tmp_path / "b.csv", env=env_of(sb)))
        ok(run("balance", "--output", tmp_path / "b.parquet", env=env_of(sb)))
    assert out.splitlines()[0] == "balance: 15,000.00 ₽"
    assert "Билайн" in out and "2.37" in out and "sms" in out
    assert "wrote" in wrote
    table = pd.read_csv(tmp_path / "b.csv", dtype=str)
    assert list(table.columns) == ["area", "number", "price", "type_sms", "type_text", "MCC", "MNC"]
    assert set(table.loc[table.type_sms == "sms", "price"]) == {"2.37"}  # exact, as written
    assert set(pd.read_parquet(tmp_path / "b.parquet")["area"]) == {
        "МТС",
        "МегаФон",
        "Билайн",
        "Tele2",
    }


def test_senders_with_a_token_from_the_environment(tmp_path):
    senders = {"Shop": "completed", "BadShop": "rejected"}
    with tsf.sandbox(any_originator=False, senders=senders) as sb:
        sb.provider.add_token("tok-cli-42", sb.login)
        env = {"TARGETSMS_TOKEN": "tok-cli-42", "TARGETSMS_URL": sb.url}
        out = ok(run("senders", "--output", tmp_path / "s.xlsx", env=env))
        wrong = run("senders", env={**env, "TARGETSMS_TOKEN": "tok-wrong"})
    assert "only approved SMS senders may be used: 1 of 2 approved" in out
    assert "BadShop" in out and "rejected" in out
    rows = list(openpyxl.load_workbook(tmp_path / "s.xlsx")["senders"].values)
    assert rows[0] == ("originator", "state") and ("Shop", "completed") in rows
    assert F.ERR_BAD_LOGIN in one_sentence(wrong)
    assert "tok-wrong" not in wrong.stderr + wrong.stdout


def test_lookup_spreadsheet_in_spreadsheet_out(tmp_path):
    source = tmp_path / "phones.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Клиенты"])  # a title row
    book.active.append(["Телефон", "Имя"])
    for phone, name in [("+7 913 123-45-67", "A"), ("позвонить", "B"), ("79031234567", "C")]:
        book.active.append([phone, name])
    book.save(source)
    with tsf.sandbox() as sb:
        result = run("lookup", source, "--columns", "Телефон=phone", env=env_of(sb), cwd=tmp_path)
    assert "lookup: 3 phones, 2 with a known operator" in ok(result)
    found = pd.read_excel(
        tmp_path / "phones-lookup.xlsx", sheet_name="lookup", dtype=str, engine="openpyxl"
    )
    assert list(found.columns) == ["row", "phone", "operator", "region", "time_zone"]
    assert found["row"].tolist() == ["3", "4", "5"]  # the spreadsheet's own rows, in order
    assert found["phone"].fillna("?").tolist() == ["79131234567", "?", "79031234567"]
    assert found["operator"].fillna("?").tolist() == ["MTS", "?", "BeeLine"]
    assert found["time_zone"].fillna("?").tolist() == ["4", "?", "0"]


def test_cancel_survives_across_commands_and_the_money_comes_back(tmp_path):
    later = (datetime.now(F.MSK) + timedelta(days=7)).strftime(F.TIME_SEND_FORMAT)
    people = sms_people(
        tmp_path / "people.csv", ["79801234561", "79801234562", "79801234563"], time_send=later
    )
    sent = tmp_path / "sent.xlsx"
    ok(run("send", people, "--campaign", "c", "--sandbox", "--yes", "--output", sent))
    assert "balance: 99,992.50 ₽" in ok(run("balance", "--sandbox", cwd=tmp_path))
    refused = run("cancel", sent, "--sandbox", cwd=tmp_path)
    assert "refusing to cancel them without confirmation" in one_sentence(refused)
    first = run("cancel", sent, "--sandbox", "--yes", cwd=tmp_path)
    assert "cancelled: 3; not found (already sent, or cancelled before): 0" in ok(first)
    frame = pd.read_excel(
        tmp_path / "sent-cancelled.xlsx", sheet_name="cancelled", dtype=str, engine="openpyxl"
    )
    ids = pd.read_excel(sent, sheet_name="sent", dtype=str, engine="openpyxl")["id_sms"]
    assert frame["id_sms"].tolist() == ids.tolist() and set(frame["action"]) == {"delete"}
    # A new process replays the state file: the deletion is there, and so is the refund.
    assert "balance: 100,000.00 ₽" in ok(run("balance", "--sandbox", cwd=tmp_path))
    again = run("cancel", sent, "--sandbox", "--yes", "--output", tmp_path / "c2.csv")
    assert again.returncode == 4, again.stdout + again.stderr
    assert "cancelled: 0; not found (already sent, or cancelled before): 3" in again.stdout
    with PersistentSandbox(tmp_path / "targetsms-sandbox.state") as sb:
        sb.advance(hours=24 * 8)
        ledger = sb.ledger
    assert ledger.total_charged == 0 and ledger.delivered["sms"] == 0


def test_send_shows_the_preflight_before_asking(tmp_path):
    people = sms_people(tmp_path / "p.csv", ["79801234561", "79801234562", "79801234563"])
    people_frame = pd.read_csv(people, dtype=str)
    people_frame.loc[2, "sender_sms"] = "BadShop"
    people_frame.to_csv(people, index=False)
    with tsf.sandbox(
        stop_list=["79801234562"],
        any_originator=False,
        senders={"Shop": "completed", "BadShop": "rejected"},
    ) as sb:
        asked = run("send", people, "--campaign", "c", env=env_of(sb), cwd=tmp_path)
        posted_before = sb.requests
        sent = run("send", people, "--campaign", "c", "--yes", env=env_of(sb), cwd=tmp_path)
        ledger = sb.ledger
    assert "refusing to send without confirmation" in one_sentence(asked)
    assert posted_before == 0
    shown = asked.stdout
    assert "preflight: the campaign needs 2.50 ₽ at most, the account has 100,000.00 ₽" in shown
    assert (
        "preflight not sent (rows): phone on the stop list: 1; SMS sender not approved: 1"
    ) in shown
    assert "sent now: 1;" in ok(sent) and "invalid (not sent, see problems): 2" in sent.stdout
    assert len(ledger.submitted) == 1
    problems = pd.read_excel(
        tmp_path / "p-sent.xlsx", sheet_name="problems", dtype=str, engine="openpyxl"
    )
    assert problems[["row", "column"]].values.tolist() == [["3", "phone"], ["4", "sender_sms"]]
    assert problems["sheet"].eq("p.csv").all()
    errors = pd.read_excel(
        tmp_path / "p-sent.xlsx", sheet_name="sent", dtype=str, engine="openpyxl"
    )["error"]
    assert errors.tolist()[1:] == [
        "phone is on the account's stop list",
        "sender_sms BadShop is not approved (rejected)",
    ]


def test_send_plans_in_the_accounts_zone(tmp_path):
    # 07:00 UTC is 10:00 in Moscow and 12:00 on an account two hours ahead.
    people = sms_people(tmp_path / "p.csv", ["79801234561"], time_send="2030-01-01T07:00:00+00:00")
    with tsf.sandbox(zone=2) as sb:
        result = run("send", people, "--campaign", "z", "--yes", env=env_of(sb), cwd=tmp_path)
        waiting = tsf.scheduled(sb.client())
    assert "time_send is read in the account's zone: Moscow +2 h" in ok(result)
    assert waiting["time_send"].dt.strftime(F.TIME_SEND_FORMAT).tolist() == ["2030-01-01 12:00"]


def test_a_malformed_gate_answer_is_one_sentence_naming_no_preflight(tmp_path):
    people = sms_people(tmp_path / "p.csv", ["79801234561"])
    with tsf.sandbox() as sb:
        sb.provider.gate_directions = [{"area": "МТС", "price": "2.50", "type_sms": "pigeon"}]
        result = run("send", people, "--campaign", "c", "--yes", env=env_of(sb), cwd=tmp_path)
        posted = sb.requests
    error = one_sentence(result)
    assert "the account gate's balance answer is malformed" in error and posted == 0
    assert "pass --no-preflight to send without it" in error


def test_russian_locale_labels_the_workbooks_and_states_reads_them_back(tmp_path):
    source = tmp_path / "campaign.xlsx"
    tsf.to_excel(source, people=sample_recipients(12, seed=5), templates=sample_templates())
    sent = tmp_path / "sent.xlsx"
    args = ["--sheet", "people", "--templates-sheet", "templates", "--campaign", "ru"]
    ru = {"LANG": "ru_RU.UTF-8"}
    ok(run("send", source, *args, "--sandbox", "--yes", "--output", sent, env=ru))
    book = openpyxl.load_workbook(sent)
    assert book.sheetnames[0] == "summary" and book.active.title == "summary"
    headers = [c.value for c in book["sent"][1]]
    assert "Телефон" in headers and "ID сообщения" in headers and "phone" not in headers
    rules = [r[-1] for r in book["problems"].iter_rows(min_row=2, values_only=True)]
    assert any("не номер телефона" in str(r) for r in rules), rules
    states = run("states", sent, "--sandbox", "--wait", "--timeout", 60, env=ru, cwd=tmp_path)
    assert "of 8 messages are final" in ok(states)  # 12 rows, 4 refused by the plan
    cancel = run("cancel", sent, "--sandbox", "--yes", "--output", tmp_path / "c.csv", env=ru)
    assert cancel.returncode == 4, cancel.stdout + cancel.stderr  # all sent already: not found
    assert "cancelled: 0; not found" in cancel.stdout  # id_sms read from "ID SMS"
    plain = tmp_path / "plain.xlsx"
    ok(run("plan", source, *args, "--labels", "none", "--lang", "en", "--output", plain, env=ru))
    problems = openpyxl.load_workbook(plain)["problems"]
    assert [c.value for c in problems[1]] == ["sheet", "row", "column", "rule"]
    assert any("is not a phone number" in str(r[-1]) for r in problems.values)


def test_account_commands_refuse_clearly(tmp_path):
    assert "no TargetSMS credentials" in one_sentence(run("balance", cwd=tmp_path))
    assert "has no id_sms column" in one_sentence(
        run("cancel", sms_people(tmp_path / "x.csv", ["79801234561"]), "--sandbox", "--yes")
    )
    bad = run("send", tmp_path / "x.csv", "--campaign", "c", "--labels", "de")
    assert bad.returncode == 2 and "de is not ru, en or none" in bad.stderr


def test_estimate_money_matches_the_sandbox_tariffs():
    plan = tsf.plan(
        pd.DataFrame(
            {
                "phone": ["79131234567", "79551234567"],
                "send_viber": "1",
                "send_sms": "2",
                "sender_viber": "Shop",
                "text_viber": "Hi",
                "sender_sms": "Shop",
                "text_sms": "Ы" * 80,  # two parts
            }
        ),
        campaign="est",
    )
    with tsf.sandbox(tariffs={"viber": "1.15", "sms": "2.37"}) as sb:
        client = sb.client()
        prices = tsf.tariffs(client)
        zones = tsf.lookup(plan["phone"], client)
    estimate = tsf.estimate_cost(plan, prices, lookup=zones)
    assert estimate["expected_cost"].tolist() == [1.15, 1.15]
    assert estimate["worst_cost"].tolist() == [5.89, 5.89]  # 1.15 + 2 × 2.37
    assert estimate["first_channel"].tolist() == ["viber", "viber"]
    assert estimate["priced_by"].tolist() == ["operator", "highest"]
    assert pd.api.types.is_string_dtype(estimate["priced_by"])
    assert estimate.attrs["totals"] == {
        "messages": 2,
        "expected": 2.3,
        "worst": 11.78,
        "priced_at_highest": 1,
    }
    flat = tsf.estimate_cost(plan, {"viber": "1.15", "sms": "2.37"})
    assert flat["worst_cost"].tolist() == estimate["worst_cost"].tolist()  # one price each
