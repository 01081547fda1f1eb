// Files a run makes on its way in (inventory.json, plan.json, the journal and
// their folders) reach the disk on a thread of their own while the first jobs
// run: each fsync costs milliseconds (tens to hundreds when other writers
// load the disk), and they were on the path to the first start. A file that
// nothing before the first start needs (plan.json: a resume plans again from
// the inventory and the journal) is also made and written there: building
// and printing the JSON of a 400-job plan took ~20 ms of the start-up.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace certify::runner {

// Until wait() returns, a power cut may lose what it syncs; a kill of the
// process never does (the data is in the kernel's page cache). So wait()
// comes before anything that may take the kernel down (RunOptions::before_durable)
// and before the run ends.
struct DeferredFile {
  std::filesystem::path path;  // a file or a folder
  // When set: called on the thread, its result written to `path`
  // (write_file_replace) before it is synced. What it reads must not change
  // until wait() returned.
  std::function<std::string()> content = {};
};

class DeferredSync {
 public:
  // Starts writing and syncing `files` in order.
  explicit DeferredSync(std::vector<DeferredFile> files);
  ~DeferredSync();  // waits
  DeferredSync(const DeferredSync&) = delete;
  DeferredSync& operator=(const DeferredSync&) = delete;
  // Blocks until every path is synced; the first failure names its path.
  Status wait();

 private:
  std::vector<DeferredFile> files_;
  std::optional<std::string> error_;  // written by the thread before it ends
  std::thread thread_;
  std::once_flag joined_;
};

// Writes `data` to a temporary file beside `path` and renames it over
// `path`, without an fsync: readers see the old or the new content, never a
// torn file, but durability against a power cut is the caller's (a
// DeferredSync of `path` and its folder).
Status write_file_replace(const std::filesystem::path& path, std::string_view data);

// syncfs(2) of the file system that holds `path`: everything written to it
// reaches the disk. It fails, once, for a write error anywhere on that file
// system that no syncfs reported yet, whoever's file it was.
Status sync_file_system(const std::filesystem::path& path);

}  // namespace certify::runner
