"""After the browser work: OCR every screenshot (legibility, leak check) and verify every saved file."""
from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import Future
from typing import Any

from capture.context import StepContext
from capture.layers import ALL, Layers
from capture.ocr_redact import SecretLabels, redact_words, shows_secret
from capture.records import Masking, OcrResult, PageRecord, Verification
from capture.verify import verify_nsb, verify_p12, verify_vault_key

log = logging.getLogger("bt-capture")


def submit_ocr(ctx: StepContext, pool: Any, flow: str, rel: str, pending: dict[str, Future[Any]]) -> None:
    """Queue a screenshot for OCR as soon as it is written, so OCR overlaps the browsing."""
    pending[flow] = pool.submit(ctx.store.path(rel))


async def collect_ocr(ctx: StepContext, pending: dict[str, Future[Any]], pool: Any = None, labels: Any = None,
                      layers: Layers = ALL) -> None:
    """Each page's OCR: layer 4 (a screenshot showing a known secret is withheld), the legibility score, then
    layer 3 (the words and text kept are redacted by label and by value). Failure screenshots are checked too."""
    from capture.ocr import legibility, words_to_text
    from capture.ocr_text import is_flagged

    secret_labels = SecretLabels(labels.secret_patterns, labels.not_secret) if labels is not None else None
    for flow, fut in pending.items():
        rec = ctx.snapshot.page(flow)
        try:
            out = await asyncio.wrap_future(fut)
        except Exception as e:  # a dead worker: the page keeps its capture, OCR is reported missing
            if rec:
                rec.ocr = OcrResult(error=f"OCR worker failed: {type(e).__name__}")
            continue
        if rec is None or not rec.screenshot:
            continue
        if out.error:
            rec.ocr = OcrResult(engine=out.engine, error=ctx.redactor.scrub(out.error), seconds=out.seconds)
            ctx.fail(f"ocr {flow}", out.error, kind="ocr")
            continue
        ledger = rec.masking = rec.masking or Masking(layers_off=layers.off)
        known = ctx.redactor.values
        if layers.pixels:
            ledger.ocr_checked = True
            if shows_secret(out.text, known):
                _withhold_page(ctx, rec)
                continue
        score, checked, missing = legibility(rec.sections, ctx.redactor.scrub(out.text))
        if missing and pool is not None:
            score, missing = await _reread_missing(ctx, pool, rec, checked, missing)
        words = [dict(w) for w in out.words]
        if layers.redact:
            ledger.ocr_redacted = redact_words(words, known, secret_labels)
            words = [dict(w, text=ctx.redactor.scrub(str(w.get("text", "")))) for w in words]
        text = ctx.redactor.scrub(words_to_text(words))
        words_rel = f"ocr/{flow}.words.json"
        ctx.store.write_bytes(words_rel, json.dumps(words).encode())
        rec.ocr = OcrResult(engine=out.engine, text=text, words_path=words_rel, seconds=out.seconds,
                            legibility=score, checked=checked, missing=[ctx.redactor.scrub(m) for m in missing[:50]],
                            flagged=is_flagged(score))
        if rec.ocr.flagged:
            ctx.snapshot.warnings.append(f"{rec.title}: the screenshot shows only {score:.0%} of the values the page "
                                         "holds (content cut off or hidden?)")
    if pool is not None and layers.pixels:
        await _check_other_images(ctx, pool)
    ctx.store.save_partial(ctx.snapshot)


# (scale, page segmentation mode), each a fresh look at what is still missing. Measured on 240 random 32-digit codes in
# table rows: the page pass missed 18, and these rounds in turn left 5, 3, 2, 1, 0 (a code misread at one scale
# reads cleanly at another).
REREADS = ((3, None), (2, 7), (4, 7), (2, 6), (5, 7))


