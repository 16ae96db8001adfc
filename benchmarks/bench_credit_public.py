"""The public credit query at scale (issue 5): p95 < 50 ms under 20 concurrent clients.

All data here is GENERATED (seeded random rows; nothing describes a real enterprise or a
real decision). It is the data of ``benchmarks/bench_credit.py``, made and bulk-loaded by
that benchmark's own functions (see its docstring): at ``--rows-scale 1`` 1,000,000
enterprises with invented names ending in “（生成数据）” (``zhiliang.lib.samplegen.
enterprise_name``: 重庆宏达电器有限公司 and the like) and 5,000,000 credit records, penalties
among them with their publication dates and public terms. This benchmark adds a few
GENERATED listings on the 严重违法失信名单 (one per 20,000 enterprises, at least 5), each
resting on a public heavier penalty, with reasons ending in “（生成数据）”.

What it does (one command, PostgreSQL only: the requirement is PostgreSQL's):

1. a fresh database on the ``scripts/pg.sh`` cluster (or ``DATABASE_URL_PG``'s server):
   migrate (the name-search indexes of registry 0005–0007 included), load the registry,
   bulk-load the GENERATED files (``COPY``, then ``ANALYZE``), then ``VACUUM (ANALYZE)`` as
   autovacuum would soon after (so that it does not run during the timed runs);
2. picks the query mix from the loaded data (in a child process), 1,000 queries:
   - 40 % credit codes (exact) of existing enterprises: 200 random, 150 with penalties in
     their public term, 50 with a listing in force (the page must show the enterprise, and
     the penalty's document number or the listing's reasons);
   - 45 % name fragments of 2–6 characters cut at random from random generated names,
     without the “（生成数据）” mark: rare ones (瑞坤南电子) and very common ones (有限, 重庆)
     alike (the page must show at least one enterprise, and every name shown must contain
     the fragment);
   - 15 % queries that match nothing: characters no generated name uses, words put
     together in an order no name has (有限公司重庆, 药业五金 …), and well-formed credit
     codes nobody has (the page must say nothing was found);
3. serves the app with gunicorn as in production (``ZHILIANG_PRODUCTION=true``,
   ``DEBUG`` off, static files collected, persistent database connections
   ``DB_CONN_MAX_AGE=60``), 4 sync workers by default (two per core: a sync worker also
   waits, for PostgreSQL's answers and for the client to read the page and close, which
   gunicorn 26 waits for before it takes the next request; once the page's Python was cut
   down these waits were a third of a worker's time, and 4 workers answered 385–401
   queries a second where 2 answered 273–358 and 3 368, see README "Performance"),
   behind no proxy:
   the clients send ``X-Forwarded-Proto: https`` as the TLS-terminating proxy would;
4. three runs against that server, each ``--warmup`` seconds untimed first; clients are
   processes sending HTTP/1.1 on plain sockets (:func:`fetch`; ``http.client`` cost them
   0.5 ms of CPU a request on the server's cores, this 0.2–0.3 ms), a new connection per
   request (as a new visitor makes), each with its own shuffled copy of the mix; a request's latency is from
   connect to the last byte of the body; every answer is checked (status 200 and the
   content above):
   - **the limit**: 20 closed-loop clients, each sending its next query as soon as the
     answer is in, for ``--seconds``: 20 requests are in flight all the time, so the
     latencies include the queueing on the 2 cores (which also run PostgreSQL and the
     clients);
   - 20 clients each within the rate limit, one query every 2 seconds (30 a minute),
     for ``--paced-seconds`` (information: what 20 people can ask of the query);
   - peer: the page without a query (the form, no search, not rate limited) under the
     same 20 closed-loop clients: what any page of the app costs under this load.

The rate limit (30 queries a minute per client address, ``zhiliang/portal/ratelimit.py``)
stays as it is and is measured with the rest: each client binds its socket to loopback
addresses of its own (all of 127.0.0.0/8 is loopback on Linux) and moves to a fresh one
after 25 requests, so no address passes the limit and none is refused (a 429 counts as an
error). Raising the limit by a setting for the benchmark was the other way; it was not
taken because it would change the code under test. 20 closed-loop clients at full speed
are a crowd of visitors rather than 20 people (20 people within the limit ask at most 10
queries a second, which the paced run measures); the limit is judged on the crowd, the
stricter reading.

Interpreters: the server (gunicorn, ``python -m gunicorn``) and every other child process
(migrations, ``collectstatic``, the generation and bulk load of ``bench_credit.py``, the
query-mix child) run in the runtime-only virtualenv (``benchmarks/runtime_venv.py``:
pyproject's pinned runtime dependencies, no dev extras and so no pandas, this working tree
on ``PYTHONPATH``), as a production install would serve. The driver (this process, with the
``VACUUM``) and the clients, forked from it, run on whatever interpreter starts the
benchmark, ``.venv``'s under ``make bench``: their latencies are taken on the client side,
and the clients' own CPU per request is reported beside them. The header line names both
interpreters.

Limit (issue 5, full scale): p95 < 50 ms under the 20 closed-loop clients. Exits 1 when it
is missed at full scale, or at any scale when an answer is wrong or an error occurs.

Run: ``.venv/bin/python benchmarks/bench_credit_public.py [--rows-scale 0.01]``;
``--workers``, ``--worker-class``, ``--threads`` choose gunicorn's workers; ``--keep``
keeps the database and ``--reuse`` runs on a kept one (migrating it first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import multiprocessing as mp
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import bench_credit as bc  # benchmarks/bench_credit.py: the GENERATED data and its loads
import harness  # benchmarks/harness.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import describe  # noqa: E402  (benchmarks/machine.py)

P95_LIMIT_S = 0.050
CLIENTS = 20
BENCH_PG_DB = "zhiliang_bench_credit_public"
PER_ADDRESS = 25  # requests from one address; the limit is 30 a minute
LIMIT_PER_MINUTE = 30  # zhiliang.portal.views.CREDIT_QUERIES_PER_MINUTE
URL = "/public/credit/"
NOT_FOUND = "没有找到相符的企业。"
LIMITED = "查询过于频繁"
FORM = "统一社会信用代码或企业名称"
#: Characters no generated name uses (checked against the loaded names too).
ABSENT_CHARACTERS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥鼠牛虎兔蛇马羊猴鸡狗猪"
NAME_RESULT = re.compile(r"<h2>(.*?) <small>")


def log(msg: str) -> None:
    harness.log(msg)


# --- the query mix (child process, Django set up) ----------------------------------------


def pick_mix(n_ent: int, seed: int, today: dt.date) -> dict[str, Any]:
    """Add the GENERATED listings and choose the queries; JSON-ready."""
    from django.db import connection
    from django.db.models.functions import Mod

    from zhiliang.credit.models import CreditRecord, Listing
    from zhiliang.credit.selectors import public_records_q
    from zhiliang.lib.samplegen import INDUSTRY_WORDS, fake_uscc
    from zhiliang.registry.models import Enterprise, Organisation

    rng = random.Random(f"{seed}:public-mix")
    city = Organisation.objects.get(key="cq-joint-office")
    public = CreditRecord.objects.filter(public_records_q(today))

    # Listings in force on public heavier penalties (spread over the table by id).
    n_listings = max(5, n_ent // 20_000)
    listed: list[dict[str, Any]] = []
    if not Listing.objects.exists():
        heavier = list(
            public.filter(heavier=True)
            .alias(spread=Mod("id", 31))  # spread over the table, without ORDER BY random()
            .filter(spread=0)
            .values_list("id", "enterprise_id", "decided_on")[: n_listings * 4]
        )
        seen: set[int] = set()
        rows = []
        for rid, eid, decided in heavier:
            if eid in seen or len(rows) == n_listings:
                continue
            seen.add(eid)
            # in force today: listed 40 days after the decision, at most 300 days ago
            listed_on = min(
                today, max(decided + dt.timedelta(days=40), today - dt.timedelta(days=300))
            )
            reasons = f"无证生产第{rid}号（生成数据）"
            rows.append(
                Listing(
                    enterprise_id=eid,
                    record_id=rid,
                    status=Listing.Status.LISTED,
                    reasons=reasons,
                    basis="《市场监督管理严重违法失信名单管理办法》第七条（生成数据）",
                    proposed_on=listed_on - dt.timedelta(days=30),
                    proposed_by=city,
                    notified_on=listed_on - dt.timedelta(days=28),
                    approved_on=listed_on,
                    approved_by=city,
                    listed_on=listed_on,
                    last_day=listed_on + dt.timedelta(days=3 * 365),
                )
            )
        Listing.objects.bulk_create(rows)
    for listing in Listing.objects.select_related("enterprise"):
        e = listing.enterprise
        listed.append({"kind": "uscc-listed", "q": e.uscc, "expect": [e.name, listing.reasons]})

    usccs: list[dict[str, Any]] = []
    ids = rng.sample(range(1, n_ent + 1), min(n_ent, 200))
    for e in Enterprise.objects.filter(pk__in=ids):
        usccs.append({"kind": "uscc", "q": e.uscc, "expect": [e.uscc, e.name]})
    with_public = list(
        public.alias(spread=Mod("id", 13))
        .filter(spread=0)
        .select_related("enterprise")
        .only("document_no", "enterprise__uscc", "enterprise__name")[:150]
    )
    for r in with_public:
        usccs.append(
            {
                "kind": "uscc-public",
                "q": r.enterprise.uscc,
                "expect": [r.enterprise.name, r.document_no],
            }
        )

    # Every name, upper-cased as the search compares them, for the fragments and to make
    # sure the no-match queries match nothing.
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM registry_enterprise")
        names = [row[0] for row in cur.fetchall()]
    haystack = "\n".join(names).upper()
    mark = bc.GENERATED
    fragments = []
    while len(fragments) < 450:
        name = names[rng.randrange(len(names))].removesuffix(mark)
        parts = [p for p in re.split(r"[（）]", name) if len(p) >= 2]
        part = parts[rng.randrange(len(parts))]
        length = rng.randint(2, min(6, len(part)))
        start = rng.randrange(len(part) - length + 1)
        fragments.append({"kind": "name", "q": part[start : start + length]})

    nothing: list[dict[str, Any]] = []
    words = [w for ws in INDUSTRY_WORDS.values() for w in ws]
    while len(nothing) < 150:
        r = rng.random()
        if r < 0.2:
            # a well-formed credit code nobody has
            q = fake_uscc("500101", 90_000_000 + rng.randrange(9_000_000))
            if not Enterprise.objects.filter(uscc=q).exists():
                nothing.append({"kind": "none", "q": q})
            continue
        if r < 0.6:
            q = "".join(rng.choices(ABSENT_CHARACTERS, k=rng.randint(2, 6)))
        elif r < 0.7:
            q = rng.choice(["有限公司重庆", "公司重庆", "厂重庆", "经营部有限"])
        else:
            q = rng.choice(words) + rng.choice(words)
        if q.upper() not in haystack:
            nothing.append({"kind": "none", "q": q})
    mix = listed + usccs + fragments + nothing
    return {
        "queries": mix,
        "listings": len(listed),
        "counts": {
            k: sum(1 for q in mix if q["kind"] == k) for k in sorted({q["kind"] for q in mix})
        },
    }


# --- the clients ------------------------------------------------------------------------------


def check(query: dict[str, Any], status: int, body: str) -> str:
    """'' when the answer is right, else what is wrong."""
    if status != 200:
        return f"status {status}" + (" (rate limited)" if LIMITED in body else "")
    kind, q = query["kind"], query["q"]
    if kind == "form":
        return "" if FORM in body else "no form"
    if kind == "none":
        return "" if NOT_FOUND in body else "found something"
    if NOT_FOUND in body:
        return "nothing found"
    if kind == "name":
        shown = NAME_RESULT.findall(body)
        if not shown:
            return "no result shown"
        wrong = [s for s in shown if q.upper() not in s.upper()]
        return f"{wrong[0]} does not contain {q}" if wrong else ""
    missing = [e for e in query["expect"] if e not in body]
    return f"missing {missing[0]}" if missing else ""


def request_bytes(q: str) -> bytes:
    """A GET of the query page for ``q``, as a browser behind the TLS proxy sends it (the
    proxy adds ``X-Forwarded-Proto``), asking the server to close after the answer."""
    path = URL + ("?q=" + quote(q) if q else "")
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
        "Accept: text/html\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def fetch(port: int, address: str, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` on a new connection from ``address``; the status and the body.

    On a plain socket rather than ``http.client``, whose header parsing (the ``email``
    package) cost the clients about 0.5 ms of CPU a request on the cores the server
    needs. The answer is read to the end of the connection and checked: a status line,
    and a body as long as its ``Content-Length`` says (a short read is an error)."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=30, source_address=(address, 0)
    ) as s:
        s.sendall(request)
        chunks = []
        while data := s.recv(262_144):
            chunks.append(data)
    head, sep, body = b"".join(chunks).partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP answer: {head[:60]!r}")
    status = int(head[9:12])
    length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
    if length is None or int(length[1]) != len(body):
        raise ValueError(f"body of {len(body)} bytes, Content-Length {length and int(length[1])}")
    return status, body


def client(
    n: int,
    octet: int,
    port: int,
    queries: list[dict[str, Any]],
    start_at: float,
    timed_from: float,
    stop_at: float,
    interval: float,
    out: Any,
) -> None:
    """One client: its own shuffled mix, a fresh loopback address every ``PER_ADDRESS``
    requests; the next request as soon as the answer is in (closed loop) or, with an
    ``interval``, one request every ``interval`` seconds (later if an answer is late)."""
    rng = random.Random(n)
    requests = {q["q"]: request_bytes(q["q"]) for q in queries}
    order = list(range(len(queries)))
    rng.shuffle(order)
    latencies: list[tuple[str, float]] = []
    answers: list[tuple[dict[str, Any], int, bytes, bool]] = []
    errors: list[str] = []
    done = 0
    # paced clients start spread over the interval, as independent people would
    next_at = start_at + (n % CLIENTS) * interval / CLIENTS
    i = 0
    while True:
        time.sleep(max(0.0, next_at - time.time()))
        next_at += interval
        now = time.time()
        if now >= stop_at:
            break
        block = done // PER_ADDRESS
        address = f"127.{octet}.{block // 250}.{block % 250 + 1}"
        query = queries[order[i % len(order)]]
        i += 1
        t0 = time.perf_counter()
        try:
            status, body = fetch(port, address, requests[query["q"]])
        except (OSError, ValueError) as exc:
            status, body = 0, repr(exc).encode()
        elapsed = time.perf_counter() - t0
        done += 1
        timed = now >= timed_from
        if timed:
            latencies.append((query["kind"], elapsed))
        answers.append((query, status, body, timed))
    # The answers are checked once the load is over: checking them as they came cost
    # the clients CPU on the cores the server needs.
    cpu = time.process_time()
    for query, status, body, timed in answers:
        wrong = check(query, status, body.decode(errors="replace"))
        if wrong:
            where = "" if timed else "(warm-up) "
            errors.append(f"{where}{query['kind']} {query['q']}: {wrong}")
    out.send({"latencies": latencies, "errors": errors, "cpu": cpu, "done": done})
    out.close()


def drive(
    port: int,
    queries: list[dict[str, Any]],
    warmup: float,
    seconds: float,
    *,
    clients: int,
    first_octet: int,
    interval: float = 0.0,
) -> dict[str, Any]:
    """``clients`` clients (see :func:`client`) for ``warmup`` + ``seconds``; client n
    sends from 127.(first_octet + n).x.y, so runs with different ``first_octet`` share no
    address."""
    ctx = mp.get_context("fork")
    start_at = time.time() + 1.0
    timed_from = start_at + warmup
    stop_at = timed_from + seconds
    pipes, procs = [], []
    for n in range(clients):
        here, there = ctx.Pipe(duplex=False)
        p = ctx.Process(
            target=client,
            args=(
                n,
                first_octet + n,
                port,
                queries,
                start_at,
                timed_from,
                stop_at,
                interval,
                there,
            ),
        )
        p.start()
        there.close()
        pipes.append(here)
        procs.append(p)
    timed: list[tuple[str, float]] = []
    errors: list[str] = []
    client_cpu, sent = 0.0, 0
    for here in pipes:
        got = here.recv()
        timed += got["latencies"]
        errors += got["errors"]
        client_cpu += got["cpu"]
        sent += got["done"]
    for p in procs:
        p.join()
    latencies = sorted(t for _kind, t in timed)
    by_kind: dict[str, list[float]] = {}
    for kind, t in timed:
        by_kind.setdefault(kind.split("-")[0], []).append(t)

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, math.ceil(len(values) * p) - 1)]

    return {
        "requests": len(latencies),
        "throughput": len(latencies) / seconds,
        "p50": pct(latencies, 0.50),
        "p95": pct(latencies, 0.95),
        "p99": pct(latencies, 0.99),
        "max": latencies[-1],
        "mean": statistics.fmean(latencies),
        "p95_by_kind": {k: pct(sorted(v), 0.95) for k, v in sorted(by_kind.items())},
        "errors": errors,
        # the clients' own CPU time per request (they share the cores with the server)
        "client_cpu_ms": client_cpu / max(sent, 1) * 1000,
    }


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    cmd = [
        harness.runtime_python(),
        "-m",
        "gunicorn",
        "zhiliang.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--no-control-socket",
        "--backlog",
        "256",
        # gunicorn's advice: the workers' heartbeat files in memory, not on a disk whose
        # journal a kernel thread then updates for every request
        "--worker-tmp-dir",
        "/dev/shm",
    ]
    if args.worker_class == "gthread":
        cmd += ["--threads", str(args.threads)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", URL, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        time.sleep(0.3)
    stop(proc)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def production_env(url: str, var_dir: Path) -> dict[str, str]:
    env = harness.zl_env(url, var_dir)
    env.update(
        ZHILIANG_PRODUCTION="true",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DB_CONN_MAX_AGE="60",
    )
    env.pop("DEBUG", None)  # production's default: off
    return env


# --- main -------------------------------------------------------------------------------------


def child(mode: str, args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiliang.settings")
    import django

    django.setup()
    if mode == "mix":
        n_ent = bc.scaled(bc.ENTERPRISES, args.rows_scale)
        print(json.dumps(pick_mix(n_ent, args.seed, args.today), ensure_ascii=False))


def load(url: str, var: Path, args: argparse.Namespace) -> tuple[dict[str, str], str]:
    """Migrate, load the registry and the GENERATED rows; the environment and a summary."""
    env = harness.zl_env(url, var)
    n_ent, n_rec = (
        bc.scaled(bc.ENTERPRISES, args.rows_scale),
        bc.scaled(bc.RECORDS, args.rows_scale),
    )
    if args.reuse:
        start = time.perf_counter()
        harness.zl(["migrate", "-v", "0", "--skip-checks"], env)
        log(f"reusing {url}: migrated in {time.perf_counter() - start:.1f} s")
        return env, f"{n_ent:,} enterprises, {n_rec:,} records (kept database)"
    bc.prepare_db(env)
    districts = bc.districts_of(env)
    made = json.loads(
        bc.in_child(
            ["generate", "--rows-scale", repr(args.rows_scale), "--seed", str(args.seed)]
            + ["--today", args.today.isoformat(), "--cache", str(args.cache)]
            + ["--districts", json.dumps(districts)],
            env,
        )
    )
    log("bulk load …")
    t_load = float(
        bc.in_child(["load", "--target", url, "--files", made["enterprises"], made["records"]], env)
    )
    log(f"  {t_load:.1f} s")
    # What autovacuum does soon after such a load (insert-triggered), done before the
    # timed runs rather than during them: visibility map, GIN pending lists, statistics.
    start = time.perf_counter()
    import psycopg

    with psycopg.connect(harness.pg_conninfo(url), autocommit=True) as con:
        con.execute("VACUUM (ANALYZE) registry_enterprise, credit_creditrecord")
    log(f"  VACUUM (ANALYZE) {time.perf_counter() - start:.1f} s")
    meta = made["meta"]
    return env, (
        f"{meta['enterprises']:,} enterprises, {meta['records']:,} credit records on "
        f"{meta['with_records']:,} of them"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--rows-scale",
        type=float,
        default=1.0,
        help="scale of 1,000,000 enterprises / 5,000,000 records (e.g. 0.01 for a quick check)",
    )
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--seconds", type=float, default=30.0, help="timed seconds of load")
    parser.add_argument(
        "--paced-seconds", type=float, default=60.0, help="timed seconds of the paced run"
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="untimed seconds first")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "zhiliang-bench-credit",
        help="where the GENERATED files are kept between runs (shared with bench_credit.py)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the kept database")
    parser.add_argument("--child", choices=["mix"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    if args.rows_scale <= 0:
        parser.error("--rows-scale must be positive")

    work = Path(tempfile.mkdtemp(prefix="zhiliang-bench-public-"))
    pg_server, started_pg = harness.pg_server_url()
    server: subprocess.Popen[bytes] | None = None
    try:
        url = (
            harness.with_db(pg_server, BENCH_PG_DB)
            if args.reuse
            else harness.pg_fresh_database(pg_server, BENCH_PG_DB)
        )
        env, summary = load(url, work, args)
        log("query mix …")
        out = subprocess.run(
            [harness.runtime_python(), __file__, "--child", "mix"]
            + ["--rows-scale", repr(args.rows_scale)]
            + ["--seed", str(args.seed), "--today", args.today.isoformat()],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            print(out.stderr[-4000:], file=sys.stderr)
            raise SystemExit("the query-mix child failed")
        mix = json.loads(out.stdout)
        log(f"  {len(mix['queries'])} queries: {mix['counts']}")

        penv = production_env(url, work)
        harness.zl(["collectstatic", "--noinput", "-v", "0"], penv)
        port = free_port()
        what = f"{args.workers} {args.worker_class} workers" + (
            f" × {args.threads} threads" if args.worker_class == "gthread" else ""
        )
        log(f"gunicorn, {what}, on port {port} …")
        server = serve(penv, port, args)
        runs: dict[str, dict[str, Any]] = {}
        form = [{"kind": "form", "q": ""}]
        for name, queries, clients, octet, interval, seconds in (
            ("paced", mix["queries"], CLIENTS, 10, 60 / LIMIT_PER_MINUTE, args.paced_seconds),
            ("query", mix["queries"], CLIENTS, 10 + CLIENTS, 0.0, args.seconds),
            ("form", form, CLIENTS, 10 + 2 * CLIENTS, 0.0, args.seconds),
        ):
            log(f"{name}: {clients} clients, {args.warmup:g} s warm-up, {seconds:g} s timed …")
            runs[name] = drive(
                port,
                queries,
                args.warmup,
                seconds,
                clients=clients,
                first_octet=octet,
                interval=interval,
            )
            log(
                f"  p50 {runs[name]['p50'] * 1000:.1f} ms, p95 {runs[name]['p95'] * 1000:.1f} ms,"
                f" {runs[name]['throughput']:.0f} req/s;"
                f" the clients' CPU {runs[name]['client_cpu_ms']:.2f} ms a request"
            )
    finally:
        if server is not None:
            stop(server)
        if not args.keep:
            harness.pg_fresh_database(pg_server, BENCH_PG_DB, drop_only=True)
        if started_pg:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    full = args.rows_scale == 1
    res = runs["query"]
    ok = res["p95"] < P95_LIMIT_S
    errors = [e for run in runs.values() for e in run["errors"]]
    print(f"machine: {describe()}, PostgreSQL on the same cores")
    print(f"data: GENERATED (seed {args.seed}, scale {args.rows_scale:g}): {summary}")
    print(
        f"mix: {len(mix['queries'])} queries {mix['counts']}; gunicorn {what}; "
        f"closed-loop clients, {args.seconds:g} s timed after {args.warmup:g} s each run"
    )
    if not full:
        print(
            f"note: the limit is issue 5's for the full scale; this run is at {args.rows_scale:g}"
        )

    def figures(run: dict[str, Any]) -> str:
        return (
            f"p50 {run['p50'] * 1000:.1f} ms, p95 {run['p95'] * 1000:.1f} ms, "
            f"p99 {run['p99'] * 1000:.1f} ms; {run['throughput']:.0f} req/s, "
            f"{run['requests']:,} requests, {len(run['errors'])} errors; "
            f"clients' CPU {run['client_cpu_ms']:.2f} ms a request"
        )

    print("| measure | figure | limit | verdict |")
    print("|---|---|---|---|")
    print(
        f"| public credit query, {CLIENTS} concurrent clients | {figures(res)} "
        f"| p95 < {P95_LIMIT_S * 1000:.0f} ms | "
        + ("PASS" if ok else "FAIL" if full else "(over, not at full scale)")
        + " |"
    )
    print(
        f"| … {CLIENTS} clients each within the rate limit ({LIMIT_PER_MINUTE} a minute, "
        f"paced) | {figures(runs['paced'])} | — | info |"
    )
    print(
        f"| … peer: the page without a query (the form), {CLIENTS} clients "
        f"| {figures(runs['form'])} | — | info |"
    )
    for name in ("paced", "query"):
        print(
            f"p95 by kind ({name}): "
            + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in runs[name]["p95_by_kind"].items()),
            file=sys.stderr,
        )
    print(
        f"| every answer right (status 200, expected content, no 429) | {len(errors)} errors "
        "| 0 | " + ("PASS" if not errors else "FAIL") + " |"
    )
    for e in errors[:10]:
        print(f"error: {e}", file=sys.stderr)
    if errors or (full and not ok):
        sys.exit(1)


if __name__ == "__main__":
    main()
