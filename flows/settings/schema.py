"""The settings model's JSON Schema, as docs/settings.schema.json documents it: `python -m flows.settings.schema`."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from flows.settings.model import SETTINGS_VERSION, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.schema.json"


def schema() -> dict[str, Any]:
    out = Settings.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$id"] = f"bt-capture/settings/v{SETTINGS_VERSION}"
    out["description"] = ("The settings model of one bt-capture snapshot, stored in manifest.json as `settings`: what "
                          "each captured value means, each with its source (page flow, section, label, table row, "
                          "screenshot box). Values no part names are kept in `other` with their labels as shown.")
    return out


def text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DOC
    target.write_text(text())
    print(target)
