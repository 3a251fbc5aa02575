#include "isms/domain/approval.hpp"

#include <algorithm>

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::approval {

namespace {

using wire::fields;

using wire::role_names;
using wire::rule;

std::vector<role> stored_roles(fields& f, std::string_view key) {
  std::vector<role> out;
  const auto names = f.strings(key);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto r = role_from_string(names[i]);
    if (!r) f.fail(std::string(key) + "[" + std::to_string(i) + "]", "unknown role '" + names[i] + "'");
    else out.push_back(*r);
  }
  return out;
}

// ---- the policy as steps ----------------------------------------------------

struct step {
  std::string label;           // "user:<id>" or "role:<role>"
  std::optional<std::string> user;
  std::optional<role> by_role;

  [[nodiscard]] bool qualifies(const actor& a) const {
    if (user) return a.user_id == *user;
    return a.has(*by_role);
  }
};

std::vector<step> steps_of(const approval_policy& p) {
  std::vector<step> out;
  for (const auto& u : p.required_users) out.push_back(step{"user:" + u, u, std::nullopt});
  for (role r : p.required_roles)
    out.push_back(step{"role:" + std::string(to_string(r)), std::nullopt, r});
  return out;
}

struct progress {
  std::vector<step> steps;
  std::vector<bool> satisfied;
  std::size_t approvals = 0;
  std::size_t unsatisfied = 0;
};

progress progress_of(const state& s) {
  progress p;
  p.steps = steps_of(s.request.policy);
  p.satisfied.assign(p.steps.size(), false);
  for (const auto& d : s.decisions) {
    if (!d.approved) continue;
    ++p.approvals;
    for (std::size_t i = 0; i < p.steps.size(); ++i)
      if (p.steps[i].label == d.step) p.satisfied[i] = true;
  }
  p.unsatisfied = static_cast<std::size_t>(std::count(p.satisfied.begin(), p.satisfied.end(), false));
  return p;
}

bool complete(const state& s, const progress& p) {
  return p.unsatisfied == 0 &&
         p.approvals >= static_cast<std::size_t>(std::max(1, s.request.policy.min_approvals));
}

// An extra approver beyond the steps is needed when the steps alone cannot
// reach min_approvals.
bool additional_needed(const state& s, const progress& p) {
  return p.approvals + p.unsatisfied < static_cast<std::size_t>(s.request.policy.min_approvals);
}

bool decided(const state& s, std::string_view user) {
  return std::any_of(s.decisions.begin(), s.decisions.end(),
                     [&](const recorded_decision& d) { return d.reviewer == user; });
}

// The step `who` would fill now, "additional", or an error saying why not.
std::expected<std::string, rejection> step_for(const state& s, const actor& who) {
  const auto p = progress_of(s);
  const bool ordered = s.request.policy.ordered;
  std::optional<std::size_t> first_unsatisfied;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (p.satisfied[i]) continue;
    if (!first_unsatisfied) first_unsatisfied = i;
    if (ordered && i != *first_unsatisfied) break;
    if (p.steps[i].qualifies(who)) return p.steps[i].label;
  }
  const bool qualifies_any =
      std::any_of(p.steps.begin(), p.steps.end(), [&](const step& st) { return st.qualifies(who); });
  if (qualifies_any && additional_needed(s, p) && (!ordered || p.unsatisfied == 0))
    return std::string("additional");
  if (ordered && first_unsatisfied) {
    for (std::size_t i = *first_unsatisfied + 1; i < p.steps.size(); ++i)
      if (!p.satisfied[i] && p.steps[i].qualifies(who))
        return std::unexpected(rejection{
            rejection_kind::rule, "",
            "the policy is ordered: waiting for " + p.steps[*first_unsatisfied].label + " first"});
  }
  return std::unexpected(rejection{rejection_kind::forbidden, "",
                                   "user '" + who.user_id +
                                       "' is not a reviewer this approval still waits for"});
}

