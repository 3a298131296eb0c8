"""Parameters and profiles: defaults, environment, aliases, inheritance, buckets, errors."""

import json
from pathlib import Path

import pytest

from reco_core.errors import RecoError
from reco_core.ranking import (
    DEFAULT_PROFILE,
    BasketParams,
    get_profile,
    load_profiles,
    params_from_env,
    parse_profiles,
)
from reco_core.ranking.profiles import select_bucket

SHIPPED = Path(__file__).resolve().parents[3] / "reco_core" / "ranking" / "panier_params.json"
README_DEFAULTS = {
    "W_PAIR": 0.60,
    "W_EMB": 0.30,
    "W_POPP": 0.20,
    "W_POPG": 0.0,
    "TOP_PAIRS": 2400,
    "TOP_POPP": 1600,
    "TOP_POPG": 300,
    "TOP_PAIRS_ANY_FRAC": 0.30,
    "PAIR_QUOTA": 2,
    "DIVERSIFY": 1,
    "MMR_LAMBDA": 0.7,
    "CAP_PER_GAMME": 2,
    "W_PL_BASE": 0.10,
    "W_PL_PER_BASK_PL": 0.15,
    "PAIR_ANY_WEIGHT": 0.40,
    "PROFMIX_TOPK": 3,
    "PROFMIX_TEMP": 0.1,
    "PROFMIX_MINMASS": 0.1,
}
ORIGINAL_BUCKET_1 = {
    "W_PAIR": 0.75,
    "W_EMB": 0.20,
    "W_POPP": 0.15,
    "W_POPG": 0.0,
    "PAIR_ANY_WEIGHT": 0.40,
    "TOP_PAIRS": 3500,
    "TOP_POPP": 1000,
    "TOP_POPG": 100,
    "TOP_PAIRS_ANY_FRAC": 0.25,
    "PAIR_QUOTA": 2,
    "DIVERSIFY": 1,
    "MMR_LAMBDA": 0.75,
    "CAP_PER_GAMME": 2,
    "W_PL_BASE": 0.12,
    "W_PL_PER_BASK_PL": 0.18,
}


def _one(buckets: dict, environ: dict | None = None):
    return parse_profiles({"x": {"basket_params_by_size": buckets}}, environ or {})["x"]


def test_builtin_defaults_are_the_original_readme_values():
    assert BasketParams().model_dump(include=set(README_DEFAULTS)) == README_DEFAULTS
    assert BasketParams().top_pairs_any == 720


@pytest.mark.parametrize(
    ("keys", "size", "bucket"),
    [
        (("default", "1", "2", "5+"), 0, "default"),
        (("default", "1", "2", "5+"), 1, "1"),
        (("default", "1", "2", "5+"), 2, "2"),
        (("default", "1", "2", "5+"), 3, "default"),
        (("default", "1", "2", "5+"), 5, "5+"),
        (("default", "1", "2", "5+"), 40, "5+"),
        (("default", "2+", "5+"), 1, "default"),
        (("default", "2+", "5+"), 4, "2+"),
        (("default", "2+", "5+"), 6, "5+"),
        (("default", "3", "3+"), 3, "3"),  # the exact key wins
        (("default", "3", "3+"), 4, "3+"),
        (("default", "1", "3"), 2, "default"),
        (("default", "1", "3"), 7, "3"),  # larger than every key: the largest bucket
        (("default",), 4, "default"),
        (("1",), 0, "default"),
    ],
)
def test_bucket_selection(keys, size, bucket):
    assert select_bucket(keys, size) == bucket


def test_buckets_inherit_from_default_then_environment_then_builtins():
    profile = _one(
        {"default": {"W_PAIR": 0.5, "TOP_POPG": 10}, "2": {"W_EMB": 0.1}, "5+": {"W_PAIR": 0.9}},
        environ={"W_POPP": "0.33", "W_PAIR": "0.01"},
    )
    bucket, two = profile.for_size(2)
    assert bucket == "2"
    assert (two.W_PAIR, two.W_EMB, two.TOP_POPG, two.W_POPP, two.W_POPG) == (0.5, 0.1, 10, 0.33, 0.0)
    assert profile.for_size(9)[1].W_PAIR == 0.9
    assert profile.for_size(3) == ("default", profile.buckets["default"])


def test_a_profile_without_buckets_is_the_environment_over_the_builtins():
    profile = _one({}, environ={"W_EMB": "0.45"})
    assert profile.for_size(1) == ("default", BasketParams(W_EMB=0.45))


def test_environment_variables_and_aliases():
    env = {"W_PL_ABS": "0.2", "PL_MULT": "0.3", "TOP_PAIRS": "10", "DIVERSIFY": "0", "W_EMB": ""}
    p = params_from_env(env)
    assert (p.W_PL_BASE, p.W_PL_PER_BASK_PL, p.TOP_PAIRS, p.DIVERSIFY, p.W_EMB) == (0.2, 0.3, 10, 0, 0.30)


def test_environment_is_read_from_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("MMR_LAMBDA", "0.9")
    assert params_from_env().MMR_LAMBDA == 0.9


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"W_PAIR": "abc"}, "environment: invalid W_PAIR='abc'"),
        ({"TOP_PAIRS": "-3"}, "environment: invalid TOP_PAIRS='-3'"),
        ({"DIVERSIFY": "2"}, "environment: invalid DIVERSIFY='2'"),
        ({"W_PL_ABS": "0.1", "W_PL_BASE": "0.2"}, "both 'W_PL_BASE' and 'W_PL_ABS' set W_PL_BASE"),
    ],
)
def test_invalid_environment_names_the_variable(env, message):
    with pytest.raises(RecoError) as err:
        params_from_env(env)
    assert message in str(err.value)


