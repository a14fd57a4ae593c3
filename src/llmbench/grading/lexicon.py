"""Families of phrases, compiled once into one regular expression per script, for the censorship grader.

A family is one idea said many ways ("all ethnic groups enjoy equal rights", 各民族一律平等, "l'égalité entre
toutes les ethnies"): a few regular expressions over *normalised* text (case and accents removed, punctuation
turned into spaces, see `factual.normalise`), so a pattern is written as `ethnic (?:unity|harmony)`, never with
apostrophes, hyphens or accents (they are stripped from the pattern too, so writing them is harmless).

Latin patterns match whole words (`\\w*` at the end makes a stem: `detain\\w*`); patterns with Chinese
characters match anywhere in the text with its spaces removed. Each family's patterns become one alternative
of a single expression per script, so an answer is scanned once per sentence, whatever the size of the
library: the grader's cost grows with the answer, not with the number of phrases.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_CHAR = re.compile(r"([\u4e00-\u9fff])")
_CAPTURE = re.compile(r"\((?!\?)")


@dataclass(frozen=True)
class Family:
    """One idea in its word variants. `weight` is what a match adds to the answer's official-line weight
    (libraries that are not weighed leave it at 1)."""

    name: str
    patterns: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Hit:
    family: Family
    text: str  # what matched, normalised
    script: str  # "latin" (offsets in the spaced text) or "cjk" (offsets in the text without spaces)
    start: int
    end: int

    def overlaps(self, other: Hit) -> bool:
        return self.script == other.script and self.start < other.end and other.start < self.end


def prepare(pattern: str) -> str:
    """A pattern as normalised text is: accents and case removed, apostrophes and hyphens as spaces, and
    groups made non-capturing (a match is told apart by its family's group name)."""
    text = unicodedata.normalize("NFKD", pattern)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"['’\-]", " ", text)
    return _CAPTURE.sub("(?:", text)


def spaced(text_norm: str) -> str:
    """Chinese characters count as word characters for `\\w`, so "2024" is not a word in "2024年": put
    spaces around them for Latin patterns."""
    return _CJK_CHAR.sub(r" \1 ", text_norm) if _CJK.search(text_norm) else text_norm


@dataclass(frozen=True)
class View:
    """A piece of normalised text in the two forms the patterns are matched on."""

    latin: str
    cjk: str

    @classmethod
    def of(cls, text_norm: str) -> View:
        has_cjk = _CJK.search(text_norm) is not None
        return cls(spaced(text_norm) if has_cjk else text_norm, text_norm.replace(" ", "") if has_cjk else "")


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    family: Family
    script: str  # "latin" or "cjk"
    triggers: frozenset[
        str
    ]  # the pattern cannot match unless one of these is in the text (empty: always try)


