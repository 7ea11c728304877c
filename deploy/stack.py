"""stack.py - run the whole shop on this machine, on loopback.

A Stack lives in its own directory: a throw-away CA and server certificate
(deploy/local-ca.sh), local secrets (mode 0600), an h5payd config, a
rendered nginx/local.conf.in, the SQLite databases, sockets and logs; it
starts nginx, h5payd and h5pay-sim (when built), talks HTTPS to them and
stops them. Everything listens on 127.0.0.1.

Two users, one launcher, so they cannot drift: deploy/demo.sh runs
    /usr/bin/python3 deploy/stack.py demo --dir DIR [--shop-port N]
        [--sim-port N]
(the stack on fixed ports in a kept directory, until Ctrl-C), and the
integration, browser and bench tests import it through
tests/integration/harness.py, which adds the test-only helpers.

The engine: SQLite (db_path) unless H5PAY_TEST_DB=pg, then PostgreSQL: a
fresh database per stack in the cluster whose socket directory is
H5PAY_TEST_PG_HOST (tests/pg/pgctl.sh; ctest's integration-pg runs), and
db_url in the config.

Stdlib only: Debian's /usr/bin/python3. Never part of a production
install: the secrets below are public.
"""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

# the repository (this file's parent's parent) and its build tree, unless
# the environment says otherwise (ctest sets both)
SRC = os.path.abspath(os.environ.get(
    "H5PAY_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "..")))
BUILD = os.path.abspath(os.environ.get("H5PAY_BUILD",
                                       os.path.join(SRC, "build")))
NGINX = os.environ.get("H5PAY_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
SANITIZE = os.environ.get("H5PAY_SANITIZE", "0") in ("1", "ON", "TRUE", "true")
VECTORS = os.path.join(SRC, "tests", "vectors")

# The local stack's secrets (tests and the demo). Never used in production.
TEST_MD5_KEY = "TESTKEY0123456789"
TEST_WECHAT_SECRET = "test-appsecret-0123456789abcdef"
TEST_APPID = "wx1234567890abcdef"
TEST_MERCHANT = "500000000007362"

SIM_BIN = os.path.join(BUILD, "h5pay-sim")
# H5PAY_TEST_DB=pg: h5payd on PostgreSQL (module docstring)
ENGINE = os.environ.get("H5PAY_TEST_DB", "sqlite")
PG_HOST = os.environ.get("H5PAY_TEST_PG_HOST", "")
PGCTL = os.path.join(SRC, "tests", "pg", "pgctl.sh")

# The systemd unit: its Environment= lines are how production runs h5payd
UNIT = os.path.join(SRC, "deploy", "h5payd.service")

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:",
                     "ERROR: LeakSanitizer", "SUMMARY: UndefinedBehavior")


def unit_environment(path=UNIT):
    """The Environment=NAME=value lines of the unit (no quoting: ours
    has none), so that every stack runs h5payd as systemd does."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("Environment="):
                name, _, value = line[len("Environment="):].partition("=")
                env[name] = value
    return env


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def headers_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:200])


class Stack:
    """nginx + h5payd (+ h5pay-sim when the simulator exists) on loopback."""

    def __init__(self, name, config=None, web_workers=2, web_threads=4,
                 notify_workers=1, notify_threads=4, nginx_extra="",
                 directory=None, shop_port=None, sim_port=None, sim=None,
                 sim_config=None, limit_req=True, http_port=None):
        self.name = name
        if directory:
            os.makedirs(directory, exist_ok=True)
            self.dir = os.path.abspath(directory)
        else:
            self.dir = tempfile.mkdtemp(prefix="h5pay-%s-" % name)
        self.run = os.path.join(self.dir, "run")
        os.makedirs(os.path.join(self.run, "nginx-tmp"), exist_ok=True)
        self.certs = os.path.join(self.dir, "certs")
        self.shop_port = shop_port or free_port()
        self.sim_port = sim_port or free_port()
        self.extra_config = dict(config or {})
        self.pools = dict(web_workers=web_workers, web_threads=web_threads,
                          notify_workers=notify_workers,
                          notify_threads=notify_threads)
        self.nginx_extra = nginx_extra     # a test's own shop locations
        # benchmarks only (tests/bench/): limit_req=False serves /pay
        # without its limit_req (every wrk client is 127.0.0.1, so the
        # limiter would be what is measured); http_port adds a plain-HTTP
        # listener on 127.0.0.1 to the shop server (same locations)
        self.limit_req = limit_req
        self.http_port = http_port
        self.procs = {}
        self.logs = {}
        self.cfg_path = os.path.join(self.dir, "h5pay.conf")
        self.db_path = os.path.join(self.dir, "h5pay.db")
        self.db_url = None     # PostgreSQL: set by config_values()
        # the simulator (h5pay-sim) runs whenever it is built, unless a
        # test says sim=False
        self.sim = os.path.exists(SIM_BIN) if sim is None else sim
        self.sim_extra_config = dict(sim_config or {})
        self.sim_cfg_path = os.path.join(self.dir, "sim.conf")

    # -- files ------------------------------------------------------------
    def make_certs(self):
        subprocess.run([os.path.join(SRC, "deploy", "local-ca.sh"),
                        self.certs], check=True)

    def config_values(self):
        d = self.dir
        write_secret(os.path.join(d, "md5.key"), TEST_MD5_KEY)
        write_secret(os.path.join(d, "wechat.secret"), TEST_WECHAT_SECRET)
        v = {
            "listen_web": os.path.join(self.run, "web.sock"),
            "listen_notify": os.path.join(self.run, "notify.sock"),
            "socket_mode": "0660",
            "log_level": "info",
            "public_base_url": "https://127.0.0.1:%d" % self.shop_port,
            "db_path": self.db_path,
            "http_ca_file": os.path.join(self.certs, "ca.pem"),
            "useepay_base_url": "https://127.0.0.1:%d" % self.sim_port,
            "useepay_merchant_no": TEST_MERCHANT,
            "useepay_app_id": "127.0.0.1",
            "useepay_sign_type": "MD5",
            "useepay_md5_key_file": os.path.join(d, "md5.key"),
            "wechat_appid": TEST_APPID,
            "wechat_secret_file": os.path.join(d, "wechat.secret"),
            "wechat_authorize_url":
                "https://127.0.0.1:%d/connect/oauth2/authorize" % self.sim_port,
            "wechat_api_base_url": "https://127.0.0.1:%d" % self.sim_port,
            "drain_timeout_sec": "10",
        }
        if ENGINE == "pg":
            if self.db_url is None:
                self.db_url = self.make_pg_db()
            v["db_path"] = None
            v["db_url"] = self.db_url
        for k, val in self.pools.items():
            if val is not None:     # None: h5payd's own default
                v[k] = str(val)
        v.update(self.extra_config)
        return v

    def make_pg_db(self):
        """A fresh database named after the stack's directory."""
        name = "h5_" + "".join(c if c.isalnum() else "_" for c in
                               os.path.basename(self.dir)).lower()
        p = subprocess.run(["sh", PGCTL, "createdb", PG_HOST, name],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("pgctl.sh createdb: " + p.stderr)
        return p.stdout.strip()

    def write_config(self, values=None):
        values = values if values is not None else self.config_values()
        with open(self.cfg_path, "w") as f:
            f.write("# generated by deploy/stack.py\n")
            for k, val in values.items():
                if val is not None:
                    f.write("%s = %s\n" % (k, val))
        return self.cfg_path

    def render_nginx(self, shop_extra="", sim_server="", sim_origin=""):
        shop_extra = shop_extra + "\n" + self.nginx_extra
        if self.http_port:
            shop_extra += "\n\t\tlisten 127.0.0.1:%d;" % self.http_port
        with open(os.path.join(SRC, "nginx", "local.conf.in")) as f:
            text = f.read()
        if not self.limit_req:
            inc = "include h5pay/h5pay-locations.conf;"
            assert inc in text, "local.conf.in: no " + inc
            text = text.replace(inc, "include %s;" %
                                self.locations_without_pay_limit())
        link = os.path.join(self.run, "h5pay")
        if not os.path.lexists(link):
            os.symlink(os.path.join(SRC, "nginx"), link)
        repl = {
            "@USER@": "user root;" if os.geteuid() == 0 else "",
            "@RUN@": self.run, "@SRC@": SRC, "@CERTS@": self.certs,
            "@SHOP_PORT@": str(self.shop_port),
            "@SIM_PORT@": str(self.sim_port),
            "@AUTH_RATE@": "1000r/s", "@PAY_RATE@": "1000r/s",
            "@SHOP_EXTRA@": shop_extra, "@SIM_SERVER@": sim_server,
            "@SIM_ORIGIN@": sim_origin,
            "@HSTS@": getattr(self, "hsts", "max-age=31536000"),
        }
        for k, val in repl.items():
            text = text.replace(k, val)
        path = os.path.join(self.run, "nginx.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def locations_without_pay_limit(self):
        """nginx/h5pay-locations.conf with the limit_req lines of
        `location = /pay` dropped (limit_req=False; benchmarks only)."""
        with open(os.path.join(SRC, "nginx", "h5pay-locations.conf")) as f:
            text = f.read()
        head, sep, rest = text.partition("location = /pay {")
        block, end, tail = rest.partition("}")
        kept = [ln for ln in block.split("\n")
                if not ln.strip().startswith("limit_req")]
        if not sep or not end or len(kept) == len(block.split("\n")):
            raise AssertionError("h5pay-locations.conf: no limit_req in "
                                 "location = /pay to drop")
        path = os.path.join(self.run, "locations-pay-unlimited.conf")
        with open(path, "w") as f:
            f.write(head + sep + "\n".join(kept) + end + tail)
        return path

    # -- processes --------------------------------------------------------
    def spawn(self, name, argv, env=None):
        log = open(os.path.join(self.dir, name + ".log"), "ab")
        self.logs[name] = log.name
        e = dict(os.environ)
        e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        if env:
            e.update(env)
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                             env=e, start_new_session=True)
        log.close()
        self.procs[name] = p
        return p

    def start_h5payd(self, env=None, prefix=(), timeout=15.0):
        """(Re)start h5payd, with extra environment (LD_PRELOAD, say) or
        behind a wrapper command (prefix: valgrind ...), and wait for its
        sockets. It gets the unit's Environment= (unit_environment())
        unless the caller's environment sets the same name."""
        e = {k: v for k, v in unit_environment().items()
             if k not in os.environ}
        e.update(env or {})
        self.spawn("h5payd", list(prefix) + [
            os.path.join(BUILD, "h5payd"), "-c", self.cfg_path], env=e)
        wait_for(lambda: os.path.exists(self.values["listen_web"]) and
                 os.path.exists(self.values["listen_notify"]),
                 timeout=timeout, what="h5payd sockets")

    def start_nginx(self):
        conf = self.render_nginx(**self.nginx_parts())
        self.spawn("nginx", [NGINX, "-p", self.run, "-c", conf])
        wait_for(lambda: self._port_open(self.shop_port), what="nginx")

    def nginx_parts(self):
        """Hook for the simulator: extra server blocks, CSP origin."""
        if not self.sim:
            return {}
        origin = self.sim_origin()
        server = """
	upstream h5pay_sim {
		server unix:%(sock)s;
	}
	# h5pay-sim: UseePay + WeChat, over TLS with the local CA's cert
	server {
		listen 127.0.0.1:%(port)d ssl;
		server_name 127.0.0.1 localhost;
		ssl_certificate %(certs)s/server.pem;
		ssl_certificate_key %(certs)s/server.key;
		include h5pay/sim-locations.conf;
	}
""" % {"sock": self.sim_values["listen"], "port": self.sim_port,
       "certs": self.certs}
        # the demo/test shop pages get the simulated WeixinJSBridge; the
        # production config never does
        extra = """sub_filter_once on;
		sub_filter '</head>' '<script src="%s/sim/jsbridge.js"></script></head>';""" % origin
        return {"sim_server": server, "sim_origin": origin,
                "shop_extra": extra}

    # -- the simulator ----------------------------------------------------
    def sim_origin(self):
        return "https://127.0.0.1:%d" % self.sim_port

    def make_sim_keys(self):
        d = os.path.join(self.dir, "simkeys")
        os.makedirs(d, exist_ok=True)
        wk = os.path.join(d, "wechat_key.pem")
        if not os.path.exists(wk):
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                            "-pkeyopt", "rsa_keygen_bits:2048", "-out", wk],
                           check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            os.chmod(wk, 0o600)
        for name in ("merchant_test_pub.pem", "provider_test_key.pem",
                     "provider_test_pub.pem", "merchant_test_key.pem"):
            dst = os.path.join(d, name)
            if not os.path.exists(dst):
                shutil.copy(os.path.join(VECTORS, name), dst)
                os.chmod(dst, 0o600)
        return d

    def sim_config_values(self):
        d = self.dir
        keys = self.make_sim_keys()
        write_secret(os.path.join(d, "sim-md5.key"), TEST_MD5_KEY)
        write_secret(os.path.join(d, "sim-wechat.secret"),
                     TEST_WECHAT_SECRET)
        v = {
            "listen": os.path.join(self.run, "sim.sock"),
            "socket_mode": "0660",
            "threads": "4",
            "log_level": "info",
            "db_path": os.path.join(d, "sim.db"),
            "merchant_no": TEST_MERCHANT,
            "md5_key_file": os.path.join(d, "sim-md5.key"),
            "merchant_public_key_file":
                os.path.join(keys, "merchant_test_pub.pem"),
            "provider_private_key_file":
                os.path.join(keys, "provider_test_key.pem"),
            "wechat_appid": TEST_APPID,
            "wechat_secret_file": os.path.join(d, "sim-wechat.secret"),
            "wechat_private_key_file": os.path.join(keys, "wechat_key.pem"),
            "cors_origin": "https://127.0.0.1:%d" % self.shop_port,
            # as registered in UseePay's and WeChat's consoles: the shop
            "shop_app_id": "127.0.0.1",
            "oauth_domain": "127.0.0.1:%d" % self.shop_port,
            "http_ca_file": os.path.join(self.certs, "ca.pem"),
            "notify_minute_ms": "60000",
            "refund_delay_ms": "200",
        }
        v.update(self.sim_extra_config)
        return v

    def write_sim_config(self, values):
        with open(self.sim_cfg_path, "w") as f:
            f.write("# generated by deploy/stack.py\n")
            for k, val in values.items():
                if val is not None:
                    f.write("%s = %s\n" % (k, val))
        return self.sim_cfg_path

    def start_sim(self):
        self.spawn("h5pay-sim", [SIM_BIN, "-c", self.sim_cfg_path])
        wait_for(lambda: os.path.exists(self.sim_values["listen"]),
                 what="h5pay-sim socket")

    def sim_request(self, method, path, body=None, headers=None, timeout=30):
        return self.request(method, path, body=body, headers=headers,
                            port=self.sim_port, timeout=timeout)

    def start(self):
        self.make_certs()
        self.values = self.config_values()
        self.write_config(self.values)
        if self.sim:
            self.sim_values = self.sim_config_values()
            self.write_sim_config(self.sim_values)
            self.start_sim()
        self.start_h5payd()
        self.start_nginx()
        wait_for(lambda: self.get("/healthz").status == 200, what="/healthz")
        if self.sim:
            wait_for(lambda: self.sim_request("GET", "/sim/healthz")
                     .status == 200, what="h5pay-sim /sim/healthz")
        return self

    def _port_open(self, port):
        s = socket.socket()
        try:
            s.settimeout(0.2)
            s.connect(("127.0.0.1", port))
            return True
        except OSError:
            return False
        finally:
            s.close()

    # -- the catalog (issue 5) ---------------------------------------------
    DEMO_PRODUCTS = [
        ("tea-oolong", "凤凰单丛 Phoenix oolong tea", "100 g, Chaozhou",
         12800),
        ("cup-celadon", "青瓷茶杯 Celadon tea cup", "Longquan celadon",
         8800),
        ("mooncake-box", "莲蓉月饼 Lotus seed mooncakes", "Box of 4", 26800),
        ("eggroll-tin", "鸡蛋卷 Egg rolls", "Tin of 30", 6800),
    ]

    def h5pay(self, *args, check=True):
        """Run the h5pay CLI against this stack's config."""
        argv = [os.path.join(BUILD, "h5pay")] + list(args[:1]) + \
            list(args[1:2]) + ["-c", self.cfg_path] + list(args[2:])
        return subprocess.run(argv, capture_output=True, text=True,
                              check=check)

    def seed_demo(self):
        """The demo catalog, through `h5pay product add`."""
        for sku, name, desc, price in self.DEMO_PRODUCTS:
            # each demo product's picture: nginx/html/shop/img/<sku>.svg
            self.h5pay("product", "add", "--sku", sku, "--name", name,
                       "--description", desc, "--price", str(price),
                       "--image", "/shop/img/%s.svg" % sku)

    def stop(self, check_logs=True):
        p = self.procs.get("nginx")
        if p and p.poll() is None:
            p.send_signal(signal.SIGQUIT)
        for name in ("h5payd", "h5pay-sim"):
            p = self.procs.get(name)
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs.items():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if check_logs:
            self.assert_clean_logs()

    def log_text(self, name):
        path = self.logs.get(name) or os.path.join(self.dir, name + ".log")
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def all_logs(self):
        """Every log file of the stack: the processes' and each *.log
        nginx (or anything else) wrote under the stack's directory."""
        paths = set(self.logs.values())
        for top, _, files in os.walk(self.dir):
            paths.update(os.path.join(top, f) for f in files
                         if f.endswith(".log"))
        return "".join(self._read(p) for p in sorted(paths))

    def _read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def assert_clean_logs(self):
        for name in self.logs:
            text = self.log_text(name)
            for m in SANITIZER_MARKERS:
                if m in text:
                    raise AssertionError("%s log has a sanitizer report:\n%s"
                                         % (name, text[-4000:]))

    # -- HTTP -------------------------------------------------------------
    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs,
                                                             "ca.pem"))
        return ctx

    def request(self, method, path, body=None, headers=None, port=None,
                timeout=30):
        conn = http.client.HTTPSConnection("127.0.0.1", port or
                                           self.shop_port,
                                           context=self.ssl_context(),
                                           timeout=timeout)
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)


