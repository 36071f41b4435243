#!/usr/bin/env bash
# The install contract (cmake/KagamiInstall.cmake): `cmake --install` to a
# prefix and the Debian package from `cpack -G DEB` each give a kagami that
# finds its packs beside itself (a moved install too: nothing points back
# at the source tree), scans the demo capture with the same alerts as the
# build tree's binary, and ships its man page, systemd unit, logrotate
# snippet and an example configuration that passes --check-config.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }
alerts() { grep -c '"event_type":"alert"' "$1" || true; }

demo="$src/demo/tick-demo.pcap"
"$build/cli/kagami" scan -q --eve "$work/expected.json" "$demo"
want=$(alerts "$work/expected.json")
[ "$want" -gt 0 ] || fail "the build tree's kagami found no alert in the demo"

# 1. An install to a prefix, then moved: it must still find its packs.
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mv "$work/prefix" "$work/moved"
unset KAGAMI_PACKS
(cd "$work" && "$work/moved/bin/kagami" scan -q --eve "$work/moved.json" "$demo") ||
  fail "the moved install failed to scan"
[ "$(alerts "$work/moved.json")" = "$want" ] || fail "moved install: $(alerts "$work/moved.json") alerts, want $want"
grep -q '^\.SH LIVE' "$work/moved/share/man/man1/kagami.1" || fail "the man page has no LIVE section"
grep -q -- '--ring-size' "$work/moved/share/man/man1/kagami.1" || fail "the man page lacks live's options"
unit="$work/moved/lib/systemd/system/kagami@.service"
grep -q "^ExecStart=$work/prefix/bin/kagami live --config $work/prefix/etc/kagami/kagami.yaml -i %i " "$unit" ||
  fail "unit ExecStart: $(grep ExecStart "$unit")"
# The shipped example configuration is valid as the unit uses it.
"$work/moved/bin/kagami" live --config "$work/moved/etc/kagami/kagami.yaml" -i lo --eve "$work/live.json" \
  --cache-dir "$work/cache" --check-config 2>"$work/check.txt" || { cat "$work/check.txt" >&2; fail "the example configuration does not check"; }
grep -q "configuration OK" "$work/check.txt" || fail "no verdict from --check-config"
for want_line in 'Restart=on-failure' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ExecReload=/bin/kill -USR2 $MAINPID' \
                 'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN'; do
  grep -qx "$want_line" "$unit" || fail "the unit lacks $want_line"
done
[ -f "$work/moved/etc/logrotate.d/kagami" ] || fail "no logrotate snippet"
[ -f "$work/moved/share/kagami/classification.config" ] || fail "no classification.config"
[ ! -e "$work/moved/share/kagami/packs/tick/tests" ] || fail "pack test cases were installed"

# 2. The Debian package, unpacked into a scratch root.
cpack -G DEB -B "$work/deb" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$work"/deb/kagami_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libhyperscan5 libpcap0.8 libpcre2-8-0 libssl3; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
dpkg-deb -x "$deb" "$work/root"
(cd "$work" && "$work/root/usr/bin/kagami" scan -q --eve "$work/deb.json" "$demo") || fail "the packaged kagami failed"
[ "$(alerts "$work/deb.json")" = "$want" ] || fail "package: $(alerts "$work/deb.json") alerts, want $want"
grep -q '^ExecStart=/usr/bin/kagami live --config /etc/kagami/kagami.yaml -i %i' \
  "$work/root/usr/lib/systemd/system/kagami@.service" || fail "package unit"
[ -f "$work/root/etc/kagami/kagami.yaml" ] || fail "the package has no /etc/kagami/kagami.yaml"
[ -f "$work/root/etc/logrotate.d/kagami" ] || fail "the package has no /etc/logrotate.d/kagami"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/logrotate.d/kagami "$work/control/conffiles" || fail "the logrotate snippet is not a conffile"
grep -qx /etc/kagami/kagami.yaml "$work/control/conffiles" || fail "the configuration is not a conffile"
[ -f "$work/root/usr/share/man/man1/kagami.1" ] || fail "the package has no man page"
if command -v systemd-analyze >/dev/null; then
  # Verified where its ExecStart exists: the unpacked package's binary.
  sed "s|^ExecStart=/usr/bin/kagami|ExecStart=$work/root/usr/bin/kagami|" \
    "$work/root/usr/lib/systemd/system/kagami@.service" >"$work/kagami@.service"
  systemd-analyze verify --man=no "$work/kagami@eth0.service" || fail "systemd-analyze verify rejects the unit"
fi
echo "install_test: prefix, moved prefix and Debian package each scan the demo with $want alerts"
