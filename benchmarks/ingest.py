"""
Measure ingestion throughput beside PostgreSQL's own COPY of the same rows.

    .venv/bin/python benchmarks/ingest.py [--rows 200000] [--memory-rows 2000000]
        [--repeat 3] [--database-url postgres://postgres@127.0.0.1:5432/peakdesk_bench]

Creates the database of --database-url (it must not exist), migrates it, generates
consultations as a CSV file and measures, each on an empty consultation table:

- COPY of the CSV file into a bare table with the file's columns and types, five
  times, and right after them `manage.py import_consultations` on that file (the
  rate is the command's own figure, without the interpreter's start-up, which is
  printed apart): --repeat such rounds, each comparing the import with the median
  of its COPYs, of which the round with the median ratio is shown, as the
  machine's speed drifts from minute to minute;
- the bulk API, 5,000 records a POST, through `manage.py runserver`, the bodies
  encoded before the clock starts: from one client that waits for each answer,
  then from two such clients at once, each served by its own server process;
- the import command's peak resident memory for --rows and --memory-rows rows.

Each rate is given per wall-clock second and per CPU second of client and server
together (PostgreSQL's processes read from /proc, so the server must run on this
machine for the second figure); on a shared machine the first depends on what else
runs, the second much less. The database is dropped at the end, also after a
failure.
"""

import argparse
import csv
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
BATCH = 5_000
COPY_TARGET, API_TARGET = 8, 16
# COPYs measured before each import.
COPIES = 5
# Requests in flight at once: one client waiting for each answer, and as many
# clients as the machine has cores, as integrators pushing from several producers
# keep a server of as many worker processes busy.
API_CLIENTS = {1: "one client", 2: "two clients"}
COLUMNS = {
    "source": "text",
    "external_id": "text",
    "started_at": "timestamptz",
    "first_response_at": "timestamptz",
    "ended_at": "timestamptz",
    "customer_timezone": "text",
    "channel": "text",
    "consultation_type": "text",
    "business_line": "text",
    "product_category": "text",
    "customer_tier": "text",
    "customer": "text",
    "customer_country": "text",
    "agent": "text",
    "converted": "boolean",
    "satisfaction": "smallint",
    "abandoned": "boolean",
    "message_count": "integer",
}
COUNTRIES = ["CN", "CN", "CN", "CN", "US", "IN", "DE", "NP", "JP", "SG"]
CHANNELS = ["web", "app", "wechat", "phone", "email"]
TYPES = ["pre-sales", "after-sales", "complaint", "technical-support"]
LINES = ["retail", "enterprise", "finance"]
TIERS = ["standard", "vip", "enterprise"]
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Run:
    """A finished child process: wall time, CPU, peak memory, what it printed."""

    seconds: float
    cpu_seconds: float
    max_rss_kib: int
    stdout: str


@dataclass(frozen=True)
class Measurement:
    """Rows stored, in wall seconds and in CPU seconds of client and server."""

    rows: int
    seconds: float
    cpu_seconds: float | None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    @property
    def cpu_rate(self) -> float | None:
        return self.rows / self.cpu_seconds if self.cpu_seconds else None


class ServerCpu:
    """
    CPU seconds of the PostgreSQL processes serving one database, from /proc.

    The machine is shared, so wall-clock rates depend on what else runs; CPU
    seconds do not. Processes are sampled every 50 ms, so the last moments of one
    that exits between samples are missed; where the server's processes are not
    visible (another host), the figure is 0 and the CPU columns show "-".
    """

    def __init__(self, database: str) -> None:
        self.tag = f" {database} ".encode()
        self.baseline: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.running = False

    def __enter__(self) -> "ServerCpu":
        self.baseline = self._sample()
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.running = False
        self.thread.join()
        self.last.update(self._sample())

    @property
    def seconds(self) -> float:
        return sum(cpu - self.baseline.get(pid, 0.0) for pid, cpu in self.last.items())

    def _watch(self) -> None:
        while self.running:
            self.last.update(self._sample())
            time.sleep(0.05)

    def _sample(self) -> dict[str, float]:
        found = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
                if command.startswith(b"postgres:") and self.tag in command:
                    found[pid] = process_cpu(pid)
            except OSError:
                continue
        return found


