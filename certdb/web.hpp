// Server-rendered web pages under /ui: login by token (session cookie),
// submitters' "my submissions", reviewers' queue, submission detail with
// inventory, results, logs, comments, version diff and review actions.
#pragma once

#include <httplib.h>

#include "certdb/ingest.hpp"
#include "certdb/store.hpp"

namespace certify::certdb {

void install_web(httplib::Server& http, Store& store, BundleVerifier& verifier);

}  // namespace certify::certdb
