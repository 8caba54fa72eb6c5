#!/bin/sh
# Buildroot post-image script: the slot image, the SD card image and,
# with a signing key, the firmware bundle.
#   $1  the images directory (BINARIES_DIR)
#   $2  the board (rpi4 or rpi5), from BR2_ROOTFS_POST_SCRIPT_ARGS
# Environment: EDGEPBX_VERSION (default 0.1.0) and, to make a bundle,
# EDGEPBX_SIGNING_KEY (an Ed25519 private key in PEM; never in the tree).

set -eu

BINARIES_DIR=$1
BOARD=${2:-rpi4}
BOARD_DIR=$(dirname "$0")
VERSION=${EDGEPBX_VERSION:-0.1.0}
# FAT32 slot: kernel, firmware and a squashfs root of about 300 MB.
SLOT_SIZE_KB=786432

: "${TARGET_DIR:?run by Buildroot, which sets TARGET_DIR}"
: "${HOST_DIR:?run by Buildroot, which sets HOST_DIR}"

case "$BOARD" in
rpi4) DTB=bcm2711-rpi-4-b.dtb ;;
rpi5) DTB=bcm2712-rpi-5-b.dtb ;;
*)
	echo "post-image.sh: unknown board $BOARD (rpi4 or rpi5)" >&2
	exit 1
	;;
esac

# Step 1: the initramfs: busybox, the C library and the init script.
initramfs=$(mktemp -d)
trap 'rm -rf "$initramfs"' EXIT
mkdir -p "$initramfs/bin" "$initramfs/sbin" "$initramfs/lib" \
	"$initramfs/proc" "$initramfs/sys" "$initramfs/dev"
cp "$TARGET_DIR/bin/busybox" "$initramfs/bin/busybox"
for library in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libresolv.so.2; do
	cp -L "$TARGET_DIR/lib/$library" "$initramfs/lib/$library"
done
for applet in sh mount umount mkdir sleep od awk switch_root cat echo; do
	ln -s busybox "$initramfs/bin/$applet"
done
if [ -x "$TARGET_DIR/sbin/e2fsck" ]; then
	cp "$TARGET_DIR/sbin/e2fsck" "$initramfs/sbin/e2fsck"
fi
cp "$BOARD_DIR/initramfs/init" "$initramfs/init"
chmod 0755 "$initramfs/init"
(cd "$initramfs" && find . | cpio --quiet -o -H newc) |
	gzip -9 >"$BINARIES_DIR/initramfs.cpio.gz"

# Step 2: the slot image, the same for slot A and slot B.
slot_files="Image initramfs.cpio.gz rootfs.squashfs $DTB"
cp "$BOARD_DIR/config.txt" "$BOARD_DIR/cmdline.txt" "$BINARIES_DIR/"
slot_files="$slot_files config.txt cmdline.txt"
if [ "$BOARD" = rpi4 ]; then
	slot_files="$slot_files rpi-firmware/start4.elf rpi-firmware/fixup4.dat"
fi
rm -f "$BINARIES_DIR/slot.vfat"
"$HOST_DIR/sbin/mkfs.vfat" -F 32 -n SLOT -C "$BINARIES_DIR/slot.vfat" "$SLOT_SIZE_KB"
for file in $slot_files; do
	"$HOST_DIR/bin/mcopy" -i "$BINARIES_DIR/slot.vfat" "$BINARIES_DIR/$file" ::
done
if [ -d "$BINARIES_DIR/rpi-firmware/overlays" ]; then
	"$HOST_DIR/bin/mcopy" -s -i "$BINARIES_DIR/slot.vfat" \
		"$BINARIES_DIR/rpi-firmware/overlays" ::
fi

# Step 3: the boot partition's files: both slots hold this release.
cp "$BOARD_DIR/autoboot.txt" "$BINARIES_DIR/autoboot.txt"
cat >"$BINARIES_DIR/edgepbx-slots.json" <<RECORDS
{"A": {"state": "good", "version": "$VERSION"},
 "B": {"state": "good", "version": "$VERSION"}}
RECORDS

# Step 4: the SD card.
support/scripts/genimage.sh -c "$BOARD_DIR/genimage.cfg"

# Step 5: the bundle, when there is a key to sign it with.
if [ -n "${EDGEPBX_SIGNING_KEY:-}" ]; then
	"$HOST_DIR/bin/python3" "$BR2_EXTERNAL_EDGEPBX_PATH/../scripts/firmware-bundle" \
		--payload "$BINARIES_DIR/slot.vfat" --version "$VERSION" \
		--architecture aarch64 --board "$BOARD" \
		--key "$EDGEPBX_SIGNING_KEY" \
		--output "$BINARIES_DIR/edgepbx-$VERSION-$BOARD.bundle"
fi