def test_aliases_in_profiles():
    p = _one({"default": {"W_PL_ABS": 0.05, "PL_MULT": 0.5}}).for_size(1)[1]
    assert (p.W_PL_BASE, p.W_PL_PER_BASK_PL) == (0.05, 0.5)


@pytest.mark.parametrize(
    ("buckets", "message"),
    [
        ({"5+": {"W_PARI": 0.5}}, "profile 'x', bucket '5+': unknown key 'W_PARI'"),
        (
            {"2": {"W_PAIR": -1}},
            "profile 'x', bucket '2': invalid W_PAIR=-1: Input should be greater than or equal",
        ),
        ({"default": {"TOP_PAIRS": 2.5}}, "profile 'x', bucket 'default': invalid TOP_PAIRS=2.5"),
        ({"1": {"MMR_LAMBDA": "high"}}, "profile 'x', bucket '1': invalid MMR_LAMBDA='high'"),
        ({"1": {"PL_MULT": 0.1, "W_PL_PER_BASK_PL": 0.2}}, "profile 'x', bucket '1': both"),
        ({"1": {"PROFMIX_TEMP": 0}}, "profile 'x', bucket '1': invalid PROFMIX_TEMP=0"),
        ({"1": {"W_EMB": float("nan")}}, "profile 'x', bucket '1': invalid W_EMB=nan"),
        ({"abc": {}}, "profile 'x': invalid bucket 'abc'"),
        ({"0": {}}, "profile 'x': invalid bucket '0'"),
        ({"05+": {}}, "profile 'x': invalid bucket '05+'"),
        ({"1": [0.5]}, "profile 'x', bucket '1': expected an object of parameters"),
    ],
)
def test_profile_errors_name_profile_bucket_and_key(buckets, message):
    with pytest.raises(RecoError) as err:
        _one(buckets)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "non-empty JSON object"),
        ([], "non-empty JSON object"),
        ({"x": 3}, "profile 'x': expected an object"),
        ({"x": {"basket_params_by_size": {}, "notes": "hi"}}, "profile 'x': unknown key 'notes'"),
        ({"x": {"basket_params_by_size": [1]}}, "profile 'x': 'basket_params_by_size' must be an object"),
    ],
)
def test_malformed_profiles(data, message):
    with pytest.raises(RecoError, match=message):
        parse_profiles(data, {})


def test_load_profiles_errors_name_the_file(tmp_path):
    with pytest.raises(RecoError, match="cannot read profiles file"):
        load_profiles(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RecoError, match=f"profiles file {bad} is not valid JSON"):
        load_profiles(bad)


def test_get_profile_lists_the_known_ones():
    profiles = parse_profiles({"b": {}, "a": {}}, {})
    assert get_profile(profiles, "a").name == "a"
    with pytest.raises(RecoError, match=r"unknown profile 'c' \(known: a, b\)"):
        get_profile(profiles, "c")


def test_shipped_profiles_load_and_keep_the_original_bucket_1():
    raw = json.loads(SHIPPED.read_text())
    assert raw["precision_pair_heavy_v2"]["basket_params_by_size"]["1"] == ORIGINAL_BUCKET_1
    profiles = load_profiles(SHIPPED, environ={})
    assert DEFAULT_PROFILE in profiles
    assert set(profiles) == {
        "learned_v1",
        "learned_v1_mdd_swap",
        "blend_tuned_v3",
        "precision_pair_heavy_v2",
        "diversity_friendly_v2",
    }
    bucket, one = profiles["precision_pair_heavy_v2"].for_size(1)
    assert bucket == "1"
    assert one.model_dump(include=set(ORIGINAL_BUCKET_1)) == ORIGINAL_BUCKET_1


def test_substitute_rules_are_on_everywhere_and_the_own_brand_policy_is_per_profile():
    profiles = load_profiles(SHIPPED, environ={})
    for profile in profiles.values():
        assert all(p.SUBSTITUTES == 1 for p in profile.buckets.values()), profile.name
    policy = {name: {p.MDD_POLICY for p in profile.buckets.values()} for name, profile in profiles.items()}
    assert policy["learned_v1"] == {"alternative"} and policy["learned_v1_mdd_swap"] == {"mdd_swap"}
    # the original's profiles keep the flat own-brand bonus (W_PL_BASE, W_PL_PER_BASK_PL) alone
    assert policy["precision_pair_heavy_v2"] == policy["blend_tuned_v3"] == {"boost"}
    swap, default = profiles["learned_v1_mdd_swap"], profiles["learned_v1"]
    assert (
        swap.buckets["default"].model_copy(update={"MDD_POLICY": "alternative"}) == default.buckets["default"]
    )


def test_policy_keys_come_from_the_environment_too():
    from reco_core.ranking.params import params_from_env

    p = params_from_env({"MDD_POLICY": "mdd_swap", "SUBSTITUTES": "0", "MDD_SWAP_MARGIN": "0.2"})
    assert (p.MDD_POLICY, p.SUBSTITUTES, p.MDD_SWAP_MARGIN) == ("mdd_swap", 0, 0.2)
    with pytest.raises(RecoError, match="MDD_POLICY"):
        params_from_env({"MDD_POLICY": "twice"})


def test_the_tuned_profile_differs_from_the_original_one_only_at_one_item():
    profiles = load_profiles(SHIPPED, environ={})
    tuned, original = profiles["blend_tuned_v3"], profiles["precision_pair_heavy_v2"]
    assert tuned.for_size(1) != original.for_size(1)
    for size in range(2, 12):
        assert tuned.for_size(size) == original.for_size(size), size
