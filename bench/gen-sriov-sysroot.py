#!/usr/bin/env python3
"""Writes a synthetic sysroot with many SR-IOV functions for bench/probe.sh.

    bench/gen-sriov-sysroot.py DIR [PFS] [VFS_PER_PF]    (default 32 x 63 -> 2048 functions)

Each PF is an Intel E810 (8086:1593, driver ice) behind its own root port,
with VFS_PER_PF virtual functions (8086:1889, driver iavf) linked through
virtfnN/physfn, the layout of tests/fixtures/hw-nic-sriov64 (the kernel's
sysfs ABI: Documentation/ABI/testing/sysfs-bus-pci).
"""
import os
import sys


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def config_space(vendor, device, cls, header_type=0):
    b = bytearray(64)
    b[0:2] = vendor.to_bytes(2, "little")
    b[2:4] = device.to_bytes(2, "little")
    b[8] = 2  # revision
    b[9:12] = cls.to_bytes(3, "little")
    b[14] = header_type
    return bytes(b)


def function(root, path, vendor, device, cls, driver, numa, extra=None):
    d = os.path.join(root, path.lstrip("/"))
    os.makedirs(d, exist_ok=True)
    write(f"{d}/vendor", f"0x{vendor:04x}\n")
    write(f"{d}/device", f"0x{device:04x}\n")
    write(f"{d}/class", f"0x{cls:06x}\n")
    write(f"{d}/subsystem_vendor", "0x8086\n")
    write(f"{d}/subsystem_device", "0x0001\n")
    write(f"{d}/revision", "0x02\n")
    write(f"{d}/numa_node", f"{numa}\n")
    write(f"{d}/resource", "0x0000000000000000 0x0000000000000000 0x0000000000000000\n")
    write(f"{d}/config", config_space(vendor, device, cls, 1 if cls == 0x060400 else 0), "wb")
    # As the kernel writes it (dev_uevent() then pci_uevent()): a real
    # kernel's function has one, and certify reads it first.
    bdf = os.path.basename(d)
    write(f"{d}/uevent", f"DRIVER={driver}\nPCI_CLASS={cls:X}\nPCI_ID={vendor:04X}:{device:04X}\n"
                         f"PCI_SUBSYS_ID=8086:0001\nPCI_SLOT_NAME={bdf}\n"
                         f"MODALIAS=pci:v{vendor:08X}d{device:08X}sv00008086sd00000001"
                         f"bc{cls >> 16:02X}sc{(cls >> 8) & 0xff:02X}i{cls & 0xff:02X}\n")
    rel_drivers = os.path.relpath(os.path.join(root, "sys/bus/pci/drivers", driver), d)
    os.makedirs(os.path.join(root, "sys/bus/pci/drivers", driver), exist_ok=True)
    os.symlink(rel_drivers, f"{d}/driver")
    for k, v in (extra or {}).items():
        write(f"{d}/{k}", v)
    link = os.path.join(root, "sys/bus/pci/devices", bdf)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(os.path.relpath(d, os.path.dirname(link)), link)
    return d


def main():
    root = sys.argv[1]
    pfs = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    vfs = int(sys.argv[3]) if len(sys.argv) > 3 else 63
    write(f"{root}/etc/os-release", 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    write(f"{root}/proc/sys/kernel/osrelease", "6.1.0-bench\n")
    write(f"{root}/proc/sys/kernel/arch", "x86_64\n")
    link = {"current_link_speed": "16.0 GT/s PCIe\n", "current_link_width": "16\n",
            "max_link_speed": "16.0 GT/s PCIe\n", "max_link_width": "16\n"}
    total = 0
    for p in range(pfs):
        seg_bus = 0x10 + p * 2  # root port on bus N, the card on N+1
        port = f"/sys/devices/pci0000:{seg_bus:02x}/0000:{seg_bus:02x}:00.0"
        function(root, port, 0x8086, 0x347a, 0x060400, "pcieport", p % 2, link)
        bus = seg_bus + 1
        pf = f"{port}/0000:{bus:02x}:00.0"
        pf_dir = function(root, pf, 0x8086, 0x1593, 0x020000, "ice", p % 2,
                          dict(link, sriov_totalvfs=f"{vfs}\n", sriov_numvfs=f"{vfs}\n"))
        total += 2
        for v in range(vfs):
            devfn = 8 + v  # VFs from device 1 function 0 on
            vf_bdf = f"0000:{bus:02x}:{devfn >> 3:02x}.{devfn & 7}"
            vf_dir = function(root, f"{port}/{vf_bdf}", 0x8086, 0x1889, 0x020000, "iavf", p % 2)
            os.symlink(f"../{vf_bdf}", f"{pf_dir}/virtfn{v}")
            os.symlink(f"../0000:{bus:02x}:00.0", f"{vf_dir}/physfn")
            total += 1
    print(total)


if __name__ == "__main__":
    main()
