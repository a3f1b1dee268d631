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
  apt_install "" "${missing[@]}"
}

# Installs Debian packages by name, without their recommended packages (as root, or through
# sudo): install_debian_packages PKG …
install_debian_packages() {
  [ "$#" -eq 0 ] && return 0
  apt_install --no-install-recommends "$@"
}

# apt_install OPTION PKG …: OPTION is passed to apt-get install ("" for none).
apt_install() {
  local option="$1" sudo=""
  shift
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing $*; install them with your package manager" >&2
    exit 1
  fi
  say "installing $* (not found)"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $option "$@" >/dev/null
}

# The fonts tia passes to typst with --font-path, as PACKAGE:FILE. Typst's embedded Libertinus
# Serif already covers Latin, Greek and Cyrillic; these add rare Latin/Cyrillic (Noto Serif),
# Arabic (Noto Naskh Arabic), Chinese, Japanese and Korean (Noto Sans CJK, regular weight only:
# the bold .ttc is another 20 MB) and emoji (Noto Color Emoji, written as Type 3 bitmap glyphs,
# which PDF/A-2 and PDF/UA-1 accept). About 32 MB in all.
TIA_FONT_FILES=(
  "fonts-noto-core:/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf"
  "fonts-noto-core:/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf"
  "fonts-noto-core:/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"
  "fonts-noto-core:/usr/share/fonts/truetype/noto/NotoNaskhArabic-Bold.ttf"
  "fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
  "fonts-noto-color-emoji:/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
)

# Fills $TIA_TOOLS/fonts with TIA_FONT_FILES and each package's licence (LICENSE-PACKAGE.txt,
# from /usr/share/doc/PACKAGE/copyright), installing the Debian packages whose files are
# missing, and exports TIA_FONTS. Does nothing but look when the folder is complete.
ensure_fonts() {
  local dir="$TIA_TOOLS/fonts" entry pkg src complete=1
  local pkgs=() missing=()
  for entry in "${TIA_FONT_FILES[@]}"; do
    pkg="${entry%%:*}"
    [ -s "$dir/$(basename "${entry#*:}")" ] || complete=0
    case " ${pkgs[*]} " in *" $pkg "*) ;; *) pkgs+=("$pkg") ;; esac
  done
  for pkg in "${pkgs[@]}"; do
    [ -s "$dir/LICENSE-$pkg.txt" ] || complete=0
  done
  export TIA_FONTS="$dir"
  [ "$complete" -eq 1 ] && return 0

  for entry in "${TIA_FONT_FILES[@]}"; do
    pkg="${entry%%:*}"
    src="${entry#*:}"
    if [ ! -s "$src" ] || [ ! -s "/usr/share/doc/$pkg/copyright" ]; then
      case " ${missing[*]} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
    fi
  done
  install_debian_packages "${missing[@]}"

  mkdir -p "$dir"
  for entry in "${TIA_FONT_FILES[@]}"; do
    src="${entry#*:}"
    if [ ! -s "$src" ]; then
      echo "error: $src is missing after installing ${entry%%:*}" >&2
      exit 1
    fi
    if [ ! -s "$dir/$(basename "$src")" ]; then
      # Copied, not linked: the folder stays whole if the packages are removed later.
      cp "$src" "$dir/.$(basename "$src").part"
      mv "$dir/.$(basename "$src").part" "$dir/$(basename "$src")"
    fi
  done
  for pkg in "${pkgs[@]}"; do
    if [ ! -s "$dir/LICENSE-$pkg.txt" ]; then
      cp "/usr/share/doc/$pkg/copyright" "$dir/LICENSE-$pkg.txt"
    fi
  done
  say "fonts ready in $dir ($(du -sh "$dir" | cut -f1))"
}

# Makes $TIA_TOOLS/venv with pikepdf (for tests/pdfcheck.py) unless it is there, and exports
# TIA_PYTHON. Installs Debian's python3-venv when python3 cannot make a venv.
PIKEPDF_VERSION="10.18.0"
ensure_pikepdf() {
  local venv="$TIA_TOOLS/venv"
  export TIA_PYTHON="$venv/bin/python"
  if [ -x "$TIA_PYTHON" ] && "$TIA_PYTHON" -c 'import pikepdf' >/dev/null 2>&1; then
    return 0
  fi
  ensure_debian python3:python3
  local python="python3"
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    install_debian_packages python3-venv
    # A python3 from pyenv or the like may come before Debian's on PATH.
    "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 || python="/usr/bin/python3"
  fi
  say "making a Python venv with pikepdf $PIKEPDF_VERSION in $venv"
  if [ ! -x "$TIA_PYTHON" ]; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
  fi
  "$TIA_PYTHON" -m pip install --quiet --disable-pip-version-check "pikepdf==$PIKEPDF_VERSION"
}

# The OpenID provider the single sign-on test starts: Node.js (Debian's, when missing) and the
# `oidc-provider` package from npm, pinned by tests/oidc/package-lock.json, installed once.
ensure_oidc_provider() {
  ensure_debian node:nodejs npm:npm
  [ -d tests/oidc/node_modules/oidc-provider ] && return 0
  say "installing the test OpenID provider (npm ci in tests/oidc)"
  npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
}
