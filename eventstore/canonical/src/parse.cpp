// parse_json: simdjson's reader, nlohmann's tree (see canonical.hpp).

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "isms/canonical/canonical.hpp"

namespace isms::canonical {

namespace {

using nlohmann::json;
namespace dom = simdjson::dom;

// Longer text goes to nlohmann's reader, so that no thread keeps a parser
// sized for the largest input it ever saw.
constexpr std::size_t fast_limit = std::size_t{64} << 10;

// The tree nlohmann's reader builds for the same text: non-negative integers
// unsigned, negative ones signed, the rest double; of repeated keys the last.
void build(dom::element e, json& out) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      out = json::object();
      auto& members = out.get_ref<json::object_t&>();
      for (const dom::key_value_pair field : dom::object(e)) {
        // Stored payloads are canonical, their keys in order: each member
        // goes at the end without a search.
        auto it = members.emplace_hint(members.end(), std::string(field.key), json());
        build(field.value, it->second);
      }
      return;
    }
    case dom::element_type::ARRAY: {
      out = json::array();
      auto& items = out.get_ref<json::array_t&>();
      const dom::array a(e);
      items.reserve(a.size());
      for (const dom::element x : a) build(x, items.emplace_back());
      return;
    }
    case dom::element_type::STRING: out = std::string(std::string_view(e)); return;
    case dom::element_type::INT64: {
      const std::int64_t v = std::int64_t(e);
      if (v >= 0)
        out = static_cast<std::uint64_t>(v);
      else
        out = v;
      return;
    }
    case dom::element_type::UINT64: out = std::uint64_t(e); return;
    case dom::element_type::DOUBLE: out = double(e); return;
    case dom::element_type::BOOL: out = bool(e); return;
    case dom::element_type::NULL_VALUE: out = nullptr; return;
  }
}

dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

}  // namespace

bool valid_json(std::string_view text) {
  if (text.size() <= fast_limit && !thread_parser().parse(text.data(), text.size(), true).error()) return true;
  return nlohmann::json::accept(text);
}

json parse_json(std::string_view text, bool allow_exceptions) {
  if (text.size() <= fast_limit) {
    const auto doc = thread_parser().parse(text.data(), text.size(), /*realloc_if_needed=*/true);
    if (!doc.error()) {
      json out;
      build(doc.value_unsafe(), out);
      return out;
    }
  }
  return json::parse(text, nullptr, allow_exceptions);
}

}  // namespace isms::canonical
