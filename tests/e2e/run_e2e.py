"""run_e2e.py TEST.js - run one browser test against the real stack.

Starts a Stack from tests/integration/harness.py (deploy/stack.py's: nginx,
h5payd, and the simulator when it is built), passes its addresses to the node
test in the environment (see lib.js), and stops the stack afterwards
whatever happens. Exit status: the test's; 77 (ctest SKIP) when the
browser tooling is missing (tests/run.sh installs it: chromium and
`npm ci` here).

    cd tests/e2e && H5PAY_BUILD=../../build H5PAY_SRC=../.. \\
        /usr/bin/python3 run_e2e.py test_shop_pages.js

H5PAY_KEEP=1 keeps the stack's directory (logs, database) for debugging.
`run_e2e.py --start` only starts the stack, prints its description as one
JSON line and waits for SIGTERM/SIGINT (for manual work).
"""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402

SKIP = 77
NODE = shutil.which("node") or "/usr/bin/node"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
TEST_TIMEOUT = int(os.environ.get("E2E_TIMEOUT", "420"))


def spki_hash(pem_path):
    """base64 SHA-256 of a certificate's SubjectPublicKeyInfo (DER)."""
    pub = subprocess.run(["openssl", "x509", "-in", pem_path, "-pubkey",
                          "-noout"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, check=True,
                         capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def stack_options(test_path):
    """Stack keyword arguments a test asks for in a comment line
    `e2e-stack: {"sim": false, "config": {...}}` (JSON)."""
    with open(test_path, encoding="utf-8") as f:
        for line in f:
            m = re.search(r"e2e-stack:\s*(\{.*\})", line)
            if m:
                return json.loads(m.group(1))
    return {}


def make_stack(name, test_path):
    cls = getattr(harness, "E2EStack", None) or harness.Stack
    opts = stack_options(test_path)
    merchant = opts.pop("merchant", False)
    st = cls(name, **opts)
    if merchant:
        # a merchant shop fixture (test_checkout.js starts it): its origin
        # is the payments API's allowed return origin
        port = harness.free_port()
        path = os.path.join(st.dir, "return.secret")
        harness.write_secret(path, base64.b64encode(os.urandom(33))
                             .decode())
        events = os.path.join(st.dir, "events.secret")
        harness.write_secret(events, base64.b64encode(os.urandom(33))
                             .decode())
        st.extra_config.update({
            "api_return_origins": "https://127.0.0.1:%d" % port,
            "api_return_secret_file": path,
            # the shop is also the merchant's events endpoint
            "events_endpoint_url": "https://127.0.0.1:%d/hook" % port,
            "events_secret_file": events,
            "events_retry_base_sec": "1", "events_poll_ms": "200"})
        st.merchant = {"E2E_MERCHANT_PORT": str(port),
                       "E2E_RETURN_SECRET_FILE": path,
                       "E2E_EVENTS_SECRET_FILE": events}
    return st


def describe(stack, out):
    spki = [spki_hash(os.path.join(stack.certs, "server.pem"))]
    d = {
        "E2E_BASE": "https://127.0.0.1:%d" % stack.shop_port,
        "E2E_SPKI": ",".join(spki),
        "E2E_OUT": out,
        "E2E_CFG": stack.cfg_path,
        "E2E_BUILD": harness.BUILD,
        "E2E_DB": stack.db_path,
        "E2E_DIR": stack.dir,
        "E2E_CA": os.path.join(stack.certs, "ca.pem"),
    }
    d.update(getattr(stack, "merchant", {}))
    if getattr(stack, "sim", False):
        d["E2E_SIM"] = "https://127.0.0.1:%d" % stack.sim_port
        d["E2E_SIM_DB"] = stack.sim_values["db_path"]
    return d


def tooling_missing():
    if not os.path.exists(os.path.join(HERE, "node_modules",
                                       "playwright-core")):
        return "tests/e2e/node_modules missing (run `npm ci` there)"
    if not os.path.exists(CHROMIUM):
        return CHROMIUM + " missing (apt-get install chromium)"
    if not os.path.exists(NODE):
        return "node missing"
    return None


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: run_e2e.py TEST.js | --start\n")
        return 2
    why = tooling_missing()
    if why and argv[1] != "--start":
        # in CI (tests/run.sh installs the tooling) a missing tool is a
        # broken setup, never a quiet skip
        if os.environ.get("CI"):
            print("FAIL: " + why)
            return 1
        print("SKIP: " + why)
        return SKIP
    name = os.path.splitext(os.path.basename(argv[1]))[0]
    out = os.path.join(harness.BUILD, "e2e-out", name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    stack = make_stack(name, os.path.join(HERE, argv[1])
                       if argv[1] != "--start" else os.devnull)
    ok = False
    try:
        stack.start()
        if hasattr(stack, "seed_demo"):
            stack.seed_demo()
        env = dict(os.environ)
        env.update(describe(stack, out))
        if argv[1] == "--start":
            print(json.dumps(describe(stack, out)), flush=True)
            stop = []
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.append(1))
            while not stop:
                signal.pause()
            ok = True
            return 0
        print("stack in %s, output in %s" % (stack.dir, out), flush=True)
        p = subprocess.run([NODE, os.path.join(HERE, argv[1])], env=env,
                           cwd=HERE, timeout=TEST_TIMEOUT)
        ok = p.returncode == 0
        if not ok:
            logs = stack.all_logs()
            print("---- stack logs (tail) ----\n" + logs[-6000:])
        return p.returncode
    except subprocess.TimeoutExpired:
        print("FAIL: test timed out after %d s" % TEST_TIMEOUT)
        return 1
    finally:
        try:
            stack.stop()
        finally:
            if os.environ.get("H5PAY_KEEP") is None and ok:
                shutil.rmtree(stack.dir, ignore_errors=True)
            else:
                print("stack kept in " + stack.dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
