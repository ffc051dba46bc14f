"""`bt-capture doctor`: check the system tools bt-capture runs, and name the command that installs what is missing."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from capture.commands import guarded

# What each need is called per distribution (README: "Other ways to install"), and how it is installed there.
PACKAGES: dict[str, dict[str, str]] = {
    "debian": {"browser": "chromium-headless-shell", "tesseract": "tesseract-ocr tesseract-ocr-eng",
               "eng": "tesseract-ocr-eng", "pdftotext": "poppler-utils",
               "fonts": "fontconfig fonts-liberation2 fonts-dejavu-core", "keyring": "gnome-keyring"},
    "fedora": {"browser": "chromium-headless", "tesseract": "tesseract tesseract-langpack-eng",
               "eng": "tesseract-langpack-eng", "pdftotext": "poppler-utils",
               "fonts": "fontconfig liberation-sans-fonts dejavu-sans-fonts", "keyring": "gnome-keyring"},
    "arch": {"browser": "chromium", "tesseract": "tesseract tesseract-data-eng", "eng": "tesseract-data-eng",
             "pdftotext": "poppler", "fonts": "fontconfig ttf-liberation ttf-dejavu", "keyring": "gnome-keyring"},
}
MANAGER = {"debian": "apt-get install -y", "fedora": "dnf install -y", "arch": "pacman -S --needed"}
FONTS = ("Liberation Sans", "DejaVu Sans")  # what the dossier, binder and diff stylesheets ask for
LAUNCH_TIMEOUT_MS = 30_000


@dataclass
class Check:
    name: str
    status: str  # ok, missing, note (worth knowing; not needed for what was asked)
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {"ok": "✓", "missing": "✗", "note": "!"}[self.status]
        return f"{mark} {self.name}: {self.detail}" + (f"; install: {self.fix}" if self.fix else "")


def distribution(os_release: Path = Path("/etc/os-release")) -> str:
    """debian (also Ubuntu and the like), fedora (also RHEL), arch, or '' when unknown."""
    try:
        text = os_release.read_text()
    except OSError:
        return ""
    ids = " ".join(m.group(2).strip('"') for m in re.finditer(r"^(ID|ID_LIKE)=(.*)$", text, re.M)).lower().split()
    for name, family in (("ubuntu", "ubuntu"), ("debian", "debian"), ("fedora", "fedora"), ("rhel", "fedora"),
                         ("centos", "fedora"), ("arch", "arch")):
        if name in ids:
            return family
    return ""


def install(need: str, distro: str | None = None) -> str:
    """The command that installs one need on this machine's distribution (Debian's names when unknown)."""
    distro = distribution() if distro is None else distro
    if need == "browser" and distro == "ubuntu":  # Ubuntu's chromium package is a snap, which Playwright cannot drive
        return (f"{sys.executable} -m playwright install chromium-headless-shell, then set BTC_CHROMIUM "
                "(or browser = in the inventory) to its headless_shell")
    family = "debian" if distro in ("ubuntu", "") else distro
    sudo = "" if os.geteuid() == 0 else "sudo "
    suffix = "" if distro else " (Debian's package names; README lists Fedora's and Arch's)"
    return f"{sudo}{MANAGER[family]} {PACKAGES[family][need]}{suffix}"


def _run(argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def check_browser(executable: Path, source: str) -> Check:
    """Found, and really launched: headless, one page, then closed."""
    if not executable.is_file() or not os.access(executable, os.X_OK):
        return Check("browser", "missing", f"no Chromium at {executable} ({source})", install("browser"))
    from playwright.sync_api import Error, sync_playwright

    from capture.browser import BASE_ARGS

    start = time.monotonic()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(executable), args=BASE_ARGS, headless=True,
                                        timeout=LAUNCH_TIMEOUT_MS)
            try:
                page = browser.new_page()
                page.set_content("<p>bt-capture</p>")
                # textContent, not the laid-out text: fonts are their own check
                if page.evaluate("document.querySelector('p').textContent") != "bt-capture":
                    raise Error("a page did not load")
                version = browser.version
            finally:
                browser.close()
    except (Error, OSError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return Check("browser", "missing", f"{executable} ({source}) did not start: {first}", install("browser"))
    return Check("browser", "ok", f"Chromium {version} at {executable} ({source}), "
                                  f"launched headless in {time.monotonic() - start:.1f} s")


def check_tesseract() -> Check:
    from capture.ocr import LANG

    exe = shutil.which("tesseract")
    if not exe:
        return Check("tesseract", "missing", "not found on PATH", install("tesseract"))
    out = _run([exe, "--version"])
    m = re.search(r"tesseract\s+v?(\d+)\.(\d+)\S*", out.stdout + out.stderr)
    if not m:
        return Check("tesseract", "missing", f"{exe} --version did not answer", install("tesseract"))
    version = m.group(0).split()[1]
    if int(m.group(1)) < 4:
        return Check("tesseract", "missing", f"{version} has no LSTM engine (4 or later needed)", install("tesseract"))
    langs = _run([exe, "--list-langs"])
    found = re.search(r'"(.+?)"', langs.stdout + langs.stderr)
    where = found.group(1).rstrip("/") if found else "its data folder"
    if LANG not in langs.stdout.split():
        return Check("tesseract", "missing", f"{version} has no English language data ({LANG}.traineddata in {where})",
                     install("eng"))
    from capture.ocr import Engine

    try:
        reads = f"; pages are read by {Engine().version()}"
    except Exception as e:  # noqa: BLE001 - the check reports, it does not crash
        reads = f"; the OCR engine did not start: {type(e).__name__}"
    return Check("tesseract", "ok", f"{version}, English language data ({LANG}) in {where}{reads}")


def check_pdftotext() -> Check:
    exe = shutil.which("pdftotext")
    if not exe:
        return Check("pdftotext", "missing", "not found on PATH (poppler)", install("pdftotext"))
    out = _run([exe, "-v"])
    m = re.search(r"version\s+(\S+)", out.stderr + out.stdout)
    return Check("pdftotext", "ok", f"{m.group(1) if m else 'found'} at {exe}")


def check_fonts() -> Check:
    """Through fontconfig, which is how Chromium finds them."""
    exe = shutil.which("fc-list")
    if not exe:
        return Check("fonts", "missing", "fc-list (fontconfig) not found on PATH, so Chromium's fonts cannot be "
                                         "listed", install("fonts"))
    families = {f.strip() for line in _run([exe, ":", "family"]).stdout.splitlines() for f in line.split(",")}
    have = [f for f in FONTS if f in families]
    if not have:
        return Check("fonts", "missing", f"neither {' nor '.join(FONTS)} is installed (dossiers and OCR expect one)",
                     install("fonts"))
    return Check("fonts", "ok", ", ".join(have))


def check_keyring(needed: bool) -> Check:
    """Only keyring: and generate:keyring secrets use it; environment variables work without one."""
    import keyring
    from keyring.errors import NoKeyringError

    try:
        backend = keyring.get_keyring()
        usable = backend.priority > 0 and "fail" not in type(backend).__module__  # type: ignore[operator]
        name = getattr(backend, "name", type(backend).__name__)
    except (NoKeyringError, RuntimeError):
        usable, name = False, "none"
    if usable:
        return Check("keyring", "ok", f"{name}")
    why = "the inventory names keyring: secrets" if needed else "only keyring: secrets need one; env: secrets work"
    return Check("keyring", "missing" if needed else "note", f"no usable OS keyring backend ({why})",
                 install("keyring") + " (a Secret Service; it runs in a D-Bus session)")


def check_output(folder: Path) -> Check:
    """Writable: a temporary file really made and removed in the folder, or in the nearest parent that exists."""
    target = Path(os.path.abspath(folder.expanduser()))
    existing = next((p for p in (target, *target.parents) if os.path.lexists(p)), Path("/"))
    fix = f"choose a folder you can write to, or: sudo install -d -m 0700 -o {os.getuid()} {target}"
    if not existing.is_dir():
        return Check("output", "missing", f"{target} cannot be made: {existing} is not a folder", fix)
    try:
        fd, tmp = tempfile.mkstemp(dir=existing, prefix=".bt-capture-doctor-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        return Check("output", "missing", f"cannot write in {existing}: {e.strerror or e}", fix)
    made = "" if existing == target else f" (not there yet; bt-capture makes it in {existing})"
    return Check("output", "ok", f"{target} is writable{made}")


def run_checks(browser: Path, source: str, output: Path | None, keyring_needed: bool) -> list[Check]:
    checks = [check_browser(browser, source), check_tesseract(), check_pdftotext(), check_fonts(),
              check_keyring(keyring_needed)]
    if output is not None:
        checks.append(check_output(output))
    return checks


def _uses_keyring(inv: Any) -> bool:
    sources = [s for a in inv.appliance for s in a.secrets.model_dump().values()]
    return any(s.startswith("keyring:") or s == "generate:keyring" for s in sources)


@click.command("doctor")
@click.option("-i", "--inventory", type=click.Path(dir_okay=False),
              help="Also check what this inventory needs: its browser, output folder and keyring secrets.")
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Check that this output folder is writable.")
@click.option("--browser", type=click.Path(dir_okay=False), help="The Chromium to check (else BTC_CHROMIUM, the "
              "inventory's browser, or the default).")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON on stdout.")
@guarded
def doctor_cmd(inventory: str | None, output: str | None, browser: str | None, as_json: bool) -> None:
    """Check Chromium (found and launchable), tesseract with English data, pdftotext, fonts, the OS keyring
    and the output folder; print the command that installs what is missing. Exit 0 all there, 2 something missing.
    """
    from capture import config
    from capture.browser import default_browser

    inv = config.load(inventory) if inventory else None
    if browser:
        exe, source = Path(browser), "--browser"
    elif os.environ.get("BTC_CHROMIUM"):
        exe, source = Path(os.environ["BTC_CHROMIUM"]), "BTC_CHROMIUM"
    elif inv is not None:
        exe, source = inv.browser, f"browser in {inventory}"
    else:
        exe, source = default_browser(), "the default"
    folder = Path(output) if output else inv.output if inv is not None else None
    checks = run_checks(exe, source, folder, bool(inv) and _uses_keyring(inv))
    missing = [c for c in checks if c.status == "missing"]
    if as_json:
        click.echo(json.dumps({"ok": not missing, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for c in checks:
            click.echo(c.line())
        if folder is None:
            click.echo("- output: not checked (give -o FOLDER or -i INVENTORY)")
        click.echo(f"doctor: {len(missing)} missing ({', '.join(c.name for c in missing)})" if missing
                   else "doctor: everything bt-capture needs is here")
    sys.exit(2 if missing else 0)
