# Sourced by the plug-in's test and benchmark scripts: a temporary HOME for
# gimp-console ($tmp, removed on exit) with GIMP's user folders in it, and
# $dir, the plug-in's folder there (GIMP runs plug-ins/NAME/NAME).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" \
       XDG_CACHE_HOME="$tmp/home/.cache" XDG_DATA_HOME="$tmp/home/.local/share"
dir="$XDG_CONFIG_HOME/GIMP/3.0/plug-ins/gimp-harmonize"
mkdir -p "$dir"
