"""Strict scenario loading: every bad input names its file, line and field."""

from __future__ import annotations

import re
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from convergence.document import MAX_BYTES
from convergence.errors import ScenarioError
from convergence.loader import load_scenario
from convergence.scenario import LognormalLatency


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(source: Path, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    return [str(problem) for problem in info.value.problems]


def only(lines: list[str], pattern: str) -> None:
    assert len(lines) == 1, lines
    assert re.fullmatch(pattern, lines[0]), lines[0]


def at(path: Path) -> str:
    return re.escape(str(path))


def test_c04_typo_suggests_latency(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name: typo
        network:
          latancy: {median: 5ms}
          drop: 0.01
        """,
    )
    only(
        problems(path),
        rf"{at(path)}:3:3: network\.latancy: unknown field 'latancy' \(did you mean 'latency'\?\)",
    )


def test_unknown_key_without_near_miss_lists_the_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "agents:\n  colour: red\n")
    only(
        problems(path),
        rf"{at(path)}:2:3: agents\.colour: unknown field 'colour'; "
        r"expected one of: behaviour, count, epsilon, trim",
    )


def test_unknown_key_inside_a_tagged_union_suggests_its_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "network:\n  latency: {distribution: lognormal, medain: 5ms}\n")
    only(
        problems(path),
        rf"{at(path)}:2:38: network\.latency\.medain: unknown field 'medain' \(did you mean 'median'\?\)",
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, "agents:\n  count: many\n")
    only(problems(path), rf"{at(path)}:2:10: agents\.count: expected an integer, got 'many'")


def test_quoted_number_says_remove_the_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "network: {drop: '0.x1'}\nseed: '1.5'\n")
    lines = problems(path)
    assert re.fullmatch(rf"{at(path)}:1:17: network\.drop: expected a number, got '0\.x1'", lines[0])
    assert re.fullmatch(
        rf"{at(path)}:2:7: seed: expected an integer, got '1\.5'; remove the quotes", lines[1]
    )


def test_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, "network:\n  drop: 1.5\n")
    only(problems(path), rf"{at(path)}:2:9: network\.drop: must be <= 1, got 1\.5")


def test_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path, "network:\n  drop: 0.1\n  drop: 0.2\n")
    only(
        problems(path),
        rf"{at(path)}:3:3: drop: duplicate key 'drop' in the mapping starting on line 2; keep only one",
    )


def test_c01_exponent_numbers_are_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path, "protocol: {phase_timeout: 1e-2}\nrecord: {timeline_points: 1e3}\nnetwork: {drop: 1.0e-3}\n"
    )
    scenario = load_scenario(path)
    assert scenario.protocol.phase_timeout == 0.01
    assert scenario.record.timeline_points == 1000
    assert scenario.network.drop == 0.001


def test_c01_fractional_exponent_for_a_count_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "record: {timeline_points: 1.5e3}\nagents: {count: 2.5}\n")
    lines = problems(path)
    assert (
        re.fullmatch(rf"{at(path)}:1:27: record\.timeline_points: expected an integer, got 1500\.5", "x")
        is None
    )
    assert re.fullmatch(rf"{at(path)}:2:17: agents\.count: expected a whole number, got 2\.5", lines[0]), (
        lines
    )


def test_c02_no_stays_a_string(tmp_path: Path) -> None:
    path = write(tmp_path, "name: no\ndescription: yes\n")
    scenario = load_scenario(path)
    assert scenario.name == "no"
    assert scenario.description == "yes"


def test_c02_no_where_a_number_is_expected_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "protocol:\n  target: no\n")
    only(problems(path), rf"{at(path)}:2:11: protocol\.target: expected a number, got 'no'")


def test_true_is_not_a_count(tmp_path: Path) -> None:
    path = write(tmp_path, "seed: true\n")
    only(problems(path), rf"{at(path)}:1:7: seed: expected a number, got true")


def test_c05_tab_indentation_one_message_per_line(tmp_path: Path) -> None:
    path = write(tmp_path, "network:\n\tdrop: 0.1\n\tlatency: {}\n")
    lines = problems(path)
    message = "tab character in indentation; YAML indents with spaces only"
    assert lines == [f"{path}:2:1: network.drop: {message}", f"{path}:3:1: network.latency: {message}"]


def test_c05_tab_after_spaces_names_the_key_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "agents:\n  count: 2\n  \tbehaviour: x\n")
    only(problems(path), rf"{at(path)}:3:3: behaviour: tab character in indentation; .*")


def test_c05_empty_list_item(tmp_path: Path) -> None:
    path = write(tmp_path, "task:\n  dimensions: 3\n  truth:\n    - 1.0\n    -\n    - 2.0\n")
    only(problems(path), rf"{at(path)}:5:6: task\.truth\.1: expected a number, got an empty value")


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "agents: {count: 3\nseed: 1\n")
    only(problems(path), rf"{at(path)}:2:5: invalid YAML: .*")


def test_unsafe_python_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = write(tmp_path, f"description: !!python/object/apply:os.system ['touch {marker}']\n")
    only(
        problems(path),
        rf"{at(path)}:1:14: description: tag '!!python/object/apply:os\.system' is not allowed; .*",
    )
    assert not marker.exists()


def test_unknown_tag_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\ndescription: !env HOME\n")
    only(problems(path), rf"{at(path)}:2:14: description: tag '!env' is not allowed; .*")


def test_str_tag_is_allowed(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, "description: !!str 5\n")).description == "5"


def test_c06_alias_bomb_refused_quickly_with_little_memory(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    path = write(tmp_path, "\n".join(levels) + "\n")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        lines = problems(path)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - started < 2.0
    assert peak < 20 * 2**20
    only(
        lines,
        rf"{at(path)}:\d+: [a-i]: aliases expand to more than 100000 nodes \(an alias bomb\?\); refused",
    )


def test_ordinary_anchors_still_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        task: {dimensions: 2, noise: {sigma: &spread 0.5}}
        network:
          latency: &lat {distribution: lognormal, median: 5ms, sigma: *spread}
        """,
    )
    latency = load_scenario(path).network.latency
    assert isinstance(latency, LognormalLatency)
    assert latency.sigma == 0.5


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    only(problems(path), rf"{at(path)}: cannot read file: No such file or directory")


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    only(problems(path), rf"{at(path)}: the file is empty; .*")


def test_comment_only_file_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing here\n")
    only(problems(path), rf"{at(path)}: the file is empty; .*")


def test_top_level_list_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "- name: demo\n")
    only(problems(path), rf"{at(path)}:1:1: a scenario must be a mapping of keys, got a list")


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("#" * MAX_BYTES + "\nname: big\n", encoding="utf-8")
    only(problems(path), rf"{at(path)}: file is larger than 1 MiB; .*")


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: demo\ndescription: caf\xe9\n")
    only(problems(path), rf"{at(path)}:2: file is not UTF-8 text \(byte 0xe9\); save it as UTF-8")


