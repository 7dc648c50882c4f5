#!/usr/bin/python3
"""Prints 'count <label>: P passed, F failed, S skipped' from a pytest JUnit XML file."""
import sys
import xml.etree.ElementTree as ET

path, label = sys.argv[1], sys.argv[2]
try:
    root = ET.parse(path).getroot()
except (OSError, ET.ParseError) as e:
    print("count %s: 0 passed, 1 failed (no report: %s)" % (label, e))
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = fail = skip = 0
for s in suites:
    total += int(s.get("tests", 0))
    fail += int(s.get("failures", 0)) + int(s.get("errors", 0))
    skip += int(s.get("skipped", 0))
print("count %s: %d passed, %d failed, %d skipped" % (label, total - fail - skip, fail, skip))
