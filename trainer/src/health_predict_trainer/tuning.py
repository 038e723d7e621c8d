"""Ray Tune per model type: ASHA early stopping on validation F1 reported once per epoch.

The trials' MLflow runs and the progress events are written from the driver by
``TrialTracker`` (a Tune callback), so a trial stopped by ASHA still gets its run closed
with ``health_predict.stopped_early=true``. Each result carries the id of the Ray node that
ran the trial (``node_id``): on a cluster (RAY_ADDRESS) it shows where the trials went.
"""
from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field

import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler
from ray.tune.search.basic_variant import BasicVariantGenerator

from . import tracking
from .data import FeatureSpec, Split
from .metrics import evaluate
from .models import make_trainer
from .progress import Events
from .search_spaces import default_config, search_space, with_epoch_unit

log = logging.getLogger("health_predict_trainer")
METRIC = "val_f1"
EPOCH_METRICS = ("val_f1", "val_auc", "val_logloss", "threshold")


@dataclass
class TuneSettings:
    num_samples: int
    max_epochs: int
    grace_period: int
    reduction_factor: float = 4.0
    seed: int = 0


@dataclass
class TrialRecord:
    number: int
    trial_id: str
    config: dict
    run_id: str | None = None
    history: list[dict] = field(default_factory=list)
    status: str = "RUNNING"
    node_id: str | None = None

    @property
    def last(self) -> dict | None:
        return self.history[-1] if self.history else None


@dataclass
class TuningOutcome:
    model_type: str
    best_config: dict
    best_epoch: int
    best_metrics: dict
    best_trial: TrialRecord
    trials: list[TrialRecord]
    trials_run: int
    trials_stopped_early: int
    wall_s: float


def epoch_trainable(config: dict, model_type: str, spec: FeatureSpec, train: Split, validation: Split,
                    max_epochs: int, seed: int) -> None:
    """One trial: fit, and after every epoch report the validation metrics (ASHA decides)."""
    trainer = make_trainer(model_type, spec, with_epoch_unit(model_type, config), seed=seed, n_jobs=1)
    trainer.fit_preprocessor(train.X, train.y)
    Xv = trainer.transform(validation.X)
    node_id = ray.get_runtime_context().get_node_id()
    for epoch in range(1, max_epochs + 1):
        trainer.step()
        metrics = evaluate(validation.y, trainer.predict_proba_transformed(Xv))
        tune.report({"epoch": epoch, **metrics, "node_id": node_id})


class TrialTracker(tune.Callback):
    def __init__(self, model_type: str, settings: TuneSettings, client, experiment_id: str,
                 dag_run_id: str, events: Events):
        self.model_type = model_type
        self.settings = settings
        self.client = client
        self.experiment_id = experiment_id
        self.dag_run_id = dag_run_id
        self.events = events
        self.trials: dict[str, TrialRecord] = {}
        self.best_f1: float | None = None

    def __getstate__(self):
        # Tune pickles its callbacks into the experiment state (for restore): the live object
        # stays in this process, the pickled copy needs no client or output stream
        state = dict(self.__dict__)
        state["client"] = None
        state["events"] = Events()
        return state

    def _record(self, trial) -> TrialRecord:
        record = self.trials.get(trial.trial_id)
        if record is None:
            record = TrialRecord(len(self.trials) + 1, trial.trial_id, dict(trial.config))
            self.trials[trial.trial_id] = record
        return record

    def on_trial_start(self, iteration, trials, trial, **info):
        record = self._record(trial)
        if record.run_id is not None:
            return
        config = with_epoch_unit(self.model_type, record.config)
        record.run_id = tracking.start_run(
            self.client, self.experiment_id,
            run_name=f"{self.model_type}-trial-{record.number}",
            tags={
                tracking.ROLE_TAG: tracking.TRIAL_ROLE,
                "model_type": self.model_type,
                "dag_run_id": self.dag_run_id,
                "trial_id": trial.trial_id,
                "trial_number": record.number,
            },
            params={**config, "max_epochs": self.settings.max_epochs, "grace_period": self.settings.grace_period,
                    "seed": self.settings.seed},
        )

    def on_trial_result(self, iteration, trials, trial, result, **info):
        record = self._record(trial)
        if record.run_id is None:
            self.on_trial_start(iteration, trials, trial)
        epoch = int(result["epoch"])
        row = {"epoch": epoch, **{k: float(result[k]) for k in EPOCH_METRICS}}
        record.history.append(row)
        record.node_id = result.get("node_id", record.node_id)
        tracking.log_metrics(self.client, record.run_id, {k: row[k] for k in EPOCH_METRICS}, step=epoch)
        f1 = row["val_f1"]
        self.best_f1 = f1 if self.best_f1 is None else max(self.best_f1, f1)
        self.events.emit("trial_result", model_type=self.model_type, trial=record.number,
                         trials=self.settings.num_samples, epoch=epoch, val_f1=round(f1, 6),
                         val_auc=round(row["val_auc"], 6), best_val_f1=round(self.best_f1, 6),
                         node_id=record.node_id)

    def _close(self, trial, status: str) -> None:
        record = self._record(trial)
        record.status = status
        if record.run_id is None:
            return
        epochs = len(record.history)
        stopped = status == "FINISHED" and epochs < self.settings.max_epochs
        tracking.finish_run(self.client, record.run_id, status=status, tags={
            "health_predict.epochs_completed": epochs,
            "health_predict.stopped_early": str(stopped).lower(),
            **({"health_predict.ray_node_id": record.node_id} if record.node_id else {}),
        })

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._close(trial, "FINISHED")

    def on_trial_error(self, iteration, trials, trial, **info):
        self._close(trial, "FAILED")


