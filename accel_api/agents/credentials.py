"""Per-host secrets derived from ``[agent_rpc] credential_secret`` (HMAC-SHA256).

* ``rpc_password(secret, host)``: the password accel-api uses for host ``host``'s agent
  JSON-RPC (user ``[agent_rpc] username``). accel-api hands it to that host's agent when
  the agent registers (authenticated as the host's own principal); the agent keeps only
  a bcrypt hash of it, in its JSON-RPC htpasswd file. Every host's differs, so a password
  taken from one host (or sent to a wrong endpoint) opens no other host's agent. Derived,
  not stored: every accel-api worker and node computes it; changing the secret rotates
  all of them (each agent learns its new one at its next registration).
* ``download_signature``: a job's bitstream URL carries a signature naming the host and
  the bitstream, so an agent principal downloads only what a job sent to its host asks.
"""

import base64
import hashlib
import hmac
import time


def _mac(secret, *parts):
    message = b"\0".join(str(p).encode("utf-8", "surrogatepass") for p in parts)
    return hmac.digest(secret.encode(), message, hashlib.sha256)


def rpc_password(secret, hostname):
    return base64.urlsafe_b64encode(_mac(secret, "agent-rpc", hostname)).decode().rstrip("=")


def download_signature(secret, hostname, bitstream_uuid, expires):
    return _mac(secret, "download", hostname, bitstream_uuid, int(expires)).hex()


def download_query(secret, hostname, bitstream_uuid, lifetime):
    """Query string for a job's download URL, valid ``lifetime`` seconds."""
    expires = int(time.time()) + int(lifetime)
    sig = download_signature(secret, hostname, bitstream_uuid, expires)
    return f"expires={expires}&sig={sig}"


def check_download(secret, hostname, bitstream_uuid, expires, sig):
    """True when ``sig`` was made for this host and bitstream and has not expired."""
    try:
        expires = int(expires)
    except (TypeError, ValueError):
        return False
    if not secret or not sig or expires < time.time():
        return False
    want = download_signature(secret, hostname, bitstream_uuid, expires)
    return hmac.compare_digest(want, str(sig))