// ---- codecs -------------------------------------------------------------------

json encode_data(const opened& e) {
  return {{"approval_id", e.approval_id},   {"subject_stream", e.subject_stream},
          {"subject_version", e.subject_version}, {"subject_kind", e.subject_kind},
          {"content_hash", e.content_hash}, {"policy", to_json(e.policy)},
          {"on_approved", e.on_approved},   {"on_rejected", e.on_rejected},
          {"summary", e.summary},           {"requested_by", e.requested_by}};
}

std::expected<event, std::string> decode_event(std::string_view type, const json& data) {
  using wire::read_event;
  const auto policy_version = [](fields& f) { return static_cast<int>(f.integer("policy_version", INT32_MIN, INT32_MAX)); };
  const auto subject_version = [](fields& f) {
    return static_cast<std::uint64_t>(f.integer("subject_version", 0, INT64_MAX));
  };
  if (type == opened::type)
    return read_event<event>(type, data, [](fields& f) {
      opened o;
      o.approval_id = f.raw_text("approval_id");
      o.subject_stream = f.raw_text("subject_stream");
      o.subject_version = static_cast<std::uint64_t>(f.integer("subject_version", 1, INT64_MAX));
      o.subject_kind = f.raw_text("subject_kind");
      o.content_hash = f.raw_text("content_hash");
      fields policy = f.nested("policy");
      o.policy = wire::read_approval_policy(policy);
      f.adopt(policy);
      o.on_approved = f.raw_text("on_approved");
      o.on_rejected = f.raw_text("on_rejected");
      o.summary = f.raw_text("summary");
      o.requested_by = f.raw_text("requested_by");
      return o;
    });
  if (type == reviewer_approved::type)
    return read_event<event>(type, data, [&](fields& f) {
      return reviewer_approved{f.raw_text("reviewer"), stored_roles(f, "roles"), f.raw_text("step"),
                               f.opt_text("comment"), policy_version(f), f.opt_text("confirmed_with")};
    });
  if (type == reviewer_rejected::type)
    return read_event<event>(type, data, [&](fields& f) {
      return reviewer_rejected{f.raw_text("reviewer"), stored_roles(f, "roles"), f.raw_text("comment"),
                               policy_version(f)};
    });
  if (type == approved::type)
    return read_event<event>(type, data, [&](fields& f) {
      return approved{f.raw_text("approval_id"), f.raw_text("subject_stream"), subject_version(f),
                      f.raw_text("on_approved"), f.raw_text("on_rejected"),   f.strings("approvers"),
                      f.opt_text("comment"),     policy_version(f)};
    });
  if (type == rejected::type)
    return read_event<event>(type, data, [&](fields& f) {
      return rejected{f.raw_text("approval_id"), f.raw_text("subject_stream"), subject_version(f),
                      f.raw_text("on_approved"), f.raw_text("on_rejected"),   f.strings("approvers"),
                      f.raw_text("rejected_by"), f.raw_text("comment"),       policy_version(f)};
    });
  if (type == voided::type)
    return read_event<event>(type, data, [](fields& f) {
      return voided{f.raw_text("approval_id"), f.raw_text("subject_stream"), f.raw_text("reason")};
    });
  return std::unexpected("unknown event type '" + std::string(type) + "'");
}

command read_open(fields& f) {
  opened o;
  o.approval_id = f.id("approval_id");
  o.subject_stream = f.text("subject_stream", 80);
  const auto dash = o.subject_stream.find('-');
  if (f.ok() && (dash == std::string::npos || dash == 0 || !valid_stream_id(o.subject_stream.substr(dash + 1))))
    f.fail("subject_stream", "must be a stream id <kind>-<id>");
  o.subject_version = static_cast<std::uint64_t>(f.integer("subject_version", 1, std::int64_t{1} << 53));
  auto request = wire::read_approval_request(f);
  o.subject_kind = std::move(request.subject_kind);
  o.content_hash = std::move(request.content_hash);
  o.policy = std::move(request.policy);
  o.on_approved = std::move(request.on_approved);
  o.on_rejected = std::move(request.on_rejected);
  o.summary = std::move(request.summary);
  o.requested_by = f.id("requested_by");
  return open{std::move(o)};
}

}  // namespace

