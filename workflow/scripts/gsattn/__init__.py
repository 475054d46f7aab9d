"""gsattn: the shared package of the genomic-sparse-attention workflow.

One flat module per concern.

Data: ``seq`` (alphabet, tokens), ``io`` (strict readers, deterministic
writers), ``motifs`` (JASPAR PWMs), ``simulate`` (background models and motif
planting), ``datasets`` (one layout for every data source, encoded arrays),
``masks`` (valid, positive and scored positions of the motif ground truth),
``config`` (checks beyond the JSON Schema), ``logs`` (rule logging),
``genome`` (labelled windows cut from a reference genome, GC-matched negatives).

Models and running them: ``models`` (Phase 1 attention), ``sparse`` (Phase 2
selector and approximator), ``pipeline`` (Phase 3 joint pipeline and CNN),
``seeding`` (seeded initialisation, global random state untouched), ``train``
(training loop, prediction, test metrics), ``inference`` (evaluation mode,
example inputs, batched outputs), ``interpret`` (attributions).

Compute: ``flops`` (closed-form and counted FLOPs), ``measure`` (peak memory,
throughput), ``compute`` (profile rows of a model), ``scaling`` (long-sequence
benchmark).

Statistics live in two modules: ``stats`` (metrics, paired and two-level
bootstraps, multiple-testing correction, one-sample intervals and the
hit-rate test) and ``paired`` (paired t, Wilcoxon, TOST and McNemar tests of
two models).

Analyses: ``recovery`` (motif recovery metrics and rows), ``selection`` (are
the selected positions the motifs), ``receptive`` (what the student reads),
``floors`` (trivial Phase 3 baselines), ``compare`` (the Phase 3 comparison
rows of one data set), ``verdicts`` (the study's verdict rules),
``interpretability`` (across-seed attribution summary); ``plots`` (figures).

Learning at length: ``long_task`` (the long task's data set entry, standard library
only) and ``long`` (its models, the budget rule, measurements, summary and figure).
"""

__version__ = "0.1.0"
