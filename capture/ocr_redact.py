"""Layers 3 and 4 for text read off a page (OCR words, loose text): redact words by label and by value, and spot a secret the pixels show.

By label: on one visual row, whatever follows a few words that read as a secret label ("Read-Only
Community Name", "Pre-shared Key:") is redacted to the end of the row. That can take a harmless value
sharing the row with it; a secret is never left standing because its field was not understood.
By value: a word or run of words that reads as a known secret, exactly or with the glyph slips tesseract
makes on UI fonts (capture.ocr_text.fold).
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from capture.ocr_text import TextIndex, fold, visual_rows
from capture.records import REDACTED

MAX_LABEL_WORDS = 6
MIN_FOLDED = 6  # shorter secrets folded would match ordinary words


def _compile(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    return [re.compile(f"(?:{p})", re.I) for p in patterns]


class SecretLabels:
    """The secret label patterns (flows/labels.toml [secrets]) applied to OCR'd words."""

    def __init__(self, patterns: Iterable[str], not_secret: Iterable[str]) -> None:
        self.secret, self.not_secret = _compile(patterns), _compile(not_secret)

    def is_label(self, text: str) -> bool:
        t = " ".join(text.split()).strip(" *")
        t = re.sub(r"[\s:*?]+$", "", t)
        return bool(t) and any(p.fullmatch(t) for p in self.secret) and not any(p.fullmatch(t) for p in self.not_secret)

    def value_start(self, texts: list[str]) -> int | None:
        """Index of the first word after a secret label on this row, or None.

        The earliest label end wins: redacting a label word too many is harmless, a value word too few is not.
        A label that reads on into a setting ("Password Lifetime", "Minimum Password Length") is no secret.
        """
        for end in range(1, len(texts)):
            for start in range(max(0, end - MAX_LABEL_WORDS), end):
                if self.is_label(" ".join(texts[start:end])) and not self._setting(texts, start, end):
                    return end
        return None

    def _setting(self, texts: list[str], start: int, end: int) -> bool:
        longer = (" ".join(texts[a:b]) for a in range(max(0, end - MAX_LABEL_WORDS), start + 1)
                  for b in range(end + 1, min(len(texts), start + MAX_LABEL_WORDS) + 1))
        return any(p.fullmatch(t) for t in longer for p in self.not_secret)


def _folded(values: Iterable[str]) -> list[str]:
    return sorted({f for f in (fold(v) for v in values) if len(f) >= MIN_FOLDED}, key=len, reverse=True)


def _piece(token: str, secret: str) -> bool:
    """A token that shows the start or the end of a secret: an input box too narrow for its value shows only
    its first characters, and those are a leak too (a third of the value, at least six characters)."""
    need = max(MIN_FOLDED, len(secret) // 3)
    if len(secret) < 9 or len(token) < need:  # a short secret counts only whole (above)
        return False
    head = len(_common_prefix(token, secret))
    tail = len(_common_prefix(token[::-1], secret[::-1]))
    return max(head, tail) >= min(need, len(secret))


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _hits(tokens: list[str], secrets: list[str]) -> set[int]:
    """Indexes of the tokens that spell a folded secret (alone, or joined with their neighbours), or show
    the start or end of one."""
    stream, starts, pos = "", [], 0
    for t in tokens:
        starts.append(pos)
        stream += t
        pos += len(t)
    out: set[int] = set()
    for s in secrets:
        i = stream.find(s)
        while i >= 0:
            end = i + len(s)
            aligned = i in starts and (end in starts or end == len(stream))
            if len(s) >= 12 or aligned:  # a short secret only as whole words ("public" not in "publicity")
                out.update(k for k, st in enumerate(starts) if st < end and st + len(tokens[k]) > i)
            i = stream.find(s, i + 1)
        out.update(k for k, t in enumerate(tokens) if _piece(t, s))
    return out


def redact_words(words: list[dict[str, Any]], known: Iterable[str], labels: SecretLabels | None) -> int:
    """Redact, in place, every word that follows a secret label on its row or spells a known secret.

    Returns how many words were redacted."""
    secrets = _folded(known)
    n = 0
    for row in visual_rows(words):
        texts = [str(w.get("text", "")) for w in row]
        hit = _hits([fold(t) for t in texts], secrets)
        start = labels.value_start(texts) if labels else None
        if start is not None:
            hit.update(range(start, len(row)))
        for k in hit:
            if row[k].get("text") != REDACTED:
                row[k].update(text=REDACTED, conf=0.0, redacted=True)
                n += 1
    return n


def shows_secret(text: str, known: Iterable[str]) -> bool:
    """Does this OCR text show a known secret, exactly or as tesseract misreads it (confusable glyphs, and for
    long values one slipped glyph pair, as the legibility check allows)?"""
    known = [v for v in known if v]
    if any(v in text if len(v) >= 12 else re.search(rf"(?<![A-Za-z0-9]){re.escape(v)}(?![A-Za-z0-9])", text)
           for v in known):  # a short secret only as a whole word ("public", not "publicity")
        return True
    secrets = _folded(known)
    tokens = [t for t in (fold(w) for w in text.split()) if t]
    if secrets and _hits(tokens, secrets):
        return True
    index = TextIndex(text)
    return any(index.has(v) for v in known if len(fold(v)) >= 16)


def redact_line(line: str, labels: SecretLabels, max_words: int = 8) -> tuple[str, str | None]:
    """A short line of loose page text that starts with a secret label keeps the label only:
    ("Community public", …) → ("Community [redacted]", "public"). Longer lines are prose, left as they are."""
    words = line.split()
    if len(words) > max_words:
        return line, None
    start = labels.value_start(words)
    if start is None:
        return line, None
    return " ".join(words[:start] + [REDACTED]), " ".join(words[start:])
