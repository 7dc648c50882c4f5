#!/usr/bin/python3
"""Runs every unit and fuzz-replay test meson knows in a build dir, each test binary
with cmocka's TAP output, and prints one line per failure plus a count line:
    count <label>: <passed> passed, <failed> failed
A binary that crashes or exits non-zero without TAP lines counts as one failure."""
import json
import os
import re
import subprocess
import sys

build, label = sys.argv[1], sys.argv[2]
tests = json.loads(subprocess.run(["meson", "introspect", "--tests", build],
                                  capture_output=True, text=True, check=True).stdout)
passed = failed = skipped = 0
for t in tests:
    env = dict(os.environ)
    env.update(t.get("env") or {})
    env["CMOCKA_MESSAGE_OUTPUT"] = "TAP"
    try:
        r = subprocess.run(t["cmd"], env=env, cwd=t.get("workdir") or build, capture_output=True, text=True,
                           timeout=t.get("timeout") or 300)
        out, code = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired as e:
        out, code = "timeout\n%s" % (e.stdout or ""), -1
    oks = len(re.findall(r"^ok \d+", out, re.M))
    skips = len(re.findall(r"^(?:not )?ok \d+.*# SKIP", out, re.M))
    bad = len(re.findall(r"^not ok \d+", out, re.M)) - len(re.findall(r"^not ok \d+.*# SKIP", out, re.M))
    oks -= len(re.findall(r"^ok \d+.*# SKIP", out, re.M))
    if oks + bad + skips == 0:  # not a cmocka binary (fuzz replay): the exit code decides
        oks, bad = (1, 0) if code == 0 else (0, 1)
    elif code != 0 and bad == 0:
        bad = 1  # crashed or leaked after its cases passed
    passed += oks
    failed += bad
    skipped += skips
    status = "ok" if bad == 0 else "FAILED"
    print("[%s] %s %s: %d passed, %d failed, %d skipped" % (label, status, t["name"], oks, bad, skips))
    if bad:
        print(out[-8000:])
print("count %s: %d passed, %d failed, %d skipped" % (label, passed, failed, skipped))
sys.exit(1 if failed else 0)
