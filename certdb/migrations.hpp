// Versioned schema migrations, applied in order inside one write transaction
// each; the applied versions are recorded in schema_migrations.
#pragma once

#include "certdb/db.hpp"

namespace certify::certdb {

// The schema version this build writes.
int latest_schema_version();
// Applies every missing migration; returns the schema version afterwards.
// Refuses a database written by a newer certdb (higher version).
int migrate(Connection& c);
// The version recorded in the database (0 for an empty one).
int schema_version(Connection& c);

}  // namespace certify::certdb
