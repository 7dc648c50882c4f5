"""The btrfs storage driver against a real cricd whose root is on a loop-mounted btrfs
(an image file made with Debian's mkfs.btrfs): chosen by itself there, each layer a
read-only subvolume snapshotted from its parent, each container a writable snapshot of
its image's top layer (checked from the host with `btrfs subvolume show`), sizes from
what the container wrote, btrfs.size as a qgroup limit, a store of one driver refused
by another, and a crash (SIGKILL) at each step of a pull and of a create, on btrfs and
on overlay, leaving nothing the next start does not clean up.

The rest of the storage tests (test_images, test_image_volumes, test_storage_check,
test_stats_fs, test_userns, test_containers, test_pods) run a second time with every
daemon on a btrfs: tests/run's CRIC_TEST_STORAGE_DRIVER=btrfs stage. Needs root.
"""
import os
import signal
import subprocess

import grpc
import pytest

import btrfs_fs
import cric
from cric import pb, rpc_error, wait_for
from test_containers import MiB, Ctx, Env, running_env

pytestmark = [
    pytest.mark.skipif(btrfs_fs.available() != "", reason="btrfs: %s" % btrfs_fs.available()),
    pytest.mark.usefixtures("registry"),
]


@pytest.fixture(scope="module")
def fs():
    f = btrfs_fs.LoopBtrfs("2G")
    yield f
    f.close()


class BtrfsEnv(Env):
    """test_containers' Env with the daemon's root on the btrfs (and any more flags)."""

    def __init__(self, registry, workdir, root, extra_args=(), env=None):
        super().__init__(registry, workdir)
        self.root, self.extra, self.env = root, list(extra_args), env

    def daemon_kwargs(self):
        kw = super().daemon_kwargs()
        kw["root"] = self.root
        kw["extra_args"] = kw["extra_args"] + self.extra
        if self.env:
            kw["env"] = self.env
        return kw


@pytest.fixture(scope="module")
def benv(fs, registry, tmp_path_factory):
    yield from running_env(BtrfsEnv(registry, str(tmp_path_factory.mktemp("btrfs")), os.path.join(fs.mnt, "main")))


@pytest.fixture
def ctx(benv, tmp_path):
    c = Ctx(benv, "crun", str(tmp_path))
    yield c
    c.cleanup()


def storage(d, *rel):
    return os.path.join(d.root, "storage", *rel)


def layer_diffs(d):
    top = storage(d, "layers")
    return {h: os.path.join(top, h, "diff") for h in sorted(os.listdir(top))}


def image_layers(d, ref):
    st = d.image.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref), verbose=True), timeout=30)
    import json
    return [c.split(":", 1)[1] for c in json.loads(st.info["info"])["layers"]]


def test_chosen_by_itself_layers_are_readonly_snapshots(ctx):
    d = ctx.d
    assert "storage: btrfs driver at " + storage(d) in d.read_log()
    with open(storage(d, "storage-driver")) as f:
        assert f.read() == "btrfs\n"
    diffs = layer_diffs(d)
    chain = image_layers(d, ctx.env.busybox)
    assert chain and set(chain) <= set(diffs)
    for h, path in diffs.items():
        assert btrfs_fs.is_readonly(path), "layer %s is writable" % h
    # each layer of an image is a snapshot of the one below it
    for below, above in zip(chain, chain[1:]):
        assert btrfs_fs.show(diffs[above])["Parent UUID"] == btrfs_fs.show(diffs[below])["UUID"]
    # the container's root: a writable snapshot of the top layer
    c = ctx.sleeper(ctx.pod())
    rootfs = storage(d, "containers", c.id, "rootfs")
    info = btrfs_fs.show(rootfs)
    assert info["Parent UUID"] == btrfs_fs.show(diffs[chain[-1]])["UUID"]
    assert not btrfs_fs.is_readonly(rootfs)
    c.sh("echo hello > /written")
    with open(os.path.join(rootfs, "written")) as f:
        assert f.read() == "hello\n"
    assert not os.path.exists(os.path.join(diffs[chain[-1]], "written"))
    c.stop(0)
    c.remove()
    ctx.ctrs.remove(c)
    # the teardown after RemoveContainer runs in the background
    wait_for(lambda: not os.path.exists(storage(d, "containers", c.id)), 30, "the container's snapshot to go")


