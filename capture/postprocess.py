"""After the browser work: OCR every screenshot (legibility, leak check) and verify every saved file."""
from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import Future
from typing import Any

from capture.context import StepContext
from capture.records import OcrResult, Verification
from capture.verify import verify_nsb, verify_p12, verify_vault_key

log = logging.getLogger("bt-capture")


def submit_ocr(ctx: StepContext, pool: Any, flow: str, rel: str, pending: dict[str, Future[Any]]) -> None:
    """Queue a screenshot for OCR as soon as it is written, so OCR overlaps the browsing."""
    pending[flow] = pool.submit(ctx.store.path(rel))


async def collect_ocr(ctx: StepContext, pending: dict[str, Future[Any]]) -> None:
    from capture.ocr import legibility
    from capture.ocr_text import is_flagged

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
        if ctx.redactor.found_in(out.text):
            # The mask failed: a secret is readable in the picture. Never keep such a screenshot.
            ctx.store.path(rec.screenshot).unlink(missing_ok=True)
            ctx.fail(flow, "a secret value was readable in the screenshot; the screenshot was destroyed", kind="page")
            rec.screenshot = None
        text = ctx.redactor.scrub(out.text)
        words = [dict(w, text=ctx.redactor.scrub(str(w.get("text", "")))) for w in out.words]
        words_rel = f"ocr/{flow}.words.json"
        ctx.store.write_bytes(words_rel, json.dumps(words).encode())
        score, checked, missing = legibility(rec.sections, text)
        rec.ocr = OcrResult(engine=out.engine, text=text, words_path=words_rel, seconds=out.seconds,
                            legibility=score, checked=checked, missing=missing[:50], flagged=is_flagged(score))
        if rec.ocr.flagged:
            ctx.snapshot.warnings.append(f"{rec.title}: the screenshot shows only {score:.0%} of the values the page "
                                         "holds (content cut off or hidden?)")
    ctx.store.save_partial(ctx.snapshot)


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
