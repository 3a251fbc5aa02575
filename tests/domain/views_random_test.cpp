// The randomized fold test: long sequences of valid commands across the
// aggregates (a seeded PRNG picks them; the dispatcher decides them; the
// reactions settle on an in-memory log), then
//   - the views folded event by event, as the server's projection does, equal
//     the views folded from scratch;
//   - a snapshot taken at k (through its JSON text) plus the tail equals the
//     full fold, for several k;
//   - every event the domain recorded is readable by the views (none skipped);
//   - the views agree with the aggregates' own folded state.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "in_memory_log.hpp"
#include "isms/domain/annex_a.hpp"
#include "isms/domain/approval.hpp"
#include "isms/domain/classification_scheme.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/evidence.hpp"
#include "isms/domain/incident.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::views::views_random_test {
namespace {

using testing::in_memory_log;

struct person {
  std::string id;
  std::vector<role> roles;
};

const std::vector<person> people{
    {"mia", {role::isms_manager}},      {"max", {role::isms_manager}},   {"olga", {role::risk_owner}},
    {"otto", {role::risk_owner}},       {"tom", {role::top_management}}, {"tess", {role::top_management}},
    {"carl", {role::contributor}},      {"cleo", {role::contributor}},   {"ada", {role::internal_auditor}},
    {"abe", {role::internal_auditor}},  {"root", {role::admin}},
};

// Drives one randomized history.
class simulation {
 public:
  explicit simulation(std::uint64_t seed) : rng_(seed) {
    now_ = parse_instant("2026-01-05T09:00:00.000Z").value();
    for (const auto& p : people) {
      json roles = json::array();
      for (role r : p.roles) roles.push_back(std::string(to_string(r)));
      issue("user.register", "user-" + p.id, {{"name", p.id}, {"roles", roles}}, person{"root", {role::admin}});
    }
  }

  void run(int steps) {
    for (int i = 0; i < steps; ++i) {
      now_ += std::chrono::hours(pick(1, 40));
      step();
    }
  }

