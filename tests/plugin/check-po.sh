#!/bin/sh
# The translations are complete and well formed, for the plug-in's domain
# (po/) and the engine's (po/engine/): each catalogue in LINGUAS compiles with
# msgfmt -c, has no fuzzy or untranslated entry, and translates every message
# the sources (POTFILES) have now.
#
#   check-po.sh SOURCE_ROOT
set -eu
root=$1
command -v msgfmt >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 \
    || { echo "gettext tools not found: skipped"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

status=0
check() {   # check DIR: the catalogues in DIR against its POTFILES
    # The template as `ninja gimp-harmonize-pot` makes it (meson's glib preset).
    (cd "$root" && xgettext --from-code=UTF-8 --add-comments \
        --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
        --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
        --files-from="$1/POTFILES" -o "$tmp/template.pot")
    echo "$1: $(grep -c '^msgid ' "$tmp/template.pot") messages in the sources"
    for lang in $(grep -v '^#' "$root/$1/LINGUAS"); do
        po="$root/$1/$lang.po"
        if ! stats=$(LC_ALL=C msgfmt -c --statistics -o /dev/null "$po" 2>&1); then
            echo "$po: msgfmt -c failed:"; echo "$stats"; status=1; continue
        fi
        echo "$po: $stats"
        case "$stats" in *fuzzy*|*untranslated*) echo "$po: incomplete"; status=1 ;; esac
        if ! LC_ALL=C msgcmp "$po" "$tmp/template.pot" 2>"$tmp/msgcmp"; then
            echo "$po: messages of the sources missing from it:"
            cat "$tmp/msgcmp"; status=1
        fi
    done
}
check po
check po/engine
exit $status
