"""Ranking runs: freeze a call's scores and the administrator's settings, compute, store.

A run is immutable and reproducible: its ``engine_input`` (the engine's JSON input, built
once at creation) is all the computation reads, and the stored ``result_json`` is the
engine's canonical JSON, so the same input and seed give the same bytes.

The Celery side (``review.tasks``) needs no result backend: the bootstrap is split into
chunks that any worker computes (``record_ranking_chunk``); each chunk is stored once
(unique on run and index) and the worker that stores the last one finishes the run, under a
lock on the run row, once. Every step is safe to run twice (a redelivered message).

The input is prepared once, at creation, where it is parsed already (``prepare_run``): the
engine's ``bootstrap_plan``, which every chunk shares, and its point estimate (the result
without the bootstrap's figures), as bytes in the shared cache (Redis in production, the
database otherwise) under the input's fingerprint (``plan_cache_key``,
``point_cache_key``). A chunk loads the plan, and the merge completes the point estimate
with the chunks (``complete_result``): neither reads the run's input nor parses it, and the
point estimate is not solved again. Should the cache have lost either, the step that needs
it prepares the input again and puts both back (same bytes: they are functions of the
input); the first step checks they are there, so that a bad input (a disconnected jury)
fails the run before any worker spends time on the bootstrap.
Status changes follow ``RankingRun.TRANSITIONS`` as conditional ``UPDATE``s filtered on
``transitions.sources``: a run already done or failed is never changed again.
"""

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, JSONField, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Call
from portal import transitions
from review.models import RankingChunk, RankingRun
from review.queries.ranking import BASES, BASIS_CONSENSUS, RankingData, ranking_data
from review.ranking import (
    ENGINE_VERSION,
    BootstrapPlan,
    Params,
    PointEstimate,
    RankingError,
    RankingInputError,
    RunPreparation,
    complete_result,
    compute_bootstrap_chunk,
    eligible_bids,
    parse_params,
    plan_chunks,
    prepare_run,
    result_json,
    seed_commitment,
)
from review.ranking.model import AGGREGATES, CALIBRATIONS, OVERFLOWS, RULES
from review.ranking.problem import fingerprint
from review.services import audit, ranking_rows

logger = logging.getLogger(__name__)

CHUNK_SIZE = 100  # bootstrap samples per Celery task
MAX_BOOTSTRAP_SAMPLES = 5000
MAX_SEED = 2**63 - 1
# How long the shared cache keeps a run's bootstrap plan: a run takes minutes; a chunk
# that finds it gone prepares it again.
PLAN_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RunSettings:
    """What an administrator chooses for a run (the call supplies everything else)."""

    basis: str = "jurors"  # or "consensus" (review.queries.ranking.BASES)
    rule: str = "optimal"
    overflow: str = "skip"
    calibration: str = "none"
    aggregate: str = "mean"
    tiebreak: tuple[str, ...] = ()
    bootstrap_samples: int = 0
    bootstrap_seed: int | None = None  # drawn at random (and stored) when not given
    lottery: bool = False


@dataclass(frozen=True)
class ChunkSpec:
    index: int
    start: int
    count: int


# --------------------------------------------------------------------------- creation


