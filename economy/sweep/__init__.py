"""Parameter studies: sweeps, Monte Carlo and sensitivity designs over the model, resumable.

One module per concept:

* :mod:`.spec`: the sweep spec (YAML) parsed into validated, immutable objects.
* :mod:`.sampling`: designs (grid, random, Latin hypercube, Sobol/Saltelli, Morris).
* :mod:`.seeds`: each run's seed from the sweep's seed and the run's index.
* :mod:`.plan`: the runs a study makes, in run-id order.
* :mod:`.kit`: what a study needs from above ``economy`` (model factory, metrics, reports), injected by ``run.py``.
* :mod:`.task`: what a worker does with a chunk of runs (run the model, keep metrics).
* :mod:`.storage`: one Parquet dataset per table (runs, time series, entities), chunks committed atomically,
  the manifest, resume.
* :mod:`.executors`: serial, local processes or a Dask cluster, all giving the same rows.
* :mod:`.runner`: the loop that ties them together, with a progress bar; Ctrl-C safe.
* :mod:`.cli`: the ``sweep``, ``analyze`` and ``compare`` subcommands of ``run.py``.
"""

#: Where runs can execute (see :mod:`.executors`); here so the CLI can list them without loading them.
EXECUTORS = ("serial", "processes", "dask")
