"""Small, dependency-free statistics for rates: Wilson score intervals and Fisher's exact test.

Censorship and accuracy rates are proportions over a handful of repeats, where the normal approximation
is useless (0/6 would give the interval [0, 0]); the Wilson interval stays inside [0, 1] and is honest
about small n. Fisher's exact test compares two such proportions (drift between two runs).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any


def _check_counts(successes: int, n: int) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for successes/n (z=1.96: 95%). n=0 says nothing: (0.0, 1.0)."""
    _check_counts(successes, n)
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


def rate(successes: int, n: int, z: float = 1.96) -> dict[str, Any]:
    """{rate, low, high, n} with the Wilson interval; rate is None when n is 0 (no data, not 0%)."""
    low, high = wilson_interval(successes, n, z)
    return {"rate": successes / n if n else None, "low": low, "high": high, "n": n}


def fisher_exact_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test for the 2x2 table [[a, b], [c, d]].

    With the margins fixed, the top-left cell follows a hypergeometric law; the p-value sums the
    probabilities of every table no more likely than the observed one. The comparison is done on exact
    integers (binomial products), so ties are exact and need no floating-point tolerance.
    """
    for value in (a, b, c, d):
        if value < 0:
            raise ValueError(f"table cells must be non-negative, got {[[a, b], [c, d]]}")
    row1, row2, col1 = a + b, c + d, a + c
    total = row1 + row2
    if total == 0:
        return 1.0
    lowest, highest = max(0, col1 - row2), min(row1, col1)
    weights = [math.comb(row1, x) * math.comb(row2, col1 - x) for x in range(lowest, highest + 1)]
    observed = weights[a - lowest]
    tail = sum(w for w in weights if w <= observed)
    return min(1.0, float(Fraction(tail, math.comb(total, col1))))
