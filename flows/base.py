"""What a flow is: a declarative page entry or an action step, and the visible-text vocabulary they use."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from capture.errors import ConfigError

Deployment = Literal["onprem", "cloud", "hosted"]


@dataclass(frozen=True)
class Page:
    """One admin page: how a person reaches it and how to know it is the right one. (What its values mean is
    read in flows/settings; how a difference is classed, by model path, in flows/diff_rules.toml.)"""

    flow: str  # interface.area.page: screenshot name, dossier anchor and diff key
    interface: Literal["appliance", "login"]
    menu: tuple[str, ...]  # canonical visible texts, clicked in order
    landmarks: tuple[str, ...]  # visible text proving we landed on it (any one)
    deployments: tuple[Deployment, ...] = ("onprem",)
    secret_labels: tuple[str, ...] = ()  # extra secret label regexes for this page
    expand: tuple[str, ...] = ()  # toggles to click open before capture ("Show details")
    step: str | None = None  # procedure step this page is evidence for
    required: bool = True  # a missing optional page is noted, not failed
    # What the page must show to count as captured (flows/expect.py): these labels (fields or table headers,
    # in any wording the matcher accepts) and at least min_values values. Until then it is not ready; a page
    # that never shows them failed, however well it loaded.
    values: tuple[str, ...] = ()
    min_values: int = 1

    @property
    def title(self) -> str:
        return " > ".join(self.menu)


class Action(Protocol):
    """A step that does more than read a page: certificate export, backup and key downloads."""

    name: str
    interface: Literal["appliance", "login", "api"]
    deployments: tuple[Deployment, ...]
    step: str
    produces: tuple[str, str | None] | None  # (artifact kind, obtained or None for either): kept on --resume
    # The flow of the page the action begins on: it runs right after that page is captured, while the
    # browser is still there (no second trip through the menu). None: after all the pages.
    starts_on: str | None

    async def run(self, ctx: Any) -> None: ...


@dataclass
class Labels:
    """The merged label vocabulary (ours, then the user's file on top)."""

    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, *extra: Path | str | None) -> "Labels":
        data = tomllib.loads(Path(__file__).with_name("labels.toml").read_text())
        for path in extra:
            if not path:
                continue
            try:
                user = tomllib.loads(Path(path).read_text())
            except FileNotFoundError:
                raise ConfigError(f"labels file not found: {path}") from None
            except tomllib.TOMLDecodeError as e:
                raise ConfigError(f"labels file {path}: {e}") from None
            data = merge(data, user)
        return cls(data)

    def variants(self, text: str) -> list[str]:
        """The text itself plus every alias, user aliases first."""
        out = [text] + list(self.data.get("aliases", {}).get(text, []))
        return list(dict.fromkeys(out))

    def login(self, key: str) -> list[str]:
        return list(self.data.get("login", {}).get(key, []))

    @property
    def login_vocab(self) -> dict[str, list[str]]:
        return {k: self.login(k) for k in ("submit", "agree", "code", "code_submit", "expired")}

    @property
    def secret_patterns(self) -> list[str]:
        return list(self.data.get("secrets", {}).get("label_patterns", []))

    @property
    def not_secret(self) -> list[str]:
        return list(self.data.get("secrets", {}).get("not_secret", []))

    @property
    def heading_patterns(self) -> list[str]:
        return list(self.data.get("extract", {}).get("heading_patterns", []))

    @property
    def destructive_text(self) -> list[str]:
        return list(self.data.get("guard", {}).get("destructive_text", []))

    @property
    def destructive_url(self) -> list[str]:
        return list(self.data.get("guard", {}).get("destructive_url", []))

    def apply(self, page: Page) -> Page:
        """A user's [pages."flow"] table may replace menu, landmarks, expand or secret labels."""
        over = self.data.get("pages", {}).get(page.flow)
        if not over:
            return page
        allowed = {"menu", "landmarks", "expand", "secret_labels", "values", "min_values"}
        bad = set(over) - allowed
        if bad:
            raise ConfigError(f"labels [pages.\"{page.flow}\"]: unknown key(s) {sorted(bad)}; allowed {sorted(allowed)}")
        if "min_values" in over and (not isinstance(over["min_values"], int) or over["min_values"] < 0):
            raise ConfigError(f"labels [pages.\"{page.flow}\"]: min_values must be a whole number, 0 or more")
        for k, v in over.items():
            if k != "min_values" and (not isinstance(v, list) or not all(isinstance(x, str) for x in v)):
                raise ConfigError(f"labels [pages.\"{page.flow}\"]: {k} must be a list of strings")
        return replace(page, **{k: (v if k == "min_values" else tuple(v)) for k, v in over.items()})


def merge(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """User tables over ours: dicts merged, lists joined (user entries first), scalars replaced."""
    out = dict(base)
    for k, v in user.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        elif isinstance(v, list) and isinstance(out.get(k), list):
            out[k] = list(dict.fromkeys(v + out[k]))
        else:
            out[k] = v
    return out
