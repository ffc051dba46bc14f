"""One tolerant label matcher: the same label in any wording a page may give it (case, qualifiers, order, aliases)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Mapping, TypeVar

T = TypeVar("T")

# Words that never tell two labels apart ("Address of the Server" is "Server Address").
# "To" and "by" stay: "Issued To" is not "Issued By".
STOP = frozenset({"a", "an", "the", "of", "and", "for", "its", "your", "optional", "before", "after"})
# One form of the verbs labels put first or last ("Enable SNMPv2" = "SNMPv2 Enabled", "Require X" = "X Required").
VERBS = {"enabled": "enable", "required": "require", "disabled": "disable", "allowed": "allow"}
# Qualifiers that carry meaning wherever they stand: "Default Gateway (IPv6)" is not "Default Gateway".
# A qualifier that also names the default ("IPv4/IPv6") tells nothing apart. The SNMP version is not one: a page
# that qualifies "Community Name (SNMPv2)" puts it where only SNMPv2 has one.
SIGNIFICANT = frozenset({"ipv6", "v6", "ssl", "tls", "primary", "secondary",
                         "backup", "peer", "local", "read", "write", "private", "public", "new", "old", "confirm"})
# Qualifiers that only restate the default: "IPv4 Default Gateway" is the default gateway.
DEFAULTS = frozenset({"ipv4", "v4"})
_PLURAL_MARK = re.compile(r"\((e?s)\)", re.I)  # "Name(s)", "Address(es)"
_PAREN = re.compile(r"\(([^()]*)\)")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")


def _singular(w: str) -> str:
    if w in VERBS:
        return VERBS[w]
    if len(w) <= 3 or w[-1] != "s" or w.endswith(("ss", "us", "is", "os", "as")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "xes", "ches", "shes")):
        return w[:-2]
    if w.endswith("ses") and w[:-2].endswith("ss"):
        return w[:-2]
    return w[:-1]


def _clean(label: str) -> str:
    t = (label or "").replace("\u00a0", " ").casefold().replace("&", " and ").replace("e-mail", "email")
    t = _PLURAL_MARK.sub("", t)
    t = re.sub(r"[\s:*?!.]+$", "", t.strip())  # trailing colon, required asterisk, question mark
    return t


@lru_cache(maxsize=8192)
def key(label: str) -> tuple[str, ...]:
    """A label as a sorted tuple of meaningful words: order, case, punctuation, stop words and empty
    qualifiers do not count; a parenthesised qualifier counts only when it carries meaning (IPv6)."""
    return tuple(sorted(words(label)))


@lru_cache(maxsize=8192)
def words(label: str) -> tuple[str, ...]:
    """The meaningful words of a label in their order (see key)."""
    t = _clean(label)
    kept: list[str] = []

    def qualifier(m: re.Match[str]) -> str:
        words = [_singular(w) for w in _WORD.findall(m.group(1))]
        if not DEFAULTS.intersection(words):
            kept.extend(w for w in words if w in SIGNIFICANT)
        return " "
    t = _PAREN.sub(qualifier, t)
    found = [_singular(w) for w in _WORD.findall(t.replace("-", " ").replace("/", " "))]
    return tuple([w for w in found if w not in STOP and w not in DEFAULTS] + kept)


@lru_cache(maxsize=8192)
def full_key(label: str) -> tuple[str, ...]:
    """The key with every qualifier's words: "Password Length (Minimum)" is "Minimum Password Length"."""
    t = _PAREN.sub(lambda m: " " + m.group(1) + " ", _clean(label))
    found = [_singular(w) for w in _WORD.findall(t.replace("-", " ").replace("/", " "))]
    return tuple(sorted(w for w in found if w not in STOP and w not in DEFAULTS))


@lru_cache(maxsize=8192)
def squash(label: str) -> str:
    """The label's words run together in order, and its meaningful qualifiers ("Pre-Shared Key" = "Preshared Key")."""
    kept: list[str] = []

    def qualifier(m: re.Match[str]) -> str:
        ws = [_singular(x) for x in _WORD.findall(m.group(1))]
        if not DEFAULTS.intersection(ws):
            kept.extend(w for w in ws if w in SIGNIFICANT)
        return " "
    t = _PAREN.sub(qualifier, _clean(label))
    found = [_singular(w) for w in _WORD.findall(t.replace("-", "").replace("/", " ")) if w not in DEFAULTS]
    return "".join(found) + "|" + " ".join(sorted(kept))