def _check_settings(settings: RunSettings, *, codes: list[str]) -> None:
    errors: dict[str, list[str]] = {}
    for name, value, choices in (
        ("basis", settings.basis, BASES),
        ("rule", settings.rule, RULES),
        ("overflow", settings.overflow, OVERFLOWS),
        ("calibration", settings.calibration, CALIBRATIONS),
        ("aggregate", settings.aggregate, AGGREGATES),
    ):
        if value not in choices:
            errors[name] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]
    unknown = [code for code in settings.tiebreak if code not in codes]
    if unknown:
        errors["tiebreak"] = [
            _("Unknown criterion code(s): %(unknown)s. The call's criteria are: %(codes)s.")
            % {"unknown": ", ".join(unknown), "codes": ", ".join(codes)}
        ]
    elif len(set(settings.tiebreak)) != len(settings.tiebreak):
        errors["tiebreak"] = [_("List each criterion at most once.")]
    if not 0 <= settings.bootstrap_samples <= MAX_BOOTSTRAP_SAMPLES:
        errors["bootstrap_samples"] = [
            _("Choose between 0 (no bootstrap) and %(max)s samples.")
            % {"max": MAX_BOOTSTRAP_SAMPLES}
        ]
    if settings.bootstrap_seed is not None and not 0 <= settings.bootstrap_seed <= MAX_SEED:
        errors["bootstrap_seed"] = [_("The seed must be a non-negative 63-bit integer.")]
    if settings.lottery and settings.bootstrap_samples == 0:
        errors["lottery"] = [
            _("The lottery draws among grey-zone bids, which the bootstrap finds: set samples.")
        ]
    if settings.basis == BASIS_CONSENSUS and settings.calibration != "none" and not errors:
        errors["calibration"] = [
            _(
                "The consensus basis ranks one agreed score per bid: there are no jurors' "
                "leniencies to calibrate. Choose no calibration (raw scores)."
            )
        ]
    if errors:
        raise ValidationError(errors)


def _raw_eligible(params: Params) -> list[int | str] | None:
    """With a calibration, the bids the thresholds would pass on the raw scores (the engine
    run again without calibration), so the page shows where calibration decides eligibility;
    ``None`` without calibration (raw is what was ranked)."""
    if params.calibration == "none":
        return None
    return eligible_bids(replace(params, calibration="none", bootstrap=None, lottery=None))


def _frozen_facts(data: RankingData, *, call: Call) -> dict[str, Any]:
    """What the run page and exports read as it was at creation, not as it is today."""
    return {
        "basis": data.basis,
        "criterion_names": data.criterion_names,
        "min_reviews_per_bid": int(call.min_reviews_per_bid),
        "under_reviewed": data.under_reviewed,
        "held_jurors": data.held,
        "without_consensus": data.without_consensus,
    }


def create_ranking_run(*, call: Call, by: User, settings: RunSettings) -> RankingRun:
    """Freeze the call's counted scores and ``settings`` into a pending run.

    The caller enqueues ``task_run_ranking`` (on commit). With a lottery, a secret seed is
    drawn now and only its SHA-256 commitment is shown until the run is done.
    """
    call.check_evaluation_open()
    data = ranking_data(call=call, basis=settings.basis)
    codes = [criterion["code"] for criterion in data.data["criteria"]]
    _check_settings(settings, codes=codes)
    if not codes:
        raise ValidationError(_("The call has no evaluation criteria: add them first."))
    if not data.data["bids"]:
        raise ValidationError(_("The call has no submitted and eligible bid to rank."))
    engine_input: dict[str, Any] = {
        **data.data,
        "calibration": settings.calibration,
        "aggregate": settings.aggregate,
        "rule": settings.rule,
        "overflow": settings.overflow,
    }
    if settings.tiebreak:
        engine_input["tiebreak"] = list(settings.tiebreak)
    seed = None
    commitment = None
    if settings.bootstrap_samples:
        seed = (
            settings.bootstrap_seed
            if settings.bootstrap_seed is not None
            else secrets.randbelow(2**31)
        )
        engine_input["bootstrap"] = {"samples": settings.bootstrap_samples, "seed": seed}
        if settings.lottery:
            lottery_seed = secrets.token_hex(16)
            commitment = seed_commitment(lottery_seed)
            engine_input["lottery"] = {"seed": lottery_seed, "commitment": commitment}
    try:
        params = parse_params(engine_input)
    except RankingError as error:
        raise ValidationError(
            _("The scores cannot be ranked as they stand: %(error)s") % {"error": error}
        ) from error
    chunks = plan_chunks(settings.bootstrap_samples, CHUNK_SIZE) if seed is not None else []
    raw_eligible = _raw_eligible(params)
    # The engine's fingerprint: what `python -m review.ranking solve` prints as
    # `input_sha256` for the downloaded input.
    input_hash = fingerprint(params)
    try:
        preparation: RunPreparation | None = prepare_run(params, known_fingerprint=input_hash)
    except Exception:  # noqa: BLE001 - the run's first step prepares again and fails the run
        # with the reason (a disconnected jury, or a fault), which its page then shows: the
        # administrator's request does not fail for what the computation finds.
        logger.info("Ranking run input %s not prepared at creation", input_hash, exc_info=True)
        preparation = None
    with transaction.atomic():
        run = RankingRun(
            call=call,
            parameters={
                "rule": settings.rule,
                "overflow": settings.overflow,
                "calibration": settings.calibration,
                "aggregate": settings.aggregate,
                "tiebreak": list(settings.tiebreak),
                "bootstrap_samples": settings.bootstrap_samples,
                "bootstrap_seed": seed,
                "lottery": settings.lottery and commitment is not None,
                "lottery_commitment": commitment,
                "chunk_size": CHUNK_SIZE,
                "bids": len(data.data["bids"]),
                "scores": len(data.data["scores"]),
                "bid_labels": data.bid_labels,
                "criterion_labels": data.criterion_labels,
                "raw_eligible": raw_eligible,
                **_frozen_facts(data, call=call),
            },
            engine_input=engine_input,
            input_hash=input_hash,
            engine_version=ENGINE_VERSION,
            status=RankingRun.Status.PENDING,
            chunks_total=len(chunks),
            created_by=by,
        )
        # The input's only check is that it encodes as JSON, which saving does: validating
        # it would encode its megabytes once more (a third of a second at 10,000 bids).
        run.full_clean(exclude=["engine_input"])
        run.save()
        audit.record_run_created(run=run, by=by)
    if preparation is not None:
        # Keyed by the input, not the run: shared before the commit, it is harmless if the
        # run is rolled back.
        _share_preparation(input_hash, preparation)
    logger.info("User %s created ranking run %s for call %s", by.pk, run.pk, call.pk)
    return run


