#!/usr/bin/env python3
"""Writes cric.conf(5) from `cricd config --default` (argv[1]: that output, argv[2]: the
hand-written head of the page, argv[3]: the page to write), so the page lists every
key with its default and comment and cannot drift from the settings table."""
import sys


def roff_text(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + s if s[:1] in (".", "'") else s


def main():
    sample, head, out = sys.argv[1:4]
    with open(head) as f:
        page = [f.read().rstrip("\n")]
    with open(sample) as f:
        lines = f.read().split("\n")
    comment, seen_table = [], False

    def paragraph():
        text = " ".join(c for c in comment if c)
        return roff_text(text) if text else ""

    for line in lines:
        if line.startswith("#"):
            comment.append(line[1:].strip())
        elif line.startswith("["):
            seen_table = True
            page.append('.SS "%s"' % roff_text(line))
            if comment:
                page.append(".PP\n" + paragraph())
            comment = []
        elif "=" in line and seen_table:
            key, value = (p.strip() for p in line.split("=", 1))
            page.append(".TP\n\\fB%s\\fR = %s" % (roff_text(key), roff_text(value)))
            if comment:
                page.append(paragraph())
            comment = []
        elif not line.strip() and comment and seen_table and lines:
            # A comment that stands alone (it introduces the tables after it).
            page.append(".PP\n" + paragraph())
            comment = []
        elif not line.strip() and not seen_table:
            comment = []  # the file's preamble: the page's DESCRIPTION says it
    page.append(".SH \"SEE ALSO\"\n\\fBcricd\\fR(8), \\fBcricctl\\fR(1), \\fBcontainers\\-registries.conf\\fR(5)")
    with open(out, "w") as f:
        f.write("\n".join(page) + "\n")


main()
