#include <map>
#include <set>
#include <string>

#include "isms/domain/views/views.hpp"

namespace isms::domain::views {

namespace {

// A JSON pointer segment (RFC 6901: "~" → "~0", "/" → "~1").
std::string segment(std::string_view s) {
  std::string out = "/";
  for (char c : s) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string id_text(const json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

// Every entry is an object with a string or integer "id", and no id repeats.
bool entity_list(const json& a) {
  std::set<std::string> seen;
  for (const auto& e : a) {
    if (!e.is_object()) return false;
    const auto it = e.find("id");
    if (it == e.end() || !(it->is_string() || it->is_number_integer())) return false;
    if (!seen.insert(id_text(*it)).second) return false;
  }
  return true;
}

struct walker {
  json added = json::array();
  json removed = json::array();
  json changed = json::array();

  // `path`: where we are; `entity` / `id`: the innermost entity around it ("" outside any).
  void walk(const json& b, const json& a, const std::string& path, const std::string& entity,
            const std::string& id) {
    if (b == a) return;
    if (b.is_object() && a.is_object()) {
      std::set<std::string> keys;
      for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
      for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
      // A member on one side only is compared with null; neither side is
      // copied (a copy per level made a diff quadratic in the depth).
      static const json absent = nullptr;
      for (const auto& k : keys) {
        const auto ib = b.find(k), ia = a.find(k);
        walk(ib == b.end() ? absent : *ib, ia == a.end() ? absent : *ia, path + segment(k), entity, id);
      }
      return;
    }
    if (b.is_array() && a.is_array()) {
      if ((!b.empty() || !a.empty()) && entity_list(b) && entity_list(a)) {
        // Entities matched by id through an index: a list of n entities
        // costs n log n, not n² (a register of 5,000 risks took seconds).
        std::map<std::string, const json*, std::less<>> before_by_id;
        std::set<std::string, std::less<>> after_ids;
        for (const auto& e : b) before_by_id.emplace(id_text(e.at("id")), &e);
        for (const auto& e : a) after_ids.insert(id_text(e.at("id")));
        for (const auto& e : b) {
          const std::string eid = id_text(e.at("id"));
          if (!after_ids.contains(eid))
            removed.push_back({{"path", path.empty() ? "/" : path}, {"id", eid}, {"value", e}});
        }
        for (const auto& e : a) {
          const std::string eid = id_text(e.at("id"));
          const auto old = before_by_id.find(eid);
          if (old == before_by_id.end()) {
            added.push_back({{"path", path.empty() ? "/" : path}, {"id", eid}, {"value", e}});
            continue;
          }
          const std::string at = path + segment(eid);
          walk(*old->second, e, at, at, eid);
        }
        return;
      }
      if (b.size() == a.size()) {
        for (std::size_t i = 0; i < b.size(); ++i)
          walk(b[i], a[i], path + "/" + std::to_string(i), entity, id);
        return;
      }
    }
    changed.push_back({{"path", path.empty() ? "/" : path},
                       {"entity", entity},
                       {"id", id},
                       {"before", b},
                       {"after", a}});
  }
};

}  // namespace

json diff(const json& before, const json& after) {
  walker w;
  w.walk(before, after, "", "", "");
  return {{"equal", before == after},
          {"added", std::move(w.added)},
          {"removed", std::move(w.removed)},
          {"changed", std::move(w.changed)}};
}

}  // namespace isms::domain::views