def test_usage_counts_what_the_container_wrote(ctx):
    c = ctx.sleeper(ctx.pod())
    before = ctx.d.runtime.ContainerStats(pb.ContainerStatsRequest(container_id=c.id), timeout=30).stats
    # a fresh snapshot holds the whole image, but nothing of it is the container's
    # (the runtime made a few mount points in it: /proc, /dev, /etc/hostname...)
    assert before.writable_layer.used_bytes.value < 64 * 1024
    assert before.writable_layer.inodes_used.value <= 10
    c.sh("dd if=/dev/zero of=/big bs=1M count=3 2>/dev/null && sync")

    def stats():
        return ctx.d.runtime.ContainerStats(pb.ContainerStatsRequest(container_id=c.id), timeout=30).stats
    # a container's usage is reused for a second: wait for a fresh one
    wait_for(lambda: stats().writable_layer.used_bytes.value >= 3 * MiB, 10, "the 3 MiB written to show")
    after = stats()
    assert 3 * MiB <= after.writable_layer.used_bytes.value < 4 * MiB
    assert after.writable_layer.inodes_used.value == before.writable_layer.inodes_used.value + 1
    assert after.writable_layer.fs_id.mountpoint == storage(ctx.d, "containers", c.id, "rootfs")
    fs_info = ctx.d.image.ImageFsInfo(pb.ImageFsInfoRequest(), timeout=30)
    assert fs_info.container_filesystems[0].used_bytes.value >= 3 * MiB
    assert fs_info.image_filesystems[0].used_bytes.value > 1 * MiB  # the layers' subvolumes are counted


def test_removing_the_image_leaves_no_subvolume(ctx, registry):
    d = ctx.d
    ref = registry.reference("whiteout")
    d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120)
    before = set(btrfs_fs.subvolumes(storage(d)))
    new = {p for p in before if p.startswith(storage(d, "layers"))}
    assert new
    d.image.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)), timeout=60)
    after = set(btrfs_fs.subvolumes(storage(d)))
    ours = set(layer_diffs(d).values())
    # only the env's images' layers remain
    assert after == ours and after < before


def test_whiteouts_applied_in_the_snapshots(ctx, registry):
    ref = registry.reference("whiteout")
    f = registry.images["whiteout"]
    ctx.d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120)
    try:
        top = layer_diffs(ctx.d)[image_layers(ctx.d, ref)[-1]]
        for p in f.expect["present"]:
            assert os.path.exists(top + p), p
        for p in f.expect["absent"]:
            assert not os.path.lexists(top + p), p
    finally:
        ctx.d.image.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)), timeout=60)


def test_a_store_keeps_its_driver(fs, registry, tmp_path):
    root = os.path.join(fs.mnt, "keep")
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    d = cric.Daemon(root=root, extra_args=["--registries-conf", str(conf)])
    try:
        d.start()
        d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=registry.reference("busybox"))), timeout=120)
        d.stop()
        d.extra_args += ["--storage-driver", "overlay"]
        with pytest.raises(RuntimeError) as e:
            d.start()
        assert ("storage at %s/storage holds layers of the btrfs driver: the overlay driver cannot use them" % root
                in str(e.value))
        d.extra_args[-1] = "btrfs"
        d.start()
        assert len(d.image.ListImages(pb.ListImagesRequest(), timeout=30).images) == 1, d.read_log()[-6000:]
    finally:
        d.cleanup()
    # btrfs asked for where the root is not on btrfs
    d = cric.Daemon(extra_args=["--storage-driver", "btrfs"])
    try:
        with pytest.raises(RuntimeError) as e:
            d.start()
        assert "storage driver btrfs: %s/storage is not on a btrfs file system" % d.root in str(e.value)
    finally:
        d.cleanup()


def test_size_limit_from_storage_opt(registry, tmp_path):
    small = btrfs_fs.LoopBtrfs("1G")
    try:
        small.enable_quota()
        e = BtrfsEnv(registry, str(tmp_path), os.path.join(small.mnt, "q"), ["--storage-opt", "btrfs.size=8M"])
        for env in running_env(e):
            ctx = Ctx(env, "crun", str(tmp_path))
            try:
                c = ctx.sleeper(ctx.pod())
                r = c.exec(["sh", "-c", "dd if=/dev/zero of=/big bs=1M count=32 && sync"])
                assert r.exit_code != 0
                assert b"Disk quota exceeded" in r.stderr, r.stderr
                assert "btrfs.size" not in env.d.read_log().split("quotas are not enabled")[0][-200:]
            finally:
                ctx.cleanup()
    finally:
        small.close()