def process_cpu(pid: str) -> float:
    """Return the user and system CPU seconds of a process; 0 if not visible."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    options = parse_arguments()
    url = options.database_url
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    create_database(url)
    try:
        manage(env, "migrate", "--no-input", "-v", "0")
        with tempfile.TemporaryDirectory(prefix="peakdesk-bench-") as folder:
            report(measure(Path(folder), url, env, options), options)
    finally:
        drop_database(url)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--memory-rows", type=int, default=2_000_000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="imports, each after five COPYs; the median ratio is shown",
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/peakdesk_bench",
    )
    return parser.parse_args()


def measure(
    folder: Path, url: str, env: dict[str, str], options: argparse.Namespace
) -> dict[str, Any]:
    small = write_csv(folder / "small.csv", options.rows)
    results: dict[str, Any] = {
        "csv_bytes": small.stat().st_size,
        "load": os.getloadavg()[0],
    }
    database = _name(url)

    rejects = str(folder / "rejects.csv")
    # The interpreter's and Django's start-up, to leave out of the command's CPU.
    start_up = manage(env, "import_consultations", "--help").cpu_seconds
    # Each import right after its COPYs: the machine's speed drifts by a fifth
    # within minutes, and they then see the same machine. A COPY takes half a
    # second, which a moment's load moves more than it moves the import's
    # seconds: the median of a few stands for it.
    rounds = []
    for _ in range(options.repeat):
        copies = [measure_copy(url, small, options.rows) for _ in range(COPIES)]
        copy = median(copies, key=lambda each: each.rate)
        empty_consultations(url)
        with ServerCpu(database) as server:
            run = manage(env, "import_consultations", str(small), "--rejects", rejects)
        measured = Measurement(
            options.rows,
            options.rows / command_rate(run),
            run.cpu_seconds - start_up + server.seconds,
        )
        rounds.append((copy, measured, run))
    results["rounds"] = [(copy.rate, measured.rate) for copy, measured, _ in rounds]
    results["copy"], results["import"], run = median(
        rounds, key=lambda round_: round_[1].rate / round_[0].rate
    )
    results["import_wall"] = Measurement(options.rows, run.seconds, None)
    results["import_output"] = run.stdout.strip()
    results["rss_small"] = run.max_rss_kib

    for clients, measured in measure_api(env, url, options.rows, API_CLIENTS).items():
        results[f"api_{clients}"] = measured

    large = write_csv(folder / "large.csv", options.memory_rows)
    empty_consultations(url)
    run = manage(env, "import_consultations", str(large), "--rejects", rejects)
    results["rss_large"] = run.max_rss_kib
    results["import_large"] = command_rate(run)
    large.unlink()
    return results


def median(runs: list[T], key: Callable[[T], float]) -> T:
    """Return the run of median `key`."""
    return sorted(runs, key=key)[len(runs) // 2]


def report(results: dict[str, Any], options: argparse.Namespace) -> None:
    copy: Measurement = results["copy"]
    print(
        f"PostgreSQL: {server_version(options.database_url)}; cores: {os.cpu_count()}; "
        f"load average before: {results['load']:.1f}"
    )
    print(f"{options.rows:,} rows, CSV {results['csv_bytes'] / 2**20:.1f} MiB")
    print(f"  {results['import_output']}")
    print(f"{'':30}{'rows/s':>9}  {'ratio':>7}  {'rows/CPU-s':>10}  {'ratio':>7}")
    for label, key, target in [
        ("COPY into a bare table", "copy", 1),
        ("import command", "import", COPY_TARGET),
        ("  with interpreter start-up", "import_wall", COPY_TARGET),
        *(
            (f"bulk API, {label}", f"api_{clients}", API_TARGET)
            for clients, label in API_CLIENTS.items()
        ),
    ]:
        measured: Measurement = results[key]
        print(
            f"{label:30}{measured.rate:>9,.0f}  {_ratio(copy.rate, measured.rate):>7}"
            f"  {_rate(measured.cpu_rate):>10}  "
            f"{_ratio(copy.cpu_rate, measured.cpu_rate):>7}"
            + ("" if target == 1 else f"  (target 1/{target})")
        )
    rounds = "; ".join(
        f"{copy:,.0f} and {imported:,.0f} ({_ratio(copy, imported)})"
        for copy, imported in results["rounds"]
    )
    print(f"COPY (median of {COPIES}) and import, rows/s, by round: {rounds}")
    print(
        f"import command peak RSS: {options.rows:,} rows "
        f"{results['rss_small'] / 1024:.0f} MiB; {options.memory_rows:,} rows "
        f"{results['rss_large'] / 1024:.0f} MiB "
        f"(at {results['import_large']:,.0f} rows/s)"
    )


def _ratio(reference: float | None, rate: float | None) -> str:
    if not reference or not rate:
        return "-"
    return "1" if reference == rate else f"1/{reference / rate:.1f}"


def _rate(rate: float | None) -> str:
    return f"{rate:,.0f}" if rate else "-"


def records(count: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Yield `count` varied consultations as a client would send them."""
    rng = random.Random(seed)
    for n in range(count):
        started = START + timedelta(seconds=rng.randrange(90 * 86400))
        abandoned = rng.random() < 0.08
        answered = (
            None if abandoned else started + timedelta(seconds=rng.randrange(600))
        )
        ended = (answered or started) + timedelta(seconds=rng.randrange(1, 3600))
        customer = rng.randrange(50_000)
        yield {
            "source": "bench",
            "external_id": f"b-{n}",
            "started_at": started.isoformat(),
            "first_response_at": answered.isoformat() if answered else None,
            "ended_at": ended.isoformat(),
            "customer_timezone": "Asia/Shanghai" if rng.random() < 0.3 else None,
            "channel": rng.choice(CHANNELS),
            "consultation_type": rng.choice(TYPES),
            "business_line": rng.choice(LINES),
            "product_category": f"category-{rng.randrange(12)}",
            "customer_tier": rng.choice(TIERS),
            "customer": f"customer-{customer}",
            "customer_country": COUNTRIES[customer % len(COUNTRIES)],
            "agent": None if abandoned else f"agent-{rng.randrange(300)}",
            "converted": rng.random() < 0.2,
            "satisfaction": rng.choice([None, None, None, 1, 2, 3, 4, 5]),
            "abandoned": abandoned,
            "message_count": rng.randrange(1, 60),
        }


