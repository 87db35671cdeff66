#!/bin/sh
# Build the firmware's target dependencies for one toolchain:
#   Toolchain/build-deps.sh <toolchain> <outdir>
# produces
#   <outdir>/sysroot/        musl + linux-libc-dev headers and libc.a, libgcc.a (Debian packages for the target arch)
#   <outdir>/prefix/lib/     libmodbus.a libmbedtls.a libmbedx509.a libmbedcrypto.a
#   <outdir>/prefix/include/ modbus/*.h mbedtls/*.h psa/*.h (the same layout as Debian's host -dev packages)
# mbedTLS is configured for the firmware by Toolchain/mbedtls-firmware.conf (applied to Debian's
# config.h; the modified config.h is what prefix/include holds, so Swift sees the same layouts).
#
# Everything comes from Debian bookworm through a private apt configuration under build/deps/apt (the
# host's apt state and architecture list are not touched). Sources are downloaded and unpacked once,
# with Debian's patches and build configuration, into build/deps/src and shared by all toolchains.
# Stamp files make a second run a no-op; delete <outdir> (or build/deps) to start over.
set -eu

name=${1:?usage: build-deps.sh <toolchain> <outdir>}
out=${2:?usage: build-deps.sh <toolchain> <outdir>}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tcmk="$here/$name/toolchain.mk"
[ -f "$tcmk" ] || { echo "build-deps: no toolchain $tcmk" >&2; exit 1; }

# Read the make variables we need from toolchain.mk (simple `NAME := value` lines).
tcvar() { sed -n "s/^$1[[:space:]]*:\{0,1\}=[[:space:]]*//p" "$tcmk" | head -n1; }
CLANG_TARGET=$(tcvar CLANG_TARGET)
DEBIAN_ARCH=$(tcvar DEBIAN_ARCH)
LIBGCC_PKG=$(tcvar LIBGCC_PKG)
LIBGCC_DIR=$(tcvar LIBGCC_DIR)
TC_CFLAGS=$(tcvar TC_CFLAGS)

SWIFT_BIN=${SWIFT_BIN:-/opt/swift/usr/bin}
CC="$SWIFT_BIN/clang"
AR="$SWIFT_BIN/llvm-ar"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

deps="$repo/build/deps"
mkdir -p "$out" "$deps"
out=$(cd "$out" && pwd)
sysroot="$out/sysroot"
prefix="$out/prefix"

log() { echo "build-deps[$name]: $*"; }

need_tools() {
  missing=""
  command -v dpkg-source >/dev/null 2>&1 || missing="$missing dpkg-dev"
  command -v python3 >/dev/null 2>&1 || missing="$missing python3"
  command -v xz >/dev/null 2>&1 || missing="$missing xz-utils"
  if [ -n "$missing" ]; then
    log "installing$missing"
    apt-get update -q && apt-get install -y --no-install-recommends $missing
  fi
}

# --- private apt configuration (shared by all toolchains) -------------------------------------
aptdir="$deps/apt"
APT_OPTS="-o Dir::Etc::SourceList=$aptdir/sources.list -o Dir::Etc::SourceParts=/dev/null
 -o Dir::State::Lists=$aptdir/lists -o Dir::Cache=$aptdir/cache
 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o APT::Architectures::=armel
 -o APT::Sandbox::User=root"
apt_private() { apt-get $APT_OPTS "$@"; }