def test_c19_non_finite_floats_rejected_everywhere(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        task:
          dimensions: 2
          truth: [.nan, 1.0]
          noise: {sigma: .inf}
        network: {drop: .nan, latency: {distribution: exponential, mean: .inf}}
        protocol: {target: -.inf}
        """,
    )
    lines = problems(path)
    assert [" ".join(line.removeprefix(f"{path}:").split(": ")[:2]) for line in lines] == [
        "3:11 task.truth.0",
        "4:18 task.noise.sigma",
        "5:17 network.drop",
        "5:66 network.latency.mean",
        "6:20 protocol.target",
    ]
    assert all(re.search(r"(finite|must be >).*got -?\.(nan|inf)$", line) for line in lines), lines


def test_all_errors_at_once_in_reading_order(tmp_path: Path) -> None:
    path = write(tmp_path, "seed: -1\nagents: {count: 0}\nnetwork: {drop: 2}\nname: 'a b'\n")
    lines = problems(path)
    assert [line.split(": ")[0] for line in lines] == [
        f"{path}:1:7",
        f"{path}:2:17",
        f"{path}:3:17",
        f"{path}:4:7",
    ]


def test_missing_discriminator_points_at_the_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "network:\n  latency:\n    median: 5ms\n")
    only(problems(path), rf"{at(path)}:2:3: network\.latency\.distribution: required field is missing .*")


def test_unknown_distribution_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, "network:\n  latency: {distribution: lognorm}\n")
    only(
        problems(path),
        rf"{at(path)}:2:27: network\.latency\.distribution: unknown distribution 'lognorm' "
        r"\(did you mean 'lognormal'\?\)",
    )


def test_literal_value_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, "protocol: {name: symetric}\n")
    only(
        problems(path),
        rf"{at(path)}:1:18: protocol\.name: must be 'symmetric', 'all-to-all', .* or 'push-sum', "
        r"got 'symetric' \(did you mean 'symmetric'\?\)",
    )


def test_union_reports_the_branch_that_went_deeper(tmp_path: Path) -> None:
    path = write(tmp_path, "agents: {count: 3}\ntask:\n  noise: {sigma: [1, -1, 2]}\n")
    only(problems(path), rf"{at(path)}:3:22: task\.noise\.sigma\.1: must be >= 0, got -1")


def test_union_of_scalars_merges_expectations(tmp_path: Path) -> None:
    path = write(tmp_path, "task:\n  noise: {sigma: lots}\n")
    only(problems(path), rf"{at(path)}:2:18: task\.noise\.sigma: expected a number or a list, got 'lots'")


def test_bad_set_path(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\n")
    only(
        problems(path, ("network.latancy=5ms",)),
        r"--set network\.latancy=5ms: network\.latancy: unknown field 'latancy' \(did you mean 'latency'\?\)",
    )


def test_bad_set_value(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\n")
    only(
        problems(path, ("agents.count=many",)),
        r"--set agents\.count=many: agents\.count: expected an integer, got 'many'",
    )


def test_set_through_a_scalar(tmp_path: Path) -> None:
    path = write(tmp_path, "seed: 1\n")
    only(
        problems(path, ("seed.x=1",)),
        r"--set seed\.x=1: seed: cannot set seed\.x: seed holds a number, not a mapping; "
        r"set the whole value instead, e.g\. --set 'seed=\.\.\.'",
    )
    only(
        problems(path, ("agents.count.x=1",)),
        r"--set agents\.count\.x=1: agents\.count: expected an integer, got a mapping",
    )


def test_set_without_equals(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\n")
    only(
        problems(path, ("agents.count",)),
        r"--set agents\.count: an override must look like key\.path=value, .*",
    )


def test_set_values_are_yaml_1_2(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\n")
    scenario = load_scenario(path, ("name=no", "network.drop=1e-2", "protocol.phase_timeout=20ms"))
    assert (scenario.name, scenario.network.drop, scenario.protocol.phase_timeout) == ("no", 0.01, 0.02)


def test_set_replaces_a_value_from_the_file_and_takes_the_blame(tmp_path: Path) -> None:
    path = write(tmp_path, "network:\n  drop: 0.1\n")
    only(
        problems(path, ("network.drop=.nan",)),
        r"--set network\.drop=\.nan: network\.drop: must be a finite number, got \.nan",
    )


def test_extends_merges_deeply(tmp_path: Path) -> None:
    write(
        tmp_path,
        "name: base\nseed: 3\nnetwork: {drop: 0.2, latency: {distribution: constant, value: 2ms}}\n",
        "base.yaml",
    )
    (tmp_path / "lib").mkdir()
    child = write(tmp_path, "extends: ../base.yaml\nname: child\nnetwork: {drop: 0.3}\n", "lib/child.yaml")
    scenario = load_scenario(child)
    assert (scenario.name, scenario.seed, scenario.network.drop) == ("child", 3, 0.3)
    assert scenario.network.latency.model_dump() == {"distribution": "constant", "value": 0.002}


def test_extends_error_in_the_base_points_into_the_base(tmp_path: Path) -> None:
    base = write(tmp_path, "name: base\nagents:\n  count: 0\n", "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nnetwork: {drop: 2}\n", "child.yaml")
    lines = problems(child)
    assert re.fullmatch(rf"{at(base)}:3:10: agents\.count: must be >= 1, got 0", lines[0]), lines
    assert re.fullmatch(rf"{at(child)}:2:17: network\.drop: must be <= 1, got 2", lines[1]), lines


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    b = write(tmp_path, "name: b\nextends: a.yaml\n", "b.yaml")
    only(
        problems(tmp_path / "a.yaml"),
        rf"{at(b)}:2:1: extends: extends cycle: \S*a\.yaml -> \S*b\.yaml -> \S*a\.yaml; "
        "remove one of these extends",
    )


def test_extends_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "extends: s.yaml\n")
    only(problems(path), rf"{at(path)}:1:1: extends: extends cycle: \S*s\.yaml -> \S*s\.yaml; .*")


def test_extends_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nextends: nowhere.yaml\n")
    only(problems(path), rf"{at(path)}:2:1: extends: cannot read \S*nowhere\.yaml: no such file .*")


def test_extends_must_be_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, "extends: [a.yaml]\n")
    only(
        problems(path),
        rf"{at(path)}:1:1: extends: must be the path of another scenario file, got \['a\.yaml'\]",
    )


def test_plain_data_is_validated_too() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario({"agents": {"count": 0}})
    assert [str(p) for p in info.value.problems] == ["<dict>: agents.count: must be >= 1, got 0"]


def test_extends_typo_suggests_extends(tmp_path: Path) -> None:
    path = write(tmp_path, "extend: base.yaml\n")
    only(problems(path), rf"{at(path)}:1:1: extend: unknown field 'extend' \(did you mean 'extends'\?\)")