  [[nodiscard]] const in_memory_log& log() const { return log_; }
  [[nodiscard]] const all_views& live() const { return live_; }
  [[nodiscard]] int accepted() const { return accepted_; }
  [[nodiscard]] int rejected() const { return rejected_; }
  [[nodiscard]] date today() const { return day_of(now_); }
  [[nodiscard]] const std::map<std::string, int>& accepted_by_type() const { return by_type_; }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(1, 100) <= percent; }
  template <class T>
  T one_of(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(pick(0, static_cast<int>(v.size()) - 1))];
  }
  const person& someone(role r) {
    std::vector<const person*> holders;
    for (const auto& p : people)
      if (std::find(p.roles.begin(), p.roles.end(), r) != p.roles.end()) holders.push_back(&p);
    return *holders[static_cast<std::size_t>(pick(0, static_cast<int>(holders.size()) - 1))];
  }
  std::string day_in(int lo, int hi) { return format_date(today() + std::chrono::days(pick(lo, hi))); }
  std::string id(const std::string& prefix, int n) { return prefix + "-" + std::to_string(pick(1, n)); }
  std::string control() {
    const auto cat = annex_a::catalogue();
    return std::string(cat[static_cast<std::size_t>(pick(0, static_cast<int>(cat.size()) - 1))].id);
  }

  // Decides a command through the dispatcher against its stream's history.
  decision decide(std::string_view type, const std::string& stream, const json& data, const command_context& ctx) {
    return log_.decide(type, stream, data, log_.history(stream), ctx);
  }

  // Decides a command, records it, runs the reactions until nothing follows
  // (issuing their follow-ups as the system, each command id once), and folds
  // every new event into the live views.
  void issue(std::string_view type, const std::string& stream, const json& data, const person& who) {
    command_context ctx{actor{who.id, who.roles}, now_, "c-" + std::to_string(++commands_)};
    const std::size_t from = log_.size() + 1;
    const auto d = decide(type, stream, data, ctx);
    if (!d) {
      ++rejected_;
      ++rejections_[std::string(type) + ": " + d.error().message.substr(0, 60)];
      return;
    }
    log_.append(stream, *d, ctx);
    ++accepted_;
    ++by_type_[std::string(type)];
    for (std::size_t p = from; p <= log_.size(); ++p) {
      const recorded_event e = log_.all()[p - 1];
      for (const auto& fu : log_.react_to(e)) {
        if (!seen_.insert(fu.command_id).second) continue;
        command_context sys{actor{"system", {role::system}}, now_, fu.command_id};
        const auto fd = decide(fu.command_type, fu.stream, fu.data, sys);
        if (!fd) {
          ++rejections_["reaction " + fu.command_type + ": " + fd.error().message.substr(0, 60)];
          continue;
        }
        log_.append(fu.stream, *fd, sys);
        ++by_type_[fu.command_type];
      }
    }
    for (std::size_t p = from; p <= log_.size(); ++p) live_ = evolve(std::move(live_), log_.all()[p - 1]);
  }

  void step() {
    switch (pick(0, 16)) {
      case 0: return risk_step();
      case 1: return risk_step();
      case 2: return approval_step();
      case 3: return approval_step();
      case 11: return soa_step();
      case 4: return soa_step();
      case 5: return scope_step();
      case 6: return document_step();
      case 7: return objective_step();
      case 8: return nc_step();
      case 9: return audit_step();
      case 10: return review_step();
      case 12: return incident_step();
      case 13: return supplier_step();
      case 14: return asset_step();
      case 15: return evidence_step();
      default: return time_step();
    }
  }

  // Mostly the next plausible command for the risk's state (as the live views
  // show it), sometimes any command (a rule says no).
  void risk_step() {
    const std::string rid = id("R", 12);
    const std::string stream = "risk-" + rid;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.risks.risks.find(rid);
    const std::string state = it == live_.risks.risks.end() ? "" : it->second.state;
    int what = pick(0, 6);
    if (chance(85)) {
      if (state.empty()) what = 0;
      else if (state == "identified" || state == "acceptance_expired") what = 1;
      else if (state == "assessed") what = 2;
      else if (state == "treatment_planned") what = chance(70) ? 3 : 2;
      else if (state == "accepted") what = chance(30) ? 1 : 6;
      else if (state == "acceptance_requested") return approval_step();
    }
    switch (what) {
      case 0:
        return issue("risk.identify", stream,
                     {{"title", "Risk " + stream}, {"asset", "asset"}, {"threat", "threat"},
                      {"vulnerability", "weakness"}, {"owner", chance(50) ? "olga" : "otto"}, {"category", "ops"}},
                     manager);
      case 1:
        return issue("risk.assess", stream,
                     {{"likelihood", pick(1, 5)}, {"impact", pick(1, 5)}, {"rationale", "judged"}}, manager);
      case 2: {
        json controls = json::array();
        for (int i = pick(1, 3); i > 0; --i) controls.push_back(control());
        std::sort(controls.begin(), controls.end());
        controls.erase(std::unique(controls.begin(), controls.end()), controls.end());
        const std::string option = one_of<std::string>({"modify", "modify", "avoid", "share", "retain"});
        int tl = pick(1, 3), ti = pick(1, 4);
        if (option == "retain" && it != live_.risks.risks.end()) {
          tl = it->second.inherent.likelihood;
          ti = it->second.inherent.impact;
        }
        return issue("risk.plan_treatment", stream,
                     {{"option", option}, {"controls", controls}, {"actions", "act"}, {"target_likelihood", tl},
                      {"target_impact", ti}, {"due", day_in(5, 120)}},
                     manager);
      }
      case 3:
      case 4:
        return issue("risk.request_acceptance", stream, {{"review_date", day_in(20, 200)}}, manager);
      case 5:
        if (chance(20)) return issue("risk.retire", stream, {{"reason", "gone"}}, manager);
        return;
      default:
        if (chance(10)) {
          const int low = pick(3, 6);
          return issue("risk_matrix.configure", "config-risk-matrix",
                       {{"likelihood_labels", {"1", "2", "3", "4", "5"}}, {"impact_labels", {"1", "2", "3", "4", "5"}},
                        {"bands", {{{"name", "low"}, {"min_score", 1}, {"max_score", low}},
                                   {{"name", "high"}, {"min_score", low + 1}, {"max_score", 25}}}},
                        {"appetite", chance(50) ? "low" : "high"}},
                       manager);
        }
        return;
    }
  }

  void approval_step() {
    std::vector<const approval_entry*> open;
    for (const auto& [_, a] : live_.approvals.approvals)
      if (a.state == "open") open.push_back(&a);
    if (open.empty()) return;
    const approval_entry& a = *one_of(open);
    // Prefer someone the approval waits for; sometimes anyone (a rule says no).
    std::vector<const person*> candidates;
    for (const auto& p : people)
      if (chance(15) || approval::awaits(approval_state_of(a), actor{p.id, p.roles})) candidates.push_back(&p);
    if (candidates.empty()) return;
    const person& who = *one_of(candidates);
    if (chance(80)) return issue("approval.approve", a.stream, {{"comment", "fine"}}, who);
    return issue("approval.reject", a.stream, {{"comment", "not like this"}}, who);
  }

  void soa_step() {
    const person& manager = someone(role::isms_manager);
    std::vector<std::string> undecided, applicable;
    const auto cat = annex_a::catalogue();
    for (std::size_t i = 0; i < cat.size() && i < live_.soa.entries.size(); ++i) {
      if (!live_.soa.entries[i].decided) undecided.emplace_back(cat[i].id);
      else if (live_.soa.entries[i].applicable) applicable.emplace_back(cat[i].id);
    }
    const int what = pick(0, 5);
    if (what <= 2) {
      // Decide a few controls, mostly undecided ones.
      for (int n = pick(1, 6); n > 0; --n) {
        json risks = json::array();
        if (chance(30) && !live_.risks.risks.empty()) risks.push_back(live_.risks.risks.begin()->first);
        const std::string c = !undecided.empty() && chance(85) ? one_of(undecided) : control();
        issue("soa.decide_control", "soa-main",
              {{"control_id", c}, {"applicable", chance(85)}, {"justification", "because"}, {"linked_risks", risks}},
              manager);
      }
      return;
    }
    if (what <= 4)
      return issue("soa.set_implementation_status", "soa-main",
                   {{"control_id", !applicable.empty() && chance(90) ? one_of(applicable) : control()},
                    {"status", one_of<std::string>({"not_started", "planned", "partial", "implemented"})}},
                   manager);
    return issue("soa.request_publication", "soa-main", {{"comment", "yearly"}}, manager);
  }

  void scope_step() {
    const person& manager = someone(role::isms_manager);
    switch (pick(0, 5)) {
      case 0:
        return issue("scope.set_statement", "scope-main",
                     {{"boundaries", "HQ " + std::to_string(pick(1, 3))}, {"inclusions", {"IT"}},
                      {"exclusions", json::array()}, {"interfaces", "cloud"}},
                     manager);
      case 1:
        return issue("scope.add_issue", "scope-main",
                     {{"issue_id", id("I", 8)}, {"kind", chance(50) ? "internal" : "external"}, {"description", "d"}},
                     manager);
      case 2:
        return issue("scope.remove_issue", "scope-main", {{"issue_id", id("I", 8)}}, manager);
      case 3:
        return issue(chance(50) ? "scope.add_interested_party" : "scope.update_interested_party", "scope-main",
                     {{"party_id", id("P", 5)}, {"name", "party"}, {"requirements", {"req " + std::to_string(pick(1, 3))}}},
                     manager);
      default:
        if (!live_.scope.pending_approval_id.empty()) return approval_step();
        return issue("scope.request_approval", "scope-main", json::object(), manager);
    }
  }

  void document_step() {
    const std::string doc = id("DOC", 5);
    const std::string stream = "document-" + doc;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.documents.documents.find(doc);
    int what = pick(0, 6);
    if (chance(85)) {
      if (it == live_.documents.documents.end()) what = 0;
      else if (it->second.retired) return;
      else if (it->second.working == "draft") what = chance(70) ? 2 : 1;
      else if (it->second.working == "approval_requested") return approval_step();
      else if (it->second.working == "approved") what = 4;
      else if (it->second.working == "published") what = one_of<int>({1, 5, 5, 6});
    }
    switch (what) {
      case 0:
        return issue("document.draft", stream,
                     {{"document_id", doc}, {"kind", one_of<std::string>({"policy", "procedure", "record"})},
                      {"title", "Doc " + doc}, {"owner", "carl"}, {"classification", "internal"},
                      {"review_interval_months", pick(1, 12)}, {"text", "text " + std::to_string(pick(1, 1000))}},
                     manager);
      case 1:
        return issue("document.revise", stream,
                     {{"text", "text " + std::to_string(pick(1, 1000))}, {"change_note", "edit"}},
                     chance(50) ? person{"carl", {role::contributor}} : manager);
      case 2:
      case 3:
        return issue("document.request_approval", stream, json::object(), manager);
      case 4:
        if (it == live_.documents.documents.end()) return;
        return issue("document.publish", stream, {{"content_sha256", it->second.content_sha256}}, manager);
      case 5:
        return issue("document.record_review", stream,
                     {{"outcome", one_of<std::string>({"suitable", "revision_needed"})}, {"notes", "read"}},
                     person{"carl", {role::contributor}});
      default:
        if (chance(15)) return issue("document.retire", stream, {{"reason", "obsolete"}}, manager);
        return;
    }
  }

  void objective_step() {
    const std::string obj = id("O", 5);
    const std::string stream = "objective-" + obj;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.objectives.objectives.find(obj);
    int what = pick(0, 5);
    if (chance(85)) {
      if (it == live_.objectives.objectives.end()) what = 0;
      else if (!it->second.pending_approval_id.empty()) return approval_step();
      else if (it->second.state == "proposed" || it->second.proposal_open) what = 1;
      else if (it->second.state == "set") what = one_of<int>({2, 2, 2, 4, 5});
      else return;
    }
    switch (what) {
      case 0:
        return issue("objective.propose", stream,
                     {{"objective_id", obj}, {"statement", "improve " + obj}, {"measure", "m"},
                      {"target_value", pick(1, 100)}, {"unit", "%"}, {"owner", "carl"}, {"due_date", day_in(10, 200)},
                      {"resources", "r"}, {"evaluation", "e"}, {"related_policy", "POL-1"}},
                     manager);
      case 1:
        return issue("objective.request_approval", stream, json::object(), manager);
      case 2:
      case 3:
        return issue("objective.record_progress", stream,
                     {{"measured_value", pick(0, 100)}, {"measured_on", format_date(today())}, {"note", "n"}},
                     person{"carl", {role::contributor}});
      case 4:
        return issue("objective.revise", stream, {{"target_value", pick(1, 100)}, {"reason", "rethink"}}, manager);
      default:
        if (chance(50)) return issue("objective.mark_achieved", stream, {{"note", "done"}}, manager);
        return issue("objective.mark_missed", stream, {{"reason", "late"}}, manager);
    }
  }

  void nc_step() {
    const std::string nc = id("NC", 6);
    const std::string stream = "nc-" + nc;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.nonconformities.ncs.find(nc);
    std::string action = id("A", 3);
    int what = pick(0, 8);
    if (chance(85)) {
      if (it == live_.nonconformities.ncs.end()) what = 0;
      else if (it->second.closed) return;
      else if (it->second.containment.empty()) what = 1;
      else if (it->second.root_cause.empty()) what = 2;
      else if (!it->second.similar_checked) what = 3;
      else {
        what = 4;
        for (const auto& a : it->second.actions) {
          if (a.status == "planned") { what = 5; action = a.action_id; break; }
          if (a.status == "done") { what = 6; action = a.action_id; break; }
        }
        if (what == 4 && !it->second.actions.empty() && chance(70)) what = 7;
      }
    }
    switch (what) {
      case 0:
        return issue("nc.raise", stream,
                     {{"nc_id", nc}, {"source", one_of<std::string>({"incident", "external_audit", "other", "management_review"})},
                      {"reference", chance(50) ? "8.1" : "A.5.15"},
                      {"severity", one_of<std::string>({"major", "minor", "observation"})}, {"description", "found"}},
                     manager);
      case 1:
        return issue("nc.record_containment", stream, {{"description", "contained"}}, manager);
      case 2:
        return issue("nc.record_root_cause", stream, {{"description", "cause"}}, manager);
      case 3:
        return issue("nc.record_similar_check", stream, {{"similar_found", chance(30)}, {"details", "checked"}}, manager);
      case 4:
        return issue("nc.plan_action", stream,
                     {{"action_id", "A-" + std::to_string(it == live_.nonconformities.ncs.end() ? 1 : it->second.actions.size() + 1)},
                      {"description", "fix"}, {"owner", chance(50) ? "carl" : "cleo"}, {"due_date", day_in(1, 60)}},
                     manager);
      case 5: {
        std::string owner = "carl";
        if (it != live_.nonconformities.ncs.end())
          for (const auto& a : it->second.actions)
            if (a.action_id == action) owner = a.owner;
        return issue("nc.complete_action", stream, {{"action_id", action}, {"evidence", "evidence"}},
                     person{owner, {role::contributor}});
      }
      case 6:
        return issue("nc.verify_action", stream, {{"action_id", action}, {"effective", chance(80)}, {"notes", "n"}},
                     manager);
      default:
        return issue("nc.close", stream, {{"comment", "closed"}}, manager);
    }
  }

  // Evidence: attached to a risk on record or a control (sometimes to a
  // risk that is not: refused), reviewed with a new day, withdrawn.
  void evidence_step() {
    const std::string eid = id("EV", 6);
    const std::string stream = "evidence-" + eid;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.evidence.files.find(eid);
    const bool exists = it != live_.evidence.files.end() && !it->second.evidence_id.empty();
    int what = exists ? (chance(70) ? 1 : 2) : 0;
    if (chance(10)) what = pick(0, 2);
    const person actor = chance(50) || !exists ? manager : person{it->second.owner, {role::risk_owner}};
    const std::string day_ahead = format_date(day_of(now_) + std::chrono::days{pick(1, 60)});
    switch (what) {
      case 0: {
        std::string kind = "control";
        std::string subject = one_of<std::string>({"5.15", "8.5", "8.13"});
        if (chance(70)) {
          kind = "risk";
          subject = live_.risks.risks.empty() || chance(10) ? "R-none" : live_.risks.risks.begin()->first;
        }
        json d{{"evidence_id", eid}, {"subject_kind", kind}, {"subject_id", subject}, {"purpose", "shows it"},
               {"digest", std::string(64, 'c')}, {"name", "e.pdf"}, {"media_type", "application/pdf"},
               {"size", pick(1, 9999)}, {"owner", chance(50) ? "olga" : "otto"}};
        if (chance(70)) d["review_by"] = day_ahead;
        return issue("evidence.attach", stream, d, manager);
      }
      case 1:
        return issue("evidence.review", stream, {{"review_by", day_ahead}, {"note", "checked"}}, actor);
      default:
        return issue("evidence.withdraw", stream, {{"reason", "superseded"}}, actor);
    }
  }

  // Mostly the next plausible step for the asset, sometimes any step; a
  // reclassification's approval goes through approval_step.
  void asset_step() {
    const std::string aid = id("A", 5);
    const std::string stream = "asset-" + aid;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.assets.assets.find(aid);
    int what = pick(0, 3);
    if (chance(85)) {
      if (it == live_.assets.assets.end()) what = 0;
      else if (it->second.state == "retired") return;
      else if (!it->second.pending_approval_id.empty()) return approval_step();
      else what = chance(50) ? 2 : chance(70) ? 1 : 3;
    }
    const std::string owner = it == live_.assets.assets.end() ? "olga" : it->second.owner;
    const person& actor = chance(60) ? manager : (owner == "olga" || owner == "otto" ? person{owner, {role::risk_owner}} : manager);
    // Now and then the scheme changes: a level added, or one retired or taken
    // back into use; the commands below also name levels it does not admit.
    if (chance(4)) {
      json levels = classification_scheme::to_json(live_.assets.scheme).at("levels");
      if (levels.size() < 5 && chance(50)) {
        levels.push_back({{"id", "secret"}, {"name", "Secret"}, {"handling", "named people only"}});
      } else {
        json& l = levels[static_cast<std::size_t>(pick(0, static_cast<int>(levels.size()) - 1))];
        l["retired"] = !l.at("retired").get<bool>();
      }
      return issue("classification.configure", "config-classification", {{"levels", levels}, {"comment", "review"}},
                   manager);
    }
    const std::vector<std::string> levels{"public", "internal", "confidential", "strictly_confidential", "secret"};
    switch (what) {
      case 0:
        return issue("asset.register", stream,
                     {{"asset_id", aid}, {"name", "asset " + aid},
                      {"type", one_of<std::string>({"information", "software", "hardware", "service"})},
                      {"owner", chance(50) ? "olga" : "otto"}, {"classification", one_of(levels)}},
                     manager);
      case 1:
        return issue("asset.change", stream, {{"location", "site " + std::to_string(pick(1, 9))}, {"reason", "moved"}},
                     actor);
      case 2:
        return issue("asset.request_reclassification", stream,
                     {{"classification", one_of(levels)}, {"reason", "review"}}, actor);
      default:
        return issue("asset.retire", stream, {{"disposal_method", "wiped"}, {"disposal_record", "CHG-1"}}, actor);
    }
  }

  // Mostly the next plausible step for the supplier, sometimes any step; its
  // acceptance goes through approval_step like every other subject.
  void supplier_step() {
    const std::string sid = id("S", 4);
    const std::string stream = "supplier-" + sid;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.suppliers.suppliers.find(sid);
    int what = pick(0, 4);
    if (chance(85)) {
      if (it == live_.suppliers.suppliers.end()) what = 0;
      else if (it->second.state == "terminated") return;
      else if (!it->second.pending_approval_id.empty()) return approval_step();
      else if (!it->second.has_accepted) what = chance(80) ? 2 : 1;
      else what = chance(60) ? 3 : chance(60) ? 1 : 4;
    }
    switch (what) {
      case 0:
        return issue("supplier.register", stream,
                     {{"supplier_id", sid}, {"name", "supplier " + sid}, {"services", "hosting"},
                      {"data_handled", "customer data"},
                      {"criticality", one_of<std::string>({"low", "medium", "high", "critical"})},
                      {"security_requirements", "ISO 27001"}, {"owner", chance(50) ? "olga" : "otto"}},
                     manager);
      case 1:
        return issue("supplier.change", stream,
                     {{"criticality", one_of<std::string>({"low", "medium", "high", "critical"})}, {"reason", "review"}},
                     manager);
      case 2:
        return issue("supplier.request_acceptance", stream, json::object(), manager);
      case 3: {
        const std::string owner = it == live_.suppliers.suppliers.end() ? "olga" : it->second.terms.owner;
        return issue("supplier.record_assessment", stream,
                     {{"result", one_of<std::string>({"satisfactory", "conditional", "unsatisfactory"})},
                      {"findings", "checked"}, {"next_due", day_in(1, 120)}},
                     chance(50) ? manager : person{owner, {role::risk_owner}});
      }
      default:
        return issue("supplier.terminate", stream, {{"reason", "ended"}}, manager);
    }
  }

  // Mostly the next step of the incident's lifecycle, sometimes any step.
  void incident_step() {
    const std::string iid = id("INC", 5);
    const std::string stream = "incident-" + iid;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.incidents.incidents.find(iid);
    const std::string state = it == live_.incidents.incidents.end() ? "" : it->second.state;
    int what = pick(0, 5);
    if (chance(85)) {
      if (state.empty()) what = 0;
      else if (state == "closed") return;
      else if (state == "reported") what = chance(80) ? 1 : 3;
      else if (it->second.classification == "event") what = 5;
      else if (state == "triaged") what = chance(70) ? 2 : 3;
      else if (state == "contained") what = chance(70) ? 4 : 1;
      else if (state == "resolved") what = 5;
    }
    const std::string handler = it == live_.incidents.incidents.end() || it->second.handler.empty()
                                    ? std::string("olga")
                                    : it->second.handler;
    const person& handling = chance(50) ? manager : someone(role::risk_owner);
    switch (what) {
      case 0:
        return issue("incident.report", stream,
                     {{"incident_id", iid}, {"title", "incident " + iid}, {"description", "what happened"}},
                     one_of<person>(people));
      case 1:
        return issue("incident.triage", stream,
                     {{"classification", chance(25) ? "event" : "incident"},
                      {"severity", one_of<std::string>({"low", "medium", "high", "critical"})},
                      {"handler", chance(50) ? "olga" : "otto"},
                      {"related_risks", chance(50) ? json::array({id("R", 12)}) : json::array()}},
                     manager);
      case 2:
        return issue("incident.record_containment", stream, {{"description", "contained"}},
                     handling.id == handler || handling.roles[0] == role::isms_manager ? handling
                                                                                       : person{handler, {role::risk_owner}});
      case 3:
        return issue("incident.record_evidence", stream, {{"description", "logs kept"}}, manager);
      case 4:
        return issue("incident.resolve", stream, {{"description", "resolved"}}, person{handler, {role::risk_owner}});
      default: {
        json close{{"lessons", "learned"}};
        if (chance(40)) {
          close["raise_nonconformity"] = true;
          close["nc_reference"] = "A.5.24";
          close["nc_severity"] = one_of<std::string>({"major", "minor", "observation"});
        }
        return issue("incident.close", stream, close, manager);
      }
    }
  }

  void audit_step() {
    const std::string audit = id("IA", 4);
    const std::string stream = "audit-" + audit;
    const auto it = live_.audits.audits.find(audit);
    const person& auditor = it != live_.audits.audits.end() && chance(90)
                                ? *std::find_if(people.begin(), people.end(),
                                                [&](const person& p) { return p.id == it->second.lead_auditor; })
                                : someone(role::internal_auditor);
    int what = pick(0, 4);
    if (chance(85)) {
      if (it == live_.audits.audits.end()) what = 0;
      else if (it->second.state == "planned") what = 1;
      else if (it->second.state == "performed") what = chance(60) ? 2 : 4;
      else return;
    }
    switch (what) {
      case 0:
        return issue("audit.plan", stream,
                     {{"audit_id", audit}, {"scope", "s"}, {"criteria", "c"}, {"lead_auditor", auditor.id},
                      {"area", "area " + audit}, {"process_owner", "olga"}, {"planned_start", day_in(-5, 0)},
                      {"planned_end", day_in(1, 20)}},
                     someone(role::isms_manager));
      case 1:
        return issue("audit.record_performed", stream,
                     {{"performed_on", format_date(today())}, {"auditors", {auditor.id}}, {"summary", "done"}}, auditor);
      case 2:
      case 3:
        return issue("audit.record_finding", stream,
                     {{"finding_id", "F-" + std::to_string(it == live_.audits.audits.end() ? 1 : it->second.findings.size() + 1)},
                      {"type", one_of<std::string>({"nonconformity_major", "nonconformity_minor", "observation", "opportunity"})},
                      {"reference", "A.8.8"}, {"text", "seen"}},
                     auditor);
      default:
        return issue("audit.issue_report", stream, {{"summary", "s"}, {"conclusion", "c"}}, auditor);
    }
  }

  void review_step() {
    const std::string review = id("MR", 3);
    const std::string stream = "review-" + review;
    const person& manager = someone(role::isms_manager);
    const auto it = live_.reviews.reviews.find(review);
    int what = pick(0, 9);
    if (chance(85)) {
      if (it == live_.reviews.reviews.end()) what = 0;
      else {
        const auto& r = it->second;
        if (r.state == "scheduled") what = 1;
        else if (r.state == "inputs_assembled") what = 2;
        else if (r.state == "open") {
          if (!r.has_attendance) what = 3;
          else if (r.items.size() < management_review::input_count) what = 4;
          else what = one_of<int>({5, 6, 7, 8, 8});
        } else if (r.state == "minutes_pending") return approval_step();
        else if (r.state == "minutes_approved") what = chance(50) ? 9 : 7;
        else what = 7;
      }
    }
    switch (what) {
      case 0:
        return issue("review.schedule", stream,
                     {{"review_id", review}, {"planned_on", day_in(0, 30)}, {"chair", "tom"}, {"interval_months", 12}},
                     manager);
      case 1: {
        if (it == live_.reviews.reviews.end()) return;
        const review_entry* prev = previous_review(live_.reviews, it->second, live_.position);
        const json pack = review_pack(prev ? prev->baseline : json(nullptr), prev ? prev->id : "", live_, review, today());
        return issue("review.assemble_inputs", stream, {{"pack", pack}, {"as_of_position", live_.position}}, manager);
      }
      case 2:
        return issue("review.open", stream, json::object(), manager);
      case 3:
        return issue("review.record_attendance", stream, {{"attendees", {"tom", "mia"}}}, manager);
      case 4: {
        const std::size_t n = it == live_.reviews.reviews.end() ? 0 : it->second.items.size();
        return issue("review.record_item", stream,
                     {{"item_id", "IT-" + std::to_string(n + 1)},
                      {"input", management_review::to_string(static_cast<management_review::input>(n % management_review::input_count))},
                      {"discussion", "talked"}},
                     manager);
      }
      case 5:
        return issue("review.record_decision", stream,
                     {{"decision_id", id("D", 3)}, {"kind", "improvement_opportunity"}, {"text", "do better"}}, manager);
      case 6:
        return issue("review.record_action", stream,
                     {{"action_id", id("RA", 3)}, {"description", "act"}, {"owner", "carl"}, {"due_date", day_in(1, 60)}},
                     manager);
      case 7: {
        std::string action = id("RA", 3);
        if (it != live_.reviews.reviews.end())
          for (const auto& a : it->second.actions)
            if (!a.done) action = a.action_id;
        return issue("review.complete_action", stream, {{"action_id", action}, {"evidence", "e"}},
                     person{"carl", {role::contributor}});
      }
      case 8:
        return issue("review.request_minutes_approval", stream, json::object(), manager);
      default:
        return issue("review.close", stream, json::object(), manager);
    }
  }

  // The scheduler: what the time rules say is due, issued as the system.
  void time_step() {
    const json due = due_at(live_, today());
    for (const auto& item : due.at("acceptances_expired"))
      if (item.contains("command"))
        issue(item.at("command").at("type").get<std::string>(), item.at("command").at("stream").get<std::string>(),
              item.at("command").at("data"), person{"system", {role::system}});
  }

  std::mt19937_64 rng_;
  instant now_{};
  in_memory_log log_;
  all_views live_ = initial_views();
  std::uint64_t commands_ = 0;
  int accepted_ = 0;
  int rejected_ = 0;
  std::map<std::string, int> by_type_;
  std::map<std::string, int> rejections_;
  std::set<std::string> seen_;

 public:
  [[nodiscard]] const std::map<std::string, int>& rejections() const { return rejections_; }
};

