"""Diff classes as data: the page entries' patterns, flows/diff_rules.toml, and a user's rules file on top."""
from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from capture.errors import ConfigError
from flows.base import DiffClass, Page, merge

CLASSES: tuple[DiffClass, ...] = ("volatile", "expected", "must_match")  # checked in this order
FLOW_KEYS = {"diff", "must_match", "expected", "volatile", "own_name"}
TOP_KEYS = {"defaults", "flows", "upgrade", "values", "tables"}
SHIPPED = Path(__file__).with_name("diff_rules.toml")


def _compile(patterns: Iterable[str], where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p, re.I))
        except re.error as e:
            raise ConfigError(f"{where}: bad pattern {p!r}: {e}") from None
    return tuple(out)


@dataclass(frozen=True)
class FlowRules:
    """One [flows."glob"] table: patterns per class, an optional page default, own-name tolerance."""

    glob: str
    diff: DiffClass | None = None
    patterns: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    own_name: bool | None = None

    @classmethod
    def parse(cls, glob: str, raw: Any, where: str) -> "FlowRules":
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: [flows.\"{glob}\"] must be a table")
        bad = set(raw) - FLOW_KEYS
        if bad:
            raise ConfigError(f"{where}: [flows.\"{glob}\"]: unknown key(s) {sorted(bad)}; allowed {sorted(FLOW_KEYS)}")
        diff = raw.get("diff")
        if diff is not None and diff not in CLASSES:
            raise ConfigError(f"{where}: [flows.\"{glob}\"] diff must be one of {list(CLASSES)}, not {diff!r}")
        pats = {c: _compile(_strings(raw.get(c, []), f"{where}: {glob}.{c}"), f"{where}: {glob}.{c}") for c in CLASSES}
        own = raw.get("own_name")
        if own is not None and not isinstance(own, bool):
            raise ConfigError(f"{where}: [flows.\"{glob}\"] own_name must be true or false")
        return cls(glob, diff, pats, own)

    def applies(self, flow: str) -> bool:
        return fnmatch.fnmatchcase(flow, self.glob)


def _strings(v: Any, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ConfigError(f"{where}: expected a list of strings")
    return v


def _matches(patterns: Iterable[re.Pattern[str]], section: str, labels: Iterable[str]) -> str | None:
    for p in patterns:
        for label in labels:
            if p.fullmatch(label) or p.fullmatch(f"{section} / {label}"):
                return p.pattern
    return None


class DiffRules:
    """Answers "which class is this difference, and why" for a flow, section and label."""

    def __init__(self, shipped: dict[str, Any], user: dict[str, Any] | None = None, source: str = "") -> None:
        self.source = source
        self.user = self._flows(user or {}, source or "rules")
        self.shipped = self._flows(shipped, str(SHIPPED.name))
        merged = merge(shipped, user or {})
        self.default: DiffClass = merged.get("defaults", {}).get("diff", "must_match")
        self.own_name_default = bool(merged.get("defaults", {}).get("own_name", True))
        up = merged.get("upgrade", {})
        self.upgrade_expected = _compile(_strings(up.get("expected", []), "upgrade.expected"), "upgrade.expected")
        vals = merged.get("values", {})
        self.empty = {v.casefold() for v in _strings(vals.get("empty", []), "values.empty")}
        tables = merged.get("tables", {})
        self.ignore_columns = {c.casefold() for c in _strings(tables.get("ignore_columns", []), "tables")}
        self.order_columns = {c.casefold() for c in _strings(tables.get("order_columns", []), "tables")}
        self.key_strip = _compile(_strings(tables.get("key_strip", []), "tables.key_strip"), "tables.key_strip")
        self._pages: dict[str, Page | None] = {}
        self._cache: dict[tuple[Any, ...], tuple[DiffClass, str]] = {}

    @classmethod
    def load(cls, path: Path | str | None = None) -> "DiffRules":
        shipped = tomllib.loads(SHIPPED.read_text())
        user: dict[str, Any] = {}
        if path:
            try:
                user = tomllib.loads(Path(path).read_text())
            except FileNotFoundError:
                raise ConfigError(f"rules file not found: {path}") from None
            except (OSError, UnicodeDecodeError) as e:
                raise ConfigError(f"rules file {path}: cannot read it: {e}") from None
            except tomllib.TOMLDecodeError as e:
                raise ConfigError(f"rules file {path}: not valid TOML: {e}") from None
            bad = set(user) - TOP_KEYS
            if bad:
                raise ConfigError(f"rules file {path}: unknown table(s) {sorted(bad)}; allowed {sorted(TOP_KEYS)}")
        return cls(shipped, user, str(path or ""))

    @staticmethod
    def _flows(data: dict[str, Any], where: str) -> list[FlowRules]:
        flows = data.get("flows", {})
        if not isinstance(flows, dict):
            raise ConfigError(f"{where}: [flows] must be a table of flow names")
        # Exact flow names before globs, so a specific table wins over "appliance.*".
        rules = [FlowRules.parse(g, raw, where) for g, raw in flows.items()]
        return sorted(rules, key=lambda r: any(ch in r.glob for ch in "*?["))

    def page(self, flow: str) -> Page | None:
        if flow not in self._pages:
            import flows

            self._pages[flow] = flows.page(flow)
        return self._pages[flow]

    def own_name(self, flow: str) -> bool:
        for r in self.user + self.shipped:
            if r.applies(flow) and r.own_name is not None:
                return r.own_name
        return self.own_name_default

    def classify(self, flow: str, section: str, labels: tuple[str, ...], *, mode: str = "peers") -> tuple[DiffClass, str]:
        """(class, reason). User patterns, then upgrade version fields, then the page entry, then ours."""
        key = (flow, section, labels, mode)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._classify(flow, section, labels, mode)
        return hit

    def _classify(self, flow: str, section: str, labels: tuple[str, ...], mode: str) -> tuple[DiffClass, str]:
        user = [r for r in self.user if r.applies(flow)]
        shipped = [r for r in self.shipped if r.applies(flow)]
        for r in user:
            for c in CLASSES:
                if p := _matches(r.patterns.get(c, ()), section, labels):
                    return c, f"rules file: {c} {p!r}"
        if mode == "upgrade" and (p := _matches(self.upgrade_expected, section, labels)):
            return "expected", "version fields change in an upgrade"
        page = self.page(flow)
        if page is not None:
            for c, pats in (("volatile", page.volatile), ("expected", page.expected), ("must_match", page.must_match)):
                if p := _matches(_compile(pats, flow), section, labels):
                    return c, f"{flow}: {c} {p!r}"  # type: ignore[return-value]
        for r in shipped:
            for c in CLASSES:
                if p := _matches(r.patterns.get(c, ()), section, labels):
                    return c, f"{SHIPPED.name}: {c} {p!r}"
        for r in user + shipped:
            if r.diff:
                return r.diff, f"default of {r.glob}"
        if page is not None:
            return page.diff, f"page default ({page.title})"
        return self.default, "default for pages without an entry"

    def is_empty(self, value: str | None) -> bool:
        return value is None or " ".join(value.split()).casefold() in self.empty
