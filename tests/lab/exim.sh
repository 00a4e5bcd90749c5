#!/usr/bin/env bash
# exim.sh -- a real Exim for tests/exim_matrix.rs, without installing it: Debian's
# exim4-daemon-light conflicts with postfix (both provide mail-transport-agent), so its
# packages are only downloaded (`apt-get download`) and unpacked (`dpkg-deb -x`) into a
# private prefix. The binary runs as `$DIR/bin/exim -C CONFIG -bh IP` (host checking: an SMTP
# conversation on stdin/stdout against the ACLs; nothing is delivered, no daemon, no port).
#
# Exim looks up its compiled-in user "Debian-exim" at start; the Debian package creates it,
# we do not: libnss-wrapper (also only unpacked) gives the binary a private passwd/group.
#
# Usage: exim.sh install|path     (idempotent; `path` prints the wrapper's path)
# Env:   RELAYDOC_EXIM_DIR=/tmp/relaydoc-exim
set -euo pipefail
DIR=${RELAYDOC_EXIM_DIR:-/tmp/relaydoc-exim}
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
die() { echo "exim.sh: $*" >&2; exit 1; }
case $DIR in /*) ;; *) die "RELAYDOC_EXIM_DIR must be an absolute path" ;; esac

# -bV without a configuration file complains about it, but still prints the version.
works() {
    local out
    [ -x "$DIR/bin/exim" ] || return 1
    out=$("$DIR/bin/exim" -bV 2>&1 </dev/null || true)
    grep -q '^Exim version' <<<"$out"
}

install() {
    if works; then echo "exim.sh: ready in $DIR"; return 0; fi
    command -v apt-get >/dev/null || die "needs Debian's apt-get"
    mkdir -p "$DIR/debs" "$DIR/root" "$DIR/nss" "$DIR/bin"
    local pkgs=(exim4-base exim4-daemon-light libnss-wrapper)
    (
        cd "$DIR/debs"
        # apt-get download writes into the current directory; as root it warns that _apt
        # cannot write here, which is harmless.
        if ! apt-get download "${pkgs[@]}" 2>/dev/null; then
            apt-get update -q >&2
            apt-get download "${pkgs[@]}"
        fi
    )
    for deb in "$DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$DIR/root"; done
    local exim=$DIR/root/usr/sbin/exim4
    [ -x "$exim" ] || die "no exim4 binary in the packages"
    if ldd "$exim" | grep -q 'not found'; then
        ldd "$exim" | grep 'not found' >&2
        die "shared libraries missing for exim4 (install them with apt-get)"
    fi
    local wrapper
    wrapper=$(find "$DIR/root" -name 'libnss_wrapper.so*' | head -1)
    [ -n "$wrapper" ] || die "libnss_wrapper.so not in libnss-wrapper"
    # Users the Debian binary and configuration name; Debian-exim runs as nobody's ids.
    cat > "$DIR/nss/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
Debian-exim:x:65534:65534:Exim:$DIR/spool:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
    cat > "$DIR/nss/group" <<'EOF'
root:x:0:
mail:x:8:
uucp:x:10:
Debian-exim:x:65534:
nogroup:x:65534:
EOF
    cat > "$DIR/bin/exim" <<EOF
#!/bin/sh
# Debian's exim4 unpacked by tests/lab/exim.sh, with its users from nss_wrapper.
LD_PRELOAD=$wrapper NSS_WRAPPER_PASSWD=$DIR/nss/passwd NSS_WRAPPER_GROUP=$DIR/nss/group
export LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
exec $exim "\$@"
EOF
    chmod 755 "$DIR/bin/exim"
    works || { "$DIR/bin/exim" -bV >&2 || true; die "the unpacked exim does not run"; }
    echo "exim.sh: ready in $DIR"
}

case ${1:-} in
    install) install ;;
    path) echo "$DIR/bin/exim" ;;
    *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
