"""The command line's promises, through real subprocesses: the sandbox across commands,
exit codes that tell the truth, outputs by extension, errors as one sentence."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from cli_run import run

import targetsms_frames as tsf
from targetsms_frames.demo import sample_recipients, sample_templates
from targetsms_frames.sandbox import SandboxProcess
from targetsms_frames.sandbox.persist import PersistentSandbox


def one_sentence(result, code: int = 2) -> str:
    """The error line of a failed run, after checking it is one line and no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert result.stderr.startswith("targetsms-frames: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.fixture
def workbook(tmp_path):
    """Recipients (20, a few bad) and templates on two sheets of one workbook."""
    path = tmp_path / "campaign.xlsx"
    tsf.to_excel(path, people=sample_recipients(20, seed=3), templates=sample_templates())
    return path


def campaign_args(workbook, *more):
    return [
        workbook,
        "--sheet",
        "people",
        "--templates-sheet",
        "templates",
        "--campaign",
        "k",
        *more,
    ]


def test_the_sandbox_flow_across_three_commands(tmp_path, workbook):
    sent = tmp_path / "sent.xlsx"
    first = run("send", *campaign_args(workbook, "--sandbox", "--yes", "--output", sent))
    assert first.returncode == 0, first.stderr
    assert "sent now: 16; already accepted earlier (journal): 0;" in first.stdout
    states = run("states", sent, "--sandbox", "--wait", "--timeout", 60, cwd=tmp_path)
    assert states.returncode == 0, states.stderr
    assert "16 of 16 messages are final" in states.stdout
    again = run("-v", "send", *campaign_args(workbook, "--sandbox", "--yes", "--output", sent))
    assert again.returncode == 0, again.stderr
    assert "sent now: 0; already accepted earlier (journal): 16;" in again.stdout
    assert "journal:" in again.stderr and "not sent again" in again.stderr  # -v shows info lines
    with PersistentSandbox(tmp_path / "targetsms-sandbox.state") as sb:
        ledger = sb.ledger
    assert sum(ledger.accepted.values()) == 16 and set(ledger.accepted.values()) == {1}
    assert set(ledger.submitted.values()) == {1}  # nothing was posted twice
    assert sum(ledger.states.values()) == 16 and ledger.states["send"] == 0
    ids = pd.read_excel(sent, sheet_name="sent", dtype=str)["client_id_message"]
    assert set(ledger.accepted) <= set(ids)


def test_count_message_is_a_number_in_sent_and_in_states(tmp_path, workbook):
    sent = tmp_path / "sent.xlsx"
    assert (
        run("send", *campaign_args(workbook, "--sandbox", "--yes", "--output", sent)).returncode
        == 0
    )
    assert run("states", sent, "--sandbox", "--output", tmp_path / "st.xlsx").returncode == 0
    for path, sheet in ((sent, "sent"), (tmp_path / "st.xlsx", "states")):
        ws = openpyxl.load_workbook(path)[sheet]
        header = [c.value for c in ws[1]]
        column = header.index("count_message") + 1
        values = [
            r[0] for r in ws.iter_rows(min_row=2, min_col=column, max_col=column, values_only=True)
        ]
        assert {type(v) for v in values if v is not None} == {int}, (path, values[:5])
    rows = pd.read_excel(tmp_path / "st.xlsx", sheet_name="states")["row"].tolist()
    assert rows[:3] == [2, 3, 4]  # the recipients' sheet rows, carried through


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_output_writer_follows_the_extension(tmp_path, workbook, suffix):
    out = tmp_path / f"plan{suffix}"
    result = run(
        "plan", *campaign_args(workbook, "--tariffs", "viber=1.2,sms=2.5", "--output", out)
    )
    assert result.returncode == 0, result.stderr
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    plan, estimate = read(out), read(tmp_path / f"plan.estimate{suffix}")
    assert not out.read_bytes().startswith(b"PK")  # not a workbook in disguise
    assert len(plan) == 20 and str(plan["phone"].iloc[0]).startswith("79")
    total = estimate[estimate["row"].astype(str) == "total"].iloc[0]
    assert float(total["expected_cost"]) < float(total["worst_cost"])
    assert {"phone", "client_id_message", "expected_cost", "worst_cost"} <= set(estimate.columns)


def test_plan_prints_the_money_range(tmp_path, workbook):
    result = run(
        "plan",
        *campaign_args(workbook, "--tariffs", "viber=1.2,sms=2.5", "--output", tmp_path / "p.xlsx"),
    )
    assert result.returncode == 0, result.stderr
    assert "if every first channel delivers, at most" in result.stdout
    sheet = pd.read_excel(tmp_path / "p.xlsx", sheet_name="estimate")
    assert sheet["row"].iloc[-1] == "total"
    assert sheet["worst_cost"].iloc[-1] == pytest.approx(sheet["worst_cost"].iloc[:-1].sum())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "{wb}", "--campaign", "k", "--output", "{tmp}/missing/plan.xlsx"), "the folder"),
        (
            ("plan", "{wb}", "--campaign", "k", "--output", "{tmp}/plan.pdf"),
            "choose an output ending in .xlsx, .csv or .parquet",
        ),
        (("sandbox", "--port", "99999"), "99999 is not a port: give 0 to 65535"),
        (
            ("plan", "{wb}", "--campaign", "k", "--region", "XX"),
            "--region XX is not a known region",
        ),
        (
            ("plan", "{wb}", "--campaign", "k", "--tariffs", "telegram=1"),
            "'telegram' is not a channel here (channels: viber, whatsapp, sms, vk)",
        ),
        (("demo", "--recipients", "0"), "0 is not a number of recipients: give 1 or more"),
        (("send", "{wb}", "--campaign", "k", "--yes"), "no TargetSMS credentials"),
        (
            ("plan", "{wb}", "--campaign", "k", "--columns", "Телефон"),
            "--columns wants header=column pairs",
        ),
    ],
)
def test_errors_are_one_sentence(tmp_path, workbook, args, message):
    args = [a.format(wb=workbook, tmp=tmp_path) for a in args]
    error = one_sentence(run(*args, cwd=tmp_path))
    assert message in error
    assert not list(tmp_path.glob("**/plan*"))  # refused before anything was written


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"targetsms-frames {tsf.__version__}"


