"""Downloads that can be trusted: streamed, retried, checked, renamed atomically.

A file is fetched from its URL, or copied from an offline mirror (a folder laid
out as ``<mirror>/<mirror path>``), into a temporary file beside the
destination. It is then checked (the transfer is complete, the first bytes fit
the declared format, the size and the sha256 are the pinned ones) and only then
hard-linked into place, so a failed or interrupted download never leaves a
partial file and never replaces a good one. A manifest (URL, UTC date, size,
sha256, source) is written next to it.

Connection errors, time-outs, HTTP 5xx/429 and truncated transfers are retried
with exponential back-off; a 4xx (404, 403), a wrong format, size or checksum
stop at once with :class:`~gsattn.io.InputError` naming the URL and the reason.

A :class:`PublishedFile` is pinned by an md5 instead of (or beside) a sha256: the
md5 a host publishes (UCSC's ``md5sum.txt``, read with :func:`published_md5`) or
one a config gives. One pinned with neither is only checked for its format, and
its sha256 is written to the manifest for the user to pin.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import logging
import os
import shutil
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gsattn.io import GZIP_MAGIC, InputError, atomic_outputs

log = logging.getLogger(__name__)

MIRROR_ENV = "GSA_REAL_DATA"
CHUNK = 1 << 16
FORMATS = ("fasta", "tsv", "csv", "text", "gzip")
_MARKUP = {b"<!doctype": "an HTML page", b"<html": "an HTML page", b"<?xml": "an XML document"}
_SUFFIX_FORMATS = {".gz": "gzip", ".fa": "fasta", ".fasta": "fasta", ".fna": "fasta", ".tsv": "tsv"}
_SUFFIX_FORMATS |= {".csv": "csv"}


@dataclass(frozen=True)
class RemoteFile:
    """One pinned file: where it comes from and what it must be.

    Attributes
    ----------
    url
        Where to download it (pinned to a commit where the host allows).
    sha256
        Expected sha256, 64 lower-case hex digits.
    size
        Expected size in bytes, or ``None`` to skip the size check.
    format
        Declared content, one of :data:`FORMATS`; ``None`` infers it from the
        URL's suffix (``text`` when the suffix is unknown).
    mirror_path
        Path of the file inside an offline mirror folder, or ``None`` if no
        mirror holds it.
    """

    url: str
    sha256: str
    size: int | None = None
    format: str | None = None
    mirror_path: str | None = None

    @property
    def kind(self) -> str:
        """The declared format, or the one the URL's suffix implies."""
        if self.format is not None:
            return self.format
        return _SUFFIX_FORMATS.get(Path(self.url.split("?")[0]).suffix.lower(), "text")


@dataclass(frozen=True)
class PublishedFile(RemoteFile):
    """A :class:`RemoteFile` pinned by an ``md5`` (32 lower-case hex digits) as well as,
    or instead of, a ``sha256`` (``None``); with neither, only the format is checked."""

    sha256: str | None = None
    md5: str | None = None


def _pins(remote: RemoteFile) -> dict[str, str]:
    """The checksums ``remote`` pins, algorithm → expected hex digest."""
    pins = {"sha256": remote.sha256, "md5": getattr(remote, "md5", None)}
    return {algorithm: digest for algorithm, digest in pins.items() if digest}


