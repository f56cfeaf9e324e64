"""The SBB register: CSV or JSON, every answer, and files that cannot be used."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from stageborging import Recognition

from stageborging_mbo_defaults import RegisterError, load_register

DAY = date(2027, 2, 1)


@pytest.mark.parametrize(
    ("employer", "crebo", "answer"),
    [
        ("lb-100", "25480", Recognition.RECOGNISED),
        ("lb-200", "25480", Recognition.PENDING),
        ("lb-300", "25480", Recognition.EXPIRED),
        ("lb-400", "25480", Recognition.SUSPENDED),
        ("lb-500", "25480", Recognition.NOT_YET_VALID),
        ("lb-100", "25604", Recognition.NOT_LISTED),  # another qualification
        ("lb-999", "25480", Recognition.NOT_LISTED),
    ],
)
def test_the_register_answers_for_an_employer_a_crebo_and_a_day(
    register: Path, employer: str, crebo: str, answer: Recognition
) -> None:
    assert load_register(register).answer(employer, crebo, DAY) is answer


def test_a_json_register_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "register.json"
    rows = [{"employer": "lb-1", "crebo": "25480", "status": "recognised",
             "valid_from": "2020-01-01", "valid_until": "2027-01-31"},
            {"employer": "lb-1", "crebo": "25480", "status": "recognised",
             "valid_from": "2027-02-01", "valid_until": None}]  # fmt: skip
    path.write_text(json.dumps(rows), encoding="utf-8")
    register = load_register(path)
    assert register.answer("lb-1", "25480", DAY) is Recognition.RECOGNISED  # the renewal
    assert register.answer("lb-1", "25480", date(2027, 1, 31)) is Recognition.RECOGNISED


@pytest.mark.parametrize(
    ("rows", "answer"),
    [
        (["lb-1,25480,recognised,,", "lb-1,25480,revoked,,"], Recognition.NOT_RECOGNISED),
        (["lb-1,25480,revoked,,", "lb-1,25480,recognised,,"], Recognition.NOT_RECOGNISED),
        (["lb-1,25480,recognised,2020-01-01,", "lb-1,25480,suspended,2027-01-15,2027-03-01"],
         Recognition.SUSPENDED),
        (["lb-1,25480,recognised,,", "lb-1,25480,pending,,"], Recognition.RECOGNISED),
        (["lb-1,25480,revoked,2027-06-01,", "lb-1,25480,recognised,2020-01-01,"],
         Recognition.RECOGNISED),  # revoked from June: recognised on 1 February
    ],
)  # fmt: skip
def test_of_several_rows_holding_the_day_the_strictest_wins(
    tmp_path: Path, rows: list[str], answer: Recognition
) -> None:
    path = tmp_path / "register.csv"
    path.write_text("employer,crebo,status,valid_from,valid_until\n" + "\n".join(rows) + "\n")
    assert load_register(path).answer("lb-1", "25480", DAY) is answer


def test_the_dates_may_be_left_out_and_other_columns_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("employer,crebo,status,region\nlb-1,25480,recognised,north\n")
    assert load_register(path).answer("lb-1", "25480", DAY) is Recognition.RECOGNISED


def test_a_changed_file_is_read_again(register: Path) -> None:
    assert load_register(register).answer("lb-200", "25480", DAY) is Recognition.PENDING
    register.write_text(
        "employer,crebo,status,valid_from,valid_until\nlb-200,25480,recognised,2027-01-15,\n",
        encoding="utf-8",
    )
    assert load_register(register).answer("lb-200", "25480", DAY) is Recognition.RECOGNISED


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("r.csv", "employer,crebo\nlb-1,25480\n", "header must name"),
        ("r.csv", "employer,crebo,status\nlb-1,25480,maybe\n", "line 2, status"),
        ("r.csv", "employer,crebo,status,valid_from\nlb-1,25480,pending,1-2-2027\n",
         "valid_from"),
        ("r.csv", "employer,crebo,status\nlb 1,25480,pending\n", "employer"),
        ("r.csv", "employer,crebo,status,valid_from,valid_until\n"
                  "lb-1,25480,recognised,2027-02-01,2027-01-01\n", "before valid_from"),
        ("r.json", "{not json", "not JSON"),
        ("r.json", '{"employer": "lb-1"}', "JSON array"),
        ("r.json", '[["lb-1", "25480"]]', "row 1"),
        ("r.json", '[{"employer": "lb-1", "crebo": 25480, "status": "pending"}]', "crebo"),
    ],
)  # fmt: skip
def test_a_register_that_cannot_be_used_names_where(
    tmp_path: Path, name: str, text: str, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegisterError, match=needle):
        load_register(path)


def test_a_missing_register_is_named(tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match="cannot be read"):
        load_register(tmp_path / "nowhere.csv")
