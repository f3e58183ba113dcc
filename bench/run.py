#!/usr/bin/env python3
"""FeePay's benchmark: FeePay over HTTP against PostgreSQL running the same SQL (pgbench), in
the same run, on the same machine. See the README's "Performance" section.

  scripts/bench [--quick] [--no-build] [--no-micro]

A full run always builds FeePay in release mode first; --quick skips that build when
.build/release/feepay is newer than every file in Sources/, Package.swift and Package.resolved.
Each stage's wall-clock time is printed as it ends, and all of them at the end.
"""
import base64, hashlib, hmac, json, os, platform, random, re, shutil, signal, socket, subprocess, sys, tempfile, time
from contextlib import contextmanager
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
DURATION = 3 if QUICK else 20
CLIENTS = 32
# The open-loop run keeps more connections than it needs (at 80 % of the peak about 15 are
# busy at a time), so that a reply that is late does not hold back the requests due after it.
OPEN_LOOP_CONNECTIONS = 64
LIMIT_INVOICES = 200000
RECEIPT_BACKLOG = 2000 if QUICK else 20000
STATEMENT_LINES = 20000 if QUICK else 1000000
MASTER_KEY = base64.b64encode(os.urandom(32)).decode()
HMAC_SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
STAGES = []


def sh(cmd, env=None, capture=True, check=True, **kw):
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run(cmd, env=e, text=True, capture_output=capture, **kw)
    if check and r.returncode != 0:
        sys.stderr.write(f"command failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}\n")
        sys.exit(1)
    return r


def fail(message):
    sys.stderr.write(f"BENCHMARK FAILED: {message}\n")
    sys.exit(1)


@contextmanager
def stage(name):
    """Times one stage of the run (printed when it ends, even if it fails)."""
    print(f"[{name}]", flush=True)
    start = time.monotonic()
    try:
        yield
    finally:
        seconds = time.monotonic() - start
        STAGES.append({"stage": name, "seconds": round(seconds, 1)})
        print(f"[{name}] {seconds:.1f} s", flush=True)


def print_stages():
    width = max(len(s["stage"]) for s in STAGES)
    print("stages (wall clock):")
    for s in STAGES:
        print(f"  {s['stage']:<{width}}  {s['seconds']:7.1f} s")
    print(f"  {'total':<{width}}  {sum(s['seconds'] for s in STAGES):7.1f} s", flush=True)


def newest_source():
    """The latest modification time of Sources/ (files and folders, so a deleted file counts),
    Package.swift and Package.resolved."""
    newest = 0.0
    for path in (f"{ROOT}/Package.swift", f"{ROOT}/Package.resolved"):
        if os.path.exists(path):
            newest = max(newest, os.path.getmtime(path))
    for folder, _, files in os.walk(f"{ROOT}/Sources"):
        newest = max([newest, os.path.getmtime(folder)] + [os.path.getmtime(os.path.join(folder, f)) for f in files])
    return newest


def build():
    binary = f"{ROOT}/.build/release/feepay"
    if "--no-build" in sys.argv:
        print("not building (--no-build)", flush=True)
        return
    if QUICK and os.path.exists(binary) and os.path.getmtime(binary) > newest_source():
        print(".build/release/feepay is newer than Sources/ and Package.swift: not rebuilding (--quick)", flush=True)
        return
    print("building feepay (release)…", flush=True)
    sh(["swift", "build", "-c", "release", "--product", "feepay"], capture=False, cwd=ROOT)


def build_openloop(folder):
    """bench/openloop.c, the open-loop load generator, compiled with the system C compiler."""
    cc = next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)
    if cc is None:
        fail("bench/openloop.c needs a C compiler (apt-get install gcc)")
    out = os.path.join(folder, "openloop")
    sh([cc, "-O2", "-o", out, f"{ROOT}/bench/openloop.c"])
    return out


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
            "--receipt-series", "26T"], pg, db)
    feepay(["portal", "add", "--code", "bench-portal", "--name", "Bench", "--agencies", "BENCH"], pg, db)
    feepay(["connector", "add", "--code", "vcb", "--kind", "standard-webhooks", "--secret", HMAC_SECRET], pg, db)
    return feepay(["key", "create", "--portal", "bench-portal"], pg, db)


