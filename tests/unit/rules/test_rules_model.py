"""A rules file a merchandiser edits: what validates, and every refusal names the line and field."""

from __future__ import annotations

import json

import pytest
import yaml

from reco_core.rules.model import MAX_SHIFT, RulesFileError, parse_rules

GOOD = """\
description: Règles de la semaine
rules:
  - id: ba13-bande-a-joint
    action: pin
    when: {product_ids: [100003]}
    product_id: 100250
    position: 2
    start: 2026-01-01
    end: 2026-12-31
    note: Après une plaque BA13, la bande à joint en 2e position
  - id: sans-siniat
    action: block
    brands: [Siniat]
  - id: mdd-plaques
    action: boost
    gammes: [1010]
    ranks: 3
  - id: moins-de-knauf
    action: bury
    brands: [Knauf]
    ranks: 2
"""


def test_a_good_file_validates_in_yaml_and_in_json() -> None:
    rules = parse_rules(GOOD, "regles.yaml")
    assert [r.action for r in rules.rules] == ["pin", "block", "boost", "bury"]
    assert rules.rules[3].signed_ranks == -2
    as_json = json.dumps(yaml.safe_load(GOOD), default=str, indent=2)
    assert parse_rules(as_json, "regles.json") == rules


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("position: 2", "position: 0"),
            "regles.yaml line 7: rules[0].position: Input should be greater than or equal to 1",
        ),
        (
            ("position: 2", "position: 101"),
            "regles.yaml line 7: rules[0].position: Input should be less than or equal to 100",
        ),
        (
            ("position: 2", "position: deux"),
            "regles.yaml line 7: rules[0].position: Input should be a valid integer",
        ),
        (
            ("ranks: 3", f"ranks: {MAX_SHIFT + 1}"),
            f"regles.yaml line 17: rules[2].ranks: Input should be less than or equal to {MAX_SHIFT}",
        ),
        (
            ("ranks: 3", "ranks: 3\n    colour: red"),
            "regles.yaml line 18: rules[2].colour: Extra inputs are not permitted",
        ),
        (("action: block", "action: blok"), "regles.yaml line 12: rules[1].action: Input tag 'blok'"),
        (
            ("brands: [Siniat]", "brands: []"),
            "regles.yaml line 11: rules[1]: a block names product_ids, gammes or brands",
        ),
        (
            ("id: mdd-plaques", "id: sans-siniat"),
            "regles.yaml line 14: rules[2]: rule id 'sans-siniat' of rules[2] is already the id of rules[1]",
        ),
        (
            ("end: 2026-12-31", "end: 2025-12-31"),
            "regles.yaml line 3: rules[0]: end 2025-12-31 is before start 2026-01-01",
        ),
        (
            ("start: 2026-01-01", "start: 2026-02-30"),
            "regles.yaml line 8: rules[0].start: Input should be a valid date",
        ),
        (("    when: {product_ids: [100003]}\n", ""), "regles.yaml line 3: rules[0].when: Field required"),
        (
            ("id: ba13-bande-a-joint", "id: 'ba13 bande'"),
            "regles.yaml line 3: rules[0].id: String should match pattern",
        ),
        (
            ("when: {product_ids: [100003]}", "when: {}"),
            "regles.yaml line 5: rules[0].when: when names product_ids or gammes",
        ),
    ],
)
def test_each_refusal_names_the_line_and_the_field(change: tuple[str, str], message: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(RulesFileError) as refused:
        parse_rules(text, "regles.yaml")
    assert str(refused.value).startswith(message), str(refused.value)


def test_syntax_errors_name_the_line_and_column() -> None:
    with pytest.raises(RulesFileError, match=r"^regles\.yaml line 3 column \d+: not valid YAML"):
        parse_rules("rules:\n  - id: a\n  action: [pin\n", "regles.yaml")
    with pytest.raises(RulesFileError, match=r"^regles\.json line 2 column 14: not valid JSON"):
        parse_rules('{"rules": [\n  {"id": "a",}\n]}', "regles.json")
    with pytest.raises(RulesFileError, match=r"^regles\.yaml line 1: the file must hold an object"):
        parse_rules("- just a list\n", "regles.yaml")


def test_json_errors_name_their_line_too() -> None:
    doc = yaml.safe_load(GOOD)
    doc["rules"][2]["ranks"] = 0
    text = json.dumps(doc, default=str, indent=2)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"ranks": 0' in row)
    with pytest.raises(RulesFileError, match=rf"^regles\.json line {line}: rules\[2\]\.ranks: "):
        parse_rules(text, "regles.json")


def test_every_problem_is_listed_not_only_the_first() -> None:
    text = GOOD.replace("position: 2", "position: 0").replace("ranks: 3", "ranks: 99")
    with pytest.raises(RulesFileError) as refused:
        parse_rules(text, "regles.yaml")
    assert "rules[0].position" in str(refused.value) and "rules[2].ranks" in str(refused.value)