std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::none: return "none";
    case status::open: return "open";
    case status::approved: return "approved";
    case status::rejected: return "rejected";
    case status::voided: return "voided";
  }
  return "none";
}

std::vector<std::string> state::approvers() const {
  std::vector<std::string> out;
  for (const auto& d : decisions)
    if (d.approved) out.push_back(d.reviewer);
  return out;
}

new_event encode(const event& e) {
  return std::visit(
      [](const auto& v) -> new_event {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, opened>) {
          return {std::string(opened::type), encode_data(v)};
        } else if constexpr (std::is_same_v<T, reviewer_approved>) {
          new_event out{std::string(reviewer_approved::type),
                        {{"reviewer", v.reviewer}, {"roles", role_names(v.roles)}, {"step", v.step},
                         {"comment", v.comment}, {"policy_version", v.policy_version}}};
          if (!v.confirmed_with.empty()) out.data["confirmed_with"] = v.confirmed_with;
          return out;
        } else if constexpr (std::is_same_v<T, reviewer_rejected>) {
          return {std::string(reviewer_rejected::type),
                  {{"reviewer", v.reviewer}, {"roles", role_names(v.roles)}, {"comment", v.comment},
                   {"policy_version", v.policy_version}}};
        } else if constexpr (std::is_same_v<T, approved>) {
          return {std::string(approved::type),
                  {{"approval_id", v.approval_id}, {"subject_stream", v.subject_stream},
                   {"subject_version", v.subject_version}, {"on_approved", v.on_approved},
                   {"on_rejected", v.on_rejected}, {"approvers", v.approvers},
                   {"comment", v.comment}, {"policy_version", v.policy_version}}};
        } else if constexpr (std::is_same_v<T, rejected>) {
          return {std::string(rejected::type),
                  {{"approval_id", v.approval_id}, {"subject_stream", v.subject_stream},
                   {"subject_version", v.subject_version}, {"on_approved", v.on_approved},
                   {"on_rejected", v.on_rejected}, {"approvers", v.approvers},
                   {"rejected_by", v.rejected_by}, {"comment", v.comment},
                   {"policy_version", v.policy_version}}};
        } else {
          return {std::string(voided::type),
                  {{"approval_id", v.approval_id}, {"subject_stream", v.subject_stream},
                   {"reason", v.reason}}};
        }
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  return decode_event(type, data);
}

std::expected<command, rejection> parse_command(std::string_view type, const json& d) {
  using wire::read_command;
  if (type == open::type) return read_command<command>(d, read_open);
  if (type == approve::type)
    return read_command<command>(d, [](fields& f) { return command{approve{f.opt_text("comment")}}; });
  if (type == reject::type)
    return read_command<command>(d, [](fields& f) {
      if (f.find("comment", false) == nullptr) f.fail("comment", "is required (a rejection says why)");
      return command{reject{f.text("comment")}};
    });
  if (type == void_request::type)
    return read_command<command>(
        d, [](fields& f) { return command{void_request{f.text("approval_id", 64), f.text("reason")}}; });
  return std::unexpected(
      rejection{rejection_kind::invalid, "type", "unknown approval command '" + std::string(type) + "'"});
}

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                      const json& data) {
  if (command_type != open::type) return std::nullopt;
  if (!data.is_object()) return std::nullopt;  // parse_command names it
  const auto it = data.find("approval_id");
  if (it == data.end() || !it->is_string()) return std::nullopt;
  if (stream != approval_stream_for(it->get<std::string>()))
    return rejection{rejection_kind::invalid, "stream",
                     "an approval is opened on approval-<data.approval_id>"};
  return std::nullopt;
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, opened>) {
          s.status_ = status::open;
          s.request = v;
        } else if constexpr (std::is_same_v<T, reviewer_approved>) {
          s.decisions.push_back(recorded_decision{v.reviewer, true, v.step});
        } else if constexpr (std::is_same_v<T, reviewer_rejected>) {
          s.decisions.push_back(recorded_decision{v.reviewer, false, {}});
        } else if constexpr (std::is_same_v<T, approved>) {
          s.status_ = status::approved;
          s.outcome_comment = v.comment;
        } else if constexpr (std::is_same_v<T, rejected>) {
          s.status_ = status::rejected;
          s.outcome_comment = v.comment;
        } else {
          s.status_ = status::voided;
          s.void_reason = v.reason;
        }
      },
      e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

