"""The error mapping is generic: any model's fields get places and plain messages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from convergence.diagnostic import flag_problems, validation_problems
from convergence.document import parse_yaml
from convergence.errors import Problem, ScenarioError
from convergence.loader import load_scenario


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["forward", "backward"]
    strict: bool = False


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    quarantine: bool = False
    countries: list[str] = []
    checks: list[_Check] = []
    weights: dict[str, Annotated[float, Field(ge=0)]] = {}


def check(text: str) -> list[str]:
    doc = parse_yaml(text, file="f.yaml")
    try:
        settings = _Settings.model_validate(doc.data)
    except ValidationError as exc:
        problems: list[Problem] = validation_problems(exc, _Settings, doc, "f.yaml")
    else:
        problems = flag_problems(settings, doc.data, doc, "f.yaml")
    return [str(problem) for problem in problems]


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "y", "n"])
def test_c02_a_word_never_becomes_a_boolean(word: str) -> None:
    assert check(f"quarantine: {word}\n") == [
        f"f.yaml:1:13: quarantine: expected true or false, got '{word}'; write true or false"
    ]


def test_c02_true_and_false_are_booleans() -> None:
    assert check("quarantine: true\nchecks: [{kind: forward, strict: false}]\n") == []


def test_c02_country_codes_stay_strings() -> None:
    doc = parse_yaml("countries: [se, no, fi, on]\n", file="f.yaml")
    assert _Settings.model_validate(doc.data).countries == ["se", "no", "fi", "on"]


def test_nested_list_of_models_gets_places_and_suggestions() -> None:
    assert check("checks:\n  - {kind: forward}\n  - {kind: backwards, strcit: true}\n") == [
        "f.yaml:3:12: checks.1.kind: must be 'forward' or 'backward', got 'backwards' "
        "(did you mean 'backward'?)",
        "f.yaml:3:23: checks.1.strcit: unknown field 'strcit' (did you mean 'strict'?)",
    ]


def test_nested_boolean_from_a_word_is_located() -> None:
    assert check("checks:\n  - kind: forward\n    strict: on\n") == [
        "f.yaml:3:13: checks.0.strict: expected true or false, got 'on'; write true or false"
    ]


def test_dict_values_are_located() -> None:
    assert check("weights: {a: 1, b: -2, c: .inf}\n") == [
        "f.yaml:1:20: weights.b: must be >= 0, got -2",
        "f.yaml:1:27: weights.c: must be a finite number, got .inf",
    ]


def test_missing_required_field_points_at_its_mapping() -> None:
    assert check("checks:\n  - strict: true\n") == ["f.yaml:2:5: checks.0.kind: required field is missing"]


def scenario_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(problem).removeprefix(f"{path}:") for problem in info.value.problems]


def test_model_validator_blames_the_field_its_message_names(tmp_path: Path) -> None:
    assert scenario_problems(tmp_path, "agents: {count: 3}\ntask: {noise: {sigma: [1, 2]}}\n") == [
        "2:16: task.noise.sigma: lists 2 values but agents.count is 3"
    ]
    assert scenario_problems(tmp_path, "task:\n  dimensions: 2\n  truth: [1, 2, 3]\n") == [
        "3:3: task.truth: has 3 values but dimensions is 2"
    ]


def test_empty_value_points_at_its_key(tmp_path: Path) -> None:
    problems = scenario_problems(tmp_path, "seed: 1\nname:\n")
    assert problems == ["2:1: name: expected a string, got an empty value"]


def test_a_second_document_is_refused(tmp_path: Path) -> None:
    assert scenario_problems(tmp_path, "seed: 1\n---\nseed: 2\n") == [
        "2:1: invalid YAML: expected a single document in the stream, but found another document"
    ]
