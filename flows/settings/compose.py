"""Build the settings model of a snapshot from its page records and verified files (at capture, or to migrate)."""
from __future__ import annotations

from capture.records import Snapshot
from flows.settings import appliance, certs, login
from flows.settings.model import Certificates, Settings, SiteChoice
from flows.settings.parts import (ADMIN_FLOW, API_FLOW, BASICS_FLOW, CERTS_FLOW, EMAIL_FLOW, FAILOVER_FLOW,
                                  INFO_FLOW, IP_FLOW, ROUTES_FLOW, SECURITY_FLOW, SNMP_FLOW, SOFTWARE_FLOW, TLS_FLOW)
from flows.settings.read import Reader
from flows.vocabulary import Vocabulary


def build(snap: Snapshot, vocab: Vocabulary | None = None) -> Settings:
    """Every part read from its page; whatever no part names goes to `other`, with its label as shown."""
    vocab = vocab or Vocabulary.load()
    readers = {p.flow: Reader(p, vocab) for p in snap.pages}
    r = lambda flow: readers.get(flow) or Reader(None, vocab)  # noqa: E731
    out = Settings(identity=appliance.identity(r(BASICS_FLOW), r(INFO_FLOW)))
    out.network = appliance.network(r(IP_FLOW))
    out.routes = appliance.routes(r(ROUTES_FLOW))
    out.snmp = appliance.snmp(r(SNMP_FLOW))
    out.tls = appliance.tls(r(TLS_FLOW))
    out.administration = appliance.administration(r(ADMIN_FLOW))
    out.email = appliance.email(r(EMAIL_FLOW))
    out.login = login.login(r(INFO_FLOW), r(SOFTWARE_FLOW), r(FAILOVER_FLOW), r(SECURITY_FLOW), r(API_FLOW))
    out.certificates = certificates(snap, r(CERTS_FLOW), r(IP_FLOW), vocab, out)
    for reader in readers.values():
        out.other += reader.remainder()
    return out


def certificates(snap: Snapshot, page: Reader, ip: Reader, vocab: Vocabulary, so_far: Settings) -> Certificates | None:
    installed = certs.installed(page)
    exported, presented = certs.exported(snap), certs.presented(snap)
    if installed is None and exported is None and presented is None:
        return None
    out = Certificates(installed=installed or [], exported=exported, presented=presented)
    p12 = next((a for a in snap.artifacts if a.kind == "p12" and a.options.get("choice")), None)
    if p12 is not None:
        out.site = SiteChoice.model_validate(p12.options["choice"])
    elif installed:
        from flows.certificate import choose

        own, own_from = appliance.own_addresses(ip.rec, vocab, snap.deployment)
        names = [snap.appliance_hostname, snap.site_hostname, so_far.identity.hostname.value or "",
                 so_far.identity.site_hostname.value or ""]
        out.site = choose(installed, names, own, own_from)
    if out.site is not None and out.site.name is None:
        so_far.notes.append(f"Site certificate: {out.site.reason}")
    return out
