#!/usr/bin/env bash
# Sets up JupyterLab 4 from Debian trixie in a debootstrap chroot, for the UI tests (tests/ui/).
# Debian bookworm packages no JupyterLab, and installing trixie's on a bookworm host conflicts with
# NodeSource's nodejs; a chroot leaves the host untouched. Idempotent: a finished chroot is reused
# (it is built in a temporary directory and renamed only when complete).
#
#   sudo scripts/jupyter/setup-jupyterlab.sh            # prints the chroot's path when ready
#
# BN_LAB_JUPYTERLAB_CHROOT  where the chroot lives (default /var/cache/bn-lab/jupyterlab-trixie)
# BN_LAB_DEBIAN_MIRROR      Debian mirror URI (default: the first one this machine's apt sources name)
set -euo pipefail

CHROOT="${BN_LAB_JUPYTERLAB_CHROOT:-/var/cache/bn-lab/jupyterlab-trixie}"
SUITE=trixie
# jupyterlab brings trixie's nodejs, but the tslab kernel runs on it, so it is named explicitly.
PACKAGES="jupyterlab python3-nbclient python3-ipykernel nodejs"
# Bump when PACKAGES change, so an older chroot is rebuilt rather than silently reused.
STAMP_VALUE="bn-lab jupyterlab chroot v1: $SUITE $PACKAGES"
STAMP="$CHROOT/etc/bn-lab-chroot"

die() { echo "setup-jupyterlab: $*" >&2; exit 1; }
exit_if_ready() {
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_VALUE" ] && [ -x "$CHROOT/usr/bin/jupyter-lab" ]; then
    echo "$CHROOT"
    exit 0
  fi
}

exit_if_ready

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo > /dev/null; then exec sudo -E "$0" "$@"; fi
  die "building the chroot needs root (debootstrap, chroot): run this script as root or install sudo."
fi
mkdir -p "$(dirname "$CHROOT")"
# One build at a time (two test runs may start together); the second reuses the first's chroot.
exec 9> "$(dirname "$CHROOT")/.setup-jupyterlab.lock"
flock 9
exit_if_ready
command -v debootstrap > /dev/null ||
  die "debootstrap not found: install it with 'apt-get install debootstrap' (Debian/Ubuntu)."

mirror() {
  if [ -n "${BN_LAB_DEBIAN_MIRROR:-}" ]; then echo "$BN_LAB_DEBIAN_MIRROR"; return; fi
  local uri=""
  # deb822 sources first (Debian 12's default), then the one-line format; security mirrors carry
  # only security updates, not a whole suite, so they are skipped.
  if compgen -G '/etc/apt/sources.list.d/*.sources' > /dev/null; then
    uri=$(awk '/^URIs:/{for(i=2;i<=NF;i++) if ($i !~ /security/) {print $i; exit}}' /etc/apt/sources.list.d/*.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:/) {print $i; exit}}' \
      /etc/apt/sources.list)
  fi
  echo "$uri"
}
MIRROR="$(mirror)"
[ -n "$MIRROR" ] ||
  die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list:" \
    "set BN_LAB_DEBIAN_MIRROR (e.g. http://deb.debian.org/debian)."

BUILD="$CHROOT.building"
# Builds run in a private mount namespace (unshare), so the /proc and /sys that debootstrap and
# apt mount inside vanish with it, even if it is killed, and rm -rf never walks into a mount.
if findmnt -rn -o TARGET | grep -q "^$BUILD/"; then
  die "$BUILD has host mounts under it: unmount them (umount -R $BUILD/proc) and retry."
fi
rm -rf "$BUILD"
LOG="$(dirname "$CHROOT")/setup-jupyterlab.log"
: > "$LOG"
fail() { tail -n 30 "$LOG" >&2; die "$* (full log: $LOG)"; }
echo "setup-jupyterlab: debootstrap $SUITE from $MIRROR into $BUILD (log: $LOG)" >&2
started=$SECONDS
unshare --mount --propagation private debootstrap --variant=minbase "$SUITE" "$BUILD" "$MIRROR" >> "$LOG" 2>&1 ||
  fail "debootstrap $SUITE from $MIRROR failed; is the mirror reachable and does it carry $SUITE?"

echo "setup-jupyterlab: apt-get install $PACKAGES" >&2
unshare --mount --propagation private sh -c '
  set -e
  mount -t proc proc "$1/proc"
  chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $2
  chroot "$1" apt-get clean' sh "$BUILD" "$PACKAGES" >> "$LOG" 2>&1 ||
  fail "installing $PACKAGES in the chroot failed"
[ -x "$BUILD/usr/bin/jupyter-lab" ] || fail "jupyter-lab is missing from the chroot after installing $PACKAGES"
echo "$STAMP_VALUE" > "$BUILD/etc/bn-lab-chroot"

# Servers mount into the chroot only inside their own namespaces, so an outdated one can go.
rm -rf "$CHROOT"
mv "$BUILD" "$CHROOT"
echo "setup-jupyterlab: ready in $((SECONDS - started)) s" >&2
echo "$CHROOT"
