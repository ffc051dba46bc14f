"""Reading OCR text against what the DOM said: tolerant value lookup (legibility) and label/value pairing."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from capture.records import REDACTED, Field, Section

if TYPE_CHECKING:
    from capture.ocr import OcrOutput

FLAG_BELOW = 0.9   # a page whose screenshot shows less than this share of its values is flagged
_BOOLS = {"on", "off", "true", "false", "checked", "unchecked", "enabled", "disabled", "selected"}
# What tesseract confuses on UI fonts; both sides are folded the same way before comparing.
_PAIRS = (("rn", "m"), ("vv", "w"))
_FOLD = str.maketrans({"o": "0", "l": "1", "i": "1", "|": "1", "!": "1", "/": "1", "{": "f",
                       "s": "5", "b": "8", "z": "2"})
WINDOW = 40  # tokens: a table cell wrapped over lines is read interleaved with its neighbour cells
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(s: str) -> str:
    """Lower-case, confusable letters folded to one form, punctuation and spaces dropped."""
    s = s.lower()
    for a, b in _PAIRS:
        s = s.replace(a, b)
    return _NON_ALNUM.sub("", s.translate(_FOLD))


def _slip(v: str, stream: str, ends: set[int]) -> bool:
    """v in stream but for one slip after its first third: a head of v, then up to three other glyphs in place of one
    or two of v's, then the rest of v. A rest shorter than three glyphs must end a word of the text and follow
    the head at once or in place of what it replaced ("…aabféc" for "…aabf6c", never "…aab" then any "0" nearby)."""
    for cut in range(len(v) // 3, len(v) - 1):
        head = v[:cut]
        i = stream.find(head)
        while i >= 0:
            end = i + cut
            for skip in (1, 2):
                tail = v[cut + skip:]
                if not tail:
                    continue
                short = len(tail) < 3
                for gap in range(skip + 1 if short else 4):
                    if stream.startswith(tail, end + gap) and (not short or end + gap + len(tail) in ends):
                        return True
            i = stream.find(head, i + 1)
    return False


class TextIndex:
    """The OCR text folded into one stream, with the token boundaries kept for short values."""

    def __init__(self, text: str) -> None:
        self.tokens = [t for t in (fold(w) for w in text.split()) if t]
        self.stream = "".join(self.tokens)
        self.starts, self.ends, pos = set(), set(), 0
        for t in self.tokens:
            self.starts.add(pos)
            pos += len(t)
            self.ends.add(pos)
        self.token_set = set(self.tokens)

    def has(self, value: str) -> bool:
        v = fold(value)
        if not v:
            return True
        if self._at_tokens(v) if len(v) < 4 else v in self.stream:
            return True
        return self._one_slip(v) or self._covered(value)

    def _one_slip(self, v: str) -> bool:
        """A long code (ID, hash, fingerprint) read with one slip: the value is in the text except for one or two
        of its glyphs, read as up to three others or as none ("…6917‘Aca96…" for "…69174ca96…", "…aabféc" for
        "…aabf6c"). The slip may sit anywhere; the side before it or the side after it keeps a third of the value,
        and the other side is at least one glyph. A person reads such a screenshot fine; tesseract misreads one
        glyph pair."""
        if len(v) < 16:
            return False
        if v[1:] in self.stream or v[:-1] in self.stream:  # the slip on its first or last glyph ("#607…" for "f607…")
            return True
        n = len(self.stream)
        return _slip(v, self.stream, self.ends) or _slip(v[::-1], self.stream[::-1], {n - s for s in self.starts})

    def _at_tokens(self, v: str, start: int = 0) -> bool:
        """v occurs starting and ending on token boundaries ("22" must not hide inside "1522")."""
        i = self.stream.find(v, start)
        while i >= 0:
            if i in self.starts and i + len(v) in self.ends:
                return True
            i = self.stream.find(v, i + 1)
        return False

    def _token_at(self, part: str, j: int) -> bool:
        t = self.tokens[j]
        return t == part or (len(part) >= 4 and part in t)

    def _covered(self, value: str) -> bool:
        """The value's words in order within a window of OCR tokens: wrapped table cells, long text.

        Up to three words must all be seen; longer text counts at ≥ 80 % of its characters."""
        parts = [t for t in (fold(w) for w in value.split()) if t]
        if len(parts) < 2:
            return False
        need = sum(len(t) for t in parts) * (1.0 if len(parts) <= 3 else 0.8)
        firsts = [j for j, t in enumerate(self.tokens) if self._token_at(parts[0], j)] or [0]
        for first in firsts:
            j, seen = first, 0
            end = min(len(self.tokens), first + WINDOW + 2 * len(parts))
            for part in parts:
                k = next((x for x in range(j, end) if self._token_at(part, x)), None)
                if k is not None:
                    seen += len(part)
                    j = k + 1
            if seen >= need:
                return True
        return False


def checkable_values(sections: list[Section]) -> list[tuple[str, str]]:
    """("Label", value) for every value a screenshot should show: not secret, not redacted, not a boolean."""
    out: list[tuple[str, str]] = []
    for s in sections:
        for f in s.fields:
            v = (f.value or "").strip()
            if f.secret or not v or REDACTED in v or f.kind in ("checkbox", "password"):
                continue
            if v.lower() in _BOOLS:
                continue
            out.append((f.label, v))
        for t in s.tables:
            for row in t.rows:
                for i, cell in enumerate(row):
                    cell = cell.strip()
                    if cell and REDACTED not in cell and cell.lower() not in _BOOLS:
                        label = t.headers[i] if i < len(t.headers) else f"{t.title or s.title} column {i + 1}"
                        out.append((label, cell))
    return out


def value_boxes(sections: list[Section]) -> dict[str, Any]:
    """{"Label: value": (box, value)} for each checkable value whose place in the screenshot is known (a table cell: its
    row's box)."""
    out: dict[str, Any] = {}
    for s in sections:
        for f in s.fields:
            if f.box and not f.secret:
                out.setdefault(f"{f.label}: {(f.value or '').strip()}", (f.box, (f.value or "").strip()))
        for t in s.tables:
            for row, box in zip(t.rows, t.boxes):
                if box:
                    for i, cell in enumerate(row):
                        label = t.headers[i] if i < len(t.headers) else f"{t.title or s.title} column {i + 1}"
                        out.setdefault(f"{label}: {cell.strip()}", (box, cell.strip()))
    return out


def found_in(text: str, value: str) -> bool:
    return TextIndex(text).has(value)


def legibility(sections: list[Section], text: str) -> tuple[float | None, int, list[str]]:
    """(share of checkable values found in the OCR text or None, how many checked, missing "Label: value")."""
    values = checkable_values(sections)
    if not values:
        return None, 0, []
    index = TextIndex(text)
    missing = [f"{label}: {value}" for label, value in values if not index.has(value)]
    return round(1 - len(missing) / len(values), 4), len(values), missing


def is_flagged(score: float | None) -> bool:
    return score is not None and score < FLAG_BELOW


# ---- label/value pairs from screenshots taken by hand ---------------------------------------------

def _lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[int, int, int], list[dict[str, Any]]] = {}
    for w in words:
        groups.setdefault((w["block"], w["par"], w["line"]), []).append(w)
    return [sorted(g, key=lambda w: w["left"]) for g in groups.values()]