def write_csv(path: Path, count: int) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for record in records(count):
            writer.writerow([_cell(value) for value in record.values()])
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def measure_copy(url: str, path: Path, rows: int) -> Measurement:
    """Return how fast COPY loads the CSV file into a bare table."""
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE TABLE bench_copy ({columns})")
        backend = str(connection.info.backend_pid)
        server_cpu, client_cpu = process_cpu(backend), time.process_time()
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER)") as copy,
            path.open("rb") as file,
        ):
            while block := file.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - client_cpu + process_cpu(backend) - server_cpu
        connection.execute("DROP TABLE bench_copy")
    return Measurement(rows, seconds, cpu)


def measure_api(
    env: dict[str, str], url: str, count: int, clients: Collection[int]
) -> dict[int, Measurement]:
    """
    Return how fast the bulk endpoint stores rows, BATCH records a request, for
    each number of clients posting at once (on an empty table each time).
    """
    token = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.auth import get_user_model;"
        "from rest_framework.authtoken.models import Token;"
        "user = get_user_model().objects.create_superuser('bench', '', 'x' * 20);"
        "print(Token.objects.create(user=user).key)",
    ).stdout.strip()
    iterator = records(count)
    bodies = []
    while batch := [record for _, record in zip(range(BATCH), iterator, strict=False)]:
        bodies.append(json.dumps({"records": batch}).encode())

    # A server process per client, as a WSGI server's worker processes serve them.
    ports = [free_port() for _ in range(max(clients))]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--nothreading",
                "--skip-checks",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_for_port(port)
        measured = {}
        for number in clients:
            empty_consultations(url)
            pids = [str(server.pid) for server in servers[:number]]
            with ServerCpu(_name(url)) as postgres:
                client_cpu = sum(map(process_cpu, pids)) + time.process_time()
                seconds = _post_all(ports[:number], token, bodies)
                cpu = sum(map(process_cpu, pids)) + time.process_time() - client_cpu
            measured[number] = Measurement(count, seconds, cpu + postgres.seconds)
        return measured
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)


def _post_all(ports: list[int], token: str, bodies: list[bytes]) -> float:
    """
    Post `bodies` from a client per port, each waiting for its answers; return the
    seconds it took.
    """
    pending = iter(bodies)
    lock = threading.Lock()

    def client(port: int) -> None:
        while True:
            with lock:
                body = next(pending, None)
            if body is None:
                return
            post(port, token, body)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(ports)) as pool:
        for _done in pool.map(client, ports):
            pass
    return time.perf_counter() - started


def post(port: int, token: str, body: bytes) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(
        "POST",
        "/api/consultations/bulk/",
        body,
        {"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"bulk API answered {response.status}: {answer[:500]!r}")
    if json.loads(answer)["rejected"]:
        raise RuntimeError(f"bulk API rejected records: {answer[:500]!r}")


def manage(env: dict[str, str], *args: str) -> Run:
    """Run manage.py in a child process; return its time, peak RSS and output."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    stdout = process.stdout.read()
    # wait4 reports the resources of this child alone (RUSAGE_CHILDREN would keep
    # the largest child so far); ru_maxrss is in KiB on Linux.
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{stdout}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(time.perf_counter() - started, cpu, usage.ru_maxrss, stdout)


def command_rate(run: Run) -> int:
    """Return the rows a second of the import's own time, as its summary says."""
    # The rate, not the seconds shown to a tenth: at 3.5 s the rounding alone
    # would move the ratio by up to 1.4%.
    match = re.search(r"\((\d+) rows/s\)", run.stdout)
    if match is None:
        raise RuntimeError(f"no rate in the import's summary:\n{run.stdout}")
    return int(match.group(1))


def empty_consultations(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        # The change log that the analytics triggers fill and the customers go
        # too, so that each measurement starts from the same state.
        connection.execute(
            "TRUNCATE consultations_consultation, analytics_consultationchange, "
            "consultations_customer"
        )
        connection.execute("VACUUM ANALYZE consultations_consultation")


def create_database(url: str) -> None:
    with psycopg.connect(_maintenance(url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{_name(url)}"')


def drop_database(url: str) -> None:
    with psycopg.connect(_maintenance(url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{_name(url)}" WITH (FORCE)')


def server_version(url: str) -> str:
    with psycopg.connect(_maintenance(url)) as connection:
        return str(connection.execute("SHOW server_version").fetchone()[0])


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _maintenance(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"runserver did not listen on port {port}")


if __name__ == "__main__":
    main()
