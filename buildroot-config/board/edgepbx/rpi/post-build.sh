#!/bin/sh
# Buildroot post-build script: shape the target tree for a read-only root.
#   $1  the target directory
#   $2  the board (rpi4 or rpi5), from BR2_ROOTFS_POST_SCRIPT_ARGS
#   BR2_CONFIG (from Buildroot): the configuration, for the serial port
#
# Everything that changes at run time lives on /data; the files the system
# writes under /etc become links into /data/etc (agent/network/system_files.py
# writes through them), and first boot fills /data/etc from /usr/share/factory.

set -eu

TARGET_DIR=$1
BOARD=${2:-rpi4}

case "$BOARD" in
rpi4 | rpi5) ;;
*)
	echo "post-build.sh: unknown board $BOARD (rpi4 or rpi5)" >&2
	exit 1
	;;
esac

mkdir -p "$TARGET_DIR/data" "$TARGET_DIR/boot/firmware" "$TARGET_DIR/boot/slot"
mkdir -p "$TARGET_DIR/usr/share/factory/etc" "$TARGET_DIR/etc/edgepbx"

# Files the network settings and first boot write: kept on /data.
for name in hostname resolv.conf timezone localtime machine-id; do
	if [ -e "$TARGET_DIR/etc/$name" ] && [ ! -L "$TARGET_DIR/etc/$name" ]; then
		cp -a "$TARGET_DIR/etc/$name" "$TARGET_DIR/usr/share/factory/etc/$name"
	fi
	rm -f "$TARGET_DIR/etc/$name"
	ln -s "/data/etc/$name" "$TARGET_DIR/etc/$name"
done
mkdir -p "$TARGET_DIR/etc/systemd/timesyncd.conf.d"
ln -sfn /data/etc/timesyncd-edgepbx.conf \
	"$TARGET_DIR/etc/systemd/timesyncd.conf.d/edgepbx.conf"

# The partitions of the SD card (board/edgepbx/rpi/genimage.cfg).
cat >"$TARGET_DIR/etc/fstab" <<FSTAB
# device        mount point     type   options                     dump pass
/dev/mmcblk0p1  /boot/firmware  vfat   rw,noatime,sync,umask=0077  0    0
/dev/mmcblk0p4  /data           ext4   rw,noatime,commit=30        0    2
tmpfs           /tmp            tmpfs  nosuid,nodev,size=64m       0    0
tmpfs           /var/tmp        tmpfs  nosuid,nodev,size=16m       0    0
FSTAB

# What the firmware updater knows about this board (agent/firmware/device.py).
cat >"$TARGET_DIR/etc/edgepbx/device.json" <<DEVICE
{"architecture": "aarch64", "board": "$BOARD",
 "boot_dir": "/boot/firmware",
 "bootloader_dir": "/proc/device-tree/chosen/bootloader",
 "reboot": "systemctl",
 "slots": {"A": {"partition": 2, "device": "/dev/mmcblk0p2"},
           "B": {"partition": 3, "device": "/dev/mmcblk0p3"}}}
DEVICE

# The units the x86-64 image enables (image/overlay/usr/lib/edgepbx/
# image-setup), as Buildroot expects: a preset file. Buildroot runs
# `systemctl --root=TARGET_DIR preset-all` after this script, which makes
# the .wants links; the file's 50- sorts it before systemd's own presets,
# whose first match would win. The recovery console takes the serial port
# Buildroot's getty would (BR2_TARGET_GENERIC_GETTY_PORT); that getty is
# masked, as preset-all never masks. Kamailio and rtpengine are supervised
# by the agent, and this tree's packages of them install no units.
console=ttyAMA0
if [ -n "${BR2_CONFIG:-}" ] && [ -f "$BR2_CONFIG" ]; then
	port=$(sed -n 's/^BR2_TARGET_GENERIC_GETTY_PORT="\(.*\)"$/\1/p' "$BR2_CONFIG")
	console=${port:-$console}
fi
mkdir -p "$TARGET_DIR/usr/lib/systemd/system-preset"
cat >"$TARGET_DIR/usr/lib/systemd/system-preset/50-edgepbx.preset" <<PRESET
enable edgepbx-grow-data.service
enable edgepbx-firstboot.service
enable edgepbx-hostname.service
enable edgepbx-network.service
enable edgepbx-agent.service
enable edgepbx-firmware-confirm.service
enable edgepbx-console@.service $console
PRESET
mkdir -p "$TARGET_DIR/etc/systemd/system"
ln -sfn /dev/null "$TARGET_DIR/etc/systemd/system/serial-getty@$console.service"
