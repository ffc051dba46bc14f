"""axe-core (the pinned npm package in tests/axe, installed by scripts/setup.sh) run in real Chromium on a page."""
from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).with_name("axe") / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page: Any, url: str) -> list[dict[str, Any]]:
    """Every WCAG 2 A/AA violation axe finds on url: rule id, impact, and the elements (selector and summary)."""
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
                           "['violations']})", WCAG_AA)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [{"target": n["target"], "summary": n.get("failureSummary", "")[:300]} for n in v["nodes"]]}
            for v in result["violations"]]
