#include "isms/server/json_input.hpp"

namespace isms::server {

std::size_t json_nesting_depth(std::string_view text, std::size_t stop_above) noexcept {
  // Strings are skipped exactly as a JSON tokenizer does: from an unescaped
  // quote to the next unescaped quote, a backslash escaping the next byte.
  // Outside strings only brackets change the depth. Up to the first syntax
  // error a parser sees the same tokens, so the depth it reaches is never
  // more than the one counted here.
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '{':
      case '[':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > stop_above) return deepest;
        }
        break;
      case '}':
      case ']':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return deepest;
}

std::expected<nlohmann::json, json_input_error> read_json(std::string_view text, std::size_t max_depth) {
  if (json_nesting_depth(text, max_depth) > max_depth)
    return std::unexpected(json_input_error{json_input_error::kind::too_deep,
                                            "JSON nested deeper than " + std::to_string(max_depth) + " levels"});
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected(json_input_error{json_input_error::kind::syntax, "not valid JSON"});
  return j;
}

}  // namespace isms::server