def digest_of(path: str | os.PathLike, algorithm: str) -> str:
    """The ``algorithm`` (a :mod:`hashlib` name) hex digest of the file at ``path``."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def published_md5(md5_list: str | os.PathLike, name: str) -> str:
    """The md5 of file ``name`` in an ``md5sum`` listing (``<md5>  <name>`` per line, UCSC's ``md5sum.txt``).

    Raises
    ------
    InputError
        Naming the listing and the line when a line is malformed, or the
        listing when ``name`` is not in it.
    """
    with open(md5_list) as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 2 or len(fields[0]) != 32 or set(fields[0].lower()) - set("0123456789abcdef"):
                raise InputError(
                    md5_list, lineno, "expected '<32 hex digits md5>  <file name>' (md5sum format)"
                )
            if fields[1].lstrip("*./") == name:
                return fields[0].lower()
    raise InputError(md5_list, None, f"lists no md5 for {name!r}; check the file name or the listing's URL")


class _Transient(Exception):
    """A failure worth retrying (connection, time-out, 5xx, truncated transfer)."""


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 hex digest of the file at ``path``, read in chunks."""
    return digest_of(path, "sha256")


def resolve_mirror(
    configured: str | os.PathLike | None, environ: Mapping[str, str] = os.environ
) -> Path | None:
    """The offline mirror folder: the configured one, else ``$GSA_REAL_DATA``, else ``None``."""
    chosen = configured or environ.get(MIRROR_ENV) or None
    return Path(chosen) if chosen else None


def format_problem(head: bytes, kind: str) -> str | None:
    """Why the first bytes ``head`` of a file do not fit format ``kind`` (``None`` if they do).

    An HTML or XML page (an error, login or quota page saved in place of the
    data) is refused for every format; gzip must start with ``1f 8b``; FASTA with
    ``>`` (after blank space); text formats must hold no NUL byte.
    """
    if kind not in FORMATS:
        raise ValueError(f"unknown format {kind!r}; expected one of {FORMATS}")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for marker, what in _MARKUP.items():
        if start.startswith(marker):
            return f"is {what}, not {kind} data (an error or login page saved instead of the file?)"
    if kind == "gzip":
        return None if head.startswith(GZIP_MAGIC) else "is not gzip-compressed (no 1f 8b magic bytes)"
    if not start:
        return "is empty"
    if b"\x00" in head:
        return f"holds binary data (a NUL byte), not {kind} text"
    if kind == "fasta" and not start.startswith(b">"):
        return "is not FASTA (does not start with '>')"
    return None


def _gzip_problem(path: Path) -> str | None:
    """Why the gzip file ``path`` cannot be read to its end (``None`` if it can)."""
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(CHUNK):
                pass
    except EOFError:
        return "the gzip data ends early (truncated)"
    except (OSError, zlib.error) as err:
        return f"the gzip data is corrupt ({err})"
    return None


def check_file(path: Path, remote: RemoteFile, origin: str) -> str:
    """Check a fetched file against ``remote``; return its sha256.

    Raises
    ------
    InputError
        Naming ``origin`` (the URL or mirror file) and the reason: wrong format,
        a gzip file that does not decompress, wrong size, wrong sha256.
    """
    with open(path, "rb") as handle:
        head = handle.read(512)
    problem = format_problem(head, remote.kind)
    if problem is None and remote.kind == "gzip":
        problem = _gzip_problem(path)
    if problem:
        raise InputError(origin, None, problem)
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        raise InputError(origin, None, f"size is {size} bytes, expected {remote.size}")
    digest = sha256_of(path)
    for algorithm, expected in _pins(remote).items():
        got = digest if algorithm == "sha256" else digest_of(path, algorithm)
        if got != expected:
            raise InputError(origin, None, f"{algorithm} is {got}, expected {expected} (checksum mismatch)")
    if not _pins(remote):
        log.warning("%s: no checksum pinned; sha256 %s recorded in the manifest", origin, digest)
    return digest


def _stream(response, handle) -> int:
    """Copy ``response`` to ``handle`` in chunks; the number of bytes copied."""
    total = 0
    while block := response.read(CHUNK):
        handle.write(block)
        total += len(block)
    return total


def fetch_once(url: str, tmp: Path, timeout: float) -> None:
    """One download attempt of ``url`` into ``tmp``.

    Raises
    ------
    InputError
        On an HTTP 4xx other than 408/429 (not worth retrying).
    _Transient
        On a connection error, a time-out, HTTP 5xx/408/429 or a transfer
        shorter than its ``Content-Length``.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "genomic-sparse-attention"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as handle:
            expected = response.headers.get("Content-Length")
            got = _stream(response, handle)
    except urllib.error.HTTPError as err:
        if err.code >= 500 or err.code in (408, 429):
            raise _Transient(f"HTTP {err.code} {err.reason}") from None
        raise InputError(
            url, None, f"HTTP {err.code} {err.reason}: the file is not there (not retried)"
        ) from None
    except http.client.IncompleteRead as err:
        raise _Transient(f"truncated: the transfer stopped after {len(err.partial)} bytes") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError, http.client.HTTPException) as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise _Transient(f"timed out after {timeout:g} s") from None
        raise _Transient(f"connection failed ({reason})") from None
    if expected is not None and got != int(expected):
        raise _Transient(f"truncated: got {got} of the {expected} bytes announced (Content-Length)")


def download_with_retries(
    url: str,
    tmp: Path,
    *,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Download ``url`` into ``tmp``, retrying transient failures ``retries`` times.

    The wait before retry ``i`` (0-based) is ``backoff * 2**i`` seconds.

    Raises
    ------
    InputError
        At once on a permanent failure (4xx); after the last attempt on a
        transient one, naming the URL, the attempts and the last reason.
    """
    for attempt in range(retries + 1):
        try:
            fetch_once(url, tmp, timeout)
            return
        except _Transient as err:
            if attempt == retries:
                raise InputError(url, None, f"download failed after {retries + 1} attempts: {err}") from None
            wait = backoff * 2**attempt
            log.warning("%s: %s; retrying in %.3g s (%d/%d)", url, err, wait, attempt + 1, retries)
            sleep(wait)


def _link_into_place(tmp: Path, dest: Path) -> None:
    """Move ``tmp`` to ``dest`` atomically without ever replacing an existing ``dest``."""
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise InputError(dest, None, "appeared while downloading; not overwritten") from None
    except OSError:  # a file system without hard links
        if dest.exists():
            raise InputError(dest, None, "appeared while downloading; not overwritten") from None
        os.replace(tmp, dest)


def manifest_path(dest: str | os.PathLike) -> Path:
    """Where the manifest of ``dest`` goes: ``<dest>.manifest.json``."""
    dest = Path(dest)
    return dest.with_name(f"{dest.name}.manifest.json")


def write_manifest(dest: Path, remote: RemoteFile, digest: str, source: str) -> Path:
    """Write ``<dest>.manifest.json`` (URL, UTC date, size, sha256, source) atomically."""
    record = {
        "file": dest.name,
        "url": remote.url,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "size": dest.stat().st_size,
        "sha256": digest,
        "source": source,
    }
    if getattr(remote, "md5", None):
        record["md5"] = remote.md5
    path = manifest_path(dest)
    with atomic_outputs(path) as (tmp,):
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    return path


def _existing(dest: Path, remote: RemoteFile) -> bool:
    """``True`` if ``dest`` already holds the right file; stop if it holds another."""
    if not dest.exists():
        return False
    for algorithm, expected in _pins(remote).items():
        digest = digest_of(dest, algorithm)
        if digest != expected:
            raise InputError(
                dest,
                None,
                f"already exists with {algorithm} {digest}, expected {expected} for {remote.url}; "
                "not overwritten: move or delete it and run again",
            )
    log.info("%s: already present with the pinned checksum; not fetched again", dest)
    return True


def _from_mirror(remote: RemoteFile, mirror: Path, tmp: Path) -> tuple[str, str]:
    """Copy ``remote``'s file from ``mirror`` into ``tmp``; return (origin, manifest source)."""
    if remote.mirror_path is None:
        raise InputError(mirror, None, f"no mirror path is known for {remote.url}")
    src = mirror / remote.mirror_path
    if not src.is_file():
        raise InputError(src, None, f"not in the offline mirror {mirror} (needed for {remote.url})")
    shutil.copyfile(src, tmp)
    return f"{src} (mirror of {remote.url})", f"mirror: {src}"


def fetch(
    remote: RemoteFile,
    dest: str | os.PathLike,
    *,
    mirror: str | os.PathLike | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> Path:
    """Put the checked file ``remote`` at ``dest`` and write its manifest.

    Parameters
    ----------
    remote
        The pinned file (URL, sha256, size, format, mirror path).
    dest
        Destination path; its folder is created.
    mirror
        An offline mirror folder: copy ``<mirror>/<remote.mirror_path>`` instead
        of downloading. ``None`` downloads (see :func:`resolve_mirror` for the
        config / ``$GSA_REAL_DATA`` choice).
    timeout, retries, backoff
        Seconds per attempt, extra attempts, first back-off wait in seconds.

    Returns
    -------
    Path
        The manifest's path. An existing ``dest`` with the pinned sha256 is kept
        as it is (its manifest written only if missing).

    Raises
    ------
    InputError
        Naming the URL (or mirror file) and the reason; no partial file is left.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if _existing(dest, remote):
        done = manifest_path(dest)
        return done if done.exists() else write_manifest(dest, remote, sha256_of(dest), "existing file")
    tmp = dest.with_name(f".{dest.name}.part{os.getpid()}")
    try:
        if mirror is not None:
            origin, source = _from_mirror(remote, Path(mirror), tmp)
        else:
            download_with_retries(remote.url, tmp, timeout=timeout, retries=retries, backoff=backoff)
            origin, source = remote.url, "download"
        digest = check_file(tmp, remote, origin)
        _link_into_place(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("%s: %d bytes from %s, sha256 %s", dest, dest.stat().st_size, origin, digest)
    return write_manifest(dest, remote, digest, source)
