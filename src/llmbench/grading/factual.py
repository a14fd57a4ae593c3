"""Rule grading of short factual answers: normalised alias matching and numbers with tolerance.

"5.6 million", "$5,600,000", "5,6 millions de dollars" and "560万美元" all read as 5.6e6.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

_SCALE_WORDS = {
    "thousand": 1e3,
    "k": 1e3,
    "mille": 1e3,
    "milliers": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "mrd": 1e9,
    "trillion": 1e12,
    "trillions": 1e12,
    "tn": 1e12,
    "t": 1e12,
    "billiard": 1e15,
    "千": 1e3,
    "万": 1e4,
    "萬": 1e4,
    "亿": 1e8,
    "億": 1e8,
    "万亿": 1e12,
}
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.])(\d{1,3}(?:[ ,\u202f\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"\s*(万亿|[千万萬亿億]|(?:thousand|millions?|milliards?|billions?|trillions?|mille|milliers|mrd|mio|mn|bn|tn|k|m|b|t)\b)?",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing removed; CJK kept as is.

    Cached: the censorship grader normalises the same few hundred phrases for every sentence it reads."""
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
    # Word boundaries on Latin letters and digits only: "2024年" must still contain "2024".
    return re.search(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])", answer_norm) is not None


def parse_number(raw: str, scale: str | None) -> float | None:
    digits = raw.replace("\u202f", " ").replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "").replace(" ", "")
    elif re.fullmatch(
        r"\d{1,3}(?: \d{3})+(?:,\d+)?|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|\d{1,3}(?:\.\d{3})+,\d+", digits
    ):
        # 5 600 000,5 / 5.600.000 / 5.600,5 (French/German style); a lone "5.576" stays a decimal
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


_WORD_NUMBERS = {
    # English and French number words a short answer may spell out ("six", "douze", "twenty").
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "zéro": 0,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
    "cent": 100,
}
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_WORD_NUMBER = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")(?![\w-])", re.IGNORECASE
)


def chinese_numeral(text: str) -> int | None:
    """二〇二三 -> 2023 (digit by digit), 一百四十三 -> 143, 十二 -> 12 (with units)."""
    if not any(ch in _CN_UNITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text)) if text else None
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (digit or 1) * _CN_UNITS[ch]
            digit = 0
    return total + digit


def spell_out_numbers(text: str) -> str:
    """Rewrite number words and Chinese numerals as digits so the number matcher sees them."""
    text = _WORD_NUMBER.sub(lambda m: str(_WORD_NUMBERS[m.group(1).lower()]), text)
    return _CN_NUMERAL.sub(lambda m: f" {chinese_numeral(m.group(0))}", text)


def numbers_in(text: str) -> list[float]:
    text = spell_out_numbers(text)
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