def seed_limit(pg, db):
    """The limit database: FeePay's full schema (as `feepay migrate` made it, every index kept,
    payments_one_per_invoice included), the API key create_invoice.sql checks, the sequence its
    payment codes come from, and LIMIT_INVOICES open invoices with their lines for
    accept_callback.sql, whose k-th transaction of client c pays invoice c + 1 + k * CLIENTS:
    each invoice is paid once, as each of FeePay's callbacks pays its own. (The index used to
    be dropped because the script paid a random invoice, and two transactions paying the same
    one broke it.)"""
    pg.psql(db, f"""
      CREATE SEQUENCE bench_payment_codes;
      INSERT INTO api_keys (id, prefix, key_hash, role, portal_code, created_at)
        VALUES ('key_bench', 'fpk_bench', decode(md5('x') || md5('y'), 'hex'), 'portal', 'bench-portal', now());
      INSERT INTO invoices (id, portal_code, agency_code, dossier_code, procedure_code, payer_name, currency,
                            total_amount, payment_code, vietqr, status, expires_at, created_at)
        SELECT 'inv_b_' || n, 'bench-portal', 'BENCH', 'D', '1', 'An', 'VND', 16000, 'FPB' || lpad(n::text, 8, '0'),
               'x', 'open', now() + interval '3 days', now() FROM generate_series(1, {LIMIT_INVOICES}) n;
      INSERT INTO invoice_lines SELECT 'inv_b_' || n, 1, 'LPHT-01', 'x', 2, 8000, 16000 FROM generate_series(1, {LIMIT_INVOICES}) n;""")
    pg.psql(db, "VACUUM ANALYZE")


