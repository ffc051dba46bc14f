"""All appliance page knowledge: which pages and steps to run for a deployment, and what they mean."""
from __future__ import annotations

from typing import Any

from flows import appliance, login
from flows.base import Action, Labels, Page

# Status page labels the vendor asks backups to be named after, and /login identity fields.
IDENTITY = {
    "appliance_version": ("appliance.status.basics", "Appliance Version"),
    "serial_number": ("appliance.status.basics", "Serial Number"),
    "base_software_version": ("appliance.status.basics", "Base Software Version"),
    "system_time": ("appliance.status.basics", "System Time"),
    "hostname": ("appliance.status.basics", "Hostname"),
    "model": ("appliance.status.basics", "Model"),
}
PRODUCT = {
    "product_version": ("login.status.information", "Product Version"),
    "product_build": ("login.status.information", "Product Build"),
    "role": ("login.status.information", "Failover Role"),
}


def all_pages() -> list[Page]:
    return appliance.PAGES + login.PAGES


def page(flow: str) -> Page | None:
    return next((p for p in all_pages() if p.flow == flow), None)


def plan(deployment: str, take: Any, *, api_ready: bool, labels: Labels) -> dict[str, list[Page | Action]]:
    """The ordered steps per interface. Pages a deployment does not have are left out by design."""
    steps: dict[str, list[Page | Action]] = {"appliance": [], "login": []}
    if deployment != "hosted":
        steps["appliance"] = [labels.apply(p) for p in appliance.PAGES if deployment in p.deployments]
        if take.certificate:
            steps["appliance"] += [a for a in appliance.ACTIONS if deployment in a.deployments]
    steps["login"] = [labels.apply(p) for p in login.PAGES if deployment in p.deployments]
    if take.sync_now and deployment == "onprem":
        steps["login"].append(login.SyncNow())
    steps["login"] += login.nsb_steps(take.nsb, api_ready)
    if take.vault_key:
        steps["login"].append(login.VaultKeyUI())
    return {iface: _after_their_pages(seq) for iface, seq in steps.items()}


def _after_their_pages(seq: list[Page | Action]) -> list[Page | Action]:
    """Each action moved to just after the page it starts on, in their order, when that page is captured."""
    out = [s for s in seq if isinstance(s, Page)]
    pending = [s for s in seq if not isinstance(s, Page)]
    last = [a for a in pending if not any(p.flow == getattr(a, "starts_on", None) for p in out)]
    for a in reversed([a for a in pending if a not in last]):
        at = next(i for i, p in enumerate(out) if isinstance(p, Page) and p.flow == a.starts_on)
        out.insert(at + 1, a)
    return out + last


def vocabulary() -> dict[str, list[str]]:
    """Known labels per page, for reading hand-made screenshots (`bt-capture ocr`)."""
    labels = Labels.load()
    out: dict[str, list[str]] = {}
    for p in all_pages():
        words = list(p.landmarks) + list(labels.data.get("vocabulary", {}).get(p.flow, []))
        for key, (flow, label) in {**IDENTITY, **PRODUCT}.items():
            if flow == p.flow:
                words.append(label)
        words = [v for w in words for v in labels.variants(w)]
        out[p.flow] = list(dict.fromkeys(words))
    return out
