#!/bin/sh
# Installs durable_rules 2.0.28+kiyaku.2 into the environment of PYTHON: durable_rules 2.0.28 as
# published on PyPI (source only, built here with the C compiler it always needed), with the patches
# named below applied in turn. Why, and how to go back to the plain package: README.md here.
# Usage: sh vendor/durable_rules/install.sh PYTHON
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${1:?"usage: install.sh PYTHON (the interpreter of the environment to install into)"}
case $python in  # a relative path still names it after the cd below
    */*) python=$(cd "$(dirname "$python")" && pwd)/$(basename "$python") ;;
esac
version=2.0.28+kiyaku.2  # a new or changed patch needs a new label: an environment with this one is skipped
patches="growing-indexes.patch smaller-messages.patch"
sdist=durable_rules-2.0.28.tar.gz
sha256=053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61

if [ "$("$python" -c 'from importlib import metadata as m
try: print(m.version("durable_rules"))
except m.PackageNotFoundError: pass')" = "$version" ]; then
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download -qq --no-deps --no-binary :all: -d "$work" durable_rules==2.0.28
"$python" - "$work/$sdist" "$sha256" <<'PY' || exit 1
import hashlib, sys
path, expected = sys.argv[1:]
found = hashlib.sha256(open(path, "rb").read()).hexdigest()
if found != expected:
    sys.exit(f"{path}: sha256 {found}, not the {expected} that the patches were made for")
PY
tar xzf "$work/$sdist" -C "$work"
cd "$work/durable_rules-2.0.28"
for name in $patches; do
    if command -v patch >/dev/null 2>&1; then
        patch -p1 --quiet < "$here/$name"
    else
        git apply -p1 "$here/$name"
    fi
done
# the label, so that pip (and bench/run.py) tell this build from the plain package
sed -i.orig "s/version = '2.0.28',/version = '$version',/" setup.py
grep -q "version = '$version'," setup.py || { echo "install.sh: could not set the version in setup.py" >&2; exit 1; }
"$python" -m pip install -qq --no-deps .
