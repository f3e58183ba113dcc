#!/usr/bin/env python3
"""FeePay's benchmark: FeePay over HTTP against PostgreSQL running the same SQL (pgbench), in
the same run, on the same machine. See the README's "Performance" section.

  scripts/bench [--quick] [--no-build] [--no-micro]
"""
import base64, hashlib, hmac, json, os, platform, random, re, shutil, signal, socket, subprocess, sys, tempfile, time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
DURATION = 3 if QUICK else 20
CLIENTS = 32
RECEIPT_BACKLOG = 2000 if QUICK else 20000
STATEMENT_LINES = 20000 if QUICK else 1000000
MASTER_KEY = base64.b64encode(os.urandom(32)).decode()
HMAC_SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


def sh(cmd, env=None, capture=True, check=True, **kw):
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run(cmd, env=e, text=True, capture_output=capture, **kw)
    if check and r.returncode != 0:
        sys.stderr.write(f"command failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}\n")
        sys.exit(1)
    return r


def as_owner(cmd):
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def bindir():
    try:
        d = subprocess.run(["pg_config", "--bindir"], text=True, capture_output=True).stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except FileNotFoundError:
        pass
    return sorted([f"/usr/lib/postgresql/{v}/bin" for v in os.listdir("/usr/lib/postgresql")])[-1]