def pgbench(pg, db, script, written_sql):
    """One pgbench run of a script; `written_sql` counts the rows a transaction of it writes
    once (an invoice, a payment), to check afterwards that every transaction did its work."""
    before = int(pg.psql(db, written_sql))
    r = sh([f"{pg.bin}/pgbench", "-n", "-M", "prepared", "-c", str(CLIENTS), "-j", "2", "-T", str(DURATION), "-r",
            "-D", f"nclients={CLIENTS}", "-D", "txno=0", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "feepay",
            "-f", f"{ROOT}/bench/pgbench/{script}", db])
    tps = float(re.search(r"tps = ([0-9.]+)", r.stdout).group(1))
    lat = float(re.search(r"latency average = ([0-9.]+) ms", r.stdout).group(1))
    processed = int(re.search(r"number of transactions actually processed: (\d+)", r.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
    failed = int(failed.group(1)) if failed else 0
    written = int(pg.psql(db, written_sql)) - before
    if written != processed:  # a transaction that wrote nothing would raise the limit for free
        fail(f"pgbench {script}: {processed} transactions, but {written} rows written (a database seeded afresh "
             f"is needed: see the script's header)")
    return {"tps": tps, "latency_avg_ms": lat, "transactions": processed, "failed": failed, "rows_written": written,
            "errors": failed + abs(processed - written)}


def wrk(url, script, env, duration=None):
    e = {"FEEPAY_WRK_REPORT": f"{ROOT}/bench/wrk/report.lua"}
    e.update(env)
    r = sh(["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{duration or DURATION}s", "--timeout", "10s", "-s",
            f"{ROOT}/bench/wrk/{script}", url], env=e)
    line = [l for l in r.stdout.splitlines() if l.startswith("BENCH ")][-1]
    return json.loads(line[6:])


def openloop(tool, url, rate, key):
    """POST /v1/invoices open-loop (bench/openloop.c): `rate` requests a second on a fixed
    schedule, each with its own Idempotency-Key ({n}), latency from each request's scheduled
    send time, every reply awaited (up to 10 s)."""
    body = ('{"agency_code":"BENCH","dossier_code":"D-{n}","procedure_code":"1.001234",'
            '"payer":{"name":"Nguyễn Văn An","id_number":"079123456789"},'
            '"lines":[{"fee_code":"LPHT-01","description":"Lệ phí cấp bản sao trích lục hộ tịch","quantity":2,'
            '"unit_amount":8000}]}')
    r = sh([tool, "--url", f"{url}/v1/invoices", "--rate", f"{rate:.1f}", "--duration", str(DURATION),
            "--connections", str(OPEN_LOOP_CONNECTIONS), "--timeout", "10", "-X", "POST",
            "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
            "-H", "Idempotency-Key: bench-{n}", "--body", body])
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
        self.log = f"{pg.dir}/feepay-serve-{self.port}.log"
        self.proc = subprocess.Popen([f"{ROOT}/.build/release/feepay", "serve", "--port", str(self.port)], env=e,
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                import urllib.request
                if urllib.request.urlopen(self.url + "/health/ready", timeout=1).status == 200:
                    return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("feepay serve did not become ready")

    def logged_errors(self):
        """The lines the service logged at level error or worse (its log is one JSON object a
        line; a line that is not JSON counts if it mentions an error, e.g. a crash)."""
        errors = []
        for line in open(self.log, errors="replace"):
            try:
                if json.loads(line).get("level") in ("error", "critical"):
                    errors.append(line.strip())
            except ValueError:
                if "error" in line.lower():
                    errors.append(line.strip())
        return errors

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


def write_statement(path, day, lines):
    """Yesterday's statement for connector vcb against `lines` payments seed_paid recorded
    with tag R: 98 % listed as they are, 1 % with another amount, 1 % left out (missing in the
    bank) and replaced by a transfer FeePay never heard of. Answers the summary FeePay must
    find: {category: {"count", "amount"}}."""
    expected = {c: {"count": 0, "amount": 0} for c in ("matched", "amount_mismatch", "missing_in_feepay",
                                                       "missing_in_bank")}

    def add(category, amount):
        expected[category]["count"] += 1
        expected[category]["amount"] += amount

    with open(path, "w") as f:
        f.write("bank_txn_id,payment_code,amount,currency,paid_at,payer_account,memo\n")
        for i in range(1, lines + 1):
            if i % 100 == 0:
                amount = random.randint(1000, 900000)
                f.write(f"X.{i},,{amount},VND,{day}T10:15:00+07:00,0071000999999,chuyen khoan {i}\n")
                add("missing_in_feepay", amount)
                add("missing_in_bank", 16000)
                continue
            amount = 15000 if i % 100 == 1 else 16000
            f.write(f"R.{i},,{amount},VND,{day}T10:00:00+07:00,0071000999999,chuyen khoan {i}\n")
            add("matched" if amount == 16000 else "amount_mismatch", amount)
    return expected


def check_baseline_sql():
    """bench/reconcile_baseline.sql must run FeePay's categorizing INSERT (`categorizeLines` in
    Categorization.swift) word for word, but for its target table and with psql variables for the bound
    values: stop before measuring if one changed without the other."""
    def insert(text, head):
        start = text.find(head)
        end = text.find(") categorized", start)
        return None if start < 0 or end < 0 else " ".join(text[start:end].split())
    swift = insert(open(f"{ROOT}/Sources/FeePayStore/Reconciliation/Categorization.swift").read(),
                   "INSERT INTO settlement_lines (settlement_id, line_no")
    ours = insert(open(f"{ROOT}/bench/reconcile_baseline.sql").read(), "INSERT INTO bench_lines (settlement_id, line_no")
    theirs = swift and swift.replace("\\(connector)", ":'connector'").replace("\\(s)", ":'settlement'").replace(
        "INSERT INTO settlement_lines", "INSERT INTO bench_lines", 1)
    if not ours or theirs != ours:
        fail("bench/reconcile_baseline.sql no longer runs the categorizing INSERT of "
             "Sources/FeePayStore/Reconciliation/Categorization.swift: bring the two together")


def reconcile_baseline(pg, db, csv_path, day):
    """bench/reconcile_baseline.sql over the statement (its \\copy reads standard input): the
    per-category counts and amounts, as FeePay's summary has them."""
    with open(csv_path) as f:
        r = sh([f"{pg.bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                str(pg.port), "-U", "feepay", "-d", db, "-v", "settlement=stl_bench_baseline", "-v", "connector=vcb",
                "-v", f"day={day}", "-f", f"{ROOT}/bench/reconcile_baseline.sql"], stdin=f)
    out = {}
    for line in r.stdout.split():
        category, count, amount = line.split("|")
        out[category] = {"count": int(count), "amount": int(amount)}
    return out


def reconcile_summary(text):
    """`feepay reconcile`'s output: "settlement stl_…: N lines, T VND in credits", then one line
    per category that has lines: its name, count<TAB>amount."""
    head = re.search(r"^settlement (\S+): (\d+) lines", text, re.M)
    if not head:
        fail(f"cannot read feepay reconcile's output:\n{text}")
    categories = {c: {"count": int(n), "amount": int(a)}
                  for c, n, a in re.findall(r"^\s+([a-z_]+)\s+(\d+)\t(-?\d+)\s*$", text, re.M)}
    return head.group(1), int(head.group(2)), categories


def differences(a, b):
    """The categories whose count or amount differ between two summaries (absent = 0 and 0)."""
    zero = {"count": 0, "amount": 0}
    return sorted(c for c in set(a) | set(b) if a.get(c, zero) != b.get(c, zero))


def receipt_numbering(pg, db):
    """(receipts, numbers missing, numbers or invoices twice): numbers are gapless per agency,
    template, series and year, so each series must hold 1..n, each number and each invoice once."""
    issued = gaps = duplicates = 0
    for row in pg.psql(db, """SELECT count(*), count(DISTINCT number), max(number), count(DISTINCT invoice_id)
                               FROM receipts GROUP BY agency_code, template_symbol, series, year""").splitlines():
        n, distinct, highest, invoices = (int(x) for x in row.split("|"))
        issued += n
        duplicates += (n - distinct) + (n - invoices)
        gaps += highest - distinct
    return issued, gaps, duplicates


def main():
    with stage("build"):
        build()
    scratch = tempfile.mkdtemp(prefix="feepay-bench.")  # the generator, signed callbacks, the statement
    try:
        with stage("provisioning: PostgreSQL, open-loop generator"):
            generator = build_openloop(scratch)
            pg = Postgres()
        try:
            results = run(pg, generator, scratch)
        finally:
            pg.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results["stages"] = list(STAGES)
    write(results)
    if "--no-micro" not in sys.argv:
        with stage("micro-benchmarks"):
            micro(results["quick"])
    print_stages()


def run(pg, generator, scratch):
    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "quick": QUICK,
               "machine": {"cpus": os.cpu_count(), "system": platform.platform(),
                           "postgres": sh([f"{pg.bin}/postgres", "--version"]).stdout.strip()},
               "settings": dict(Postgres.SETTINGS, clients=CLIENTS, duration_s=DURATION,
                                open_loop_connections=OPEN_LOOP_CONNECTIONS), "scenarios": []}
    print("PostgreSQL settings:", json.dumps(Postgres.SETTINGS), flush=True)
    check_baseline_sql()

    # The limit: the very statements FeePay runs, through pgbench, on FeePay's schema.
    with stage("provisioning: limit database"):
        provision(pg, "feepay_limit")
        seed_limit(pg, "feepay_limit")
    with stage("limit: pgbench create_invoice.sql"):
        limit_invoice = pgbench(pg, "feepay_limit", "create_invoice.sql", "SELECT count(*) FROM invoices")
    with stage("limit: pgbench accept_callback.sql"):
        limit_callback = pgbench(pg, "feepay_limit", "accept_callback.sql", "SELECT count(*) FROM payments")
    print("pgbench:", json.dumps({"create_invoice": limit_invoice, "accept_callback": limit_callback}), flush=True)

    # FeePay over HTTP, driven by wrk (and the open-loop generator) from another process.
    with stage("provisioning: feepay database and service"):
        key = provision(pg, "feepay")
        service = Service(pg, "feepay", {"FEEPAY_RECEIPT_INTERVAL_MS": "0"})
    try:
        with stage("POST /v1/invoices (wrk, flat out)"):
            create = wrk(service.url, "create_invoice.lua", {"FEEPAY_KEY": key})
            create["rss_mb"] = rss_peak_mb(service.proc.pid)
        # The latency goal is stated at 80 % of the peak rate, offered open-loop: requests on a
        # fixed schedule whatever the replies do, latency from each one's scheduled time.
        with stage("POST /v1/invoices (open-loop, 80 % of peak)"):
            time.sleep(1)  # the requests wrk left in flight when it stopped
            before = int(pg.psql("feepay", "SELECT count(*) FROM invoices"))
            paced = openloop(generator, service.url, 0.8 * create["rps"], key)
            # The generator waits for every reply: each 201 is one invoice, and nothing else is.
            paced["invoices_created"] = int(pg.psql("feepay", "SELECT count(*) FROM invoices")) - before
            if paced["invoices_created"] != paced["ok"]:
                print(f"WARNING: open-loop: {paced['ok']} replies 2xx, {paced['invoices_created']} invoices created",
                      flush=True)
            paced["rss_mb"] = rss_peak_mb(service.proc.pid)
            paced["share_of_peak"] = paced["rps"] / create["rps"]
            print("open-loop:", json.dumps(paced), flush=True)
        with stage("POST /v1/callbacks (wrk)"):
            invoice = pg.psql("feepay", "SELECT id FROM invoices ORDER BY created_at LIMIT 1")
            path = os.path.join(scratch, "callbacks.tsv")
            signed = signed_callbacks(pg, "feepay", path)
            before = int(pg.psql("feepay", "SELECT count(*) FROM payments"))
            callback = wrk(service.url, "callback.lua", {"FEEPAY_CALLBACKS": path})
            callback["rss_mb"] = rss_peak_mb(service.proc.pid)
            time.sleep(1)  # the requests wrk left in flight when it stopped
            # Only an accepted callback is a payment: throughput counts those, and every other
            # reply (duplicate, exception, HTTP error) or socket error is an error.
            callback["replies"], callback["signed"] = callback["requests"], signed
            callback["errors"] = callback["socket_errors"] + callback["replies"] - callback["accepted"]
            callback["rps"] = callback["accepted"] / callback["seconds"]
            callback["payments_recorded"] = int(pg.psql("feepay", "SELECT count(*) FROM payments")) - before
            # wrk stops with up to one request in flight per connection: FeePay may have
            # committed those payments without wrk reading the reply.
            unanswered = callback["payments_recorded"] - callback["accepted"]
            if not 0 <= unanswered <= CLIENTS:
                fail(f"callbacks: {callback['accepted']} accepted replies, but {callback['payments_recorded']} "
                     f"payments recorded (at most {CLIENTS} may be in flight when wrk stops)")
            print("callbacks:", json.dumps(callback), flush=True)
        with stage("GET /v1/invoices/{id} (wrk)"):
            get = wrk(service.url, "get_invoice.lua", {"FEEPAY_KEY": key, "FEEPAY_INVOICE": invoice})
            get["rss_mb"] = rss_peak_mb(service.proc.pid)
    finally:
        service.stop()
    results["scenarios"] += [
        {"name": "POST /v1/invoices", **create, "limit_tps": limit_invoice["tps"],
         "limit_errors": limit_invoice["errors"], "ratio": create["rps"] / limit_invoice["tps"]},
        {"name": f"POST /v1/invoices open-loop, offered 80% of peak ({paced['target_rps']:.0f}/s)", **paced,
         "limit_tps": None, "ratio": None},
        {"name": "POST /v1/callbacks (HMAC), accepted", **callback, "limit_tps": limit_callback["tps"],
         "limit_errors": limit_callback["errors"], "ratio": callback["rps"] / limit_callback["tps"]},
        {"name": "GET /v1/invoices/{id}", **get, "limit_tps": None, "ratio": None},
    ]

    # Receipts: a backlog of paid invoices, issued by the running service. The invoices
    # the callbacks paid come first; seeded ones make up the rest of the backlog.
    with stage("receipts: seed backlog"):
        hanoi_today = datetime.fromtimestamp(time.time() + 7 * 3600, tz=timezone.utc).strftime("%Y-%m-%d")
        paid = int(pg.psql("feepay", "SELECT count(*) FROM invoices WHERE status = 'paid' AND receipt_id IS NULL"))
        if paid < RECEIPT_BACKLOG:
            seed_paid(pg, "feepay", "Q", RECEIPT_BACKLOG - paid, hanoi_today)
        backlog = RECEIPT_BACKLOG
        paid = int(pg.psql("feepay", "SELECT count(*) FROM invoices WHERE status = 'paid' AND receipt_id IS NULL"))
        if paid > backlog:
            pg.psql("feepay", f"""UPDATE invoices SET receipt_id = 'skip' WHERE id IN (
                SELECT id FROM invoices WHERE status = 'paid' AND receipt_id IS NULL ORDER BY paid_at DESC, id LIMIT {paid - backlog})""")
    with stage("receipts: issue backlog"):
        start = time.monotonic()
        service = Service(pg, "feepay", {"FEEPAY_RECEIPT_INTERVAL_MS": "50"})
        try:
            while int(pg.psql("feepay", "SELECT count(*) FROM receipts")) < backlog and time.monotonic() - start < 900:
                time.sleep(0.05)
            elapsed = time.monotonic() - start
            rss = rss_peak_mb(service.proc.pid)
        finally:
            service.stop()
        log_errors = service.logged_errors()
    issued, gaps, duplicates = receipt_numbering(pg, "feepay")
    receipts = {"name": "receipts (backlog)", "requests": issued, "seconds": elapsed, "rps": issued / elapsed,
                "gapless": gaps == 0 and duplicates == 0, "gaps": gaps, "duplicates": duplicates,
                "unissued": backlog - issued, "log_errors": len(log_errors), "rss_mb": rss, "limit_tps": None,
                "ratio": None, "p50_ms": None, "p99_ms": None,
                "errors": abs(backlog - issued) + gaps + duplicates + len(log_errors)}
    results["scenarios"].append(receipts)
    print("receipts:", json.dumps(receipts), flush=True)
    for line in log_errors[:5]:
        print("  feepay serve logged:", line[:300], flush=True)
    if not receipts["gapless"]:
        fail(f"receipt numbers are not gapless: {gaps} missing, {duplicates} duplicated")

    # Reconciliation: yesterday's statement for the connector, against psql's \copy plus the
    # same categorization SQL (bench/reconcile_baseline.sql). Both must find the same counts
    # and amounts per category, and the ones the statement was written to have.
    with stage("reconcile: seed payments and write the statement"):
        day = datetime.fromtimestamp(time.time() + 7 * 3600 - 86400, tz=timezone.utc).strftime("%Y-%m-%d")
        seed_paid(pg, "feepay", "R", STATEMENT_LINES, day)
        csv_path = os.path.join(scratch, "statement.csv")
        expected = write_statement(csv_path, day, STATEMENT_LINES)
        pg.psql("feepay", "CHECKPOINT")
    # The baseline runs first: FeePay's import would make every line of the file a duplicate
    # of an earlier statement for it (the baseline writes its own table, bench_lines).
    with stage("reconcile: baseline (psql \\copy + categorization SQL)"):
        start = time.monotonic()
        baseline = reconcile_baseline(pg, "feepay", csv_path, day)
        baseline_seconds = time.monotonic() - start
        # Leave nothing of the baseline's writes for autovacuum to do while FeePay runs.
        pg.psql("feepay", "VACUUM ANALYZE bench_lines")
        pg.psql("feepay", "CHECKPOINT")
    with stage("reconcile: feepay reconcile"):
        start = time.monotonic()
        output = feepay(["reconcile", "--connector", "vcb", "--date", day, csv_path], pg, "feepay")
        service_seconds = time.monotonic() - start
    settlement, line_count, summary = reconcile_summary(output)
    print("reconcile:", json.dumps({"feepay_s": service_seconds, "baseline_s": baseline_seconds,
                                    "feepay": summary, "baseline": baseline, "expected": expected}), flush=True)
    unaccounted = abs(STATEMENT_LINES - line_count) + abs(
        STATEMENT_LINES - sum(b["count"] for c, b in summary.items() if c != "missing_in_bank"))
    if differences(summary, baseline):
        fail(f"reconciliation: FeePay's summary and the baseline differ in {', '.join(differences(summary, baseline))}"
             f"\n  feepay:   {json.dumps(summary, sort_keys=True)}\n  baseline: {json.dumps(baseline, sort_keys=True)}")
    if differences(summary, expected):
        fail(f"reconciliation: FeePay and the baseline agree, but not with the statement as written, in "
             f"{', '.join(differences(summary, expected))}\n  found:    {json.dumps(summary, sort_keys=True)}"
             f"\n  expected: {json.dumps(expected, sort_keys=True)}")
    results["scenarios"].append({"name": f"reconcile {STATEMENT_LINES} lines", "requests": STATEMENT_LINES,
                                 "seconds": service_seconds, "rps": STATEMENT_LINES / service_seconds,
                                 "limit_tps": STATEMENT_LINES / baseline_seconds, "limit_errors": 0,
                                 "ratio": baseline_seconds / service_seconds, "p50_ms": None, "p99_ms": None,
                                 "errors": unaccounted, "rss_mb": None, "baseline_seconds": baseline_seconds,
                                 "settlement": settlement, "summary": summary, "baseline_categories": baseline})
    with stage(f"console: the {STATEMENT_LINES}-line statement's summary page"):
        results["scenarios"].append(console_summary(pg, settlement))
    return results


def totp(secret, at):
    """RFC 6238's code (SHA-1, 6 digits, 30 s) for a base32 secret, as an authenticator app computes it."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, int(at // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return f"{(int.from_bytes(digest[offset:offset + 4], 'big') & 0x7fffffff) % 1000000:06d}"


def console_summary(pg, settlement):
    """The console's page of the statement just reconciled (its summary by category and its first
    50 lines), opened 20 times by a signed-in accountant, against PostgreSQL running the page's
    queries itself (psql with \\timing, in one session). The issue's claim: under a second."""
    import urllib.error, urllib.parse, urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def call(method, url, form=None, cookie=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if cookie:
            request.add_header("Cookie", cookie)
        try:
            with opener.open(request, timeout=60) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode(errors="replace")

    service = Service(pg, "feepay", {"FEEPAY_CONSOLE_BCRYPT_COST": "10"})
    try:
        email = f"bench.{random.randrange(1 << 30)}@stp.gov.vn"
        out = feepay(["staff", "add", "--email", email, "--name", "Người Đo Hiệu Năng", "--role", "accountant"],
                     pg, "feepay", env={"FEEPAY_PUBLIC_URL": service.url})
        link = next((w for w in out.split() if "/console/enrol/" in w), None)
        if not link:
            fail(f"feepay staff add printed no enrolment link:\n{out}")
        status, _, page = call("GET", link)
        secret = re.search(r'id="totp-secret">([^<]+)<', page)
        action = re.search(r'<form method="post" action="([^"]+)"', page)
        if status != 200 or not secret or not action:
            fail(f"the enrolment page did not open ({status})")
        secret = secret.group(1).replace(" ", "")
        password = "Sổ thu phí tháng Chạp 2026"
        status, _, _ = call("POST", service.url + action.group(1).replace("&amp;", "&"),
                            {"password": password, "password_again": password, "code": totp(secret, time.time() - 30)})
        if status != 303:
            fail(f"enrolling answered {status}")
        status, headers, _ = call("POST", service.url + "/console/sign-in",
                                  {"email": email, "password": password, "code": totp(secret, time.time())})
        cookie = next((c.split(";")[0] for c in headers.get_all("Set-Cookie") or []
                       if c.startswith("__Host-feepay_session=")), None)
        if status != 303 or not cookie:
            fail(f"signing in answered {status} without a session")
        times, errors = [], 0
        for _ in range(20):
            start = time.monotonic()
            status, _, page = call("GET", f"{service.url}/console/statements/{settlement}", cookie=cookie)
            times.append((time.monotonic() - start) * 1000)
            if status != 200 or "Khớp" not in page:
                errors += 1
    finally:
        service.stop()
    # The same reads in PostgreSQL: the statement's row, its categories, its first 51 lines.
    queries = (f"SELECT connector_code, business_date, format, line_count, total_amount FROM settlements "
               f"WHERE id = '{settlement}';"
               f"SELECT category, count(*), coalesce(sum(amount), 0) FROM settlement_lines "
               f"WHERE settlement_id = '{settlement}' GROUP BY category UNION ALL "
               f"SELECT 'missing_in_bank', count(*), coalesce(sum(amount), 0) FROM payment_exceptions "
               f"WHERE settlement_id = '{settlement}' AND kind = 'missing_in_bank';"
               f"SELECT * FROM settlement_lines WHERE settlement_id = '{settlement}' AND line_no > 0 "
               f"ORDER BY line_no LIMIT 51;")
    timing = sh([f"{pg.bin}/psql", "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "feepay",
                 "-d", "feepay", "-o", "/dev/null"], input="\\timing on\n" + (queries + "\n") * 20).stdout
    per_query = [float(m) for m in re.findall(r"Time: ([0-9.]+) ms", timing)]
    baseline = [sum(per_query[i:i + 3]) for i in range(0, len(per_query) - 2, 3)]
    p50, base50 = sorted(times)[len(times) // 2], sorted(baseline)[len(baseline) // 2] if baseline else None
    print("console summary:", json.dumps({"p50_ms": p50, "max_ms": max(times), "postgres_p50_ms": base50}),
          flush=True)
    if max(times) >= 1000:
        fail(f"the {STATEMENT_LINES}-line statement's summary page took {max(times):.0f} ms (the claim is under 1 s)")
    return {"name": f"GET /console/statements/{{id}}, {STATEMENT_LINES} lines", "requests": len(times),
            "seconds": sum(times) / 1000, "rps": len(times) / (sum(times) / 1000), "p50_ms": p50,
            "p99_ms": max(times), "errors": errors, "rss_mb": None, "limit_tps": 1000 / base50 if base50 else None,
            "limit_errors": 0, "ratio": base50 / p50 if base50 else None, "postgres_p50_ms": base50}


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
    header = ("| scenario | req/s | p50 ms | p99 ms | errors | peak RSS MiB | limit (pgbench tps) | limit failed "
              "| ratio |")
    rows = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in results["scenarios"]:
        rows.append(f"| {s['name']} | {fmt(s['rps'], '.0f')} | {fmt(s.get('p50_ms'), '.2f')} | {fmt(s.get('p99_ms'), '.2f')} | "
                    f"{s['errors']} | {fmt(s.get('rss_mb'), '.0f')} | {fmt(s.get('limit_tps'), '.0f')} | "
                    f"{fmt(s.get('limit_errors'), 'd')} | {fmt(s.get('ratio'), '.0%')} |")
    table = "\n".join(rows)
    print(table)
    os.makedirs(f"{ROOT}/bench", exist_ok=True)
    suffix = "-quick" if results["quick"] else ""
    json.dump(results, open(f"{ROOT}/bench/results{suffix}.json", "w"), indent=2)
    with open(f"{ROOT}/bench/RESULTS{suffix.upper()}.md", "w") as f:
        f.write(f"# FeePay benchmark{' (quick)' if results['quick'] else ''}\n\n")
        f.write(f"{results['date']} · {results['machine']['cpus']} CPUs · {results['machine']['system']} · "
                f"{results['machine']['postgres']}\n\n")
        f.write(f"PostgreSQL: {json.dumps(results['settings'])}\n\n{table}\n\n")
        f.write("Errors count every failed request, every reply that is not the scenario's success (for callbacks: "
                "anything but `accepted`, which alone counts as throughput), unissued or misnumbered receipts, and "
                "unaccounted statement lines; limit failed counts pgbench's failed transactions and any that did "
                "not write their row. The open-loop row offers requests on a fixed schedule and measures each "
                "one's latency from its scheduled time (bench/openloop.c).\n")
        stages = ", ".join(f"{s['stage']} {s['seconds']:.0f} s" for s in results.get("stages", []))
        f.write(f"\nStages (wall clock): {stages}.\n")


if __name__ == "__main__":
    main()
