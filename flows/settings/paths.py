"""The model as comparable leaves, each at a path ("network.nics[eth0].addresses[10.20.30.41].enabled")."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from flows.settings.model import Flag, Items, Secret, Setting, Settings, Source, Text

_SEPARATORS = re.compile(r"[\s,;]+")
_TRUE = {"on", "yes", "true", "enabled", "checked"}
_FALSE = {"off", "no", "false", "disabled", "unchecked"}
_DASHES = {"—", "–", "-", "--"}
SKIP = {"src", "row", "KEY", "schema_version", "notes", "expires_on", "position", "decided_by", "hardware",
        "role_shown", "peer_role_shown"}


def value_key(value: str | None) -> str:
    """What two values are compared as: lists separated by commas or spaces are one list; on = yes."""
    v = _SEPARATORS.sub(" ", (value or "").replace("\u00a0", " ")).strip().casefold()
    if v in _DASHES:
        return ""
    if v in _TRUE:
        return "on"
    if v in _FALSE:
        return "off"
    return v


@dataclass
class Leaf:
    path: str
    value: Any  # str, bool, list of str, or None
    src: Source | None = None
    secret: bool = False
    is_set: bool | None = None
    order: bool = False  # the order of a list's items (value: their keys in order)

    @property
    def shown(self) -> str | None:
        """The value as reports may show it: secrets only as set / not set."""
        if self.secret:
            return {True: "set", False: "not set"}.get(self.is_set, "unknown")  # type: ignore[arg-type]
        v = self.value
        if isinstance(v, bool):
            return "on" if v else "off"
        if isinstance(v, list):
            return ", ".join(map(str, v))
        return None if v is None else str(v)

    @property
    def cmp(self) -> str:
        if self.secret:
            return f"<secret {self.is_set}>"
        return value_key(self.shown)

    @property
    def is_set_value(self) -> bool:
        """Whether the appliance holds a value here (a secret: set; a value: not empty, off or a dash)."""
        if self.secret:
            return bool(self.is_set)
        return self.cmp not in ("", "off", "none", "not set", "never", "disabled")


def _item_key(item: BaseModel, index: int) -> str:
    keys = []
    for k in type(item).KEY:  # type: ignore[attr-defined]
        v: Any = item
        for part in k.split("."):
            v = getattr(v, part, None)
        if v not in (None, ""):
            keys.append(str(v))
    return " / ".join(keys) if keys else str(index + 1)


def leaves(settings: Settings) -> tuple[dict[str, Leaf], set[str]]:
    """(path → leaf, paths of parts not captured). Parts and list items are walked in model order."""
    out: dict[str, Leaf] = {}
    absent: set[str] = set()

    def walk(obj: Any, path: str, src: Source | None) -> None:
        if obj is None:
            absent.add(path)
            return
        if isinstance(obj, Secret):
            out[path] = Leaf(path, None, obj.src or src, secret=True, is_set=obj.is_set)
            return
        if isinstance(obj, (Text, Flag, Items)):
            out[path] = Leaf(path, obj.value, obj.src or src)
            return
        if isinstance(obj, Setting):  # one value under the page's own label
            out[path] = Leaf(path, obj.value, obj.src or src, secret=obj.secret, is_set=obj.is_set)
            return
        if isinstance(obj, BaseModel):
            own = getattr(obj, "src", None) or src
            for name in type(obj).model_fields:
                if name in SKIP:
                    continue
                value = getattr(obj, name)
                here = own
                if own is not None and not isinstance(value, (BaseModel, list)) or (
                        own is not None and isinstance(value, list) and not (value and isinstance(value[0], BaseModel))):
                    # A plain attribute of an item: labelled after the item ("172.16.8.0 / gateway").
                    here = own.model_copy(update={"label": f"{own.label} / {name}" if own.label else name})
                walk(value, f"{path}.{name}" if path else name, here)
            return
        if isinstance(obj, list) and obj and isinstance(obj[0], BaseModel):
            seen: dict[str, int] = {}
            order: list[str] = []
            for i, item in enumerate(obj):
                k = _item_key(item, i)
                seen[k] = seen.get(k, 0) + 1
                if seen[k] > 1:
                    k = f"{k} #{seen[k]}"
                walk(item, f"{path}[{k}]", getattr(item, "src", None) or src)
                field = getattr(type(item), "ORDER_OF", None)
                if field and getattr(item, field, None):
                    order.append(k)
            if getattr(type(obj[0]), "ORDER_OF", None):
                out[f"{path}(order)"] = Leaf(f"{path}(order)", order, src, order=True)
            return
        if isinstance(obj, list) and not obj:
            return  # an empty list of items: nothing to compare item by item
        if isinstance(obj, date):
            obj = obj.isoformat()
        out[path] = Leaf(path, obj, src)

    for name in Settings.model_fields:
        if name not in SKIP:
            walk(getattr(settings, name), name, None)
    return out, absent


def under(path: str, parts: set[str]) -> str | None:
    """The absent part this path lies in, if any."""
    return next((p for p in parts if path == p or path.startswith(p + ".") or path.startswith(p + "[")), None)
