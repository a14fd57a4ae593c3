"""Rule grading of short factual answers: normalised alias matching and numbers with tolerance.

"5.6 million", "$5,600,000", "5,6 millions de dollars" and "560万美元" all read as 5.6e6.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SCALE_WORDS = {
    "thousand": 1e3, "k": 1e3, "mille": 1e3, "milliers": 1e3,
    "million": 1e6, "millions": 1e6, "m": 1e6, "mn": 1e6, "mio": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "milliard": 1e9, "milliards": 1e9, "mrd": 1e9,
    "trillion": 1e12, "trillions": 1e12, "tn": 1e12, "t": 1e12, "billiard": 1e15,
    "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "万亿": 1e12,
}
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:[ ,\u202f\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"\s*(万亿|[千万萬亿億]|(?:thousand|millions?|milliards?|billions?|trillions?|mille|milliers|mrd|mio|mn|bn|tn|k|m|b|t)\b)?",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing removed; CJK kept as is."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("’", "'")
    text = re.sub(r"[^\w\u4e00-\u9fff]+", " ", text)
    return " ".join(text.split())


def contains(answer_norm: str, alias: str) -> bool:
    needle = normalise(alias)
    if not needle:
        return False
    if re.search(r"[\u4e00-\u9fff]", needle):
        return needle.replace(" ", "") in answer_norm.replace(" ", "")
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", answer_norm) is not None


def parse_number(raw: str, scale: str | None) -> float | None:
    digits = raw.replace("\u202f", " ").replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "").replace(" ", "")
    elif re.fullmatch(r"\d{1,3}(?:[ .]\d{3})+(?:,\d+)?", digits):  # 5.600.000,5 (French/German style)
        digits = digits.replace(".", "").replace(" ", "").replace(",", ".")
    else:
        digits = digits.replace(",", ".").replace(" ", "")
    try:
        value = float(digits)
    except ValueError:
        return None
    if scale:
        value *= _SCALE_WORDS.get(scale.lower(), 1.0)
    return value


def numbers_in(text: str) -> list[float]:
    found = []
    for match in _NUMBER.finditer(text):
        value = parse_number(match.group(1), match.group(2))
        if value is not None:
            found.append(value)
    return found


def grade_factual(answer: str, expect: dict[str, Any], language: str) -> tuple[str, float, dict[str, Any]]:
    """Return (verdict, score, evidence). Evidence says which alias or number matched, or why none did."""
    norm = normalise(answer)
    evidence: dict[str, Any] = {"language": language}
    checks: list[bool] = []
    if expect.get("any") or expect.get("number") is not None:
        hit = next((a for a in expect.get("any", []) if contains(norm, a)), None)
        number_ok = False
        if expect.get("number") is not None:
            target = float(expect["number"])
            tolerance = float(expect.get("tolerance") or 0.0)
            values = numbers_in(answer)
            close = [v for v in values if abs(v - target) <= max(tolerance * abs(target), 1e-9)]
            number_ok = bool(close)
            evidence["numbers_seen"] = values[:10]
            if close:
                evidence["number_matched"] = close[0]
        if hit:
            evidence["matched"] = hit
        checks.append(bool(hit) or number_ok)
    if expect.get("all"):
        missing = [a for a in expect["all"] if not contains(norm, a)]
        evidence["missing"] = missing
        checks.append(not missing)
    if expect.get("none"):
        forbidden = [a for a in expect["none"] if contains(norm, a)]
        evidence["forbidden_seen"] = forbidden
        checks.append(not forbidden)
    if not checks:
        return "ungraded", 0.0, evidence
    ok = all(checks)
    return ("correct" if ok else "incorrect"), (1.0 if ok else 0.0), evidence
