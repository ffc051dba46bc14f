"""Time `bt-capture diff` on two full snapshots: the comparison alone, with screenshots, and with the PDF.

Usage: python bench/diff_bench.py [SNAPSHOT_A SNAPSHOT_B] [--runs N]
Without folders it captures the simulated failover pair once (with OCR) into /tmp/bt-diff-bench.
Prints the median (and min/max) of N runs per stage.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
    args = [a for a in args if a != str(runs)]
    if len(args) == 2:
        a, b = Path(args[0]), Path(args[1])
    else:
        from diff_cases import capture_case

        root = Path("/tmp/bt-diff-bench")
        found = sorted(p for p in root.glob("pair0/snapshots/*") if (p / "manifest.json").is_file())
        a, b = found if len(found) == 2 else capture_case("pair", root, ocr=True)

    from flows.diffrules import DiffRules
    from reports import diff

    rules = DiffRules.load()
    out = Path(tempfile.mkdtemp(prefix="bt-diff-bench-"))
    stages = {
        "load + compare (manifests only)": lambda: diff.compare_folders(a, b, rules=rules),
        "+ diff.json, diff.html, screenshot overlays": lambda: diff.run_diff(a, b, out, rules=rules, pdf=False),
        "+ diff.pdf (Chromium)": lambda: diff.run_diff(a, b, out, rules=rules, pdf=True),
    }
    result = diff.compare_folders(a, b, rules=rules)[0]
    print(f"{a.name}\n{b.name}\n{len(result.differences)} differences ({result.verdict}); {runs} runs per stage")
    for name, fn in stages.items():
        times = _timed(fn, runs if "pdf" not in name else max(1, runs // 2))
        print(f"{name:<46} median {statistics.median(times):6.3f} s   min {min(times):6.3f}   max {max(times):6.3f}")


if __name__ == "__main__":
    main()
