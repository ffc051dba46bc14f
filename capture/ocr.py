"""Tesseract OCR of admin-page screenshots: UI-text preprocessing, tall-page bands, a reusable process pool."""
from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import re
import subprocess
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Iterable

from PIL import Image, ImageFilter, ImageMath, ImageOps

from capture.ocr_text import legibility, ocr_to_sections, visual_rows
from capture.records import Model


def limit_threads() -> None:
    """OpenMP inside tesseract thrashes on these 2-core machines (8× slower); parallelism comes from processes."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


limit_threads()

PSM = 3         # automatic layout: best recall on the simulator's admin pages; 11 drops lone digits
REREAD_BELOW = 60  # words under this confidence are read again from a 3x crop
SCALE = 2       # screen fonts are ~13 px; tesseract's LSTM wants glyphs ≥ 20 px
BAND = 2000     # taller screenshots are cut into bands near this many source rows, at quiet rows
LANG = "eng"
TIMEOUT = 180   # seconds per tesseract call: a pathological image must not stall a fleet run


class OcrOutput(Model):
    """What tesseract read on one image; word boxes are in the original image's pixel coordinates."""

    path: str
    text: str = ""
    words: list[dict[str, Any]] = []  # {text, conf, left, top, width, height, block, par, line[, reread]}
    engine: str = ""
    seconds: float = 0.0
    width: int = 0
    height: int = 0
    error: str | None = None


def tessdata_dir() -> str | None:
    """Where the installed tesseract keeps its language data (TESSDATA_PREFIX, else what the CLI reports)."""
    env = os.environ.get("TESSDATA_PREFIX")
    if env:
        return env
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    m = re.search(r'"(.+?)"', out)
    if m:
        return m.group(1)
    found = sorted(Path("/usr/share").glob(f"tesseract-ocr/*/tessdata/{LANG}.traineddata"))
    return str(found[-1].parent) if found else None


class Engine:
    """Tesseract in this process: libtesseract through tesserocr, loaded once per worker (a page costs what the
    recognition costs), or the `tesseract` program through pytesseract (a process per call: ~0.12 s to load the
    model, plus a PNG round trip of the image). BTC_OCR_ENGINE=cli forces the program."""

    def __init__(self) -> None:
        self._api: Any = None
        self.name = "cli"
        if os.environ.get("BTC_OCR_ENGINE", "").lower() != "cli":
            try:
                import tesserocr

                self._api = tesserocr.PyTessBaseAPI(path=tessdata_dir() or "", lang=LANG,
                                                    oem=tesserocr.OEM.LSTM_ONLY)
                self._tesserocr = tesserocr
                self.name = "api"
            except (ImportError, RuntimeError):
                self._api = None  # no wheel for this platform, or no language data: the program reads the same

    def version(self) -> str:
        if self._api is not None:
            return f"{self._tesserocr.tesseract_version().split()[1]} (libtesseract via tesserocr)"
        import pytesseract

        return f"{pytesseract.get_tesseract_version()} (tesseract program via pytesseract)"

    def data(self, img: Image.Image, psm: int) -> dict[str, list[Any]]:
        """Word boxes as tesseract's TSV, columns as lists (pytesseract's Output.DICT shape)."""
        if self._api is None:
            import pytesseract

            return pytesseract.image_to_data(img, lang=LANG, config=f"--oem 1 --psm {psm}", timeout=TIMEOUT,
                                             output_type=pytesseract.Output.DICT)
        self._recognize(img, psm)
        return _tsv(self._api.GetTSVText(0))

    def text(self, img: Image.Image, psm: int) -> str:
        if self._api is None:
            import pytesseract

            return pytesseract.image_to_string(img, lang=LANG, config=f"--oem 1 --psm {psm}", timeout=TIMEOUT)
        self._recognize(img, psm)
        return self._api.GetUTF8Text()

    def _recognize(self, img: Image.Image, psm: int) -> None:
        self._api.SetPageSegMode(psm)
        self._api.SetImage(img)
        if not self._api.Recognize(timeout=TIMEOUT * 1000):
            raise RuntimeError(f"tesseract gave up on a {img.width}x{img.height} image (timeout {TIMEOUT} s)")


