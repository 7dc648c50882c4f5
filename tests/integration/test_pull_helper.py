"""Pulls run in a cric-pull helper process: the daemon never maps the download and
unpack libraries, keeps the claims and commits, and survives a helper that dies."""
import os

import grpc
import pytest

from cric import pb, wait_for

pytestmark = pytest.mark.usefixtures("registry")

PULL_LIBS = ("libcurl", "libarchive")


def conf(tmp_path, registry):
    path = tmp_path / "registries.conf"
    path.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    return str(path)


def daemon(make_daemon, tmp_path, registry, config_text=None, env=None):
    return make_daemon(config_text=config_text, env=env,
                       extra_args=["--registries-conf", conf(tmp_path, registry)]).start()


def pull(d, ref):
    return d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120).image_ref


def mapped(pid, names):
    """The mapped files of pid whose name holds one of names."""
    with open("/proc/%d/maps" % pid) as f:
        return sorted({line.split()[-1] for line in f if any(n in line for n in names)})


def children(pid):
    """Names of pid's living children."""
    names = []
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                kids = f.read().split()
        except FileNotFoundError:
            continue
        for k in kids:
            try:
                with open("/proc/%s/comm" % k) as f:
                    names.append(f.read().strip())
            except FileNotFoundError:
                pass
    return names


def storage(d, *parts):
    return os.path.join(d.root, "storage", *parts)


def pull_dirs(d):
    return [e for e in os.listdir(storage(d, "tmp")) if e.startswith("pull-")]


def test_the_daemon_never_maps_the_pull_libraries(make_daemon, tmp_path, registry):
    d = daemon(make_daemon, tmp_path, registry)
    image_id = pull(d, registry.reference("whiteout"))
    assert image_id
    assert d.image.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=image_id)), timeout=10).image.id
    assert mapped(d.proc.pid, PULL_LIBS) == []
    assert "]: pulled %s as image" % registry.reference("whiteout") in d.read_log()
    assert "cric-pull[" in d.read_log().split("loaded libcurl")[0].splitlines()[-1]
    # the helper was reaped and its directory removed
    wait_for(lambda: "cric-pull" not in children(d.proc.pid), timeout=10, what="cric-pull reaped")
    assert pull_dirs(d) == []
    # a pull of what is stored already goes through the helper too, and finds every layer
    assert pull(d, registry.reference("whiteout")) == image_id
    assert mapped(d.proc.pid, PULL_LIBS) == []


def test_pull_in_helper_false_pulls_inside_the_daemon(make_daemon, tmp_path, registry):
    """The setting works both ways: inside the daemon it is cricd that loads libcurl and
    logs the pull (lines a helper would mark with its name and pid)."""
    d = daemon(make_daemon, tmp_path, registry, config_text="[cric.image]\npull_in_helper = false\n")
    assert pull(d, registry.reference("whiteout"))
    log = d.read_log()
    assert " pulled %s as image" % registry.reference("whiteout") in log
    assert "loaded libcurl" in log and "cric-pull[" not in log


def test_a_helper_killed_before_its_commit_leaves_nothing(make_daemon, tmp_path, registry):
    """The helper dies with every layer unpacked and none handed over: the pull fails
    naming it, the daemon goes on, nothing is stored, no claim is left behind (a later
    pull of the same layers by the daemon itself does not wait)."""
    d = daemon(make_daemon, tmp_path, registry, env={"CRIC_CRASH_AT": "pull-helper-unpacked"})
    with pytest.raises(grpc.RpcError) as err:
        pull(d, registry.reference("whiteout"))
    assert err.value.code() == grpc.StatusCode.INTERNAL, err.value
    assert "pull helper" in err.value.details() and "killed by signal 9" in err.value.details(), \
        err.value.details()
    assert registry.reference("whiteout").split("/")[-1].split(":")[0] in err.value.details()
    assert d.runtime.Version(pb.VersionRequest(), timeout=10).runtime_name == "cric"
    assert pull_dirs(d) == [] and os.listdir(storage(d, "layers")) == []
    assert list(d.image.ListImages(pb.ListImagesRequest(), timeout=10).images) == []
    d.stop()
    d.env.pop("CRIC_CRASH_AT")
    d.start()
    assert pull(d, registry.reference("whiteout"))