# --------------------------------------------------------------------------- computation


def planned_chunks(run: RankingRun) -> list[ChunkSpec]:
    """The run's bootstrap chunks, from its parameters (the input need not be loaded)."""
    parameters = run.parameters or {}
    samples = int(parameters.get("bootstrap_samples") or 0)
    if not samples:
        return []
    size = int(parameters.get("chunk_size", CHUNK_SIZE))
    return [
        ChunkSpec(index=index, start=start, count=count)
        for index, (start, count) in enumerate(plan_chunks(samples, size))
    ]


def plan_cache_key(input_hash: str) -> str:
    """Where the shared cache keeps the bootstrap plan of an input (engine and fingerprint)."""
    return f"ranking-plan:{ENGINE_VERSION}:{input_hash}"


def point_cache_key(input_hash: str) -> str:
    """Where the shared cache keeps the point estimate of an input (engine and fingerprint)."""
    return f"ranking-point:{ENGINE_VERSION}:{input_hash}"


def _share_preparation(input_hash: str, preparation: RunPreparation) -> None:
    shared = {point_cache_key(input_hash): preparation.point.to_bytes()}
    if preparation.plan is not None:
        shared[plan_cache_key(input_hash)] = preparation.plan.to_bytes()
    cache.set_many(shared, PLAN_CACHE_SECONDS)


def _prepared_again(run: RankingRun) -> RunPreparation:
    """The run's preparation from its input, put back in the shared cache (the cache lost
    it, or creation could not prepare it: this raises the engine's error then)."""
    engine_input = RankingRun.objects.filter(pk=run.pk).values_list("engine_input", flat=True).get()
    preparation = prepare_run(parse_params(engine_input), known_fingerprint=_known_fingerprint(run))
    _share_preparation(run.input_hash, preparation)
    return preparation


def _is_prepared(run: RankingRun, *, bootstrap: bool) -> bool:
    keys = [point_cache_key(run.input_hash)]
    if bootstrap:
        keys.append(plan_cache_key(run.input_hash))
    return bool(run.input_hash) and all(cache.has_key(key) for key in keys)