_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height",
            "conf", "text")


def _tsv(tsv: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
    for line in tsv.splitlines():
        cells = line.split("\t")
        if len(cells) < len(_COLUMNS):
            cells += [""] * (len(_COLUMNS) - len(cells))
        for c, v in zip(_COLUMNS[:-2], cells):
            out[c].append(int(v))
        out["conf"].append(float(cells[10]))
        out["text"].append("\t".join(cells[11:]))
    return out


@functools.cache
def engine() -> Engine:
    """This process's tesseract, started on first use and kept (one per OCR worker)."""
    limit_threads()
    return Engine()


@functools.cache
def engine_string(psm: int = PSM) -> str:
    """Tesseract version and the exact model file, for the dossier (fast and best models read differently)."""
    model = "unknown model"
    where = tessdata_dir()
    if where and (f := Path(where) / f"{LANG}.traineddata").is_file():
        digest = hashlib.sha256(f.read_bytes()).hexdigest()[:12]
        model = f"{f.name} {f.stat().st_size / 1e6:.1f} MB sha256:{digest}"
    return (f"tesseract {engine().version()}, {model}, oem 1 (LSTM), psm {psm}, {SCALE}x LANCZOS, "
            "dark regions inverted, background flattened")


def preprocess(img: Image.Image, scale: int = SCALE) -> Image.Image:
    """Grayscale; dark regions inverted (LSTM wants dark text on light); every background made white
    (a global Otsu threshold otherwise drops text on grey inputs next to inverted menus); upscaled."""
    if img.mode in ("RGBA", "LA", "P"):  # transparent screenshots: white behind, not black
        img = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", img.size, "white"), img)
    gray = ImageOps.grayscale(img.convert("RGB"))
    gray = invert_dark_regions(gray)
    gray = flatten_background(gray)
    gray = ImageOps.autocontrast(gray, cutoff=1.0)
    if scale != 1:
        gray = gray.resize((gray.width * scale, gray.height * scale), Image.LANCZOS)
    return gray


def invert_dark_regions(gray: Image.Image, cell: int = 4, window: int = 7, threshold: int = 110) -> Image.Image:
    """Invert only where the local background is dark (header bars, menus), not the whole page."""
    w, h = gray.size
    small = gray.resize((max(1, w // cell), max(1, h // cell)), Image.BOX)
    # A median over ~28 px ignores the text strokes and keeps the background; 4 px cells keep edges sharp.
    background = small.filter(ImageFilter.MedianFilter(window))
    mask = background.point(lambda v: 255 if v < threshold else 0).resize((w, h), Image.NEAREST)
    if not mask.getbbox():
        return gray
    return Image.composite(ImageOps.invert(gray), gray, mask)


def flatten_background(gray: Image.Image, cell: int = 4, window: int = 5) -> Image.Image:
    """Divide by the local background so grey panels, inputs and inverted menus all become white."""
    w, h = gray.size
    small = gray.resize((max(1, w // cell), max(1, h // cell)), Image.BOX)
    bg = small.filter(ImageFilter.MaxFilter(window)).resize((w, h), Image.BILINEAR)
    return ImageMath.lambda_eval(
        lambda a: a["convert"](a["min"](a["g"] * 255 / a["max"](a["b"], 1), 255), "L"), g=gray, b=bg)


def band_cuts(gray: Image.Image, band: int = BAND, search: int = 160) -> list[tuple[int, int]]:
    """Split rows into bands of about `band` px, each cut at the quietest row near the target."""
    h = gray.height
    if h <= band * 1.25:
        return [(0, h)]
    energy = gray.filter(ImageFilter.FIND_EDGES).resize((1, h), Image.BOX)
    flat = getattr(energy, "get_flattened_data", None) or energy.getdata  # Pillow ≥ 12.1 renamed it
    rows = list(flat())
    cuts, y0 = [], 0
    while h - y0 > band * 1.25:
        lo, hi = y0 + band - search, min(h - 1, y0 + band + search)
        y = min(range(lo, hi), key=lambda r: (rows[r], abs(r - y0 - band)))
        cuts.append((y0, y))
        y0 = y
    cuts.append((y0, h))
    return cuts


def _words(img: Image.Image, psm: int, scale: int, dy: int, band_no: int) -> list[dict[str, Any]]:
    d = engine().data(img, psm)
    out = []
    for i, text in enumerate(d["text"]):
        if d["level"][i] != 5 or not text.strip():
            continue
        out.append({"text": text, "conf": round(float(d["conf"][i]), 1),
                    "left": d["left"][i] // scale, "top": d["top"][i] // scale + dy,
                    "width": max(1, d["width"][i] // scale), "height": max(1, d["height"][i] // scale),
                    "block": band_no * 1000 + d["block_num"][i], "par": d["par_num"][i],
                    "line": d["line_num"][i]})
    return out


def reread_unsure(gray: Image.Image, words: list[dict[str, Any]], limit: int = 80) -> int:
    """Read low-confidence short words again, each crop at 3x on one sheet, in a single tesseract call.

    Short values in small input boxes ("90", "7.4.1") come out as noise ("=~", "TAL") in the page
    pass; cropped and enlarged they read cleanly. Returns how many words changed."""
    unsure = [w for w in words if w["conf"] < REREAD_BELOW and len(w["text"]) <= 16 and w["width"] <= 400]
    unsure = sorted(unsure, key=lambda w: w["conf"])[:limit]
    if not unsure:
        return 0
    pad, gap, k = 3, 30, 3
    crops = []
    for w in unsure:
        c = gray.crop((w["left"] - pad, w["top"] - pad, w["left"] + w["width"] + pad, w["top"] + w["height"] + pad))
        crops.append(c.resize((c.width * k, c.height * k), Image.LANCZOS))
    sheet = Image.new("L", (max(c.width for c in crops) + 2 * gap, sum(c.height + gap for c in crops) + gap), 255)
    spans, y = [], gap
    for c in crops:
        sheet.paste(c, (gap, y))
        spans.append((y - gap / 3, y + c.height + gap / 3))
        y += c.height + gap
    d = engine().data(sheet, 6)
    found: dict[int, list[tuple[str, float]]] = {}
    for i, text in enumerate(d["text"]):
        if d["level"][i] == 5 and text.strip():
            mid = d["top"][i] + d["height"][i] / 2
            n = next((n for n, (a, b) in enumerate(spans) if a <= mid <= b), None)
            if n is not None:
                found.setdefault(n, []).append((text, float(d["conf"][i])))
    changed = 0
    for n, got in found.items():
        conf = min(c for _, c in got)
        if conf > unsure[n]["conf"] + 10:
            unsure[n].update(text=" ".join(t for t, _ in got), conf=round(conf, 1), reread=True)
            changed += 1
    return changed


def words_to_text(words: list[dict[str, Any]]) -> str:
    """Text in visual rows, top to bottom: a label and its value come out on one line whatever the PSM."""
    return "\n".join(" ".join(w["text"] for w in row) for row in visual_rows(words))


def ocr_image(path: Path, *, psm: int = PSM, scale: int = SCALE, band: int = BAND) -> OcrOutput:
    """OCR one screenshot. Raises on unreadable images or a missing tesseract (the pool catches it)."""
    limit_threads()
    t0 = time.perf_counter()
    with Image.open(path) as src:
        src.load()
        gray = preprocess(src, 1)
    words: list[dict[str, Any]] = []
    for n, (y0, y1) in enumerate(band_cuts(gray, band)):
        part = gray.crop((0, y0, gray.width, y1))
        if scale != 1:
            part = part.resize((part.width * scale, part.height * scale), Image.LANCZOS)
        words += _words(part, psm, scale, y0, n)
    reread_unsure(gray, words)
    return OcrOutput(path=str(path), text=words_to_text(words), words=words, engine=engine_string(psm),
                     seconds=round(time.perf_counter() - t0, 3), width=gray.width, height=gray.height)


def read_boxes(path: str, boxes: list[tuple[int, int, int, int]], scale: int = 3, psm: int | None = None) -> list[str]:
    """The text in each box (x, y, w, h) of a screenshot, each read on its own as one line.

    A value in a small control ("SHA" in a select with its arrow, "3" in a narrow cell) can escape the page
    pass; read where the page says it stands, enlarged, it reads as a person sees it. A box taller than a line is
    read as a block unless `psm` says otherwise. Used for the legibility check only: the text read here is never
    stored."""
    limit_threads()
    out: list[str] = []
    with Image.open(path) as src:
        src.load()
        gray = preprocess(src, 1)
    for x, y, w, h in boxes:
        inset = 3 if w > 12 and h > 12 else 0  # inside a control's border: a frame line reads as "|" or "["
        crop = gray.crop((max(0, x + inset), max(0, y + inset), min(gray.width, x + w - inset),
                          min(gray.height, y + h - inset)))
        if crop.width < 2 or crop.height < 2:
            out.append("")
            continue
        lines = crop.height > 30  # a table row whose cells wrap (a list of permissions): read as a block
        crop = crop.resize((crop.width * scale, crop.height * scale), Image.LANCZOS)
        framed = Image.new("L", (crop.width + 40, crop.height + 40), 255)
        framed.paste(crop, (20, 20))
        out.append(engine().text(framed, psm or (6 if lines else 7)))
    return out


def _safe_ocr(path: str, kwargs: dict[str, Any]) -> OcrOutput:
    t0 = time.perf_counter()
    try:
        return ocr_image(Path(path), **kwargs)
    except Exception as e:  # one bad image must not sink a fleet run
        return OcrOutput(path=path, error=f"{type(e).__name__}: {e}"[:300],
                         seconds=round(time.perf_counter() - t0, 3))


def _init_worker() -> None:
    limit_threads()


class OcrPool:
    """Worker processes started once per run; `with OcrPool() as pool: pool.map(paths)`."""

    def __init__(self, jobs: int | None = None, **ocr_kwargs: Any) -> None:
        self.jobs = jobs or os.cpu_count() or 1
        self.kwargs = ocr_kwargs
        self._ex = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # forkserver: the capture process runs browser threads, and forking a threaded process can deadlock.
        # Like spawn, it re-imports a script's __main__ in the workers: scripts need `if __name__ == "__main__"`.
        ctx = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker)

    def submit(self, path: Path) -> Future[OcrOutput]:
        try:
            return self._ex.submit(_safe_ocr, str(path), self.kwargs)
        except BrokenProcessPool:  # a worker was killed (OOM killer, signal): start fresh ones
            self._restart()
            return self._ex.submit(_safe_ocr, str(path), self.kwargs)

    def call(self, fn: Any, *args: Any) -> Future[Any]:
        """Run fn(*args) in a worker (a module-level function, for the process pool)."""
        try:
            return self._ex.submit(fn, *args)
        except BrokenProcessPool:
            self._restart()
            return self._ex.submit(fn, *args)

    def _restart(self) -> None:
        self._ex.shutdown(wait=False, cancel_futures=True)
        self._ex = self._start()

    def map(self, paths: Iterable[Path]) -> list[OcrOutput]:
        """Results in order; an image whose worker died is tried once more in a fresh pool."""
        futures = [(str(p), self.submit(p)) for p in paths]
        out = []
        for p, f in futures:
            try:
                out.append(f.result())
                continue
            except BrokenProcessPool:
                pass
            except Exception as e:
                out.append(OcrOutput(path=p, error=f"worker failed: {type(e).__name__}: {e}"[:300]))
                continue
            try:
                out.append(self.submit(Path(p)).result())
            except Exception as e:  # died twice: report it, keep going
                out.append(OcrOutput(path=p, error=f"worker failed: {type(e).__name__}: {e}"[:300]))
        return out

    def close(self) -> None:
        self._ex.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ocr_many(paths: list[Path], jobs: int | None = None) -> list[OcrOutput]:
    """OCR many screenshots in parallel (one tesseract per core); failures come back as `error`."""
    if not paths:
        return []
    with OcrPool(min(jobs or os.cpu_count() or 1, len(paths))) as pool:
        return pool.map(paths)


__all__ = ["OcrOutput", "OcrPool", "ocr_image", "ocr_many", "legibility", "ocr_to_sections", "engine_string",
           "preprocess", "words_to_text"]
