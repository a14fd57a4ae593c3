"""Small statistics for rates and runs: Wilson intervals, medians, Fisher's exact, Mann-Whitney, permutation tests.

Censorship and accuracy rates are proportions over a handful of repeats, where the normal approximation
is useless (0/6 would give the interval [0, 0]); the Wilson interval stays inside [0, 1] and is honest
about small n. Fisher's exact test compares two such proportions (drift between two runs), Mann-Whitney two
samples of tokens, cost or speed, Holm's correction keeps many such tests from crying wolf together, and a
permutation test asks whether answers changed between runs more than they vary between repeats.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable
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


def median(values: Iterable[float | None]) -> float | None:
    """The median of the known values (None ones left out); None when none is known."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def quartiles(values: list[float]) -> tuple[float, float] | None:
    """The first and third quartiles (inclusive method); None below two values."""
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


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


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order: reject where adjusted p < alpha.

    It keeps the chance of *any* false alarm among all the tests at alpha whatever their dependence (the
    overall rate and the per-topic rates share calls), and is never less powerful than plain Bonferroni."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@functools.lru_cache(maxsize=64)
def _u_distribution(m: int, n: int) -> tuple[int, ...]:
    """How many orderings of m + n distinct values give each Mann-Whitney U (0..m*n)."""
    if m == 0 or n == 0:
        return (1,)
    # An ordering ends with a value of the first sample (its U gains n) or of the second one.
    first, second = _u_distribution(m - 1, n), _u_distribution(m, n - 1)
    counts = [0] * (m * n + 1)
    for u, ways in enumerate(first):
        counts[u + n] += ways
    for u, ways in enumerate(second):
        counts[u] += ways
    return tuple(counts)


def mann_whitney_p(first: list[float], second: list[float]) -> float | None:
    """Two-sided p-value of the Mann-Whitney U test: do values of one sample tend to be larger?

    Exact (all orderings counted) for small samples without ties; otherwise the normal approximation with
    the tie and continuity corrections. None when a side has no value."""
    m, n = len(first), len(second)
    if not m or not n:
        return None
    pooled = sorted([(v, 0) for v in first] + [(v, 1) for v in second])
    ranks: list[float] = [0.0] * len(pooled)
    tie_term, start = 0, 0
    while start < len(pooled):
        end = start
        while end + 1 < len(pooled) and pooled[end + 1][0] == pooled[start][0]:
            end += 1
        for k in range(start, end + 1):
            ranks[k] = (start + end) / 2 + 1
        tie_term += (end - start + 1) ** 3 - (end - start + 1)
        start = end + 1
    u = sum(r for r, (_, side) in zip(ranks, pooled, strict=True) if side == 0) - m * (m + 1) / 2
    if not tie_term and m + n <= 40:
        counts = _u_distribution(m, n)
        tail = min(u, m * n - u)
        return min(1.0, 2 * sum(counts[: int(tail) + 1]) / math.comb(m + n, m))
    total = m + n
    variance = m * n / 12 * ((total + 1) - tie_term / (total * (total - 1)))
    if variance <= 0:
        return 1.0  # every value equal: nothing moved
    z = max(0.0, abs(u - m * n / 2) - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(z / math.sqrt(2)))


@functools.lru_cache(maxsize=32)
def _labellings(size: int, m: int) -> Any:
    """Every way to pick which m of `size` answers are the first run's, as 0/1 rows (small strata only)."""
    import itertools

    import numpy as np

    members = np.zeros((math.comb(size, m), size))
    for row, chosen in enumerate(itertools.combinations(range(size), m)):
        members[row, list(chosen)] = 1.0
    return members


def between_within_permutation_p(
    strata: list[tuple[list[list[float]], int]], rounds: int = 1999, seed: int = 0
) -> float | None:
    """Are two groups further apart than the members of each group are from one another?

    Each stratum (a prompt) is a symmetric dissimilarity matrix over the answers of both
    runs, the first `m` rows being the first run's. The statistic sums, over strata, the mean dissimilarity
    of pairs across the groups minus that of pairs within them. Under "same model", the answers of one
    prompt are exchangeable between the runs, so relabelling them within each stratum gives the null
    distribution (every labelling when there are few, a uniform sample of 512 otherwise). One-sided: only
    "more different than the repeats are" is evidence. None when no stratum has a pair within a group.
    Strata of one shape are scored together, as arrays, so a run of thousands of prompts stays fast.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    shapes: dict[tuple[int, int], list[Any]] = {}
    for matrix, m in strata:
        size = len(matrix)
        if 1 <= m < size and size >= 3:
            shapes.setdefault((size, m), []).append(matrix)
    if not shapes:
        return None
    observed, null = 0.0, np.zeros(rounds)
    for (size, m), matrices in shapes.items():
        dist = np.asarray(matrices, dtype=float)
        dist = dist[dist.reshape(len(dist), -1).any(axis=1)]  # identical answers: every labelling scores 0
        if not len(dist):
            continue
        if math.comb(size, m) <= 512:
            members = _labellings(size, m)
        else:
            members = np.zeros((512, size))
            for row in range(512):
                members[row, rng.choice(size, m, replace=False)] = 1.0
        members = np.vstack([np.r_[np.ones(m), np.zeros(size - m)], members])  # row 0: the observed one
        others = 1.0 - members
        within_pairs = math.comb(m, 2) + math.comb(size - m, 2)
        for start in range(0, len(dist), 256):
            block = dist[start : start + 256]
            first = np.einsum("li,kij->klj", members, block)
            second = np.einsum("li,kij->klj", others, block)
            across = (first * others).sum(axis=2) / (m * (size - m))
            within = ((first * members).sum(axis=2) + (second * others).sum(axis=2)) / (2 * within_pairs)
            score = across - within  # (strata, labellings)
            observed += float(score[:, 0].sum())
            picks = rng.integers(1, score.shape[1], size=(len(block), rounds))
            null += np.take_along_axis(score, picks, axis=1).sum(axis=0)
    return float((1 + np.count_nonzero(null >= observed - 1e-12)) / (rounds + 1))
