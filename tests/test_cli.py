"""The command line, through real subprocesses."""

from __future__ import annotations

import openpyxl
import pytest
from cli_run import run

import targetsms_frames as tsf
from targetsms_frames.demo import sample_recipients, sample_templates
from targetsms_frames.sandbox import SandboxProcess


@pytest.fixture
def spreadsheets(tmp_path):
    recipients = tmp_path / "recipients.csv"
    sample_recipients(60, seed=2).to_csv(recipients, sep=";", index=False, encoding="cp1251")
    templates = tmp_path / "templates.xlsx"
    tsf.to_excel(templates, templates=sample_templates())
    return recipients, templates


def test_demo_writes_the_workbook(tmp_path):
    result = run("demo", "--recipients", 60, "--output", tmp_path / "demo.xlsx")
    assert result.returncode == 0, result.stderr
    assert "delivered:" in result.stdout and "the sandbox charged" in result.stdout
    book = openpyxl.load_workbook(tmp_path / "demo.xlsx")
    assert book.sheetnames == ["summary", "problems", "plan", "sent", "states", "costs"]
    assert book.active.title == "summary"
    assert book["problems"].max_row == 1 + 5  # the deliberately bad rows, each named
    assert len(book["summary"]._charts) == 1  # the cost chart now sits on the summary


def test_plan_is_a_dry_run(tmp_path, spreadsheets):
    recipients, templates = spreadsheets
    out = tmp_path / "plan.xlsx"
    result = run(
        "plan",
        recipients,
        "--templates",
        templates,
        "--campaign",
        "cli",
        "--tariffs",
        "viber=1.20,sms=2.50",
        "--output",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert "56 ready to send, 4 with problems" in result.stdout  # 60 recipients mean 60
    assert "estimated cost:" in result.stdout and "nothing was sent" in result.stdout
    assert openpyxl.load_workbook(out).sheetnames == ["plan", "problems", "estimate"]


def test_send_and_states_against_a_sandbox_process(tmp_path, spreadsheets):
    recipients, templates = spreadsheets
    with SandboxProcess("--speed", "86400") as remote:
        password = remote.password
        env = {
            "TARGETSMS_LOGIN": remote.login,
            "TARGETSMS_PASSWORD": password,
            "TARGETSMS_URL": remote.url,
        }
        sent_path = tmp_path / "sent.xlsx"
        refused = run(
            "send",
            recipients,
            "--templates",
            templates,
            "--campaign",
            "cli",
            "--output",
            sent_path,
            env=env,
            input="",
        )
        assert refused.returncode == 2
        assert "refusing to send without confirmation" in refused.stderr and not sent_path.exists()
        result = run(
            "send",
            recipients,
            "--templates",
            templates,
            "--campaign",
            "cli",
            "--yes",
            "--tariffs",
            "viber=1.2,sms=2.5",
            "--output",
            sent_path,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert (
            "ready to send 56 messages" in result.stdout
            and "sent now: 56; already accepted earlier (journal): 0; rejected: 0; held: 0; "
            "unknown: 0; invalid (not sent, see problems): 4"
            in result.stdout
        )
        assert (tmp_path / "sent.journal").exists()
        again = run(
            "send",
            recipients,
            "--templates",
            templates,
            "--campaign",
            "cli",
            "--yes",
            "--output",
            sent_path,
            env=env,
        )
        assert again.returncode == 0, again.stderr
        assert "sent now: 0; already accepted earlier (journal): 56;" in again.stdout
        states = run(
            "states",
            sent_path,
            "--wait",
            "--timeout",
            60,
            "--output",
            tmp_path / "report.xlsx",
            env=env,
        )
        assert states.returncode == 0, states.stderr
        assert "56 of 56 messages are final" in states.stdout
        book = openpyxl.load_workbook(tmp_path / "report.xlsx")
        assert book.sheetnames == ["summary", "states", "costs"]  # opens on the summary
        for path in (sent_path, tmp_path / "report.xlsx", tmp_path / "sent.journal"):
            assert password.encode() not in path.read_bytes()


def test_send_to_the_built_in_sandbox(tmp_path, spreadsheets):
    recipients, templates = spreadsheets
    result = run(
        "send",
        recipients,
        "--templates",
        templates,
        "--campaign",
        "cli",
        "--sandbox",
        "--yes",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "recipients-sent.xlsx").exists() and (
        tmp_path / "recipients-sent.journal"
    ).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "missing.csv", "--campaign", "x"), "no such file: missing.csv"),
        (
            ("send", "{recipients}", "--templates", "{templates}", "--campaign", "x", "--yes"),
            "no TargetSMS credentials: TARGETSMS_LOGIN and TARGETSMS_PASSWORD not set "
            "(set them in the environment, or try --sandbox first)",
        ),
        (
            ("plan", "{recipients}", "--campaign", "x", "--tariffs", "viber"),
            "--tariffs wants channel=price pairs",
        ),
        (("states", "{recipients}"), "has no id_message column"),
        (
            ("plan", "{recipients}", "--templates", "{templates}", "--campaign", " "),
            "campaign is required",
        ),
    ],
)
def test_errors_are_one_sentence_without_traceback(spreadsheets, args, message):
    recipients, templates = spreadsheets
    args = [a.format(recipients=recipients, templates=templates) for a in args]
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("targetsms-frames: error: ") and result.stderr.count("\n") == 1


def test_debug_shows_the_traceback():
    result = run("--debug", "plan", "missing.csv", "--campaign", "x")
    assert result.returncode != 0 and "Traceback" in result.stderr
