#!/usr/bin/env bash
# Release archives for sgkeys: one sgkeys-VERSION-TARGET.tar.gz per target, each holding
#   sgkeys                       the binary (release profile: thin LTO, symbols stripped)
#   README.md, LICENSE
#   completions/sgkeys.bash      bash  (copy to ~/.local/share/bash-completion/completions/sgkeys)
#   completions/_sgkeys          zsh   (into a directory on $fpath)
#   completions/sgkeys.fish      fish  (~/.config/fish/completions/)
#   man/man1/sgkeys*.1           man pages (MANPATH, or ~/.local/share/man/man1)
# and sgkeys-VERSION-SHA256SUMS over the archives (`sha256sum -c` checks them).
#
# Usage:
#   scripts/release.sh                  this machine's target
#   scripts/release.sh TARGET...        the targets named (see the matrix)
#   scripts/release.sh --binary PATH    package an already built binary for this machine's
#                                       target, building nothing (the tests use it)
#   DIST=DIR scripts/release.sh ...     write into DIR instead of dist/
#   GZIP_LEVEL=N                        gzip level (default 9)
#
# Target matrix: what each target needs on the machine that runs this script.
#
#   target                      build on               needs besides this repository's toolchain
#   x86_64-unknown-linux-gnu    Linux x86_64           nothing (built and checked on the project's machine)
#   aarch64-unknown-linux-gnu   Linux x86_64 (cross)   rustup target add aarch64-unknown-linux-gnu;
#                                                      apt-get install gcc-aarch64-linux-gnu (linker
#                                                      and C compiler for ring)
#                               Linux aarch64          nothing
#   x86_64-apple-darwin         macOS                  rustup target add x86_64-apple-darwin
#   aarch64-apple-darwin        macOS                  rustup target add aarch64-apple-darwin
#                                                      (Xcode command line tools for both)
#
# The completions and man pages come from a binary that runs here (this machine's target,
# built when it is not among the targets); they are the same for every target. Archives are
# reproducible where GNU tar is available: sorted names, owner 0, times from the last commit.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release.sh: $*" >&2; exit 1; }

host=$(rustc -vV | sed -n 's/^host: //p')
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
[ -n "$host" ] || die "cannot tell this machine's target (rustc -vV)"
[ -n "$version" ] || die "no version in Cargo.toml"
dist=${DIST:-dist}

prebuilt=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; prebuilt=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ -n "$prebuilt" ]; then
  [ ${#targets[@]} -eq 0 ] || die "--binary packages this machine's target only"
  [ -x "$prebuilt" ] || die "--binary $prebuilt: not an executable file"
fi
[ ${#targets[@]} -gt 0 ] || targets=("$host")

# A cross build needs its target's standard library and, for Linux aarch64 on x86_64, a
# cross linker and C compiler: say what is missing before building anything.
installed=$(rustup target list --installed 2>/dev/null || echo "$host")
for t in "${targets[@]}"; do
  case "$t" in
    x86_64-unknown-linux-gnu|aarch64-unknown-linux-gnu|x86_64-apple-darwin|aarch64-apple-darwin) ;;
    *) die "$t is not in the target matrix (see --help)" ;;
  esac
  if [ -z "$prebuilt" ] && ! grep -qx "$t" <<<"$installed"; then
    die "the Rust standard library for $t is not installed: rustup target add $t"
  fi
  if [ "$t" = aarch64-unknown-linux-gnu ] && [ "$host" != "$t" ]; then
    command -v aarch64-linux-gnu-gcc >/dev/null \
      || die "building $t on $host needs aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)"
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}
    export CC_aarch64_unknown_linux_gnu=${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}
  fi
done

target_dir=${CARGO_TARGET_DIR:-target}
binary_of() { echo "$target_dir/$1/release/sgkeys"; }
if [ -z "$prebuilt" ]; then
  for t in "${targets[@]}"; do
    echo "building sgkeys $version for $t"
    cargo build --release --locked --target "$t"
  done
fi

# the binary that writes the completions and man pages: one that runs here
if [ -n "$prebuilt" ]; then
  runner=$prebuilt
elif printf '%s\n' "${targets[@]}" | grep -qx "$host"; then
  runner=$(binary_of "$host")
else
  echo "building sgkeys for $host (to write the completions and man pages)"
  cargo build --release --locked --target "$host"
  runner=$(binary_of "$host")
fi
"$runner" --version | grep -q "^sgkeys $version " \
  || die "$runner is not sgkeys $version: $("$runner" --version)"

mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
assets="$work/assets"
mkdir -p "$assets/completions" "$assets/man/man1"
"$runner" completions bash > "$assets/completions/sgkeys.bash"
"$runner" completions zsh > "$assets/completions/_sgkeys"
"$runner" completions fish > "$assets/completions/sgkeys.fish"
"$runner" man --out "$assets/man/man1" >/dev/null

# reproducible archives where GNU tar is there
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  tar_flags=(--sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch")
else
  tar_flags=()
fi

archives=()
for t in "${targets[@]}"; do
  name="sgkeys-$version-$t"
  stage="$work/$name"
  mkdir -p "$stage"
  if [ -n "$prebuilt" ]; then
    install -m 0755 "$prebuilt" "$stage/sgkeys"
  else
    install -m 0755 "$(binary_of "$t")" "$stage/sgkeys"
  fi
  install -m 0644 README.md LICENSE "$stage/"
  cp -R "$assets/completions" "$assets/man" "$stage/"
  chmod -R u=rwX,go=rX "$stage"
  tar "${tar_flags[@]}" -C "$work" -cf - "$name" | gzip -n "-${GZIP_LEVEL:-9}" > "$dist/$name.tar.gz"
  archives+=("$name.tar.gz")
  echo "wrote $dist/$name.tar.gz"
done

sums="sgkeys-$version-SHA256SUMS"
(
  cd "$dist"
  if command -v sha256sum >/dev/null; then
    sha256sum "${archives[@]}"
  else
    shasum -a 256 "${archives[@]}"
  fi
) > "$dist/$sums.tmp"
# keep the sums of targets built earlier (another machine's archives copied into DIST)
if [ -f "$dist/$sums" ]; then
  grep -v -F -f <(printf '  %s\n' "${archives[@]}") "$dist/$sums" >> "$dist/$sums.tmp" || true
fi
sort -k2 "$dist/$sums.tmp" > "$dist/$sums" && rm -f "$dist/$sums.tmp"
echo "wrote $dist/$sums"
(cd "$dist" && if command -v sha256sum >/dev/null; then sha256sum -c --quiet "$sums"; else shasum -a 256 -c --quiet "$sums"; fi)
