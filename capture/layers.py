"""The layers that keep secrets out of every output, each able to stop a leak on its own.

1. mask: before every screenshot, paint over secrets found by structure (capture.masking, mask.js);
2. settle: shoot only a settled page: if the masks would differ after the shot, mask and shoot again;
3. redact: every stored text is redacted by value and by label (capture.redact, capture.ocr_redact);
4. pixels: a screenshot whose OCR shows a known secret is withheld (capture.postprocess);
5. the ledger of what was masked and withheld is always kept.

Switching a layer off is for the test suite only (tests/test_secret_layers.py proves each layer alone
stops the leak, and that with all of them off the canary sweep does find it). No option, inventory key
or environment variable reaches this: only code that builds a runner.Options can.
"""
from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Layers:
    mask: bool = True
    settle: bool = True
    redact: bool = True
    pixels: bool = True

    @classmethod
    def only(cls, *names: str) -> "Layers":
        """Every layer off but the named ones (a test-only configuration)."""
        known = {f.name for f in fields(cls)}
        bad = set(names) - known
        if bad:
            raise ValueError(f"unknown layer(s) {sorted(bad)}; known: {sorted(known)}")
        return cls(**{k: k in names for k in known})

    @property
    def off(self) -> list[str]:
        return [f.name for f in fields(self) if not getattr(self, f.name)]


ALL = Layers()
