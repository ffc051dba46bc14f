"""Pixel diff of two screenshots of one page: side by side, and an overlay with the changed regions boxed.

Rows are aligned first (an extra table row on one peer shifts everything below it; that is one change,
not a page of them). Pink secret masks and the word boxes of volatile values (from the OCR word files)
are not differences.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from reports.files import atomic_writer

CELL = 8  # changed pixels are grouped on this grid; neighbours closer than one cell merge
THRESHOLD = 40  # per-pixel grey difference below this is anti-aliasing, not change
Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass
class VisualDiff:
    regions: list[Box] = field(default_factory=list)  # in overlay coordinates
    ignored_cells: int = 0  # changed cells left out as masks or volatile values
    height_a: int = 0
    height_b: int = 0
    overlay: Path | None = None
    image_a: Path | None = None
    image_b: Path | None = None

    def to_dict(self, base: Path) -> dict[str, Any]:
        rel = lambda p: str(p.relative_to(base)) if p else None  # noqa: E731
        return {"regions": [list(r) for r in self.regions], "ignored_cells": self.ignored_cells,
                "height_a": self.height_a, "height_b": self.height_b, "overlay": rel(self.overlay),
                "image_a": rel(self.image_a), "image_b": rel(self.image_b)}


def align_rows(a: Image.Image, b: Image.Image) -> list[tuple[int | None, int | None]]:
    """Canvas rows as (row of a, row of b); None where one image has rows the other lacks."""
    def rows(img: Image.Image) -> list[int]:
        raw, stride = img.tobytes(), img.width * 3
        return [hash(raw[y * stride:(y + 1) * stride]) for y in range(img.height)]

    ra, rb = rows(a), rows(b)
    if len(ra) == len(rb) and sum(x != y for x, y in zip(ra, rb)) * 10 <= len(ra):
        # Same height, at most a tenth of the rows changed in place: nothing moved (what SequenceMatcher
        # would find too, at a tenth of the cost).
        return [(y, y) for y in range(len(ra))]
    out: list[tuple[int | None, int | None]] = []
    # autojunk: blank background rows are too common to anchor a match; distinctive rows align the pages.
    for _tag, i1, i2, j1, j2 in SequenceMatcher(None, ra, rb).get_opcodes():
        n = max(i2 - i1, j2 - j1)
        for k in range(n):
            out.append((i1 + k if k < i2 - i1 else None, j1 + k if k < j2 - j1 else None))
    return out


def _canvas(img: Image.Image, mapping: list[tuple[int | None, int | None]], side: int, width: int) -> Image.Image:
    out = Image.new("RGB", (width, len(mapping)), "white")
    y = 0
    while y < len(mapping):  # paste runs of consecutive source rows in one go
        src = mapping[y][side]
        if src is None:
            y += 1
            continue
        n = 1
        while y + n < len(mapping) and mapping[y + n][side] == src + n:
            n += 1
        out.paste(img.crop((0, src, img.width, src + n)), (0, y))
        y += n
    return out


def _magenta(img: Image.Image) -> Image.Image:
    """255 where the pixel is the pink #FF00FF of a secret mask."""
    r, g, b = img.split()
    m = ImageChops.multiply(r.point(lambda v: 255 if v >= 230 else 0), g.point(lambda v: 255 if v <= 40 else 0))
    return ImageChops.multiply(m, b.point(lambda v: 255 if v >= 230 else 0))


def _count(mask: Image.Image) -> int:
    raw = mask.tobytes()
    return len(raw) - raw.count(0)


