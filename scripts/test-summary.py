#!/usr/bin/env python3
"""Sum test cases over a meson test log.

doctest executables report their own case counts ("[doctest] test cases: ...");
any other test (a script) counts as one case: OK -> passed, SKIP -> skipped,
anything else -> failed. Prints "N passed, N failed, N skipped".
"""
import json
import re
import sys

DOCTEST = re.compile(
    r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed\s*\|\s*(\d+) skipped")


def main() -> int:
    passed = failed = skipped = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            m = None
            for m in DOCTEST.finditer(t.get("stdout", "") or ""):
                pass
            result = t.get("result", "")
            if m:
                _, p, fl, s = (int(x) for x in m.groups())
                passed += p
                failed += fl
                skipped += s
                if result not in ("OK", "EXPECTEDFAIL") and fl == 0:
                    failed += 1  # crashed or timed out after its summary
            elif result == "OK":
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1  # includes a doctest binary that crashed before its summary
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