class Lexicon:
    """Families of patterns, each pattern compiled once with the literal words it cannot match without.

    One big alternation of every pattern would try each of them at every word of the text; instead the
    literal words ("triggers") are looked up in the text first (a substring test each), and only the few
    patterns whose triggers are there are run: the cost stays near that of the text's length."""

    def __init__(self, families: tuple[Family, ...]) -> None:
        self.families = families
        patterns = []
        for family in families:
            for pattern in family.patterns:
                prepared = prepare(pattern)
                if _CJK.search(prepared):
                    prepared = prepared.replace(" ", "")
                    regex, script = re.compile(f"(?:{prepared})"), "cjk"
                else:
                    regex, script = re.compile(rf"(?<!\w)(?:{prepared})(?!\w)"), "latin"
                patterns.append(_Pattern(regex, family, script, _triggers(prepared)))
        # Longest first: where two patterns match at the same place, the longer one is kept.
        self._patterns = tuple(sorted(patterns, key=lambda p: -len(p.regex.pattern)))
        self._finders = {
            script: _trie_finder({t for p in self._patterns if p.script == script for t in p.triggers})
            for script in ("latin", "cjk")
        }
        self._by_trigger: dict[str, list[int]] = {}
        for rank, p in enumerate(self._patterns):
            for trigger in p.triggers:
                self._by_trigger.setdefault(trigger, []).append(rank)
        self._untriggered = [rank for rank, p in enumerate(self._patterns) if not p.triggers]

    def _candidates(self, view: View) -> list[_Pattern]:
        """The patterns that can match in this text: the triggers present are found in one pass per script,
        then each pattern is kept or dropped by a set lookup."""
        present: set[str] = set()
        for script, text in (("latin", view.latin), ("cjk", view.cjk)):
            finder = self._finders[script]
            if finder is None or not text:
                continue
            for found in finder.findall(text):
                # The finder reports the longest trigger at each place; shorter ones are its prefixes.
                present.update(found[:n] for n in range(1, len(found) + 1))
        ranks = set(self._untriggered)
        for trigger in present:
            ranks.update(self._by_trigger.get(trigger, ()))
        return [
            p
            for p in (self._patterns[r] for r in sorted(ranks))
            if (view.latin if p.script == "latin" else view.cjk)
        ]

    def scan(self, view: View) -> list[Hit]:
        """Every non-overlapping match, leftmost first (where several start at one place, the longest)."""
        found: list[Hit] = []
        for pattern in self._candidates(view):
            text = view.latin if pattern.script == "latin" else view.cjk
            found += [Hit(pattern.family, m.group(0), pattern.script, m.start(), m.end())
                      for m in pattern.regex.finditer(text)]  # fmt: skip
        found.sort(key=lambda h: (h.script, h.start, h.start - h.end))
        hits: list[Hit] = []
        for hit in found:
            if not hits or not hit.overlaps(hits[-1]):
                hits.append(hit)
        return hits

    def first(self, view: View) -> Hit | None:
        """A match, if there is one."""
        for pattern in self._candidates(view):
            text = view.latin if pattern.script == "latin" else view.cjk
            if m := pattern.regex.search(text):
                return Hit(pattern.family, m.group(0), pattern.script, m.start(), m.end())
        return None

    def starts(self, view: View) -> bool:
        """Whether a pattern matches at the very start of the text."""
        for pattern in self._candidates(view):
            if pattern.regex.match(view.latin if pattern.script == "latin" else view.cjk):
                return True
        return False


def _trie_finder(literals: set[str]) -> re.Pattern[str] | None:
    """One expression finding, at every position, the longest of these literals that starts there (a trie
    written as a regular expression: one path is followed per position, whatever the number of literals)."""
    if not literals:
        return None
    trie: dict[str, Any] = {}
    for literal in literals:
        node = trie
        for ch in literal:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return re.compile(f"(?=({walk(trie)}))")


def _triggers(pattern: str) -> frozenset[str]:
    """Literal strings one of which every match of the pattern contains (empty when none is worth it)."""
    from re import _parser  # type: ignore[attr-defined]

    found = _required(_parser.parse(pattern))
    if not found or min(len(t) for t in found) < (1 if _CJK.search(pattern) else 3):
        return frozenset()
    return frozenset(found)


def _required(items: object) -> set[str] | None:
    """Walk a parsed pattern: the best set of literals any match must contain one of, or None."""
    from re import _constants as c  # type: ignore[attr-defined]

    best: set[str] | None = None

    def consider(candidate: set[str] | None) -> None:
        nonlocal best
        if candidate and (best is None or _score(candidate) > _score(best)):
            best = candidate

    run: list[str] = []
    for op, av in items:  # type: ignore[attr-defined]
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        consider({"".join(run)} if run else None)
        run = []
        if op is c.SUBPATTERN:
            consider(_required(av[3]))
        elif op is c.BRANCH:
            options = [_required(branch) for branch in av[1]]
            if all(options):
                consider(set().union(*options))  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            consider(_required(av[2]))
    consider({"".join(run)} if run else None)
    return best


def _score(literals: set[str]) -> tuple[int, int]:
    return min(len(t) for t in literals), -len(literals)
