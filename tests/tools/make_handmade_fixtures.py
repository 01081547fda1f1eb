#!/usr/bin/env python3
"""Builds the hand-made sysroots for hardware the virtual lab cannot emulate.

    tests/tools/make_handmade_fixtures.py [tests/fixtures]

Layouts follow the kernel's documented sysfs ABI:
  PCI:         Documentation/ABI/testing/sysfs-bus-pci (vendor, device, class,
               config, physfn/virtfnN, sriov_totalvfs/numvfs, boot_vga)
  FC:          drivers/scsi/scsi_transport_fc.c, Documentation/scsi/scsi_fc_transport.rst
               (fc_host: port_name, node_name, port_state, speed, supported_speeds, ...)
  InfiniBand:  Documentation/ABI/stable/sysfs-class-infiniband (node_guid, fw_ver,
               ports/N/{state,phys_state,rate,link_layer,lid,sm_lid,gids/0})
  amdgpu:      Documentation/gpu/amdgpu/driver-misc.rst (mem_info_vram_total, ...)
  accel:       Documentation/accel/introduction.rst (/sys/class/accel/accelN)
  net:         Documentation/ABI/testing/sysfs-class-net
Values are realistic but invented (serials, WWNs, GUIDs); tests assert them.
Re-run after changing this file; the output is committed.
"""
import os
import shutil
import struct
import sys


def put(root, path, text):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(p, mode) as f:
        f.write(text)


def link(root, path, target):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.lexists(p):
        os.remove(p)
    os.symlink(target, p)


def rel(frm_dir, to):
    return os.path.relpath(to, frm_dir)


