"""Rule render_report: the study page, ``results/report/index.html``.

Reads only the tables and figures the phases wrote (``params.plan``, built by
``report_plan`` in ``common.smk`` from the same functions as ``rule all``), the
pinned-file registry (``resources/real_sources.yaml``) and the Jinja2 template
(``workflow/report/templates/index.html.j2``); writes one self-contained HTML file
(figures embedded as base64). Files of the plan that are absent are marked "not in
this run". Imports no torch.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging
import platform

import yaml

from gsattn import report as R
from gsattn.io import atomic_outputs
from gsattn.logs import rule_logging

log = logging.getLogger("render_report")


def run_facts(plan: dict, config: dict, sources: dict, used_sources: list[str]) -> dict:
    """The bottom of the page: config, seeds, device, JASPAR release, versions, provenance."""
    datasets = config.get("datasets", {})
    return {
        "config": yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=100),
        "seeds": list(config.get("seeds", [])),
        "dataset_seeds": {
            n: f"{d.get('seed', 'NA')}; {', '.join(map(str, d.get('seeds') or config.get('seeds', [])))}"
            for n, d in datasets.items()
        },
        "device": config.get("device", "NA"),
        "trained_on": R.training_devices(plan),
        "jaspar": R.jaspar_releases(plan),
        "python": platform.python_version(),
        "versions": R.package_versions(),
        "provenance": R.provenance_rows(sources, used_sources),
    }


def context(plan: dict, config: dict, sources: dict, used_sources: list[str]) -> dict:
    """Everything the template shows."""
    criteria = R.criteria_rows(plan)
    sections = R.sections(plan)
    nav = [{"id": "criteria", "title": "Criteria"}, {"id": "answers", "title": "Four questions"}]
    nav += [{"id": s["id"], "title": s["title"].split(":")[0]} for s in sections]
    nav.append({"id": "run", "title": "Run"})
    missing = R.missing_files(plan)
    for path in missing:
        log.info("not in this run: %s", path)
    return {
        "title": "genomic-sparse-attention: the study",
        "criteria": criteria,
        "answers": R.answers(criteria),
        "sections": sections,
        "nav": nav,
        "missing_count": len(missing),
        "run": run_facts(plan, config, sources, used_sources),
    }


def run(
    plan: dict, config: dict, sources_yaml: str, used_sources: list[str], template: str, output: str
) -> None:
    """Render the page of ``plan`` with ``template`` to ``output``."""
    with open(sources_yaml) as handle:
        sources = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    page = R.render_page(context(plan, config, sources, used_sources), template)
    with atomic_outputs(output) as (path,):
        path.write_text(page, encoding="utf-8")
    log.info("wrote %s (%d bytes)", output, len(page.encode()))


def main(smk) -> None:
    with rule_logging(smk.log[0], "render_report"):
        p = smk.params
        run(
            dict(p.plan),
            dict(p.config),
            smk.input.sources,
            list(p.sources),
            smk.input.template,
            smk.output.page,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