def _compounds(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Equal once words written apart in one are joined as the other writes them ("Host Name" = "Hostname")."""
    def joined(ws: tuple[str, ...], other: set[str]) -> tuple[str, ...]:
        out: list[str] = []
        for w in ws:
            if out and out[-1] + w in other:
                out[-1] += w
            else:
                out.append(w)
        return tuple(sorted(out))
    return joined(a, set(b)) == tuple(sorted(b)) or joined(b, set(a)) == tuple(sorted(a))


def same(a: str, b: str) -> bool:
    """The same label in another wording (without aliases)."""
    ka, kb = key(a), key(b)
    return bool(ka) and (ka == kb or squash(a) == squash(b) or _compounds(words(a), words(b)) or
                         (_qualified(a) != _qualified(b) and full_key(a) == full_key(b)))


def _qualified(label: str) -> bool:
    return "(" in label


@dataclass
class Vocabulary:
    """The matcher with the real synonyms of labels.toml [aliases] (user files first)."""

    aliases: Mapping[str, list[str]] = field(default_factory=dict)
    control_columns: list[str] = field(default_factory=list)  # table columns that hold controls, not values

    def __post_init__(self) -> None:
        self._controls = {key(c) for c in self.control_columns}
        self._groups: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        self._canonical: dict[tuple[str, ...], str] = {}
        self._texts: dict[tuple[str, ...], set[str]] = {}  # every wording of a group, for full_key
        for canonical, others in self.aliases.items():
            group = {key(canonical)} | {key(o) for o in others}
            group.discard(())  # an alias of punctuation only ("#") names nothing by itself
            texts = {canonical, *others}
            for k in group:
                self._groups.setdefault(k, set()).update(group)
                self._texts.setdefault(k, set()).update(texts)
                self._canonical.setdefault(k, " ".join(key(canonical)))

    @classmethod
    def load(cls, labels: object | None = None) -> "Vocabulary":
        """From a flows.base.Labels (ours and the user's files), or ours alone."""
        if labels is None:
            return _shipped()
        data = getattr(labels, "data", {})
        return cls(dict(data.get("aliases", {})), list(data.get("settings", {}).get("control_columns", [])))

    def is_control_column(self, header: str) -> bool:
        return key(header) in self._controls

    def canonical(self, label: str) -> str:
        """One name for a label in any wording: the first alias group's canonical name it belongs to, else its
        words (so "Include logged session reporting data" and "Include logged history" key alike)."""
        k = key(label)
        if not k:  # nothing but a qualifier: "(unlabelled select)"
            return " ".join((label or "").casefold().split())
        hit = self._canonical.get(k)
        return hit if hit is not None else " ".join(k)

    def names(self, canonical: str) -> set[tuple[str, ...]]:
        k = key(canonical)
        return self._groups.get(k, set()) | {k}

    def matches(self, label: str, *canonical: str) -> bool:
        """Does `label` (as a page shows it) name one of `canonical`?"""
        k = key(label)
        if not k:
            return False
        for c in canonical:
            if k in self.names(c) or squash(label) == squash(c) or _compounds(words(label), words(c)):
                return True
            # A qualifier on one side only may be the other's word in another place ("Length (Minimum)").
            if any(_qualified(label) != _qualified(t) and full_key(label) == full_key(t)
                   for t in self._texts.get(key(c), set()) | {c}):
                return True
        return False

    def has(self, label: str, *words: str) -> bool:
        """Does the label contain all of these words (each in any form the matcher accepts)?"""
        k = set(key(label))
        return all(set(key(w)) <= k for w in words)

    def first(self, items: Iterable[T], label_of: Callable[[T], str], *canonical: str) -> T | None:
        """The first item whose label names one of `canonical`, trying the canonical names in order."""
        pool = list(items)
        for c in canonical:
            for it in pool:
                if self.matches(label_of(it), c):
                    return it
        return None

    def column(self, headers: list[str], *canonical: str) -> int | None:
        """The index of the header naming one of `canonical`, or None."""
        for c in canonical:
            for i, h in enumerate(headers):
                if self.matches(h, c):
                    return i
        return None

    def every(self, items: Iterable[T], label_of: Callable[[T], str], *canonical: str) -> Iterator[T]:
        return (it for it in items if self.matches(label_of(it), *canonical))


@lru_cache(maxsize=1)
def _shipped() -> Vocabulary:
    """Ours alone (flows/labels.toml), read once: reports open many snapshots."""
    from flows.base import Labels

    return Vocabulary.load(Labels.load())