all_views fold_from_scratch(const std::vector<recorded_event>& log, std::size_t upto) {
  all_views v = initial_views();
  for (std::size_t i = 0; i < upto && i < log.size(); ++i) v = evolve(std::move(v), log[i]);
  return v;
}

// A stream's history folded with an aggregate's own decode and evolve.
template <class State, class Decode, class Evolve>
State aggregate_state(const simulation& sim, const std::string& stream, State s, Decode decode, Evolve evolve) {
  for (const auto& e : sim.log().history(stream)) {
    auto ev = decode(e.type, e.data);
    EXPECT_TRUE(ev.has_value()) << stream;
    if (ev) s = evolve(std::move(s), *ev);
  }
  return s;
}

// The views agree with the aggregates' own folded state, stream by stream.
void expect_agrees_with_aggregates(const simulation& sim) {
  const auto& v = sim.live();
  for (const auto& [id, d] : v.documents.documents) {
    const auto s = aggregate_state(sim, d.stream, document::initial_state(), document::decode, document::evolve);
    EXPECT_EQ(d.working, document::to_string(s.working)) << d.stream;
    EXPECT_EQ(d.published_sha256, s.in_force ? s.in_force->content_sha256 : "") << d.stream;
    EXPECT_EQ(document_review_due(d), document::review_due_on(s) ? format_date(*document::review_due_on(s)) : "");
  }
  for (const auto& [id, o] : v.objectives.objectives) {
    const auto s = aggregate_state(sim, o.stream, objective::initial_state(), objective::decode, objective::evolve);
    EXPECT_EQ(o.state, objective::to_string(s.current)) << o.stream;
    EXPECT_EQ(o.progress.size(), s.progress.size()) << o.stream;
    EXPECT_EQ(objective_overdue(o, sim.today()), objective::overdue(s, sim.today())) << o.stream;
  }
  for (const auto& [id, n] : v.nonconformities.ncs) {
    const auto s = aggregate_state(sim, n.stream, nonconformity::initial_state(), nonconformity::decode,
                                   nonconformity::evolve);
    EXPECT_EQ(n.closed, s.closed) << n.stream;
    ASSERT_EQ(n.actions.size(), s.actions.size()) << n.stream;
    for (std::size_t i = 0; i < n.actions.size(); ++i)
      EXPECT_EQ(n.actions[i].status, nonconformity::to_string(s.actions[i].status)) << n.stream;
  }
  for (const auto& [id, a] : v.audits.audits) {
    const auto s = aggregate_state(sim, a.stream, internal_audit::initial_state(), internal_audit::decode,
                                   internal_audit::evolve);
    EXPECT_EQ(a.state, internal_audit::to_string(s.current)) << a.stream;
    EXPECT_EQ(a.findings.size(), s.findings.size()) << a.stream;
    // A finding of nonconformity raised the nonconformity the view names (a reaction).
    for (const auto& f : a.findings) {
      if (f.nc_id.empty()) continue;
      EXPECT_TRUE(v.nonconformities.ncs.contains(f.nc_id)) << a.stream << " " << f.finding_id;
    }
  }
  for (const auto& [id, a] : v.assets.assets) {
    const auto s = aggregate_state(sim, a.stream, asset::initial_state(), asset::decode, asset::evolve);
    EXPECT_EQ(a.state, asset::to_string(s.current)) << a.stream;
    EXPECT_EQ(a.classification, s.level) << a.stream;
    EXPECT_NE(v.assets.scheme.find(a.classification), nullptr) << a.stream << " is at a level outside the scheme";
    EXPECT_EQ(asset::admitted_commands(asset_state_of(a)), asset::admitted_commands(s)) << a.stream;
    EXPECT_EQ(asset_subject_content(a), asset::approval_content(s)) << a.stream;
  }
  const auto scheme = aggregate_state(sim, std::string(classification_scheme::stream_id),
                                     classification_scheme::initial_state(), classification_scheme::decode,
                                     classification_scheme::evolve);
  EXPECT_EQ(v.assets.scheme, scheme.current);
  for (const auto& [id, x] : v.evidence.files) {
    const auto s = aggregate_state(sim, x.stream, evidence::initial_state(), evidence::decode, evidence::evolve);
    EXPECT_EQ(x.owner, s.owner) << x.stream;
    EXPECT_EQ(x.withdrawn, s.withdrawn) << x.stream;
    EXPECT_EQ(x.review_by, s.review_by ? format_date(*s.review_by) : std::string{}) << x.stream;
    EXPECT_EQ(x.digest, s.content.digest) << x.stream;
    EXPECT_EQ(evidence::admitted_commands(evidence_state_of(x)), evidence::admitted_commands(s)) << x.stream;
  }
  for (const auto& [id, sup] : v.suppliers.suppliers) {
    const auto s = aggregate_state(sim, sup.stream, supplier::initial_state(), supplier::decode, supplier::evolve);
    EXPECT_EQ(sup.state, supplier::to_string(s.current)) << sup.stream;
    EXPECT_EQ(supplier::admitted_commands(supplier_state_of(sup)), supplier::admitted_commands(s)) << sup.stream;
    EXPECT_EQ(supplier_subject_content(sup), supplier::approval_content(s)) << sup.stream;
  }
  for (const auto& [id, i] : v.incidents.incidents) {
    const auto s = aggregate_state(sim, i.stream, incident::initial_state(), incident::decode, incident::evolve);
    EXPECT_EQ(i.state, incident::to_string(s.current)) << i.stream;
    EXPECT_EQ(i.evidence.size(), s.evidence) << i.stream;
    // What the view hands the web UI is what the aggregate admits.
    EXPECT_EQ(incident::admitted_commands(incident_state_of(i)), incident::admitted_commands(s)) << i.stream;
    // Lessons that raise a nonconformity raised it (a reaction).
    if (!i.nc_id.empty()) {
      EXPECT_TRUE(v.nonconformities.ncs.contains(i.nc_id)) << i.stream;
    }
  }
  for (const auto& [id, r] : v.reviews.reviews) {
    const auto s = aggregate_state(sim, r.stream, management_review::initial_state(), management_review::decode,
                                   management_review::evolve);
    EXPECT_EQ(r.state, management_review::to_string(s.current)) << r.stream;
    EXPECT_EQ(review_subject_content(r), management_review::minutes(s)) << r.stream;
  }
  {
    const auto s = aggregate_state(sim, "scope-main", scope::initial_state(), scope::decode, scope::evolve);
    EXPECT_TRUE(v.scope.draft == s.draft);
    EXPECT_EQ(v.scope.pending_approval_id, s.pending_approval_id);
    EXPECT_EQ(v.scope.has_effective, s.effective.has_value());
  }
  {
    const auto s = aggregate_state(sim, "soa-main", soa::initial_state(), soa::decode, soa::evolve);
    EXPECT_TRUE(v.soa.entries == s.entries);
    EXPECT_EQ(v.soa.published_version, s.published_version);
    EXPECT_EQ(soa_subject_content(v.soa), soa::content(s));
  }
  for (const auto& [id, r] : v.risks.risks) {
    const auto s = risk::fold(sim.log().history(r.stream));
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(r.state, risk::to_string(s->status_)) << r.stream;
    EXPECT_EQ(r.pending_approval_id, s->pending ? s->pending->approval.approval_id : "") << r.stream;
  }
  for (const auto& [id, a] : v.approvals.approvals) {
    if (a.state == "requested") continue;  // the subject asked; the approval stream is not opened (yet)
    const auto s = approval::fold(sim.log().history(a.stream));
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(a.state, approval::to_string(s->status_)) << a.stream;
    EXPECT_EQ(approval_state_of(a).approvers(), s->approvers()) << a.stream;
  }
}

