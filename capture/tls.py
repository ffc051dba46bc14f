"""What certificate the appliance presents, checked against the configured trust before the browser starts."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
from datetime import timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from capture.config import Appliance
from capture.errors import TlsUntrusted, Unreachable
from capture.records import TlsInfo


def spki_b64(cert: x509.Certificate) -> str:
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def describe(der: bytes, host: str, port: int, trust: str) -> TlsInfo:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [str(n) for n in san.get_values_for_type(x509.DNSName)] + \
               [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    return TlsInfo(host=host, port=port, trust=trust, sha256=cert.fingerprint(hashes.SHA256()).hex(),
                   spki_sha256=spki_b64(cert), subject=cert.subject.rfc4514_string(),
                   issuer=cert.issuer.rfc4514_string(), sans=sans,
                   not_before=cert.not_valid_before_utc.astimezone(timezone.utc),
                   not_after=cert.not_valid_after_utc.astimezone(timezone.utc))


def client_context(app: Appliance) -> ssl.SSLContext:
    """The SSL context Python clients (probe, Backup API) use for this appliance."""
    mode = app.tls.mode
    if mode == "ca":
        try:
            return ssl.create_default_context(cafile=str(app.tls.ca_file))
        except (OSError, ssl.SSLError) as e:
            from capture.errors import ConfigError
            raise ConfigError(f"{app.name}: cannot load CA file {app.tls.ca_file}: {e}") from None
    if mode == "system":
        return ssl.create_default_context()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # pin: checked against the SPKI below; insecure: asked for
    return ctx


async def probe(app: Appliance, timeout: float = 15.0) -> TlsInfo:
    """Connect like the browser will, verify per the inventory, and describe the presented leaf."""
    host, port = app.host, app.port
    address = app.resolve or host
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(
            address, port, ssl=client_context(app), server_hostname=host), timeout)
    except ssl.SSLCertVerificationError as e:
        raise TlsUntrusted(f"{app.name}: the certificate of {host}:{port} is not trusted ({e.verify_message}); "
                           "give tls.ca_file or tls.pin, or --insecure") from None
    except (OSError, asyncio.TimeoutError) as e:
        raise Unreachable(f"{app.name}: cannot reach {host}:{port} at {address}: {e or 'timed out'}") from None
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    info = describe(der, host, port, app.tls.mode)
    if app.tls.mode == "pin" and info.spki_sha256 != app.tls.pin.removeprefix("sha256/"):
        raise TlsUntrusted(f"{app.name}: {host}:{port} presented a key that does not match tls.pin")
    return info
