"""Benchmarks of the simulation engine; one JSON object per figure on stdout.

Figures:

* ``yima_year``: one Yima year (138,000 residents, 52 weekly steps, every behaviour model on),
  best of 3, city generation excluded (timed separately). Target: under 1 second on one core.
* ``volunteering_core_numpy`` / ``volunteering_core_mesa``: the volunteering core (culture
  groups joined and left, volunteers recruited and quitting, volunteers serving and earning
  points) at the city's residents, as NumPy arrays and as Mesa agents (``bench`` extra; Mesa
  runs only a few steps, steps/s extrapolated). Target ratio: at least 100x.
* ``sweep_process_pool`` / ``sweep_dask``: a sweep of Yima years on 2 workers against the same
  sweep run serially in-process. Targets: 1.8x (process pool) and 1.6x (local Dask cluster).
* ``memory_per_resident``: peak bytes traced (tracemalloc) while building and running the
  Yima year, per simulated resident.

Run: ``.venv/bin/python benchmarks/bench_simulation.py [--quick]`` (``--quick``: fewer runs).
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import json
import math
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import numpy as np

from community_governance.simulation.behaviours import DefaultVolunteeringModel, incentive_signal
from community_governance.simulation.engine import Simulation, city_for
from community_governance.simulation.scenario import Scenario, load_scenario
from community_governance.simulation.sweep import run_sweep

QUICK = "--quick" in sys.argv


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


class InlineExecutor(cf.Executor):
    """Runs every task at submission, in this process: the serial baseline."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        fut: cf.Future[Any] = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # pragma: no cover - reported by the sweep
            fut.set_exception(exc)
        return fut


def bench_year(sc: Scenario) -> None:
    t0 = time.perf_counter()
    city_for.cache_clear()
    city = city_for(sc.city.seed, sc.city.scale)
    gen = time.perf_counter() - t0
    times, inits = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        sim = Simulation(sc, city=city)
        t1 = time.perf_counter()
        sim.run()
        t2 = time.perf_counter()
        inits.append(t1 - t0)
        times.append(t2 - t1)
    best = min(times)
    emit(
        figure="yima_year",
        seconds=round(best, 3),
        init_seconds=round(min(inits), 3),
        steps=sc.run.steps,
        residents=city.n_residents,
        households=city.n_households,
        steps_per_second=round(sc.run.steps / best, 1),
        target_seconds=1.0,
        meets_target=best < 1.0,
        city_generation_seconds=round(gen, 2),
    )


def numpy_core(sc: Scenario, n_steps: int) -> tuple[float, int]:
    """The volunteering core on arrays; returns (steps/s, volunteers at the end)."""
    city = city_for(sc.city.seed, sc.city.scale)
    model = DefaultVolunteeringModel(sc.behaviour.culture, sc.behaviour.volunteering)
    rng = np.random.default_rng(1)
    n = city.n_residents
    ages = city.ages
    culture = rng.random(n) < sc.behaviour.culture.initial_share
    volunteer = rng.random(n) < sc.behaviour.volunteering.initial_share
    ident = rng.random(n)
    inc = np.full(n, float(incentive_signal(np.array([1.0]))[0]))
    points = np.zeros(n, dtype=np.int64)
    years = 7 / 365
    t0 = time.perf_counter()
    for _ in range(n_steps):
        culture ^= rng.random(n) < model.culture_probabilities(ages, culture, years)
        volunteer ^= rng.random(n) < model.volunteer_probabilities(
            ages, culture, volunteer, inc, years
        )
        idx = np.flatnonzero(volunteer)
        served = idx[rng.random(idx.size) < model.serve_probability(ident[idx], inc[idx])]
        points[served] += 20
    dt = time.perf_counter() - t0
    return n_steps / dt, int(volunteer.sum())