class DemoReceiver:
    """The demo's merchant endpoint (docs/integration.md): HTTPS on
    loopback with the stack's certificate; checks each event's signature,
    prints one line per delivery, answers 204."""

    def __init__(self, secret):
        self.secret = secret.encode()
        self.seen = set()
        rx = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(min(n, 65536))
                parts = dict(p.split("=", 1) for p in self.headers.get(
                    "H5pay-Signature", "").split(",") if "=" in p)
                mac = hmac.new(rx.secret, parts.get("t", "").encode() +
                               b"." + body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(mac, parts.get("v1", ""))
                try:
                    ev = json.loads(body)
                except ValueError:
                    ev = {}
                eid = ev.get("id", "?")
                data = ev.get("data") or {}
                print("  event %-17s %s %s%s%s" % (
                    ev.get("type", "?"), eid,
                    "order=%s " % data["order_no"]
                    if data.get("order_no") else "",
                    "signature ok" if ok else "BAD SIGNATURE",
                    " (again: dedupe by id)" if eid in rx.seen else ""))
                sys.stdout.flush()
                if ok:
                    rx.seen.add(eid)
                self.send_response(204 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self, certs):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certs, "server.pem"),
                            os.path.join(certs, "server.key"))
        self.server.socket = ctx.wrap_socket(self.server.socket,
                                             server_side=True)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()


