// Synthetic certificate records for tests and benchmarks: deterministic for
// a seed, shaped like the records certdb issues (the shared contract).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace certify::certdb {

// Calls `sink` with records CERT-<year>-<n> for n = 1..count, in id order,
// issue dates rising with n. About 1% are withdrawn, 5% extended to another
// product and 5% to another OS version.
void generate_certificates(std::size_t count, std::uint64_t seed,
                           const std::function<void(const nlohmann::json&)>& sink);

}  // namespace certify::certdb
