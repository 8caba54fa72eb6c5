"""The data partition grows to the end of a bigger card or disk at boot.

rootfs/usr/lib/edgepbx/grow-data runs before /data is mounted. Here it runs
on a real loop device holding a disk image laid out as the x86-64 image
(GPT) or the Raspberry Pi card (MBR), written to a "card" four times the
image's size, as a user does.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[1]
GROW_DATA = TOP / "rootfs" / "usr" / "lib" / "edgepbx" / "grow-data"
IMAGE_MIB = 64
CARD_MIB = 256
LAYOUTS = {
    # image/build-image's partitions, smaller; data fills the image.
    "gpt": "label: gpt\nsize=8MiB, name=boot\nsize=8MiB, name=slot-a\n"
    "size=8MiB, name=slot-b\nname=data\n",
    # buildroot-config/board/edgepbx/rpi/genimage.cfg's, smaller.
    "dos": "label: dos\nsize=8MiB, type=c, bootable\nsize=8MiB, type=c\n"
    "size=8MiB, type=c\ntype=83\n",
}
GREETING = b"a voicemail greeting that must survive\n"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# netlink(7): the kernel's device events, multicast group 1 (what udev reads).
NETLINK_KOBJECT_UEVENT = 15
KERNEL_UEVENT_GROUP = 1


def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )


def sectors(path: str) -> int:
    return int(Path(path).read_text())


class Disk:
    def __init__(self, image: Path, loop: str) -> None:
        self.image = image
        self.loop = loop
        self.name = Path(loop).name

    @property
    def data(self) -> str:
        return f"{self.loop}p4"

    def partition_sectors(self, number: int) -> int:
        return sectors(f"/sys/class/block/{self.name}p{number}/size")

    def fs_sectors(self) -> int:
        header = run("tune2fs", "-l", self.data).stdout
        fields = dict(line.split(":", 1) for line in header.splitlines() if ":" in line)
        return int(fields["Block count"]) * int(fields["Block size"]) // 512

    def table(self) -> list[str]:
        dump = run("sfdisk", "--dump", self.loop)
        assert dump.returncode == 0, dump.stderr
        return [line for line in dump.stdout.splitlines() if line.startswith("/dev/")]

    def written_to_a_bigger_card(self) -> None:
        with self.image.open("r+b") as f:
            f.truncate(CARD_MIB * 1024 * 1024)
        assert run("losetup", "--set-capacity", self.loop).returncode == 0


@pytest.fixture(params=list(LAYOUTS))
def disk(request, tmp_path):
    image = tmp_path / "card.img"
    with image.open("wb") as f:
        f.truncate(IMAGE_MIB * 1024 * 1024)
    made = run("sfdisk", "--quiet", str(image), input=LAYOUTS[request.param])
    assert made.returncode == 0, made.stderr
    attached = run("losetup", "--show", "--find", str(image))
    assert attached.returncode == 0, attached.stderr
    disk = Disk(image, attached.stdout.strip())
    try:
        # The kernel may or may not scan the table itself; partx makes sure.
        run("partx", "--update", disk.loop)
        deadline = time.monotonic() + 10
        while not Path(disk.data).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        content = tmp_path / "data"
        content.mkdir()
        (content / "greeting.wav").write_bytes(GREETING)
        formatted = run("mkfs.ext4", "-q", "-d", str(content), disk.data)
        assert formatted.returncode == 0, formatted.stderr
        yield disk
    finally:
        run("partx", "--delete", disk.loop)
        run("losetup", "--detach", disk.loop)


def grow(
    disk: Disk, tmp_path: Path, path: str = SYSTEM_PATH
) -> subprocess.CompletedProcess:
    # The device named as the image's fstab names it to the script.
    fstab = tmp_path / "fstab"
    fstab.write_text(f"# device mount type\n{disk.data} /data ext4 rw 0 2\n")
    return run(str(GROW_DATA), env={"FSTAB": str(fstab), "PATH": path})


def test_the_data_partition_and_its_file_system_fill_a_bigger_card(disk, tmp_path):
    others_before = disk.table()[:3]
    disk.written_to_a_bigger_card()

    result = grow(disk, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "growing it" in result.stdout
    # Within a few MiB of the card's end (the partitions before it, the GPT's
    # backup table, alignment).
    grown_mib = disk.partition_sectors(4) // 2048
    assert CARD_MIB - 30 <= grown_mib < CARD_MIB - 24
    assert disk.fs_sectors() >= disk.partition_sectors(4) - 2048
    assert disk.table()[:3] == others_before
    assert run("sfdisk", "--verify", disk.loop).returncode == 0
    kept = run("debugfs", "-R", "cat /greeting.wav", disk.data)
    assert kept.stdout.encode() == GREETING
    assert run("e2fsck", "-f", "-n", disk.data).returncode == 0


def kernel_uevents() -> socket.socket:
    """A socket that receives the kernel's device events, as udev does."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
    sock.bind((0, KERNEL_UEVENT_GROUP))
    return sock


