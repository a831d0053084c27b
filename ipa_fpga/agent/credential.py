"""accel-api's credential for this host's JSON-RPC, kept hashed.

When the agent registers (as its host's own principal), accel-api answers the
credential it will use for this host (``rpc_credential``: a user and a password
derived for this host alone). The agent keeps only a bcrypt hash of it, in the htpasswd
file ironic-lib's JSON-RPC server checks every call against (``[json_rpc]
http_basic_auth_user_file``; the server re-reads it each call). The file holds that one
entry: any other credential — another host's, an old one — is refused.
"""

import contextlib
import logging
import os
import re
import tempfile

import bcrypt

LOG = logging.getLogger(__name__)
_USER = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
#: The password has 256 bits of entropy: bcrypt's cost only guards the file's reuse.
ROUNDS = 4


class BadCredential(ValueError):
    """accel-api's answer did not carry a usable credential."""


def ensure_file(path):
    """The file exists (empty: every call refused until the first registration)."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)


def _current(path, username, password):
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return False
    if len(lines) != 1 or not lines[0].startswith(f"{username}:"):
        return False
    hashed = lines[0].split(":", 1)[1].encode()
    try:
        return bcrypt.checkpw(password.encode(), hashed)
    except ValueError:
        return False


def store(path, credential):
    """Keep the hash of ``credential`` ({"username", "password"}); True when it changed."""
    if not isinstance(credential, dict):
        raise BadCredential("rpc_credential is not an object")
    username, password = credential.get("username"), credential.get("password")
    if not isinstance(username, str) or not _USER.match(username):
        raise BadCredential("rpc_credential has no usable username")
    if not isinstance(password, str) or not 16 <= len(password) <= 72:
        raise BadCredential("rpc_credential has no usable password")
    if _current(path, username, password):
        return False
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(ROUNDS)).decode()
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".json-rpc-htpasswd-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{username}:{hashed}\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    LOG.info("stored accel-api's JSON-RPC credential for this host (hashed) in %s", path)
    return True
