"""Seeded parameter initialisation without touching torch's global random state.

``nn.Module`` constructors draw their initial weights from torch's global CPU
generator and cannot be handed a ``torch.Generator``. :func:`seeded` gives a
block its own stream instead: inside it the global CPU generator is seeded
with ``seed`` (the stream of ``torch.Generator().manual_seed(seed)``, so the
weights equal those after ``torch.manual_seed(seed)``), and on leaving it the
previous global state is restored (``torch.random.fork_rng``). Every other
draw of the package takes an explicit generator: ``torch.Generator`` for
batch order and augmentation (:mod:`gsattn.train`) and example inputs
(:mod:`gsattn.inference`), ``numpy.random.default_rng`` for data, splits,
bootstraps and nulls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Draws from torch's global CPU generator inside the block start from ``seed``.

    Only the CPU generator is forked and seeded (modules are built on the
    CPU); CUDA generators are not touched.
    """
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(int(seed))
        yield


def data_seed(dataset_seed: int, model_seed: int) -> int:
    """The seed of model seed ``model_seed``'s own draw of a data set (``data_seeds: true``).

    ``numpy.random.SeedSequence([dataset_seed, model_seed]).generate_state(1)[0]``:
    a 32-bit integer, deterministic, different for every ``(dataset_seed,
    model_seed)`` pair in practice, and unrelated to either seed used alone
    (``SeedSequence`` hashes its entropy), so draw ``s`` does not share a stream
    with the model seeded with ``s`` nor with the data set's own draw.

    Parameters
    ----------
    dataset_seed : int
        The data set's ``seed`` in the config.
    model_seed : int
        One of the config's ``seeds``.

    Returns
    -------
    int
        The derived seed, in ``[0, 2**32)``.
    """
    return int(np.random.SeedSequence([int(dataset_seed), int(model_seed)]).generate_state(1)[0])
