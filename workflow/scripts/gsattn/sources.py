"""The registry of pinned real-data files (``resources/real_sources.yaml``).

The registry maps a source name (``ienhancer2l``, ``epd_promoters``,
``epd_core``) to its files; each file has a URL pinned to a commit of the
repository it comes from, its sha256 and size, its format and its path inside
an offline mirror laid out like ``../shared/data/real/``. It is read with
``yaml.safe_load`` and checked here, so a typo stops the workflow with the file
and the key at fault.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path, PurePosixPath

import yaml

from gsattn.download import FORMATS, RemoteFile
from gsattn.io import InputError

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9_]+")
_FILE_KEYS = {"url", "sha256", "size", "format", "mirror"}


def _relative(value: object) -> bool:
    """``True`` for a relative POSIX path that stays inside its folder."""
    if not isinstance(value, str) or not value:
        return False
    path = PurePosixPath(value)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in value


def _check_file(where: str, path: str | os.PathLike, spec: object) -> RemoteFile:
    """One file entry as a :class:`RemoteFile`; :class:`InputError` naming ``where`` otherwise."""
    if not isinstance(spec, dict):
        raise InputError(path, None, f"{where}: expected a mapping with keys {sorted(_FILE_KEYS)}")
    missing, unknown = _FILE_KEYS - set(spec), set(spec) - _FILE_KEYS
    if missing or unknown:
        raise InputError(
            path, None, f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}"
        )
    if not isinstance(spec["url"], str) or not spec["url"].startswith(("https://", "http://")):
        raise InputError(path, None, f"{where}.url: {spec['url']!r} is not an http(s) URL")
    if not isinstance(spec["sha256"], str) or not _SHA256.fullmatch(spec["sha256"]):
        raise InputError(path, None, f"{where}.sha256: {spec['sha256']!r} is not 64 lower-case hex digits")
    if not isinstance(spec["size"], int) or isinstance(spec["size"], bool) or spec["size"] <= 0:
        raise InputError(path, None, f"{where}.size: {spec['size']!r} is not a positive integer")
    if spec["format"] not in FORMATS:
        raise InputError(path, None, f"{where}.format: {spec['format']!r} is not one of {FORMATS}")
    if not _relative(spec["mirror"]):
        raise InputError(
            path, None, f"{where}.mirror: {spec['mirror']!r} is not a relative path inside the mirror"
        )
    return RemoteFile(spec["url"], spec["sha256"], spec["size"], spec["format"], spec["mirror"])


def _check_source(name: object, path: str | os.PathLike, spec: object) -> dict[str, RemoteFile]:
    """The files of source ``name`` (file name → :class:`RemoteFile`)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(path, None, f"sources.{name}: a source name is letters, digits and '_'")
    if not isinstance(spec, dict) or set(spec) - {"description", "files"} or "files" not in spec:
        raise InputError(path, None, f"sources.{name}: expected the keys 'description' and 'files'")
    files = spec["files"]
    if not isinstance(files, dict) or not files:
        raise InputError(path, None, f"sources.{name}.files: expected a non-empty mapping of file names")
    out = {}
    for file, entry in files.items():
        if not _relative(file):
            raise InputError(path, None, f"sources.{name}.files: {file!r} is not a relative file path")
        out[file] = _check_file(f"sources.{name}.files.{file}", path, entry)
    return out


def load_sources(path: str | os.PathLike) -> dict[str, dict[str, RemoteFile]]:
    """Read and check the registry at ``path``.

    Returns
    -------
    dict
        Source name → file name (the path under ``resources/real/<source>/``)
        → :class:`~gsattn.download.RemoteFile`, in file order.

    Raises
    ------
    InputError
        Naming ``path`` and the key: not YAML, no ``sources`` mapping, a missing
        or unknown key, a malformed URL, sha256, size, format or path.
    """
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as err:
        raise InputError(path, None, f"is not valid YAML ({err})") from None
    if not isinstance(data, dict) or set(data) != {"sources"} or not isinstance(data["sources"], dict):
        raise InputError(path, None, "expected one top-level key 'sources' holding a mapping")
    return {name: _check_source(name, path, spec) for name, spec in data["sources"].items()}


def remote_params(sources: dict[str, dict[str, RemoteFile]], source: str, file: str) -> dict:
    """The ``remote`` params of rule ``download_source`` for one file (plain values only)."""
    return dataclasses.asdict(sources[source][file])


def names_regex(names) -> str:
    """A wildcard constraint matching exactly one of ``names`` (never anything when empty)."""
    names = sorted(names, key=len, reverse=True)
    return "|".join(re.escape(n) for n in names) if names else "(?!)"
