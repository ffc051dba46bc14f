"""How bt-capture fares on each skin, compared with the classic pages of the same state (a report, not a test).

    OMP_THREAD_LIMIT=1 .venv/bin/python tests/skin_report.py [slate bomgar … | random:SEED] [--version 25.1]

Per skin: exit code and failures; per page: status and the classic values it did not get (by value, whatever
label); artifacts and the certificate row chosen; canary leaks in every output; destructive events; what the
dossier says it could not find or could not read.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from captools import capture, secrets_of, sweep  # noqa: E402
from fixtures import SimOptions, Simulator  # noqa: E402
from fixtures.skins import NAMED  # noqa: E402

VOLATILE = re.compile(r"(time|uptime|load|checked|since|last)", re.I)


def _values(snap: Any, randoms: dict[str, str]) -> dict[str, dict[str, str]]:
    """{flow: {value: "section / label"}} of every non-secret, non-volatile field and table cell (the values a
    simulator draws at random on each start replaced by a placeholder)."""
    out: dict[str, dict[str, str]] = {}

    def same(v: str) -> str:
        for k, ph in randoms.items():
            v = v.replace(k, ph)
        return v

    for page in snap.pages:
        vals = out.setdefault(page.flow, {})
        for s in page.sections:
            for f in s.fields:
                if f.value and not f.secret and not VOLATILE.search(f.label):
                    vals.setdefault(same(f.value), f"{s.title} / {f.label}")
            for t in s.tables:
                for row in t.rows:
                    for h, c in zip(t.headers, row):
                        if c and not VOLATILE.search(h or ""):
                            vals.setdefault(same(str(c)), f"{s.title} / table {t.title or ''} [{h}]")
    return out


def run(options: SimOptions, tmp: Path, ocr: Any) -> dict[str, Any]:
    with Simulator(options) as sim:
        outcome, env = capture(sim, tmp, nsb="both", ocr=ocr, render=True)
        r = outcome.results[0]
        snap = r.snapshot
        dossier = (r.folder / "dossier.html").read_text() if r.folder and (r.folder / "dossier.html").exists() else ""
        text = " ".join(re.sub(r"<[^>]+>", " ", dossier).replace("&gt;", ">").split())
        notes = sorted(set(re.findall(r"Not found on the captured page: [^.]+\.", text))
                       | {f"legibility {m[0]}: {m[1]}%" for m in
                          re.findall(r"(\w[\w/ >&]{0,50}?): the screenshot shows only (\d+)%", text)}
                       | set(re.findall(r"IP addresses \(interface not stated on the page\)", text)))
        appl = sim.rt.appliances[0]
        randoms = {appl.serial: "<serial>", appl.address: "<address>"}
        randoms |= {n["mac"]: f"<mac {n['name']}>" for n in appl.a["net"]["nics"]}
        randoms |= {x["client_id"]: f"<client id {i}>" for i, x in enumerate(appl.l["api"]["accounts"])}
        return {"exit": outcome.exit_code, "error": r.error, "snap": snap, "randoms": randoms,
                "leaks": sweep(r.folder.parent, secrets_of(sim, env)) if r.folder else [],
                "events": [e["action"] for e in sim.events("destructive")], "notes": notes}


def report(name: str, got: dict[str, Any], base: dict[str, Any]) -> list[str]:
    snap, lines = got["snap"], [f"## {name}: exit {got['exit']}" + (f" ({got['error']})" if got["error"] else "")]
    if snap is None:
        return lines
    lines += [f"- failure {f.step}: {f.error[:200]}" for f in snap.failures]
    want, have = _values(base["snap"], base["randoms"]), _values(snap, got["randoms"])
    for page in snap.pages:
        gone = [f"{v!r} ({where})" for v, where in want.get(page.flow, {}).items()
                if v not in have.get(page.flow, {}) and not any(v in h for h in have.get(page.flow, {}))]
        nvals = sum(len(s.fields) for s in page.sections)
        lines.append(f"- page {page.flow}: {page.status}, {nvals} fields, {len(page.sections)} sections"
                     + (f"; missing {len(gone)}: " + "; ".join(gone[:8]) if gone else ""))
    for a in snap.artifacts:
        v = a.verification
        lines.append(f"- artifact {a.kind}/{a.obtained}: {v.verdict if v else '?'}"
                     + (f" row {a.options.get('row', [])[:3]}" if a.kind == "p12" else ""))
    lines += [f"- leak {x}" for x in got["leaks"]] + [f"- destructive event {e}" for e in got["events"]]
    lines += [f"- dossier: {n}" for n in got["notes"] if n not in base["notes"] or name == "classic"]
    return lines


def main() -> None:
    from capture.ocr import OcrPool

    ap = argparse.ArgumentParser()
    ap.add_argument("skins", nargs="*", default=list(NAMED))
    ap.add_argument("--version", default="25.1")
    args = ap.parse_args()
    with OcrPool() as pool, tempfile.TemporaryDirectory() as tmp:
        base = run(SimOptions(version=args.version), Path(tmp) / "classic", pool)
        print("\n".join(report("classic", base, base)), flush=True)
        for name in args.skins:
            skin, _, seed = name.partition(":")
            opts = SimOptions(version=args.version, skin=skin, seed=int(seed) if seed else None)
            print("\n" + "\n".join(report(name, run(opts, Path(tmp) / name, pool), base)), flush=True)


if __name__ == "__main__":
    main()
