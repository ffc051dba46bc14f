"""reports/ holds no page label text: what a value means is read once, in flows/ (the settings model)."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator

import flows
from flows.base import Labels

ROOT = Path(__file__).resolve().parents[1]
READS = {"text", "flag", "items", "secret", "secrets", "find", "find_all", "tables", "matches", "column", "has",
         "secrets_having", "first", "every"}


def _strings(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))


def labels() -> set[str]:
    """Every label the capture knows: labels.toml, the page entries, and the names flows/settings reads by."""
    data = Labels.load().data
    out: set[str] = set()
    for canonical, aliases in data["aliases"].items():
        out |= {canonical, *aliases}
    for words in data.get("vocabulary", {}).values():
        out |= set(words)
    for words in data.get("login", {}).values():
        out |= set(words)
    for p in flows.all_pages():
        out |= set(p.landmarks) | set(p.expand) | {" > ".join(p.menu[i:j]) for i in range(len(p.menu))
                                                  for j in range(i + 2, len(p.menu) + 1)}
    for _, label in {**flows.IDENTITY, **flows.PRODUCT}.values():
        out.add(label)
    for path in (ROOT / "flows" / "settings").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in READS:
                out |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    # A single word ("Status", "Default") is also plain English; phrases and menu paths are the page's own text.
    return {lab for lab in out if len(lab.split()) >= 2 or " > " in lab}


def offenders(texts: dict[str, list[str]], phrases: set[str]) -> list[str]:
    found = []
    for phrase in sorted(phrases):
        rx = re.compile(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])")
        for where, strings in texts.items():
            if any(rx.search(s) for s in strings):
                found.append(f"{where}: {phrase!r}")
    return found


def report_texts() -> dict[str, list[str]]:
    out = {}
    for path in sorted((ROOT / "reports").rglob("*")):
        if path.suffix == ".py":
            out[str(path.relative_to(ROOT))] = list(_strings(ast.parse(path.read_text())))
        elif path.suffix in (".html", ".j2", ".css"):
            out[str(path.relative_to(ROOT))] = [path.read_text()]
    return out


def test_reports_hold_no_label_text() -> None:
    phrases = labels()
    assert {"Default Gateway", "Remote Syslog Server", "Networking > IP Configuration", "Private Key?"} <= phrases
    texts = report_texts()
    assert len(texts) > 15  # the Python modules and the templates
    assert offenders(texts, phrases) == []


def test_the_check_finds_label_text_where_there_is_some() -> None:
    planted = {"reports/x.py": list(_strings(ast.parse('find(page, "Default Gateway")\nt = f"Security > Certificates"'))),
               "reports/templates/x.html": ["<th>Automatic Data-Sync Interval</th>"]}
    assert {"reports/templates/x.html: 'Automatic Data-Sync Interval'", "reports/x.py: 'Default Gateway'",
            "reports/x.py: 'Security > Certificates'"} <= set(offenders(planted, labels()))


def test_reports_do_not_match_labels_themselves() -> None:
    """No report reads the raw records by label: the matcher and the label files stay in flows/."""
    for path in (ROOT / "reports").glob("*.py"):
        src = path.read_text()
        assert "flows.vocabulary" not in src and "Labels.load" not in src and ".variants(" not in src, path.name
