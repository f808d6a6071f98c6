# SPDX-License-Identifier: GPL-2.0-or-later
#
# Settings shared by the qemu-mshv build scripts.  Sourced, not run.
#
# Everything downloaded or generated outside the build tree lives in one
# cache directory outside the clone, so that fresh clones (and CI) reuse the
# base sources, firmware, guest kernel and ccache.

MSHV_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MSHV_CACHE=${QEMU_MSHV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-mshv}
MSHV_APT=$MSHV_CACHE/apt
MSHV_DEBS=$MSHV_CACHE/debs

# The pinned base; see docs/devel/mshv/base.rst for how it is chosen.
# shellcheck source=../base.conf
. "$MSHV_TOP/base.conf"

msg() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

# A private apt configuration that adds trixie, trixie-backports and
# bookworm-backports
# (binary and source) on the mirror this machine already uses, without
# touching the system's own apt sources.
mshv_apt_opts() {
    printf '%s\n' \
        -o "Dir::Etc::SourceList=$MSHV_APT/sources.list" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o "Dir::State::Lists=$MSHV_APT/lists" \
        -o "Dir::Cache=$MSHV_APT/cache" \
        -o APT::Get::List-Cleanup=false \
        -o APT::Sandbox::User=root
}

mshv_mirror() {
    local uri=
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
              /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ {
                     for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
              /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || die "cannot find the Debian mirror in this machine's apt sources"
    printf '%s\n' "$uri"
}

mshv_apt_setup() {
    local uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    mkdir -p "$MSHV_APT/lists/partial" "$MSHV_APT/cache/archives/partial"
    uri=$(mshv_mirror)
    cat > "$MSHV_APT/sources.list.new" <<EOF
deb [signed-by=$keyring] $uri trixie main
deb-src [signed-by=$keyring] $uri trixie main
deb [signed-by=$keyring] $uri trixie-updates main
deb-src [signed-by=$keyring] $uri trixie-updates main
deb [signed-by=$keyring] $uri trixie-backports main
deb [signed-by=$keyring] $uri bookworm-backports main
EOF
    if ! cmp -s "$MSHV_APT/sources.list.new" "$MSHV_APT/sources.list"; then
        mv "$MSHV_APT/sources.list.new" "$MSHV_APT/sources.list"
        rm -f "$MSHV_APT/updated"
    else
        rm -f "$MSHV_APT/sources.list.new"
    fi
    # Refresh at most once a day; the index is verified by apt itself.
    if [ -z "$(find "$MSHV_APT/updated" -mmin -1440 2>/dev/null)" ]; then
        # shellcheck disable=SC2046
        apt-get $(mshv_apt_opts) -qq update || die "apt-get update (trixie, bookworm-backports) failed"
        touch "$MSHV_APT/updated"
    fi
}

mshv_apt() {
    # shellcheck disable=SC2046
    apt-get $(mshv_apt_opts) "$@"
}

mshv_apt_cache() {
    # shellcheck disable=SC2046
    apt-cache $(mshv_apt_opts) "$@"
}
