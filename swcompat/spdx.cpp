// SPDX licence list loading, expression parsing and DEP-5 translation.
#include "swcompat/spdx.hpp"

#include <cctype>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "certify_config.h"
#include "core/files.hpp"

namespace certify::swcompat {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}

// Splits a data line into whitespace-separated columns, ignoring comments.
std::vector<std::string> columns(const std::string& line) {
  std::vector<std::string> out;
  if (line.empty() || line[0] == '#') return out;
  std::istringstream is(line);
  std::string w;
  while (is >> w) out.push_back(w);
  return out;
}

Status each_line(const fs::path& file,
                 const std::function<Status(const std::vector<std::string>&)>& fn) {
  auto text = read_file(file, 4 << 20);
  if (!text) return make_error(text.message());
  std::istringstream is(*text);
  std::string line;
  int no = 0;
  while (std::getline(is, line)) {
    ++no;
    auto cols = columns(line);
    if (cols.empty()) continue;
    if (auto st = fn(cols); !st) return make_error(file.string() + ":" + std::to_string(no) + ": " + st.message());
  }
  return ok_status();
}

bool valid_id(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!id_char(c)) return false;
  return true;
}

}  // namespace

Result<LicenseList> LicenseList::load(const fs::path& dir) {
  LicenseList l;
  auto st = each_line(dir / "spdx-licenses", [&](const std::vector<std::string>& c) -> Status {
    if (!valid_id(c[0]) || c.size() > 2 || (c.size() == 2 && c[1] != "deprecated"))
      return make_error("expected \"ID\" or \"ID deprecated\"");
    l.licenses_[lower(c[0])] = c[0];
    if (c.size() == 2) l.deprecated_.insert(c[0]);
    return ok_status();
  });
  if (!st) return make_error(st.message());
  st = each_line(dir / "spdx-exceptions", [&](const std::vector<std::string>& c) -> Status {
    if (c.size() != 1 || !valid_id(c[0])) return make_error("expected one exception id");
    l.exceptions_[lower(c[0])] = c[0];
    return ok_status();
  });
  if (!st) return make_error(st.message());
  st = each_line(dir / "dep5-licenses", [&](const std::vector<std::string>& c) -> Status {
    if (c.size() != 3) return make_error("expected: DEP5-NAME SPDX-ID SPDX-ID-PLUS|-");
    l.dep5_[lower(c[0])] = {c[1], c[2] == "-" ? "" : c[2]};
    return ok_status();
  });
  if (!st) return make_error(st.message());
  if (l.licenses_.empty()) return make_error((dir / "spdx-licenses").string() + ": no licence ids");
  return l;
}

std::string LicenseList::license(std::string_view id) const {
  auto it = licenses_.find(lower(id));
  return it == licenses_.end() ? "" : it->second;
}

std::string LicenseList::exception(std::string_view id) const {
  auto it = exceptions_.find(lower(id));
  return it == exceptions_.end() ? "" : it->second;
}

std::string LicenseList::from_dep5(std::string_view name) const {
  bool plus = !name.empty() && name.back() == '+';
  auto base = plus ? name.substr(0, name.size() - 1) : name;
  if (auto it = dep5_.find(lower(base)); it != dep5_.end()) {
    if (!plus) return it->second.first;
    if (!it->second.second.empty()) return it->second.second;
    return it->second.first + "+";
  }
  if (auto id = license(base); !id.empty()) return plus ? id + "+" : id;
  return "";
}

namespace {

// Recursive-descent parser over a token list; errors carry the offset.
struct Token {
  std::string text;
  std::size_t pos;
};

class ExprParser {
 public:
  ExprParser(std::vector<Token> toks, const LicenseList& list, LicenseExpression& out)
      : toks_(std::move(toks)), list_(list), out_(out) {}

  bool run() {
    if (toks_.empty()) return fail(0, "empty licence expression");
    std::string s;
    if (!or_expr(s, 0)) return false;
    if (i_ < toks_.size()) return fail(toks_[i_].pos, "unexpected \"" + toks_[i_].text + "\"");
    out_.normalized = s;
    return true;
  }

 private:
  static constexpr int k_max_depth = 64;

  bool fail(std::size_t pos, const std::string& msg) {
    out_.error = "at offset " + std::to_string(pos) + ": " + msg;
    return false;
  }
  const Token* peek() const { return i_ < toks_.size() ? &toks_[i_] : nullptr; }
  std::size_t end_pos() const { return toks_.empty() ? 0 : toks_.back().pos + toks_.back().text.size(); }

  // Accepts an operator in upper case, or in lower case with a warning.
  bool is_op(const Token* t, const char* upper_op) {
    if (!t) return false;
    if (t->text == upper_op) return true;
    if (t->text == lower(upper_op)) {
      out_.warnings.push_back("lower-case operator \"" + t->text + "\" at offset " + std::to_string(t->pos));
      return true;
    }
    return false;
  }

