"""problems(): in Russian or English, naming the sheet a plan's recipients came from."""

from __future__ import annotations

import pandas as pd

import targetsms_frames as tsf


def test_problems_in_russian_name_the_sheet(tmp_path):
    path = tmp_path / "people.xlsx"
    tsf.to_excel(
        path,
        Люди=pd.DataFrame({"phone": ["x", "79801234567"], "send_sms": "1", "text_sms": "Hi"}),
    )
    recipients = tsf.read_table(path, "Люди")
    templates = pd.DataFrame({"template": ["t"], "sender_sms": ["Shop"], "comment": ["note"]})
    plan = tsf.plan(recipients.assign(template="t"), templates, campaign="lang")
    assert plan.attrs["sheet"] == "Люди"
    english, russian = tsf.problems(plan), tsf.problems(plan, lang="ru")
    assert english.to_dict("records") == [
        {"sheet": "Люди", "row": 2, "column": "phone", "rule": "'x' is not a phone number"}
    ]
    assert russian["rule"].tolist() == ["'x' — не номер телефона"]
    assert pd.api.types.is_string_dtype(russian["sheet"])
    assert plan.loc[3, "sender_sms"] == "Shop"  # the template's fields used, its note not
    assert "comment" not in plan.columns


def test_a_plan_built_in_code_has_no_sheet_column():
    plan = tsf.plan(pd.DataFrame({"phone": ["x"], "send_sms": "1"}), campaign="c")
    assert list(tsf.problems(plan, lang="ru").columns) == ["row", "column", "rule"]
