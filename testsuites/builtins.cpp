// The one list of built-in tests, by name as suite.xml refers to them
// (run="builtin:NAME"). Each test lives in testsuites/<class>/<name>.cpp.
#include "testsuites/builtin.hpp"

namespace certify::suites {

// Declarations of the test functions (one file each, grouped by class).
TestResult selftest_echo(TestContext& ctx);
TestResult poison_madvise_anon(TestContext& ctx);
TestResult poison_kernel_copy(TestContext& ctx);
TestResult poison_file_backed(TestContext& ctx);
TestResult poison_soft_offline(TestContext& ctx);
TestResult poison_hugetlb(TestContext& ctx);
TestResult ras_edac(TestContext& ctx);
TestResult ras_einj(TestContext& ctx);
TestResult ras_aer(TestContext& ctx);
TestResult ras_mce(TestContext& ctx);
TestResult ras_rasdaemon(TestContext& ctx);
// cpu/cpu.cpp
TestResult cpu_online(TestContext& ctx);
TestResult cpu_freq(TestContext& ctx);
TestResult cpu_freq_load(TestContext& ctx);
TestResult cpu_hotplug(TestContext& ctx);
TestResult cpu_isa(TestContext& ctx);
TestResult cpu_stress(TestContext& ctx);
// memory/memory.cpp
TestResult memory_size(TestContext& ctx);
TestResult memory_pattern(TestContext& ctx);
TestResult memory_hugepages(TestContext& ctx);
TestResult memory_numa(TestContext& ctx);
// nic/nic.cpp
TestResult nic_link(TestContext& ctx);
TestResult nic_ethtool(TestContext& ctx);
TestResult nic_mtu(TestContext& ctx);
TestResult nic_throughput(TestContext& ctx);
TestResult nic_peer_netns(TestContext& ctx);
TestResult nic_sriov(TestContext& ctx);
// rdma/rdma.cpp
TestResult rdma_port(TestContext& ctx);
TestResult rdma_bandwidth(TestContext& ctx);
// nvme/nvme.cpp
TestResult nvme_identify(TestContext& ctx);
TestResult nvme_smart(TestContext& ctx);
TestResult nvme_fwlog(TestContext& ctx);
TestResult nvme_reset(TestContext& ctx);
TestResult nvme_fio_sweep(TestContext& ctx);
TestResult pcie_link_test(TestContext& ctx);
TestResult block_read_verify(TestContext& ctx);
TestResult block_write_verify(TestContext& ctx);
// hba/hba.cpp (hba, fc, disk, gpu, dpu)
TestResult hba_hosts(TestContext& ctx);
TestResult hba_disks(TestContext& ctx);
TestResult hba_rescan(TestContext& ctx);
TestResult fc_port(TestContext& ctx);
TestResult disk_smart(TestContext& ctx);
TestResult gpu_drm(TestContext& ctx);
TestResult gpu_modes(TestContext& ctx);
TestResult gpu_vendor_tool(TestContext& ctx);
TestResult dpu_functions_test(TestContext& ctx);
TestResult dpu_firmware_test(TestContext& ctx);
// system/system.cpp
TestResult system_dmesg(TestContext& ctx);
TestResult system_pcie_links(TestContext& ctx);
TestResult system_iommu(TestContext& ctx);
TestResult system_secure_boot(TestContext& ctx);
TestResult system_kdump(TestContext& ctx);
TestResult system_watchdog(TestContext& ctx);
TestResult system_clock(TestContext& ctx);
TestResult system_perf(TestContext& ctx);
TestResult system_acpi(TestContext& ctx);
TestResult system_usb(TestContext& ctx);
TestResult system_kvm(TestContext& ctx);
TestResult system_ipmi(TestContext& ctx);
// system/reboot.cpp
TestResult system_watchdog_reset(TestContext& ctx);
TestResult system_crash_dump(TestContext& ctx);

namespace {

constexpr Builtin k_builtins[] = {
    {"selftest.echo", "Runner self-test: reports the context it was given", selftest_echo},
    {"poison.madvise-anon", "Poisoned anonymous page: SIGBUS BUS_MCEERR_AR to the toucher only", poison_madvise_anon},
    {"poison.kernel-copy", "Poisoned user buffer in write()/read(): EFAULT, no panic", poison_kernel_copy},
    {"poison.file-backed", "Poisoned page-cache pages: clean dropped, dirty SIGBUS + fsync EIO", poison_file_backed},
    {"poison.soft-offline", "Soft-offlined page in use migrates with its data, no signal", poison_soft_offline},
    {"poison.hugetlb", "Poisoned huge page: SIGBUS BUS_MCEERR_AR with the huge page's lsb", poison_hugetlb},
    {"ras.edac", "EDAC memory controllers and DIMM labels, consistent with SMBIOS; no uncorrected errors", ras_edac},
    {"ras.einj", "ACPI EINJ: error types; injected correctable memory error is reported", ras_einj},
    {"ras.aer", "PCIe AER counters; injected correctable error moves counter and log", ras_aer},
    {"ras.mce", "x86 machine check: injected corrected error reaches trace and log", ras_mce},
    {"ras.rasdaemon", "rasdaemon's database records the injected events", ras_rasdaemon},
    {"cpu.online", "Every present CPU online; work pinned to each CPU computes the right answer", cpu_online},
    {"cpu.freq", "cpufreq policies: governors selectable, frequency ranges consistent", cpu_freq},
    {"cpu.freq-load", "A load pinned to a CPU raises its frequency under a scaling governor", cpu_freq_load},
    {"cpu.hotplug", "A non-boot CPU goes offline and comes back online usable", cpu_hotplug},
    {"cpu.isa", "ISA flags of the architecture level are present on every CPU", cpu_isa},
    {"cpu.stress", "Sustained load on every CPU without wrong results, throttling or machine checks", cpu_stress},
    {"memory.size", "Kernel-visible memory matches the SMBIOS DIMMs within tolerance", memory_size},
    {"memory.pattern", "Pattern test (walking ones/zeros, checkerboard, random, address) over free memory with threads", memory_pattern},
    {"memory.hugepages", "Huge pages of every size reserve, fault in and hold data", memory_hugepages},
    {"memory.numa", "Memory bound to each NUMA node lands there; bandwidth per node", memory_numa},
    {"nic.link", "Link up at the expected speed, full duplex", nic_link},
    {"nic.ethtool", "Driver, bus address, offload features and queues answered by ethtool ioctls", nic_ethtool},
    {"nic.mtu", "MTU changes to 9000 and back", nic_mtu},
    {"nic.throughput", "TCP/UDP throughput and loss against a certify peer, both directions", nic_throughput},
    {"nic.peer-netns", "The peer test between two network namespaces over veth", nic_peer_netns},
    {"nic.sriov", "SR-IOV VFs appear when enabled and go when disabled", nic_sriov},
    {"rdma.port", "RDMA port ACTIVE and LinkUp at a known rate; RoCE ports name their netdev", rdma_port},
    {"rdma.bandwidth", "perftest ib_write_bw/ib_send_bw against a certify peer: bandwidth above zero and against the port rate", rdma_bandwidth},
    {"nvme.identify", "Identify Controller and namespaces agree with the kernel's view", nvme_identify},
    {"nvme.smart", "SMART / Health log without critical warnings or media errors", nvme_smart},
    {"nvme.fwlog", "Firmware Slot log: active slot runs the reported firmware", nvme_fwlog},
    {"nvme.reset", "Controller reset recovers to live and answers Identify", nvme_reset},
    {"nvme.fio-sweep", "fio random-read queue-depth sweep scales", nvme_fio_sweep},
    {"pcie.link", "PCIe link trained at the best speed and width both ends support", pcie_link_test},
    {"block.read-verify", "O_DIRECT reads across the device are stable", block_read_verify},
    {"block.write-verify", "O_DIRECT write/read/verify across the device (destructive)", block_write_verify},
    {"hba.hosts", "Adapter bound to a driver with its SCSI hosts running", hba_hosts},
    {"hba.disks", "Disks behind the adapter enumerate and are usable", hba_disks},
    {"hba.rescan", "A SCSI host rescan keeps every disk", hba_rescan},
    {"fc.port", "FC port online at a supported speed", fc_port},
    {"disk.smart", "SMART overall health through smartctl", disk_smart},
    {"gpu.drm", "GPU bound to a driver; its DRM/accel nodes open and name the driver", gpu_drm},
    {"gpu.modes", "Connected displays list modes (KMS)", gpu_modes},
    {"gpu.vendor-tool", "nvidia-smi / rocm-smi see the GPU", gpu_vendor_tool},
    {"dpu.functions", "The DPU's functions are present, bound, with network ports", dpu_functions_test},
    {"dpu.firmware", "The DPU reports its firmware version", dpu_firmware_test},
    {"system.dmesg", "No hardware or kernel errors in the kernel log", system_dmesg},
    {"system.pcie-links", "Every PCIe link trained at its maximum", system_pcie_links},
    {"system.iommu", "IOMMU enabled with sane groups", system_iommu},
    {"system.secure-boot", "Secure boot state readable (and enabled when required)", system_secure_boot},
    {"system.kdump", "Crash kernel reserved and loaded", system_kdump},
    {"system.watchdog", "Watchdog present, pettable and stoppable", system_watchdog},
    {"system.clock", "Monotonic clock never goes backwards; clocksource stable; RTC close to system time", system_clock},
    {"system.perf", "PMU events count", system_perf},
    {"system.acpi", "ACPI tables present with valid headers and checksums", system_acpi},
    {"system.usb", "USB controllers bound; devices enumerate with valid descriptors and drivers", system_usb},
    {"system.kvm", "A KVM guest runs when /dev/kvm exists", system_kvm},
    {"system.ipmi", "BMC FRU and sensors readable", system_ipmi},
    {"system.watchdog-reset", "The watchdog resets the machine when no longer petted (checked after the reboot)", system_watchdog_reset},
    {"system.crash-dump", "A forced crash is captured by kdump; the dump is readable after the reboot", system_crash_dump},
};

}  // namespace

std::span<const Builtin> builtins() { return k_builtins; }

}  // namespace certify::suites
