import json
import subprocess
import sys
from pathlib import Path

import pytest
from ranking_inputs import contract_input

from review.ranking import RankingInputError, parse_params

ROOT = Path(__file__).resolve().parents[3]


def run_cli(tmp_path: Path, data: object) -> subprocess.CompletedProcess[str]:
    """Run the CLI on `data` (JSON-encoded unless already text) as a user would."""
    path = tmp_path / "input.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return subprocess.run(  # noqa: S603 - fixed argv: this interpreter and a temp file
        [sys.executable, "-m", "review.ranking", "solve", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_parse_params_defaults_minimum_scale_and_overflow():
    params = parse_params(contract_input({"A": [3.0]}))

    assert params.bids[0].minimum == params.bids[0].requested
    assert (params.criteria[0].min, params.criteria[0].max) == (0.0, 5.0)
    assert params.overflow == "skip"
    assert params.tiebreak_order == ("excellence", "impact")


def invalid_inputs() -> list[tuple[str, dict, str]]:
    base = contract_input({"A": [3.0, 4.0], "B": [2.0, 2.5]})
    missing = {key: value for key, value in base.items() if key != "budget"}
    unknown_bid = json.loads(json.dumps(base))
    unknown_bid["scores"][0]["bid"] = "Z"
    off_scale = json.loads(json.dumps(base))
    off_scale["scores"][3]["value"] = 5.5
    negative = json.loads(json.dumps(base))
    negative["bids"][1]["requested"] = -1
    min_above_max = {**base, "min_winners": 4, "max_winners": 3}
    float_budget = {**base, "budget": 30.5}
    minimum_above_request = json.loads(json.dumps(base))
    minimum_above_request["bids"][0]["minimum"] = 11
    duplicate = json.loads(json.dumps(base))
    duplicate["scores"].append(dict(duplicate["scores"][0]))
    bad_rule = {**base, "rule": "best"}
    typo = {**base, "bugdet": 3}
    scale_inverted = {**base, "criteria": [{"code": "x", "weight": 1, "min": 5, "max": 0}]}
    return [
        ("missing key", missing, "budget"),
        ("unknown bid", unknown_bid, "scores[0].bid"),
        ("off the scale", off_scale, "scores[3].value"),
        ("negative amount", negative, "bids[1].requested"),
        ("min above max", min_above_max, "min_winners"),
        ("float budget", float_budget, "budget"),
        ("minimum above request", minimum_above_request, "bids[0].minimum"),
        ("duplicate score", duplicate, "scores[8]"),
        ("unknown rule", bad_rule, "rule"),
        ("unknown key", typo, "bugdet"),
        ("inverted scale", scale_inverted, "criteria[0].min"),
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [(data, field) for _, data, field in invalid_inputs()],
    ids=[name for name, _, _ in invalid_inputs()],
)
def test_parse_params_names_the_offending_field(data, field):
    with pytest.raises(RankingInputError) as error:
        parse_params(data)

    assert error.value.field == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (data, field)
        for name, data, field in invalid_inputs()
        if name
        in {"missing key", "unknown bid", "off the scale", "negative amount", "min above max"}
    ],
)
def test_cli_invalid_input_exits_2_naming_the_field(tmp_path, data, field):
    completed = run_cli(tmp_path, data)

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.startswith(f"error: {field}:")
    assert "Traceback" not in completed.stderr


def test_cli_broken_json_exits_2_without_traceback(tmp_path):
    completed = run_cli(tmp_path, '{"budget": ')

    assert completed.returncode == 2
    assert completed.stderr.startswith("error: input: not valid JSON")


def test_cli_same_input_twice_gives_identical_bytes(tmp_path):
    data = contract_input(
        {"A": [3.0, 4.0, 4.5], "B": [2.0, 4.5, 3.0], "C": [4.0, 3.5, 3.0], "D": [1.0, 2.0, 5.0]},
        rule="optimal",
        calibration="additive",
        bootstrap={"samples": 50, "seed": 7},
        lottery={"seed": "a-long-enough-seed-for-the-draw"},
    )

    first, second = run_cli(tmp_path, data), run_cli(tmp_path, data)

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["feasible"] is True
