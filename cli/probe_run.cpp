// certify probe: enumerate the machine (or a recorded sysroot) and print the
// inventory as JSON, XML or a table; the probe front's reader of its
// command line. No CLI11 and no iostreams here (probe_run.hpp says why).
#include "cli/probe_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>

#include "cli/errors.hpp"
#include "core/files.hpp"
#include "probe/json_text.hpp"
#include "probe/probe.hpp"
#include "probe/record.hpp"

namespace certify::cli {

const ProbeOption k_probe_options[10] = {
    {"--sysroot", nullptr, &ProbeArgs::sysroot},
    {"--format", "-f", &ProbeArgs::format},
    {"--class", "-c", nullptr, &ProbeArgs::classes},
    {"--anonymize", nullptr, nullptr, nullptr, &ProbeArgs::anonymize},
    {"--salt", nullptr, &ProbeArgs::salt},
    {"--output", "-o", &ProbeArgs::output},
    {"--ids-dir", nullptr, &ProbeArgs::ids_dir},
    {"--no-live", nullptr, nullptr, nullptr, &ProbeArgs::no_live},
    {"--record", nullptr, &ProbeArgs::record},
    {"--list-classes", nullptr, nullptr, nullptr, &ProbeArgs::list_classes},
};
const char* const k_probe_formats[3] = {"json", "xml", "table"};

namespace {

std::vector<std::string> split_classes(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (std::string_view item : in) {
    while (!item.empty()) {
      auto comma = item.find(',');
      auto c = item.substr(0, comma);
      if (!c.empty()) out.emplace_back(c);
      item.remove_prefix(comma == std::string_view::npos ? item.size() : comma + 1);
    }
  }
  return out;
}

std::string random_salt() {
  std::random_device rd;
  std::string salt;
  for (int i = 0; i < 4; ++i) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%x", rd());
    salt += hex;
  }
  return salt;
}

// All of `text` to `fd`; an error the user sees when it cannot be written.
void write_all(int fd, std::string_view text, const char* what) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw CommandError(std::string("cannot write ") + what + ": " + std::strerror(n < 0 ? errno : EIO));
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// --record DIR: copy the probed subset of the sysroot into a new fixture.
void record(const probe::Sysroot& root, const ProbeArgs& a) {
  probe::RecordOptions ro;
  // Fixtures are shared: the host name is the one personal fact a sysroot
  // copy carries outside DMI serials, which tests need verbatim.
  if (a.anonymize) ro.hostname = "certify-fixture";
  auto st = probe::record_sysroot(root, a.record, ro);
  if (!st) throw CommandError(st.message());
  std::string notes;
  for (const auto& n : st->notes) notes += "note: " + n + '\n';
  notes += "recorded " + std::to_string(st->files) + " files, " + std::to_string(st->links) + " links into " +
           a.record + " (" + std::to_string(st->unreadable) + " unreadable, " + std::to_string(st->too_large) +
           " too large, skipped)\n";
  write_all(2, notes, "standard error");
}

// The inventory as --format asks. JSON is printed from the inventory itself
// (probe/json_text.hpp), as the document below prints it; --anonymize, XML
// and the table go through that document.
std::string output_text(const probe::Inventory& inv, const ProbeArgs& a) {
  if (a.format == "json" && !a.anonymize) return probe::inventory_json_text(inv);
  nlohmann::json j = probe::to_json(inv);
  if (a.anonymize) probe::anonymize(j, a.salt.empty() ? random_salt() : a.salt);
  if (a.format == "json") {
    // Strings are made valid UTF-8 where they are read; replace stays as
    // the last guard so output never throws.
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (a.format == "xml") return probe::to_xml(j);
  // The table is built from the (possibly anonymised) JSON.
  auto back = probe::inventory_from_json(j);
  if (!back) throw CommandError(back.message());
  return probe::to_table(*back);
}

}  // namespace

std::optional<ProbeArgs> parse_probe_arguments(int argc, const char* const* argv) {
  ProbeArgs a;
  bool seen[std::size(k_probe_options)] = {};
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    std::size_t option = std::size(k_probe_options);
    for (std::size_t k = 0; k < std::size(k_probe_options); ++k) {
      const auto& o = k_probe_options[k];
      if (arg == o.long_name || (o.short_name && !inline_value && arg == o.short_name)) option = k;
    }
    if (option == std::size(k_probe_options)) return std::nullopt;  // --help, unknown, positional, "-fjson"
    const auto& o = k_probe_options[option];
    const auto kind = o.kind();
    if (seen[option] && kind != ProbeOption::Kind::list) return std::nullopt;
    seen[option] = true;
    if (kind == ProbeOption::Kind::flag) {
      if (inline_value) return std::nullopt;
      a.*o.flag = true;
      continue;
    }
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return std::nullopt;  // the value is missing
    }
    if (value.empty() || value.starts_with('-')) return std::nullopt;
    if (kind == ProbeOption::Kind::list) {
      (a.*o.list).emplace_back(value);
    } else {
      a.*o.value = std::string(value);
    }
  }
  if (std::find(std::begin(k_probe_formats), std::end(k_probe_formats), a.format) == std::end(k_probe_formats))
    return std::nullopt;
  return a;
}

void run_probe(const ProbeArgs& a) {
  if (a.list_classes) {
    std::string text;
    for (const auto& p : probe::class_probes())
      text += std::string(p.name) + std::string(10 - std::min<std::size_t>(p.name.size(), 9), ' ') +
              std::string(p.summary) + '\n';
    write_all(1, text, "standard output");
    return;
  }
  probe::Sysroot root(a.sysroot);
  if (!a.record.empty()) {
    record(root, a);
    return;
  }
  probe::ProbeOptions opts;
  opts.classes = split_classes(a.classes);
  opts.ids_dir = a.ids_dir;
  opts.live_queries = !a.no_live;
  auto inv = probe::probe_all(root, opts);
  if (!inv) throw CommandError(inv.message());
  const std::string text = output_text(*inv, a);
  if (a.output.empty() || a.output == "-") {
    write_all(1, text, "standard output");
  } else if (auto st = write_file_atomic(a.output, text); !st) {  // /dev/null stays a device
    throw CommandError(st.message());
  }
  // One write for all warnings.
  std::string warnings;
  for (const auto& w : inv->warnings) warnings += "warning: " + w.source + ": " + w.message + '\n';
  write_all(2, warnings, "standard error");
}

}  // namespace certify::cli
