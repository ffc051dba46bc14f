"""Sanitizing what a recording keeps: secret inputs, hidden tokens, secret-named values, URL tokens, known secrets."""
from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable

from capture.records import REDACTED
from capture.redact import Redactor

# Names (of inputs, query parameters, JSON keys) whose values are secrets or session tokens on any web
# application; the visible labels' patterns live in flows/labels.toml and reach the recording through the
# redactor (every value the capture masked is in it).
SECRET_NAME = re.compile(r"pass(word|phrase)|passwd|pwd|^pass$|^pw$|secret|community|psk|pre.?shared|token|csrf|"
                         r"xsrf|nonce|api.?key|private.?key|\botp|totp|^sid$|session.?id|^sess$|signature|^sig$|"
                         r"cookie|authorization", re.I)
_TAG = re.compile(r"<(input|meta)\b([^<>]*?)(/?)>", re.I | re.S)
# Values quoted as \"…\" too: markup inside a JSON string (pages that draw their content from JSON).
_ATTR = re.compile(r"""([^\s=/>"'\\]+)(?:\s*=\s*(\\"[^"]*?\\"|"[^"]*"|'[^']*'|[^\s"'=<>`\\]+))?""")
_TEXTAREA = re.compile(r"(<textarea\b([^<>]*)>)(.*?)(</textarea>)", re.I | re.S)
# name=value in a query string (in a URL, an attribute, a script): the value of a secret-named parameter.
_QUERY = re.compile(r"([?&;](?:amp;)?)([A-Za-z0-9_.\-\[\]]+)=([^&#\s\"'<>;]*)")
# "secret_name": "value" or secret_name = 'value' in JSON and scripts.
_KEYED = re.compile(r"""(["']?)([A-Za-z0-9_\-]+)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4)[^\\\n])*)\4""")
KEEP_HEADERS = ("content-type", "location", "content-disposition", "content-length", "refresh")


def _attrs(text: str) -> list[tuple[str, str | None, str]]:
    """(name lower-case, value unquoted or None, raw text) of each attribute in a tag's inside."""
    out = []
    for m in _ATTR.finditer(text):
        raw = m.group(2)
        value = raw[2:-2] if raw and raw.startswith('\\"') else raw[1:-1] if raw and raw[0] in "\"'" else raw
        out.append((m.group(1).lower(), value, m.group(0)))
    return out


class Sanitizer:
    """Applies the rules; counts what it changed (kind, where), never keeping what was removed.

    Idempotent: sanitizing sanitized text changes nothing, which is how `record --check` finds leftovers.
    """

    def __init__(self, redactor: Redactor | None = None, *, extra: Iterable[str] = (),
                 not_secret: Iterable[str] = ()) -> None:
        self.redactor = redactor or Redactor()
        self.redactor.add(*extra)
        # flows/labels.toml's settings that only sound secret ("Password Lifetime"), matched against names too.
        self.not_secret = [re.compile(p, re.I) for p in not_secret]
        self.found: Counter[tuple[str, str]] = Counter()

    def _secret_name(self, name: str) -> bool:
        words = re.sub(r"[._\-\[\]]+", " ", name).strip()
        return bool(SECRET_NAME.search(name)) and not any(p.fullmatch(words) for p in self.not_secret)

    def _count(self, kind: str, where: str, n: int = 1) -> None:
        if n:
            self.found[(kind, where)] += n

    def _input(self, m: re.Match[str], where: str) -> str:
        tag, inner, close = m.group(1).lower(), m.group(2), m.group(3)
        attrs = {n: v for n, v, _ in _attrs(inner)}
        if tag == "meta":
            if self._secret_name(attrs.get("name") or "") and attrs.get("content") not in (None, "", REDACTED):
                self._count("token in a meta tag", where)
                return m.group(0).replace(_quoted(inner, "content"), f'content="{REDACTED}"')
            return m.group(0)
        value = attrs.get("value")
        if value in (None, "", REDACTED):
            return m.group(0)
        kind = (attrs.get("type") or "text").lower()
        named = any(self._secret_name(attrs.get(a) or "") for a in ("name", "id", "autocomplete"))
        if kind == "password":
            why = "secret input value"
        elif kind == "hidden":
            why = "hidden input value"
        elif named and kind not in ("checkbox", "radio", "submit", "button"):
            why = "secret-named input value"
        else:
            return m.group(0)
        self._count(why, where)
        # A placeholder, not nothing: a replayed form still shows the field as set, as the appliance did.
        escaped = _quoted(inner, "value").startswith('value=\\"')
        placeholder = f'value=\\"{REDACTED}\\"' if escaped else f'value="{REDACTED}"'
        return f"<{m.group(1)}{inner.replace(_quoted(inner, 'value'), placeholder)}{close}>"

    def _textarea(self, m: re.Match[str], where: str) -> str:
        attrs = {n: v for n, v, _ in _attrs(m.group(2))}
        if m.group(3).strip() and m.group(3) != REDACTED and any(self._secret_name(attrs.get(a) or "")
                                                                  for a in ("name", "id")):
            self._count("secret-named text area", where)
            return m.group(1) + REDACTED + m.group(4)
        return m.group(0)

    def _query(self, m: re.Match[str], where: str) -> str:
        if self._secret_name(m.group(2)) and m.group(3) not in ("", REDACTED, "%5Bredacted%5D"):
            self._count("token in a URL", where)
            return f"{m.group(1)}{m.group(2)}={REDACTED}"
        return m.group(0)

    def _keyed(self, m: re.Match[str], where: str) -> str:
        if self._secret_name(m.group(2)) and m.group(5) not in ("", REDACTED) and not m.group(5).isdigit() \
                and m.group(5).lower() not in ("true", "false", "null"):
            self._count("secret-named value in a script or JSON", where)
            return f"{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{m.group(4)}{REDACTED}{m.group(4)}"
        return m.group(0)

    def text(self, text: str, where: str, *, html: bool = False) -> str:
        """Any text body (HTML, script, JSON, stylesheet): every rule that applies to it."""
        if html or "<input" in text or "<meta" in text:
            text = _TAG.sub(lambda m: self._input(m, where), text)
            text = _TEXTAREA.sub(lambda m: self._textarea(m, where), text)
        text = _QUERY.sub(lambda m: self._query(m, where), text)
        text = _KEYED.sub(lambda m: self._keyed(m, where), text)
        pat = self.redactor._pattern()
        if pat is not None:
            text, n = pat.subn(REDACTED, text)
            self._count("a value the capture knows is secret", where, n)
        return text

    def url(self, url: str, where: str) -> str:
        return self.text(url, where)

    def headers(self, headers: dict[str, str], where: str) -> dict[str, str]:
        """Only the headers a replay needs; cookies and credentials never."""
        out = {}
        for k, v in headers.items():
            k = k.lower()
            if k in KEEP_HEADERS:
                out[k] = self.text(v, where)
            elif k in ("set-cookie", "authorization", "cookie", "www-authenticate", "proxy-authorization"):
                self._count(f"{k} header", where)
        return out

    def report(self) -> list[dict[str, Any]]:
        return [{"what": kind, "where": where, "count": n} for (kind, where), n in sorted(self.found.items())]


def _quoted(inner: str, name: str) -> str:
    """The raw `name=value` text of one attribute (as written, quotes included)."""
    for n, _, raw in _attrs(inner):
        if n == name:
            return raw
    return "\0"  # never found: replace() leaves the tag alone
