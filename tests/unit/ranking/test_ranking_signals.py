"""One enumeration owns the signals: the core result, the API schema and the playground list the
same names in the same order, with the same labels."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from reco_core.ranking import ScoreBreakdown
from reco_core.ranking.signals import SIGNAL_NAMES, Signal
from serving import schemas
from serving.app import create_app

PLAYGROUND_JS = Path(schemas.__file__).parent / "static" / "playground.js"


def test_core_breakdown_fields_are_the_signals_in_order():
    assert tuple(f.name for f in fields(ScoreBreakdown)) == SIGNAL_NAMES


def test_api_schema_lists_the_signals_in_order_with_their_labels():
    openapi = create_app().openapi()
    breakdown = openapi["components"]["schemas"]["ScoreBreakdown"]
    assert tuple(breakdown["properties"]) == SIGNAL_NAMES
    assert set(breakdown["required"]) == set(SIGNAL_NAMES)
    for signal in Signal:
        assert signal.label in breakdown["properties"][signal.value]["description"]


def test_playground_takes_the_signals_from_the_api_and_lists_none_itself():
    source = PLAYGROUND_JS.read_text(encoding="utf-8")
    assert "options.signals" in source
    for name in SIGNAL_NAMES:  # no signal key written in the page: labels come from the API
        assert not re.search(rf'["\']{name}["\']', source), name


def test_every_signal_has_a_french_label_and_a_description():
    assert len(set(SIGNAL_NAMES)) == len(SIGNAL_NAMES)
    for signal in Signal:
        assert signal.label and signal.description and signal.label != signal.value