apt_setup() {
  [ -f "$aptdir/.updated" ] && return 0
  log "apt update (private lists in $aptdir)"
  mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
  key=/usr/share/keyrings/debian-archive-keyring.gpg
  cat > "$aptdir/sources.list" <<EOF
deb [signed-by=$key] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$key] http://deb.debian.org/debian bookworm main
deb [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
deb-src [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
EOF
  apt_private -q update >/dev/null
  touch "$aptdir/.updated"
}

# --- (a) sysroot: musl, kernel headers, libgcc for the target ----------------------------------
build_sysroot() {
  [ -f "$sysroot/.stamp" ] && return 0
  apt_setup
  log "sysroot for $DEBIAN_ARCH"
  rm -rf "$sysroot" "$out/debs"
  mkdir -p "$out/debs" "$sysroot"
  (cd "$out/debs" && apt_private -q download \
      "musl:$DEBIAN_ARCH" "musl-dev:$DEBIAN_ARCH" "linux-libc-dev:$DEBIAN_ARCH" "$LIBGCC_PKG" >/dev/null)
  raw="$out/debroot"
  rm -rf "$raw"; mkdir -p "$raw"
  for deb in "$out"/debs/*.deb; do dpkg -x "$deb" "$raw"; done
  # Assemble a flat sysroot (usr/include, usr/lib) from Debian's multiarch layout: musl's headers
  # and libraries live in <arch>-linux-musl*/, the kernel's asm/ in <arch>-linux-gnu*/.
  mkdir -p "$sysroot/usr/include" "$sysroot/usr/lib"
  cp -a "$raw"/usr/include/*-linux-musl*/. "$sysroot/usr/include/"
  for d in "$raw"/usr/include/*; do
    case "$(basename "$d")" in *-linux-*) ;; *) cp -a "$d" "$sysroot/usr/include/";; esac
  done
  cp -a "$raw"/usr/include/*-linux-gnu*/asm "$sysroot/usr/include/"
  cp -a "$raw"/usr/lib/*-linux-musl*/*.a "$raw"/usr/lib/*-linux-musl*/*.o "$sysroot/usr/lib/"
  cp "$raw/$LIBGCC_DIR/libgcc.a" "$sysroot/usr/lib/libgcc.a"
  rm -rf "$raw"
  touch "$sysroot/.stamp"
}

# --- (b) Debian sources, unpacked with their patches (shared by all toolchains) -----------------
fetch_sources() {
  src="$deps/src"
  [ -f "$src/.stamp" ] && return 0
  need_tools
  apt_setup
  log "fetching Debian source packages libmodbus, mbedtls"
  rm -rf "$src"; mkdir -p "$src"
  (cd "$src" && apt_private -q source --download-only libmodbus mbedtls >/dev/null)
  # apt checked the files against the signed Sources index; dpkg-source only warns that it has no
  # keyring for the uploaders' signatures, so its chatter goes to a log.
  (cd "$src" && dpkg-source -x libmodbus_*.dsc libmodbus && dpkg-source -x mbedtls_*.dsc mbedtls) \
    > "$src/dpkg-source.log" 2>&1 || { cat "$src/dpkg-source.log" >&2; exit 1; }
  # Debian's mbedTLS build configuration (debian/rules, override_dh_auto_configure): the base that
  # Toolchain/mbedtls-firmware.conf changes for the firmware (in build_mbedtls, on a copy).
  for opt in MBEDTLS_DEPRECATED_WARNING MBEDTLS_HAVEGE_C MBEDTLS_MD2_C MBEDTLS_MD4_C \
             MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD MBEDTLS_CMAC_C MBEDTLS_SSL_DTLS_SRTP; do
    (cd "$src/mbedtls" && python3 scripts/config.py set $opt)
  done
  touch "$src/.stamp"
}

# --- (c) static libraries for the target -------------------------------------------------------
CFLAGS_COMMON="--target=$CLANG_TARGET --sysroot=$sysroot -nostdinc -isystem $sysroot/usr/include"
CFLAGS_COMMON="$CFLAGS_COMMON -isystem $($CC -print-resource-dir)/include"
CFLAGS_COMMON="$CFLAGS_COMMON -Os -ffunction-sections -fdata-sections -fno-stack-protector -D_GNU_SOURCE $TC_CFLAGS"

# compile_all <objdir> <extra cflags> <sources...>: $JOBS in parallel, fails if any file fails.
compile_all() {
  objdir=$1; extra=$2; shift 2
  mkdir -p "$objdir"
  export CC CFLAGS_COMMON objdir extra
  printf '%s\n' "$@" | xargs -P "$JOBS" -n 1 sh -c \
    'exec $CC $CFLAGS_COMMON $extra -c "$1" -o "$objdir/$(basename "$1" .c).o"' sh
}

build_modbus() {
  [ -f "$prefix/.modbus.stamp" ] && return 0
  s="$deps/src/libmodbus"
  b="$out/obj/libmodbus"
  log "libmodbus"
  rm -rf "$b"; mkdir -p "$b/gen" "$prefix/lib" "$prefix/include/modbus"
  ver=$(sed -n 's/^m4_define(\[libmodbus_version_\(major\|minor\|micro\)\], \[\([0-9]*\)\]).*/\1 \2/p' "$s/configure.ac")
  maj=$(echo "$ver" | awk '$1=="major"{print $2}')
  min=$(echo "$ver" | awk '$1=="minor"{print $2}')
  mic=$(echo "$ver" | awk '$1=="micro"{print $2}')
  [ -n "$maj" ] && [ -n "$min" ] && [ -n "$mic" ] || { echo "build-deps: cannot read libmodbus version" >&2; exit 1; }
  sed -e "s/@LIBMODBUS_VERSION_MAJOR@/$maj/; s/@LIBMODBUS_VERSION_MINOR@/$min/; s/@LIBMODBUS_VERSION_MICRO@/$mic/" \
      -e "s/@LIBMODBUS_VERSION@/$maj.$min.$mic/g" "$s/src/modbus-version.h.in" > "$b/gen/modbus-version.h"
  # What configure would find on Linux with musl.
  cat > "$b/gen/config.h" <<'EOF'
/* libmodbus config.h for Linux/musl (written by Toolchain/build-deps.sh in place of configure). */
#define HAVE_ARPA_INET_H 1
#define HAVE_BYTESWAP_H 1
#define HAVE_ERRNO_H 1
#define HAVE_FCNTL_H 1
#define HAVE_LIMITS_H 1
#define HAVE_LINUX_SERIAL_H 1
#define HAVE_NETDB_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_NETINET_TCP_H 1
#define HAVE_SYS_IOCTL_H 1
#define HAVE_SYS_PARAMS_H 1
#define HAVE_SYS_SOCKET_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_TERMIOS_H 1
#define HAVE_TIME_H 1
#define HAVE_UNISTD_H 1
#define HAVE_ACCEPT4 1
#define HAVE_GETADDRINFO 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_INET_NTOA 1
#define HAVE_SELECT 1
#define HAVE_SOCKET 1
#define HAVE_STRERROR 1
#define HAVE_STRLCPY 1
#define HAVE_DECL___CYGWIN__ 0
#define HAVE_DECL_TIOCSRS485 1
#define HAVE_DECL_TIOCM_RTS 1
EOF
  compile_all "$b" "-I$b/gen -I$s/src -DHAVE_CONFIG_H" "$s"/src/modbus.c "$s"/src/modbus-data.c "$s"/src/modbus-rtu.c "$s"/src/modbus-tcp.c
  rm -f "$prefix/lib/libmodbus.a"
  "$AR" rcs "$prefix/lib/libmodbus.a" "$b"/*.o
  cp "$s"/src/modbus.h "$s"/src/modbus-rtu.h "$s"/src/modbus-tcp.h "$b/gen/modbus-version.h" "$prefix/include/modbus/"
  touch "$prefix/.modbus.stamp"
}

build_mbedtls() {
  conf="$here/mbedtls-firmware.conf"
  # The stamp holds the configuration it was built with: a changed mbedtls-firmware.conf rebuilds.
  [ -f "$prefix/.mbedtls.stamp" ] && cmp -s "$conf" "$prefix/.mbedtls.stamp" && return 0
  s="$deps/src/mbedtls"
  b="$out/obj/mbedtls"
  log "mbedtls (configured by $(basename "$conf"))"
  rm -rf "$b"; mkdir -p "$b/include" "$prefix/lib" "$prefix/include"
  # Headers with our configuration: a copy of Debian's include/ with config.h changed line by line.
  cp -a "$s/include/." "$b/include/"
  grep -v '^[[:space:]]*\(#\|$\)' "$conf" | while read -r op symbol value; do
    case "$op" in
      set|unset) python3 "$s/scripts/config.py" --file "$b/include/mbedtls/config.h" "$op" "$symbol" $value ||
        { echo "build-deps: mbedtls-firmware.conf: cannot $op $symbol" >&2; exit 1; } ;;
      *) echo "build-deps: mbedtls-firmware.conf: unknown operation '$op'" >&2; exit 1 ;;
    esac
  done
  compile_all "$b" "-I$b/include -I$s/library" "$s"/library/*.c
  # The library split of mbedTLS's own library/Makefile.
  x509="certs pkcs11 x509 x509_create x509_crl x509_crt x509_csr x509write_crt x509write_csr"
  tls="debug net_sockets ssl_cache ssl_ciphersuites ssl_cli ssl_cookie ssl_msg ssl_srv ssl_ticket ssl_tls ssl_tls13_keys"
  xo=""; to=""; co=""
  for o in "$b"/*.o; do
    n=$(basename "$o" .o)
    case " $x509 " in *" $n "*) xo="$xo $o"; continue;; esac
    case " $tls " in *" $n "*) to="$to $o"; continue;; esac
    co="$co $o"
  done
  # Archives and headers are built aside and moved into place, so a firmware build running
  # meanwhile sees the old set or the new one.
  for l in mbedx509 mbedtls mbedcrypto; do rm -f "$b/lib$l.a"; done
  "$AR" rcs "$b/libmbedx509.a" $xo
  "$AR" rcs "$b/libmbedtls.a" $to
  "$AR" rcs "$b/libmbedcrypto.a" $co
  for l in mbedx509 mbedtls mbedcrypto; do mv -f "$b/lib$l.a" "$prefix/lib/lib$l.a"; done
  for d in mbedtls psa; do
    [ -d "$b/include/$d" ] || continue
    rm -rf "$prefix/include/$d.old"
    [ -d "$prefix/include/$d" ] && mv "$prefix/include/$d" "$prefix/include/$d.old"
    cp -a "$b/include/$d" "$prefix/include/$d"
    rm -rf "$prefix/include/$d.old"
  done
  cp "$conf" "$prefix/.mbedtls.stamp"
}

build_sysroot
fetch_sources
build_modbus
build_mbedtls
