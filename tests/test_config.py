"""Inventory validation and secret sources: clear messages with line and key; secrets never from the file."""
from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

import simhelpers
from capture import config
from capture.errors import ConfigError
from capture.redact import Redactor
from capture.secrets import SecretSource

BASE = '''output = "out"
[[appliance]]
name = "bt1"
url = "https://bt1.example.test:8443"
[appliance.secrets]
login_password = "env:T_LOGIN"
p12_passphrase = "{p12}"
'''


class MemoryKeyring(KeyringBackend):
    priority = 10

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def _inv(tmp: Path, text: str) -> Path:
    p = tmp / "inv.toml"
    p.write_text(text)
    return p


def test_defaults_and_urls(tmp_path: Path) -> None:
    inv = config.load(_inv(tmp_path, BASE.format(p12="env:T_P12")))
    a = inv.appliance[0]
    assert a.interface_url("appliance") == "https://bt1.example.test:8443/appliance"
    assert a.host == "bt1.example.test" and a.port == 8443 and a.tls.mode == "system"
    assert inv.output == tmp_path / "out"


def test_browser_default_is_the_headless_shell_with_chromium_as_fallback(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from capture import browser

    monkeypatch.delenv("BTC_CHROMIUM", raising=False)
    # scripts/setup.sh installs chromium-headless-shell: in CI its absence is a failure, not a fallback.
    simhelpers.require_tool(str(browser.HEADLESS_SHELL))
    assert config.load(_inv(tmp_path, BASE.format(p12="env:T_P12"))).browser == browser.HEADLESS_SHELL
    monkeypatch.setattr(browser, "HEADLESS_SHELL", tmp_path / "not-installed")
    assert browser.default_browser() == browser.FULL_CHROMIUM
    monkeypatch.setenv("BTC_CHROMIUM", "/opt/chromium/chrome")
    assert browser.default_browser() == Path("/opt/chromium/chrome")
    text = BASE.format(p12="env:T_P12").replace('output = "out"', 'output = "out"\nbrowser = "/usr/bin/chromium"')
    assert config.load(_inv(tmp_path, text)).browser == Path("/usr/bin/chromium")


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace('url = "https', 'url = "http'), "must start with https://"),
    (lambda t: t.replace('name = "bt1"', 'name = "bt 1"'), "name"),
    (lambda t: t + "[appliance.take]\nnsb = \"sometimes\"\n", "take.nsb"),
    (lambda t: t.replace("[appliance.secrets]", "[appliance.tls]\nca_file = \"a\"\ninsecure = true\n[appliance.secrets]"),
     "choose one TLS trust"),
    (lambda t: t + '[[appliance]]\nname = "bt1"\nurl = "https://x"\n', "unique"),
])
def test_bad_inventories(tmp_path: Path, mutate, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.load(_inv(tmp_path, mutate(BASE.format(p12="env:T_P12"))))


def test_secret_values_are_refused_in_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        config.load(_inv(tmp_path, BASE.format(p12="correct horse battery")))
    assert "inv.toml:7" in str(e.value) and "correct horse" not in str(e.value)


def test_sources_env_keyring_generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ring = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: ring)
    monkeypatch.setattr(keyring, "get_password", ring.get_password)
    monkeypatch.setattr(keyring, "set_password", ring.set_password)
    ring.set_password("bt", "login", "from-the-keyring")
    text = BASE.format(p12="generate:keyring").replace('"env:T_LOGIN"', '"keyring:bt/login"')
    a = config.load(_inv(tmp_path, text)).appliance[0]
    red = Redactor()
    values, refs = SecretSource(red, interactive=False).resolve(a, ["login_password", "p12_passphrase"])
    assert values["login_password"] == "from-the-keyring"
    assert len(values["p12_passphrase"]) >= 24
    where = {r.name: r.where for r in refs}
    assert where["login_password"] == "OS keyring bt/login"
    assert where["p12_passphrase"].startswith("OS keyring bt-capture/bt1/p12_passphrase/")
    stored = [v for (s, u), v in ring.store.items() if s == "bt-capture"]
    assert stored == [values["p12_passphrase"]]
    assert red.scrub(f"x {values['p12_passphrase']} y") == "x [redacted] y"


def test_missing_env_and_prompt_without_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T_LOGIN", raising=False)
    a = config.load(_inv(tmp_path, BASE.format(p12="prompt"))).appliance[0]
    with pytest.raises(ConfigError, match="environment variable T_LOGIN"):
        SecretSource(Redactor(), interactive=False).resolve(a, ["login_password"])
    with pytest.raises(ConfigError, match="no terminal"):
        SecretSource(Redactor(), interactive=False).resolve(a, ["p12_passphrase"])
    asked = SecretSource(Redactor(), interactive=True, prompt=lambda q: "typed-passphrase")
    values, refs = asked.resolve(a, ["p12_passphrase"])
    assert values["p12_passphrase"] == "typed-passphrase" and refs[0].where == "typed at the prompt"


def test_redactor_scrubs_every_form() -> None:
    r = Redactor()
    r.add("p@ss word/1", "abc")  # too short values are not scrubbed (they would eat ordinary words)
    assert r.scrub("x p@ss word/1 y") == "x [redacted] y"
    assert r.scrub("u=p%40ss%20word%2F1") == "u=[redacted]"
    assert r.scrub_obj({"a": ["p@ss word/1"]}) == {"a": ["[redacted]"]}
    assert r.scrub("abc") == "abc"