def _shared_plan(run: RankingRun) -> BootstrapPlan:
    """The run's bootstrap plan from the shared cache, or prepared again from its input."""
    data = cache.get(plan_cache_key(run.input_hash))
    if data is not None:
        plan = BootstrapPlan.from_bytes(data)
        if plan.fingerprint == run.input_hash:
            return plan
    logger.info("Ranking run %s: bootstrap plan not in the cache, prepared again", run.pk)
    prepared = _prepared_again(run).plan
    if prepared is None:
        raise RankingInputError("bootstrap", "the run has no bootstrap to plan")
    return prepared


def _shared_point(run: RankingRun) -> PointEstimate:
    """The run's point estimate from the shared cache, or prepared again from its input."""
    data = cache.get(point_cache_key(run.input_hash))
    if data is not None:
        point = PointEstimate.from_bytes(data)
        if point.fingerprint == run.input_hash:
            return point
    logger.info("Ranking run %s: point estimate not in the cache, prepared again", run.pk)
    return _prepared_again(run).point


def _known_fingerprint(run: RankingRun) -> str | None:
    """The input's fingerprint as stored at creation, when this engine computed it: the
    steps of the run then do not compute it again (its input never changes)."""
    return run.input_hash if run.engine_version == ENGINE_VERSION and run.input_hash else None


def _lock(run_id: int, *fields: str) -> RankingRun | None:
    """The run row, locked until the end of the caller's transaction.

    Precondition: inside ``transaction.atomic()``. A no-op UPDATE comes first: it locks the
    row on PostgreSQL and takes SQLite's write lock at once (a SELECT would take a read lock
    that SQLite refuses to upgrade while another worker writes, failing instead of waiting).
    """
    RankingRun.objects.filter(pk=run_id).update(chunks_done=F("chunks_done"))
    queryset = RankingRun.objects.select_for_update()
    if fields:
        queryset = queryset.only(*fields)
    return queryset.filter(pk=run_id).first()


def _fail(run: RankingRun, message: str) -> None:
    failed = RankingRun.Status.FAILED
    RankingRun.objects.filter(pk=run.pk, status__in=transitions.sources(RankingRun, failed)).update(
        status=failed, error=message, finished_at=timezone.now()
    )
    run.status, run.error = RankingRun.Status.FAILED, message


@contextmanager
def _failing_run(run: RankingRun) -> Iterator[None]:
    """Turn any error into a failed run with a message an administrator can read."""
    try:
        yield
    except RankingError as error:
        _fail(run, _("The ranking engine refused to compute: %(error)s") % {"error": error})
    except Exception as error:  # noqa: BLE001 - a worker must record why, not crash silently
        logger.exception("Ranking run %s failed", run.pk)
        _fail(
            run,
            _("The computation failed unexpectedly (%(kind)s: %(error)s). Try a new run.")
            % {"kind": type(error).__name__, "error": error},
        )


def _store_result(run_id: int, result: dict[str, Any]) -> None:
    """Store ``result`` (the engine's dict: ``complete_result``) and index it.

    Precondition: the run row is locked (a run already done or failed is left as it is)."""
    text = result_json(result)
    done = RankingRun.Status.DONE
    stored = RankingRun.objects.filter(
        pk=run_id, status__in=transitions.sources(RankingRun, done)
    ).update(
        status=done,
        progress=100,
        # The database decodes the text itself: the result is not decoded here only to be
        # encoded again for the JSON column (a second at 10,000 bids).
        result=Cast(Value(text, output_field=TextField()), output_field=JSONField()),
        result_json=text,
        error="",
        finished_at=timezone.now(),
    )
    if stored:
        audit.record_run_completed(run_id=run_id)
        # The rows from the result in memory: equal to the stored text's (JSON floats read
        # back exactly), which is not decoded again.
        ranking_rows.index_run_result(run_id=run_id, result=result)