def reuse_actors() -> bool:
    """Reuse a finished trial's actor for the next trial only on a single node. On a cluster, an
    idle actor on the node that finished first would take the trials whose own actors are still
    starting on other nodes (a Python process importing scikit-learn takes seconds), so short
    trials would all land on one node and the others stay idle."""
    return sum(1 for node in ray.nodes() if node["Alive"]) <= 1


def run_tuning(model_type: str, spec: FeatureSpec, train: Split, validation: Split, settings: TuneSettings,
               client, experiment_id: str, dag_run_id: str, events: Events) -> TuningOutcome:
    started = time.monotonic()
    tracker = TrialTracker(model_type, settings, client, experiment_id, dag_run_id, events)
    scheduler = ASHAScheduler(time_attr="training_iteration", max_t=settings.max_epochs,
                              grace_period=min(settings.grace_period, settings.max_epochs),
                              reduction_factor=settings.reduction_factor)
    searcher = BasicVariantGenerator(points_to_evaluate=[default_config(model_type)],
                                     random_state=settings.seed)
    trainable = tune.with_resources(
        tune.with_parameters(epoch_trainable, model_type=model_type, spec=spec, train=train,
                             validation=validation, max_epochs=settings.max_epochs, seed=settings.seed),
        {"cpu": 1},
    )
    with tempfile.TemporaryDirectory(prefix="hp-tune-") as storage:
        tuner = tune.Tuner(
            trainable,
            param_space=search_space(model_type),
            tune_config=tune.TuneConfig(metric=METRIC, mode="max", scheduler=scheduler, search_alg=searcher,
                                        num_samples=settings.num_samples, reuse_actors=reuse_actors()),
            run_config=tune.RunConfig(name=f"hp-{model_type}", storage_path=storage, verbose=0,
                                      callbacks=[tracker], log_to_file=False),
        )
        grid = tuner.fit()
        log.info("%s: Tuner.fit returned after %.1f s", model_type, time.monotonic() - started)
    errors = [r.error for r in grid if r.error is not None]
    records = sorted(tracker.trials.values(), key=lambda r: r.number)
    finished = [r for r in records if r.history]
    if not finished:
        detail = f": {errors[0]}" if errors else ""
        raise RuntimeError(f"{model_type}: no trial reported a result{detail}")
    # Ray Tune's default scope="last": a trial is judged by its final state (what ASHA let it
    # reach), and the refit trains exactly that many epochs. Picking the single best epoch of
    # any trial would mostly select validation noise (F1 moves ±0.003 between epochs).
    best_trial = max(finished, key=lambda r: (r.last[METRIC], r.last["val_auc"], -r.number))
    best = best_trial.last
    return TuningOutcome(
        model_type=model_type,
        best_config=dict(best_trial.config),
        best_epoch=int(best["epoch"]),
        best_metrics=best,
        best_trial=best_trial,
        trials=records,
        trials_run=len(finished),
        trials_stopped_early=sum(1 for r in finished if r.status == "FINISHED" and len(r.history) < settings.max_epochs),
        wall_s=time.monotonic() - started,
    )
