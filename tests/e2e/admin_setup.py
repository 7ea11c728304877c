"""admin_setup.py - fixtures for the admin browser test (test_admin_flow.js),
run by it against the stack run_e2e.py started (E2E_* environment).

    admin_setup.py user NAME            create an admin (password on stdin)
    admin_setup.py totp NAME            enrol NAME for TOTP, print the URI
    admin_setup.py sim                  print the simulator's base URL
    admin_setup.py paid-order SUBJECT ITEM AMOUNT
        a buyer's order paid through h5pay-sim: the order row (as /pay
        writes it), the payment created at the simulator with our
        notifyUrl, paid there; waits until the simulator's signed
        notification made it PAID through /notify. Prints {"orderNo": ...}.
"""
import json
import os
import re
import sqlite3
import ssl
import subprocess
import sys
import time
import http.client
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402


def sim_base():
    """E2E_SIM, or (when run_e2e.py did not set it) the simulator's TLS
    server in the stack's rendered nginx.conf: the listen port that is not
    the shop's."""
    if os.environ.get("E2E_SIM"):
        return os.environ["E2E_SIM"]
    shop = os.environ["E2E_BASE"].rsplit(":", 1)[1]
    with open(os.path.join(os.environ["E2E_DIR"], "run", "nginx.conf")) as f:
        for ln in f:
            m = re.match(r"\s*listen 127\.0\.0\.1:(\d+) ssl;", ln)
            if m and m.group(1) != shop:
                return "https://127.0.0.1:" + m.group(1)
    raise SystemExit("no simulator in this stack")


def sim_post(path, body, ctype):
    host, port = sim_base().rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=os.environ["E2E_CA"])
    c = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx,
                                    timeout=30)
    try:
        c.request("POST", path, body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def paid_order(subject, item, amount):
    no = "E2E" + uuid.uuid4().hex[:16]
    now = int(time.time())
    db = sqlite3.connect(os.environ["E2E_DB"], timeout=30)
    with db:
        cur = db.execute(
            "INSERT INTO orders (order_no, openid, appid, amount, currency, "
            "subject, state, expires_at, created_at, updated_at) VALUES "
            "(?, 'oE2eBuyerOpenid000001', ?, ?, 'HKD', ?, 'PENDING', ?, ?, "
            "?)", (no, harness.TEST_APPID, amount, subject, now + 1200, now,
                   now))
        db.execute("INSERT INTO order_items (order_id, sku, name, "
                   "unit_price, qty, line_amount) VALUES (?, 'E2E1', ?, ?, "
                   "1, ?)", (cur.lastrowid, item, amount, amount))
    f = {"version": "1.0", "merchantNo": harness.TEST_MERCHANT,
         "transactionType": "pay", "transactionId": no,
         "appId": "127.0.0.1", "amount": str(amount), "currency": "HKD",
         "notifyUrl": os.environ["E2E_BASE"] + "/notify",
         "echoParam": '"><img src=x onerror=alert(1)>',
         "payerInfo": json.dumps({"paymentMethod": "wechat_jsapi",
                                  "sub_appid": harness.TEST_APPID,
                                  "sub_openid": "oE2eBuyerOpenid000001"}),
         "orderInfo": json.dumps({"subject": subject}),
         "signType": "MD5"}
    f["sign"] = harness.useepay_sign_md5(f)
    st, body = sim_post("/api", harness.form_encode(f),
                        "application/x-www-form-urlencoded")
    if st != 200 or json.loads(body)["errorCode"] != "0000":
        raise SystemExit("sim create: %d %r" % (st, body))
    st, body = sim_post("/sim/control", json.dumps(
        {"action": "pay", "transactionId": no}), "application/json")
    if st != 200:
        raise SystemExit("sim pay: %d %r" % (st, body))
    deadline = time.time() + 60
    while time.time() < deadline:
        s = db.execute("SELECT state FROM orders WHERE order_no = ?",
                       (no,)).fetchone()[0]
        if s == "PAID":
            print(json.dumps({"orderNo": no}))
            return 0
        time.sleep(0.2)
    raise SystemExit("order %s not PAID (still %s)" % (no, s))


def main(argv):
    if len(argv) == 3 and argv[1] == "user":
        p = subprocess.run([os.path.join(os.environ["E2E_BUILD"], "h5pay"),
                            "admin", "-c", os.environ["E2E_CFG"], "add",
                            argv[2]], input=sys.stdin.read(), text=True,
                           capture_output=True, timeout=60)
        sys.stderr.write(p.stderr)
        return p.returncode
    if len(argv) == 3 and argv[1] == "totp":
        p = subprocess.run([os.path.join(os.environ["E2E_BUILD"], "h5pay"),
                            "admin", "-c", os.environ["E2E_CFG"], "totp",
                            argv[2]], text=True, capture_output=True,
                           timeout=60)
        sys.stderr.write(p.stderr)
        sys.stdout.write(p.stdout)
        return p.returncode
    if len(argv) == 2 and argv[1] == "sim":
        print(sim_base())
        return 0
    if len(argv) == 5 and argv[1] == "paid-order":
        return paid_order(argv[2], argv[3], int(argv[4]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
