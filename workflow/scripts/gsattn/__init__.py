"""gsattn: the shared package of the genomic-sparse-attention workflow.

One flat module per concern: ``seq`` (alphabet, tokens), ``io`` (strict
readers, deterministic writers), ``motifs`` (JASPAR PWMs), ``simulate``
(background models and motif planting), ``datasets`` (one layout for every
data source, encoded arrays), ``config`` (checks beyond the JSON Schema).
"""

__version__ = "0.1.0"