# ---- a crash at each step ----

PULL_POINTS = ["pull-layer-unpacked", "pull-layer-committed", "pull-layers-stored"]
CREATE_POINTS = ["rootfs-made", "create-bundle-made", "create-monitor-started"]


def crash_env(registry, tmp_path, driver, fs):
    root = os.path.join(fs.mnt, "crash-" + tmp_path.name) if driver == "btrfs" else None
    return BtrfsEnv(registry, str(tmp_path), root, ["--storage-driver", driver])


def expect_crash(d, point, call):
    """call() makes cricd reach point, where CRIC_CRASH_AT kills it."""
    err = rpc_error(call)
    assert err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN), err
    d.proc.wait(30)
    assert d.proc.returncode == -signal.SIGKILL
    assert "crash point %s: killing cricd" % point in d.read_log()


def restart(d):
    d.stop()
    d.env.pop("CRIC_CRASH_AT", None)
    d.start()


def assert_store_consistent(d, driver):
    """Nothing half-made: no temp layers, every layer directory belongs to an image, no
    container directory without a container, and (btrfs) no subvolume but those."""
    assert os.listdir(storage(d, "tmp")) == [] or all(e.startswith("overlay-check") for e in os.listdir(
        storage(d, "tmp")))
    used = set()
    for img in d.image.ListImages(pb.ListImagesRequest(), timeout=30).images:
        used |= set(image_layers(d, img.id))
    assert set(os.listdir(storage(d, "layers"))) == used
    ctrs = {c.id for c in d.runtime.ListContainers(pb.ListContainersRequest(), timeout=30).containers}
    assert set(os.listdir(storage(d, "containers"))) <= ctrs
    if driver == "btrfs":
        subs = set(btrfs_fs.subvolumes(storage(d)))
        want = {storage(d, "layers", h, "diff") for h in used}
        want |= {storage(d, "containers", c, "rootfs") for c in os.listdir(storage(d, "containers"))}
        assert subs == want


@pytest.mark.parametrize("driver", ["btrfs", "overlay"])
def test_crash_at_each_step_of_a_pull(driver, fs, registry, tmp_path):
    """The daemon is killed at each step of committing a pulled image, restarted, and
    then finds the image whole or absent and the store without leftovers."""
    e = crash_env(registry, tmp_path, driver, fs)
    ref = registry.reference("whiteout")
    for env in running_env(e):
        d = env.d
        for point in PULL_POINTS:
            restart_with = dict(d.env, CRIC_CRASH_AT=point)
            d.stop()
            d.env = restart_with
            d.start()
            expect_crash(d, point, lambda: d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)),
                                                              timeout=120))
            restart(d)
            imgs = [i for i in d.image.ListImages(pb.ListImagesRequest(), timeout=30).images if ref in i.repo_tags]
            assert imgs == []  # every point comes before the image's row
            assert_store_consistent(d, driver)
        d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120)
        assert_store_consistent(d, driver)


@pytest.mark.parametrize("driver", ["btrfs", "overlay"])
def test_crash_at_each_step_of_a_create(driver, fs, registry, tmp_path):
    """The daemon is killed at each step of CreateContainer, restarted: the container is
    not there, its writable layer, bundle, runtime state and monitor are gone, and the
    same container can then be created and run."""
    e = crash_env(registry, tmp_path, driver, fs)
    points = CREATE_POINTS if driver == "btrfs" else CREATE_POINTS[1:]  # overlay makes no rootfs copy
    for env in running_env(e):
        d = env.d
        ctx = Ctx(env, "crun", str(tmp_path))
        try:
            pod = ctx.pod()
            for point in points:
                d.stop()
                d.env = dict(d.env, CRIC_CRASH_AT=point)
                d.start()
                expect_crash(d, point, lambda: ctx.create(pod, "c", command=["sleep", "100000"]))
                restart(d)
                assert [c.id for c in ctx.list()] == []
                assert_store_consistent(d, driver)
                # no runtime container and no monitor left of it
                out = subprocess.run(["crun", "--root", d.runtime_roots["crun"], "list", "-q"], capture_output=True,
                                     text=True).stdout.split()
                assert out == []
            c = ctx.sleeper(pod, "c")
            assert c.sh("echo ok") == "ok\n"
        finally:
            ctx.cleanup()
