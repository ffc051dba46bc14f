"""The few named failures, each mapped to one exit code by the CLI."""
from __future__ import annotations


class CaptureError(Exception):
    """Base: a clear one-line message, never a traceback for the user."""

    exit_code = 1


class ConfigError(CaptureError):
    """Bad inventory, bad option, missing secret, unwritable output: exit 2."""

    exit_code = 2


class LoginFailed(CaptureError):
    """Credentials refused, 2FA failed, or the appliance could not be reached: exit 3."""

    exit_code = 3


class Unreachable(LoginFailed):
    pass


class TlsUntrusted(LoginFailed):
    pass


class BrowserMissing(ConfigError):
    pass


class NavigationError(CaptureError):
    """A page did not show what its flow expects (wrong page, error page, timeout)."""


class EmptyPage(NavigationError):
    """The page loaded but never showed the values its entry says it must (flows.base.Page.values)."""


class SessionBounced(CaptureError):
    """The appliance answered with its login page: the session expired."""


class UnsafeClick(CaptureError):
    """A flow tried to click a control that changes the appliance."""


class BlockedRequest(CaptureError):
    """The read-only guard stopped a request."""


class DownloadError(CaptureError):
    """A backup, key or certificate download failed or returned an error body."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient  # a dropped connection or a server error: worth another try