namespace {

// The request a command is about: the one it opens, or the one opened.
const opened* request_of(const command& c, const state& s) {
  if (const auto* o = std::get_if<open>(&c)) return &o->request;
  if (std::holds_alternative<approve>(c) || std::holds_alternative<reject>(c)) return &s.request;
  return nullptr;
}

// The subject's recorded request, and that it has not changed since.
std::optional<rejection> check_subject(const opened& req, const facts& f, bool at_open) {
  if (at_open) {
    const auto& r = f.request_at_version;
    if (!r || r->approval_id != req.approval_id || r->content_hash != req.content_hash)
      return rejection{rejection_kind::not_found, "data.subject_version",
                       req.subject_stream + " holds no request " + req.approval_id +
                           " with this content hash at version " +
                           std::to_string(req.subject_version)};
  }
  if (f.subject_version > req.subject_version)
    return rejection{rejection_kind::rule, "",
                     "the subject " + req.subject_stream + " changed since the request (now version " +
                         std::to_string(f.subject_version) + ", requested at " +
                         std::to_string(req.subject_version) + "): the approval is void"};
  return std::nullopt;
}

std::optional<rejection> check_open(const state& s) {
  if (s.status_ == status::none)
    return rejection{rejection_kind::not_found, "", "no such approval"};
  if (s.status_ != status::open)
    return rejection{rejection_kind::rule, "",
                     "the approval is already " + std::string(to_string(s.status_))};
  return std::nullopt;
}

std::optional<rejection> check_reviewer(const state& s, const actor& who) {
  if (who.user_id == s.request.requested_by)
    return rejection{rejection_kind::rule, "",
                     "the requester never approves or rejects their own request (segregation of duties)"};
  if (decided(s, who.user_id))
    return rejection{rejection_kind::rule, "", "a reviewer decides once; '" + who.user_id + "' already did"};
  return std::nullopt;
}

}  // namespace

std::vector<std::string> reads(const command& c, const state& s) {
  if (const auto* req = request_of(c, s); req != nullptr && !req->subject_stream.empty())
    return {req->subject_stream};
  return {};
}

std::expected<facts, rejection> facts_from(const command& c, const state& s, const stream_reads& read) {
  facts f;
  const auto* req = request_of(c, s);
  if (req == nullptr) return f;
  const auto subject = read.history(req->subject_stream);
  if (!subject.empty()) f.subject_version = subject.back().version;
  for (const auto& e : subject) {
    if (e.version != req->subject_version) continue;
    if (e.data.is_object() && e.data.contains("approval"))
      if (auto r = parse_approval_request(e.data.at("approval"), "approval")) f.request_at_version = std::move(*r);
    break;
  }
  return f;
}

bool needs_confirmation(const opened& request) noexcept {
  const std::string_view kind = request.subject_kind;
  if (kind == "soa.publication" || kind == "document.approval" || kind == "review.minutes") return true;
  // An acceptance above appetite is the one whose policy asks top management.
  const auto& roles = request.policy.required_roles;
  return kind == "risk.acceptance" && std::find(roles.begin(), roles.end(), role::top_management) != roles.end();
}

