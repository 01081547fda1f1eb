// Route hooks: parts of certdb that add HTTP routes to the server (the public
// list of issue 10 adds GET /api/v1/list*, /api/v1/certificates/{id}). One
// entry per part; each gets the httplib server and the store before listening.
#pragma once

#include <vector>

#include "certdb/list_service.hpp"
#include "certdb/server.hpp"

namespace certify::certdb {

inline std::vector<Server::RouteHook> route_hooks() {
  std::vector<Server::RouteHook> hooks;
  hooks.push_back(public_list_hook());  // publication (issue 10)
  return hooks;
}

}  // namespace certify::certdb
