"""Metrics at their edges, held to values worked out by hand: the strict 3-sigma rule and the min_count
boundary, reverse KL against unequal weights, the 1-D W1 of unequal sample sizes, the 2-D directions of
the sliced estimate, and every refusal word for word."""

from __future__ import annotations

import math

import pytest
import torch

from ganstudio.core.train import metrics
from ganstudio.core.train.metrics import critic_gap, exact_w1_2d, mode_statistics, sliced_wasserstein


def test_critic_gap_reads_any_precision_and_returns_a_float():
    gap = critic_gap(torch.tensor([2.0, 4.0], dtype=torch.float16), torch.tensor([[1.0], [-1.0], [3.0]]))
    assert type(gap) is float and gap == pytest.approx(3.0 - 1.0)


def test_w1_of_unequal_sample_sizes_on_hand_worked_cases():
    # {0} against {0, 1}: the quantile functions differ by 1 on (1/2, 1]
    assert sliced_wasserstein(torch.tensor([0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(0.5)
    # {0, 1, 2} against {0, 3}: 0 on (0, 1/3], 1 on (1/3, 1/2], 2 on (1/2, 2/3], 1 on (2/3, 1]
    assert sliced_wasserstein(torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0.0, 3.0])) == pytest.approx(5 / 6)
    assert sliced_wasserstein(torch.tensor([0.0, 3.0]), torch.tensor([0.0, 1.0, 2.0])) == pytest.approx(5 / 6)
    # equal sizes: the mean gap of the sorted values
    assert sliced_wasserstein(torch.tensor([3.0, 0.0]), torch.tensor([1.0, 5.0])) == pytest.approx((1 + 2) / 2)
    sorted_x = torch.tensor([[0.0], [1.0], [2.0]])
    assert metrics._w1_of_sorted(sorted_x, torch.tensor([[0.0], [3.0]])).item() == pytest.approx(5 / 6)


def test_the_2d_directions_are_evenly_spaced_unit_vectors_with_a_seeded_offset():
    for n in (1, 4, 7):
        dirs = metrics._projection_directions(2, n, torch.Generator().manual_seed(3), torch.device("cpu"))
        assert dirs.shape == (2, n) and dirs.dtype == torch.float32
        offset = torch.rand((), generator=torch.Generator().manual_seed(3), dtype=torch.float64).item()
        angles = [(k + offset) * math.pi / n for k in range(n)]
        want = torch.tensor([[math.cos(a) for a in angles], [math.sin(a) for a in angles]])
        torch.testing.assert_close(dirs, want, rtol=0, atol=1e-6)
    one = metrics._projection_directions(1, 50, None, torch.device("cpu"))
    assert torch.equal(one, torch.ones(1, 1))
    many = metrics._projection_directions(5, 9, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert many.shape == (5, 9)
    torch.testing.assert_close(torch.linalg.vector_norm(many, dim=0), torch.ones(9))
    # a shift v in 2-D: the mean of |<u_k, v>| over those directions, exactly
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    v = torch.tensor([0.6, -0.8])
    offset = torch.rand((), generator=torch.Generator().manual_seed(9), dtype=torch.float64).item()
    want = sum(abs(math.cos((k + offset) * math.pi / 5) * 0.6 - math.sin((k + offset) * math.pi / 5) * 0.8)
               for k in range(5)) / 5
    got = sliced_wasserstein(x, x + v, n_projections=5, generator=torch.Generator().manual_seed(9))
    assert got == pytest.approx(want, rel=1e-5)
    # default: 128 directions; and one direction more changes a 2-D estimate
    default = sliced_wasserstein(x, x + v, generator=torch.Generator().manual_seed(9))
    assert default == sliced_wasserstein(x, x + v, n_projections=128, generator=torch.Generator().manual_seed(9))
    assert default != sliced_wasserstein(x, x + v, n_projections=129, generator=torch.Generator().manual_seed(9))


def test_sliced_and_exact_w1_refuse_mismatched_or_empty_sets_word_for_word():
    with pytest.raises(ValueError) as info:
        sliced_wasserstein(torch.zeros(3, 2), torch.zeros(3, 3))
    assert str(info.value) == "sliced_wasserstein needs points of the same dimension, got 2 and 3"
    for x, y in ((torch.zeros(0, 2), torch.zeros(3, 2)), (torch.zeros(3, 2), torch.zeros(0, 2))):
        with pytest.raises(ValueError) as info:
            sliced_wasserstein(x, y)
        assert str(info.value) == "sliced_wasserstein needs at least one point in each set"
    with pytest.raises(ValueError) as info:
        exact_w1_2d(torch.zeros(3, 2), torch.zeros(2, 2))
    assert str(info.value) == "exact_w1_2d needs two point sets of the same shape, got (3, 2) and (2, 2)"
    assert exact_w1_2d(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]])) == pytest.approx(5.0)
    assert exact_w1_2d(torch.tensor([1.0, 5.0]), torch.tensor([4.0, 2.0])) == pytest.approx(1.0)  # 1-D points


