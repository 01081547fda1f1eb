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
};

}  // namespace

std::span<const Builtin> builtins() { return k_builtins; }

}  // namespace certify::suites