class Postgres:
    SETTINGS = {"max_connections": "200", "shared_buffers": "256MB", "fsync": "on", "synchronous_commit": "on",
                "listen_addresses": "127.0.0.1", "max_wal_size": "2GB"}

    def __init__(self):
        self.bin = bindir()
        self.dir = tempfile.mkdtemp(prefix="feepay-bench-pg.")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.port = free_port()
        sh(as_owner([f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-U", "feepay", "--auth=trust", "-E", "UTF8", "--locale=C"]))
        args = [f"{self.bin}/postgres", "-D", f"{self.dir}/data", "-p", str(self.port), "-k", self.dir]
        for k, v in self.SETTINGS.items():
            args += ["-c", f"{k}={v}"]
        self.proc = subprocess.Popen(as_owner(["setsid"] + args), stdout=open(f"{self.dir}/log", "w"), stderr=subprocess.STDOUT)
        for _ in range(100):
            if subprocess.run([f"{self.bin}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0:
                break
            time.sleep(0.1)

    def url(self, db):
        return f"postgres://feepay@127.0.0.1:{self.port}/{db}?sslmode=disable"

    def psql(self, db, sql, quiet=True):
        r = sh([f"{self.bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                str(self.port), "-U", "feepay", "-d", db, "-c", sql])
        return r.stdout.strip()

    def stop(self):
        pid_file = f"{self.dir}/data/postmaster.pid"
        if os.path.exists(pid_file):
            pid = int(open(pid_file).readline())
            os.kill(pid, signal.SIGINT)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                    time.sleep(0.1)
                except ProcessLookupError:
                    break
        shutil.rmtree(self.dir, ignore_errors=True)


def feepay(args, pg, db, env=None):
    e = {"DATABASE_URL": pg.url(db), "FEEPAY_MASTER_KEY": MASTER_KEY, "FEEPAY_MIGRATIONS_DIR": f"{ROOT}/Migrations",
         "LOG_LEVEL": "error"}
    if env:
        e.update(env)
    return sh([f"{ROOT}/.build/release/feepay"] + args, env=e).stdout.strip()


def provision(pg, db):
    pg.psql("postgres", f"CREATE DATABASE {db}")
    feepay(["migrate"], pg, db)
    feepay(["agency", "add", "--code", "BENCH", "--name", "Sở Tư pháp (bench)", "--tax-code", "0301234567",
            "--bank-bin", "970436", "--account-number", "0071000123456", "--account-name", "SO TU PHAP BENCH",
            "--receipt-series", "C26TAA"], pg, db)
    feepay(["portal", "add", "--code", "bench-portal", "--name", "Bench", "--agencies", "BENCH"], pg, db)
    feepay(["connector", "add", "--code", "vcb", "--kind", "standard-webhooks", "--secret", HMAC_SECRET], pg, db)
    return feepay(["key", "create", "--portal", "bench-portal"], pg, db)


def pgbench(pg, db, script):
    r = sh([f"{pg.bin}/pgbench", "-n", "-M", "prepared", "-c", str(CLIENTS), "-j", "2", "-T", str(DURATION), "-r",
            "-h", "127.0.0.1", "-p", str(pg.port), "-U", "feepay", "-f", f"{ROOT}/bench/pgbench/{script}", db])
    tps = float(re.search(r"tps = ([0-9.]+)", r.stdout).group(1))
    lat = float(re.search(r"latency average = ([0-9.]+) ms", r.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
    return {"tps": tps, "latency_avg_ms": lat, "failed": int(failed.group(1)) if failed else 0}


def wrk(url, script, env, duration=None):
    e = {"FEEPAY_WRK_REPORT": f"{ROOT}/bench/wrk/report.lua"}
    e.update(env)
    r = sh(["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{duration or DURATION}s", "--timeout", "10s", "-s",
            f"{ROOT}/bench/wrk/{script}", url], env=e)
    line = [l for l in r.stdout.splitlines() if l.startswith("BENCH ")][-1]
    return json.loads(line[6:])


def rss_peak_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Service:
    def __init__(self, pg, db, env=None):
        self.port = free_port()
        e = dict(os.environ)
        e.update({"DATABASE_URL": pg.url(db), "FEEPAY_MASTER_KEY": MASTER_KEY, "FEEPAY_MIGRATIONS_DIR": f"{ROOT}/Migrations",
                  "LOG_LEVEL": "warning", "FEEPAY_WEBHOOK_RETRY_SCHEDULE": "1h"})
        e.update(env or {})
        self.proc = subprocess.Popen([f"{ROOT}/.build/release/feepay", "serve", "--port", str(self.port)], env=e,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                import urllib.request
                if urllib.request.urlopen(self.url + "/health/ready", timeout=1).status == 200:
                    return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("feepay serve did not become ready")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def signed_callbacks(pg, db, path):
    rows = pg.psql(db, "SELECT payment_code || ',' || total_amount FROM invoices WHERE status = 'open' ORDER BY created_at")
    now = int(time.time())
    key = base64.b64decode(HMAC_SECRET[len("whsec_"):])
    count = 0
    with open(path, "w") as out:
        for i, row in enumerate(rows.splitlines()):
            code, amount = row.split(",")
            body = json.dumps({"type": "payment.succeeded", "data": {
                "payment_code": code, "amount": int(amount), "currency": "VND", "bank_txn_id": f"BENCH.{i}",
                "paid_at": datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}},
                separators=(",", ":"))
            msg = f"msg_{i}"
            sig = base64.b64encode(hmac.new(key, f"{msg}.{now}.{body}".encode(), hashlib.sha256).digest()).decode()
            out.write(f"{msg}\t{now}\tv1,{sig}\t{body}\n")
            count += 1
    return count


def seed_paid(pg, db, tag, n, day):
    """n paid invoices, their payments and bank transactions (connector vcb), paid on `day`
    (Hanoi time), written directly in one statement: the state FeePay is in after n accepted
    callbacks, without spending the benchmark's time on them. Bank transaction ids are
    `{tag}.{i}`; amounts are 16,000."""
    pg.psql(db, f"""
      WITH inv AS (
        INSERT INTO invoices (id, portal_code, agency_code, dossier_code, procedure_code, payer_name, currency,
                              total_amount, payment_code, vietqr, status, expires_at, created_at, paid_at, payment_id)
        SELECT 'inv_{tag}_' || i, 'bench-portal', 'BENCH', 'D-' || i, '1.001234', 'Nguyễn Văn An', 'VND', 16000,
               'F{tag}' || lpad(i::text, 9, '0'), 'x', 'paid', '{day} 23:00+07'::timestamptz + interval '3 days',
               '{day} 09:00+07'::timestamptz, '{day} 10:00+07'::timestamptz, 'pay_{tag}_' || i
        FROM generate_series(1, {n}) i RETURNING 1
      ), lines AS (
        INSERT INTO invoice_lines (invoice_id, line_no, fee_code, description, quantity, unit_amount, amount)
        SELECT 'inv_{tag}_' || i, 1, 'LPHT-01', 'Lệ phí cấp bản sao trích lục hộ tịch', 2, 8000, 16000
        FROM generate_series(1, {n}) i
      ), pay AS (
        INSERT INTO payments (id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at,
                              business_date, source)
        SELECT 'pay_{tag}_' || i, 'vcb', '{tag}.' || i, 'inv_{tag}_' || i, 16000, 'VND', '{day} 10:00+07',
               '{day} 10:00+07', '{day}', 'callback'
        FROM generate_series(1, {n}) i
      ), bt AS (
        INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, created_at)
        SELECT 'vcb', '{tag}.' || i, 'pay_{tag}_' || i, '{day} 10:00+07' FROM generate_series(1, {n}) i
      )
      SELECT count(*) FROM inv""")
    pg.psql(db, "VACUUM ANALYZE invoices, invoice_lines, payments, bank_transactions")


def main():
    if "--no-build" not in sys.argv:
        print("building feepay (release)…", flush=True)
        sh(["swift", "build", "-c", "release", "--product", "feepay"], capture=False, cwd=ROOT)
    pg = Postgres()
    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "quick": QUICK,
               "machine": {"cpus": os.cpu_count(), "system": platform.platform(),
                           "postgres": sh([f"{pg.bin}/postgres", "--version"]).stdout.strip()},
               "settings": dict(Postgres.SETTINGS, clients=CLIENTS, duration_s=DURATION), "scenarios": []}
    print("PostgreSQL settings:", json.dumps(Postgres.SETTINGS), flush=True)
    try:
        # The limit: the very statements FeePay runs, through pgbench.
        provision(pg, "feepay_limit")
        pg.psql("feepay_limit", """
          DROP INDEX payments_one_per_invoice;
          CREATE SEQUENCE bench_payment_codes;
          INSERT INTO api_keys (id, prefix, key_hash, role, portal_code, created_at)
            VALUES ('key_bench', 'fpk_bench', decode(md5('x') || md5('y'), 'hex'), 'portal', 'bench-portal', now());
          INSERT INTO invoices (id, portal_code, agency_code, dossier_code, procedure_code, payer_name, currency,
                                total_amount, payment_code, vietqr, status, expires_at, created_at)
            SELECT 'inv_b_' || n, 'bench-portal', 'BENCH', 'D', '1', 'An', 'VND', 16000, 'FPB' || lpad(n::text, 8, '0'),
                   'x', 'open', now() + interval '3 days', now() FROM generate_series(1, 200000) n;
          INSERT INTO invoice_lines SELECT 'inv_b_' || n, 1, 'LPHT-01', 'x', 2, 8000, 16000 FROM generate_series(1, 200000) n;""")
        pg.psql("feepay_limit", "VACUUM ANALYZE")
        limit_invoice = pgbench(pg, "feepay_limit", "create_invoice.sql")
        limit_callback = pgbench(pg, "feepay_limit", "accept_callback.sql")
        print("pgbench:", json.dumps({"create_invoice": limit_invoice, "accept_callback": limit_callback}), flush=True)

        # FeePay over HTTP, driven by wrk from another process.
        key = provision(pg, "feepay")
        service = Service(pg, "feepay", {"FEEPAY_RECEIPT_INTERVAL_MS": "0"})
        try:
            create = wrk(service.url, "create_invoice.lua", {"FEEPAY_KEY": key})
            create["rss_mb"] = rss_peak_mb(service.proc.pid)
            # The latency goal is stated at 80 % of the peak rate: pace each connection so that
            # the 32 of them together offer that rate (calibrated by a short probe).
            target = 0.8 * create["rps"]
            pause = CLIENTS * 1000 / target
            probe = wrk(service.url, "create_invoice.lua", {"FEEPAY_KEY": key, "FEEPAY_WRK_DELAY_MS": str(round(pause))},
                        duration=2)
            cycle_overhead = max(0.0, CLIENTS * 1000 / max(probe["rps"], 1) - round(pause))
            pause = max(1, round(CLIENTS * 1000 / target - cycle_overhead))
            paced = wrk(service.url, "create_invoice.lua", {"FEEPAY_KEY": key, "FEEPAY_WRK_DELAY_MS": str(pause)})
            paced["rss_mb"] = rss_peak_mb(service.proc.pid)
            paced["share_of_peak"] = paced["rps"] / create["rps"]
            invoice = pg.psql("feepay", "SELECT id FROM invoices ORDER BY created_at LIMIT 1")
            path = os.path.join(tempfile.gettempdir(), "feepay-bench-callbacks.tsv")
            signed_callbacks(pg, "feepay", path)
            callback = wrk(service.url, "callback.lua", {"FEEPAY_CALLBACKS": path})
            callback["rss_mb"] = rss_peak_mb(service.proc.pid)
            get = wrk(service.url, "get_invoice.lua", {"FEEPAY_KEY": key, "FEEPAY_INVOICE": invoice})
            get["rss_mb"] = rss_peak_mb(service.proc.pid)
        finally:
            service.stop()
        results["scenarios"] += [
            {"name": "POST /v1/invoices", **create, "limit_tps": limit_invoice["tps"],
             "ratio": create["rps"] / limit_invoice["tps"]},
            {"name": f"POST /v1/invoices at {paced['share_of_peak']:.0%} of peak", **paced, "limit_tps": None,
             "ratio": None},
            {"name": "POST /v1/callbacks (HMAC)", **callback, "limit_tps": limit_callback["tps"],
             "ratio": callback["rps"] / limit_callback["tps"]},
            {"name": "GET /v1/invoices/{id}", **get, "limit_tps": None, "ratio": None},
        ]

        # Receipts: a backlog of paid invoices, issued by the running service. The invoices
        # the callbacks paid come first; seeded ones make up the rest of the backlog.
        hanoi_today = datetime.fromtimestamp(time.time() + 7 * 3600, tz=timezone.utc).strftime("%Y-%m-%d")
        paid = int(pg.psql("feepay", "SELECT count(*) FROM invoices WHERE status = 'paid' AND receipt_id IS NULL"))
        if paid < RECEIPT_BACKLOG:
            seed_paid(pg, "feepay", "Q", RECEIPT_BACKLOG - paid, hanoi_today)
        backlog = RECEIPT_BACKLOG
        paid = int(pg.psql("feepay", "SELECT count(*) FROM invoices WHERE status = 'paid' AND receipt_id IS NULL"))
        if paid > backlog:
            pg.psql("feepay", f"""UPDATE invoices SET receipt_id = 'skip' WHERE id IN (
                SELECT id FROM invoices WHERE status = 'paid' AND receipt_id IS NULL ORDER BY paid_at DESC, id LIMIT {paid - backlog})""")
        start = time.monotonic()
        service = Service(pg, "feepay", {"FEEPAY_RECEIPT_INTERVAL_MS": "50"})
        try:
            while int(pg.psql("feepay", "SELECT count(*) FROM receipts")) < backlog and time.monotonic() - start < 900:
                time.sleep(0.05)
            elapsed = time.monotonic() - start
            rss = rss_peak_mb(service.proc.pid)
        finally:
            service.stop()
        numbers = pg.psql("feepay", "SELECT count(*) || ',' || coalesce(min(number), 0) || ',' || coalesce(max(number), 0) FROM receipts")
        n, lo, hi = (int(x) for x in numbers.split(","))
        results["scenarios"].append({"name": "receipts (backlog)", "requests": n, "seconds": elapsed, "rps": n / elapsed,
                                     "gapless": n == backlog and lo == 1 and hi == n, "rss_mb": rss, "limit_tps": None,
                                     "ratio": None, "p50_ms": None, "p99_ms": None, "errors": 0})

        # Reconciliation: yesterday's statement for the connector, against \copy plus the same
        # categorization SQL. FeePay recorded STATEMENT_LINES payments that day; the bank lists
        # 98 % of them as they are, 1 % with another amount, leaves 1 % out (missing in the
        # bank), and adds 1 % FeePay never heard of.
        day = datetime.fromtimestamp(time.time() + 7 * 3600 - 86400, tz=timezone.utc).strftime("%Y-%m-%d")
        seed_paid(pg, "feepay", "R", STATEMENT_LINES, day)
        csv_path = os.path.join(tempfile.gettempdir(), "feepay-bench-statement.csv")
        with open(csv_path, "w") as f:
            f.write("bank_txn_id,payment_code,amount,currency,paid_at,payer_account,memo\n")
            for i in range(1, STATEMENT_LINES + 1):
                if i % 100 == 0:
                    f.write(f"X.{i},,{random.randint(1000, 900000)},VND,{day}T10:15:00+07:00,0071000999999,chuyen khoan {i}\n")
                    continue
                amount = 15000 if i % 100 == 1 else 16000
                f.write(f"R.{i},,{amount},VND,{day}T10:00:00+07:00,0071000999999,chuyen khoan {i}\n")
        start = time.monotonic()
        summary = feepay(["reconcile", "--connector", "vcb", "--date", day, csv_path], pg, "feepay")
        service_seconds = time.monotonic() - start
        start = time.monotonic()
        pg.psql("feepay", "CREATE TABLE bench_stmt (bank_txn_id text, payment_code text, amount bigint, currency text, paid_at timestamptz, payer_account text, memo text, category text)")
        sh([f"{pg.bin}/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "feepay", "-d", "feepay", "-c",
            f"\\copy bench_stmt (bank_txn_id, payment_code, amount, currency, paid_at, payer_account, memo) FROM '{csv_path}' WITH (FORMAT csv, HEADER true)"])
        baseline = pg.psql("feepay", open(f"{ROOT}/bench/reconcile_baseline.sql").read().replace(":'day'", f"'{day}'"))
        baseline_seconds = time.monotonic() - start
        results["scenarios"].append({"name": f"reconcile {STATEMENT_LINES} lines", "requests": STATEMENT_LINES,
                                     "seconds": service_seconds, "rps": STATEMENT_LINES / service_seconds,
                                     "limit_tps": STATEMENT_LINES / baseline_seconds,
                                     "ratio": baseline_seconds / service_seconds, "p50_ms": None, "p99_ms": None,
                                     "errors": 0, "rss_mb": None, "baseline_seconds": baseline_seconds,
                                     "summary": summary, "baseline_categories": baseline})
        print("reconcile:", json.dumps({"feepay_s": service_seconds, "baseline_s": baseline_seconds,
                                        "summary": summary, "baseline": baseline}), flush=True)
    finally:
        pg.stop()

    write(results)
    if "--no-micro" not in sys.argv:
        micro(results["quick"])


def micro(quick):
    """The package-benchmark micro-benchmarks of bench/micro (FeePayCore's pure hot paths)."""
    print("micro-benchmarks (bench/micro)…", flush=True)
    env = {"FEEPAY_BENCH_QUICK": "1"} if quick else {}
    r = sh(["swift", "package", "--allow-writing-to-package-directory", "benchmark", "--no-progress", "--format",
            "markdown"], env=env, cwd=f"{ROOT}/bench/micro")
    tables = r.stdout[r.stdout.index("## HotPaths"):] if "## HotPaths" in r.stdout else r.stdout
    suffix = "-QUICK" if quick else ""
    with open(f"{ROOT}/bench/MICRO{suffix}.md", "w") as f:
        f.write(f"# FeePay micro-benchmarks{' (quick: a few iterations each)' if quick else ''}\n\n")
        f.write(f"{datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')} · {os.cpu_count()} CPUs · "
                f"{platform.platform()} · package-benchmark, `swift package benchmark` in bench/micro\n\n")
        f.write("Wall clock per call of FeePayCore's pure hot paths, and the allocations each makes.\n\n")
        f.write(tables.replace("## HotPaths", "").strip() + "\n")
    print(f"wrote bench/MICRO{suffix}.md", flush=True)


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def write(results):
    header = "| scenario | req/s | p50 ms | p99 ms | errors | peak RSS MiB | limit (pgbench tps) | ratio |"
    rows = [header, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in results["scenarios"]:
        rows.append(f"| {s['name']} | {fmt(s['rps'], '.0f')} | {fmt(s.get('p50_ms'), '.2f')} | {fmt(s.get('p99_ms'), '.2f')} | "
                    f"{s.get('errors', 0)} | {fmt(s.get('rss_mb'), '.0f')} | {fmt(s.get('limit_tps'), '.0f')} | "
                    f"{fmt(s.get('ratio'), '.0%')} |")
    table = "\n".join(rows)
    print(table)
    os.makedirs(f"{ROOT}/bench", exist_ok=True)
    suffix = "-quick" if results["quick"] else ""
    json.dump(results, open(f"{ROOT}/bench/results{suffix}.json", "w"), indent=2)
    with open(f"{ROOT}/bench/RESULTS{suffix.upper()}.md", "w") as f:
        f.write(f"# FeePay benchmark{' (quick)' if results['quick'] else ''}\n\n")
        f.write(f"{results['date']} · {results['machine']['cpus']} CPUs · {results['machine']['system']} · "
                f"{results['machine']['postgres']}\n\n")
        f.write(f"PostgreSQL: {json.dumps(results['settings'])}\n\n{table}\n")


if __name__ == "__main__":
    main()
