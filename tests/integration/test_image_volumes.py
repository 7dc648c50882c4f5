"""Image volumes (the CRI's Mount.image, Kubernetes' image volume source) over the real
socket with real crun: an image's layers mounted read-only at the mount's container
path, with image_sub_path; pulled when the store lacks it; reported by ContainerStatus;
protected from RemoveImage while a container mounts it; unmounted when the container
goes. A data image built here (two layers, a symlink that points out of the image) is
pushed to the fixtures registry. Uses the helpers of test_containers. Needs root."""
import os

import grpc
import pytest

from cric import pb, rpc_error, wait_for
from fixtures import images
from test_containers import Ctx, Env, build_image, running_env

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]


def build_data_image(root):
    """Two layers: data/ and a file the second layer replaces; an absolute symlink
    /data/escape -> /etc, which must resolve inside the image, not on the host."""
    base = images.layer([images.d("data"), images.d("data/sub"), images.f("data/sub/file.txt", b"from layer 1\n"),
                         images.f("data/old.txt", b"old\n")])
    top = images.layer([images.d("data"), images.f("data/old.txt", b"new\n"), images.d("etc"),
                        images.f("etc/in-image.txt", b"inside\n"), images.sym("data/escape", "/etc")])
    return build_image(root, "data-volume", [base, top])


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    e = Env(registry, str(tmp_path_factory.mktemp("imagevol")))
    facts = build_data_image(e.workdir)
    registry.client().push_layout(facts.layout, facts.repo)
    e.data_image = "%s/%s:latest" % (registry.host, facts.repo)
    e.data_id = facts.config_digest.split(":", 1)[1]
    yield from running_env(e)


@pytest.fixture
def ctx(env, tmp_path):
    c = Ctx(env, "crun", str(tmp_path))
    yield c
    c.cleanup()


def image_mount(path, image, sub_path=""):
    return pb.Mount(container_path=path, readonly=True, image=pb.ImageSpec(image=image), image_sub_path=sub_path)


def image_ids(d):
    return {i.id for i in d.image.ListImages(pb.ListImagesRequest()).images}


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


def remove_image(d, ref):
    d.image.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)), timeout=60)


def test_image_volume_pulled_mounted_read_only(ctx, env):
    d = ctx.d
    if env.data_id in image_ids(d):
        remove_image(d, env.data_image)
    pod = ctx.pod()
    c = ctx.sleeper(pod, "iv", mounts=[image_mount("/vol", env.data_image),
                                       image_mount("/sub", env.data_image, "data/sub")])
    assert env.data_id in image_ids(d)  # pulled for the container
    assert c.sh("cat /vol/data/old.txt /vol/data/sub/file.txt") == "new\nfrom layer 1\n"  # layers stacked
    assert c.sh("ls /sub") == "file.txt\n"
    r = c.exec(["touch", "/vol/data/new"])
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr, r
    # the absolute symlink resolves inside the volume's own root (the container's), and
    # the host's /etc is nowhere in it
    assert c.exec(["test", "-e", "/vol/etc/passwd"]).exit_code != 0
    st = c.status().status
    got = {m.container_path: (m.image.image, m.image_sub_path, m.readonly, m.host_path) for m in st.mounts}
    assert got["/vol"] == (env.data_image, "", True, "")
    assert got["/sub"] == (env.data_image, "data/sub", True, "")


def test_sub_path_must_stay_inside_and_exist(ctx, env):
    pod = ctx.pod()
    e = rpc_error(ctx.create, pod, "missing", mounts=[image_mount("/vol", env.data_image, "data/nope")])
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
    assert "data/nope" in e.details() and "/vol" in e.details(), e.details()
    e = rpc_error(ctx.create, pod, "dotdot", mounts=[image_mount("/vol", env.data_image, "../../etc")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    e = rpc_error(ctx.create, pod, "abs", mounts=[image_mount("/vol", env.data_image, "/etc")])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    # a symlink to /etc in the image is followed inside the image: its etc/, not the host's
    c = ctx.sleeper(pod, "escape", mounts=[image_mount("/vol", env.data_image, "data/escape")])
    assert c.sh("ls /vol") == "in-image.txt\n"
    e = rpc_error(ctx.create, pod, "both", mounts=[pb.Mount(container_path="/vol", host_path="/tmp",
                                                           image=pb.ImageSpec(image=env.data_image))])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    e = rpc_error(ctx.create, pod, "noimage", mounts=[pb.Mount(container_path="/vol", image=pb.ImageSpec())])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    e = rpc_error(ctx.create, pod, "unknown", mounts=[image_mount("/vol", env.registry.host + "/no-such:1")])
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
    assert ctx.list(pod_sandbox_id=pod.id)[0].metadata.name == "escape"  # the failed ones left nothing


def test_image_in_use_cannot_be_removed(ctx, env):
    d = ctx.d
    pod = ctx.pod()
    c = ctx.sleeper(pod, "user", mounts=[image_mount("/vol", env.data_image)])
    bundle_mounts = mounts_under(os.path.join(d.runroot))
    assert any("/iv/" in m for m in bundle_mounts), bundle_mounts
    e = rpc_error(remove_image, d, env.data_image)
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e
    assert c.id in e.details() and "/vol" in e.details(), e.details()
    e = rpc_error(remove_image, d, env.data_id)
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e
    assert env.data_id in image_ids(d)
    c.stop()
    c.remove()
    ctx.ctrs.remove(c)
    # the container's mounts go with it, the image can go now
    wait_for(lambda: not [m for m in mounts_under(d.runroot) if c.id in m], timeout=20,
             what="the image volume of %s to be unmounted" % c.id)
    remove_image(d, env.data_image)
    assert env.data_id not in image_ids(d)


def test_image_volume_survives_restart(ctx, env):
    """A running container keeps its volume across a daemon restart, and its removal
    afterwards still unmounts it (from the record)."""
    d = ctx.d
    pod = ctx.pod()
    c = ctx.sleeper(pod, "restart", mounts=[image_mount("/vol", env.data_image, "data")])
    d.stop()
    d.start()
    assert c.sh("cat /vol/old.txt") == "new\n"
    st = c.status().status
    assert [(m.image.image, m.image_sub_path) for m in st.mounts] == [(env.data_image, "data")]
    e = rpc_error(remove_image, d, env.data_image)
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e
    c.stop()
    c.remove()
    ctx.ctrs.remove(c)
    wait_for(lambda: not [m for m in mounts_under(d.runroot) if c.id in m], timeout=20,
             what="the image volume of %s to be unmounted" % c.id)