def _cells(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A full-size 0/255 mask reduced to the cell grid: a cell is set when any of its pixels is."""
    return mask.resize(size, Image.Resampling.BOX).point(lambda v: 255 if v else 0)


def _to_canvas(boxes: list[Box], mapping: list[tuple[int | None, int | None]], side: int) -> list[Box]:
    where = {src: y for y, pair in enumerate(mapping) if (src := pair[side]) is not None}
    out = []
    for l, t, r, btm in boxes:
        ys = [where[y] for y in range(t, btm + 1) if y in where]
        if ys:
            out.append((l, min(ys), r, max(ys)))
    return out


def _components(grid: Image.Image) -> list[Box]:
    """Bounding boxes (in cells) of groups of changed cells; cells one apart belong together."""
    w, h = grid.size
    core = grid.tobytes()  # mode L: one byte per cell
    grown = grid.filter(ImageFilter.MaxFilter(3)).tobytes()
    seen = bytearray(w * h)
    boxes = []
    for start in range(w * h):
        if not core[start] or seen[start]:
            continue
        stack, box = [start], [w, h, -1, -1]
        seen[start] = 1
        while stack:
            i = stack.pop()
            x, y = i % w, i // w
            if core[i]:
                box = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
            for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                j = ny * w + nx
                if 0 <= nx < w and 0 <= ny < h and grown[j] and not seen[j]:
                    seen[j] = 1
                    stack.append(j)
        boxes.append((box[0], box[1], box[2], box[3]))
    return boxes


def _grow(regions: list[Box], words: list[Box]) -> list[Box]:
    """Widen each changed region to the whole words it touches, so a box frames "bt2", not its last glyph."""
    out = []
    for l, t, r, b in regions:
        for wl, wt, wr, wb in words:
            if wl < r and wr > l and wt < b and wb > t:
                l, t, r, b = min(l, wl), min(t, wt), max(r, wr), max(b, wb)
        out.append((l, t, r, b))
    return out


def diff_images(a: Image.Image, b: Image.Image, ignore_a: list[Box] = (), ignore_b: list[Box] = (),
                words_a: list[Box] = (), words_b: list[Box] = ()) -> tuple[Image.Image, Image.Image, list[Box], int]:
    """(canvas a, canvas b, changed regions, ignored cells) with both canvases row-aligned (RGB images in)."""
    mapping = align_rows(a, b)
    width = max(a.width, b.width)
    identity = a.size == b.size and all(i == j for i, j in mapping)
    ca, cb = (a, b) if identity else (_canvas(a, mapping, 0, width), _canvas(b, mapping, 1, width))
    diff = ImageChops.difference(ca, cb).convert("L").point(lambda v: 255 if v > THRESHOLD else 0)
    bbox = diff.getbbox()
    if bbox is None:
        return ca, cb, [], 0
    size = (-(-width // CELL), -(-len(mapping) // CELL))
    changed = _cells(diff, size)
    # Masks and volatile values are ignored on the cell grid, one cell around them (anti-aliased edges).
    x0, y0 = bbox[0] - bbox[0] % CELL, bbox[1] - bbox[1] % CELL
    crop = (x0, y0, bbox[2], bbox[3])
    pink = Image.new("L", diff.size, 0)
    pink.paste(ImageChops.lighter(_magenta(ca.crop(crop)), _magenta(cb.crop(crop))), (x0, y0))
    ignore = _cells(pink, size)
    draw = ImageDraw.Draw(ignore)
    for l, t, r, btm in _to_canvas(list(ignore_a), mapping, 0) + _to_canvas(list(ignore_b), mapping, 1):
        draw.rectangle((l // CELL, t // CELL, r // CELL, btm // CELL), fill=255)
    ignore = ignore.filter(ImageFilter.MaxFilter(3))
    grid = ImageChops.subtract(changed, ignore)
    ignored = _count(changed) - _count(grid)
    regions = [(l * CELL, t * CELL, min(width, (r + 1) * CELL), min(len(mapping), (btm + 1) * CELL))
               for l, t, r, btm in _components(grid)]
    words = _to_canvas(list(words_a), mapping, 0) + _to_canvas(list(words_b), mapping, 1)
    return ca, cb, _grow(regions, words), max(0, ignored)


def _rgb(path: Path) -> Image.Image:
    img = Image.open(path)
    img.load()  # reads the file and closes it
    return img if img.mode == "RGB" else img.convert("RGB")  # Chromium's screenshots are RGB: no copy


def render(a_path: Path, b_path: Path, out_dir: Path, stem: str, *, ignore_a: list[Box] = (),
           ignore_b: list[Box] = (), words_a: list[Box] = (), words_b: list[Box] = ()) -> VisualDiff:
    """When the pages differ visibly: <stem>.overlay.jpg, and both screenshots as <stem>.a.png / <stem>.b.png."""
    a, b = _rgb(a_path), _rgb(b_path)
    ca, cb, regions, ignored = diff_images(a, b, ignore_a, ignore_b, words_a, words_b)
    res = VisualDiff(regions, ignored, a.height, b.height)
    if not regions:
        return res
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    overlay = Image.blend(ca, cb, 0.5)
    d = ImageDraw.Draw(overlay)
    for box in regions:
        d.rectangle((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), outline="#e00000", width=3)
    # JPEG, not PNG: Chromium embeds a JPEG in diff.pdf as it is (a PNG is decoded and deflated again),
    # and it encodes in a fifth of the time. 4:4:4 at quality 88 keeps the text and the red boxes sharp.
    res.overlay = out_dir / f"{stem}.overlay.jpg"
    with atomic_writer(res.overlay) as f:  # 0600, and never half-written
        overlay.save(f, format="JPEG", quality=88, subsampling=0)
    # The screenshots themselves, unchanged (already secret-masked), for the side-by-side view.
    res.image_a, res.image_b = out_dir / f"{stem}.a.png", out_dir / f"{stem}.b.png"
    for src, dst in ((a_path, res.image_a), (b_path, res.image_b)):
        with open(src, "rb") as fsrc, atomic_writer(dst) as fdst:
            shutil.copyfileobj(fsrc, fdst)
    return res


def _token(t: str) -> str:
    return re.sub(r"^[^\w]+|[^\w]+$", "", t).casefold()


def _same(word: str, token: str) -> bool:
    if word == token:
        return True
    if min(len(word), len(token)) < 4:
        return False
    return SequenceMatcher(None, word, token).ratio() >= 0.75


def word_box(w: dict[str, Any]) -> Box:
    return (int(w["left"]), int(w["top"]), int(w["left"] + w["width"]), int(w["top"] + w["height"]))


def value_boxes(words: list[dict[str, Any]], values: list[str]) -> list[Box]:
    """Word boxes where the screenshot shows one of values (OCR may misread a character or two)."""
    toks = [[_token(t) for t in v.split() if _token(t)] for v in values if v and v.strip()]
    texts = [_token(str(w.get("text", ""))) for w in words]
    boxes: list[Box] = []
    for tokens in filter(None, toks):
        need = len(tokens) if len(tokens) <= 3 else -(-len(tokens) * 4 // 5)
        for i in range(len(words)):
            if not _same(texts[i], tokens[0]):
                continue
            hit, j = [i], i + 1
            for t in tokens[1:]:
                k = next((k for k in range(j, min(j + 3, len(words))) if _same(texts[k], t)), None)
                if k is not None:
                    hit.append(k)
                    j = k + 1
            if len(hit) >= need:
                boxes += [word_box(words[k]) for k in hit]
    return boxes


def load_words(path: Path | None) -> list[dict[str, Any]]:
    if not path or not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    words = data.get("words", data) if isinstance(data, dict) else data
    return [w for w in words if isinstance(w, dict) and {"left", "top", "width", "height"} <= set(w)]
