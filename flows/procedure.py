"""The vendor's backup procedure as a checklist: each step, where it applies, and what proves it done."""
from __future__ import annotations

from dataclasses import dataclass

from capture.records import ProcedureStep, Snapshot


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    deployments: tuple[str, ...]
    pages: tuple[str, ...] = ()  # flows that must be captured
    artifacts: tuple[str, ...] = ()  # artifact kinds that must be saved and verified
    actions: tuple[str, ...] = ()  # names of the action steps that do it (their failures fail it)
    optional: bool = False  # done only when asked (Sync Now)


STEPS: list[Step] = [
    Step("identity", "Record appliance version, serial number, base software version and system time (Status > Basics)",
         ("onprem",), pages=("appliance.status.basics",)),
    Step("certificate", "Export the site SSL certificate as a passphrase-protected .p12 with its private key and chain",
         ("onprem", "cloud"), pages=("appliance.security.certificates",), artifacts=("p12",),
         actions=("appliance.certificate",)),
    Step("ip_configuration", "Screenshot Networking > IP Configuration", ("onprem",),
         pages=("appliance.networking.ip_configuration",)),
    Step("static_routes", "Screenshot Networking > Static Routes", ("onprem",), pages=("appliance.networking.static_routes",)),
    Step("snmp", "Screenshot Networking > SNMP", ("onprem",), pages=("appliance.networking.snmp",)),
    Step("ssl_tls", "Screenshot Security > SSL/TLS Configuration", ("onprem", "cloud"), pages=("appliance.security.ssl_tls",)),
    Step("appliance_administration",
         "Screenshot Security > Appliance Administration (restrictions, Syslog, Prerequisite Login Agreement)",
         ("onprem",), pages=("appliance.security.appliance_administration",)),
    Step("email_configuration", "Screenshot Security > Email Configuration", ("onprem",),
         pages=("appliance.security.email_configuration",)),
    Step("product_version", "Note the product version on /login > Status > Information", ("onprem", "cloud", "hosted"),
         pages=("login.status.information",)),
    Step("sync_now", "Force a failover sync (Management > Failover > Sync Now) before the backup", ("onprem",),
         actions=("login.failover.sync_now",), optional=True),
    Step("nsb", "Download the /login NSB backup (Management > Software > Download Backup, or the Backup API)",
         ("onprem", "cloud", "hosted"), artifacts=("nsb",), actions=("login.backup",)),
    Step("vault_key", "Download the Vault encryption key, password-protected", ("onprem", "cloud", "hosted"),
         artifacts=("vault_key",), actions=("login.vault_key",)),
    Step("failover", "Keep the Failover settings (Management > Failover): failover sync does not carry them",
         ("onprem",), pages=("login.management.failover",)),
    Step("preshared_key", "Keep the Inter-Appliance Pre-Shared Key setting (Management > Security)",
         ("onprem", "cloud", "hosted"), pages=("login.management.security",)),
]

NSB_GAPS = [
    ("Session Recordings", "the Integration Client or the Reporting API (session recordings)"),
    ("Command Shell Recordings", "the Integration Client or the Reporting API"),
    ("Presentation Recordings", "the Reporting API"),
    ("File Store files larger than 200 KB", "copy them from the File Store by hand"),
    ("File Store files beyond the first 50", "copy them from the File Store by hand"),
    ("Settings, users and data from /appliance", "this dossier: screenshots, extracted values and the .p12"),
    ("The Vault encryption key", "its own download (Management > Software > Backup Vault Encryption Key)"),
]


def evaluate(snap: Snapshot, *, asked: set[str] = frozenset()) -> list[ProcedureStep]:
    """Mark each step done, failed or n/a from what the snapshot holds."""
    out: list[ProcedureStep] = []
    for st in STEPS:
        if snap.deployment not in st.deployments or (st.optional and st.id not in asked):
            why = "not asked for (take.sync_now)" if st.optional else f"not applicable to {snap.deployment} deployments"
            out.append(ProcedureStep(id=st.id, title=st.title, status="n/a", detail=why))
            continue
        evidence: list[str] = []
        problems: list[str] = []
        for flow in st.pages:
            rec = snap.page(flow)
            if rec is None or rec.status != "ok":
                problems.append(f"{flow}: {rec.error if rec else 'not captured'}")
            else:
                evidence.append(flow)
        for kind in st.artifacts:
            arts = [a for a in snap.artifacts if a.kind == kind]
            if not arts:
                problems.append(f"no {kind} saved")
            for a in arts:
                evidence.append(a.path)
                if a.verification and a.verification.verdict == "fail":
                    problems.append(f"{a.path} failed verification")
        if st.id == "identity" and not problems:
            missing = [k for k, v in snap.identity.model_dump().items()
                       if k in ("appliance_version", "serial_number", "base_software_version", "system_time") and not v]
            if missing:
                problems.append("Status page lacks " + ", ".join(missing))
        for f in snap.failures:
            if any(f.step.startswith(a) for a in st.actions):
                problems.append(f"{f.step}: {f.error}")
        status = "failed" if problems else "done"
        out.append(ProcedureStep(id=st.id, title=st.title, status=status, evidence=evidence,
                                 detail="; ".join(problems)))
    return out


# Where each restore step is done, as menu paths (the runbook shows them; reports hold no menu text of their own).
RESTORE: dict[str, tuple[str, ...]] = {
    "network": ("Networking",),
    "certificate_import": ("Security", "Certificates", "Import"),
    "settings": ("Security",),
    "nsb": ("Management", "Software", "Restore Settings"),
    "vault_key": ("Management", "Software", "Vault Encryption Key"),
    "failover": ("Management", "Failover"),
    "preshared_key": ("Management", "Security"),
    "cloud_appliance": ("Appliance",),  # cloud sites reach /appliance pages from this /login tab
}
