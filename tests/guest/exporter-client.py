#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""HTTP clients of tests/guest/check-exporter.sh, on loopback only.

  exporter-client.py raw PORT REQUEST [--stall]   one request as raw bytes
        (Python escapes allowed: \\r\\n), prints the status line's code, the
        Content-Type, Content-Length, the body's length and its last line
        --stall: send REQUEST, then nothing more, and wait for the answer
  exporter-client.py burst PORT N                 N scrapes at once: prints
        "200 COUNT", "503 COUNT", ... and "bad COUNT" (no well-formed answer)
  exporter-client.py loop PORT N                  N scrapes one after another;
        prints how many got 200
  exporter-client.py watch PORT FILE             scrapes until FILE exists:
        one line per scrape, "SERIES ALIVE DROPPED LIMIT" (the
        devmem_process_faults_total series and the devmem_exporter_processes_*)
  exporter-client.py query PROM_PORT EXPR          a Prometheus instant query:
        one line per series, "LABELS VALUE TIMESTAMP"
  exporter-client.py serve                        commands on stdin, one a line,
        fields separated by tabs, one answer line each (the interpreter starts
        once, which counts in a TCG guest):
          value PROM_PORT EXPR   the value of a one-series query, "none", "many"
          ts PROM_PORT EXPR      the time it was evaluated at, or "none"
          count PROM_PORT EXPR   how many series, or "error ..."
          raw PORT REQUEST [--stall]   as the raw command
"""
import json
import socket
import sys
import threading

HOST = "127.0.0.1"


def exchange(port, data, stall=False, timeout=30):
    """Send data, read the whole answer (the server closes); (head, body)."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(data)   # stalled or not, the answer is read until the server closes
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def parse_head(head):
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2) if lines and lines[0] else []
    code = parts[1] if len(parts) >= 2 and parts[0].startswith("HTTP/1.") else "none"
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields[k.strip().lower()] = v.strip()
    return code, fields


def raw_answer(port, request, stall):
    data = request.encode("latin-1").decode("unicode_escape").encode("latin-1")
    head, body = exchange(int(port), data, stall)
    code, f = parse_head(head)
    last = body.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", "replace") if body else ""
    return "%s %s %s %d %s" % (code, f.get("content-type", "-").replace(" ", ""),
                               f.get("content-length", "-"), len(body),
                               last.replace(" ", "_") or "-")


def cmd_raw(port, request, stall):
    print(raw_answer(port, request, stall))


def scrape(port, results, i):
    try:
        head, body = exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        code, f = parse_head(head)
        if code == "200" and int(f.get("content-length", -1)) != len(body):
            code = "bad"
        results[i] = code if code in ("200", "503") else "bad"
    except OSError:
        results[i] = "bad"


def cmd_burst(port, n):
    n = int(n)
    results = [None] * n
    threads = [threading.Thread(target=scrape, args=(int(port), results, i)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for code in ("200", "503", "bad"):
        print(code, results.count(code))


def cmd_loop(port, n):
    results = [None]
    good = 0
    for _ in range(int(n)):
        scrape(int(port), results, 0)
        good += results[0] == "200"
    print(good)


def cmd_watch(port, stop):
    import os
    while not os.path.exists(stop):
        try:
            head, body = exchange(int(port), b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            continue
        series, vals = 0, {}
        for line in body.decode("utf-8", "replace").split("\n"):
            if line.startswith("devmem_process_faults_total{"):
                series += 1
            elif line.startswith("devmem_exporter_processes_"):
                k, _, v = line.rpartition(" ")
                vals[k.split("{")[0]] = v  # the name, without labels (host=)
        print(series, vals.get("devmem_exporter_processes_alive", "-"),
              vals.get("devmem_exporter_processes_dropped", "-"),
              vals.get("devmem_exporter_processes_limit", "-"), flush=True)


def prom_query(port, expr):
    """The result list of an instant query, or an error string."""
    import urllib.parse    # here: importing it takes seconds in a TCG guest
    import urllib.request
    url = "http://%s:%s/api/v1/query?%s" % (HOST, port, urllib.parse.urlencode({"query": expr}))
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            doc = json.load(r)
    except Exception as e:  # an HTTP 400 for a bad expression, too
        return "error %s" % str(e).replace("\n", " ")
    if doc.get("status") != "success":
        return "error %s" % doc.get("error", "?")
    return doc["data"]["result"]


def cmd_serve():
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        try:
            if f[0] in ("value", "ts", "count"):
                res = prom_query(f[1], f[2])
                if isinstance(res, str):
                    out = res
                elif f[0] == "count":
                    out = str(len(res))
                elif len(res) != 1:
                    out = "none" if not res else "many"
                else:
                    out = res[0]["value"][1 if f[0] == "value" else 0]
            elif f[0] == "raw":
                out = raw_answer(f[1], f[2], "--stall" in f[3:])
            else:
                out = "error unknown command %s" % f[0]
        except Exception as e:
            out = "error %s" % str(e).replace("\n", " ")
        print(out, flush=True)


def cmd_query(port, expr):
    res = prom_query(port, expr)
    if isinstance(res, str):
        print(res)
        return
    for s in res:
        labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s["metric"].items()))
        print("{%s}" % labels, s["value"][1], s["value"][0])


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "raw":
        cmd_raw(a[1], a[2], "--stall" in a[3:])
    elif len(a) == 3 and a[0] == "burst":
        cmd_burst(a[1], a[2])
    elif len(a) == 3 and a[0] == "loop":
        cmd_loop(a[1], a[2])
    elif a == ["serve"]:
        cmd_serve()
    elif len(a) == 3 and a[0] == "watch":
        cmd_watch(a[1], a[2])
    elif len(a) == 3 and a[0] == "query":
        cmd_query(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
