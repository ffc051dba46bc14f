"""The one tolerant label matcher: the same label in many wordings, and labels that only look alike kept apart."""
from __future__ import annotations

import pytest

from flows.base import Labels
from flows.vocabulary import Vocabulary, key, same

SAME = [
    ("Default Gateway", ["default gateway", "Default Gateway:", "Default Gateway *", "Default Gateway (IPv4)",
                         "IPv4 Default Gateway", "Gateway, Default", "DEFAULT  GATEWAY", "Default\u00a0Gateway"]),
    ("IPv6 Default Gateway", ["Default Gateway (IPv6)", "Default IPv6 Gateway", "IPv6 default gateway:"]),
    ("Alternative Names", ["Alternative Name(s)", "Alternative Name", "alternative names:"]),
    ("IP Address(es)", ["IP Addresses", "IP Address", "IP address(es):"]),
    ("Private Key?", ["Private Key", "private key:", "Private Key? *"]),
    ("Remote Syslog Server", ["Remote Syslog Server (optional)", "Syslog Server, Remote", "remote syslog servers"]),
    ("Inter-appliance Communication Pre-shared Key", ["Inter-Appliance Communication Preshared Key",
                                                      "Pre-shared Key, Inter-appliance Communication"]),
    ("Email Configuration", ["E-mail Configuration", "Configuration of the Email"]),
    ("Accounts & Passwords", ["Accounts and Passwords", "accounts & passwords:"]),
    ("Lockout Duration", ["Lockout Duration (minutes)", "Lockout Duration (min.)"]),
    ("Data-Sync Bandwidth Limit", ["Data Sync Bandwidth Limit", "Bandwidth Limit, Data-Sync"]),
    ("Appliance Hostname", ["Appliance Host Name", "Host Name of the Appliance"]),
    ("Speed/Duplex Setting", ["Speed and Duplex Setting", "Speed / Duplex Setting"]),
]
DIFFERENT = [
    ("Default Gateway", "IPv6 Default Gateway"), ("Default Gateway", "Default Gateway (IPv6)"),
    ("Issued To", "Issued By"), ("Web Interface on Port 443", "Web Interface on Port 8443"),
    ("Hostname", "Site Hostname"), ("Password", "Confirm Password"), ("SNMPv2", "SNMPv3"),
    ("Enable SNMPv2", "Enable SNMPv3"), ("Username", "Display Name"), ("Gateway", "Default Gateway"),
]


@pytest.mark.parametrize("canonical,wordings", SAME)
def test_the_same_label_in_other_wordings(canonical: str, wordings: list[str]) -> None:
    for w in wordings:
        assert same(canonical, w), (canonical, w, key(canonical), key(w))


@pytest.mark.parametrize("a,b", DIFFERENT)
def test_labels_that_only_look_alike(a: str, b: str) -> None:
    assert not same(a, b), (a, b, key(a), key(b))


def test_aliases_are_synonyms_the_matcher_cannot_know() -> None:
    vocab = Vocabulary.load()
    assert vocab.matches("Name Servers", "DNS Servers") and vocab.matches("Subject Alternative Names",
                                                                           "Alternative Names")
    assert vocab.matches("SMTP Server:", "SMTP Relay Server") and vocab.matches("Issuer", "Issued By")
    assert not vocab.matches("Issued By", "Issued To")
    assert vocab.column(["", "Issued To", "Issuer", "SANs", "Bound IP Addresses", "Key Present"], "Private Key?") == 5
    # A user's labels file adds synonyms without code.
    user = Vocabulary.load(Labels(data={"aliases": {"DNS Servers": ["Resolvers"]}}))
    assert user.matches("Resolvers", "DNS Servers") and not vocab.matches("Resolvers", "DNS Servers")


def test_aliases_file_lists_no_wording_the_matcher_already_covers() -> None:
    """labels.toml [aliases] keeps real synonyms (menus aside, which are clicked by their exact text)."""
    labels = Labels.load()
    menus = {m for p in __import__("flows").all_pages() for m in p.menu}
    redundant = [(c, a) for c, aliases in labels.data["aliases"].items() if c not in menus
                 for a in aliases if same(c, a)]
    assert redundant == []


def test_canonical_names_key_settings_across_versions() -> None:
    vocab = Vocabulary.load()
    assert vocab.canonical("Include logged session reporting data") == vocab.canonical("Include logged history")
    assert vocab.canonical("Lockout Duration (minutes)") == vocab.canonical("lockout duration:")
    assert vocab.canonical("(unlabelled select)") == "(unlabelled select)"
