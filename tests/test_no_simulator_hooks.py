"""The capture knows appliances only as a person does: by menu text, labels and headers. Nothing in capture/ or flows/
may name something only our simulator has: a skin, a class or id of its markup, a data- attribute of its pages,
or a URL below /appliance or /login (pages are reached by clicking their menu). The only URLs named are the
interfaces themselves and the vendor's documented APIs. Each rule is shown to catch a planted hook.
"""
from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Iterator

import pytest

from fixtures.skins.spec import NAMES

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("capture", "flows")
# Paths the vendor documents (../shared/research and the seed docs): the two interfaces, the Backup API, the Reporting
# and Command APIs with their OAuth token endpoint, and the health check failover uses.
DOCUMENTED = {"/appliance", "/login", "/api/backup", "/api/reporting", "/api/command", "/api/config/v1", "/oauth2/token",
              "/check_health"}
# Class names so common across web frameworks that they are no hook of ours: the capture reads them only for the text
# of an error message a page shows (capture/navigate.py), never to find a page, a value or a control.
CONVENTIONAL = {"error", "alert", "message", "notice", "warning"}
# Skin names that are plain words the code uses in their ordinary sense.
WORDS = {"random"}


def _files() -> Iterator[Path]:
    for root in SOURCES:
        for f in sorted((ROOT / root).rglob("*")):
            if f.suffix in (".py", ".js", ".toml") and "__pycache__" not in f.parts:
                yield f


def _strings(path: Path, text: str) -> Iterator[str]:
    """Every string literal of a source file (TOML: every key and value)."""
    if path.suffix == ".py":
        tree = ast.parse(text)
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):  # an f-string whole, "{}" for each value ("{}.login" is no selector)
                yield "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
                yield node.value
    elif path.suffix == ".js":
        for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`([^`]*)`', text):
            yield next(g for g in m.groups() if g is not None)
    else:
        def walk(o: object) -> Iterator[str]:
            if isinstance(o, str):
                yield o
            elif isinstance(o, dict):
                for k, v in o.items():
                    yield k
                    yield from walk(v)
            elif isinstance(o, list):
                for v in o:
                    yield from walk(v)
        yield from walk(tomllib.loads(text))


def _markup_names() -> tuple[set[str], set[str]]:
    """The class names and ids our simulator's markup uses: its style sheets, templates and page builders."""
    classes: set[str] = set()
    ids: set[str] = set()
    for f in (ROOT / "fixtures").rglob("*"):
        if f.suffix not in (".css", ".html", ".py", ".js") or "__pycache__" in f.parts:
            continue
        text = f.read_text(errors="replace")
        if f.suffix == ".css":
            classes |= set(re.findall(r"\.([A-Za-z][\w-]*)", re.sub(r"\{[^}]*\}", "{}", text)))
            ids |= set(re.findall(r"#([A-Za-z][\w-]*)", re.sub(r"\{[^}]*\}", "{}", text)))
        for attr in re.findall(r'class=\\?["\']([^"\'{}]*)', text):
            classes |= set(attr.split())
        ids |= set(re.findall(r'\bid=\\?["\']([A-Za-z][\w-]*)["\'\\]', text))
    return classes, ids


def _problems(path: Path, text: str, classes: set[str], ids: set[str]) -> list[str]:
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    out = [f"{where}: names the skin {m.group()!r}" for name in set(NAMES) - WORDS
           for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I)]
    for s in _strings(path, text):
        if re.fullmatch(r"\.\w+(\{\})?", s):
            continue  # a file suffix (".css", ".frame{}"), not a selector
        for m in re.finditer(r"(?:^|[\s,>+~(])([.#])([A-Za-z][\w-]*)", s):
            kind, token = m.groups()
            if (kind == "." and token in classes - CONVENTIONAL) or (kind == "#" and token in ids):
                out.append(f"{where}: selects the simulator's {'class' if kind == '.' else 'id'} {token!r} in {s[:60]!r}")
        for m in re.finditer(r"\b(class|id)\s*[~*^$|]?=\s*[\"']?([A-Za-z][\w-]*)", s):
            if m.group(2) in (classes if m.group(1) == "class" else ids):
                out.append(f"{where}: matches the simulator's {m.group(1)} {m.group(2)!r}")
        for m in re.finditer(r"getElementById\(\s*[\"']([\w-]+)", s):
            out.append(f"{where}: looks up the literal id {m.group(1)!r}")
        out += [f"{where}: reads the page attribute {a!r} (only data-btc-*, our own marks, may be named)"
                for a in re.findall(r"(?<![\w-])data-[a-z][\w-]*", s) if not a.startswith("data-btc-")]
        for m in re.finditer(r"(?<![\w.:/])/(?:appliance|login|api|oauth2)(?:/[\w.{}-]+)*", s):
            if m.group() not in DOCUMENTED:
                out.append(f"{where}: names the URL {m.group()!r}, which the vendor does not document")
    if path.suffix == ".js":
        out += [f"{where}: looks up the literal id {m.group(1)!r}"
                for m in re.finditer(r"getElementById\(\s*[\"']([\w-]+)", text)]
    return out


def test_capture_and_flows_name_nothing_only_our_simulator_has() -> None:
    classes, ids = _markup_names()
    assert len(classes) > 20 and {"content", "main"} <= ids, (len(classes), ids)  # the harvest itself worked
    problems = [p for f in _files() for p in _problems(f, f.read_text(), classes, ids)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("planted", [
    'SKIN = "Bomgar"\n',
    'SEL = "form .bt-row input"\n',
    'SEL = "#leftnav a"\n',
    'SEL = "[class*=fld]"\n',
    'ATTR = "li[data-value]"\n',
    'URL = "/appliance/networking/snmp"\n',
    'URL = "/login/authenticate"\n',
    'URL = "/api/private/state"\n',
])
def test_each_rule_catches_a_planted_hook(planted: str, tmp_path: Path) -> None:
    classes, ids = _markup_names()
    f = tmp_path / "planted.py"
    f.write_text(planted)
    assert _problems(f, planted, classes, ids), planted


def test_documented_urls_and_semantic_selectors_are_allowed(tmp_path: Path) -> None:
    classes, ids = _markup_names()
    ok = ('A = "/api/backup"\nB = "/login"\nC = "table th[scope=row], [role=switch][aria-checked]"\n'
          'D = "[data-btc-mask]"\nE = "Add Route"\n')
    f = tmp_path / "ok.py"
    f.write_text(ok)
    assert _problems(f, ok, classes, ids) == []
