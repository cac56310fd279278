#!/usr/bin/env bash
# `make install` and `make deb` as an operator meets them: the install tree (binary, config,
# unit, docs), the unit naming the installed paths and the package's user, the installed
# config passing --check-config, and the .deb's files, conffiles, maintainer scripts and
# dependencies (libwebsockets-evlib-ev among them: dlopened, so no shared-library scan finds it).
#   tests/packaging_test.sh BUILD_DIR
set -euo pipefail
BUILD=$1
WORK=$(mktemp -d /tmp/stampede-packaging.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$WORK/root cmake --install "$BUILD" --prefix /usr >"$WORK/install.log"
root=$WORK/root
for f in usr/bin/stampede etc/stampede/stampede.yaml usr/lib/systemd/system/stampede.service \
         usr/share/doc/stampede/README.md usr/share/doc/stampede/configuration.md; do
    [[ -e $root/$f ]] || fail "make install did not install $f"
done
unit=$root/usr/lib/systemd/system/stampede.service
grep -q '^ExecStart=/usr/bin/stampede --config /etc/stampede/stampede.yaml$' "$unit" ||
    fail "the installed unit does not start the installed binary on the installed config"
grep -q '^User=stampede$' "$unit" || fail "the installed unit does not run as stampede"
grep -q '^DynamicUser' "$unit" && fail "the installed unit still asks for a DynamicUser"
"$root/usr/bin/stampede" --check-config "$root/etc/stampede/stampede.yaml" >"$WORK/check.log" 2>&1 ||
    fail "the installed config does not pass --check-config: $(cat "$WORK/check.log")"

(cd "$BUILD" && cpack -G DEB -B "$WORK/deb" >"$WORK/cpack.log" 2>&1) ||
    fail "cpack failed: $(tail -20 "$WORK/cpack.log")"
deb=$(ls "$WORK"/deb/stampede_*.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/stampede ./etc/stampede/stampede.yaml ./usr/lib/systemd/system/stampede.service; do
    grep -q " $f$" <<<"$contents" || fail "the .deb lacks $f"
done
mkdir "$WORK/control" && dpkg-deb -e "$deb" "$WORK/control"
grep -qx /etc/stampede/stampede.yaml "$WORK/control/conffiles" || fail "the config is no conffile"
grep -q 'adduser --system' "$WORK/control/postinst" || fail "postinst makes no system user"
[[ -x $WORK/control/postinst && -x $WORK/control/postrm ]] || fail "maintainer scripts not executable"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in libwebsockets-evlib-ev libwebsockets17 libhiredis0.14 libssl3 adduser; do
    grep -q "$dep" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
mkdir "$WORK/x" && dpkg-deb -x "$deb" "$WORK/x"
grep -q '^ExecStart=/usr/bin/stampede --config /etc/stampede/stampede.yaml$' \
    "$WORK/x/usr/lib/systemd/system/stampede.service" || fail "the packaged unit names other paths"
echo "packaging: install tree, unit, config and $(basename "$deb") ($depends) as expected"
