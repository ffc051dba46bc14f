"""Signed snapshots: a SHA256SUMS list of every file, signed with an SSH key (`ssh-keygen -Y`), and its check."""
from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from capture import sources
from capture.atomic import write_atomic
from capture.errors import ConfigError
from capture.records import CheckItem
from capture.verify import sha256_file

SUMS, SIG, PUB = "SHA256SUMS", "SHA256SUMS.sig", "signer.pub"
NAMESPACE, PRINCIPAL = "bt-capture-snapshot", "bt-capture"
# The dossier is rendered after signing (its cover shows the signed list's hash) from the signed manifest:
# `bt-capture render` rebuilds it. It and the signature files themselves are outside the list.
UNSIGNED = {SUMS, SIG, PUB, "dossier.html", "dossier.pdf"}


class SignError(ConfigError):
    """A key that cannot be used, or ssh-keygen missing or failing: one clear line."""


def _keygen(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise SignError("ssh-keygen is not installed (apt-get install openssh-client): cannot sign or check")
    # A new session: no terminal to ask a passphrase on, so an encrypted key fails at once instead of hanging.
    return subprocess.run([exe, *args], input=stdin, capture_output=True, start_new_session=True, timeout=60,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def _why(done: subprocess.CompletedProcess[bytes]) -> str:
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def listing(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file the signature covers, sorted."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in UNSIGNED:
            out[rel] = sha256_file(p)
    return out


def _sums_text(files: dict[str, str]) -> str:
    return "".join(f"{digest}  {rel}\n" for rel, digest in files.items())  # `sha256sum -c` reads this


def fingerprint(pub_line: str) -> str:
    """The key's SHA256 fingerprint as `ssh-keygen -l` prints it (SHA256:base64, no padding)."""
    blob = base64.b64decode(pub_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def sign(folder: Path, key: str) -> dict[str, Any]:
    """Write SHA256SUMS, its SSH signature and the signer's public key into folder.

    key: a private key file (or a public one whose private key is in ssh-agent), or keyring:SERVICE/USER
    holding the private key's text."""
    folder = Path(folder)
    tmp = Path(tempfile.mkdtemp(prefix="bt-sign-"))
    try:
        if key.startswith(("keyring:", "env:")):
            keyfile = tmp / "key"
            keyfile.write_text(sources.read(key, "signing key").strip() + "\n")
            keyfile.chmod(0o600)
        else:
            keyfile = Path(key).expanduser()
            if not keyfile.is_file():
                raise SignError(f"signing key {keyfile}: no such file")
        pub = _public(keyfile)
        sums = _sums_text(listing(folder))
        write_atomic(folder / SUMS, sums)
        (tmp / SUMS).write_text(sums)
        done = _keygen("-Y", "sign", "-f", str(keyfile), "-n", NAMESPACE, str(tmp / SUMS))
        if done.returncode != 0:
            raise SignError(f"signing key {key}: ssh-keygen could not sign: {_why(done)}")
        write_atomic(folder / SIG, (tmp / SIG).read_bytes())
        write_atomic(folder / PUB, pub + "\n")
        return describe(folder) or {}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _public(keyfile: Path) -> str:
    if keyfile.suffix == ".pub":
        text = keyfile.read_text().strip()
    else:
        done = _keygen("-y", "-f", str(keyfile))
        if done.returncode != 0:
            raise SignError(f"signing key {keyfile}: not a usable SSH private key ({_why(done)}; a key with a "
                            "passphrase must be in ssh-agent: give its .pub file)")
        text = done.stdout.decode().strip()
    if len(text.split()) < 2:
        raise SignError(f"signing key {keyfile}: not an SSH public key")
    return " ".join(text.split()[:2])


def describe(folder: Path) -> dict[str, Any] | None:
    """What the dossier's cover shows: the key's fingerprint and the hash of the signed list (None: unsigned)."""
    folder = Path(folder)
    if not (folder / SIG).is_file() or not (folder / SUMS).is_file():
        return None
    pub = (folder / PUB).read_text().strip() if (folder / PUB).is_file() else ""
    algo = pub.split()[0].removeprefix("ssh-").upper() if pub else "unknown key"
    return {"fingerprint": f"{algo} {fingerprint(pub)}" if pub else "unknown (signer.pub missing)",
            "list_sha256": sha256_file(folder / SUMS), "files": len((folder / SUMS).read_text().splitlines())}


def check(folder: Path, signers: Path | None = None) -> list[CheckItem]:
    """The signature (against allowed signers, or the snapshot's own signer.pub: then only a warning), then every
    listed file: altered, missing, or added since signing. [] for an unsigned snapshot."""
    folder = Path(folder)
    if not (folder / SIG).exists():
        if signers is not None:
            return [CheckItem(name="signature", status="fail", detail=f"{SIG} is missing: the snapshot is not signed")]
        return []
    out: list[CheckItem] = []
    with tempfile.TemporaryDirectory(prefix="bt-verify-") as tmp:
        allowed = signers
        if allowed is None:
            pub = (folder / PUB).read_text().strip() if (folder / PUB).is_file() else ""
            allowed = Path(tmp) / "allowed_signers"
            allowed.write_text(f"{PRINCIPAL} {pub}\n")
        sums = (folder / SUMS).read_bytes() if (folder / SUMS).is_file() else b""
        done = _keygen("-Y", "verify", "-f", str(allowed), "-I", PRINCIPAL, "-n", NAMESPACE,
                       "-s", str(folder / SIG), stdin=sums)
    info = describe(folder) or {}
    if done.returncode != 0:
        out.append(CheckItem(name="signature", status="fail", detail=f"the signature of {SUMS} does not verify "
                             f"({_why(done)}): the list was changed, or another key signed it"))
    elif signers is None:
        out.append(CheckItem(name="signature", status="warn", detail=(
            f"valid, by the key in the snapshot's own {PUB} ({info.get('fingerprint')}); give --signers "
            "ALLOWED_SIGNERS to prove it is your key")))
    else:
        out.append(CheckItem(name="signature", status="pass",
                             detail=f"valid, by an allowed signer ({info.get('fingerprint')})"))
    listed = _parse(sums.decode(errors="replace"))
    actual = listing(folder)
    for rel, digest in listed.items():
        if rel not in actual:
            out.append(CheckItem(name=f"signed file {rel}", status="fail", detail="missing: listed in SHA256SUMS"))
        elif actual[rel] != digest:
            out.append(CheckItem(name=f"signed file {rel}", status="fail", detail="altered since it was signed"))
    for rel in actual.keys() - listed.keys():
        out.append(CheckItem(name=f"signed file {rel}", status="fail", detail="added after signing"))
    if all(c.status != "fail" for c in out[1:]):
        out.append(CheckItem(name="signed files", status="pass",
                             detail=f"all {len(listed)} files match {SUMS}; none missing, none added"))
    return out


def _parse(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        digest, sep, rel = line.partition("  ")
        if sep:
            out[rel] = digest
    return out


__all__ = ["SignError", "check", "describe", "fingerprint", "listing", "sign"]
