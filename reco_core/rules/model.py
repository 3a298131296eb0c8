"""What a rules file may hold (pydantic, unknown fields refused), and parsing it with line numbers.

    rules:
      - id: ba13-bande-a-joint              # letters, digits, '_', '.', '-'; unique in the file
        action: pin                         # block | pin | boost | bury
        when: {product_ids: [100003]}       # pin only: basket holds one of these products / gammes
        product_id: 100250                  # pin only: the complement to place
        position: 2                         # pin only: its rank, 1 = first
        start: 2026-01-01                   # optional, every action: first day in force (UTC)
        end: 2026-12-31                     # optional: last day in force
        note: Bande à joint après BA13      # optional, free text
      - id: sans-marque-x
        action: block                       # product_ids, gammes and/or brands
        brands: [Siniat]
      - id: mdd-plaques
        action: boost                       # boost moves up, bury down: gammes and/or brands
        gammes: [1010]
        ranks: 3                            # 1 to MAX_SHIFT ranks

Line numbers: a YAML (or JSON) document is composed with PyYAML, which keeps the line of every
node; a validation error's location (rules[3].position) is looked up in that tree, so the message
says `rules.yaml line 14: rules[3].position: ...`. JSON syntax errors give json's line and column.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reco_core.errors import RecoError

RULES_FORMAT = "reco-rules/1"
MAX_POSITION = 100  # the API's largest k
MAX_SHIFT = 10  # boost/bury bounds, in ranks: a rule nudges the model, it does not replace it
RuleId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Ids = Annotated[list[Annotated[int, Field(strict=True, ge=-(2**63), le=2**63 - 1)]], Field(max_length=10_000)]
Brands = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=1000)]


class RulesFileError(RecoError):
    """A rules file that cannot be used; the message lists every problem with its line and field."""

    exit_code = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Rule(_Strict):
    id: RuleId
    start: dt.date | None = None
    end: dt.date | None = None
    note: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _dates(self) -> _Rule:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def in_force(self, today: dt.date) -> bool:
        return (self.start is None or self.start <= today) and (self.end is None or today <= self.end)


class BlockRule(_Rule):
    action: Literal["block"]
    product_ids: Ids = []
    gammes: Ids = []
    brands: Brands = []

    @model_validator(mode="after")
    def _something(self) -> BlockRule:
        if not (self.product_ids or self.gammes or self.brands):
            raise ValueError("a block names product_ids, gammes or brands")
        return self


class Trigger(_Strict):
    product_ids: Ids = []
    gammes: Ids = []

    @model_validator(mode="after")
    def _something(self) -> Trigger:
        if not (self.product_ids or self.gammes):
            raise ValueError("when names product_ids or gammes of the basket")
        return self


class PinRule(_Rule):
    action: Literal["pin"]
    when: Trigger
    product_id: Annotated[int, Field(strict=True, ge=-(2**63), le=2**63 - 1)]
    position: Annotated[int, Field(strict=True, ge=1, le=MAX_POSITION)]


class ShiftRule(_Rule):
    action: Literal["boost", "bury"]
    gammes: Ids = []
    brands: Brands = []
    ranks: Annotated[int, Field(strict=True, ge=1, le=MAX_SHIFT)]

    @model_validator(mode="after")
    def _something(self) -> ShiftRule:
        if not (self.gammes or self.brands):
            raise ValueError(f"a {self.action} names gammes or brands")
        return self

    @property
    def signed_ranks(self) -> int:
        return self.ranks if self.action == "boost" else -self.ranks


Rule = Annotated[BlockRule | PinRule | ShiftRule, Field(discriminator="action")]


class RulesFile(_Strict):
    format: Literal["reco-rules/1"] = RULES_FORMAT
    description: Annotated[str, Field(max_length=2000)] | None = None
    rules: Annotated[list[Rule], Field(max_length=10_000)]

    @model_validator(mode="after")
    def _unique_ids(self) -> RulesFile:
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                raise ValueError(
                    f"rule id {rule.id!r} of rules[{i}] is already the id of rules[{seen[rule.id]}]"
                )
            seen[rule.id] = i
        return self


def parse_rules(text: str, name: str = "rules") -> RulesFile:
    """Validate the text of a rules file (JSON or YAML, told by `name`'s suffix, else tried as
    YAML, which reads JSON too); RulesFileError lists every problem with its line and field."""
    doc, lines = _load(text, name)
    try:
        return RulesFile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in _ACTION_TAGS))
            if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = (*loc, "action")  # the discriminator is the field at fault
            if not loc and (found := _RULE_REF.search(error["msg"])):
                loc = ("rules", int(found.group(1)))  # a file-level check about one rule: its line
            where = _path(loc)
            line = _line_of(lines, loc)
            message = error["msg"].removeprefix("Value error, ")
            problems.append(
                f"{name} line {line}: {where}: {message}" if line else f"{name}: {where}: {message}"
            )
        raise RulesFileError("; ".join(problems)) from None


class _TextDates(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: pydantic parses them and says which field is wrong
    (PyYAML would raise a bare ValueError for 2026-02-30)."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RULE_REF = re.compile(r"of rules\[(\d+)\]")
_ACTION_TAGS = {"block", "pin", "boost", "bury", "BlockRule", "PinRule", "ShiftRule"}


def read_rules_file(path: Path | str) -> tuple[RulesFile, str]:
    """(the validated rules, the file's text) of a rules file on disk."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesFileError(f"{path}: rules file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesFileError(f"{path}: cannot be read ({exc})") from None
    return parse_rules(text, path.name), text


def _load(text: str, name: str) -> tuple[Any, dict[tuple, int]]:
    if name.endswith(".json"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RulesFileError(
                f"{name} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"
            ) from None
    else:
        try:
            doc = yaml.load(text, Loader=_TextDates)  # a SafeLoader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise RulesFileError(f"{name}{where}: not valid YAML ({problem})") from None
    if not isinstance(doc, dict):
        raise RulesFileError(f"{name} line 1: the file must hold an object with a `rules` list")
    try:
        lines = _lines(yaml.compose(text))
    except yaml.YAMLError:  # JSON that YAML 1.1 does not read (tabs...): no line numbers
        lines = {}
    return doc, lines


def _lines(node: yaml.Node | None, path: tuple = ()) -> dict[tuple, int]:
    """Line (1-based) of every node of the composed document, by path (keys and list indices)."""
    if node is None:
        return {}
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found[(*path, key.value)] = key.start_mark.line + 1
            found.update(
                {p: n for p, n in _lines(value, (*path, key.value)).items() if p != (*path, key.value)}
            )
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found.update(_lines(item, (*path, i)))
    return found


def _line_of(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` the document has (a missing field: its parent's)."""
    for end in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:end]))
        if line is not None:
            return line
    return None


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def canonical_json(rules: RulesFile) -> str:
    """The validated rules as the version directory stores them (sorted keys, ISO dates)."""
    return (
        json.dumps(
            rules.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=1, sort_keys=True
        )
        + "\n"
    )
