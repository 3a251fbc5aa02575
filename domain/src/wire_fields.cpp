#include "wire_fields.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace isms::domain::wire {

namespace {

bool digits(std::string_view s) {
  return !s.empty() && s.size() <= 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         s[0] != '0';
}

unsigned number_of(std::string_view s) {
  unsigned v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// The clauses and subclauses of ISO/IEC 27001:2022 that hold requirements.
constexpr std::array<std::string_view, 41> clauses{
    "4",     "4.1",   "4.2",   "4.3",   "4.4",   "5",     "5.1",   "5.2",   "5.3",
    "6",     "6.1",   "6.1.1", "6.1.2", "6.1.3", "6.2",   "6.3",   "7",     "7.1",
    "7.2",   "7.3",   "7.4",   "7.5",   "7.5.1", "7.5.2", "7.5.3", "8",     "8.1",
    "8.2",   "8.3",   "9",     "9.1",   "9.2",   "9.2.1", "9.2.2", "9.3",   "9.3.1",
    "9.3.2", "9.3.3", "10",    "10.1",  "10.2"};

}  // namespace

bool valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

bool valid_clause(std::string_view ref) noexcept {
  return std::find(clauses.begin(), clauses.end(), ref) != clauses.end();
}

bool valid_annex_a_control(std::string_view ref) noexcept {
  // A.5.1–A.5.37 organizational, A.6.1–A.6.8 people, A.7.1–A.7.14 physical,
  // A.8.1–A.8.34 technological.
  if (ref.size() < 5 || ref.substr(0, 2) != "A." || ref[3] != '.') return false;
  const auto theme = ref.substr(2, 1), n = ref.substr(4);
  if (!digits(n)) return false;
  const unsigned k = number_of(n);
  if (theme == "5") return k <= 37;
  if (theme == "6") return k <= 8;
  if (theme == "7") return k <= 14;
  if (theme == "8") return k <= 34;
  return false;
}

bool valid_sha256(std::string_view s) noexcept {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

date add_months(date d, int months) noexcept {
  using namespace std::chrono;
  const year_month_day ymd{d};
  const year_month ym = year_month{ymd.year(), ymd.month()} + std::chrono::months{months};
  const auto last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
  return sys_days{year_month_day{ym.year(), ym.month(), std::min(ymd.day(), last)}};
}

approval_request approval_for(std::string_view stream, std::uint64_t subject_version,
                              std::string subject_kind, role approver, std::string on_approved,
                              std::string on_rejected, std::string summary,
                              std::string content_hash) {
  approval_request r;
  r.approval_id = approval_id_for(stream, subject_version);
  r.subject_kind = std::move(subject_kind);
  r.policy.required_roles = {approver};
  r.on_approved = std::move(on_approved);
  r.on_rejected = std::move(on_rejected);
  r.summary = std::move(summary);
  r.content_hash = std::move(content_hash);
  return r;
}

std::expected<approval_outcome, rejection> outcome_in(const json& data) {
  return read_command<approval_outcome>(data, [](fields& f) { return read_approval_outcome(f); });
}

std::string clip(std::string s, std::size_t max_len) {
  if (s.size() <= max_len) return s;
  std::size_t n = max_len;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

std::optional<rejection> stream_names_id(std::string_view command_type, std::string_view creating_type,
                                         std::string_view stream, std::string_view kind, const json& data,
                                         std::string_view id_key) {
  if (command_type != creating_type || !data.is_object()) return std::nullopt;
  const auto it = data.find(std::string(id_key));
  if (it == data.end() || !it->is_string()) return std::nullopt;
  if (stream == std::string(kind) + "-" + it->get<std::string>()) return std::nullopt;
  return rejection{rejection_kind::invalid, "stream",
                   std::string(creating_type) + " is sent to " + std::string(kind) + "-<data." +
                       std::string(id_key) + ">"};
}

json strings(const std::vector<std::string>& v) {
  json out = json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

json role_names(const std::vector<role>& roles) {
  json out = json::array();
  for (role r : roles) out.push_back(std::string(to_string(r)));
  return out;
}

fields::fields(const json& data, std::string prefix, bounds limits)
    : data_(data), prefix_(std::move(prefix)), limits_(limits) {}

std::string fields::field_name(std::string_view key) const { return prefix_ + std::string(key); }

void fields::fail(std::string_view key, std::string rule) {
  if (failed_) return;
  failed_ = true;
  field_ = field_name(key);
  rule_ = std::move(rule);
}

void fields::adopt(const fields& nested) {
  if (failed_ || !nested.failed_) return;
  failed_ = true;
  field_ = nested.field_;
  rule_ = nested.rule_;
}

fields fields::entry(const json& item, std::string_view key, std::size_t index) const {
  return fields{item, field_name(key) + "[" + std::to_string(index) + "].", limits_};
}

fields fields::nested(std::string_view key) {
  static const json nothing = json::object();
  const json* v = find(key, true);
  if (v != nullptr && !v->is_object()) fail(key, "must be a JSON object");
  fields n{v != nullptr && v->is_object() ? *v : nothing, field_name(key) + ".", limits_};
  if (!ok()) n.failed_ = true;  // the parent holds the failure; the nested reader stays quiet
  return n;
}

rejection fields::error() const {
  return rejection{rejection_kind::invalid, field_, field_ + " " + rule_};
}

std::string fields::message() const { return field_ + " " + rule_; }

const json* fields::find(std::string_view key, bool required) {
  if (!data_.is_object()) {
    fail(key, "is missing (the payload is not an object)");
    return nullptr;
  }
  const auto it = data_.find(std::string(key));
  if (it == data_.end() || it->is_null()) {
    if (required) fail(key, "is required");
    return nullptr;
  }
  return &*it;
}

std::string fields::id(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return {};
  if (!v->is_string()) return fail(key, "must be a string"), std::string{};
  const auto& s = v->get_ref<const std::string&>();
  if (!valid_id(s)) return fail(key, "must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}"), std::string{};
  return s;
}

std::string fields::opt_id(std::string_view key) {
  const json* v = find(key, false);
  if (v == nullptr || (v->is_string() && v->get_ref<const std::string&>().empty())) return {};
  return id(key);
}

std::string fields::raw_text(std::string_view key, std::size_t max_len) {
  const json* v = find(key, true);
  if (v == nullptr) return {};
  if (!v->is_string()) return fail(key, "must be a string"), std::string{};
  const auto& s = v->get_ref<const std::string&>();
  if (over(s.size(), max_len))
    return fail(key, "must be at most " + std::to_string(max_len) + " bytes"), std::string{};
  return s;
}

std::string fields::text(std::string_view key, std::size_t max_len) {
  const bool was_ok = ok();
  std::string s = raw_text(key, max_len);
  if (was_ok && ok() && blank(s)) fail(key, "must not be empty");
  return s;
}

std::string fields::opt_text(std::string_view key, std::size_t max_len) {
  if (find(key, false) == nullptr) return {};
  return raw_text(key, max_len);
}

date fields::day(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return {};
  if (v->is_string())
    if (auto d = parse_date(v->get_ref<const std::string&>())) return *d;
  fail(key, "must be a calendar date YYYY-MM-DD");
  return {};
}

std::optional<date> fields::opt_day(std::string_view key) {
  if (find(key, false) == nullptr) return std::nullopt;
  const date d = day(key);
  if (!ok()) return std::nullopt;
  return d;
}

std::int64_t fields::integer(std::string_view key, std::int64_t lo, std::int64_t hi) {
  const json* v = find(key, true);
  if (v == nullptr) return lo;
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v->is_number_integer()) return fail(key, "must be an integer in " + range), lo;
  std::int64_t n = 0;
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return fail(key, "must be an integer in " + range), lo;
    n = static_cast<std::int64_t>(u);
  } else {
    n = v->get<std::int64_t>();
  }
  if (n < lo || n > hi) return fail(key, "must be an integer in " + range), lo;
  return n;
}

double fields::number(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return 0;
  if (!v->is_number()) return fail(key, "must be a number"), 0.0;
  const double d = v->get<double>();
  if (!std::isfinite(d)) return fail(key, "must be a finite number"), 0.0;
  return d;
}

bool fields::opt_boolean(std::string_view key, bool otherwise) {
  if (find(key, false) == nullptr) return otherwise;
  return boolean(key);
}

bool fields::boolean(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return false;
  if (!v->is_boolean()) return fail(key, "must be true or false"), false;
  return v->get<bool>();
}

namespace {

// A required list of strings read by `f`: `list_rule` when `key` is not a
// list, at most `most` entries under command bounds, empty only if
// `allow_empty`; an entry that is not a string or fails `entry_ok` is named
// "<key>[<index>]" with `entry_rule`.
template <class EntryOk>
std::vector<std::string> string_list(fields& f, std::string_view key, bool allow_empty, std::size_t most,
                                     const char* list_rule, EntryOk entry_ok, const std::string& entry_rule) {
  const json* v = f.find(key, true);
  if (v == nullptr) return {};
  if (!v->is_array()) return f.fail(key, list_rule), std::vector<std::string>{};
  if (f.limits() == bounds::command && v->size() > most)
    return f.fail(key, "must have at most " + std::to_string(most) + " entries"), std::vector<std::string>{};
  if (v->empty() && !allow_empty) return f.fail(key, "must not be empty"), std::vector<std::string>{};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    if (!e.is_string() || !entry_ok(e.get_ref<const std::string&>()))
      return f.fail(std::string(key) + "[" + std::to_string(i) + "]", entry_rule), std::vector<std::string>{};
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

std::vector<std::string> fields::ids(std::string_view key, bool allow_empty, std::size_t most) {
  return string_list(*this, key, allow_empty, most, "must be a list of ids",
                     [](const std::string& s) { return valid_id(s); }, "must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
}

std::vector<std::string> fields::texts(std::string_view key, bool allow_empty, std::size_t max_len,
                                       std::size_t most) {
  return string_list(
      *this, key, allow_empty, most, "must be a list of strings",
      [&](const std::string& s) { return !blank(s) && !over(s.size(), max_len); },
      "must be a non-empty string of at most " + std::to_string(max_len) + " bytes");
}

std::vector<std::string> fields::strings(std::string_view key) {
  return string_list(*this, key, true, SIZE_MAX, "must be a list of strings", [](const std::string&) { return true; },
                     "must be a string");
}

std::vector<std::string> fields::opt_ids(std::string_view key, std::size_t most) {
  if (find(key, false) == nullptr) return {};
  return ids(key, true, most);
}

std::vector<std::string> fields::opt_texts(std::string_view key, std::size_t max_len, std::size_t most) {
  if (find(key, false) == nullptr) return {};
  return texts(key, true, max_len, most);
}

std::string fields::sha256(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return {};
  if (!v->is_string() || !valid_sha256(v->get_ref<const std::string&>()))
    return fail(key, "must be a SHA-256 as 64 lower-case hex digits"), std::string{};
  return v->get<std::string>();
}

std::string fields::requirement(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return {};
  if (!v->is_string()) return fail(key, "must be a string"), std::string{};
  const auto& s = v->get_ref<const std::string&>();
  if (s.starts_with("A.")) {
    if (!valid_annex_a_control(s))
      return fail(key, "names no Annex A control of ISO/IEC 27001:2022 (A.5.1–A.5.37, "
                       "A.6.1–A.6.8, A.7.1–A.7.14, A.8.1–A.8.34)"),
             std::string{};
    return s;
  }
  if (!valid_clause(s))
    return fail(key, "must be a clause of ISO/IEC 27001:2022 (4 to 10.2, e.g. \"6.1.3\") or an "
                     "Annex A control (e.g. \"A.5.23\")"),
           std::string{};
  return s;
}

json fields::object(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) return fail(key, "must be a JSON object"), json(nullptr);
  return *v;
}

json fields::array(std::string_view key) {
  const json* v = find(key, true);
  if (v == nullptr) return json::array();
  if (!v->is_array()) return fail(key, "must be a list"), json::array();
  return *v;
}

void read_into(fields& f, approval_asked& e) {
  e.approval = read_approval_request(f, "approval");
  e.content_hash = f.sha256("content_hash");
}
void read_into(fields& f, approval_granted& e) {
  e.approval_id = f.text("approval_id", max_line);
  e.approvers = f.texts("approvers", true, max_line);
  e.comment = f.opt_text("comment");
  e.content_hash = f.sha256("content_hash");
}
void read_into(fields& f, approval_refused& e) {
  e.approval_id = f.text("approval_id", max_line);
  e.rejected_by = f.opt_text("rejected_by", max_line);
  e.comment = f.opt_text("comment");
}
void read_into(fields& f, approval_declined& e) {
  e.approval_id = f.raw_text("approval_id");
  e.approvers = f.strings("approvers");
  e.rejected_by = f.raw_text("rejected_by");
  e.comment = f.opt_text("comment");
}

json to_json(const approval_asked& e) {
  return {{"content_hash", e.content_hash}, {"approval", domain::to_json(e.approval)}};
}
json to_json(const approval_granted& e) {
  return {{"approval_id", e.approval_id},
          {"approvers", strings(e.approvers)},
          {"comment", e.comment},
          {"content_hash", e.content_hash}};
}
json to_json(const approval_refused& e) {
  return {{"approval_id", e.approval_id}, {"rejected_by", e.rejected_by}, {"comment", e.comment}};
}
json to_json(const approval_declined& e) {
  return {{"approval_id", e.approval_id},
          {"approvers", strings(e.approvers)},
          {"rejected_by", e.rejected_by},
          {"comment", e.comment}};
}

}  // namespace isms::domain::wire
