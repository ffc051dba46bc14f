"""Secrets from the environment, the OS keyring, a prompt, or generated: never from argv or the inventory."""
from __future__ import annotations

import getpass
import os
import secrets as pysecrets
import sys
from datetime import datetime, timezone
from typing import Callable

from capture.config import Appliance
from capture.errors import ConfigError
from capture.records import SecretRef
from capture.redact import MIN_LEN, Redactor

KEYRING_SERVICE = "bt-capture"


def _tty_write(text: str) -> bool:
    try:
        with open("/dev/tty", "w") as tty:
            tty.write(text)
        return True
    except OSError:
        return False


def _check_totp(app: str, value: str, where: str) -> None:
    import binascii

    from flows.auth import totp_now

    try:
        totp_now(value)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{app}: totp_secret from {where} is not a base32 TOTP secret") from None


class SecretSource:
    """Resolves the secrets one appliance needs, up front, so a missing one stops the run before it starts."""

    def __init__(self, redactor: Redactor, *, interactive: bool | None = None,
                 prompt: Callable[[str], str] | None = None) -> None:
        self.redactor = redactor
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.prompt = prompt or getpass.getpass

    def resolve(self, app: Appliance, needed: list[str]) -> tuple[dict[str, str], list[SecretRef]]:
        values: dict[str, str] = {}
        refs: list[SecretRef] = []
        for name in needed:
            source = getattr(app.secrets, name)
            value, where = self._one(app, name, source)
            if value is None:
                continue
            if name == "totp_secret":
                _check_totp(app.name, value, where)
            elif len(value) < MIN_LEN:
                raise ConfigError(f"{app.name}: {name} from {where} is shorter than {MIN_LEN} characters")
            self.redactor.add(value)
            values[name] = value
            refs.append(SecretRef(name=name, where=where))
        return values, refs

    def _one(self, app: Appliance, name: str, source: str) -> tuple[str | None, str]:
        if source == "none":
            return None, "not set"
        if source.startswith("env:"):
            var = source[4:]
            value = os.environ.get(var)
            if not value:
                raise ConfigError(f"{app.name}: environment variable {var} ({name}) is not set")
            return value, f"environment variable {var}"
        if source.startswith("keyring:"):
            service, _, user = source[8:].partition("/")
            value = self._keyring().get_password(service, user)
            if not value:
                raise ConfigError(f"{app.name}: no {name} in the OS keyring under {service}/{user}")
            return value, f"OS keyring {service}/{user}"
        if source == "prompt":
            if name == "totp_secret":
                return None, "a code typed at the prompt"
            if not self.interactive:
                raise ConfigError(f"{app.name}: {name} is set to prompt, but there is no terminal to ask on")
            return self.prompt(f"{app.name} {name.replace('_', ' ')}: "), "typed at the prompt"
        # generate / generate:keyring: a strong passphrase for the files bt-capture writes.
        if name not in ("p12_passphrase", "backup_password", "vault_key_password"):
            raise ConfigError(f"{app.name}: {name} cannot be generated; only file passphrases can")
        value = pysecrets.token_urlsafe(24)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        if source == "generate:keyring":
            user = f"{app.name}/{name}/{stamp}"
            self._keyring().set_password(KEYRING_SERVICE, user, value)
            return value, f"OS keyring {KEYRING_SERVICE}/{user} (generated)"
        if not _tty_write(f"bt-capture: generated {name} for {app.name} (shown once, keep it safe): {value}\n"):
            raise ConfigError(f"{app.name}: {name} = generate needs a terminal to show it once; use generate:keyring")
        return value, f"generated and shown once on the terminal at {stamp}"

    @staticmethod
    def _keyring():  # imported lazily: keyring probes backends at import
        import keyring
        from keyring.errors import NoKeyringError

        try:
            keyring.get_keyring().priority  # noqa: B018 - raises when there is no usable backend
        except NoKeyringError:
            raise ConfigError("no OS keyring is available on this machine") from None
        if type(keyring.get_keyring()).__name__ == "Keyring" and "fail" in type(keyring.get_keyring()).__module__:
            raise ConfigError("no OS keyring is available on this machine")
        return keyring
