// Text helpers shared by every module.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace certify {

// Text from the kernel or from a file under test may hold any bytes, but
// JSON output needs valid UTF-8: invalid sequences (overlong forms,
// surrogates, code points above U+10FFFF, truncated sequences) become '?'.
std::string valid_utf8(std::string_view in);
bool is_valid_utf8(std::string_view in);
// Length of the valid UTF-8 sequence at in[i] (i < in.size()), or 0 when it
// is not one (overlong forms, surrogates, code points above U+10FFFF,
// truncation).
std::size_t utf8_sequence_length(std::string_view in, std::size_t i);

// `s` (valid UTF-8) as a JSON string literal appended to `out`, escaped as
// nlohmann::json dumps it (ensure_ascii off): \" \\ \b \f \n \r \t, the
// other control characters as \u00xx, every other byte as it is. For the
// writers that print JSON text without building a document first.
void append_json_string(std::string& out, std::string_view s);

// Text for HTML element content and attribute values: & < > " ' escaped.
std::string html_escape(std::string_view s);

// The lines of `text` without their '\n'; a last line without one counts,
// an empty text has none, so "a\n\nb\n" is {"a", "", "b"}. The views point
// into `text`.
std::vector<std::string_view> split_lines(std::string_view text);

}  // namespace certify