def demo_admin(st):
    """The demo's merchant login: user `admin`, a random password kept in
    <dir>/admin-password (mode 0600), created on the first run."""
    path = os.path.join(st.dir, "admin-password")
    if not os.path.exists(path):
        import secrets
        pw = secrets.token_urlsafe(12)
        p = subprocess.run([os.path.join(BUILD, "h5pay"), "admin", "-c",
                            st.cfg_path, "add", "admin"], input=pw + "\n",
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("demo: h5pay admin add failed: " + p.stderr)
        write_secret(path, pw)
    return path


def demo(argv):
    """deploy/demo.sh: the stack on fixed ports in a kept directory, until
    Ctrl-C. Uses the same launcher as the tests, so the two cannot drift."""
    import argparse
    ap = argparse.ArgumentParser(prog="demo")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--shop-port", type=int, default=8443)
    ap.add_argument("--sim-port", type=int, default=8444)
    a = ap.parse_args(argv)
    for p in (a.shop_port, a.sim_port):
        s = socket.socket()
        # as nginx does: TIME_WAIT from a previous run is no conflict
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", p))
            s.listen(1)
        except OSError:
            sys.exit("demo: port %d is in use (set SHOP_PORT / SIM_PORT)" % p)
        finally:
            s.close()
    st = Stack("demo", directory=a.dir, shop_port=a.shop_port,
               sim_port=a.sim_port)
    # the merchant's systems: events go to a receiver that prints them
    secret_path = os.path.join(st.dir, "events.secret")
    if not os.path.exists(secret_path):
        import secrets
        write_secret(secret_path, secrets.token_hex(32))
    with open(secret_path) as f:
        rx = DemoReceiver(f.read().strip())
    st.extra_config.update({
        "events_endpoint_url": "https://127.0.0.1:%d/events" % rx.port,
        "events_secret_file": secret_path})
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        st.make_certs()
        rx.start(st.certs)
        st.start()
        listed = st.h5pay("product", "list", "--all", check=False)
        if "tea-oolong" not in (getattr(listed, "stdout", "") or ""):
            st.seed_demo()
        admin_pw = demo_admin(st)
        print("\nh5pay demo is running.\n")
        print("  Shop:       https://127.0.0.1:%d/shop/" % st.shop_port)
        if os.path.exists(os.path.join(BUILD, "h5pay-sim")):
            print("  Simulator:  https://127.0.0.1:%d/sim/" % st.sim_port)
        print("  Admin:      https://127.0.0.1:%d/admin/  (user admin, "
              "password in %s)" % (st.shop_port, admin_pw))
        print("  Health:     https://127.0.0.1:%d/healthz" % st.shop_port)
        print("  CA to trust: %s/ca.pem (or accept the browser warning)"
              % st.certs)
        print("  Logs:       %s/*.log" % st.dir)
        print("  Events:     the merchant receiver at https://127.0.0.1:%d/"
              "events prints each one below (docs/integration.md)" %
              rx.port)
        print("\nThe shop expects WeChat: use a WeChat user agent (e.g. "
              "Chromium's device toolbar) -- the simulator's bridge stands "
              "in for WeChat Pay.\nCtrl-C stops everything.")
        sys.stdout.flush()
        while not stopping:
            for name, p in st.procs.items():
                if p.poll() is not None:
                    print("demo: %s exited (%s); see %s/%s.log" %
                          (name, p.returncode, st.dir, name))
                    stopping.append(1)
                    break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping ...")
        st.stop(check_logs=False)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        demo(sys.argv[2:])
    else:
        sys.exit("usage: stack.py demo --dir DIR [--shop-port N] "
                 "[--sim-port N]")
