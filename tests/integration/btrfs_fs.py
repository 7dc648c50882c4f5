"""A btrfs for the tests: a sparse image file, mkfs.btrfs (Debian's btrfs-progs),
loop-mounted; and the removal of trees that hold subvolumes (read-only ones too), which
shutil.rmtree cannot do."""
import fcntl
import os
import shutil
import struct
import subprocess
import tempfile

# _IOW(0x94, 15, struct btrfs_ioctl_vol_args): 8-byte fd + 4088-byte name = 4096 bytes
BTRFS_IOC_SNAP_DESTROY = (1 << 30) | (4096 << 16) | (0x94 << 8) | 15


def available():
    """"" when a loop-mounted btrfs can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root"
    if not shutil.which("mkfs.btrfs"):
        return "mkfs.btrfs not found (Debian's btrfs-progs)"
    return ""


class LoopBtrfs:
    def __init__(self, size="2G", base_dir=None):
        """base_dir: where the image file goes (default: the temp dir)."""
        self.dir = tempfile.mkdtemp(prefix="cric-btrfs-", dir=base_dir)
        self.image = os.path.join(self.dir, "img")
        self.mnt = os.path.join(self.dir, "mnt")
        os.mkdir(self.mnt)
        with open(self.image, "wb") as f:
            f.truncate(_bytes(size))
        subprocess.run(["mkfs.btrfs", "-q", "-f", self.image], check=True, capture_output=True)
        subprocess.run(["mount", "-o", "loop", self.image, self.mnt], check=True, capture_output=True)

    def enable_quota(self):
        subprocess.run(["btrfs", "quota", "enable", self.mnt], check=True, capture_output=True)

    def close(self):
        subprocess.run(["umount", self.mnt], check=False, capture_output=True)  # the loop device goes with it
        shutil.rmtree(self.dir, ignore_errors=True)


def _bytes(size):
    units = {"M": 1 << 20, "G": 1 << 30}
    return int(size[:-1]) * units[size[-1]]


def mount_points():
    """Every mount point of this mount namespace (os.path.ismount takes a subvolume,
    which has a device number of its own, for one)."""
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4].replace("\\040", " ") for line in f}


def subvolumes(top):
    """Every subvolume under top (paths), top itself left out."""
    found, mounts = [], mount_points()
    for dirpath, dirnames, _ in os.walk(top):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p) and os.lstat(p).st_ino == 256 and p not in mounts:
                found.append(p)
    return found


def is_readonly(path):
    out = subprocess.run(["btrfs", "property", "get", "-ts", path, "ro"], capture_output=True, text=True,
                         check=True).stdout
    return out.strip() == "ro=true"


def show(path):
    """`btrfs subvolume show` as a dict of its "Key: value" lines."""
    out = subprocess.run(["btrfs", "subvolume", "show", path], capture_output=True, text=True, check=True).stdout
    info = {}
    for line in out.splitlines()[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


def destroy(path):
    """Destroys the subvolume at path with one ioctl on its parent."""
    fd = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        name = os.path.basename(path).encode()
        # a mutable buffer: ioctl copies at most 1024 bytes of an immutable one
        fcntl.ioctl(fd, BTRFS_IOC_SNAP_DESTROY, bytearray(struct.pack("q4088s", 0, name)), True)
    finally:
        os.close(fd)


def rmtree(top):
    """Removes top: subvolumes (deepest first) by ioctl, then the rest."""
    if not os.path.exists(top):
        return
    for p in sorted(subvolumes(top), key=len, reverse=True):
        try:
            destroy(p)
        except OSError:
            pass
    shutil.rmtree(top, ignore_errors=True)
