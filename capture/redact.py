"""Redaction: every secret value seen or used is scrubbed from every string bt-capture stores or prints."""
from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

from capture.records import REDACTED

MIN_LEN = 4  # shorter values would scrub ordinary words; passwords that short are refused upstream


class Redactor:
    """A growing set of secret values and the one regex that removes them all."""

    def __init__(self, *, active: bool = True) -> None:
        # active=False only when the test suite switches secret layer 3 off (capture.layers): values are still
        # collected (the masks and the pixel check use them), but no text is changed.
        self.active = active
        self._values: set[str] = set()
        self._re: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        with self._lock:
            for v in values:
                if not v or len(v) < MIN_LEN:
                    continue
                # The forms a value takes in URLs and JSON too.
                for form in {v, quote(v, safe=""), quote_plus(v), json.dumps(v)[1:-1]}:
                    if len(form) >= MIN_LEN:
                        self._values.add(form)
            self._re = None

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def _pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._re is None and self._values:
                alts = sorted(self._values, key=len, reverse=True)
                self._re = re.compile("|".join(re.escape(v) for v in alts))
            return self._re

    def scrub(self, text: str | None) -> str:
        if not text or not self.active:
            return text or ""
        pat = self._pattern()
        return pat.sub(REDACTED, text) if pat else text

    def scrub_obj(self, obj: Any) -> Any:
        """Scrub every string inside nested dicts and lists (a manifest dump)."""
        if isinstance(obj, str):
            return self.scrub(obj)
        if isinstance(obj, dict):
            return {self.scrub(k) if isinstance(k, str) else k: self.scrub_obj(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.scrub_obj(v) for v in obj]
        return obj

    def found_in(self, text: str) -> bool:
        pat = self._pattern()
        return bool(pat and pat.search(text))


class ScrubFilter(logging.Filter):
    """Logging filter: no record leaves bt-capture with a secret in it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.scrub(record.getMessage())
        record.args = ()
        return True
