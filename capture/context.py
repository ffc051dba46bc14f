"""What a flow step gets to work with: the session, the appliance, its secrets, and where results go."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from capture.config import Appliance
from capture.records import Artifact, Failure, PageRecord, Snapshot
from capture.redact import Redactor
from capture.store import Store
from capture.verify import remember, sha256_file

log = logging.getLogger("bt-capture")


@dataclass
class StepContext:
    app: Appliance
    snapshot: Snapshot
    store: Store
    redactor: Redactor
    secrets: dict[str, str]
    secret_refs: dict[str, str]  # name → where it is kept (for the dossier)
    session: Any = None  # capture.session.Session of the step's interface (None for API steps)
    pages: dict[str, PageRecord] = field(default_factory=dict)
    on_page: Any = None  # callback(record) when a page record is ready (OCR submission)
    timeout_s: float = 30.0
    download_timeout_s: float = 3600.0
    offline: bool = False  # a replay: bt-capture's own HTTP client refuses to connect (capture.fetch)

    def secret(self, name: str) -> str | None:
        return self.secrets.get(name)

    def add_page(self, rec: PageRecord, *, failure: bool = True) -> PageRecord:
        self.snapshot.pages = [p for p in self.snapshot.pages if p.flow != rec.flow] + [rec]
        self.pages[rec.flow] = rec
        if rec.status == "failed" and failure:
            self.fail(rec.flow, rec.error or "failed", kind="page", screenshot=rec.screenshot)
        if self.on_page:
            self.on_page(rec)
        self.store.save_partial(self.snapshot)
        return rec

    def add_artifact(self, kind: str, path: Path, obtained: str, *, options: dict[str, Any] | None = None,
                     secret_ref: str | None = None, sha256: str | None = None) -> Artifact:
        rel = str(Path(path).relative_to(self.store.dir))
        if sha256:
            remember(Path(path), sha256)  # hashed while streaming: verification need not read it again
        art = Artifact(kind=kind, path=rel, size=Path(path).stat().st_size, sha256=sha256 or sha256_file(Path(path)),
                       obtained=obtained, created_at=datetime.now(timezone.utc), options=options or {},
                       secret_ref=self.secret_refs.get(secret_ref) if secret_ref else None)
        self.snapshot.artifacts.append(art)
        self.store.save_partial(self.snapshot)
        log.info("%s: saved %s (%s, %d bytes)", self.app.name, rel, obtained, art.size)
        return art

    def fail(self, step: str, error: str, *, kind: str = "artifact", screenshot: str | None = None) -> None:
        msg = self.redactor.scrub(error)
        self.snapshot.failures.append(Failure(step=step, error=msg, kind=kind, screenshot=screenshot))
        log.warning("%s: %s failed: %s", self.app.name, step, msg)

    def note(self, text: str) -> None:
        self.snapshot.log.append(self.redactor.scrub(text))