def mesa_core(sc: Scenario, n_steps: int) -> tuple[float, float] | None:
    """The same core as Mesa agents; returns (steps/s, build seconds) or None."""
    try:
        import mesa
    except ImportError:
        return None
    city = city_for(sc.city.seed, sc.city.scale)
    cb, vb = sc.behaviour.culture, sc.behaviour.volunteering
    years = 7 / 365
    p_leave = 1 - math.exp(-cb.leave_per_year * years)
    p_quit = 1 - math.exp(-vb.quit_per_year * years)
    inc = 0.5

    class Resident(mesa.Agent):  # type: ignore[misc]
        def __init__(
            self, model: Any, age: int, culture: bool, volunteer: bool, ident: float
        ) -> None:
            super().__init__(model)
            self.age = age
            self.culture = culture
            self.volunteer = volunteer
            self.ident = ident
            self.points = 0

        def step(self) -> None:
            r = self.random.random()
            if self.culture:
                if r < p_leave:
                    self.culture = False
            else:
                w = cb.elderly_weight if self.age >= 60 else (1.0 if self.age >= 14 else 0.0)
                if r < (1 - math.exp(-cb.join_per_year * years)) * w:
                    self.culture = True
            r = self.random.random()
            if self.volunteer:
                if r < p_quit:
                    self.volunteer = False
            else:
                base = (
                    vb.from_culture_per_year
                    if self.culture
                    else (vb.from_others_per_year if self.age >= 14 else 0.0)
                )
                if r < 1 - math.exp(-base * (1 + vb.points_incentive * inc) * years):
                    self.volunteer = True
            if self.volunteer:
                x = (
                    vb.serve_logit
                    + vb.serve_identification * self.ident
                    + vb.points_incentive * inc
                )
                if self.random.random() < 1 / (1 + math.exp(-x)):
                    self.points += 20

    class Core(mesa.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(seed=1)
            rnd = self.random
            for age in city.ages.tolist():
                Resident(
                    self,
                    age,
                    rnd.random() < cb.initial_share,
                    rnd.random() < vb.initial_share,
                    rnd.random(),
                )

        def step(self) -> None:
            self.agents.shuffle_do("step")

    t0 = time.perf_counter()
    model = Core()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(n_steps):
        model.step()
    return n_steps / (time.perf_counter() - t0), build


def bench_mesa(sc: Scenario) -> None:
    np_rate, _ = numpy_core(sc, 30 if QUICK else 200)
    emit(
        figure="volunteering_core_numpy",
        steps_per_second=round(np_rate, 1),
        agents=city_for(sc.city.seed, sc.city.scale).n_residents,
    )
    got = mesa_core(sc, 2 if QUICK else 3)
    if got is None:
        emit(figure="volunteering_core_mesa", skipped="mesa is not installed (bench extra)")
        return
    mesa_rate, build = got
    import mesa

    emit(
        figure="volunteering_core_mesa",
        steps_per_second=round(mesa_rate, 2),
        mesa_version=mesa.__version__,
        build_seconds=round(build, 2),
        numpy_steps_per_second=round(np_rate, 1),
        ratio=round(np_rate / mesa_rate, 1),
        target_ratio=100,
        meets_target=np_rate / mesa_rate >= 100,
        baseline="issue #9: Mesa 3.3 6.5 steps/s, NumPy about 1,000 at 138,000 agents",
    )


def bench_sweep(sc: Scenario) -> None:
    params = {"points.rate": [5, 10, 20, 40]}
    reps = 1 if QUICK else 2
    n_runs = len(params["points.rate"]) * reps
    city_for(sc.city.seed, sc.city.scale)  # the parent's city: generated before timing
    with tempfile.TemporaryDirectory() as tmp:
        # warm-up (calendar, festivals and plugin modules loaded once per process)
        run_sweep(
            sc.with_overrides({"run.steps": 2}),
            {"points.rate": [5]},
            replicates=1,
            out_dir=f"{tmp}/warm",
            executor=InlineExecutor(),
        )
        t0 = time.perf_counter()
        res = run_sweep(
            sc, params, replicates=reps, out_dir=f"{tmp}/serial", executor=InlineExecutor()
        )
        serial = time.perf_counter() - t0
        serial_task = float(res.runs["seconds"].mean())
        t0 = time.perf_counter()
        with cf.ProcessPoolExecutor(max_workers=2) as pool:
            res = run_sweep(sc, params, replicates=reps, out_dir=f"{tmp}/pool", executor=pool)
        pool_s = time.perf_counter() - t0
        emit(
            figure="sweep_process_pool",
            runs=n_runs,
            serial_seconds=round(serial, 2),
            seconds=round(pool_s, 2),
            workers=2,
            speedup=round(serial / pool_s, 2),
            mean_run_seconds=round(float(res.runs["seconds"].mean()), 3),
            serial_mean_run_seconds=round(serial_task, 3),
            target_speedup=1.8,
            baseline="issue #9: a process pool reached 1.94x",
        )
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            emit(figure="sweep_dask", skipped="distributed is not installed (dask extra)")
            return
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            # the cluster is up and warm before the clock starts, like the pool's forked workers
            run_sweep(
                sc.with_overrides({"run.steps": 2}),
                {"points.rate": [5, 6, 7, 8]},
                replicates=1,
                out_dir=f"{tmp}/dask-warm",
                executor=client.get_executor(),
            )
            t0 = time.perf_counter()
            res = run_sweep(
                sc, params, replicates=reps, out_dir=f"{tmp}/dask", executor=client.get_executor()
            )
            dask_s = time.perf_counter() - t0
        emit(
            figure="sweep_dask",
            runs=n_runs,
            serial_seconds=round(serial, 2),
            seconds=round(dask_s, 2),
            workers=2,
            speedup=round(serial / dask_s, 2),
            mean_run_seconds=round(float(res.runs["seconds"].mean()), 3),
            serial_mean_run_seconds=round(serial_task, 3),
            target_speedup=1.6,
            baseline="issue #9: a local Dask cluster reached 1.68x",
        )


def bench_memory(sc: Scenario) -> None:
    city = city_for(sc.city.seed, sc.city.scale)
    tracemalloc.start()
    sim = Simulation(sc, city=city)
    sim.run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    emit(
        figure="memory_per_resident",
        bytes_per_resident=round(peak / city.n_residents, 1),
        peak_mb=round(peak / 2**20, 1),
        state_bytes_per_resident=round(sim.memory_bytes() / city.n_residents, 1),
        residents=city.n_residents,
    )


def main() -> None:
    sc = load_scenario("yima-2019")
    bench_year(sc)
    bench_memory(sc)
    gc.collect()
    bench_sweep(sc)  # before Mesa: forked workers must not copy 138,000 Mesa agents
    bench_mesa(sc)


if __name__ == "__main__":
    main()
