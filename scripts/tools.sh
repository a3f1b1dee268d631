# Shared by scripts/demo, scripts/test and .ci/run: find or install what tia needs, each only
# when it is missing. Source it; it defines functions and changes nothing by itself.

TYPST_VERSION="0.15.1"
# typst is installed here (user-local, shared by every clone); tia looks here too.
TIA_TOOLS="${TIA_TOOLS:-$HOME/.local/share/tia/tools}"
export TIA_TOOLS

say() { printf '== %s\n' "$*" >&2; }

need_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
      export PATH="$HOME/.cargo/bin:$PATH"
    else
      echo "error: cargo is not installed; install Rust with rustup (https://rustup.rs)" >&2
      exit 1
    fi
  fi
}

# Sets TYPST_BIN to a typst that runs: TYPST_BIN, PATH, $TIA_TOOLS/bin or ~/.cargo/bin; else
# builds the pinned typst-cli from crates.io into $TIA_TOOLS (6 to 30 minutes on 2 cores).
ensure_typst() {
  local candidate
  for candidate in "${TYPST_BIN:-}" "$(command -v typst 2>/dev/null || true)" \
                   "$TIA_TOOLS/bin/typst" "${CARGO_HOME:-$HOME/.cargo}/bin/typst"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
      export TYPST_BIN="$candidate"
      return 0
    fi
  done
  need_cargo
  say "typst is not installed: building typst-cli $TYPST_VERSION from crates.io into $TIA_TOOLS"
  say "this happens once and takes 6 to 30 minutes on 2 cores; the memo follows when it is done"
  local start=$SECONDS
  cargo install --locked --quiet typst-cli --version "$TYPST_VERSION" --root "$TIA_TOOLS"
  say "typst installed in $((SECONDS - start)) s: $TIA_TOOLS/bin/typst"
  export TYPST_BIN="$TIA_TOOLS/bin/typst"
}

# Installs Debian packages whose command is missing: ensure_debian CMD:PACKAGE …
ensure_debian() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${missing[*]}; install them with your package manager" >&2
    exit 1
  fi
  say "installing ${missing[*]} (not found)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