def uevents_received(sock: socket.socket) -> list[str]:
    """The events sock holds, each as its first line, e.g. "remove@/devices/..."."""
    events = []
    sock.setblocking(False)
    while True:
        try:
            message = sock.recv(65536)
        except BlockingIOError:
            return events
        events.append(message.split(b"\0", 1)[0].decode())


def test_the_partition_grows_in_place_and_is_never_unplugged(disk, tmp_path):
    # At boot systemd waits for the data partition to check and mount
    # /data; a partition taken away and added back (partx --update) comes
    # to udev as the device unplugged, and systemd drops that mount.
    disk.written_to_a_bigger_card()
    events = kernel_uevents()
    try:
        result = grow(disk, tmp_path)
        seen = uevents_received(events)
    finally:
        events.close()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "growing it" in result.stdout
    data = Path(disk.data).name
    unplugged = [
        e for e in seen if e.endswith(f"/{data}") and not e.startswith("change@")
    ]
    assert unplugged == []
    assert disk.partition_sectors(4) // 2048 >= CARD_MIB - 30
    assert disk.fs_sectors() >= disk.partition_sectors(4) - 2048


def test_udev_never_finds_the_data_partition_missing_from_the_table(disk, tmp_path):
    # udev looks at a partition again after every write to its disk's table
    # unless the disk is locked; it finds the partition's table entry by
    # the start and size the kernel has for it. Should it look while the
    # table has the new size and the kernel the old, it finds no entry and
    # drops the by-partlabel link that /data is mounted by. Here every
    # sfdisk run is followed by such a look, as udev would take it.
    looks = tmp_path / "looks"
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    sfdisk = wrappers / "sfdisk"
    sfdisk.write_text(
        "#!/bin/sh\n"
        'status=0; /usr/sbin/sfdisk "$@" || status=$?\n'
        f"if flock --shared --nonblock {disk.loop} true; then\n"
        f"  blkid -p -o udev {disk.data} | grep -q ^ID_PART_ENTRY_NUMBER= &&"
        f" echo found >>{looks} || echo missing >>{looks}\n"
        f"else echo held-off >>{looks}; fi\n"
        "exit $status\n"
    )
    sfdisk.chmod(0o755)
    disk.written_to_a_bigger_card()

    result = grow(disk, tmp_path, path=f"{wrappers}:{SYSTEM_PATH}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "growing it" in result.stdout
    seen = looks.read_text().split()
    assert seen and "missing" not in seen, seen
    assert disk.partition_sectors(4) // 2048 >= CARD_MIB - 30


def test_a_card_of_the_image_size_and_a_second_boot_change_nothing(disk, tmp_path):
    table = disk.table()
    first = grow(disk, tmp_path)
    assert first.returncode == 0 and first.stdout == ""
    assert disk.table() == table

    disk.written_to_a_bigger_card()
    grow(disk, tmp_path)
    grown = disk.table()
    again = grow(disk, tmp_path)

    assert again.returncode == 0 and again.stdout == ""
    assert disk.table() == grown


def test_a_power_cut_after_the_partition_grew_grows_the_file_system_next_boot(
    disk, tmp_path
):
    disk.written_to_a_bigger_card()
    # What the first boot did before the power went: the partition only.
    moved = run("sfdisk", "--quiet", "--relocate", "gpt-bak-std", disk.loop)
    assert moved.returncode == 0 or "dos" in run("sfdisk", "-d", disk.loop).stdout
    run("sfdisk", "--quiet", "--no-reread", "-N", "4", disk.loop, input=", +")
    run("partx", "--update", "--nr", "4", disk.loop)
    assert disk.fs_sectors() < disk.partition_sectors(4) // 2

    result = grow(disk, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert disk.fs_sectors() >= disk.partition_sectors(4) - 2048