def base(root, hostname):
    put(root, "/proc/sys/kernel/hostname", hostname + "\n")
    put(root, "/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n")
    put(root, "/proc/sys/kernel/arch", "x86_64\n")
    put(root, "/etc/os-release", 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')


def driver(root, bus, name, module=None, version=None):
    d = f"/sys/bus/{bus}/drivers/{name}"
    os.makedirs(os.path.join(root, d.lstrip("/")), exist_ok=True)
    if module:
        link(root, d + "/module", rel(d, f"/sys/module/{module}"))
        if version:
            put(root, f"/sys/module/{module}/version", version + "\n")
    else:
        put(root, d + "/.certify-keep", "")
    return d


def pci_fn(root, path, vendor, device, cls, sub=(0, 0), rev=0, drv=None, numa=-1, extra=None):
    """path: /sys/devices/pci0000:xx/.../dddd:bb:dd.f; cls: 0xCCSSPP."""
    bdf = os.path.basename(path)
    cfg = bytearray(64)
    struct.pack_into("<HH", cfg, 0, vendor, device)
    cfg[8] = rev
    cfg[9] = cls & 0xFF
    cfg[10] = (cls >> 8) & 0xFF
    cfg[11] = (cls >> 16) & 0xFF
    struct.pack_into("<HH", cfg, 0x2C, sub[0], sub[1])
    put(root, path + "/config", bytes(cfg))
    put(root, path + "/vendor", f"0x{vendor:04x}\n")
    put(root, path + "/device", f"0x{device:04x}\n")
    put(root, path + "/subsystem_vendor", f"0x{sub[0]:04x}\n")
    put(root, path + "/subsystem_device", f"0x{sub[1]:04x}\n")
    put(root, path + "/class", f"0x{cls:06x}\n")
    put(root, path + "/revision", f"0x{rev:02x}\n")
    put(root, path + "/numa_node", f"{numa}\n")
    put(root, path + "/resource", "0x0000000000000000 0x0000000000000000 0x0000000000000000\n")
    link(root, "/sys/bus/pci/devices/" + bdf, rel("/sys/bus/pci/devices", path))
    if drv:
        link(root, path + "/driver", rel(path, drv))
    for k, v in (extra or {}).items():
        put(root, path + "/" + k, v)
    return path


def netdev(root, parent, name, mac, typ=1, operstate="up", speed=None, mtu=1500, queues=4):
    d = parent + "/net/" + name
    put(root, d + "/address", mac + "\n")
    put(root, d + "/type", f"{typ}\n")
    put(root, d + "/mtu", f"{mtu}\n")
    put(root, d + "/operstate", operstate + "\n")
    put(root, d + "/carrier", "1\n" if operstate == "up" else "0\n")
    if speed:
        put(root, d + "/speed", f"{speed}\n")
        put(root, d + "/duplex", "full\n")
    put(root, d + "/uevent", f"INTERFACE={name}\n")
    for q in range(queues):
        os.makedirs(os.path.join(root, (d + f"/queues/rx-{q}").lstrip("/")), exist_ok=True)
        os.makedirs(os.path.join(root, (d + f"/queues/tx-{q}").lstrip("/")), exist_ok=True)
        put(root, d + f"/queues/rx-{q}/rps_cpus", "0\n")
        put(root, d + f"/queues/tx-{q}/xps_cpus", "0\n")
    link(root, d + "/device", rel(d, parent))
    link(root, "/sys/class/net/" + name, rel("/sys/class/net", d))
    return d


def fc_hba(root):
    base(root, "fc-host")
    qla = driver(root, "pci", "qla2xxx", "qla2xxx", "10.02.08.200-k")
    sd = driver(root, "scsi", "sd", "sd_mod")
    rp = "/sys/devices/pci0000:3a/0000:3a:00.0"
    pci_fn(root, rp, 0x8086, 0x2030, 0x060400, drv=driver(root, "pci", "pcieport"), numa=0)
    for fn, host, state, wwpn in ((0, 7, "Online", "0x21000024ff7a1b2c"), (1, 8, "Linkdown", "0x21000024ff7a1b2d")):
        dev = pci_fn(root, f"{rp}/0000:3b:00.{fn}", 0x1077, 0x2261, 0x0C0400, sub=(0x1077, 0x02E7),
                     rev=1, drv=qla, numa=0)
        h = f"{dev}/host{host}"
        sh = f"{h}/scsi_host/host{host}"
        for k, v in {"proc_name": "qla2xxx", "fw_version": "9.08.02 (d0d5)",
                     "driver_version": "10.02.08.200-k", "model_name": "QLE2742",
                     "serial_num": "RFD2031K55432", "optrom_bios_version": "3.64",
                     "nr_hw_queues": "16"}.items():
            put(root, f"{sh}/{k}", v + "\n")
        link(root, f"{sh}/device", "../../../host%d" % host)
        link(root, f"/sys/class/scsi_host/host{host}", rel("/sys/class/scsi_host", sh))
        fh = f"{h}/fc_host/host{host}"
        for k, v in {"port_name": wwpn, "node_name": wwpn.replace("0x21", "0x20", 1),
                     "port_state": state, "port_type": "NPort (fabric via point-to-point)" if state == "Online" else "Unknown",
                     "port_id": "0x010200" if state == "Online" else "0x000000",
                     "speed": "32 Gbit" if state == "Online" else "unknown",
                     "supported_speeds": "8 Gbit, 16 Gbit, 32 Gbit",
                     "fabric_name": "0x100000051e0a2b3c" if state == "Online" else "0xffffffffffffffff",
                     "symbolic_name": "QLE2742 FW:v9.08.02 DVR:v10.02.08.200-k",
                     "supported_classes": "Class 3"}.items():
            put(root, f"{fh}/{k}", v + "\n")
        link(root, f"{fh}/device", "../../../host%d" % host)
        link(root, f"/sys/class/fc_host/host{host}", rel("/sys/class/fc_host", fh))
        if state == "Online":
            sdev = f"{h}/rport-{host}:0-0/target{host}:0:0/{host}:0:0:1"
            for k, v in {"vendor": "NETAPP  ", "model": "LUN C-Mode      ", "rev": "9800",
                         "scsi_level": "7", "type": "0", "wwid": "naa.600a098038304437415d4b6a59684a52"}.items():
                put(root, f"{sdev}/{k}", v + "\n")
            link(root, f"{sdev}/driver", rel(sdev, sd))
            b = f"{sdev}/block/sdb"
            put(root, f"{b}/size", "2147483648\n")  # 1 TiB in 512-byte sectors
            put(root, f"{b}/removable", "0\n")
            put(root, f"{b}/ro", "0\n")
            put(root, f"{b}/queue/rotational", "0\n")
            put(root, f"{b}/queue/logical_block_size", "512\n")
            put(root, f"{b}/queue/physical_block_size", "4096\n")
            link(root, f"{b}/device", "../../../%d:0:0:1" % host)
            link(root, "/sys/class/block/sdb", rel("/sys/class/block", b))
            link(root, f"/sys/class/scsi_device/{host}:0:0:1", rel("/sys/class/scsi_device", sdev + f"/scsi_device/{host}:0:0:1"))
            os.makedirs(os.path.join(root, (sdev + f"/scsi_device/{host}:0:0:1").lstrip("/")), exist_ok=True)
            link(root, sdev + f"/scsi_device/{host}:0:0:1/device", "../..")


def infiniband(root):
    base(root, "ib-host")
    mlx = driver(root, "pci", "mlx5_core", "mlx5_core", "5.8-3.0.7")
    rp = "/sys/devices/pci0000:ae/0000:ae:00.0"
    pci_fn(root, rp, 0x8086, 0x347A, 0x060400, drv=driver(root, "pci", "pcieport"), numa=1)
    dev = pci_fn(root, f"{rp}/0000:af:00.0", 0x15B3, 0x101B, 0x020700, sub=(0x15B3, 0x0006), drv=mlx, numa=1,
                 extra={"current_link_speed": "16.0 GT/s PCIe\n", "max_link_speed": "16.0 GT/s PCIe\n",
                        "current_link_width": "16\n", "max_link_width": "16\n"})
    ib = f"{dev}/infiniband/mlx5_0"
    for k, v in {"node_guid": "b859:9f03:00d4:5f2a", "sys_image_guid": "b859:9f03:00d4:5f2a",
                 "fw_ver": "20.31.1014", "hca_type": "MT4123", "board_id": "MT_0000000223",
                 "node_type": "1: CA"}.items():
        put(root, f"{ib}/{k}", v + "\n")
    for k, v in {"state": "4: ACTIVE", "phys_state": "5: LinkUp", "rate": "200 Gb/sec (4X HDR)",
                 "link_layer": "InfiniBand", "lid": "0x1a", "sm_lid": "0x1",
                 "gids/0": "fe80:0000:0000:0000:b859:9f03:00d4:5f2a"}.items():
        put(root, f"{ib}/ports/1/{k}", v + "\n")
    link(root, f"{ib}/device", "../../../0000:af:00.0")
    link(root, "/sys/class/infiniband/mlx5_0", rel("/sys/class/infiniband", ib))
    netdev(root, dev, "ib0", "00:00:10:87:fe:80:00:00:00:00:00:00:b8:59:9f:03:00:d4:5f:2a",
           typ=32, speed=200000, mtu=4092, queues=8)


def dpu(root):
    base(root, "dpu-host")
    mlx = driver(root, "pci", "mlx5_core", "mlx5_core", "23.10-1.1.9")
    rp = "/sys/devices/pci0000:00/0000:00:01.1"
    pci_fn(root, rp, 0x1022, 0x1483, 0x060400, drv=driver(root, "pci", "pcieport"), numa=0)
    # BlueField-2: two ConnectX-6 Dx network functions and the SoC management function.
    for fn, name, mac in ((0, "ens1f0np0", "b8:ce:f6:6d:3a:10"), (1, "ens1f1np1", "b8:ce:f6:6d:3a:11")):
        dev = pci_fn(root, f"{rp}/0000:03:00.{fn}", 0x15B3, 0xA2D6, 0x020000, sub=(0x15B3, 0x0061), drv=mlx, numa=0)
        netdev(root, dev, name, mac, speed=100000, queues=8)
        put(root, f"{dev}/net/{name}/phys_port_name", f"p{fn}\n")
    pci_fn(root, f"{rp}/0000:03:00.2", 0x15B3, 0xC2D3, 0x080600, sub=(0x15B3, 0x0061), numa=0)


def gpu(root):
    base(root, "gpu-host")
    amd = driver(root, "pci", "amdgpu", "amdgpu")
    hl = driver(root, "pci", "habanalabs", "habanalabs", "1.15.1-62f612b")
    rp = "/sys/devices/pci0000:c0/0000:c0:01.1"
    pci_fn(root, rp, 0x1022, 0x1483, 0x060400, drv=driver(root, "pci", "pcieport"), numa=1)
    dev = pci_fn(root, f"{rp}/0000:c1:00.0", 0x1002, 0x740F, 0x038000, sub=(0x1002, 0x0C34), rev=2, drv=amd, numa=1,
                 extra={"mem_info_vram_total": "68702699520\n", "mem_info_vram_used": "11141120\n",
                        "mem_info_vis_vram_total": "68702699520\n", "mem_info_gtt_total": "270373462016\n",
                        "vbios_version": "113-D67301-063\n", "product_name": "AMD Instinct MI210\n",
                        "serial_number": "692215000311\n", "boot_vga": "0\n"})
    for node in ("card1", "renderD128"):
        d = f"{dev}/drm/{node}"
        put(root, f"{d}/dev", "226:1\n" if node == "card1" else "226:128\n")
        link(root, f"{d}/device", "../../../0000:c1:00.0")
        link(root, f"/sys/class/drm/{node}", rel("/sys/class/drm", d))
    put(root, "/sys/class/drm/version", "drm 1.1.0 20060810\n")
    # NVIDIA: no VRAM in sysfs; the proprietary driver's /proc/driver/nvidia/gpus/<bdf>/information
    # ("Key:\t value" lines, as nvidia-bug-report collects them).
    nv = driver(root, "pci", "nvidia", "nvidia", "535.104.05")
    rp3 = "/sys/devices/pci0000:80/0000:80:01.1"
    pci_fn(root, rp3, 0x1022, 0x1483, 0x060400, drv=driver(root, "pci", "pcieport"), numa=1)
    pci_fn(root, f"{rp3}/0000:81:00.0", 0x10DE, 0x20B5, 0x030200, sub=(0x10DE, 0x1533), rev=0xA1, drv=nv, numa=1,
           extra={"boot_vga": "0\n"})
    put(root, "/proc/driver/nvidia/gpus/0000:81:00.0/information",
        "Model: \t\t NVIDIA A100 80GB PCIe\nIRQ:   \t\t 120\n"
        "GPU UUID: \t GPU-3f2c8a1e-6d55-a2b4-91c3-0c7e5a6b4d21\nVideo BIOS: \t 92.00.45.00.06\n"
        "Bus Type: \t PCIe\nDMA Size: \t 47 bits\nBus Location: \t 0000:81:00.0\n")
    # A processing accelerator (PCI class 0x12) with an accel node.
    rp2 = "/sys/devices/pci0000:40/0000:40:03.1"
    pci_fn(root, rp2, 0x1022, 0x1483, 0x060400, drv=driver(root, "pci", "pcieport"), numa=0)
    acc = pci_fn(root, f"{rp2}/0000:41:00.0", 0x1DA3, 0x1020, 0x120000, sub=(0x1DA3, 0x1020), drv=hl, numa=0)
    a = f"{acc}/accel/accel0"
    put(root, f"{a}/dev", "261:0\n")
    link(root, f"{a}/device", "../../../0000:41:00.0")
    link(root, "/sys/class/accel/accel0", rel("/sys/class/accel", a))


def sriov(root):
    base(root, "sriov-host")
    ice = driver(root, "pci", "ice", "ice", "1.12.7")
    iavf = driver(root, "pci", "iavf", "iavf", "4.9.5")
    rp = "/sys/devices/pci0000:5d/0000:5d:02.0"
    pci_fn(root, rp, 0x8086, 0x347A, 0x060400, drv=driver(root, "pci", "pcieport"), numa=0)
    pf = pci_fn(root, f"{rp}/0000:5e:00.0", 0x8086, 0x1593, 0x020000, sub=(0x8086, 0x0005), rev=2, drv=ice, numa=0,
                extra={"sriov_totalvfs": "64\n", "sriov_numvfs": "64\n",
                       "current_link_speed": "16.0 GT/s PCIe\n", "max_link_speed": "16.0 GT/s PCIe\n",
                       "current_link_width": "8\n", "max_link_width": "16\n"})
    netdev(root, pf, "ens1f0", "b4:96:91:aa:bb:00", speed=25000, queues=16)
    for i in range(64):
        dev, fn = 1 + i // 8, i % 8
        vf = pci_fn(root, f"{rp}/0000:5e:{dev:02x}.{fn}", 0x8086, 0x1889, 0x020000, sub=(0x8086, 0x0000),
                    rev=2, drv=iavf, numa=0)
        link(root, f"{vf}/physfn", "../0000:5e:00.0")
        link(root, f"{pf}/virtfn{i}", f"../0000:5e:{dev:02x}.{fn}")
        netdev(root, vf, f"ens1f0v{i}", f"02:00:00:00:{i // 256:02x}:{i % 256:02x}", speed=25000, queues=4)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures")
    for name, fn in (("hw-fc-hba", fc_hba), ("hw-infiniband", infiniband), ("hw-dpu-bluefield2", dpu),
                     ("hw-gpu-vram", gpu), ("hw-nic-sriov64", sriov)):
        root = os.path.join(out, name)
        keep = os.path.join(root, "expected")
        saved = None
        if os.path.isdir(keep):
            saved = os.path.join(out, name + ".expected.save")
            shutil.move(keep, saved)
        shutil.rmtree(root, ignore_errors=True)
        fn(root)
        if saved:
            shutil.move(saved, keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