def test_exit_4_when_the_provider_refuses_rows_and_5_when_not_final_in_time(tmp_path, workbook):
    sent = tmp_path / "sent.xlsx"
    with SandboxProcess("--balance", "3", "--speed", "1") as remote:
        env = {
            "TARGETSMS_LOGIN": remote.login,
            "TARGETSMS_PASSWORD": remote.password,
            "TARGETSMS_URL": remote.url,
        }
        refused = run("send", *campaign_args(workbook, "--yes", "--output", sent), env=env)
        assert refused.returncode == 2 and "the account has 3.00 ₽" in refused.stderr
        assert remote.ledger()["submitted"] == {}  # refused before any document was posted
        result = run(
            "send",
            *campaign_args(workbook, "--yes", "--allow-partial", "--output", sent),
            env=env,
        )
        assert result.returncode == 4, result.stdout + result.stderr
        assert "sent now: 0;" not in result.stdout and "rejected: 0; held: 0;" not in result.stdout
        states = run("states", sent, "--wait", "--timeout", "1", env=env, cwd=tmp_path)
    assert states.returncode == 5, states.stdout + states.stderr
    assert "not final after 1 s" in states.stdout


@pytest.mark.slow
def test_exit_3_when_rows_have_no_answer(tmp_path, workbook):
    with SandboxProcess("--faults", "http_503", "--fault-rate", "1") as remote:
        env = {
            "TARGETSMS_LOGIN": remote.login,
            "TARGETSMS_PASSWORD": remote.password,
            "TARGETSMS_URL": remote.url,
        }
        result = run(
            "send", *campaign_args(workbook, "--yes", "--output", tmp_path / "s.xlsx"), env=env
        )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "unknown: 16;" in result.stdout and "run the same command again" in result.stdout
