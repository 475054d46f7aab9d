"""Rule download_source: one pinned real-data file, downloaded or copied from a mirror.

Fetches the file the registry (``resources/real_sources.yaml``) pins, from its
URL or from the offline mirror (config ``real_data.mirror``, else
``$GSA_REAL_DATA``), checks its format, size and sha256, moves it into place
atomically and writes ``<file>.manifest.json`` beside it. A 404, a corrupt or
truncated file or a checksum mismatch stops the job with the URL and the reason.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from pathlib import Path

from gsattn.download import RemoteFile, fetch, resolve_mirror
from gsattn.logs import rule_logging


def run(
    remote: dict,
    dest: str,
    mirror: str | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> Path:
    """Fetch the file described by ``remote`` (keys of :class:`RemoteFile`) to ``dest``.

    ``mirror`` is a folder laid out like ``../shared/data/real/``, or ``None`` to
    download. Returns the manifest's path (``<dest>.manifest.json``).
    """
    return fetch(RemoteFile(**remote), dest, mirror=mirror, timeout=timeout, retries=retries, backoff=backoff)


def main(smk) -> None:
    params = smk.params
    with rule_logging(smk.log[0], "download_source") as log:
        mirror = resolve_mirror(params.mirror)
        log.info("fetching %s %s", params.remote["url"], f"from the mirror {mirror}" if mirror else "")
        manifest = run(params.remote, smk.output.file, mirror, params.timeout, params.retries)
        if Path(manifest) != Path(smk.output.manifest):
            raise ValueError(f"the rule's manifest output {smk.output.manifest} is not {manifest}")


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
