#!/bin/sh
# meson install script: copy the test suites (suite.xml and external test
# programs) into <datadir>/certify/testsuites, leaving out the C++ sources of
# built-in tests, which are compiled into certify.
set -eu
src="$MESON_SOURCE_ROOT/testsuites"
dst="${DESTDIR:-}$1"
cd "$src"
find . -type f ! -name '*.cpp' ! -name '*.hpp' ! -name 'meson.build' | while read -r f; do
  mode=0644; [ -x "$f" ] && mode=0755
  install -D -m "$mode" "$f" "$dst/$f"
done
