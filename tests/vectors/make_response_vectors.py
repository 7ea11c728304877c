#!/usr/bin/python3
# Regenerates the kind=response vectors of useepay_sign_vectors.json (run in
# tests/vectors; needs the openssl CLI). Not run by the tests.
# Independent implementation (Python hashlib + the openssl CLI) of spec §3
# for answers with nested JSON members: the canonical value of a non-string
# member is its JSON text exactly as received.
import base64, hashlib, json, subprocess, urllib.parse
KEY = "TESTKEY0123456789"

def canon(params):
    return "&".join("%s=%s" % (k, params[k]) for k in sorted(params)
                    if k != "sign" and params[k].strip() != "")

def rsa(s):
    out = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
                          "provider_test_key.pem"], input=s.encode(),
                         capture_output=True, check=True).stdout
    return base64.b64encode(out).decode()

def esc(s):
    return json.dumps(s, ensure_ascii=False)

def make(name, sign_type, members):
    # members: list of (key, raw JSON text of the value)
    params = {}
    for k, raw in members:
        v = json.loads(raw)
        if v is None:
            continue
        params[k] = v if isinstance(v, str) else raw
    params["signType"] = sign_type
    sts = canon(params)
    if sign_type == "MD5":
        sig = hashlib.md5((sts + "&pkey=" + KEY).encode()).hexdigest()
        sts_out = sts + "&pkey=" + KEY
    else:
        sig = rsa(sts)
        sts_out = sts
    params["sign"] = sig
    body = "{" + ",".join("%s:%s" % (esc(k), raw) for k, raw in
                          members + [("signType", esc(sign_type)),
                                     ("sign", esc(sig))]) + "}"
    return {"name": name, "kind": "response",
            "direction": "provider->merchant", "signType": sign_type,
            "md5Key": KEY if sign_type == "MD5" else None,
            "privateKey": "provider_test_key.pem" if sign_type == "RSA" else None,
            "publicKey": "provider_test_pub.pem" if sign_type == "RSA" else None,
            "answerBody": body, "params": params, "stringToSign": sts_out,
            "sign": sig,
            # the canonical values as a form: what `h5pay sign` and the
            # form-based vector tests read
            "formBody": urllib.parse.urlencode(params)}

info_obj = ('{"transactionId":"ORD20240101000001","reference":'
            '"1012401011200000001","transactionType":"pay","amount":1000,'
            '"currency":"HKD","resultCode":"succeed","errorCode":"0000",'
            '"errorMsg":"Success","settlement": [ {"settleAmount":"10.00",'
            '"settleCurrency":"HKD","fee":0.35,"settled":true} ]}')
v1 = make("query-answer-nested-object-md5", "MD5", [
    ("merchantNo", '"500000000007362"'),
    ("transactionType", '"query"'),
    ("transactionId", '"ORD20240101000001"'),
    ("resultCode", '"succeed"'),
    ("errorCode", '"0000"'),
    ("errorMsg", '"Success"'),
    ("transactionInfo", info_obj),
    ("liveMode", "false"),
    ("riskScore", "12"),
    ("extension", "null"),
])
info_text = json.dumps(json.loads(info_obj), separators=(",", ":"))
v2 = make("query-answer-settlement-in-text-rsa", "RSA", [
    ("merchantNo", '"500000000007362"'),
    ("transactionType", '"query"'),
    ("transactionId", '"ORD20240101000001"'),
    ("resultCode", '"succeed"'),
    ("errorCode", '"0000"'),
    ("errorMsg", '"Success"'),
    ("transactionInfo", esc(info_text)),
    ("fee", "0.35"),
])
d = json.load(open("useepay_sign_vectors.json"))
d["vectors"] = [v for v in d["vectors"] if v["kind"] != "response"] + [v1, v2]
d["aboutResponse"] = ("kind=response: a synchronous JSON answer (answerBody, "
    "byte for byte); params are the canonical values: strings decoded, "
    "null members absent, any other member as its JSON text exactly as "
    "received (spec §3). Made with Python hashlib and the openssl CLI.")
with open("useepay_sign_vectors.json", "w") as f:
    json.dump(d, f, indent=1, ensure_ascii=False)
    f.write("\n")
