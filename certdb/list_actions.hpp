// Reviewer actions on an issued certificate (issue 10): extend it to another
// product or OS version with a recorded basis, or withdraw it with a reason.
// Pure functions from the old record to the new one; certdb's store saves
// the result (audit entry, change notification).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/result.hpp"

namespace certify::certdb {

// `request` is {"kind":"product","product":"...","model":"...","basis":"...",
// and the shared hardware: "board" for a system, or "pci":{"vendor_id",
// "device_id","subsystem_vendor_id","subsystem_device_id"} for a component}
// or {"kind":"os","os":{"id","version_id"},"basis":"..."}. A product
// extension must name hardware the certificate tested (same board; same
// PCI vendor, device and subsystem IDs); the check is written into the basis.
// Refused for a withdrawn certificate and for a duplicate extension.
Result<nlohmann::json> extend_certificate(const nlohmann::json& record, const nlohmann::json& request,
                                          const std::string& by, const std::string& date);

// Marks the certificate withdrawn with reason, reviewer and date; refused
// when already withdrawn or without a reason.
Result<nlohmann::json> withdraw_certificate(const nlohmann::json& record, const std::string& reason,
                                            const std::string& by, const std::string& date);

}  // namespace certify::certdb