decision decide(const command& c, const state& s, const facts& f, const command_context& ctx) {
  return std::visit(
      [&](const auto& cmd) -> decision {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, open>) {
          if (s.status_ != status::none) return rule("the approval is already open");
          const auto& req = cmd.request;
          const auto& users = req.policy.required_users;
          if (std::find(users.begin(), users.end(), req.requested_by) != users.end())
            return rule("the requester cannot be a required approver (segregation of duties)",
                        "data.policy.required_users");
          if (auto r = check_subject(req, f, true)) return std::unexpected(*r);
          return std::vector<new_event>{encode(req)};
        } else if constexpr (std::is_same_v<T, approve> || std::is_same_v<T, reject>) {
          if (auto r = check_open(s)) return std::unexpected(*r);
          if (auto r = check_reviewer(s, ctx.by)) return std::unexpected(*r);
          auto step = step_for(s, ctx.by);
          if (!step) return std::unexpected(step.error());
          if (auto r = check_subject(s.request, f, false)) return std::unexpected(*r);
          const auto& req = s.request;
          const int pv = req.policy.version;
          if constexpr (std::is_same_v<T, approve>) {
            if (needs_confirmation(req) && ctx.second_factor && ctx.confirmed == confirmation::none)
              return std::unexpected(rejection{
                  rejection_kind::unconfirmed, "confirm",
                  "approving this is a decision that matters: confirm it with the code of your authenticator app"});
            const reviewer_approved given{ctx.by.user_id, ctx.by.roles, *step, cmd.comment, pv,
                                          std::string(to_string(ctx.confirmed))};
            std::vector<new_event> out{encode(given)};
            state next = evolve(s, given);
            if (complete(next, progress_of(next)))
              out.push_back(encode(approved{req.approval_id, req.subject_stream, req.subject_version,
                                            req.on_approved, req.on_rejected, next.approvers(),
                                            cmd.comment, pv}));
            return out;
          } else {
            return std::vector<new_event>{
                encode(reviewer_rejected{ctx.by.user_id, ctx.by.roles, cmd.comment, pv}),
                encode(rejected{req.approval_id, req.subject_stream, req.subject_version,
                                req.on_approved, req.on_rejected, s.approvers(), ctx.by.user_id,
                                cmd.comment, pv})};
          }
        } else {
          if (auto r = check_open(s)) return std::unexpected(*r);
          if (cmd.approval_id != s.request.approval_id)
            return rule("this is approval " + s.request.approval_id, "data.approval_id");
          return std::vector<new_event>{
              encode(voided{s.request.approval_id, s.request.subject_stream, cmd.reason})};
        }
      },
      c);
}

pending_reviewers who_must_act(const state& s) {
  pending_reviewers out;
  if (s.status_ != status::open) return out;
  out.excluded.push_back(s.request.requested_by);
  for (const auto& d : s.decisions) out.excluded.push_back(d.reviewer);
  const auto p = progress_of(s);
  const bool ordered = s.request.policy.ordered;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (p.satisfied[i]) continue;
    if (p.steps[i].user) out.users.push_back(*p.steps[i].user);
    else out.roles.push_back(*p.steps[i].by_role);
    if (ordered) break;
  }
  if (additional_needed(s, p) && (!ordered || p.unsatisfied == 0)) {
    for (const auto& st : p.steps) {
      if (st.user && std::find(out.users.begin(), out.users.end(), *st.user) == out.users.end())
        out.users.push_back(*st.user);
      if (st.by_role && std::find(out.roles.begin(), out.roles.end(), *st.by_role) == out.roles.end())
        out.roles.push_back(*st.by_role);
    }
  }
  return out;
}

bool awaits(const state& s, const actor& who) {
  if (s.status_ != status::open) return false;
  if (check_reviewer(s, who)) return false;
  return step_for(s, who).has_value();
}

}  // namespace isms::domain::approval