struct outcome {
  int events = 0;
  int accepted = 0;
  int rejected = 0;
  std::size_t snapshot_bytes = 0;
};

outcome check_seed(std::uint64_t seed, int steps) {
  simulation sim(seed);
  sim.run(steps);
  const auto& log = sim.log().all();
  const all_views& live = sim.live();

  // Event by event (live) = from scratch.
  const all_views full = fold_from_scratch(log, log.size());
  EXPECT_TRUE(live == full) << "seed " << seed;
  EXPECT_EQ(snapshot(live), snapshot(full)) << "seed " << seed;
  EXPECT_EQ(full.position, log.size());
  EXPECT_EQ(full.skipped, 0u) << "seed " << seed << ": "
                              << (full.skipped_recent.empty() ? "" : full.skipped_recent.back().reason);

  // Snapshot at k (through its text) + the tail = the full fold, for several k.
  const std::size_t n = log.size();
  for (std::size_t k : {std::size_t{0}, std::size_t{1}, n / 7, n / 3, n / 2, (2 * n) / 3, n - 1, n}) {
    auto restored = restore_snapshot(json::parse(snapshot(fold_from_scratch(log, k)).dump()));
    EXPECT_TRUE(restored.has_value()) << (restored ? "" : restored.error());
    if (!restored) continue;
    all_views v = std::move(*restored);
    for (std::size_t i = k; i < n; ++i) v = evolve(std::move(v), log[i]);
    EXPECT_TRUE(v == full) << "seed " << seed << ", snapshot at " << k;
  }

  // The same through the binary snapshot the server stores.
  for (std::size_t k : {std::size_t{0}, n / 3, n / 2, n - 1, n}) {
    auto restored = decode_snapshot(encode_snapshot(fold_from_scratch(log, k)));
    EXPECT_TRUE(restored.has_value()) << (restored ? "" : restored.error());
    if (!restored) continue;
    all_views v = std::move(*restored);
    for (std::size_t i = k; i < n; ++i) v = evolve(std::move(v), log[i]);
    EXPECT_TRUE(v == full) << "seed " << seed << ", binary snapshot at " << k;
  }
  {
    auto back = decode_snapshot(encode_snapshot(live));
    EXPECT_TRUE(back.has_value()) << (back ? "" : back.error());
    EXPECT_TRUE(back && *back == live) << "seed " << seed;
    if (back) {
      EXPECT_EQ(snapshot(*back), snapshot(live)) << "seed " << seed;
    }
  }

  // Every view answers, identically for the restored and the live views.
  const auto restored = restore_snapshot(json::parse(snapshot(live).dump())).value();
  for (const actor& viewer : {actor{"mia", {role::isms_manager}}, actor{"tom", {role::top_management}},
                              actor{"olga", {role::risk_owner}}, actor{"eve", {role::external_auditor}}})
    for (auto name : view_names()) {
      json params = json::object();
      if (name == "risk" && !live.risks.risks.empty()) params["id"] = live.risks.risks.begin()->first;
      if (name == "document" && !live.documents.documents.empty()) params["id"] = live.documents.documents.begin()->first;
      if (name == "nonconformity" && !live.nonconformities.ncs.empty()) params["id"] = live.nonconformities.ncs.begin()->first;
      if (name == "review_pack" && !live.reviews.reviews.empty()) params["id"] = live.reviews.reviews.begin()->first;
      if (name == "incident" && !live.incidents.incidents.empty()) params["id"] = live.incidents.incidents.begin()->first;
      if (name == "supplier" && !live.suppliers.suppliers.empty()) params["id"] = live.suppliers.suppliers.begin()->first;
      if (name == "asset" && !live.assets.assets.empty()) params["id"] = live.assets.assets.begin()->first;
      const auto a = query(live, name, params, viewer, sim.today());
      const auto b = query(restored, name, params, viewer, sim.today());
      if (!params.empty() || (name != "risk" && name != "document" && name != "nonconformity" && name != "review_pack" &&
                              name != "incident" && name != "supplier" && name != "asset")) {
        EXPECT_TRUE(a.has_value()) << name << ": " << (a ? "" : a.error().message);
      }
      EXPECT_EQ(a.has_value(), b.has_value());
      if (a && b) {
        EXPECT_EQ(*a, *b) << name;
      }
    }

  // Time travel for one view: only the views its query reads, restored from
  // a snapshot's sections and folded on, answer as the fold of every view.
  const actor manager{"mia", {role::isms_manager}};
  for (auto name : view_names()) {
    const view_set need = views_read_by(name);
    for (std::size_t k : {std::size_t{0}, n / 3, (2 * n) / 3}) {
      auto restored = decode_snapshot(encode_snapshot(fold_from_scratch(log, k)), need);
      EXPECT_TRUE(restored.has_value()) << restored.error();
      if (!restored) continue;
      EXPECT_TRUE(restored->held == need) << name;
      all_views part = std::move(*restored);
      for (std::size_t i = k; i < n; ++i) part = evolve(std::move(part), log[i]);
      EXPECT_EQ(part.position, full.position);
      json params = json::object();
      if (name == "risk" && !live.risks.risks.empty()) params["id"] = live.risks.risks.rbegin()->first;
      if (name == "document" && !live.documents.documents.empty())
        params["id"] = live.documents.documents.rbegin()->first;
      if (name == "nonconformity" && !live.nonconformities.ncs.empty())
        params["id"] = live.nonconformities.ncs.rbegin()->first;
      if (name == "review_pack" && !live.reviews.reviews.empty()) params["id"] = live.reviews.reviews.rbegin()->first;
      if (name == "incident" && !live.incidents.incidents.empty())
        params["id"] = live.incidents.incidents.rbegin()->first;
      if (name == "supplier" && !live.suppliers.suppliers.empty())
        params["id"] = live.suppliers.suppliers.rbegin()->first;
      if (name == "asset" && !live.assets.assets.empty()) params["id"] = live.assets.assets.rbegin()->first;
      const auto a = query(full, name, params, manager, sim.today());
      const auto b = query(part, name, params, manager, sim.today());
      EXPECT_EQ(a.has_value(), b.has_value()) << name;
      if (a && b) {
        EXPECT_EQ(*a, *b) << "seed " << seed << ": " << name << " from a snapshot of its views at " << k;
      }
    }
  }

  expect_agrees_with_aggregates(sim);
  if (std::getenv("ISMS_VIEWS_RANDOM_VERBOSE") != nullptr) {
    for (const auto& [t, k] : sim.accepted_by_type()) std::printf("  accepted %-36s %d\n", t.c_str(), k);
    for (const auto& [m, k] : sim.rejections()) std::printf("  rejected %4d %s\n", k, m.c_str());
    const json snap = snapshot(live);
    for (auto it = snap.begin(); it != snap.end(); ++it)
      std::printf("  snapshot %-16s %zu bytes\n", it.key().c_str(), it.value().dump().size());
  }
  return outcome{static_cast<int>(log.size()), sim.accepted(), sim.rejected(), snapshot(live).dump().size()};
}

TEST(ViewsRandomized, FoldedEventByEventEqualsFromScratchAndSnapshotsRoundTrip) {
  int events = 0, accepted = 0, rejected = 0;
  std::size_t bytes = 0;
  for (std::uint64_t seed : {1u, 7u, 2026u}) {
    const auto o = check_seed(seed, 800);
    events += o.events;
    accepted += o.accepted;
    rejected += o.rejected;
    bytes = std::max(bytes, o.snapshot_bytes);
  }
  std::printf("[ views ] 3 seeds: %d events recorded, %d commands accepted, %d rejected; largest snapshot %zu bytes\n",
              events, accepted, rejected, bytes);
  EXPECT_GT(accepted, 600);  // the sequences are long and mostly valid
}

}  // namespace
}  // namespace isms::domain::views::views_random_test
