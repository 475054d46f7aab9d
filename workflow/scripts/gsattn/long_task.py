"""The long-sequence task's data set entry and its models (standard library only).

The rule files import it when the workflow is parsed; the models and measurements are
in :mod:`gsattn.long`.
"""

from __future__ import annotations

from gsattn.config import ConfigError

#: Models of the comparison, in table and legend order.
LONG_MODELS = ("attention", "sparse", "cnn")


def long_spec(base: dict, length: int, n_sequences: int) -> dict:
    """The synthetic data set entry of the long task at ``length``.

    ``base`` (a validated ``type: synthetic`` entry) with ``length`` and
    ``n_sequences`` replaced and positions drawn uniformly (``position: {mode:
    uniform}``); motifs, decoys, class rule, background, noise, split and seed stay.
    """
    position = dict(base["position"]) | {"mode": "uniform"}
    return base | {"length": int(length), "n_sequences": int(n_sequences), "position": position}


def base_dataset(datasets: dict, base: str | None) -> str | None:
    """The synthetic data set the long task reuses: ``base``, or the first synthetic one.

    Returns None where ``base`` is None and no data set is synthetic (the task is then
    off). Raises :class:`~gsattn.config.ConfigError` when ``base`` names no synthetic
    data set.
    """
    synthetic = [name for name, spec in datasets.items() if spec["type"] == "synthetic"]
    if base is None:
        return synthetic[0] if synthetic else None
    if base not in synthetic:
        raise ConfigError(
            f"long_sequences.base: {base!r} is not a synthetic data set of `datasets` "
            f"(synthetic: {', '.join(synthetic) or 'none'}); name one, or use null"
        )
    return base
