// The inventory's JSON text written from its structures. Building it as one
// nlohmann document first (to_json) copied every device and section, key by
// key, only to print the copy and free it: with 2,080 SR-IOV functions that
// copy was 40% of the peak memory and half the page faults of a probe
// (bench/probe.sh). The layout, the key order (nlohmann's objects are
// std::maps: keys in byte order) and the escaping are nlohmann's; the tests
// compare both on every fixture.
#include "probe/json_text.hpp"

#include <charconv>
#include <cstdint>
#include <string_view>

#include "core/text.hpp"

namespace certify::probe {

namespace {

using nlohmann::json;

void newline(std::string& out, int level) {
  out += '\n';
  out.append(static_cast<std::size_t>(level) * 2, ' ');
}

// nlohmann's own text of `v`, indented for `level`: for what this writer
// does not spell itself (binary values, which no probe makes).
void append_dumped(std::string& out, const json& v, int level) {
  std::string text = v.dump(2, ' ', false, json::error_handler_t::replace);
  for (char c : text) {
    out += c;
    if (c == '\n') out.append(static_cast<std::size_t>(level) * 2, ' ');  // strings hold no raw newline
  }
}

// As nlohmann's serializer with ensure_ascii off (append_json_string). A
// string that is not valid UTF-8 goes to nlohmann's serializer, whose
// replacement rules (which bytes one U+FFFD stands for) stay the rule.
void append_string(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x80) continue;
    auto len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    i += len - 1;
  }
  append_json_string(out, s);
}

template <typename Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

// An array as dump(2) prints it: "[]" when empty, else each element on a
// line of its own at level + 1 (written by `element`) and "]" on its own.
template <typename Items, typename Element>
void append_array(std::string& out, const Items& items, int level, Element element) {
  if (items.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    newline(out, level + 1);
    element(items[i]);
  }
  newline(out, level);
  out += ']';
}

// An object's members one by one: "{", then `"key": value` lines, then "}"
// on its own line ("{}" when it got none).
class ObjectWriter {
 public:
  ObjectWriter(std::string& out, int level) : out_(out), level_(level) { out_ += '{'; }
  // Starts a member: the separator and its line; its key and value follow.
  void next() {
    if (!empty_) out_ += ',';
    empty_ = false;
    newline(out_, level_ + 1);
  }
  // Starts the member `name` (plain ASCII); its value follows.
  void key(std::string_view name) {
    next();
    out_ += '"';
    out_ += name;
    out_ += "\": ";
  }
  void string(std::string_view name, std::string_view value) {
    key(name);
    append_string(out_, value);
  }
  // A member only when it has text, as to_json's put().
  void text(std::string_view name, const std::string& value) {
    if (!value.empty()) string(name, value);
  }
  void value(std::string_view name, const json& v) {
    key(name);
    append_json(out_, v, level_ + 1);
  }
  void close() {
    if (!empty_) newline(out_, level_);
    out_ += '}';
  }

 private:
  std::string& out_;
  int level_;
  bool empty_ = true;
};

// to_json(const Device&), its keys in the order nlohmann prints them.
void append_device(std::string& out, const Device& d, int level) {
  ObjectWriter o(out, level);
  o.text("bus", d.bus);
  o.string("class", d.cls);
  o.text("device_id", d.device_id);
  o.text("driver", d.driver);
  o.text("driver_version", d.driver_version);
  o.text("firmware", d.firmware);
  o.string("id", d.id);
  o.text("model", d.model);
  if (d.numa_node) {
    o.key("numa_node");
    append_integer(out, *d.numa_node);
  }
  o.text("parent", d.parent);
  if (d.pcie) {
    o.key("pcie");
    ObjectWriter p(out, level + 1);
    p.key("degraded");
    out += d.pcie->degraded() ? "true" : "false";
    if (d.pcie->max_speed) p.string("max_speed", *d.pcie->max_speed);
    if (d.pcie->max_width) {
      p.key("max_width");
      append_integer(out, *d.pcie->max_width);
    }
    if (d.pcie->speed) p.string("speed", *d.pcie->speed);
    if (d.pcie->width) {
      p.key("width");
      append_integer(out, *d.pcie->width);
    }
    p.close();
  }
  if (d.props.is_object()) {
    o.value("props", d.props);
  } else {
    o.key("props");
    out += "{}";
  }
  o.text("subsystem", d.subsystem);
  o.text("subsystem_device_id", d.subsystem_device_id);
  o.text("subsystem_vendor_id", d.subsystem_vendor_id);
  o.text("vendor", d.vendor);
  o.text("vendor_id", d.vendor_id);
  o.close();
}

}  // namespace

void append_json(std::string& out, const json& v, int level) {
  switch (v.type()) {
    case json::value_t::object: {
      ObjectWriter o(out, level);
      for (const auto& [k, e] : v.get_ref<const json::object_t&>()) {
        o.next();
        append_string(out, k);
        out += ": ";
        append_json(out, e, level + 1);
      }
      o.close();
      return;
    }
    case json::value_t::array:
      append_array(out, v.get_ref<const json::array_t&>(), level,
                   [&](const json& e) { append_json(out, e, level + 1); });
      return;
    case json::value_t::string:
      append_string(out, v.get_ref<const std::string&>());
      return;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      append_integer(out, v.get<std::int64_t>());
      return;
    case json::value_t::number_unsigned:
      append_integer(out, v.get<std::uint64_t>());
      return;
    case json::value_t::number_float:
      out += v.dump();  // nlohmann's shortest round-trip form ("null" when not finite)
      return;
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::binary:
    case json::value_t::discarded:
      append_dumped(out, v, level);
      return;
  }
}

std::string inventory_json_text(const Inventory& inv) {
  std::string out;
  out.reserve(4096 + inv.devices.size() * 640);
  ObjectWriter top(out, 0);
  top.value("cpu", inv.cpu);
  top.key("devices");
  append_array(out, inv.devices, 1, [&](const Device& d) { append_device(out, d, 2); });
  top.value("memory", inv.memory);
  top.value("os", inv.os);
  top.key("schema_version");
  append_integer(out, inv.schema_version);
  top.string("sysroot", inv.sysroot);
  top.value("system", inv.system);
  top.string("tool_version", inv.tool_version);
  top.key("warnings");
  append_array(out, inv.warnings, 1, [&](const auto& warning) {
    ObjectWriter w(out, 2);
    w.string("message", warning.message);
    w.string("source", warning.source);
    w.close();
  });
  top.close();
  out += '\n';
  return out;
}

}  // namespace certify::probe
