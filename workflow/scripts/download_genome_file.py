"""Rule download_genome_file: one chromosome, md5 list or anchor file of config/genome.yaml.

Downloads the file with the checked chain of :mod:`gsattn.download` (streamed,
retried, format-checked, renamed atomically, manifest beside it). A chromosome
is checked against the md5 the config gives, else the one UCSC publishes in
``md5sum.txt`` (the rule's ``md5_list`` input); an anchor file against the
config's sha256 / md5 when given. A 404, a corrupt or truncated file or a
checksum mismatch stops the job with the URL and the reason.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from pathlib import Path

from gsattn.download import PublishedFile, fetch, published_md5
from gsattn.logs import rule_logging


def run(
    remote: dict,
    dest: str,
    md5_list: str | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> Path:
    """Fetch ``remote`` (keys of :class:`PublishedFile`, plus ``uses_md5_list``) to ``dest``.

    With ``md5_list`` (an md5sum listing) the file's md5 is the one listed for
    the last part of its URL. Returns the manifest's path.
    """
    fields = {k: v for k, v in remote.items() if k != "uses_md5_list"}
    if md5_list:
        fields["md5"] = published_md5(md5_list, remote["url"].rsplit("/", 1)[-1])
    return fetch(PublishedFile(**fields), dest, timeout=timeout, retries=retries, backoff=backoff)


def main(smk) -> None:
    params = smk.params
    with rule_logging(smk.log[0], "download_genome_file") as log:
        md5_list = smk.input.get("md5_list") or None
        log.info("fetching %s%s", params.remote["url"], f" (md5 from {md5_list})" if md5_list else "")
        manifest = run(params.remote, smk.output.file, md5_list, params.timeout, params.retries)
        if Path(manifest) != Path(smk.output.manifest):
            raise ValueError(f"the rule's manifest output {smk.output.manifest} is not {manifest}")


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
