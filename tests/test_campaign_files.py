"""send_file and `send --chunk-rows`: a campaign file a chunk at a time, against the sandbox.

What a user relies on: every file row gets one output row, in the file's order and named
as the file names it; duplicates are found across chunks; client ids are those of
planning the whole file; a run stopped between chunks resumes from the journal without
sending anything twice.
"""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run

import targetsms_frames as tsf
import targetsms_frames.campaign_files as campaign_files
from targetsms_frames.demo import sample_recipients, sample_templates
from targetsms_frames.errors import InputError
from targetsms_frames.sandbox.persist import PersistentSandbox

CHUNK = 40


@pytest.fixture
def people_csv(tmp_path):
    """150 sample recipients (a few bad) with copies of two good rows far below them."""
    people = sample_recipients(150, seed=5)
    good = tsf.plan(people, sample_templates(), campaign="files")["problem"].isna()
    people = pd.concat([people, people[good.to_numpy()].iloc[[2, 3]]], ignore_index=True)
    path = tmp_path / "people.csv"
    people.to_csv(path, index=False)
    return path


def _send_file(path, output, client, journal, **options):
    return tsf.send_file(
        path,
        output,
        client,
        campaign="files",
        journal=journal,
        templates=sample_templates(),
        chunk_rows=CHUNK,
        progress=False,
        preflight=False,
        **options,
    )


def test_a_file_sent_in_chunks_is_the_whole_file_planned_once(tmp_path, people_csv):
    whole = tsf.plan(tsf.read_table(people_csv), sample_templates(), campaign="files")
    output = tmp_path / "sent.parquet"
    with tsf.sandbox() as sb:
        counts = _send_file(people_csv, output, sb.client(), tmp_path / "j.journal")
        ledger = sb.ledger
    sent = pd.read_parquet(output)
    assert sent["row"].tolist() == whole.index.tolist()  # CSV lines, in order
    assert sent["client_id_message"].tolist() == whole["client_id_message"].tolist()
    # The copies sit in the last chunk, their originals in the first: still duplicates.
    copies = sent.iloc[-2:]
    assert copies["outcome"].tolist() == ["invalid", "invalid"]
    assert copies["error"].str.contains("duplicate of row").all()
    assert (sent["outcome"] == "invalid").tolist() == whole["problem"].notna().tolist()
    accepted = sent.loc[sent["outcome"].eq("accepted"), "client_id_message"]
    assert counts == sent["outcome"].value_counts().sort_index().to_dict()
    assert set(ledger.accepted) == set(accepted) and set(ledger.accepted.values()) == {1}


def test_a_run_stopped_between_chunks_resumes_without_sending_twice(
    tmp_path, people_csv, monkeypatch
):
    output, journal = tmp_path / "sent.csv", tmp_path / "j.journal"
    real = campaign_files.read_table_chunks

    def two_chunks_then_a_crash(*args, **kwargs):
        for k, chunk in enumerate(real(*args, **kwargs)):
            if k == 2:
                raise KeyboardInterrupt  # the user pressed Ctrl-C, or the machine stopped
            yield chunk

    with tsf.sandbox() as sb:
        client = sb.client()
        monkeypatch.setattr(campaign_files, "read_table_chunks", two_chunks_then_a_crash)
        with pytest.raises(KeyboardInterrupt):
            _send_file(people_csv, output, client, journal)
        assert not output.exists()  # no results file that looks whole
        accepted_first = dict(sb.ledger.accepted)
        assert 0 < len(accepted_first) <= 2 * CHUNK
        monkeypatch.setattr(campaign_files, "read_table_chunks", real)
        counts = _send_file(people_csv, output, client, journal)
        ledger = sb.ledger
    sent = pd.read_csv(output, dtype=str)
    assert set(ledger.accepted.values()) == {1}, "no client id was accepted twice"
    assert set(ledger.accepted) == set(sent.loc[sent["outcome"] == "accepted", "client_id_message"])
    assert counts["accepted"] == len(ledger.accepted)
    assert set(accepted_first) <= set(ledger.accepted)


def test_send_file_refuses_a_workbook_output_and_a_missing_journal(tmp_path, people_csv):
    with tsf.sandbox() as sb:
        with pytest.raises(InputError, match=r"\.parquet or \.csv .*1,048,576 rows"):
            _send_file(people_csv, tmp_path / "sent.xlsx", sb.client(), tmp_path / "j")
        with pytest.raises(InputError, match="needs a journal"):
            _send_file(people_csv, tmp_path / "sent.csv", sb.client(), None)


def test_the_command_line_sends_a_file_in_chunks_and_resumes(tmp_path, people_csv):
    templates = tmp_path / "templates.csv"
    sample_templates().to_csv(templates, index=False)
    args = [
        *("send", people_csv, "--templates", templates, "--campaign", "files", "--sandbox"),
        *("--yes", "--chunk-rows", CHUNK, "--output", tmp_path / "sent.parquet"),
    ]
    first = run(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    sent = pd.read_parquet(tmp_path / "sent.parquet")
    accepted = int(sent["outcome"].eq("accepted").sum())
    assert f"accepted: {accepted:,}" in first.stdout and "duplicates" not in first.stderr
    again = run(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    with PersistentSandbox(tmp_path / "targetsms-sandbox.state") as sb:
        assert set(sb.ledger.accepted.values()) == {1}
        assert len(sb.ledger.accepted) == accepted
    refused = run(*args[:-1], tmp_path / "sent.xlsx", cwd=tmp_path)
    assert refused.returncode == 2 and "--chunk-rows writes" in refused.stderr
    zero = run(*args[:-3], "0", "--output", tmp_path / "z.parquet", cwd=tmp_path)
    assert zero.returncode == 2 and "at least 1" in zero.stderr