def start_ranking_run(*, run: RankingRun) -> list[ChunkSpec]:
    """First step: compute at once without bootstrap, or return the chunks still missing
    (all of them the first time) for the workers to share. Safe to run twice."""
    if not transitions.targets(run):  # done or failed: final
        return []
    with _failing_run(run):
        bootstrap = bool(planned_chunks(run))
        if not bootstrap:
            result = complete_result(_shared_point(run))
            with transaction.atomic():
                if _lock(run.pk, "status") is not None:
                    _store_result(run.pk, result)
            return []
        # What the steps share was prepared at creation: prepared here only if the cache
        # lost it (or if creation could not: a disconnected jury or a bad input then fails
        # here, before any worker spends time on the bootstrap).
        if not _is_prepared(run, bootstrap=True):
            _prepared_again(run)
        running = RankingRun.Status.RUNNING
        RankingRun.objects.filter(
            pk=run.pk, status__in=transitions.sources(RankingRun, running)
        ).update(status=running)
        run.status = running
        done = set(RankingChunk.objects.filter(run=run).values_list("index", flat=True))
        missing = [chunk for chunk in planned_chunks(run) if chunk.index not in done]
        if not missing:  # all chunks stored before a crash: finish now
            finish_ranking_run(run=run)
        return missing
    return []


def record_ranking_chunk(*, run: RankingRun, index: int, start: int, count: int) -> None:
    """Compute one bootstrap chunk and store it once; the worker storing the last one
    finishes the run. A redelivered chunk is not stored twice.

    Reads the run's status, parameters and input hash only: fetch it without its input and
    result (``RankingRun.objects.without_bulk()``)."""
    if ChunkSpec(index=index, start=start, count=count) not in planned_chunks(run):
        logger.warning(
            "Ranking run %s: chunk %s (%s, %s) is not planned", run.pk, index, start, count
        )
        return
    if run.status != RankingRun.Status.RUNNING:
        return
    complete = False
    with _failing_run(run):
        chunk = None
        if not RankingChunk.objects.filter(run=run, index=index).exists():
            chunk = compute_bootstrap_chunk(_shared_plan(run), start=start, count=count)
        with transaction.atomic():
            locked = _lock(run.pk, "status", "chunks_total")
            if locked is None or locked.status != RankingRun.Status.RUNNING:
                return
            if chunk is not None:
                RankingChunk.objects.get_or_create(
                    run=locked, index=index, defaults={"result": chunk}
                )
            done = RankingChunk.objects.filter(run=locked).count()
            total = max(locked.chunks_total, 1)
            RankingRun.objects.filter(pk=run.pk).update(
                chunks_done=done, progress=min(99, 100 * done // total)
            )
            complete = done >= locked.chunks_total
    if complete:
        finish_ranking_run(run=run)


def finish_ranking_run(*, run: RankingRun) -> None:
    """Merge the chunks into the point estimate and store the result, once (the run row
    locked, status checked)."""
    with _failing_run(run), transaction.atomic():
        locked = _lock(run.pk, "status", "chunks_total", "input_hash", "engine_version")
        if locked is None or locked.status != RankingRun.Status.RUNNING:
            return
        chunks = list(
            RankingChunk.objects.filter(run=locked)
            .order_by("index")
            .values_list("result", flat=True)
        )
        if len(chunks) < locked.chunks_total:
            return
        _store_result(locked.pk, complete_result(_shared_point(locked), bootstrap_chunks=chunks))


def compute_ranking_run(*, run: RankingRun) -> RankingRun:
    """The whole run in this process, chunk after chunk (demo data, benchmarks, no broker)."""
    for chunk in start_ranking_run(run=run):
        record_ranking_chunk(run=run, index=chunk.index, start=chunk.start, count=chunk.count)
    run.refresh_from_db()
    return run


def create_and_run_ranking(
    *, call: Call, by: User, settings: RunSettings | None = None
) -> RankingRun:
    """Create a run and compute it synchronously, e.g. from the demo data command."""
    run = create_ranking_run(call=call, by=by, settings=settings or RunSettings())
    return compute_ranking_run(run=run)