def _label_key(s: str) -> str:
    return fold(s)


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _starts_cell(words: list[dict[str, Any]], i: int) -> bool:
    """A label begins a row or a column, not the middle of a sentence ("… Base Software 7.1 …")."""
    if i == 0:
        return True
    prev, cur = words[i - 1], words[i]
    return cur["left"] - (prev["left"] + prev["width"]) > 1.5 * max(cur["height"], prev["height"])


def _match_label(words: list[dict[str, Any]], i: int, vocab: list[tuple[str, str, int]]) -> tuple[str, int] | None:
    """The longest vocabulary label starting at words[i] (tolerating OCR noise), and its word count."""
    if not _starts_cell(words, i):
        return None
    best: tuple[int, str, int] | None = None
    for label, key, n in vocab:
        for k in (n, n - 1, n + 1):  # OCR may split a word or merge two
            if k < 1 or i + k > len(words):
                continue
            got = _label_key("".join(w["text"] for w in words[i:i + k]))
            if not got:
                continue
            # About one OCR slip per eight letters, after folding the usual confusions.
            if _distance(got, key) <= len(key) // 8 and (best is None or len(key) > len(best[1])):
                best = (0, label, k)
    return (best[1], best[2]) if best else None


def visual_rows(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Tesseract lines merged into visual rows (a label column and a value column are separate blocks)."""
    rows: list[list[dict[str, Any]]] = []
    for line in sorted(_lines(words), key=lambda ln: min(w["top"] for w in ln)):
        top = min(w["top"] for w in line)
        bottom = max(w["top"] + w["height"] for w in line)
        mid = (top + bottom) / 2
        for row in rows:
            rt, rb = min(w["top"] for w in row), max(w["top"] + w["height"] for w in row)
            if rt <= mid <= rb:
                row.extend(line)
                break
        else:
            rows.append(list(line))
    return [sorted(r, key=lambda w: w["left"]) for r in rows]


def ocr_to_sections(output: OcrOutput, vocabulary: list[str]) -> list[Section]:
    """Label/value pairs read from a screenshot, using a page's known labels (for hand-taken images)."""
    vocab = sorted(((v, _label_key(v), len(v.split())) for v in vocabulary if _label_key(v)),
                   key=lambda x: -len(x[1]))
    rows = visual_rows(output.words)
    fields: list[Field] = []
    used_rows: set[int] = set()
    for r, row in enumerate(rows):
        i = 0
        while i < len(row):
            hit = _match_label(row, i, vocab)
            if not hit:
                i += 1
                continue
            label, k = hit
            j = i + k
            value_words = []
            while j < len(row) and not _match_label(row, j, vocab):
                value_words.append(row[j])
                j += 1
            if not value_words:
                value_words = _below(rows, r, row[i], vocab)
            value = " ".join(w["text"] for w in value_words).strip(" :|[]")  # input borders read as | [ ]
            fields.append(Field(label=label, value=value or None, kind="ocr"))
            used_rows.add(r)
            i = j
    rest = [" ".join(w["text"] for w in row) for n, row in enumerate(rows) if n not in used_rows]
    return [Section(title="OCR", fields=fields, text=[t for t in rest if t.strip()])]


def _below(rows: list[list[dict[str, Any]]], r: int, label_word: dict[str, Any],
           vocab: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """The value under a label: the next row, words starting near the label's left edge."""
    if r + 1 >= len(rows):
        return []
    nxt = rows[r + 1]
    gap = min(w["top"] for w in nxt) - (label_word["top"] + label_word["height"])
    if gap > 3 * label_word["height"] or _match_label(nxt, 0, vocab):
        return []
    return [w for w in nxt if w["left"] >= label_word["left"] - 2 * label_word["height"]]

