"""One secret (a push token, a notification URL, a signing key) from its source: env:NAME or keyring:SERVICE/USER."""
from __future__ import annotations

import os
import re

from capture.errors import ConfigError

SOURCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|keyring:[^/]+/.+)$")


def is_source(text: str) -> bool:
    return bool(SOURCE.match(text))


def read(source: str, what: str) -> str:
    """The secret itself, or one clear ConfigError naming where it was looked for (never the value)."""
    if source.startswith("env:"):
        value = os.environ.get(source[4:])
        if not value:
            raise ConfigError(f"{what}: environment variable {source[4:]} is not set")
        return value
    if source.startswith("keyring:"):
        from capture.secrets import SecretSource

        service, _, user = source[8:].partition("/")
        value = SecretSource._keyring().get_password(service, user)
        if not value:
            raise ConfigError(f"{what}: nothing in the OS keyring under {service}/{user}")
        return value
    raise ConfigError(f"{what}: {source!r} is not env:NAME or keyring:SERVICE/USER")
