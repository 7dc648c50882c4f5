"""`cricd check [--repair]` and the check after an unclean shutdown, with a real cricd and
the fixture registry.

- a pulled image, cricd stopped, one byte of a file in a layer changed: `cricd check`
  names the layer (diff id), the image and the file, and exits 1; `--repair` removes
  the layer and the image and exits 0; cricd starts without the image, which pulls again;
- a clean store: exit 0;
- `cricd check` refuses while a cricd serves the same root;
- after a SIGKILL, the next start runs the quick check and logs it; a layer file removed
  meanwhile is found (by the quick form: no hashing) and its image removed.

Needs root (cricd mounts overlay).
"""
import hashlib
import os
import signal
import subprocess

import pytest

import cric
from cric import pb

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.usefixtures("registry"),
]


def chain_ids(diff_ids):
    out = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256(("%s %s" % (out[-1], d)).encode()).hexdigest())
    return out


@pytest.fixture
def setup(registry, make_daemon, tmp_path):
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    d = make_daemon(extra_args=["--registries-conf", str(conf)])
    ref = registry.reference("busybox")
    facts = registry.images["busybox"]
    return d, ref, facts


def check(d, *args):
    """Runs `cricd ... check ARGS` on d's root and config; the CompletedProcess."""
    cmd = d.args() + ["check"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def pull(d, ref):
    return d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120).image_ref


def image_present(d, ref):
    return d.image.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref)), timeout=30).HasField("image")


def layer_dir(d, chain):
    return os.path.join(d.root, "storage", "layers", chain.split(":", 1)[1])


def biggest_file(diff):
    """(path, size) of the largest regular file under diff."""
    best = (None, -1)
    for dirpath, _, files in os.walk(diff):
        for f in files:
            p = os.path.join(dirpath, f)
            if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) > best[1]:
                best = (p, os.path.getsize(p))
    return best


def damaged_layer(d, facts):
    """The layer (diff id, chain id) holding the image's largest file, and that file."""
    found = None
    for diff_id, chain in zip(facts.diff_ids, chain_ids(facts.diff_ids)):
        path, size = biggest_file(os.path.join(layer_dir(d, chain), "diff"))
        if path and (found is None or size > found[3]):
            found = (diff_id, chain, path, size)
    assert found, "no regular file in the image's layers"
    if d.storage_driver() == "btrfs":  # a committed layer is a read-only subvolume: the "damage" needs it writable
        subprocess.run(["btrfs", "property", "set", "-ts", os.path.join(layer_dir(d, found[1]), "diff"), "ro",
                        "false"], check=True)
    return found


def test_check_finds_a_changed_file_and_repair_removes_layer_and_image(setup):
    d, ref, facts = setup
    d.start()
    image_id = pull(d, ref)
    d.stop()
    r = check(d)
    assert r.returncode == 0, r.stdout + r.stderr  # a clean store
    assert "0 problems" in r.stdout
    diff_id, chain, path, size = damaged_layer(d, facts)
    with open(path, "r+b") as f:  # same size, one byte changed: only the content hash can tell
        f.seek(size // 2)
        b = f.read(1)
        f.seek(size // 2)
        f.write(bytes([b[0] ^ 0xFF]))
    rel = "/" + os.path.relpath(path, os.path.join(layer_dir(d, chain), "diff"))

    r = check(d)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    layer_lines = [ln for ln in lines if ln.startswith("layer %s" % diff_id)]
    assert len(layer_lines) == 1 and rel in layer_lines[0] and "content" in layer_lines[0], r.stdout
    image_lines = [ln for ln in lines if ln.startswith("image ") and ref in ln]
    assert len(image_lines) == 1 and diff_id in image_lines[0], r.stdout
    assert image_id.split(":")[-1][:12] in image_lines[0]

    r = check(d, "--repair")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "removed image %s" % image_id.split(":")[-1][:12] in r.stdout
    assert "removed layer %s" % chain in r.stdout
    assert not os.path.exists(layer_dir(d, chain))
    r = check(d)
    assert r.returncode == 0, r.stdout + r.stderr

    d.start()
    assert not image_present(d, ref)
    assert pull(d, ref) == image_id
    d.stop()
    r = check(d)
    assert r.returncode == 0, r.stdout + r.stderr


def test_check_finds_orphans_and_missing_layer_dirs(setup):
    d, ref, facts = setup
    d.start()
    pull(d, ref)
    d.stop()
    orphan = os.path.join(d.root, "storage", "layers", "ab" * 32)
    os.makedirs(os.path.join(orphan, "diff"))
    chain = chain_ids(facts.diff_ids)[0]
    os.rename(layer_dir(d, chain), layer_dir(d, chain) + ".away")  # a layer row without its directory
    r = check(d)
    assert r.returncode == 1, r.stdout + r.stderr
    assert any(ln.startswith("orphan %s" % orphan) for ln in r.stdout.splitlines()), r.stdout
    assert any(ln.startswith("orphan %s.away" % layer_dir(d, chain)) for ln in r.stdout.splitlines()), r.stdout
    assert any(ln.startswith("layer %s" % facts.diff_ids[0]) and "missing" in ln
               for ln in r.stdout.splitlines()), r.stdout
    r = check(d, "--repair")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not os.path.exists(orphan) and not os.path.exists(layer_dir(d, chain) + ".away")
    d.start()
    assert not image_present(d, ref)


def test_check_refuses_while_cricd_runs(setup):
    d, ref, facts = setup
    d.start()
    r = check(d)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "another process is serving %s" % d.root in r.stderr
    # and a second daemon on the same root does not start either
    other = cric.Daemon(extra_args=["--root", d.root])
    try:
        with pytest.raises(RuntimeError, match="another process is serving"):
            other.start(timeout=20)
    finally:
        other.cleanup()


def test_unclean_shutdown_runs_the_quick_check(setup):
    d, ref, facts = setup
    d.start()
    pull(d, ref)
    d.stop()
    d.start()
    assert "last stop was not clean" not in d.read_log()  # a clean stop: no check
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.log.close()
    diff_id, chain, path, size = damaged_layer(d, facts)
    os.unlink(path)  # what a crash can leave: a file missing
    d.start()
    log = d.read_log()
    assert "storage check: the last stop was not clean" in log
    found = [ln for ln in log.splitlines() if "storage check: layer %s" % diff_id in ln]
    assert found and "missing" in found[0], log[-3000:]
    assert not image_present(d, ref)
    pull(d, ref)
    assert image_present(d, ref)