def test_the_sigma_rule_is_strict_and_min_count_is_inclusive():
    means = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    at_edge = torch.tensor([[3.0, 0.0], [0.0, 2.999], [10.0, 0.0]])
    stats = mode_statistics(at_edge, means, std=1.0)
    assert stats["counts"] == [1, 1]  # distance exactly 3 sigma is not high quality
    assert stats["hq_fraction"] == pytest.approx(2 / 3)
    assert mode_statistics(at_edge, means, std=1.0, n_sigma=3.001)["counts"] == [2, 1]
    assert mode_statistics(at_edge, means, std=2.0, n_sigma=1.5)["counts"] == [1, 1]  # distances in units of std
    three = torch.cat([means[0].expand(3, 2), means[1].expand(2, 2)])
    assert mode_statistics(three, means, 0.1, min_count=3)["modes_captured"] == 1
    assert mode_statistics(three, means, 0.1, min_count=2)["modes_captured"] == 2
    assert mode_statistics(three, means, 0.1)["modes_captured"] == 2  # default min_count 1
    out = mode_statistics(three, means, 0.1)
    assert (out["n_modes"], out["n_samples"]) == (2, 5)
    assert type(out["hq_fraction"]) is float and all(type(c) is int for c in out["counts"])


def test_reverse_kl_against_unequal_weights_is_the_closed_form():
    means = torch.tensor([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    samples = torch.cat([means[0].expand(30, 2), means[1].expand(10, 2)])
    # q = (3/4, 1/4, 0, 0); uniform p = 1/4 each
    uniform = mode_statistics(samples, means, 0.1)["reverse_kl"]
    assert uniform == pytest.approx(0.75 * math.log(3) + 0.25 * math.log(1))
    # p = (1, 1, 1, 5) / 8: KL = 3/4 log(6) + 1/4 log(2)
    weighted = mode_statistics(samples, means, 0.1, weights=[1, 1, 1, 5])["reverse_kl"]
    assert weighted == pytest.approx(0.75 * math.log(6) + 0.25 * math.log(2))
    assert mode_statistics(samples, means, 0.1, weights=torch.tensor([2.0, 2, 2, 10]))["reverse_kl"] == pytest.approx(weighted)


def test_mode_statistics_refusals_word_for_word():
    means = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    cases = [
        (dict(samples=torch.zeros(3, 3), means=means, std=1.0),
         "mode_statistics needs samples and means of the same dimension, got 3 and 2"),
        (dict(samples=torch.zeros(3, 2), means=means, std=[1.0, 2.0, 3.0]),
         "mode_statistics needs one positive std or one per mode (2), got [1.0, 2.0, 3.0]"),
        (dict(samples=torch.zeros(3, 2), means=means, std=0.0),
         "mode_statistics needs one positive std or one per mode (2), got 0.0"),
        (dict(samples=torch.zeros(3, 2), means=means, std=[1.0, -1.0]),
         "mode_statistics needs one positive std or one per mode (2), got [1.0, -1.0]"),
        (dict(samples=torch.zeros(0, 2), means=means, std=1.0), "mode_statistics needs at least one sample"),
        (dict(samples=torch.zeros(3, 2), means=means, std=1.0, weights=[1.0]),
         "mode_statistics needs 2 positive mode weights, got [1.0]"),
        (dict(samples=torch.zeros(3, 2), means=means, std=1.0, weights=[1.0, 0.0]),
         "mode_statistics needs 2 positive mode weights, got [1.0, 0.0]"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError) as info:
            mode_statistics(**kwargs)
        assert str(info.value) == message


def test_random_directions_come_from_the_given_generator():
    dirs = metrics._projection_directions(5, 9, torch.Generator().manual_seed(0), torch.device("cpu"))
    raw = torch.randn(5, 9, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(dirs, raw / torch.linalg.vector_norm(raw, dim=0, keepdim=True), rtol=0, atol=0)
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(1))
    runs = [sliced_wasserstein(x, x * 2, n_projections=7, generator=torch.Generator().manual_seed(4)) for _ in range(2)]
    assert runs[0] == runs[1]


def test_unequal_sizes_in_two_dimensions_average_over_the_directions():
    # {0} against {0, v}: along u the 1-D W1 is |<u, v>| / 2, so the estimate is the mean of those
    v = (0.6, -0.8)
    got = sliced_wasserstein(torch.zeros(1, 2), torch.tensor([[0.0, 0.0], list(v)]), n_projections=6,
                             generator=torch.Generator().manual_seed(2))
    offset = torch.rand((), generator=torch.Generator().manual_seed(2), dtype=torch.float64).item()
    angles = [(k + offset) * math.pi / 6 for k in range(6)]
    want = sum(abs(math.cos(a) * v[0] + math.sin(a) * v[1]) / 2 for a in angles) / 6
    assert got == pytest.approx(want, rel=1e-6)


def test_a_sample_just_outside_three_sigma_is_not_high_quality_and_kl_is_float64():
    means = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], dtype=torch.float64)
    # the samples are read as float32 (0.3000000001 -> 0.30000001): just above 3 sigma
    edge = torch.tensor([[0.3000000001, 0.0]], dtype=torch.float64)
    assert mode_statistics(edge, means, 0.1)["counts"] == [0, 0, 0]
    assert mode_statistics(edge, means, [0.1, 0.1, 0.1])["counts"] == [0, 0, 0]
    # a generator collapsed on one of 3 equal modes: reverse KL log 3 to float64 precision
    collapsed = mode_statistics(means[1].expand(4, 2), means, 0.1)
    assert collapsed["reverse_kl"] == pytest.approx(math.log(3), rel=0, abs=1e-14)


def test_a_mode_with_one_sample_is_captured_by_default():
    means = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    samples = torch.cat([means[0].expand(3, 2), means[1][None]])
    assert mode_statistics(samples, means, 0.1)["modes_captured"] == 2
    assert mode_statistics(samples, means, 0.1, min_count=2)["modes_captured"] == 1
