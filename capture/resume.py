"""--resume: keep what an interrupted run already saved and still verifies; redo the rest."""
from __future__ import annotations

import hashlib
from typing import Any

from capture.context import StepContext
from capture.records import Artifact, PageRecord
from capture.store import sha256_file
from flows.base import Page


def _page_intact(ctx: StepContext, rec: PageRecord) -> bool:
    if rec.status != "ok" or not rec.screenshot:
        return False
    path = ctx.store.dir / rec.screenshot
    return path.is_file() and (rec.screenshot_sha256 is None or
                               hashlib.sha256(path.read_bytes()).hexdigest() == rec.screenshot_sha256)


def _artifact_intact(ctx: StepContext, art: Artifact) -> bool:
    path = ctx.store.dir / art.path
    return path.is_file() and path.stat().st_size == art.size and sha256_file(path) == art.sha256


def keep_verified(ctx: StepContext, plan: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Move intact pages and files of the partial manifest into this run's snapshot; return what is left to do."""
    prev = ctx.store.load_partial()
    if prev is None:
        return plan
    snap = ctx.snapshot
    snap.started_at = prev.started_at or snap.started_at
    kept_pages = {p.flow: p for p in prev.pages if _page_intact(ctx, p)}
    kept_arts = [a for a in prev.artifacts if _artifact_intact(ctx, a)]
    for rec in kept_pages.values():
        snap.pages.append(rec)
        ctx.pages[rec.flow] = rec
    snap.artifacts.extend(kept_arts)
    have = {(a.kind, a.obtained) for a in kept_arts}
    left: dict[str, list[Any]] = {}
    for iface, steps in plan.items():
        todo = []
        for st in steps:
            if isinstance(st, Page):
                if st.flow in kept_pages:
                    continue
            else:
                want = getattr(st, "produces", None)
                if want and any(k == want[0] and (want[1] is None or o == want[1]) for k, o in have):
                    continue
            todo.append(st)
        left[iface] = todo
    ctx.note(f"resumed: kept {len(kept_pages)} page(s) and {len(kept_arts)} file(s) that still verify")
    ctx.store.save_partial(snap)
    return left
