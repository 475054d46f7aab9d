"""The Phase 2 teachers and the sparse-student fields each implies.

Standard library only: the rule files import it when the workflow is parsed.
"""

from __future__ import annotations

TEACHERS = ("attention", "joint_pipeline")
"""Phase 2 teachers: Phase 1's reference attention model or Phase 3's joint pipeline."""


def pipeline_fields(pipeline: dict) -> dict:
    """:class:`gsattn.sparse.SparseConfig` fields of a joint-pipeline teacher.

    Parameters
    ----------
    pipeline
        The joint pipeline's sizes (config ``phase3.pipeline`` or the ``pipeline``
        entry of its ``hparams.json``): ``d_model``, ``compressed``, ``hidden``.

    Returns
    -------
    dict
        ``teacher``, ``d_model``, ``out_dim`` (the compressed width the student
        reproduces) and ``head_hidden`` (the frozen head's hidden width).
    """
    return {
        "teacher": "joint_pipeline",
        "d_model": pipeline["d_model"],
        "out_dim": pipeline["compressed"],
        "head_hidden": pipeline["hidden"],
    }


def profile_fields(teacher: str, pipeline: dict) -> dict:
    """The :class:`~gsattn.sparse.SparseConfig` fields ``teacher`` implies for the
    compute profile of an untrained student: none for attention (the schema's
    sizes), :func:`pipeline_fields` for the joint pipeline."""
    if teacher == "attention":
        return {}
    if teacher == "joint_pipeline":
        return pipeline_fields(pipeline)
    raise ValueError(f"unknown Phase 2 teacher {teacher!r} (one of {', '.join(TEACHERS)})")
