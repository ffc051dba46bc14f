"""Runbook steps 4 and 5: upload the NSB site backup and restore the Vault encryption key, from the saved files."""
from __future__ import annotations

from pathlib import Path

from capture.records import Artifact, Snapshot
from flows.procedure import RESTORE
from reports.blocks import Block, where
from reports.runbook import Step
from reports.view import secret_where


def _files(snap: Snapshot, kind: str) -> list[tuple[int, Artifact]]:
    return [(i, a) for i, a in enumerate(snap.artifacts) if a.kind == kind]


def nsb(snap: Snapshot) -> Step:
    step = Step(4, "nsb", "Upload the NSB site backup", where(snap, RESTORE["nsb"], "login"),
                intro="Choose the file, enter its backup password and restore. Restoring overwrites the failover "
                      "settings and the inter-appliance pre-shared key: re-enter them afterwards (step 6).")
    for i, a in _files(snap, "nsb"):
        d = a.verification.details if a.verification else {}
        b = Block("Copy from the Backup API" if a.obtained == "api" else "Copy from the web interface", step.where,
                  href=f"#artifact-{i}")
        b.rows += [("File", Path(a.path).name, "mono"),
                   ("Backup password kept in", secret_where(snap, "backup_password", a)
                    if a.options.get("password_protected", d.get("password_protected")) else "no password", "value"),
                   ("Session history in the backup", "yes" if a.options.get("include_history") else "no", "value"),
                   ("SHA-256 of the file", a.sha256, "mono"),
                   ("Verification", a.verification.verdict if a.verification else "not checked", "verdict")]
        step.blocks.append(b)
    if not step.blocks:
        step.problems.append("No NSB backup in this snapshot: see the checklist and warnings.")
    if snap.role in ("primary", "backup"):
        step.notes.append("In a failover pair whose peer still runs, you may instead re-establish failover (step 6) "
                          "and let the peer synchronise /login data; the NSB is the fallback if that sync fails.")
    return step


def vault(snap: Snapshot) -> Step:
    step = Step(5, "vault_key", "Restore the Vault encryption key", where(snap, RESTORE["vault_key"], "login"),
                intro="Restore it with the NSB: without it the Vault credentials in the backup cannot be decrypted.")
    for i, a in _files(snap, "vault_key"):
        b = Block("Vault encryption key file", step.where, href=f"#artifact-{i}")
        b.rows += [("File", Path(a.path).name, "mono"),
                   ("Password kept in", secret_where(snap, "vault_key_password", a), "value"),
                   ("SHA-256 of the file", a.sha256, "mono"),
                   ("Verification", a.verification.verdict if a.verification else "not checked", "verdict")]
        step.blocks.append(b)
    if not step.blocks:
        step.problems.append("No Vault encryption key in this snapshot: see the checklist and warnings.")
    return step
