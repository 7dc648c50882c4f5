"""The image service against real registries on 127.0.0.1 (tests/fixtures)."""
import base64
import json
import os
import signal
import stat
import threading

import grpc
import pytest

import cric
from cric import pb, wait_for

pytestmark = pytest.mark.usefixtures("registry")


def registries_conf(*regs, extra=""):
    """A registries.conf listing each fixture registry (plain HTTP ones insecure)."""
    text = extra
    for r in regs:
        text += '\n[[registry]]\nlocation = "%s"\ninsecure = %s\n' % (r.host, "true" if r.scheme == "http" else "false")
    return text


def make_image_daemon(make_daemon, tmp_path, conf_text, certs_dir=None, extra_args=()):
    path = tmp_path / "registries.conf"
    path.write_text(conf_text)
    cfg = '[cric.image]\ncerts_dir = "%s"\n' % (certs_dir or str(tmp_path / "certs.d"))
    return make_daemon(config_text=cfg, extra_args=["--registries-conf", str(path)] + list(extra_args)).start()


@pytest.fixture(scope="module")
def idaemon(registry, tmp_path_factory):
    """One daemon for the read-mostly tests of this module."""
    tmp = tmp_path_factory.mktemp("images")
    conf = tmp / "registries.conf"
    conf.write_text(registries_conf(registry, extra='unqualified-search-registries = ["%s"]\n' % registry.host))
    d = cric.Daemon(extra_args=["--registries-conf", str(conf)]).start()
    yield d
    reports = d.cleanup()
    assert not reports, reports


def pull(d, ref, auth=None, timeout=120):
    return d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref), auth=auth), timeout=timeout).image_ref


def status(d, ref, verbose=False):
    return d.image.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref), verbose=verbose), timeout=10)


def list_images(d, ref=None):
    f = pb.ImageFilter(image=pb.ImageSpec(image=ref)) if ref else None
    return list(d.image.ListImages(pb.ListImagesRequest(filter=f), timeout=10).images)


def remove(d, ref):
    d.image.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)), timeout=30)


def layer_dirs(d):
    path = os.path.join(d.root, "storage", "layers")
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def tmp_entries(d):
    path = os.path.join(d.root, "storage", "tmp")
    return [e for e in os.listdir(path) if not e.startswith("overlay-check")] if os.path.isdir(path) else []


def find_in_layers(d, rel):
    """Paths of rel inside every layer dir that has it (lstat-existing)."""
    found = []
    for layer in layer_dirs(d):
        p = os.path.join(d.root, "storage", "layers", layer, "diff", rel.lstrip("/"))
        if os.path.lexists(p):
            found.append(p)
    return found


def hexid(digest):
    return digest.split(":", 1)[1]


# ---- pull, status, list ----

def test_pull_by_tag(idaemon, registry):
    f = registry.images["busybox"]
    ref = registry.reference("busybox")
    image_id = pull(idaemon, ref)
    assert image_id == hexid(f.config_digest)
    img = status(idaemon, ref).image
    assert img.id == image_id
    assert list(img.repo_tags) == [ref]
    assert list(img.repo_digests) == ["%s/busybox@%s" % (registry.host, f.manifest_digest)]
    assert img.size > 0
    assert img.uid.value == 0 and img.username == ""
    assert img.spec.image == image_id


def test_second_tag_same_image(idaemon, registry):
    a = pull(idaemon, registry.reference("busybox"))
    b = pull(idaemon, registry.reference("busybox", "1.35"))
    assert a == b
    imgs = [i for i in list_images(idaemon) if i.id == a]
    assert len(imgs) == 1
    assert set(imgs[0].repo_tags) == {registry.reference("busybox"), registry.reference("busybox", "1.35")}


def test_status_lookups(idaemon, registry):
    f = registry.images["busybox"]
    image_id = pull(idaemon, registry.reference("busybox"))
    for key in (image_id, image_id[:12], "sha256:" + image_id,
                "%s/busybox@%s" % (registry.host, f.manifest_digest), registry.reference("busybox")):
        assert status(idaemon, key).image.id == image_id, key


def test_status_of_missing_image_is_empty(idaemon):
    r = status(idaemon, "127.0.0.1:1/nothing:here")
    assert not r.HasField("image")
    assert not r.info


