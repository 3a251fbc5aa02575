#include <algorithm>
#include <set>

#include "isms/domain/approval.hpp"
#include "isms/domain/asset.hpp"
#include "isms/domain/incident.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/supplier.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::views {

namespace {

// Collects notifications for one event: one per user, the first reason wins.
struct recipients {
  const recorded_event& e;
  std::vector<notification> out;
  std::set<std::string> told;

  void tell(const std::string& user_id, std::string kind, std::string title, std::string subject,
            std::string approval_id = {}) {
    if (user_id.empty() || user_id == "system" || !told.insert(user_id).second) return;
    out.push_back(notification{"n-" + std::to_string(e.position) + "-" + user_id, user_id, std::move(kind),
                               std::move(title), std::move(subject), std::move(approval_id), e.position});
  }
};

const approval_entry* approval_of(const all_views& v, const recorded_event& e) {
  const auto it = v.approvals.approvals.find(id_in_stream(e.stream));
  return it == v.approvals.approvals.end() ? nullptr : &it->second;
}

// Those who must act now on an open approval: its named reviewers and the
// enabled holders of its required roles (the current step only, when the
// policy is ordered), without the requester and those who already decided.
std::vector<std::string> reviewers_now(const all_views& v, const approval_entry& a) {
  const auto who = approval::who_must_act(approval_state_of(a));
  std::vector<std::string> out = who.users;
  for (role r : who.roles)
    for (auto& u : users_holding(v.users, r)) out.push_back(std::move(u));
  std::erase_if(out, [&](const std::string& u) {
    return std::find(who.excluded.begin(), who.excluded.end(), u) != who.excluded.end();
  });
  return out;
}

// Everyone the policy names: its named users and the enabled holders of its
// required roles, without the requester.
std::vector<std::string> all_reviewers(const all_views& v, const approval_entry& a) {
  std::vector<std::string> out;
  const auto policy = parse_approval_policy(a.policy.value(), "policy");
  if (!policy) return out;
  out = policy->required_users;
  for (role r : policy->required_roles)
    for (auto& u : users_holding(v.users, r)) out.push_back(std::move(u));
  std::erase(out, a.requested_by);
  return out;
}

}  // namespace

json to_json(const notification& n) {
  json j{{"id", n.id},
         {"user_id", n.user_id},
         {"kind", n.kind},
         {"title", n.title},
         {"subject_stream", n.subject_stream},
         {"position", n.position}};
  if (!n.approval_id.empty()) j["approval_id"] = n.approval_id;
  return j;
}

namespace {

// Calls f(x) with `e` decoded as T (by its aggregate's `decode`) when `e` is
// an event of T's declared wire type, or of the earlier type T is upcast
// from; true when the type matched.
template <class T, class Decode, class F>
bool on(const recorded_event& e, Decode decode, F&& f) {
  bool earlier = false;
  if constexpr (requires { T::upcast_from; }) earlier = e.type == T::upcast_from;
  if (e.type != T::type && !earlier) return false;
  if (auto ev = decode(e.type, e.data))
    if (const auto* x = std::get_if<T>(&*ev)) f(*x);
  return true;
}

}  // namespace

