#!/usr/bin/env python3
"""Writes the hand-made RAS fixtures (tests/fixtures/ras-*): sysroots laid out
as the kernel's documented sysfs ABI (Documentation/ABI/testing/sysfs-bus-pci-
devices-aer_stats, sysfs-devices-edac, debugfs apei/einj) and SMBIOS type 17
structures (DMTF DSP0134). Run from the source root; review the diff."""
import gzip
import os
import shutil
import struct

COR = ["RxErr", "BadTLP", "BadDLLP", "Rollover", "Timeout", "NonFatalErr", "CorrIntErr", "HeaderOF"]
UNC = ["Undefined", "DLP", "SDES", "TLP", "FCP", "CmpltTO", "CmpltAbrt", "UnxCmplt", "RxOF", "MalfTLP",
       "ECRC", "UnsupReq", "ACSViol", "UncorrIntErr", "BlockedTLP", "AtomicOpBlocked", "TLPBlockedErr",
       "PoisonTLPBlocked"]


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def counters(names, total, values):
    lines = [f"{n} {values.get(n, 0)}" for n in names]
    lines.append(f"TOTAL_{total} {sum(values.values())}")
    return "\n".join(lines) + "\n"


def type17(handle, size_mb, locator, bank, ext_mb=None):
    strings = [locator, bank, "LabRAM", "DIMM-SN", "DIMM-ASSET", "DIMM-PN-3200"]
    size = 0x7FFF if ext_mb is not None else size_mb
    body = struct.pack("<BBH", 17, 0x28, handle)
    # 0x04..0x27: array handle, error handle, widths, size, form factor, set,
    # locator/bank strings, type, detail, speed, four strings, attributes,
    # extended size, configured speed, voltages.
    body += struct.pack("<HHHHHBBBBBHHBBBBBIHHHH", 0x1000, 0xFFFE, 72, 64, size, 0x09, 0, 1, 2, 0x1A, 0x80,
                        3200, 3, 4, 5, 6, 1, ext_mb or 0, 3200, 1200, 1200, 1200)
    assert len(body) == 0x28, len(body)
    return body + b"\0".join(s.encode() for s in strings) + b"\0\0"


def config_space(caps):
    """4096-byte config space with PCIe extended capabilities [(id, offset)]."""
    b = bytearray(4096)
    b[0:4] = struct.pack("<HH", 0x8086, 0x10D3)
    for i, (cap, off) in enumerate(caps):
        nxt = caps[i + 1][1] if i + 1 < len(caps) else 0
        b[off:off + 4] = struct.pack("<I", cap | (1 << 16) | (nxt << 20))
    return bytes(b)


