"""The server's secrets: access tokens and its TLS certificate (docs/remote.md, "Security").

Everything lives in the server's configuration folder (``--config DIR``; default
``<user config dir>/hvlab/server``, platformdirs):

- ``tokens.json``: the SHA-256 of each access token and what it may do (``read-write`` or
  ``read-only``).  The tokens themselves are made on the first start and shown once; only
  their hashes are kept, so a copy of the folder does not let anyone in.
- ``server.crt`` / ``server.key``: a self-signed certificate (ECDSA P-256, ten years) for
  every name and address of this machine the server was told to answer on; the key file
  is readable by its owner only.

A client pins the certificate by its SHA-256 fingerprint (printed by the server at every
start), or trusts it on first use and remembers it (``known_servers.json`` in the client's
configuration folder); a certificate that changes afterwards is refused.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hvlab.engine import fileguard
from hvlab.engine.api import AccessDeniedError, HvError

TOKENS_FILE = "tokens.json"
CERT_FILE = "server.crt"
KEY_FILE = "server.key"
KNOWN_SERVERS_FILE = "known_servers.json"
#: Random bytes of a token (base64url: 43 characters).
TOKEN_BYTES = 32


class Access(StrEnum):
    """What a client may do."""

    READ_ONLY = "read-only"  # queries and streams only
    READ_WRITE = "read-write"  # also commands and the clock


def default_config_dir() -> Path:
    """``$HVLAB_CONFIG``/server, else ``<user config dir>/hvlab/server``."""
    override = os.environ.get("HVLAB_CONFIG")
    if override:
        return Path(override) / "server"
    import platformdirs

    return Path(platformdirs.user_config_dir("hvlab")) / "server"


def client_config_dir() -> Path:
    """Where a client remembers servers: ``$HVLAB_CONFIG``, else the user config dir."""
    override = os.environ.get("HVLAB_CONFIG")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("hvlab"))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only, replacing ``path`` in one step (through
    the engine's file guard, like every file the engine writes)."""
    fileguard.mkdir(path.parent, parents=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = fileguard.open_fd(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        fileguard.write_fd(fd, data, temporary)
        os.fsync(fd)
    finally:
        os.close(fd)
    fileguard.replace_file(temporary, path)
    fileguard.sync_folder(path.parent)


@dataclass
class Tokens:
    """The server's access tokens, by hash."""

    hashes: dict[str, Access]

    @classmethod
    def load_or_create(cls, folder: Path) -> tuple[Tokens, dict[Access, str]]:
        """The tokens in ``folder``; on the first start, new ones (returned in clear, to
        be shown once)."""
        path = folder / TOKENS_FILE
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                hashes = {str(h): Access(a) for h, a in data["tokens"].items()}
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                raise HvError(f'The server\'s token file "{path}" is damaged.',
                              ["Delete it to make new tokens (every client needs the new "
                               "ones)."]) from err
            return cls(hashes), {}
        new = {access: secrets.token_urlsafe(TOKEN_BYTES) for access in Access}
        tokens = cls({_digest(t): access for access, t in new.items()})
        tokens.save(folder)
        return tokens, new

    def save(self, folder: Path) -> None:
        data = {"tokens": {h: a.value for h, a in self.hashes.items()}}
        _write_private(folder / TOKENS_FILE, json.dumps(data, indent=1).encode())

    def access(self, token: str | None) -> Access | None:
        """What ``token`` may do; None for no token or an unknown one (compared in constant
        time)."""
        if not token:
            return None
        digest = _digest(token)
        found: Access | None = None
        for known, access in self.hashes.items():
            if hmac.compare_digest(known, digest):
                found = access
        return found


def _names(hosts: list[str]) -> list[str]:
    names = {"localhost", "127.0.0.1", "::1", socket.gethostname()}
    names.update(h for h in hosts if h and h not in ("0.0.0.0", "::"))
    return sorted(names)


def load_or_create_certificate(folder: Path, hosts: list[str]) -> tuple[Path, Path]:
    """The server's certificate and key files, made on the first start (see the module)."""
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"hvlab server on "
                                                              f"{socket.gethostname()}")])
    alternative: list[x509.GeneralName] = []
    for host in _names(hosts):
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alternative.append(x509.DNSName(host))
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def fingerprint(der: bytes) -> str:
    """A certificate's SHA-256 fingerprint as colon-separated hex (as browsers show it)."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def certificate_fingerprint(cert_path: Path) -> str:
    return fingerprint(ssl.PEM_cert_to_DER_cert(cert_path.read_text(encoding="ascii")))


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    # No TLS 1.3 session tickets: the clients never resume a session, and a ticket arrives
    # after the client's side of the handshake is done, while its reader thread and its
    # handshake thread use the one SSL object at once (the websockets sync client): that
    # race lost the client's upgrade request about once in 300 connections, and the
    # connection hung until the open timeout (tests/engine/test_remote_tls.py).
    context.num_tickets = 0
    return context


def client_context() -> ssl.SSLContext:
    """TLS without the CA check: the server's certificate is self-signed, and the client
    checks it by fingerprint instead (:class:`KnownServers`)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def normalise_fingerprint(text: str) -> str:
    hexdigits = text.replace(":", "").replace(" ", "").upper()
    if len(hexdigits) != 64 or any(c not in "0123456789ABCDEF" for c in hexdigits):
        raise HvError(f'"{text}" is not a SHA-256 certificate fingerprint.',
                      ["It is 64 hexadecimal digits, in pairs separated by colons, as the "
                       "server prints it when it starts."])
    return ":".join(hexdigits[i:i + 2] for i in range(0, 64, 2))


class KnownServers:
    """The certificates a client has trusted, by server address (trust on first use)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or client_config_dir()) / KNOWN_SERVERS_FILE

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def check(self, address: str, seen: str, pinned: str | None) -> None:
        """Accept the certificate ``seen`` at ``address``: it must be ``pinned`` when a
        fingerprint was given, else the one remembered (the first is remembered)."""
        if pinned is not None:
            if normalise_fingerprint(pinned) != seen:
                raise AccessDeniedError(
                    f"The certificate of the server at {address} is not the expected one.",
                    [f"Expected {normalise_fingerprint(pinned)}", f"Received {seen}"])
            return
        known = self._load()
        if address not in known:
            known[address] = seen
            _write_private(self.path, json.dumps(known, indent=1).encode())
            return
        if known[address] != seen:
            raise AccessDeniedError(
                f"The certificate of the server at {address} has changed since this "
                "computer first connected.",
                [f"Remembered {known[address]}", f"Received {seen}",
                 "If the server was reinstalled, give the new fingerprint with --fingerprint "
                 f"or remove the address from {self.path}."])