std::vector<notification> notifications_for(const all_views& v, const recorded_event& e) {
  recipients r{e, {}, {}};
  const auto concluded = [&](bool ok) {
    const approval_entry* a = approval_of(v, e);
    if (a == nullptr) return;
    r.tell(a->requested_by, ok ? "approval_approved" : "approval_rejected",
           std::string(ok ? "Approved: " : "Rejected by " + a->rejected_by + ": ") + a->summary,
           a->subject_stream, a->id);
  };
  // The risk the event's stream holds, or nullptr.
  const auto risk_here = [&]() -> const risk_entry* {
    const auto it = v.risks.risks.find(id_in_stream(e.stream));
    return it != v.risks.risks.end() ? &it->second : nullptr;
  };
  const auto managers_but = [&](const std::string& who, std::string kind, const std::string& title) {
    for (const auto& u : users_holding(v.users, role::isms_manager))
      if (u != who) r.tell(u, kind, title, e.stream);
  };
  namespace nc = nonconformity;
  namespace mr = management_review;
  namespace ia = internal_audit;
  namespace in = incident;
  const auto incident_here = [&]() -> const incident_entry* {
    const auto it = v.incidents.incidents.find(id_in_stream(e.stream));
    return it != v.incidents.incidents.end() ? &it->second : nullptr;
  };
  (void)(on<approval::opened>(e, approval::decode,
                              [&](const auto&) {
                                // Every reviewer the policy names, also those whose step of an
                                // ordered policy comes later (they are told again when it comes).
                                const approval_entry* a = approval_of(v, e);
                                if (a == nullptr) return;
                                for (const auto& u : all_reviewers(v, *a))
                                  r.tell(u, "approval_requested", "Approval requested: " + a->summary,
                                         a->subject_stream, a->id);
                              }) ||
         on<approval::reviewer_approved>(e, approval::decode,
                                         [&](const auto&) {
                                           // An ordered policy moved on a step: those whose turn has come.
                                           const approval_entry* a = approval_of(v, e);
                                           if (a == nullptr || a->state != "open") return;
                                           if (!parse_approval_policy(a->policy, "policy").value_or(approval_policy{}).ordered)
                                             return;
                                           for (const auto& u : reviewers_now(v, *a))
                                             r.tell(u, "approval_your_turn", "Your turn to approve: " + a->summary,
                                                    a->subject_stream, a->id);
                                         }) ||
         on<approval::approved>(e, approval::decode, [&](const auto&) { concluded(true); }) ||
         on<approval::rejected>(e, approval::decode, [&](const auto&) { concluded(false); }) ||
         on<approval::voided>(e, approval::decode,
                              [&](const auto&) {
                                const approval_entry* a = approval_of(v, e);
                                if (a == nullptr) return;
                                for (const auto& u : all_reviewers(v, *a))
                                  r.tell(u, "approval_voided", "Approval withdrawn: " + a->summary + " — " + a->void_reason,
                                         a->subject_stream, a->id);
                              }) ||
         on<nc::action_planned>(e, nc::decode,
                                [&](const auto& x) {
                                  r.tell(x.owner, "corrective_action_assigned",
                                         "Corrective action " + x.action_id + " of " + e.stream + " is yours, due " +
                                             format_date(x.due_on),
                                         e.stream);
                                }) ||
         // The effectiveness is verified by someone other than the implementer (10.2 d).
         on<nc::action_completed>(e, nc::decode,
                                  [&](const auto& x) {
                                    managers_but(x.completed_by, "corrective_action_to_verify",
                                                 "Verify the effectiveness of corrective action " + x.action_id +
                                                     " of " + e.stream);
                                  }) ||
         on<nc::raised>(e, nc::decode,
                        [&](const auto&) {
                          managers_but(e.meta.actor, "nonconformity_raised", "Nonconformity raised: " + e.stream);
                        }) ||
         on<risk::identified>(e, risk::decode,
                              [&](const auto& x) {
                                if (x.owner != e.meta.actor)
                                  r.tell(x.owner, "risk_assigned",
                                         "You own the risk " + e.stream + " \"" + x.title + "\"", e.stream);
                              }) ||
         on<risk::owner_changed>(e, risk::decode,
                                 [&](const auto& x) {
                                   if (x.owner == e.meta.actor) return;
                                   const risk_entry* risk = risk_here();
                                   r.tell(x.owner, "risk_assigned",
                                          "You now own the risk " + e.stream + " \"" +
                                              (risk ? risk->title : std::string{}) + "\"",
                                          e.stream);
                                 }) ||
         on<risk::acceptance_expired>(e, risk::decode,
                                      [&](const auto&) {
                                        if (const risk_entry* risk = risk_here())
                                          r.tell(risk->owner, "risk_acceptance_expired",
                                                 "The acceptance of " + e.stream + " \"" + risk->title +
                                                     "\" expired: reassess the risk",
                                                 e.stream);
                                      }) ||
         on<objective::objective_set>(e, objective::decode,
                                      [&](const auto&) {
                                        const auto it = v.objectives.objectives.find(id_in_stream(e.stream));
                                        if (it != v.objectives.objectives.end())
                                          r.tell(it->second.in_force.owner, "objective_set",
                                                 "Objective " + it->second.id + " is set: " +
                                                     it->second.in_force.statement,
                                                 e.stream);
                                      }) ||
         on<mr::action_recorded>(e, mr::decode,
                                 [&](const auto& x) {
                                   r.tell(x.owner, "review_action_assigned",
                                          "Management review action " + x.action_id + " of " + e.stream +
                                              " is yours, due " + format_date(x.due_on),
                                          e.stream);
                                 }) ||
         on<mr::scheduled>(e, mr::decode,
                           [&](const auto& x) {
                             r.tell(x.chair, "review_scheduled",
                                    "You chair the management review " + x.review_id + " on " +
                                        format_date(x.planned_on),
                                    e.stream);
                           }) ||
         // Reported: every ISMS manager at once (A.5.25 assesses it without delay).
         on<in::reported>(e, in::decode,
                          [&](const auto& x) {
                            managers_but(x.reported_by, "incident_reported",
                                         "Incident reported: " + x.title + " (" + e.stream + ")");
                          }) ||
         on<in::triaged>(e, in::decode,
                         [&](const auto& x) {
                           const incident_entry* i = incident_here();
                           const std::string title = i ? i->title : e.stream;
                           if (x.handler != x.triaged_by)
                             r.tell(x.handler, "incident_assigned",
                                    "You handle " + std::string(in::to_string(x.as)) + " " + e.stream + " (" +
                                        std::string(in::to_string(x.level)) + "): " + title,
                                    e.stream);
                           // The owners of the risks it touches reassess them.
                           for (const auto& risk_id : x.related_risks)
                             if (const auto it = v.risks.risks.find(risk_id); it != v.risks.risks.end())
                               if (it->second.owner != x.triaged_by)
                                 r.tell(it->second.owner, "incident_concerns_risk",
                                        "Incident " + e.stream + " concerns your risk risk-" + risk_id + " \"" +
                                            it->second.title + "\": reassess it",
                                        e.stream);
                         }) ||
         on<in::closed>(e, in::decode,
                        [&](const auto& x) {
                          if (const incident_entry* i = incident_here(); i && i->reported_by != x.closed_by)
                            r.tell(i->reported_by, "incident_closed",
                                   "The incident you reported is closed: " + i->title, e.stream);
                        }) ||
         on<asset::registered>(e, asset::decode,
                               [&](const auto& x) {
                                 if (x.recorded.owner != x.registered_by)
                                   r.tell(x.recorded.owner, "asset_assigned",
                                          "You own the asset " + x.recorded.name + " (" + e.stream + "), classified " +
                                              x.level,
                                          e.stream);
                               }) ||
         on<supplier::registered>(e, supplier::decode,
                                  [&](const auto& x) {
                                    if (x.recorded.owner != x.registered_by)
                                      r.tell(x.recorded.owner, "supplier_assigned",
                                             "You own the relationship with supplier " + x.recorded.name + " (" +
                                                 e.stream + ")",
                                             e.stream);
                                  }) ||
         // 5.22: an assessment that is not satisfactory is for the ISMS managers to act on.
         on<supplier::assessed>(e, supplier::decode,
                                [&](const auto& x) {
                                  if (x.outcome == supplier::result::satisfactory) return;
                                  const auto it = v.suppliers.suppliers.find(id_in_stream(e.stream));
                                  const std::string name = it != v.suppliers.suppliers.end() ? it->second.terms.name : e.stream;
                                  managers_but(x.assessed_by, "supplier_assessment_" + std::string(supplier::to_string(x.outcome)),
                                               "Supplier " + name + " assessed " +
                                                   std::string(supplier::to_string(x.outcome)) + ": " + x.findings);
                                }) ||
         on<ia::planned>(e, ia::decode, [&](const auto& x) {
           const std::string title = "Internal audit " + x.audit_id + " of " + x.area + " planned from " +
                                     format_date(x.planned_start) + " to " + format_date(x.planned_end);
           r.tell(x.lead_auditor, "audit_planned", title, e.stream);
           r.tell(x.process_owner, "audit_planned", title, e.stream);
         }));
  return std::move(r.out);
}

}  // namespace isms::domain::views
