// The public list inside `certdb serve` (issue 10): a Catalog fed from the
// store's certificates at start and kept current by the store's
// certificate-change notification; the read-only list routes
// (list_api.hpp) plus the reviewer actions on certificates (extend,
// withdraw), which go through the store so that each one is audited.
#pragma once

#include "certdb/server.hpp"

namespace certify::certdb {

// The route hook for routes.hpp. Loads every certificate of the store into a
// catalog (errors of single records are reported on stderr, not fatal),
// subscribes to changes, and adds:
//   GET  /api/v1/list, /api/v1/list.json, /api/v1/list.csv, /api/v1/certificates/{id}  (public)
//   POST /api/v1/certificates/{id}/extend    {"kind":"product"|"os", ..., "basis"}  (reviewers)
//   POST /api/v1/certificates/{id}/withdraw  {"reason"}                             (reviewers)
// A reviewer of the organisation that submitted the certificate may not
// extend it (no one reviews their own organisation's work).
Server::RouteHook public_list_hook();

}  // namespace certify::certdb