async def _reread_missing(ctx: StepContext, pool: Any, rec: PageRecord, checked: int,
                          missing: list[str]) -> tuple[float | None, list[str]]:
    """Values the page pass did not read are read again where the page says they stand (their box), each crop
    enlarged on its own, at up to five scales and modes (REREADS); a value found there is shown by the screenshot. What stays missing is reported."""
    from capture.ocr import read_boxes
    from capture.ocr_text import found_in, value_boxes

    boxes = value_boxes(rec.sections)
    for scale, psm in REREADS:
        todo = [(m, boxes[m]) for m in missing if m in boxes][:24]
        if not todo:
            break
        try:
            texts = await asyncio.wrap_future(pool.call(read_boxes, str(ctx.store.path(rec.screenshot)),
                                                        [tuple(b) for _, (b, _v) in todo], scale, psm))
        except Exception:  # a dead worker: keep the verdict so far
            break
        seen = {m for (m, (_b, value)), text in zip(todo, texts) if found_in(text, value)}
        missing = [m for m in missing if m not in seen]
    return round(1 - len(missing) / checked, 4), missing


def _withhold_page(ctx: StepContext, rec: PageRecord) -> None:
    """Layer 4: the mask failed and a secret is readable in the picture. Never keep it, never render it."""
    assert rec.screenshot and rec.masking is not None
    ctx.store.path(rec.screenshot).unlink(missing_ok=True)
    rec.screenshot, rec.screenshot_sha256, rec.ocr = None, None, None
    why = "a value known to be secret was readable in the screenshot"
    rec.masking.withheld.append(f"screenshot and its OCR: {why}")
    rec.status, rec.error = "failed", f"{why}; the screenshot and its OCR were withheld (deleted)"
    ctx.fail(rec.flow, rec.error, kind="page")


async def _check_other_images(ctx: StepContext, pool: Any) -> None:
    """Failure screenshots are evidence too, and pass the same pixel check (their OCR is not kept)."""
    snap = ctx.snapshot
    rels = {f.screenshot for f in snap.failures if f.screenshot} | \
        {p.screenshot for p in snap.pages if p.status != "ok" and p.screenshot}
    for rel in sorted(rels):
        path = ctx.store.path(rel)
        if not path.is_file():
            continue
        try:
            out = await asyncio.wrap_future(pool.submit(path))
        except Exception:
            out = None
        if out is None or out.error or shows_secret(out.text, ctx.redactor.values):
            # Unreadable by OCR is unchecked: a failure screenshot is only evidence, so it goes too.
            path.unlink(missing_ok=True)
            for f in snap.failures:
                if f.screenshot == rel:
                    f.screenshot = None
            for p in snap.pages:
                if p.screenshot == rel:
                    p.screenshot = None
                    if p.masking is not None:
                        p.masking.withheld.append("failure screenshot: a value known to be secret was readable in it"
                                                  if out is not None and not out.error else
                                                  "failure screenshot: it could not be checked by OCR")


def verify_artifacts(ctx: StepContext) -> None:
    """Open and check every saved file; a failed check is a failure of the run."""
    snap, app = ctx.snapshot, ctx.app
    for art in snap.artifacts:
        path = ctx.store.path(art.path)
        try:
            if art.kind == "p12":
                presented = snap.tls[0].sha256 if snap.tls and not snap.insecure else None
                names = [] if app.deployment == "cloud" else [app.host]
                v = verify_p12(path, (ctx.secret("p12_passphrase") or "").encode(), site_hostname=app.site,
                               appliance_hostnames=names, presented_sha256=presented)
                v.details["presented_sha256"] = presented
                v.details["hostnames_checked"] = [app.site, *names]
            elif art.kind == "nsb":
                other = next((a for a in snap.artifacts if a.kind == "nsb" and a is not art), None)
                v = verify_nsb(path, include_history=art.options.get("include_history"),
                               password_protected=bool(art.options.get("password_protected")),
                               other=ctx.store.path(other.path) if other and art.obtained == "ui" else None)
            else:
                v = verify_vault_key(path, password_protected=bool(art.options.get("password_protected")))
        except Exception as e:
            v = Verification(verdict="fail", details={"error": f"{type(e).__name__}: {e}"})
        art.verification = Verification.model_validate(ctx.redactor.scrub_obj(v.model_dump()))
        bad = [c for c in v.checks if c.status == "fail"]
        if v.verdict == "fail":
            why = "; ".join(f"{c.name}: {c.detail}" for c in bad) or v.details.get("error", "failed")
            ctx.fail(f"verify {art.kind} ({art.obtained})", why, kind="verify")
        for c in v.checks:
            if c.status == "warn":
                snap.warnings.append(ctx.redactor.scrub(f"{art.kind} ({art.obtained}): {c.name}: {c.detail}"))
    ctx.store.save_partial(snap)
