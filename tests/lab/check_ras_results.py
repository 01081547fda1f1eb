#!/usr/bin/env python3
"""Checks results.json of the lab run of the poison and ras suites: each
job's outcome and the metrics that prove it (exact signal codes, counters)."""
import json
import os
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
        if status == "skip" and SKIP_WORDS.get(test, "") not in j.get("reason", ""):
            problems.append(f"{test}: skip reason does not mention {SKIP_WORDS[test]}: {j.get('reason')}")
        m = j.get("metrics") or {}
        if check:
            for msg in check(m):
                problems.append(f"{test}: {msg}")
        if test.startswith("poison.") and status == "pass":
            # The lab kernel has hwpoison_inject: every poisoned page goes back.
            if m.get("unpoisoned") is not True:
                problems.append(f"{test}: page not unpoisoned")
            elif m.get("hardware_corrupted_after_unpoison_kb") != m.get("hardware_corrupted_before_kb"):
                problems.append(f"{test}: HardwareCorrupted {m.get('hardware_corrupted_after_unpoison_kb')} kB after unpoison, "
                                f"{m.get('hardware_corrupted_before_kb')} kB before")
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
    # Without a disk file system in the guest (see ras_lab.sh) it must say so.
    if os.environ.get("RAS_LAB_NO_DISK") == "1":
        SKIP_WORDS["poison.file-backed"] = "disk file system"
        want("poison.file-backed", "skip")
    else:
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

def aer(m):
    if m.get("injected") is not True:
        yield "no injection through aer_inject"
    for k in ("rxerr_delta", "total_err_cor_delta", "root_port_total_err_cor_delta"):
        if m.get(k) != 1:
            yield f"{k} {m.get(k)} != 1"
    if m.get("logged") is not True:
        yield "not in the kernel log"
    if m.get("target") != "0000:09:00.0" or m.get("root_port") != "0000:00:03.0":
        yield f"injected on {m.get('target')} under {m.get('root_port')}, expected the e1000e 0000:09:00.0 under 0000:00:03.0"


def mce(m):
    if m.get("in_trace") is not True:
        yield "injected machine check not in the mce_record trace event"
    if m.get("in_kernel_log") is not True:
        yield "injected machine check not in the kernel log"


# The lab has no EINJ, no EDAC memory controller and no rasdaemon: those skip.
EXPECT_RAS = [("ras.edac", "skip"), ("ras.einj", "skip"), ("ras.aer", "pass"),
              ("ras.rasdaemon", "skip"), ("ras.mce", "pass")]
RAS_CHECKS = {"ras.aer": aer, "ras.mce": mce}
SKIP_WORDS = {"ras.edac": "EDAC", "ras.einj": "EINJ", "ras.rasdaemon": "rasdaemon"}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
