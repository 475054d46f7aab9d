"""Which pinned files each published benchmark set is prepared from, and the config checks.

Standard library only: the rule files import it when the workflow is parsed
(``workflow/rules/common.smk``). The preparation itself is :mod:`gsattn.real`.

A *recipe* names a registered source (``resources/real_sources.yaml``), the
length every sequence of the set has, whether the set comes with a published
test split, and its files, each with the class it holds (``None``: read from a
column) and, for sets with a published split, the split it belongs to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gsattn.config import ConfigError


@dataclass(frozen=True)
class SourceFile:
    """One pinned file of a recipe.

    Attributes
    ----------
    name
        The file's name in the registry (its path under ``resources/real/<source>/``).
    tag
        Prefix of the IDs given to its sequences (``<tag>_<record number>``).
    label
        Class of every sequence in it, or ``None`` where a ``label`` column gives it.
    split
        ``train`` or ``test`` for a published split, ``None`` where the split is drawn.
    kind
        ``fasta``, or ``kmer_tsv`` (DNABERT: ``sequence<TAB>label``, the sequence
        written as overlapping k-mers).
    """

    name: str
    tag: str
    label: int | None
    split: str | None = None
    kind: str = "fasta"


@dataclass(frozen=True)
class Recipe:
    """A published set: its ``source`` in the registry, sequence ``length`` and ``files``."""

    source: str
    length: int
    published_test: bool
    files: tuple[SourceFile, ...]


def _bdgp(kind: str) -> tuple[SourceFile, ...]:
    return tuple(SourceFile(f"bdgp_negatives/{kind}-part{i}.300.fa", f"{kind}{i}", 0) for i in range(5))


RECIPES: dict[str, Recipe] = {
    # iEnhancer-2L layer 1: enhancer (1) vs non-enhancer (0), 200 bp; published train and
    # independent test (layer 2's strong/weak files are not used).
    "ienhancer2l": Recipe(
        "ienhancer2l",
        200,
        True,
        (
            SourceFile("original_enhancer_train.txt", "enhancer_train", 1, "train"),
            SourceFile("original_non_enhancer_train.txt", "non_enhancer_train", 0, "train"),
            SourceFile("original_enhancer_ind.txt", "enhancer_test", 1, "test"),
            SourceFile("original_non_enhancer_ind.txt", "non_enhancer_test", 0, "test"),
        ),
    ),
    # EPDnew human 006 promoters, -249..+50 (TATA set and every chr1 promoter) against
    # BDGP human CDS and intron fragments, 300 bp.
    "epd_promoters": Recipe(
        "epd_promoters",
        300,
        False,
        (
            SourceFile("human_TATA.fa", "tata", 1),
            SourceFile("human_promoters_chr1.fa", "chr1", 1),
            *_bdgp("cds"),
            *_bdgp("intron"),
        ),
    ),
    # DNABERT prom-core held-out file: 70 bp EPDnew core promoters against constructed
    # negatives, each row's overlapping 6-mers rebuilt into the sequence.
    "epd_core": Recipe("epd_core", 70, False, (SourceFile("dev.tsv", "core", None, None, "kmer_tsv"),)),
}


def recipe_paths(recipe: str) -> list[str]:
    """``resources/real/<source>/<file>`` of every file of ``recipe``, in recipe order."""
    spec = RECIPES[recipe]
    return [f"resources/real/{spec.source}/{f.name}" for f in spec.files]


def check_real_sets(sets: dict) -> None:
    """Raise :class:`ConfigError` for ``real_data.sets`` entries the schema cannot catch.

    A drawn split (recipes without a published test set) must sum to 1, and
    ``test: deduplicated`` needs a recipe with a published test set, and
    ``max_per_class`` one without.
    """
    for name, spec in sets.items():
        where = f"real_data.sets.{name}"
        recipe = RECIPES[spec["recipe"]]
        split = spec["split"]
        total = split["train"] + split["validation"] + split["test"]
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ConfigError(f"{where}.split: fractions sum to {total:g}, not 1")
        if spec["test"] == "deduplicated" and not recipe.published_test:
            raise ConfigError(
                f"{where}.test: 'deduplicated' drops published test sequences found in train, but recipe "
                f"{spec['recipe']!r} has no published test set (its split is drawn after de-duplication); "
                "remove the key"
            )
        if spec.get("max_per_class") is not None and recipe.published_test:
            raise ConfigError(
                f"{where}.max_per_class: recipe {spec['recipe']!r} has a published test split, which is "
                "kept whole; remove max_per_class"
            )