  bool or_expr(std::string& s, int depth) {
    if (!and_expr(s, depth)) return false;
    while (is_op(peek(), "OR")) {
      ++i_;
      std::string r;
      if (!and_expr(r, depth)) return false;
      s += " OR " + r;
    }
    return true;
  }
  bool and_expr(std::string& s, int depth) {
    if (!with_expr(s, depth)) return false;
    while (is_op(peek(), "AND")) {
      ++i_;
      std::string r;
      if (!with_expr(r, depth)) return false;
      s += " AND " + r;
    }
    return true;
  }
  bool with_expr(std::string& s, int depth) {
    if (!primary(s, depth)) return false;
    if (is_op(peek(), "WITH")) {
      ++i_;
      const Token* t = peek();
      if (!t) return fail(end_pos(), "exception id expected after WITH");
      auto ex = list_.exception(t->text);
      if (ex.empty()) return fail(t->pos, "unknown licence exception \"" + t->text + "\"");
      out_.exceptions.push_back(ex);
      s += " WITH " + ex;
      ++i_;
    }
    return true;
  }
  bool primary(std::string& s, int depth) {
    const Token* t = peek();
    if (!t) return fail(end_pos(), "licence id expected");
    if (t->text == "(") {
      if (depth >= k_max_depth) return fail(t->pos, "parentheses nested too deeply");
      ++i_;
      std::string inner;
      if (!or_expr(inner, depth + 1)) return false;
      const Token* c = peek();
      if (!c || c->text != ")") return fail(c ? c->pos : end_pos(), "\")\" expected");
      ++i_;
      s = "(" + inner + ")";
      return true;
    }
    if (t->text == ")" || t->text == "AND" || t->text == "OR" || t->text == "WITH")
      return fail(t->pos, "licence id expected, found \"" + t->text + "\"");
    ++i_;
    return simple(*t, s);
  }
  bool simple(const Token& t, std::string& s) {
    std::string_view v = t.text;
    bool plus = !v.empty() && v.back() == '+';
    if (plus) v.remove_suffix(1);
    auto ref_ok = [](std::string_view r) {
      if (r.rfind("LicenseRef-", 0) != 0 || r.size() == 11) return false;
      return valid_id(r.substr(11));
    };
    if (v.rfind("DocumentRef-", 0) == 0) {
      auto colon = v.find(':');
      if (plus || colon == std::string_view::npos || colon == 12 || !valid_id(v.substr(12, colon - 12)) ||
          !ref_ok(v.substr(colon + 1)))
        return fail(t.pos, "malformed reference \"" + t.text + "\"");
      out_.licenses.emplace_back(v);
      s = std::string(v);
      return true;
    }
    if (v.rfind("LicenseRef-", 0) == 0) {
      if (plus || !ref_ok(v)) return fail(t.pos, "malformed reference \"" + t.text + "\"");
      out_.licenses.emplace_back(v);
      s = std::string(v);
      return true;
    }
    if (!valid_id(v)) return fail(t.pos, "invalid characters in \"" + t.text + "\"");
    auto id = list_.license(v);
    if (id.empty()) return fail(t.pos, "unknown SPDX licence id \"" + std::string(v) + "\"");
    if (list_.deprecated(id)) out_.warnings.push_back("deprecated SPDX licence id \"" + id + "\"");
    out_.licenses.push_back(id);
    s = plus ? id + "+" : id;
    return true;
  }

  std::vector<Token> toks_;
  const LicenseList& list_;
  LicenseExpression& out_;
  std::size_t i_ = 0;
};

}  // namespace

LicenseExpression parse_license_expression(std::string_view text, const LicenseList& list) {
  LicenseExpression out;
  std::vector<Token> toks;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '(' || c == ')') {
      toks.push_back({std::string(1, c), i});
      ++i;
    } else {
      std::size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n' && text[j] != '\r' &&
             text[j] != '(' && text[j] != ')')
        ++j;
      toks.push_back({std::string(text.substr(i, j - i)), i});
      i = j;
    }
  }
  ExprParser p(std::move(toks), list, out);
  out.valid = p.run();
  if (!out.valid) {
    out.normalized.clear();
    out.licenses.clear();
    out.exceptions.clear();
  }
  return out;
}

Dep5Translation dep5_to_spdx(std::string_view dep5, const LicenseList& list) {
  // Only the first line is the licence name; the rest is the licence text.
  auto nl = dep5.find('\n');
  if (nl != std::string_view::npos) dep5 = dep5.substr(0, nl);
  Dep5Translation out;
  std::istringstream is{std::string(dep5)};
  std::vector<std::string> words;
  std::string w;
  while (is >> w) words.push_back(w);
  std::string expr;
  for (std::size_t i = 0; i < words.size(); ++i) {
    auto lw = lower(words[i]);
    // Separators of DEP-5 may stick to names ("GPL-2+,"): strip commas.
    while (!lw.empty() && lw.back() == ',') lw.pop_back();
    if (lw == "or" || lw == "and") {
      expr += lw == "or" ? " OR " : " AND ";
      continue;
    }
    if (lw == "with" && i + 1 < words.size()) {
      // "with OpenSSL exception": the SPDX exception id is "<name>-exception".
      std::string name = words[++i];
      if (i + 1 < words.size() && lower(words[i + 1]) == "exception") ++i;
      auto ex = list.exception(name + "-exception");
      if (ex.empty()) ex = list.exception(name);
      if (ex.empty()) {
        out.unknown.push_back("exception " + name);
        // An unknown exception cannot be expressed with WITH; keep it as a
        // separate reference so the expression stays valid.
        expr += " AND LicenseRef-" + name + "-exception";
      } else {
        expr += " WITH " + ex;
      }
      continue;
    }
    std::string name = words[i];
    while (!name.empty() && name.back() == ',') name.pop_back();
    auto id = list.from_dep5(name);
    if (id.empty()) {
      out.unknown.push_back(name);
      std::string ref;
      for (char c : name) ref += id_char(c) ? c : '-';
      id = "LicenseRef-" + ref;
    }
    expr += id;
  }
  out.expression = expr;
  return out;
}

fs::path hwdata_dir() {
  if (const char* env = std::getenv("CERTIFY_HWDATA"); env && *env) return env;
  fs::path src = fs::path(CERTIFY_SOURCE_DIR) / "hwdata";
  std::error_code ec;
  if (fs::exists(src / "spdx-licenses", ec)) return src;
  return fs::path(CERTIFY_DATADIR) / "hwdata";
}

}  // namespace certify::swcompat
