#include "isms/domain/reactions.hpp"

#include <algorithm>
#include <array>

#include "isms/domain/incident.hpp"
#include "isms/domain/internal_audit.hpp"
#include "wire_fields.hpp"

namespace isms::domain {

namespace {

using wire::fields;

// The reactions react() runs, in order. The order does not name anything: a
// follow-up's command id is derived from what it is (reactions.hpp).
constexpr std::array all_reactions{
    named_reaction{"open the approval a subject requested", &open_requested_approval},
    named_reaction{"conclude the subject of a completed approval", &conclude_approved_subject},
    named_reaction{"void the open approval of a changed subject", &void_approval_on_subject_change,
                   &void_approval_reads},
    named_reaction{"raise a nonconformity from an audit finding",
                   &internal_audit::raise_nonconformity_from_finding},
    named_reaction{"raise a nonconformity from an incident's lessons learned",
                   &incident::raise_nonconformity_from_lessons},
    named_reaction{"identify the risk an incident's lessons learned show", &incident::identify_risk_from_lessons},
};

bool is_approval_stream(std::string_view stream) { return stream.starts_with("approval-"); }

// The "approval" object of a subject event, if it carries a well-formed one.
std::optional<approval_request> request_in(const recorded_event& e) {
  if (!e.data.is_object()) return std::nullopt;
  const auto it = e.data.find("approval");
  if (it == e.data.end()) return std::nullopt;
  auto r = parse_approval_request(*it, "approval");
  if (!r) return std::nullopt;
  return *r;
}

// Whether an approval stream has been opened and has not completed or been voided.
bool approval_open(std::span<const recorded_event> history) {
  bool opened = false;
  for (const auto& e : history) {
    if (e.type == "approval.opened.v1") opened = true;
    if (e.type == "approval.approved.v1" || e.type == "approval.rejected.v1" ||
        e.type == "approval.voided.v1")
      return false;
  }
  return opened;
}

}  // namespace

std::span<const named_reaction> reactions() noexcept { return all_reactions; }

namespace {

// Longest readable command id; a longer one is replaced by a digest of it.
constexpr std::size_t max_readable_command_id = 160;

}  // namespace

std::string follow_up_command_id(std::uint64_t causing_position, std::string_view command_type,
                                 std::string_view stream, std::size_t occurrence) {
  std::string what = std::string(command_type) + ":" + std::string(stream);
  if (occurrence > 1) what += "#" + std::to_string(occurrence);
  std::string id = "react:" + std::to_string(causing_position) + ":" + what;
  if (id.size() > max_readable_command_id)
    id = "react:" + std::to_string(causing_position) + ":h" + sha256_hex(what).substr(0, 40);
  return id;
}

std::vector<std::string> reaction_reads(const recorded_event& event, const stream_reads& read) {
  const stream_reads as_of_event = read.up_to(event.position);
  std::vector<std::string> wanted;
  for (const auto& r : all_reactions) {
    if (r.reads == nullptr) continue;
    try {
      for (auto& stream : r.reads(event, as_of_event)) wanted.push_back(std::move(stream));
    } catch (const std::exception&) {
      // Malformed data: the reaction will yield nothing and needs nothing.
    }
  }
  return read.missing(wanted);
}

std::vector<follow_up> react(const recorded_event& event, const stream_reads& read) {
  // The other streams as they stood when the event was committed: events at
  // later positions are left out, so a reaction re-run after a crash sees
  // exactly what its first run saw, whatever its own follow-ups (or anyone)
  // wrote since.
  const stream_reads as_of_event = read.up_to(event.position);
  std::vector<follow_up> out;
  for (const auto& r : all_reactions) {
    std::vector<follow_up> some;
    try {
      some = r.run(event, as_of_event);
    } catch (const std::exception&) {
      // A reaction meeting malformed data yields nothing; the event stays recorded.
      some.clear();
    }
    for (auto& fu : some) out.push_back(std::move(fu));
  }
  // Each id says what the follow-up is, not where it stands in the list: a
  // re-run that yields fewer or more follow-ups names the others the same.
  for (std::size_t n = 0; n < out.size(); ++n) {
    std::size_t occurrence = 1;
    for (std::size_t m = 0; m < n; ++m)
      if (out[m].command_type == out[n].command_type && out[m].stream == out[n].stream) ++occurrence;
    out[n].command_id = follow_up_command_id(event.position, out[n].command_type, out[n].stream, occurrence);
  }
  return out;
}

// Step 2: a subject event carrying an "approval" object opens the approval.
std::vector<follow_up> open_requested_approval(const recorded_event& event, const stream_reads&) {
  if (is_approval_stream(event.stream)) return {};
  const auto req = request_in(event);
  if (!req) return {};
  json data = {
      {"approval_id", req->approval_id},
      {"subject_stream", event.stream},
      {"subject_version", event.version},
      {"subject_kind", req->subject_kind},
      {"content_hash", req->content_hash},
      {"policy", to_json(req->policy)},
      {"on_approved", req->on_approved},
      {"on_rejected", req->on_rejected},
      {"summary", req->summary},
      {"requested_by", event.meta.actor},
  };
  return {follow_up{"approval.open", approval_stream_for(req->approval_id), std::move(data), {}}};
}

// Step 4: a completed approval issues the subject's on_approved / on_rejected.
std::vector<follow_up> conclude_approved_subject(const recorded_event& event, const stream_reads&) {
  const bool approved = event.type == "approval.approved.v1";
  const bool rejected = event.type == "approval.rejected.v1";
  if (!approved && !rejected) return {};
  if (!event.data.is_object()) return {};
  fields f{event.data, "", wire::bounds::stored};
  auto approval_id = f.raw_text("approval_id");
  auto subject = f.raw_text("subject_stream");
  auto command = f.raw_text(approved ? "on_approved" : "on_rejected");
  approval_outcome out{std::move(approval_id), f.strings("approvers"), f.opt_text("comment"), {}};
  if (rejected) out.rejected_by = f.raw_text("rejected_by");
  if (!f.ok()) return {};
  return {follow_up{std::move(command), std::move(subject), to_json(out), {}}};
}

// Step 5: any later event on a subject whose approval is still open voids it.
// Also the other order: an approval opened (its check of the subject and its
// append are not one step) when the subject had already changed is void too.

namespace {

// An opened approval's subject and the version it binds to.
struct opened_on {
  std::string approval_id;
  std::string subject;
  std::uint64_t version = 0;
};

std::optional<opened_on> opened_approval(const recorded_event& event) {
  if (event.type != "approval.opened.v1" || !event.data.is_object()) return std::nullopt;
  fields f{event.data, "", wire::bounds::stored};
  opened_on o;
  o.approval_id = f.raw_text("approval_id");
  o.subject = f.raw_text("subject_stream");
  o.version = static_cast<std::uint64_t>(f.integer("subject_version", 1, std::int64_t{1} << 53));
  if (!f.ok()) return std::nullopt;
  return o;
}

// The latest request a subject recorded before `event` (which is on the subject's stream).
struct pending_request {
  approval_request request;
  std::uint64_t version = 0;
};

std::optional<pending_request> request_before(const recorded_event& event, std::span<const recorded_event> subject) {
  // From the newest event back: the first well-formed request met is the
  // latest, and a long stream costs only the events since its last request
  // (each one met before it would be parsed and then replaced).
  for (auto it = subject.rbegin(); it != subject.rend(); ++it) {
    if (it->version >= event.version) continue;
    if (auto r = request_in(*it)) return pending_request{std::move(*r), it->version};
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> void_approval_reads(const recorded_event& event, const stream_reads& read) {
  if (is_approval_stream(event.stream)) {
    if (auto o = opened_approval(event)) return {o->subject};
    return {};
  }
  if (!read.contains(event.stream)) return {event.stream};
  if (auto pending = request_before(event, read.history(event.stream)))
    return {approval_stream_for(pending->request.approval_id)};
  return {};
}

std::vector<follow_up> void_approval_on_subject_change(const recorded_event& event, const stream_reads& read) {
  if (is_approval_stream(event.stream)) {
    const auto o = opened_approval(event);
    if (!o) return {};
    const auto history = read.history(o->subject);
    if (history.empty() || history.back().version <= o->version) return {};
    const auto& change = history.back();
    json data = {
        {"approval_id", o->approval_id},
        {"reason", "the subject " + o->subject + " changed after version " + std::to_string(o->version) + " (" +
                       change.type + " at version " + std::to_string(change.version) + ")"},
        {"subject_version", change.version},
    };
    return {follow_up{"approval.void", event.stream, std::move(data), {}}};
  }
  const auto found = request_before(event, read.history(event.stream));
  if (!found) return {};
  const auto& pending = found->request;
  const std::uint64_t pending_version = found->version;
  if (!approval_open(read.history(approval_stream_for(pending.approval_id)))) return {};
  json data = {
      {"approval_id", pending.approval_id},
      {"reason", "the subject " + event.stream + " changed after version " +
                     std::to_string(pending_version) + " (" + event.type + " at version " +
                     std::to_string(event.version) + ")"},
      {"subject_version", event.version},
  };
  return {follow_up{"approval.void", approval_stream_for(pending.approval_id), std::move(data), {}}};
}

// ---------------------------------------------------------------------------
// The approval pattern, subject side

json to_json(const approval_policy& p) {
  json roles = json::array();
  for (role r : p.required_roles) roles.push_back(std::string(to_string(r)));
  return json{{"required_roles", roles},
              {"required_users", p.required_users},
              {"min_approvals", p.min_approvals},
              {"ordered", p.ordered},
              {"version", p.version}};
}

namespace {

// A reader over `j` whose failures name "<field>.<key>", or an invalid
// rejection when `j` is not an object.
std::expected<fields, rejection> object_reader(const json& j, std::string_view field) {
  if (!j.is_object()) return std::unexpected(rejection{rejection_kind::invalid, std::string(field), "must be an object"});
  return fields{j, field.empty() ? std::string{} : std::string(field) + "."};
}

template <class T, class Read>
std::expected<T, rejection> read_whole(const json& j, std::string_view field, Read read) {
  auto f = object_reader(j, field);
  if (!f) return std::unexpected(f.error());
  T value = read(*f);
  if (!f->ok()) return std::unexpected(f->error());
  return value;
}

}  // namespace

namespace wire {

approval_policy read_approval_policy(fields& f) {
  approval_policy p;
  const auto roles = f.opt_texts("required_roles", 32, 8);
  for (std::size_t i = 0; i < roles.size() && f.ok(); ++i) {
    const auto r = role_from_string(roles[i]);
    const auto at = "required_roles[" + std::to_string(i) + "]";
    if (!r) f.fail(at, "unknown role '" + roles[i] + "'");
    else if (*r == role::system || *r == role::external_auditor || *r == role::admin)
      f.fail(at, "role '" + roles[i] + "' cannot approve");
    else if (std::find(p.required_roles.begin(), p.required_roles.end(), *r) != p.required_roles.end())
      f.fail(at, "role listed twice");
    else p.required_roles.push_back(*r);
  }
  p.required_users = f.opt_texts("required_users", 64, 16);
  for (std::size_t i = 0; i < p.required_users.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (p.required_users[i] == p.required_users[k])
        f.fail("required_users[" + std::to_string(i) + "]", "user listed twice");
  if (f.ok() && p.required_roles.empty() && p.required_users.empty())
    f.fail("required_roles", "at least one required role or required user");
  p.min_approvals = static_cast<int>(f.integer("min_approvals", 1, 20));
  p.ordered = f.opt_boolean("ordered", false);
  p.version = static_cast<int>(f.integer("version", 1, 1'000'000));
  return p;
}

approval_request read_approval_request(fields& f) {
  approval_request r;
  r.approval_id = f.id("approval_id");
  r.subject_kind = f.text("subject_kind", 64);
  fields policy = f.nested("policy");
  r.policy = read_approval_policy(policy);
  f.adopt(policy);
  r.on_approved = f.text("on_approved", 80);
  r.on_rejected = f.text("on_rejected", 80);
  r.summary = f.text("summary", max_line);
  r.content_hash = f.sha256("content_hash");
  return r;
}

approval_request read_approval_request(fields& f, std::string_view key) {
  fields n = f.nested(key);
  auto r = read_approval_request(n);
  f.adopt(n);
  return r;
}

approval_outcome read_approval_outcome(fields& f) {
  approval_outcome o;
  o.approval_id = f.text("approval_id", 64);
  o.approvers = f.texts("approvers", true, 64, 64);
  o.comment = f.opt_text("comment");
  o.rejected_by = f.opt_text("rejected_by", 64);
  return o;
}

}  // namespace wire

std::expected<approval_policy, rejection> parse_approval_policy(const json& j, std::string_view field) {
  return read_whole<approval_policy>(j, field, [](fields& f) { return wire::read_approval_policy(f); });
}

json to_json(const approval_request& r) {
  return json{{"approval_id", r.approval_id}, {"subject_kind", r.subject_kind},
              {"policy", to_json(r.policy)},  {"on_approved", r.on_approved},
              {"on_rejected", r.on_rejected}, {"summary", r.summary},
              {"content_hash", r.content_hash}};
}

std::expected<approval_request, rejection> parse_approval_request(const json& j, std::string_view field) {
  return read_whole<approval_request>(j, field, [](fields& f) { return wire::read_approval_request(f); });
}

std::string approval_id_for(std::string_view subject_stream, std::uint64_t subject_version) {
  std::string id(subject_stream);
  id += ".v" + std::to_string(subject_version);
  if (id.size() <= 64) return id;
  return "h" + sha256_hex(id).substr(0, 40);
}

std::string approval_stream_for(std::string_view approval_id) {
  return "approval-" + std::string(approval_id);
}

json to_json(const approval_outcome& o) {
  json j{{"approval_id", o.approval_id}, {"approvers", o.approvers}, {"comment", o.comment}};
  if (!o.rejected_by.empty()) j["rejected_by"] = o.rejected_by;
  return j;
}

std::expected<approval_outcome, rejection> parse_approval_outcome(const json& data) {
  return read_whole<approval_outcome>(data, "data", [](fields& f) { return wire::read_approval_outcome(f); });
}

std::optional<rejection> check_approval_outcome(const command_context& ctx,
                                                const approval_outcome& outcome,
                                                std::string_view pending_approval_id) {
  if (!ctx.by.has(role::system))
    return rejection{rejection_kind::forbidden, "",
                     "only the system concludes an approval on its subject"};
  if (pending_approval_id.empty())
    return rejection{rejection_kind::rule, "data.approval_id", "no approval is pending on this subject"};
  if (outcome.approval_id != pending_approval_id)
    return rejection{rejection_kind::rule, "data.approval_id",
                     "approval " + outcome.approval_id +
                         " is not the one pending on this subject (" +
                         std::string(pending_approval_id) + ")"};
  return std::nullopt;
}

}  // namespace isms::domain
