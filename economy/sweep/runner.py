"""The sweep loop: plan the runs, skip those stored, run the rest in chunks, store each as it completes.

Stopping is safe at any moment. Ctrl-C cancels the chunks not yet started and leaves
every completed chunk stored; a killed process or machine leaves at most one chunk
half-written, which the next start removes if it was not committed yet or finishes if
it was (only files recognisably made that way: see
:meth:`SweepStore._finish_interrupted_chunks`). Running the same command again makes
exactly the runs not yet stored.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from economy.provenance import code_version
from economy.sweep.executors import Executor, make_executor
from economy.sweep.kit import StudyKit
from economy.sweep.plan import Plan, check_size
from economy.sweep.spec import Study
from economy.sweep.storage import FORMAT, SweepStore, environment, fingerprint, now
from economy.sweep.task import ChunkResult, SweepContext, id_columns, parameter_types, run_chunk

#: Largest automatic chunk: about 5 s of baseline runs, so progress and Ctrl-C stay responsive.
MAX_AUTO_CHUNK = 25
#: Aim for this many chunks per worker, so the last ones finish together.
CHUNKS_PER_WORKER = 8


@dataclass
class SweepOutcome:
    """What a sweep invocation did.

    Attributes:
        folder: The sweep folder.
        total: Runs in the study.
        stored_before: Runs already stored when this invocation started.
        made: Runs made (and stored) by this invocation.
        failed: Of those, runs that raised.
        interrupted: Whether Ctrl-C stopped it before the end.
        seconds: Wall time of this invocation.
    """

    folder: Path
    total: int
    stored_before: int
    made: int
    failed: int
    interrupted: bool
    seconds: float

    @property
    def complete(self) -> bool:
        """Whether every run of the study is stored."""
        return self.stored_before + self.made == self.total


def auto_chunk_size(pending: int, workers: int) -> int:
    """Runs per chunk when the user does not say: ~8 chunks per worker, at most :data:`MAX_AUTO_CHUNK`."""
    return max(1, min(MAX_AUTO_CHUNK, math.ceil(pending / (max(1, workers) * CHUNKS_PER_WORKER))))


def run_sweep(
    study: Study,
    out: str | Path,
    kit: StudyKit,
    executor: str = "processes",
    workers: int = 2,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    dask_processes: bool = True,
    log: Callable[[str], None] | None = None,
    allow_large: bool = False,
) -> SweepOutcome:
    """Run (or resume) a study into a sweep folder.

    Everything that can be refused is checked before anything is written: the study's
    size, the folder (writable, empty or this very sweep, not being written by another
    process) and the executor (a Dask scheduler must answer). So a refusal leaves the
    disk as it was, and nothing this invocation did not create is ever deleted.

    Args:
        study: The loaded study (:func:`economy.sweep.spec.load_study`).
        out: The sweep folder; created, or resumed if it holds this study.
        kit: The model factory, metrics and release hook (``run.study_kit()``); workers get
            it without its report functions.
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes (local executors).
        scheduler: A Dask scheduler address (``dask`` only); default a new LocalCluster.
        chunk_size: Runs per stored chunk (default: :func:`auto_chunk_size`).
        progress: Show a progress bar with an ETA on stderr.
        dask_processes: LocalCluster workers as processes (else threads).
        log: Where one-line messages go (default: stderr).
        allow_large: Accept studies above :data:`~economy.sweep.plan.MAX_RUNS` runs.

    Raises:
        SpecError: If the study is larger than the limit.
        StorageError: If the folder cannot be used: not writable, holds something else or
            another sweep, or another writer holds it.
        ExecutorError: If the executor cannot start.
    """
    say = log or (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    check_size(study, allow_large)
    plan = Plan(study)
    store = SweepStore(out)
    about = manifest(study, plan)
    stored, _damaged = store.check_for_writing(about)
    context = SweepContext(study=study, kit=kit.for_workers())

    def start() -> Executor:
        return make_executor(executor, context, workers, scheduler, dask_processes)

    # The executor starts before the folder is touched: an unreachable scheduler writes nothing.
    ex = start() if len(_pending(plan, stored)) else None
    finished = False  # whether the executor may wind down normally (else queued chunks are dropped)
    try:
        created = store.open_for_writing(about, design_table(study, plan), study.text or _spec_yaml(study))
        if not created and store.manifest().get("code_version") != about["code_version"]:
            say(f"warning: {store.root} was started with code {store.manifest().get('code_version')}, this is "
                f"{about['code_version']}; rows of both will sit together (sessions.jsonl lists each invocation's code)")
        for moved in store.moved_aside:
            say(f"warning: a chunk could not be read and was moved to {moved} (nothing deleted); its runs are made again")
        stored = store.stored_ids  # read again once the lock was held
        pending = _pending(plan, stored)
        where = executor if executor != "dask" or not scheduler else f"dask at {scheduler}"
        say(f"sweep {study.spec.name}: {plan.total} runs ({len(stored)} stored, {len(pending)} to run) "
            f"on {where}" + (f" x{workers}" if executor != "serial" and not scheduler else "") + f" -> {store.root}")
        outcome = SweepOutcome(store.root, plan.total, len(stored), 0, 0, False, 0.0)
        if len(pending):
            ex = ex or start()
            outcome.interrupted = _run_pending(study, plan, pending, store, ex, outcome, chunk_size, workers, progress)
        outcome.seconds = time.perf_counter() - started
        store.log_session({"ended": now(), "code_version": code_version(), "executor": executor, "workers": workers,
                           "scheduler": scheduler, "made": outcome.made, "failed": outcome.failed,
                           "interrupted": outcome.interrupted, "seconds": round(outcome.seconds, 3)})
        finished = not outcome.interrupted
        return outcome
    finally:
        if ex is not None:
            ex.close(cancel=not finished)
        store.close()


def _pending(plan: Plan, stored: np.ndarray) -> np.ndarray:
    """The run ids not yet stored, in order."""
    return np.setdiff1d(np.arange(plan.total, dtype=np.int64), stored, assume_unique=True)


def _run_pending(study: Study, plan: Plan, pending: np.ndarray, store: SweepStore, ex: Executor, outcome: SweepOutcome,
                 chunk_size: int | None, workers: int, progress: bool) -> bool:
    """Make the pending runs in chunks and store each as it completes; True if Ctrl-C stopped it.

    The caller closes the executor (dropping queued chunks unless every run is stored).
    """
    from tqdm import tqdm

    size = chunk_size or auto_chunk_size(len(pending), workers)
    chunks = (plan.runs(pending[i:i + size]) for i in range(0, len(pending), size))
    bar = tqdm(total=plan.total, initial=outcome.stored_before, unit="run", desc=study.spec.name, file=sys.stderr,
               disable=not progress, dynamic_ncols=True, smoothing=0.1, mininterval=0.5)
    try:
        for result in ex.imap(chunks):
            store.write_chunk(result)
            outcome.made += len(result.run_ids)
            outcome.failed += result.failed
            bar.update(len(result.run_ids))
            if outcome.failed:
                bar.set_postfix(failed=outcome.failed, refresh=False)
    except KeyboardInterrupt:
        return True
    finally:
        bar.close()
    return False


def rerun(study: Study, run_id: int, kit: StudyKit) -> dict[str, Any]:
    """Make one run of a study alone, exactly as the sweep makes it; its row as a dict."""
    result: ChunkResult = run_chunk(SweepContext(study, kit.for_workers()), [Plan(study).run(run_id)])
    return result.runs.to_pylist()[0]


def manifest(study: Study, plan: Plan) -> dict[str, Any]:
    """What the sweep folder records about itself before any run: spec, configs, code, design size."""
    spec = study.spec.model_dump(mode="json")
    configs = {name: cfg.model_dump(mode="json", by_alias=True) for name, cfg in study.scenarios.items()}
    types = parameter_types(study)
    return {
        "format": FORMAT,
        "name": study.spec.name,
        "description": study.spec.description,
        "created": now(),
        "code_version": code_version(),
        "spec_file": study.source,
        "spec": spec,
        "scenarios": {name: {"file": study.scenario_files[name],
                             "config_sha256": hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()}
                      for name, c in configs.items()},
        "fingerprint": fingerprint({**spec, "lab": study.lab}, configs),
        "lab": study.lab,
        "sampler": study.spec.sampler.kind,
        "total_runs": plan.total,
        "points": plan.design.n_points,
        "replications": plan.replications,
        "id_columns": id_columns(study),
        "parameters": {name: {"path": list(p.path), "kind": p.kind, "mode": p.mode, "integer": study.integer.get(name, False),
                              "type": str(types[name]), "labelled": p.labelled}
                       for name, p in study.spec.parameters.items()},
        "environment": environment(),
    }


def design_table(study: Study, plan: Plan) -> pa.Table:
    """The design as a table: ``point_id``, each parameter's stored value, and ``unit:<name>`` positions."""
    types = parameter_types(study)
    d = plan.design
    cols: dict[str, pa.Array] = {"point_id": pa.array(np.arange(d.n_points, dtype=np.int64))}
    for name in d.names:
        cols[name] = pa.array(d.columns[name], type=types[name])
    for j, name in enumerate(d.names):
        cols[f"unit:{name}"] = pa.array(d.unit[:, j].astype(float))
    return pa.table(cols)


def _spec_yaml(study: Study) -> str:
    import yaml

    return yaml.safe_dump(study.spec.model_dump(mode="json"), sort_keys=False)