def test_status_verbose(idaemon, registry):
    f = registry.images["busybox"]
    image_id = pull(idaemon, registry.reference("busybox"))
    info = json.loads(status(idaemon, image_id, verbose=True).info["info"])
    assert info["imageSpec"]["config"]["Cmd"] == ["sh"]
    assert info["manifestDigest"] == f.manifest_digest
    assert len(info["layers"]) == len(f.layers)


def test_list_filter(idaemon, registry):
    image_id = pull(idaemon, registry.reference("busybox"))
    assert [i.id for i in list_images(idaemon, registry.reference("busybox"))] == [image_id]
    assert [i.id for i in list_images(idaemon, image_id)] == [image_id]
    assert list_images(idaemon, "127.0.0.1:1/none:x") == []


def test_short_name_uses_search_registries(idaemon, registry):
    image_id = pull(idaemon, "busybox")
    assert image_id == hexid(registry.images["busybox"].config_digest)
    assert registry.reference("busybox") in status(idaemon, image_id).image.repo_tags
    # the kubelet looks the image up by the name it pulled: the short name must find it
    assert status(idaemon, "busybox").image.id == image_id
    assert [i.id for i in list_images(idaemon, "busybox")] == [image_id]


@pytest.mark.parametrize("name", ["busybox-zstd", "busybox-uncompressed", "busybox-docker", "busybox-docker-list"])
def test_pull_formats(idaemon, registry, name):
    f = registry.images[name]
    image_id = pull(idaemon, registry.reference(name))
    if f.config_digest:
        assert image_id == hexid(f.config_digest) or name.endswith("list")
    img = status(idaemon, image_id).image
    assert registry.reference(name) in img.repo_tags
    assert find_in_layers(idaemon, "/bin/busybox")


def test_pull_multiarch_picks_amd64(idaemon, registry):
    f = registry.images["multiarch"]
    image_id = pull(idaemon, registry.reference("multiarch"))
    cfg = json.loads(status(idaemon, image_id, verbose=True).info["info"])["imageSpec"]
    assert cfg["architecture"] == "amd64"
    # the repo digest is the index's digest, as docker and containerd report it
    assert "%s/multiarch@%s" % (registry.host, f.manifest_digest) in status(idaemon, image_id).image.repo_digests


def test_pull_schema1(idaemon, registry):
    image_id = pull(idaemon, registry.reference("busybox-schema1"))
    info = json.loads(status(idaemon, image_id, verbose=True).info["info"])
    assert len(info["imageSpec"]["rootfs"]["diff_ids"]) == len(info["layers"])
    assert find_in_layers(idaemon, "/bin/busybox")


def test_user_name_and_uid(idaemon, registry):
    img = status(idaemon, pull(idaemon, registry.reference("user-name"))).image
    assert img.username == "app" and not img.HasField("uid")
    img = status(idaemon, pull(idaemon, registry.reference("user-uid"))).image
    assert img.uid.value == 1000 and img.username == ""


def test_whiteouts_become_overlay_whiteouts(idaemon, registry):
    if idaemon.storage_driver() != "overlay":
        pytest.skip("the %s driver applies whiteouts (test_btrfs, test_vfs_driver_applies_whiteouts)"
                    % idaemon.storage_driver())
    pull(idaemon, registry.reference("whiteout"))
    wh = [p for p in find_in_layers(idaemon, "/data/a") if stat.S_ISCHR(os.lstat(p).st_mode)]
    assert wh and os.lstat(wh[0]).st_rdev == 0
    assert not find_in_layers(idaemon, "/data/.wh.a")
    opq = [p for p in find_in_layers(idaemon, "/opq") if os.path.isdir(p)
           and os.path.exists(os.path.join(p, "z"))]
    assert opq and os.getxattr(opq[0], "trusted.overlay.opaque") == b"y"


