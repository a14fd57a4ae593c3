"""Wilson intervals and Fisher's exact test against published values and an independent computation."""

from __future__ import annotations

import itertools
import math

import pytest

from llmbench.stats import fisher_exact_two_sided, rate, wilson_interval


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
