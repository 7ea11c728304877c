"""GET /metrics (issue 15, "Observability"): after known traffic, the
loopback-only metrics server gives Prometheus text whose names, types,
histograms and values match what happened; the public site never
exposes it, and h5payd refuses it to any server that does not set the
metrics param (nginx/h5pay-metrics-locations.conf).
"""
import http.client
import os
import sqlite3
import re
import signal
import time
import urllib.parse

import faultlib
import harness

NOW = int(time.time())
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? '
                    r'(-?[0-9.e+]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"\\]*)"')


class MetricsStack(harness.Stack):
    """The test stack plus a loopback metrics server, as in production
    (nginx/h5pay.conf), on a free port; and a probe location on the
    public server that hands /metrics to the notify pool without the
    metrics param (a routing mistake), which must get nothing."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.metrics_port = harness.free_port()
        self.nginx_extra = """
		location = /probe-metrics {
			rewrite ^ /metrics break;
			include h5pay/fastcgi_h5pay.conf;
			fastcgi_pass h5pay_notify;
		}"""

    def nginx_parts(self):
        parts = super().nginx_parts()
        parts["sim_server"] = parts.get("sim_server", "") + """
	server {
		listen 127.0.0.1:%d;
		include h5pay/h5pay-metrics-locations.conf;
	}
""" % self.metrics_port
        return parts


def parse(text):
    """{name: {frozenset(labels): value}}, {family: type}; asserts the
    format line by line."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            assert typ in ("counter", "gauge", "histogram"), line
            assert name not in types, "TYPE twice: " + line
            types[name] = typ
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        samples.setdefault(m.group(1), {})[labels] = float(m.group(4))
    return samples, types


