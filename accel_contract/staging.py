"""Files being written (uploads, downloads): locked while their writer lives, swept
once it died.

A ``StagedFile`` is created under a name ``sweep`` ignores (``.new-*``), locked
(``flock``), then renamed to ``<prefix>*``; the lock is held until the writer
``close`` s it, which removes the file (a writer that wants to keep the bytes links
them elsewhere first). A process that is
killed loses its locks with it, so ``sweep`` (run when a service starts, or before a
new download) removes exactly the files no living writer holds: never one that is
being written by another worker or agent sharing the directory. Files left between
creation and locking (a crash within microseconds) are removed once they are old.

Standard library only (Linux and other POSIX systems with ``flock``).
"""

import contextlib
import fcntl
import os
import tempfile
import time

_NEW = ".new-"
#: Seconds after which an unlocked ``.new-*`` file is taken for a crash's leftover.
NEW_FILE_AGE = 60


class StagedFile:
    """A locked temporary file in ``directory``; ``file`` is open for writing."""

    def __init__(self, directory, prefix):
        fd, tmp = tempfile.mkstemp(prefix=_NEW, dir=directory)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.path = os.path.join(directory, prefix + os.path.basename(tmp)[len(_NEW):])
            os.rename(tmp, self.path)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self.file = os.fdopen(fd, "w+b")

    def close(self):
        """Remove the file and drop the lock (idempotent)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def sweep(directory, prefix):
    """Remove ``prefix*`` files no living writer holds (and old ``.new-*`` ones); returns
    the names removed. A missing directory holds nothing."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    removed = []
    for name in names:
        path = os.path.join(directory, name)
        if name.startswith(_NEW):
            with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
                if time.time() - os.stat(path).st_mtime > NEW_FILE_AGE and _unlocked(path):
                    os.unlink(path)
                    removed.append(name)
        elif name.startswith(prefix) and _unlocked(path, remove=True):
            removed.append(name)
    return removed


def _unlocked(path, remove=False):
    """True when nobody holds ``path``'s lock (and, with ``remove``, it was removed
    while this holds it, so no new writer can have taken it meanwhile)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except (FileNotFoundError, OSError):
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if remove:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError:  # another user's file in a shared directory
                return False
        return True
    finally:
        os.close(fd)