def test_special_files_preserved(idaemon, registry):
    e = registry.images["special-files"].expect
    pull(idaemon, registry.reference("special-files"))
    inodes = {os.lstat(find_in_layers(idaemon, p)[0]).st_ino for p in e["hardlinks"]}
    assert len(inodes) == 1
    with open(find_in_layers(idaemon, e["hardlinks"][0])[0]) as fh:
        assert fh.read() == e["hardlink_content"]
    x = find_in_layers(idaemon, e["xattr"]["path"])[0]
    assert os.getxattr(x, e["xattr"]["name"]).hex() == e["xattr"]["value_hex"]
    s = os.lstat(find_in_layers(idaemon, e["setuid"]["path"])[0])
    assert stat.S_IMODE(s.st_mode) == e["setuid"]["mode"]
    assert stat.S_ISFIFO(os.lstat(find_in_layers(idaemon, e["fifo"])[0]).st_mode)
    c = os.lstat(find_in_layers(idaemon, e["chardev"]["path"])[0])
    assert stat.S_ISCHR(c.st_mode)
    assert (os.major(c.st_rdev), os.minor(c.st_rdev)) == (e["chardev"]["major"], e["chardev"]["minor"])


HOSTILE = ["hostile-dotdot", "hostile-absolute", "hostile-symlink", "hostile-symlink-relative",
           "hostile-hardlink", "hostile-hardlink-via-symlink"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_layers_are_refused(idaemon, registry, name):
    e = registry.images[name].expect
    escape = e["escape"]
    before = os.path.exists(escape) and os.stat(escape)
    with pytest.raises(grpc.RpcError) as err:
        pull(idaemon, registry.reference(name))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert registry.reference(name) not in [t for i in list_images(idaemon) for t in i.repo_tags]
    if escape == "/etc/passwd":
        assert os.stat(escape).st_nlink == before.st_nlink
    else:
        assert not os.path.exists(escape.replace("..", "").replace("//", "/")) or before
        assert not os.path.exists(os.path.join(idaemon.root, "storage", escape))
    assert tmp_entries(idaemon) == []


def test_hostile_symlink_across_layers_stays_inside(idaemon, registry):
    e = registry.images["hostile-symlink-layers"].expect
    if idaemon.storage_driver() == "overlay":
        # Each layer unpacks into its own directory, where the first layer's symlink does
        # not exist: the second layer's file lands in a plain directory, so the pull
        # succeeds.
        assert pull(idaemon, registry.reference("hostile-symlink-layers"))
    else:
        # Full-tree layers (vfs, btrfs) hold the first layer's "evil -> /tmp", which
        # resolves inside the layer (as in a chroot), to a /tmp the image does not have.
        with pytest.raises(grpc.RpcError) as err:
            pull(idaemon, registry.reference("hostile-symlink-layers"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert 'entry "evil/cric-escape-symlink-layers": open "evil"' in err.value.details()
    assert not os.path.exists(e["escape"])


def test_missing_tag_is_not_found(idaemon, registry):
    with pytest.raises(grpc.RpcError) as err:
        pull(idaemon, registry.host + "/busybox:no-such-tag")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no-such-tag" in err.value.details()


def test_bad_reference(idaemon):
    with pytest.raises(grpc.RpcError) as err:
        pull(idaemon, "UPPER/Case")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_image_fs_info(idaemon, registry):
    pull(idaemon, registry.reference("busybox"))
    r = idaemon.image.ImageFsInfo(pb.ImageFsInfoRequest(), timeout=30)
    fs = r.image_filesystems[0]
    assert fs.fs_id.mountpoint == os.path.join(idaemon.root, "storage")
    assert fs.used_bytes.value > 1 << 20  # busybox alone is about 2 MB
    assert fs.inodes_used.value > 10
    assert fs.timestamp > 0


# ---- remove ----

def test_remove_one_tag_keeps_the_other(idaemon, registry):
    a = pull(idaemon, registry.reference("user-uid"))
    # a second name for the same image: the same manifest under busybox tags differs, so
    # use the digest reference, which is one more name of the image
    remove(idaemon, registry.reference("busybox", "1.35"))
    b = pull(idaemon, registry.reference("busybox", "1.35"))
    pull(idaemon, registry.reference("busybox"))
    remove(idaemon, registry.reference("busybox", "1.35"))
    img = status(idaemon, b).image
    assert list(img.repo_tags) == [registry.reference("busybox")]
    assert status(idaemon, a).image.id == a


def test_remove_by_id_frees_layers(make_daemon, tmp_path, registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(registry))
    image_id = pull(d, registry.reference("whiteout"))
    assert len(layer_dirs(d)) == 3
    remove(d, image_id)
    assert not status(d, image_id).HasField("image")
    assert layer_dirs(d) == []


def test_shared_layers_survive_removal_of_one_image(make_daemon, tmp_path, registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(registry))
    a = pull(d, registry.reference("busybox"))
    b = pull(d, registry.reference("user-name"))
    shared = set(layer_dirs(d))
    remove(d, b)
    assert status(d, a).HasField("image")
    assert set(layer_dirs(d)) <= shared and layer_dirs(d)
    assert find_in_layers(d, "/bin/busybox")


def test_remove_unknown_image_succeeds(idaemon):
    remove(idaemon, "127.0.0.1:1/never:pulled")
    remove(idaemon, "f" * 64)


# ---- registries: auth, TLS, mirrors, failures ----

def test_basic_auth(make_daemon, tmp_path, auth_registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(auth_registry), certs_dir=auth_registry.certs_dir)
    ref = auth_registry.reference("busybox")
    with pytest.raises(grpc.RpcError) as err:
        pull(d, ref)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        pull(d, ref, pb.AuthConfig(username=auth_registry.username, password="wrong"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert pull(d, ref, pb.AuthConfig(username=auth_registry.username, password=auth_registry.password))
    remove(d, ref)
    token = base64.b64encode(("%s:%s" % (auth_registry.username, auth_registry.password)).encode()).decode()
    assert pull(d, ref, pb.AuthConfig(auth=token))
    assert "testpass" not in d.read_log()


def test_global_auth_file(make_daemon, tmp_path, auth_registry):
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps(auth_registry.auth_config()))
    conf = tmp_path / "registries.conf"
    conf.write_text(registries_conf(auth_registry))
    cfg = '[cric.image]\ncerts_dir = "%s"\nglobal_auth_file = "%s"\n' % (auth_registry.certs_dir, auth)
    d = make_daemon(config_text=cfg, extra_args=["--registries-conf", str(conf)]).start()
    assert pull(d, auth_registry.reference("busybox"))


def test_token_auth_and_cache(make_daemon, tmp_path, token_registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(token_registry))
    token_registry.token_server.reset()
    auth = pb.AuthConfig(username=token_registry.username, password=token_registry.password)
    image_id = pull(d, token_registry.reference("whiteout"), auth)
    assert image_id == hexid(token_registry.images["whiteout"].config_digest)
    stats = token_registry.token_server.stats()
    # one token for the repository serves the manifest, the config and three layers
    assert 1 <= stats["issued"] <= 2, stats


def test_tls_registry_with_ca(make_daemon, tmp_path, tls_registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(tls_registry), certs_dir=tls_registry.certs_dir)
    assert pull(d, tls_registry.reference("busybox"))


def test_tls_registry_without_ca_fails(make_daemon, tmp_path, tls_registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(tls_registry))
    with pytest.raises(grpc.RpcError) as err:
        pull(d, tls_registry.reference("busybox"))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value.details()  # a failed connection
    assert "certificate" in err.value.details().lower() or "ssl" in err.value.details().lower()


def test_mirror_first_then_primary(make_daemon, tmp_path, mirror_registries):
    primary, mirror = mirror_registries.primary, mirror_registries.mirror
    conf = ('[[registry]]\nprefix = "%s"\nlocation = "%s"\ninsecure = true\n'
            '[[registry.mirror]]\nlocation = "%s"\ninsecure = true\n' % (primary.host, primary.host, mirror.host))
    d = make_image_daemon(make_daemon, tmp_path, conf)
    before = mirror.read_log().count("GET /v2/busybox/manifests")
    assert pull(d, primary.reference("busybox"))
    assert mirror.read_log().count("GET /v2/busybox/manifests") > before
    # the mirror lacks this one: the primary serves it
    assert pull(d, primary.reference("user-name"))
    assert primary.reference("user-name") in [t for i in list_images(d) for t in i.repo_tags]


def test_blocked_registry(make_daemon, tmp_path, registry):
    conf = '[[registry]]\nlocation = "%s"\nblocked = true\n' % registry.host
    d = make_image_daemon(make_daemon, tmp_path, conf)
    with pytest.raises(grpc.RpcError) as err:
        pull(d, registry.reference("busybox"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "blocked" in err.value.details()


def test_corrupted_blob_stores_nothing(make_daemon, tmp_path, corrupt_registry):
    corrupt_registry.configure(corrupt="all", mode="flip")
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(corrupt_registry))
    with pytest.raises(grpc.RpcError) as err:
        pull(d, corrupt_registry.reference("whiteout"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "digest" in err.value.details()
    assert list_images(d) == []
    assert layer_dirs(d) == [] and tmp_entries(d) == []
    corrupt_registry.configure(corrupt=None)
    assert pull(d, corrupt_registry.reference("whiteout"))


def test_one_corrupted_layer_drops_the_layers_already_unpacked(make_daemon, tmp_path, corrupt_registry):
    """Layers download, unpack and sync in parallel, each on its own: when the top layer
    comes corrupted, the others (finished, synced, not yet committed) go too, and the
    error names the bad layer."""
    facts = corrupt_registry.images["whiteout"]
    assert len(facts.layers) >= 2
    bad = facts.layers[-1]
    corrupt_registry.configure(corrupt=bad, mode="flip")
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(corrupt_registry))
    with pytest.raises(grpc.RpcError) as err:
        pull(d, corrupt_registry.reference("whiteout"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # the flipped byte breaks the gzip stream or the digest, whichever notices first
    assert "layer %s: " % bad in err.value.details(), err.value.details()
    assert corrupt_registry.stats()["corrupted"] == 1
    assert list_images(d) == []
    assert layer_dirs(d) == [] and tmp_entries(d) == []
    corrupt_registry.configure(corrupt=None)
    assert pull(d, corrupt_registry.reference("whiteout"))
    assert len(layer_dirs(d)) == len(facts.layers)


def test_transient_errors_are_retried(make_daemon, tmp_path, flaky_registry):
    flaky_registry.configure(fail_first=2, fail_status=503)
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(flaky_registry))
    assert pull(d, flaky_registry.reference("busybox"))
    assert flaky_registry.stats()["failed"] == 2


def test_concurrent_pulls_share_downloads(make_daemon, tmp_path, flaky_registry):
    flaky_registry.configure(fail_first=0)
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(flaky_registry))
    ref = flaky_registry.reference("whiteout")
    results, errors = [], []

    def run():
        try:
            results.append(pull(d, ref))
        except grpc.RpcError as e:
            errors.append(e)
    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(set(results)) == 1 and len(results) == 4
    config = "sha256:" + results[0]
    layer_gets = {}
    for method, path, status in flaky_registry.stats()["log"]:
        if method == "GET" and "/blobs/" in path and not path.endswith(config):
            digest = path.rsplit("/", 1)[1]
            layer_gets[digest] = layer_gets.get(digest, 0) + 1
    assert len(layer_gets) == len(flaky_registry.images["whiteout"].layers), layer_gets
    assert all(n == 1 for n in layer_gets.values()), layer_gets


def test_images_survive_restart(make_daemon, tmp_path, registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(registry))
    image_id = pull(d, registry.reference("busybox"))
    d.stop()
    d.start()
    assert status(d, registry.reference("busybox")).image.id == image_id


def test_kill_during_pull_leaves_no_half_image(make_daemon, tmp_path, flaky_registry):
    """cricd is killed at each step of a pull in turn: once the registry (a pass-through
    proxy that counts requests) has seen k requests of it, for k = 0, 1, 2, ... until a
    pull finishes before its kill. After a restart the image is whole or absent."""
    flaky_registry.configure(fail_first=0)  # zeroes the request count
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(flaky_registry))
    ref = flaky_registry.reference("whiteout")
    for k in range(12):
        done = threading.Event()

        def run():
            try:
                pull(d, ref)
                done.set()
            except grpc.RpcError:
                pass
        before = flaky_registry.stats()["requests"]
        t = threading.Thread(target=run)
        t.start()
        wait_for(lambda: done.is_set() or flaky_registry.stats()["requests"] >= before + k, 60,
                 "request %d of the pull" % k)
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(10)
        t.join(30)
        d.stop()
        d.start()
        imgs = list_images(d)
        # either the whole image is there, or nothing of it is
        if imgs:
            assert len(imgs) == 1 and ref in imgs[0].repo_tags
            remove(d, imgs[0].id)
        assert tmp_entries(d) == []
        assert layer_dirs(d) == []
        if done.is_set():
            break
    assert pull(d, ref)


# ---- cricctl ----

def test_cricctl_image_commands(idaemon, registry):
    ref = registry.reference("user-name")
    out = idaemon.cricctl("pull", ref).stdout
    assert "Image is up to date for" in out
    table = idaemon.cricctl("images").stdout.splitlines()
    assert table[0].split() == ["IMAGE", "TAG", "IMAGE", "ID", "SIZE"]
    assert any(registry.host + "/user-name" in row and "latest" in row for row in table[1:])
    ids = idaemon.cricctl("images", "-q").stdout.split()
    image_id = hexid(registry.images["user-name"].config_digest)
    assert image_id in ids
    doc = json.loads(idaemon.cricctl("inspecti", ref).stdout)
    assert doc["status"]["id"] == image_id
    assert doc["status"]["username"] == "app"
    fs = json.loads(idaemon.cricctl("imagefsinfo").stdout)
    assert fs["status"]["imageFilesystems"][0]["fsId"]["mountpoint"].endswith("/storage")
    out = idaemon.cricctl("rmi", ref).stdout
    assert "Deleted: " + ref in out
    r = idaemon.cricctl("inspecti", ref, check=False)
    assert r.returncode == 1 and "no such image" in r.stderr


def test_vfs_driver_applies_whiteouts(make_daemon, tmp_path, registry):
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(registry), extra_args=["--storage-driver", "vfs"])
    assert "vfs driver" in d.read_log()
    f = registry.images["whiteout"]
    image_id = pull(d, registry.reference("whiteout"))
    top = json.loads(status(d, image_id, verbose=True).info["info"])["layers"][-1]
    root = os.path.join(d.root, "storage", "layers", hexid(top), "diff")
    for p in f.expect["present"]:
        assert os.path.exists(root + p), p
    for p in f.expect["absent"]:
        assert not os.path.lexists(root + p), p
    remove(d, image_id)
    assert layer_dirs(d) == []


def test_layers_of_a_dead_pull_are_dropped_at_start(make_daemon, tmp_path, registry):
    """A layer committed without its image (the daemon died in between) is removed at
    the next start, with its row."""
    d = make_image_daemon(make_daemon, tmp_path, registries_conf(registry))
    image_id = pull(d, registry.reference("whiteout"))
    d.stop()
    import sqlite3
    db = sqlite3.connect(os.path.join(d.root, "cric.db"))
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("DELETE FROM images WHERE id = ?", (image_id,))
    db.commit()
    db.close()
    assert len(layer_dirs(d)) == 3
    d.start()
    assert layer_dirs(d) == []
    assert list_images(d) == []


def test_pinned_images(make_daemon, tmp_path, registry):
    conf = tmp_path / "registries.conf"
    conf.write_text(registries_conf(registry))
    cfg = '[cric.image]\npinned_images = ["%s/user-*"]\n' % registry.host
    d = make_daemon(config_text=cfg, extra_args=["--registries-conf", str(conf)]).start()
    pinned = pull(d, registry.reference("user-name"))
    other = pull(d, registry.reference("busybox"))
    assert status(d, pinned).image.pinned is True
    assert status(d, other).image.pinned is False
    assert {i.id: i.pinned for i in list_images(d)} == {pinned: True, other: False}


def test_remove_short_name_removes_only_that_tag(make_daemon, tmp_path, registry):
    conf = registries_conf(registry, extra='unqualified-search-registries = ["%s"]\n' % registry.host)
    d = make_image_daemon(make_daemon, tmp_path, conf)
    image_id = pull(d, "busybox")
    assert pull(d, "busybox:1.35") == image_id
    remove(d, "busybox")
    assert list(status(d, image_id).image.repo_tags) == [registry.reference("busybox", "1.35")]
    remove(d, "busybox:1.35")
    assert not status(d, image_id).HasField("image")
