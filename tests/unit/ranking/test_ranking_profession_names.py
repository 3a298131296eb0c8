"""Professions typed by people: matched without regard to case, accents or surrounding spaces.

The answer names the profession as the run spells it, so a client sees which one was used.
"""

import pytest
from helpers.ranking_runs import make_index, params, pids

from reco_core.ranking import recommend

RUN = make_index(
    4,
    professions=("PLAQUISTE", "PLÂTRIER", "Peintre", "PEINTRE"),
    emb={0: [1, 0], 1: [0, 1], 2: [1, 1], 3: [1, 0]},
    pop_by_prof={"PLAQUISTE": {0: 1.0}, "PLÂTRIER": {1: 1.0}, "Peintre": {2: 1.0}, "PEINTRE": {2: 1.0}},
)


@pytest.mark.parametrize(
    ("typed", "used"),
    [
        ("PLAQUISTE", "PLAQUISTE"),
        ("plaquiste", "PLAQUISTE"),
        ("  Plaquiste ", "PLAQUISTE"),
        ("platrier", "PLÂTRIER"),
        ("Plâtrier", "PLÂTRIER"),
        ("Peintre", "Peintre"),  # an exact name wins over the folded lookup
    ],
)
def test_a_profession_is_found_whatever_its_case_accents_or_spaces(typed, used):
    result = recommend(RUN, params(), typed, pids(3), 2)
    assert result.profession == used and result.unknown_profession is None
    assert result.profession_mix == {used: 1.0}


@pytest.mark.parametrize("typed", ["peintre", "PLAQUISTES", "plaqu iste"])
def test_an_ambiguous_or_different_name_is_unknown_and_detected(typed):
    """ "peintre" folds to two professions of the run: neither is guessed."""
    result = recommend(RUN, params(), typed, pids(3), 2)
    assert result.profession is None and result.unknown_profession == typed.strip()