def server(root, ue=0, smbios_dimms=2):
    shutil.rmtree(root, ignore_errors=True)
    # /proc
    write(f"{root}/proc/meminfo", "MemTotal:       32768000 kB\nMemFree:        30000000 kB\n"
          "HardwareCorrupted:     4 kB\nHugePages_Total:       0\nHugePages_Free:        0\n"
          "Hugepagesize:       2048 kB\n")
    write(f"{root}/proc/sys/kernel/osrelease", "6.1.0-lab-amd64\n")
    write(f"{root}/proc/sys/vm/memory_failure_recovery", "1\n")
    os.makedirs(f"{root}/proc", exist_ok=True)
    with gzip.open(f"{root}/proc/config.gz", "wb") as f:
        f.write(b"CONFIG_X86_MCE=y\nCONFIG_MEMORY_FAILURE=y\nCONFIG_HWPOISON_INJECT=m\n"
                b"# CONFIG_EDAC_DEBUG is not set\nCONFIG_PCIEAER_INJECT=m\n")
    # EDAC: one controller, two DIMMs (rank-less layout of modern drivers)
    mc = f"{root}/sys/devices/system/edac/mc/mc0"
    for k, v in {"mc_name": "Skylake Socket#0 IMC#0", "size_mb": "32768", "ce_count": "3",
                 "ue_count": str(ue), "ce_noinfo_count": "0", "ue_noinfo_count": "0",
                 "seconds_since_reset": "7200"}.items():
        write(f"{mc}/{k}", v + "\n")
    for i, (label, ce) in enumerate([("CPU_SrcID#0_MC#0_Chan#0_DIMM#0", 2), ("CPU_SrcID#0_MC#0_Chan#1_DIMM#0", 1)]):
        d = f"{mc}/dimm{i}"
        for k, v in {"dimm_label": label, "dimm_location": f"channel {i} slot 0 ", "dimm_mem_type": "Registered-DDR4",
                     "size": "16384", "dimm_ce_count": str(ce), "dimm_ue_count": str(ue if i == 0 else 0),
                     "dimm_edac_mode": "S4ECD4ED", "dimm_dev_type": "x4"}.items():
            write(f"{d}/{k}", v + "\n")
    # SMBIOS type 17: populated DIMMs plus an empty slot
    dimms = [(16384, "DIMM_A1", "NODE 1"), (16384, "DIMM_B1", "NODE 1"), (16384, "DIMM_C1", "NODE 1")][:smbios_dimms]
    for i, (size, loc, bank) in enumerate(dimms + [(0, "DIMM_D1", "NODE 1")]):
        write(f"{root}/sys/firmware/dmi/entries/17-{i}/raw", type17(0x1100 + i, size, loc, bank), "wb")
    # AER: a root port and an endpoint below it
    rp = f"{root}/sys/devices/pci0000:00/0000:00:03.0"
    ep = f"{rp}/0000:09:00.0"
    for d, cor in [(rp, {}), (ep, {"RxErr": 3, "BadTLP": 1})]:
        write(f"{d}/aer_dev_correctable", counters(COR, "ERR_COR", cor))
        write(f"{d}/aer_dev_fatal", counters(UNC, "ERR_FATAL", {}))
        write(f"{d}/aer_dev_nonfatal", counters(UNC, "ERR_NONFATAL", {"CmpltTO": 0}))
        write(f"{d}/config", config_space([(0x0001, 0x100), (0x0003, 0x140)]), "wb")
    for k, v in {"total_err_cor": 4, "total_err_fatal": 0, "total_err_nonfatal": 0}.items():
        write(f"{rp}/aer_rootport_{k}", f"{v}\n")
    # A bridge without AER: config space without the capability.
    write(f"{root}/sys/devices/pci0000:00/0000:00:1e.0/config", config_space([(0x000d, 0x100)]), "wb")
    os.makedirs(f"{root}/sys/bus/pci/devices", exist_ok=True)
    for rel in ["../../../devices/pci0000:00/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0/0000:09:00.0",
                "../../../devices/pci0000:00/0000:00:1e.0"]:
        os.symlink(rel, f"{root}/sys/bus/pci/devices/{os.path.basename(rel)}")
    # EINJ as the einj module shows it (debugfs), and the ACPI table.
    write(f"{root}/sys/firmware/acpi/tables/EINJ", "EINJ-table-placeholder-bytes\n")
    write(f"{root}/sys/kernel/debug/apei/einj/available_error_type",
          "0x00000002\tProcessor Uncorrectable non-fatal\n0x00000008\tMemory Correctable\n"
          "0x00000010\tMemory Uncorrectable non-fatal\n0x00000020\tMemory Uncorrectable fatal\n"
          "0x00000040\tPCI Express Correctable\n0x00000080\tPCI Express Uncorrectable non-fatal\n")


if __name__ == "__main__":
    server("tests/fixtures/ras-server")
    server("tests/fixtures/ras-server-ue", ue=2, smbios_dimms=3)
    with open("tests/fixtures/ras-server/smbios17-extended.bin", "wb") as f:
        f.write(type17(0x1200, 0, "DIMM_E1", "NODE 2", ext_mb=65536))
