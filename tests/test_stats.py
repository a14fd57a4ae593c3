"""Wilson intervals and Fisher's exact test against published values and an independent computation."""

from __future__ import annotations

import itertools
import math

import pytest

from llmbench.stats import (
    between_within_permutation_p,
    fisher_exact_two_sided,
    holm_adjust,
    mann_whitney_p,
    rate,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (5, 10, (0.2366, 0.7634)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (1, 10, (0.0179, 0.4042)),
        (12, 12, (0.7575, 1.0)),
        (81, 263, (0.2553, 0.3662)),
    ],
)
def test_wilson_interval_known_values(successes, n, expected):
    low, high = wilson_interval(successes, n)
    assert low == pytest.approx(expected[0], abs=5e-5)
    assert high == pytest.approx(expected[1], abs=5e-5)


def test_wilson_interval_edges_and_width():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    narrow, wide = wilson_interval(50, 100), wilson_interval(50, 100, z=2.576)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]
    for n in range(1, 30):
        for s in range(n + 1):
            low, high = wilson_interval(s, n)
            assert 0.0 <= low <= s / n <= high <= 1.0
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(-1, 2)


def test_rate_returns_the_interval():
    r = rate(5, 10)
    assert r["rate"] == 0.5 and r["n"] == 10
    assert (r["low"], r["high"]) == pytest.approx((0.2366, 0.7634), abs=5e-5)
    assert rate(0, 0) == {"rate": None, "low": 0.0, "high": 1.0, "n": 0}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (((8, 2), (1, 5)), 0.0350),
        (((3, 1), (1, 3)), 0.4857),  # Fisher's tea-tasting experiment
        (((1, 9), (11, 3)), 0.002759),
        (((12, 0), (0, 12)), 2 / math.comb(24, 12)),
        (((6, 0), (6, 0)), 1.0),
        (((0, 0), (0, 0)), 1.0),
    ],
)
def test_fisher_exact_known_values(table, expected):
    (a, b), (c, d) = table
    assert fisher_exact_two_sided(a, b, c, d) == pytest.approx(expected, abs=5e-5, rel=1e-3)


def _fisher_by_floats(a: int, b: int, c: int, d: int) -> float:
    """Independent float computation with a relative tolerance, as statistical packages do."""
    r1, r2, c1 = a + b, c + d, a + c
    n = r1 + r2
    if n == 0:
        return 1.0

    def pmf(x: int) -> float:
        return math.comb(r1, x) * math.comb(r2, c1 - x) / math.comb(n, c1)

    observed = pmf(a)
    support = range(max(0, c1 - r2), min(r1, c1) + 1)
    return min(1.0, sum(pmf(x) for x in support if pmf(x) <= observed * (1 + 1e-7)))


def test_fisher_exact_matches_an_independent_computation_and_is_symmetric():
    for a, b, c, d in itertools.product(range(5), repeat=4):
        p = fisher_exact_two_sided(a, b, c, d)
        assert p == pytest.approx(_fisher_by_floats(a, b, c, d), rel=1e-9, abs=1e-12)
        assert 0.0 < p <= 1.0
        assert p == pytest.approx(fisher_exact_two_sided(c, d, a, b))  # rows swapped
        assert p == pytest.approx(fisher_exact_two_sided(a, c, b, d))  # transposed


def test_fisher_exact_rejects_negative_cells():
    with pytest.raises(ValueError):
        fisher_exact_two_sided(1, -1, 2, 3)


def test_holm_adjusts_in_input_order_and_lies_between_raw_and_bonferroni():
    # Holm (1979) worked example: ordered p 0.01, 0.03, 0.04 (x4, x3, x2) then 0.5 (x1), kept monotone.
    assert holm_adjust([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm_adjust([]) == []
    assert holm_adjust([0.9, 0.6]) == [1.0, 1.0]
    raw = [0.001, 0.2, 0.013, 0.04, 0.0049, 0.3]
    for p, adjusted in zip(raw, holm_adjust(raw), strict=True):
        assert p <= adjusted <= min(1.0, p * len(raw))


def _mann_whitney_by_enumeration(first, second):
    """Exact two-sided p by listing every split of the pooled values (no ties)."""
    pooled = first + second
    m = len(first)

    def u_of(group):
        return sum(1 for x in group for y in pooled if y not in group and x > y)

    observed = u_of(first)
    tail = min(observed, m * len(second) - observed)
    splits = list(itertools.combinations(pooled, m))
    extreme = sum(1 for s in splits if min(u_of(s), m * len(second) - u_of(s)) <= tail)
    return min(1.0, extreme / len(splits))


def test_mann_whitney_exact_values():
    # scipy.stats.mannwhitneyu's documented example (males vs females): U=17, exact two-sided p=0.1111.
    assert mann_whitney_p([19, 22, 16, 29, 24], [20, 11, 17, 12]) == pytest.approx(1 / 9)
    assert mann_whitney_p([1, 2, 3], [4, 5, 6]) == pytest.approx(0.1)
    for first, second in (([3.1, 7.2, 1.5], [2.2, 9.9, 4.4, 5.0]), ([10, 20, 30, 40], [15, 25, 35, 45, 55])):
        assert mann_whitney_p(first, second) == pytest.approx(_mann_whitney_by_enumeration(first, second))
        assert mann_whitney_p(first, second) == pytest.approx(mann_whitney_p(second, first))


def test_mann_whitney_with_ties_and_large_samples():
    assert mann_whitney_p([5, 5, 5], [5, 5]) == 1.0
    assert mann_whitney_p([], [1.0]) is None
    same = mann_whitney_p(list(range(0, 60, 2)), list(range(1, 61, 2)))  # interleaved: no shift
    assert same > 0.8
    shifted = mann_whitney_p([float(x) for x in range(30)], [x + 20.0 for x in range(30)])
    assert shifted < 1e-4
    tied = mann_whitney_p([1, 1, 2, 2, 2, 3], [2, 3, 3, 3, 4, 4])
    assert 0.01 < tied < 0.1


def _strata(rng, prompts, repeats, shift):
    strata = []
    for _ in range(prompts):
        values = [rng.random() for _ in range(repeats)] + [rng.random() + shift for _ in range(repeats)]
        strata.append(([[abs(a - b) for b in values] for a in values], repeats))
    return strata


def test_between_within_permutation_test_holds_its_level_and_sees_a_shift():
    import random

    rng = random.Random(7)
    alarms = sum(
        between_within_permutation_p(_strata(rng, 10, 2, 0.0), rounds=499, seed=i) < 0.05 for i in range(200)
    )
    assert alarms <= 20  # 5 % expected: 10 of 200, with room for chance
    assert between_within_permutation_p(_strata(rng, 10, 2, 1.0)) < 0.01
    assert between_within_permutation_p(_strata(rng, 4, 6, 1.0)) < 0.01  # large strata: sampled labellings
    assert between_within_permutation_p([([[0.0, 1.0], [1.0, 0.0]], 1)]) is None  # no pair within a run
