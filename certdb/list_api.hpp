// The public list over HTTP: GET /api/v1/list (filters, sort, paging),
// /api/v1/list.json, /api/v1/list.csv and /api/v1/certificates/{id}, served
// from a Catalog. certdb serve registers these on its own server.
#pragma once

#include <httplib.h>

#include "certdb/catalog.hpp"

namespace certify::certdb {

// Adds the read-only list routes and turns on TCP_NODELAY for the server.
// `catalog` must outlive the server; it may be updated (upsert) while the
// server runs.
void register_list_routes(httplib::Server& server, const Catalog& catalog);

}  // namespace certify::certdb
