"""Load benchmark of the HTTP API (issue 18, item 8).

``cgov serve`` runs in its own process on loopback (one uvicorn worker) over a small city with
50 cases, a year of funds and a points journal; a load generator in a second process (httpx,
threads, keep-alive) measures throughput and p50/p99 latency of:

- ``GET /open311/v2/requests.json`` (50 records) and a public disclosure page
  (``/public/funds/{community}/disclosure/2019Q4/print``), each beside the **ceiling**: the
  same framework and server (Litestar under uvicorn, another process) answering the same
  bytes from memory. Aim: reads at least 0.30 of the ceiling;
- ``POST /api/v1/points/earn`` with a fresh ``Idempotency-Key`` per request, beside the
  **floor for writes**: ``gov.points.earn`` called in-process on the same database in the
  same run. Aim: at least 0.50 of the in-process rate.

Each figure is one JSON line with requests/s, p50 and p99 in ms, errors and the ratio. Run on
SQLite (a file in a temporary directory) and, with ``--pg URL`` or
``$CGOV_TEST_POSTGRES_URL``, on PostgreSQL (a throwaway schema).

Run: ``.venv/bin/python benchmarks/bench_http.py [--seconds 5] [--concurrency 8] [--pg URL]``
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    """The environment of the server and load processes: this checkout's library and its
    county plugins first (the ones ``cgov serve`` loads through their entry points)."""
    paths = [str(SRC), *(str(p) for p in sorted(ROOT.glob("plugins/*/src")))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [*paths, os.environ.get("PYTHONPATH", "")])}


def _wait(url: str) -> None:
    import httpx

    for _ in range(900):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


# ----------------------------------------------------------------------------- the data


def build(url: str) -> dict[str, Any]:
    """A small city with 50 cases, a year of funds and tokens; returns what the load needs."""
    import community_governance as cg
    from community_governance.demo.funds import seed_funds
    from community_governance.domain.access import Actor
    from community_governance.testing.city import build_small_city

    system = Actor.system("bench")
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        blds = [b for c in city.communities for b in city.buildings[c]]
        for i in range(50):
            gov.cases.report(system, category="repair", building_code=blds[i % len(blds)],
                             description=f"第{i}号路灯不亮", lat=34.7, long=111.8)
        seed_funds(gov, seed=3)
        reader = gov.tokens.issue(system, system, ["open311"]).secret
        writer = gov.tokens.issue(system, system, ["points"]).secret
        return {"community": city.communities[0], "county": city.county, "reader": reader, "writer": writer,
                "residents": city.all_residents()[:40]}


# ----------------------------------------------------------------------------- load


def load(base: str, path: str, seconds: float, concurrency: int, headers: dict[str, str],
         residents: list[str] | None) -> dict[str, Any]:
    """Run requests for ``seconds`` from ``concurrency`` threads; latencies and errors."""
    import httpx

    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(n: int) -> None:
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            i = n
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                if residents is None:
                    r = client.get(path)
                else:
                    i += concurrency
                    r = client.post(path, headers={"Idempotency-Key": uuid.uuid4().hex},
                                    json={"resident_id": residents[i % len(residents)],
                                          "amount": 1, "reason": "bench"})
                mine.append(time.perf_counter() - t0)
                bad += r.status_code >= 400
        with lock:
            lat.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    lat.sort()
    return {"requests": len(lat), "errors": errors[0], "rps": round(len(lat) / took, 1),
            "p50_ms": round(1000 * statistics.median(lat), 2),
            "p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2)}


def load_in_process(args: list[str]) -> dict[str, Any]:
    """Run :func:`load` in a second process (the load generator); its JSON answer."""
    out = subprocess.run([sys.executable, __file__, "--load", *args], capture_output=True,
                         text=True, env=_env(), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- the ceiling


def ceiling_app(captured: dict[str, Any]) -> Any:
    """Litestar answering the captured bytes from memory, on the same paths."""
    from litestar import Litestar, Response, get, post

    routes = []
    for i, (path, doc) in enumerate(captured.items()):
        body, media = doc["body"].encode("utf-8"), doc["media_type"]

        def answer(body: bytes = body, media: str = media) -> Response[bytes]:
            return Response(body, media_type=media)

        deco = post if doc["method"] == "POST" else get
        routes.append(deco(path, name=f"r{i}", sync_to_thread=False,
                           signature_namespace={"Response": Response},
                           status_code=201 if doc["method"] == "POST" else 200)(answer))
    return Litestar(routes, openapi_config=None)


def serve_ceiling(path: Path, port: int) -> None:
    import uvicorn

    uvicorn.run(ceiling_app(json.loads(path.read_text(encoding="utf-8"))), host="127.0.0.1",
                port=port, log_level="warning", access_log=False)


# ----------------------------------------------------------------------------- the run


def write_floor(url: str, residents: list[str], seconds: float) -> float:
    """In-process ``gov.points.earn`` calls per second on the same database."""
    import community_governance as cg
    from community_governance.domain.access import Actor

    system = Actor.system("bench-floor")
    with cg.open(url, entrypoints=False) as gov:
        n, stop = 0, time.perf_counter() + seconds
        t0 = time.perf_counter()
        while time.perf_counter() < stop:
            gov.points.earn(system, residents[n % len(residents)], 1, key=uuid.uuid4().hex,
                            reason="bench")
            n += 1
        return n / (time.perf_counter() - t0)


def run(url: str, backend: str, seconds: float, concurrency: int) -> None:
    import httpx

    data = build(url)
    port, cport = _free_port(), _free_port()
    base, cbase = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{cport}"
    server = subprocess.Popen(
        [sys.executable, "-c", "from community_governance.cli import main; main()", "serve",
         "--db", url, "--port", str(port), "--rate-limit", "0"],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ceiling = None
    try:
        _wait(f"{base}/open311/v2/discovery.json")
        jid = f"?jurisdiction_id={data['county']}"  # installed county plugins: several
        reads = {"requests_json": ("/open311/v2/requests.json" + jid, data["reader"]),
                 "disclosure_page": (
                     f"/public/funds/{data['community']}/disclosure/2019Q4/print", None)}
        captured: dict[str, Any] = {}
        for _name, (path, token) in reads.items():
            h = {"Authorization": f"Bearer {token}"} if token else {}
            r = httpx.get(base + path, headers=h)
            assert r.status_code == 200, r.text
            captured[path.split("?")[0]] = {"method": "GET", "body": r.text,
                              "media_type": r.headers["content-type"].split(";")[0]}
        assert len(json.loads(captured["/open311/v2/requests.json"]["body"])) == 50
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(captured, f)
        ceiling = subprocess.Popen([sys.executable, __file__, "--ceiling", f.name,
                                    "--port", str(cport)], env=_env())
        _wait(f"{cbase}/open311/v2/requests.json")
        for name, (path, token) in reads.items():
            h = json.dumps({"Authorization": f"Bearer {token}"} if token else {})
            common = [path, str(seconds), str(concurrency), h, ""]
            got = load_in_process([base, *common])
            top = load_in_process([cbase, *common])
            print(json.dumps({"bench": f"http_{name}", "backend": backend, "server": got,
                              "ceiling": top, "ratio": round(got["rps"] / top["rps"], 3),
                              "aim": 0.30}), flush=True)
        h = json.dumps({"Authorization": f"Bearer {data['writer']}"})
        got = load_in_process([base, "/api/v1/points/earn", str(seconds), str(concurrency), h,
                               ",".join(data["residents"])])
    finally:
        server.terminate()
        server.wait(timeout=30)
        if ceiling is not None:
            ceiling.terminate()
            ceiling.wait(timeout=30)
    floor = write_floor(url, data["residents"], seconds)
    print(json.dumps({"bench": "http_points_earn", "backend": backend, "server": got,
                      "in_process_per_s": round(floor, 1),
                      "ratio": round(got["rps"] / floor, 3), "aim": 0.50}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pg", default=os.environ.get("CGOV_TEST_POSTGRES_URL"))
    parser.add_argument("--load", nargs=6, metavar=("BASE", "PATH", "SECONDS", "THREADS",
                                                    "HEADERS", "RESIDENTS"))
    parser.add_argument("--ceiling", type=Path)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))
    if args.load:
        base, path, secs, threads, headers, residents = args.load
        print(json.dumps(load(base, path, float(secs), int(threads), json.loads(headers),
                              residents.split(",") if residents else None)))
        return
    if args.ceiling:
        serve_ceiling(args.ceiling, args.port)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", args.seconds, args.concurrency)
    if args.pg:
        from community_governance.testing.pgschema import postgres_schema

        with postgres_schema(args.pg, "cgov_bench_http") as url:
            run(url, "postgresql", args.seconds, args.concurrency)


if __name__ == "__main__":
    main()
