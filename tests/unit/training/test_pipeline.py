"""How many training orders the pipeline holds out for the learned blend."""

from __future__ import annotations

from reco_core.training.pipeline import MIN_BLEND_ORDERS, blend_size


def test_a_large_run_holds_out_a_fifth_of_its_orders_up_to_the_flag():
    assert blend_size(20_000, 50_000) == 10_000
    assert blend_size(20_000, 500_000) == 20_000
    assert blend_size(500, 50_000) == 500  # the flag is a maximum


def test_a_small_run_holds_out_enough_orders_to_learn_from_but_never_more_than_half():
    assert blend_size(20_000, 3_000) == MIN_BLEND_ORDERS  # a fifth would be 600
    assert blend_size(20_000, 6_000) == 1_200  # a fifth is enough
    assert blend_size(20_000, 1_670) == 835  # half: the rest must still count pairs and train LightFM
    assert blend_size(20_000, 1) == 0


def test_no_blend_holds_out_nothing():
    assert blend_size(0, 50_000) == 0
