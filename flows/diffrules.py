"""Diff classes as data: path patterns over the settings model (flows/diff_rules.toml), a user's rules file first."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Iterable, Literal

from capture.errors import ConfigError

DiffClass = Literal["must_match", "review", "expected", "volatile"]
CLASSES: tuple[str, ...] = ("must_match", "review", "expected", "volatile")
TOP_KEYS = {"classes", "upgrade", "values"}
SHIPPED = Path(__file__).with_name("diff_rules.toml")


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A path pattern: * stands for any text; everything else (dots, brackets) is literal."""
    return re.compile("".join(".*" if ch == "*" else re.escape(ch) for ch in pattern) + r"\Z")


def _strings(v: Any, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ConfigError(f"{where}: expected a list of strings")
    return v


def _classes(raw: Any, where: str) -> list[tuple[str, re.Pattern[str], DiffClass]]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [classes] must be a table of path pattern = class")
    out = []
    for pattern, cls in raw.items():
        if cls not in CLASSES:
            raise ConfigError(f"{where}: [classes] {pattern!r} = {cls!r}: the class must be one of {list(CLASSES)}")
        out.append((pattern, compile_glob(pattern), cls))
    return out


class DiffRules:
    """Answers "which class is the value at this path, and why"."""

    def __init__(self, shipped: dict[str, Any], user: dict[str, Any] | None = None, source: str = "") -> None:
        user = user or {}
        self.source = source
        self.user = _classes(user.get("classes"), source or "rules")
        self.shipped = _classes(shipped.get("classes"), SHIPPED.name)
        up = [*_strings(user.get("upgrade", {}).get("expected", []), "upgrade.expected"),
              *_strings(shipped.get("upgrade", {}).get("expected", []), "upgrade.expected")]
        self.upgrade_expected = [(p, compile_glob(p)) for p in up]
        vals = {**shipped.get("values", {}), **user.get("values", {})}
        self.empty = {v.casefold() for v in _strings(vals.get("empty", []), "values.empty")}
        self._cache: dict[tuple[str, str], tuple[DiffClass, str]] = {}

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
            if "flows" in user:
                raise ConfigError(f"rules file {path}: [flows] tables classed values by their labels; classes are "
                                  "now set per settings-model path in a [classes] table, e.g. "
                                  "'\"snmp.location\" = \"must_match\"' (see flows/diff_rules.toml)")
            bad = set(user) - TOP_KEYS
            if bad:
                raise ConfigError(f"rules file {path}: unknown table(s) {sorted(bad)}; allowed {sorted(TOP_KEYS)}")
        return cls(shipped, user, str(path or ""))

    def classify(self, path: str, *, mode: str = "peers") -> tuple[DiffClass, str]:
        """(class, reason): the user's patterns, then (upgrades) the version paths, then ours."""
        hit = self._cache.get((path, mode))
        if hit is None:
            hit = self._cache[(path, mode)] = self._classify(path, mode)
        return hit

    def _classify(self, path: str, mode: str) -> tuple[DiffClass, str]:
        for pattern, rx, cls in self.user:
            if rx.match(path):
                return cls, f"rules file: {pattern!r} is {cls}"
        if mode == "upgrade":
            for pattern, rx in self.upgrade_expected:
                if rx.match(path):
                    return "expected", "version fields change in an upgrade"
        for pattern, rx, cls in self.shipped:
            if rx.match(path):
                return cls, f"{SHIPPED.name}: {pattern!r} is {cls}"
        return "review", "no rule names it"

    def is_empty(self, value: str | None) -> bool:
        return value is None or " ".join(value.split()).casefold() in self.empty

    def patterns(self) -> Iterable[tuple[str, DiffClass]]:
        for pattern, _, cls in self.user + self.shipped:
            yield pattern, cls
