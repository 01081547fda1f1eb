#!/usr/bin/env python3
"""Checks results.json of the lab run of the poison and ras suites: each
job's outcome and the metrics that prove it (exact signal codes, counters)."""
import json
import sys

BUS_MCEERR_AR = 4

def main(path):
    with open(path) as f:
        res = json.load(f)
    jobs = {j["test"]: j for j in res["jobs"]}
    problems = []

    def want(test, status, check=None):
        j = jobs.get(test)
        if j is None:
            problems.append(f"{test}: no job in the run")
            return
        if j["status"] != status:
            problems.append(f"{test}: {j['status']} ({j.get('reason', '')}), expected {status}")
            return
        if status == "skip" and not j.get("reason"):
            problems.append(f"{test}: skipped without a reason")
        if check:
            for msg in check(j.get("metrics") or {}):
                problems.append(f"{test}: {msg}")
        print(f"ok {test}: {status} - {j.get('reason', '')}")

    def poison_page(m):
        if m.get("si_code") != BUS_MCEERR_AR:
            yield f"si_code {m.get('si_code')} != BUS_MCEERR_AR"
        if m.get("si_addr_lsb") != 12:
            yield f"si_addr_lsb {m.get('si_addr_lsb')} != 12"
        if m.get("si_addr_matches") is not True:
            yield "si_addr is not the poisoned page"
        if m.get("hardware_corrupted_delta_kb") != 4:
            yield f"HardwareCorrupted delta {m.get('hardware_corrupted_delta_kb')} kB != 4"

    def kernel_copy(m):
        if m.get("write_poisoned_ret") != -1 or m.get("write_poisoned_errno") != 14:
            yield "write() from the poisoned page did not fail with EFAULT"
        if m.get("hardware_corrupted_delta_kb") != 4:
            yield f"HardwareCorrupted delta {m.get('hardware_corrupted_delta_kb')} kB != 4"

    def file_backed(m):
        if m.get("fsync_errno") != 5:
            yield f"fsync errno {m.get('fsync_errno')} != EIO"
        if m.get("hardware_corrupted_delta_kb") != 8:
            yield f"HardwareCorrupted delta {m.get('hardware_corrupted_delta_kb')} kB != 8"

    def soft_offline(m):
        if m.get("migrated") is not True:
            yield "page not migrated"

    def hugetlb(m):
        if m.get("si_code") != BUS_MCEERR_AR:
            yield f"si_code {m.get('si_code')} != BUS_MCEERR_AR"
        if m.get("si_addr_lsb") != 21:
            yield f"si_addr_lsb {m.get('si_addr_lsb')} != 21"

    want("poison.madvise-anon", "pass", poison_page)
    want("poison.kernel-copy", "pass", kernel_copy)
    want("poison.file-backed", "pass", file_backed)
    want("poison.soft-offline", "pass", soft_offline)
    want("poison.hugetlb", "pass", hugetlb)
    for test, status in EXPECT_RAS:
        want(test, status, RAS_CHECKS.get(test))
    if problems:
        print("FAIL:\n  " + "\n  ".join(problems))
        return 1
    print(f"all {len(jobs)} jobs as expected")
    return 0

# ras suite: filled in as its tests land.
EXPECT_RAS = []
RAS_CHECKS = {}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
