#!/usr/bin/python3
"""Check that cric's proto/cri.proto is wire-identical to upstream cri-api.

Usage: check_proto_identity.py [OURS_PROTO [REFERENCE_PROTO]]

Defaults: OURS = <repo>/proto/cri.proto,
          REFERENCE = <repo>/../shared/spec/cri-api-v1.36.3.proto

Both files are compiled with `protoc --descriptor_set_out` (no source info).
`[debug_redact = true]` is stripped from a temporary copy of the reference
first, since Debian's protoc 3.21 does not know that option (it has no wire
effect). File-level fields that do not affect the wire (name, options,
source_code_info) are cleared; everything else (package, syntax,
dependencies, messages, enums, services) must match exactly.

Exit status: 0 identical, 1 mismatch or error, 77 reference not found (skip).
"""

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, text_format

MAX_DIFF_LINES = 200
REF_NAME = "cri-api-v1.36.3.proto"


def compile_descriptor(proto_path, workdir, tag):
    """Compile proto_path to a FileDescriptorProto (single file, no imports)."""
    out = os.path.join(workdir, tag + ".pb")
    cmd = [
        "protoc",
        "--proto_path=" + os.path.dirname(os.path.abspath(proto_path)),
        "--descriptor_set_out=" + out,
        os.path.abspath(proto_path),
    ]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    if res.returncode != 0:
        sys.stderr.write("protoc failed on %s:\n%s%s" % (proto_path, res.stdout, res.stderr))
        sys.exit(1)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as fh:
        fds.ParseFromString(fh.read())
    if len(fds.file) != 1:
        sys.stderr.write("expected exactly one file in descriptor set of %s, got %d\n"
                         % (proto_path, len(fds.file)))
        sys.exit(1)
    fd = fds.file[0]
    for field in ("name", "options", "source_code_info"):
        fd.ClearField(field)
    return fd


def count(fd):
    def walk(msgs):
        nmsg = nenum = 0
        for m in msgs:
            if m.options.map_entry:
                continue
            nmsg += 1
            nenum += len(m.enum_type)
            sub_m, sub_e = walk(m.nested_type)
            nmsg += sub_m
            nenum += sub_e
        return nmsg, nenum

    nmsg, nenum = walk(fd.message_type)
    nenum += len(fd.enum_type)
    nrpc = sum(len(s.method) for s in fd.service)
    return nmsg, nenum, nrpc


def main(argv):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ours = argv[1] if len(argv) > 1 else os.path.join(repo, "proto", "cri.proto")
    ref = argv[2] if len(argv) > 2 else os.path.join(
        os.path.dirname(repo), "shared", "spec", REF_NAME)

    if not os.path.isfile(ref):
        print("SKIP: reference proto not found at %s" % ref)
        return 77
    if not os.path.isfile(ours):
        print("FAIL: our proto not found at %s" % ours)
        return 1
    if shutil.which("protoc") is None:
        print("FAIL: protoc not found in PATH")
        return 1

    workdir = tempfile.mkdtemp(prefix="cric-proto-identity-")
    try:
        with open(ref, encoding="utf-8") as fh:
            ref_text = fh.read()
        ref_text = re.sub(r"\s*\[\s*debug_redact\s*=\s*true\s*\]", "", ref_text)
        # Same basename as ours so that nothing name-dependent can differ.
        refdir = os.path.join(workdir, "ref")
        os.mkdir(refdir)
        ref_copy = os.path.join(refdir, os.path.basename(ours))
        with open(ref_copy, "w", encoding="utf-8") as fh:
            fh.write(ref_text)

        ours_fd = compile_descriptor(ours, workdir, "ours")
        ref_fd = compile_descriptor(ref_copy, workdir, "reference")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if ours_fd.SerializeToString(deterministic=True) == ref_fd.SerializeToString(deterministic=True) \
            and ours_fd == ref_fd:
        nmsg, nenum, nrpc = count(ours_fd)
        print("proto identity: OK (%d messages, %d enums, %d rpcs)" % (nmsg, nenum, nrpc))
        return 0

    ours_txt = text_format.MessageToString(ours_fd).splitlines()
    ref_txt = text_format.MessageToString(ref_fd).splitlines()
    diff = list(difflib.unified_diff(ref_txt, ours_txt, fromfile="reference: " + ref,
                                     tofile="ours: " + ours, lineterm="", n=3))
    print("proto identity: MISMATCH between %s and %s" % (ours, ref))
    for line in diff[:MAX_DIFF_LINES]:
        print(line)
    if len(diff) > MAX_DIFF_LINES:
        print("... (%d more diff lines omitted)" % (len(diff) - MAX_DIFF_LINES))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
