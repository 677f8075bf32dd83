#!/usr/bin/env python3
"""The public-key bound on logins/s: what the public-key operations of one login cost, from
`openssl speed -seconds N` run now, on this machine.

One login = one full TLS 1.3 handshake with X25519 and a server certificate (leaf) signed by the
fake's CA (always ECDSA P-256; the CA certificate is the trust anchor, so its own self-signature
is not checked), plus, optionally, the server's check of the token's RS256 signature.

  operation                                  side    count  openssl speed figure
  X25519 key generation                      client  1      ecdhx25519 "op" (see below)
  X25519 shared secret                       client  1      ecdhx25519 "op"
  X25519 key generation                      server  1      ecdhx25519 "op"
  X25519 shared secret                       server  1      ecdhx25519 "op"
  CertificateVerify signature                server  1      ecdsap256 sign   | rsa2048 sign
  CertificateVerify verification             client  1      ecdsap256 verify | rsa2048 verify
  leaf certificate signature (by the CA)     client  1      ecdsap256 verify
  token RS256 signature (--jwt-rs256-verifies K)  server  K  rsa2048 verify

openssl speed reports, per algorithm, operations per second of CPU time (user time, one
thread). The cost of one operation is 1 / that rate. `ecdhx25519` times the shared-secret
derivation only; a key generation is one X25519 scalar multiplication too (by the base point),
so it is counted at the same cost: an upper bound, since fixed-base multiplication can be faster.
TLS 1.3 with RSA signs with RSA-PSS, while openssl speed times PKCS#1 v1.5: the cost is in the
modular exponentiation, which is the same (the padding is noise).

  client_us = 2 * x25519 + verify(leaf key) + ecdsa_p256_verify
  server_us = 2 * x25519 + sign(leaf key)   + K * rsa2048_verify
  per_login_us = client_us + server_us
  bound_logins_per_s = cores / (per_login_us * 1e-6), with cores = 2 (--cores): client and
  server together can never exceed this many logins/s on this machine, whatever else they do,
  as long as each login does these operations once (no TLS resumption).

Hashing, symmetric crypto, key schedule, system calls and protocol work are not counted: the
bound is the ceiling if everything but public-key work were free.

Output (stdout): one JSON object with the per-operation costs (µs), the per-login figures and
the bound. Exit code 0, or 2 when openssl speed fails.
"""

import argparse
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import benchlib  # noqa: E402


def speed(seconds, algorithms):
    """{name: (ops/s, ops/s)} from `openssl speed -mr`: F2 rsa (sign, verify),
    F4 ecdsa (sign, verify), F5 ecdh (op, -)."""
    r = subprocess.run(["openssl", "speed", "-mr", "-seconds", str(seconds), *algorithms],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode != 0:
        benchlib.fail("openssl speed failed: " + r.stderr.strip()[-300:])
    out = {}
    for kind, bits, a, b in re.findall(r"^\+F([245]):\d+:(\d+):([\d.]+):([\d.]+)$", r.stdout, re.M):
        out[(kind, int(bits))] = (float(a), float(b))
    return out


def us(rate):
    return 1e6 / rate


def main():
    p = argparse.ArgumentParser(
        description="Public-key CPU of one TLS 1.3 X25519 login (client + server) from openssl speed, "
                    "and the bound in logins/s over both cores; prints one JSON object.")
    benchlib.add_key_type_arg(p)
    p.add_argument("--seconds", type=int, default=2, help="openssl speed -seconds per test (default 2)")
    p.add_argument("--jwt-rs256-verifies", type=int, default=0, metavar="K",
                   help="RS256 token signature checks per login on the server (default 0)")
    p.add_argument("--cores", type=int, default=2, help="cores client and server share (default 2)")
    a = p.parse_args()
    if a.seconds < 1 or a.jwt_rs256_verifies < 0 or a.cores < 1:
        benchlib.fail("--seconds and --cores must be >= 1, --jwt-rs256-verifies >= 0")

    need_rsa = a.key_type == "rsa" or a.jwt_rs256_verifies > 0
    algs = ["ecdhx25519", "ecdsap256"] + (["rsa2048"] if need_rsa else [])
    res = speed(a.seconds, algs)
    try:
        x25519 = us(res[("5", 253)][0])
        p256_sign, p256_verify = (us(v) for v in res[("4", 256)])
        rsa_sign, rsa_verify = (us(v) for v in res[("2", 2048)]) if need_rsa else (None, None)
    except KeyError as e:
        benchlib.fail(f"openssl speed gave no figure for {e}")

    leaf_sign, leaf_verify = (rsa_sign, rsa_verify) if a.key_type == "rsa" else (p256_sign, p256_verify)
    client = 2 * x25519 + leaf_verify + p256_verify
    server = 2 * x25519 + leaf_sign + a.jwt_rs256_verifies * (rsa_verify or 0)
    per_login = client + server
    ops = {
        "x25519_us": round(x25519, 2),
        "ecdsa_p256_sign_us": round(p256_sign, 2),
        "ecdsa_p256_verify_us": round(p256_verify, 2),
    }
    if need_rsa:
        ops["rsa2048_sign_us"] = round(rsa_sign, 2)
        ops["rsa2048_verify_us"] = round(rsa_verify, 2)
    benchlib.emit({
        "tool": "pk_bound",
        "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
        "key_type": benchlib.key_type_name(a.key_type),
        "jwt_rs256_verifies": a.jwt_rs256_verifies,
        "seconds_per_test": a.seconds,
        "cores": a.cores,
        "ops": ops,
        "per_login_us": {
            "client": round(client, 2),
            "server": round(server, 2),
            "total": round(per_login, 2),
        },
        "formula": {
            "client": "2*x25519 + verify(leaf) + ecdsa_p256_verify(CA signature on the leaf)",
            "server": "2*x25519 + sign(leaf) + K*rsa2048_verify",
            "bound": "cores / per_login_seconds",
        },
        "bound_logins_per_s": round(a.cores / (per_login * 1e-6), 1),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