def family(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[:-len(suffix)] in types:
            return name[:-len(suffix)]
    return name


class MetricsTest(harness.StackTest):
    @classmethod
    def setUpClass(cls):
        cls.stack = MetricsStack(cls.__name__, notify_workers=1,
                                 notify_threads=4, config={
                                     "reconcile_interval_sec": "1"}).start()

    def scrape(self):
        c = http.client.HTTPConnection("127.0.0.1", self.stack.metrics_port,
                                       timeout=30)
        try:
            c.request("GET", "/metrics")
            r = c.getresponse()
            return r.status, r.getheader("Content-Type"), \
                r.read().decode()
        finally:
            c.close()

    def value(self, samples, name, **labels):
        want = frozenset(labels.items())
        return sum(v for k, v in samples.get(name, {}).items()
                   if want <= k)

    def test_metrics_after_traffic(self):
        st = self.stack
        orders = faultlib.new_orders(st, "MT", 5)
        c = faultlib.db(st)
        with c:
            c.execute("INSERT INTO orders (order_no, openid, appid, amount, "
                      "currency, subject, state, expires_at, created_at, "
                      "updated_at, next_check_at) VALUES ('MTUNKNOWN1', "
                      "'oTestOpenid000001', ?, 100, 'HKD', 's', 'UNKNOWN', "
                      "?, ?, ?, ?)", (harness.TEST_APPID, NOW + 3600,
                                      NOW - 600, NOW - 600, NOW + 86400))
            c.execute("INSERT INTO orders (order_no, openid, appid, amount, "
                      "currency, subject, state, expires_at, created_at, "
                      "updated_at, next_check_at) VALUES ('MTDUE1', "
                      "'oTestOpenid000001', ?, 100, 'HKD', 's', 'PENDING', "
                      "?, ?, ?, 0)", (harness.TEST_APPID, NOW + 3600, NOW,
                                      NOW))
        c.close()
        p = faultlib.Poster(st)
        for no in orders:
            self.assertEqual(p.post(faultlib.notify_body(no)), (200, b"OK"))
        self.assertEqual(p.post(faultlib.notify_body(orders[0])),
                         (200, b"OK"))         # a duplicate
        forged = urllib.parse.parse_qs(faultlib.notify_body(orders[1])
                                       .decode())
        forged = {k: v[0] for k, v in forged.items()}
        forged["amount"] = "1"
        self.assertEqual(p.post(urllib.parse.urlencode(forged).encode())[0],
                         401)
        forged["sign"] = "0" * 32
        self.assertEqual(p.post(urllib.parse.urlencode(forged).encode())[0],
                         401)
        self.assertEqual(p.post(b"a=%zz&sign=1")[0], 400)
        p.close()
        for _ in range(3):
            self.assertEqual(st.get("/healthz").status, 200)
        self.assertEqual(st.get("/api/no-such-thing").status, 404)
        # a notify worker dies and is replaced
        (pid,) = st.worker_pids("notify")
        os.kill(pid, signal.SIGKILL)
        harness.wait_for(lambda: st.worker_pids("notify") not in ([], [pid]),
                         timeout=30, what="notify worker replaced")

        def reconciled():
            s, _ = parse(self.scrape()[2])
            return self.value(s, "h5pay_reconcile_passes_total") >= 2
        harness.wait_for(reconciled, timeout=30, what="reconciler passes")

        status, ctype, text = self.scrape()
        self.assertEqual(status, 200)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        s, types = parse(text)
        # conventions: every sample belongs to a typed family; counters
        # end in _total; units in names
        for name in s:
            fam = family(name, types)
            self.assertIn(fam, types, name)
            self.assertTrue(fam.startswith("h5pay_"), name)
            if types[fam] == "counter":
                self.assertTrue(name.endswith("_total"), name)
            if types[fam] == "histogram":
                self.assertTrue(fam.endswith(("_seconds", "_size")), fam)
        # histograms: cumulative buckets, +Inf equal to _count
        for fam, typ in types.items():
            if typ != "histogram":
                continue
            for labels, count in s.get(fam + "_count", {}).items():
                buckets = sorted(
                    ((float(dict(k)["le"]), v) for k, v in
                     s[fam + "_bucket"].items()
                     if k - {("le", dict(k)["le"])} == labels),
                    key=lambda x: x[0])
                self.assertEqual(buckets[-1], (float("inf"), count), fam)
                vals = [v for _, v in buckets]
                self.assertEqual(vals, sorted(vals), fam)

        v = lambda name, **kw: self.value(s, name, **kw)   # noqa: E731
        self.assertEqual(v("h5pay_notify_total", outcome="applied"), 5)
        self.assertEqual(v("h5pay_notify_total", outcome="duplicate"), 1)
        self.assertEqual(v("h5pay_notify_total", outcome="refused"), 3)
        self.assertEqual(v("h5pay_notify_refused_total",
                           reason="signature"), 2)
        self.assertEqual(v("h5pay_notify_refused_total",
                           reason="malformed"), 1)
        self.assertEqual(v("h5pay_notify_batch_size_sum"), 6)
        self.assertGreaterEqual(v("h5pay_notify_batch_size_count"), 1)
        self.assertEqual(v("h5pay_notify_commit_duration_seconds_count"),
                         v("h5pay_notify_batch_size_count"))
        req = "h5pay_http_requests_total"
        self.assertEqual(v(req, method="POST", route="/notify",
                           status="200"), 6)
        self.assertEqual(v(req, method="POST", route="/notify",
                           status="401"), 2)
        self.assertEqual(v(req, method="POST", route="/notify",
                           status="400"), 1)
        self.assertGreaterEqual(v(req, method="GET", route="/healthz",
                                  status="200"), 3)
        self.assertEqual(v(req, route="unmatched", status="404"), 1)
        self.assertEqual(v("h5pay_http_request_duration_seconds_count",
                           route="/notify", status="200"), 6)
        self.assertGreater(v("h5pay_http_request_duration_seconds_sum",
                             route="/notify", status="200"), 0)
        self.assertEqual(v("h5pay_worker_restarts_total", pool="notify"), 1)
        self.assertEqual(v("h5pay_worker_restarts_total", pool="web"), 0)
        # the reconciler queried UseePay (the simulator) for MTDUE1
        self.assertGreaterEqual(v("h5pay_provider_requests_total",
                                  provider="useepay", op="query"), 1)
        self.assertGreaterEqual(v("h5pay_reconcile_queries_total"), 1)
        self.assertLessEqual(abs(v("h5pay_reconcile_last_pass_timestamp_"
                                   "seconds") - time.time()), 30)
        # database gauges
        self.assertEqual(v("h5pay_db_up"), 1)
        self.assertEqual(v("h5pay_orders_open", state="UNKNOWN"), 1)
        self.assertGreaterEqual(v("h5pay_orders_unknown_oldest_age_seconds"),
                                600)
        self.assertGreaterEqual(v("h5pay_orders_open_oldest_age_seconds"),
                                600)
        self.assertEqual(v("h5pay_reconcile_due_orders"), 0)
        if harness.is_pg(st):       # no file of ours: the gauges read 0
            self.assertEqual(v("h5pay_sqlite_db_bytes"), 0)
            self.assertEqual(v("h5pay_sqlite_wal_bytes"), 0)
        else:
            self.assertEqual(v("h5pay_sqlite_db_bytes"),
                             os.path.getsize(st.db_path))
            self.assertGreater(v("h5pay_sqlite_wal_bytes"), 0)
        # the outbox: no endpoint configured here, so every event waits
        c = harness.db_connect(st, timeout=60)
        try:
            backlog, failed = c.execute(
                "SELECT SUM(CASE WHEN state IN ('pending', 'sending') "
                "THEN 1 ELSE 0 END), SUM(CASE WHEN state = 'failed' THEN 1 "
                "ELSE 0 END) FROM outbox").fetchone()
        finally:
            c.close()
        self.assertGreater(backlog or 0, 0)
        self.assertEqual(v("h5pay_outbox_backlog"), backlog)
        self.assertEqual(v("h5pay_outbox_failed"), failed or 0)
        self.assertGreaterEqual(v("h5pay_outbox_oldest_age_seconds"), 0)
        self.assertGreaterEqual(v("h5pay_start_time_seconds"), NOW - 120)
        self.check_deploy_files(text, s)

    def check_deploy_files(self, text, samples):
        """The alert rules and the dashboard name only metrics that exist
        (a renamed metric would silently disable an alert); promtool, where
        installed, lints the exposition and the rules."""
        import json
        import shutil
        import subprocess
        d = os.path.join(harness.SRC, "deploy")
        with open(os.path.join(d, "prometheus-alerts.yml")) as f:
            alerts = f.read()
        with open(os.path.join(d, "grafana-dashboard.json")) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        names = set(re.findall(r"\bh5pay_[a-z_]+",
                               alerts + "\n".join(exprs)))
        self.assertGreater(len(names), 10)
        for n in sorted(names):
            self.assertIn(n, samples, "deploy/ names a metric h5payd does "
                          "not export: " + n)
        for word in ("H5payNotifyRefusalsBurst", "H5payProviderErrors",
                     "H5payUnknownOrdersOld", "H5payReconcilerStuck",
                     "H5payDiskFilling"):
            self.assertIn("alert: " + word, alerts)
        tool = shutil.which("promtool")
        if tool:
            p = subprocess.run([tool, "check", "metrics"], input=text,
                               capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))
            p = subprocess.run([tool, "check", "rules",
                                os.path.join(d, "prometheus-alerts.yml")],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_never_public(self):
        st = self.stack
        for path in ("/metrics", "/notify/metrics", "/probe-metrics",
                     "/notify/../metrics"):
            r = st.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(b"h5pay_", r.body, path)
        # the metrics server serves nothing else
        c = http.client.HTTPConnection("127.0.0.1", st.metrics_port,
                                       timeout=30)
        c.request("GET", "/notify")
        self.assertEqual(c.getresponse().status, 404)
        c.close()


if __name__ == "__main__":
    harness.main()
