#include "isms/server/registers_csv.hpp"

#include <charconv>
#include <string>
#include <string_view>

#include "isms/domain/annex_a.hpp"
#include "isms/domain/soa.hpp"

namespace isms::server {
namespace {

namespace views = domain::views;

// One CSV file being written: the position line, the header, the rows.
class table {
 public:
  table(std::uint64_t position, std::initializer_list<std::string_view> header) {
    text_ = "# position " + std::to_string(position) + "\n";
    for (auto h : header) cell(h);
    end_row();
  }

  table& cell(std::string_view value) {
    if (!first_) text_ += ',';
    first_ = false;
    // A spreadsheet runs these as formulas: a leading quote keeps them text.
    const bool formula = !value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' ||
                                            value[0] == '@' || value[0] == '\t' || value[0] == '\r');
    const bool quoted = formula || value.find_first_of(",\"\r\n") != std::string_view::npos;
    if (!quoted) {
      text_ += value;
      return *this;
    }
    text_ += '"';
    if (formula) text_ += '\'';
    for (char c : value) {
      if (c == '"') text_ += '"';
      text_ += c;
    }
    text_ += '"';
    return *this;
  }
  table& cell(const std::string& value) { return cell(std::string_view(value)); }
  table& cell(const char* value) { return cell(std::string_view(value)); }
  table& cell(std::uint64_t n) { return cell(std::to_string(n)); }
  table& cell(int n) { return cell(std::to_string(n)); }
  table& cell(bool b) { return cell(b ? "yes" : "no"); }
  table& cell(double d) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest round trip: 80, 99.5
    return cell(std::string_view(buf, ec == std::errc{} ? end : buf));
  }
  table& cell(const std::vector<std::string>& list) {
    std::string joined;
    for (const auto& item : list) joined += (joined.empty() ? "" : "; ") + item;
    return cell(joined);
  }
  table& changed(const views::last_change& c) { return cell(c.position).cell(c.at).cell(c.by); }

  void end_row() {
    text_ += '\n';
    first_ = true;
  }

  register_csv done(std::string name) && { return {std::move(name), std::move(text_)}; }

 private:
  std::string text_;
  bool first_ = true;
};

#define ISMS_CHANGED_COLUMNS "changed_position", "changed_at", "changed_by"

register_csv risk_register(const views::risk_register& r, std::uint64_t position) {
  table t(position, {"id", "title", "owner", "category", "asset", "asset_ids", "threat", "vulnerability", "state",
                     "inherent_likelihood", "inherent_impact", "inherent_score", "inherent_level",
                     "treatment_option", "controls", "treatment_due", "treatment_implemented_on",
                     "residual_likelihood", "residual_impact", "residual_score", "residual_level",
                     "within_appetite", "acceptance", "accepted_by", "accepted_at", "accepted_until",
                     "retired_reason", "version", ISMS_CHANGED_COLUMNS});
  for (const auto& [id, e] : r.risks) {
    t.cell(id).cell(e.title).cell(e.owner)
        .cell(e.category).cell(e.asset).cell(e.asset_ids).cell(e.threat)
        .cell(e.vulnerability).cell(e.state)
        .cell(e.inherent.likelihood).cell(e.inherent.impact).cell(e.inherent.score)
        .cell(e.inherent.level).cell(e.treatment_option).cell(e.controls)
        .cell(e.treatment_due).cell(e.treatment_implemented_on)
        .cell(e.residual.likelihood).cell(e.residual.impact).cell(e.residual.score)
        .cell(e.residual.level).cell(e.within_appetite).cell(e.acceptance)
        .cell(e.accepted_by).cell(e.accepted_at).cell(e.accepted_until)
        .cell(e.retired_reason).cell(e.version).changed(e.changed);
    t.end_row();
  }
  return std::move(t).done("risk_register.csv");
}

register_csv statement_of_applicability(const views::soa_view& v, std::uint64_t position) {
  table t(position, {"control", "title", "decided", "applicable", "justification", "implementation",
                     "linked_risks", "as_published", ISMS_CHANGED_COLUMNS});
  const auto catalogue = domain::annex_a::catalogue();
  for (std::size_t i = 0; i < catalogue.size() && i < v.entries.size(); ++i) {
    const auto& c = catalogue[i];
    const auto& e = v.entries[i];
    // Whether the working entry is the one top management published.
    const std::string_view as_published =
        v.published_version == 0 ? "never published"
        : (i < v.published_entries.size() && v.published_entries[i] == e) ? "yes"
                                                                          : "no";
    t.cell(c.id).cell(c.title).cell(e.decided).cell(e.decided ? (e.applicable ? "yes" : "no") : "")
        .cell(e.justification).cell(domain::soa::to_string(e.status)).cell(e.linked_risks)
        .cell(as_published);
    const auto changed = v.entry_changed.find(std::string(c.id));
    t.changed(changed == v.entry_changed.end() ? views::last_change{} : changed->second);
    t.end_row();
  }
  return std::move(t).done("statement_of_applicability.csv");
}

register_csv objectives(const views::objectives_view& v, std::uint64_t position) {
  table t(position, {"id", "state", "statement", "measure", "target_value", "unit", "owner", "due_on",
                     "latest_value", "latest_on", "measurements", "closed_on", "closing_note", "set_by",
                     "proposal_open", "version", ISMS_CHANGED_COLUMNS});
  for (const auto& [id, o] : v.objectives) {
    const auto& terms = o.has_in_force ? o.in_force : o.proposal;
    t.cell(id).cell(o.state).cell(terms.statement)
        .cell(terms.measure).cell(terms.target_value).cell(terms.unit)
        .cell(terms.owner).cell(terms.due_on);
    if (o.progress.empty())
      t.cell("").cell("");
    else
      t.cell(o.progress.back().value).cell(o.progress.back().on);
    t.cell(static_cast<std::uint64_t>(o.progress.size())).cell(o.closed_on)
        .cell(o.closing_note).cell(o.set_by).cell(o.proposal_open).cell(o.version)
        .changed(o.changed);
    t.end_row();
  }
  return std::move(t).done("objectives.csv");
}

std::vector<register_csv> nonconformities(const views::nonconformities_view& v, std::uint64_t position) {
  table ncs(position, {"id", "state", "source", "reference", "severity", "description", "raised_on", "raised_by",
                       "audit_id", "finding_id", "review_id", "containment", "root_cause", "actions",
                       "closed_on", "closed_by", "closing_comment", "version", ISMS_CHANGED_COLUMNS});
  table actions(position, {"nonconformity", "action_id", "description", "owner", "due_on", "status",
                           "completed_on", "completed_by", "evidence", "verified_on", "verified_by",
                           "verification_notes", "ineffective_verifications"});
  for (const auto& [id, n] : v.ncs) {
    ncs.cell(id).cell(views::nc_state(n)).cell(n.source)
        .cell(n.reference).cell(n.severity).cell(n.description)
        .cell(n.raised_on).cell(n.raised_by).cell(n.audit_id)
        .cell(n.finding_id).cell(n.review_id)
        .cell(n.containment).cell(n.root_cause)
        .cell(static_cast<std::uint64_t>(n.actions.size())).cell(n.closed_on)
        .cell(n.closed_by).cell(n.closing_comment).cell(n.version)
        .changed(n.changed);
    ncs.end_row();
    for (const auto& a : n.actions) {
      actions.cell(id).cell(a.action_id).cell(a.description)
          .cell(a.owner).cell(a.due_on).cell(a.status)
          .cell(a.completed_on).cell(a.completed_by)
          .cell(a.evidence).cell(a.verified_on)
          .cell(a.verified_by).cell(a.verification_notes)
          .cell(a.ineffective_verifications);
      actions.end_row();
    }
  }
  std::vector<register_csv> out;
  out.push_back(std::move(ncs).done("nonconformities.csv"));
  out.push_back(std::move(actions).done("corrective_actions.csv"));
  return out;
}

std::vector<register_csv> audits(const views::audits_view& v, std::uint64_t position) {
  table audits(position, {"id", "state", "scope", "criteria", "area", "process_owner", "lead_auditor", "auditors",
                          "planned_start", "planned_end", "performed_on", "reported_on", "conclusion",
                          "issued_by", "findings", "version", ISMS_CHANGED_COLUMNS});
  table findings(position, {"audit", "finding_id", "type", "reference", "text", "recorded_by", "recorded_at",
                            "nonconformity"});
  for (const auto& [id, a] : v.audits) {
    audits.cell(id).cell(a.state).cell(a.scope)
        .cell(a.criteria).cell(a.area).cell(a.process_owner)
        .cell(a.lead_auditor).cell(a.auditors).cell(a.planned_start)
        .cell(a.planned_end).cell(a.performed_on)
        .cell(a.reported_on).cell(a.conclusion)
        .cell(a.issued_by).cell(static_cast<std::uint64_t>(a.findings.size())).cell(a.version)
        .changed(a.changed);
    audits.end_row();
    for (const auto& f : a.findings) {
      findings.cell(id).cell(f.finding_id).cell(f.type)
          .cell(f.reference).cell(f.text).cell(f.recorded_by)
          .cell(f.recorded_at).cell(f.nc_id);
      findings.end_row();
    }
  }
  std::vector<register_csv> out;
  out.push_back(std::move(audits).done("internal_audits.csv"));
  out.push_back(std::move(findings).done("audit_findings.csv"));
  return out;
}

std::vector<register_csv> reviews(const views::reviews_view& v, std::uint64_t position) {
  table reviews(position, {"id", "state", "planned_on", "chair", "interval_months", "held_on", "attendees",
                           "apologies", "pack_sha256", "pack_position", "decisions", "minutes_hash",
                           "minutes_approved_by", "closed_on", "closed_by", "version", ISMS_CHANGED_COLUMNS});
  table actions(position, {"review", "action_id", "decision_id", "description", "owner", "due_on", "done",
                           "completed_on", "completed_by", "evidence"});
  for (const auto& [id, r] : v.reviews) {
    reviews.cell(id).cell(r.state).cell(r.planned_on)
        .cell(r.chair).cell(r.interval_months).cell(r.held_on).cell(r.attendees)
        .cell(r.apologies).cell(r.pack_sha256);
    if (r.has_inputs)
      reviews.cell(r.as_of_position);
    else
      reviews.cell("");
    reviews.cell(static_cast<std::uint64_t>(r.decisions.size())).cell(r.minutes_hash)
        .cell(r.minutes_approved_by).cell(r.closed_on).cell(r.closed_by)
        .cell(r.version).changed(r.changed);
    reviews.end_row();
    for (const auto& a : r.actions) {
      actions.cell(id).cell(a.action_id).cell(a.decision_id)
          .cell(a.description).cell(a.owner).cell(a.due_on)
          .cell(a.done).cell(a.completed_on).cell(a.completed_by)
          .cell(a.evidence);
      actions.end_row();
    }
  }
  std::vector<register_csv> out;
  out.push_back(std::move(reviews).done("management_reviews.csv"));
  out.push_back(std::move(actions).done("review_actions.csv"));
  return out;
}

std::vector<register_csv> incidents(const views::incidents_view& v, std::uint64_t position) {
  table incidents(position, {"id", "state", "title", "description", "occurred_on", "affected", "reported_on",
                             "reported_by", "classification", "severity", "category", "handler", "triage_notes",
                             "related_risks", "contained_on", "containment", "resolved_on", "resolution",
                             "evidence_records", "closed_on", "lessons", "nonconformity", "version",
                             ISMS_CHANGED_COLUMNS});
  table evidence(position, {"incident", "description", "recorded_on", "recorded_by"});
  for (const auto& [id, i] : v.incidents) {
    if (i.incident_id.empty()) continue;
    incidents.cell(id).cell(i.state).cell(i.title).cell(i.description).cell(i.occurred_on).cell(i.affected)
        .cell(i.reported_on).cell(i.reported_by).cell(i.classification).cell(i.severity).cell(i.category)
        .cell(i.handler).cell(i.triage_notes).cell(i.related_risks).cell(i.containment.on)
        .cell(i.containment.description).cell(i.resolution.on).cell(i.resolution.description)
        .cell(static_cast<std::uint64_t>(i.evidence.size())).cell(i.closed_on).cell(i.lessons).cell(i.nc_id)
        .cell(i.version).changed(i.changed);
    incidents.end_row();
    for (const auto& e : i.evidence) {
      evidence.cell(id).cell(e.description).cell(e.on).cell(e.by);
      evidence.end_row();
    }
  }
  std::vector<register_csv> out;
  out.push_back(std::move(incidents).done("incidents.csv"));
  out.push_back(std::move(evidence).done("incident_evidence.csv"));
  return out;
}

register_csv suppliers(const views::suppliers_view& v, std::uint64_t position) {
  table t(position, {"id", "state", "name", "services", "data_handled", "criticality", "security_requirements",
                     "agreement", "owner", "linked_risks", "accepted_on", "accepted_by", "changed_since_acceptance",
                     "awaiting_acceptance", "last_result", "last_findings", "last_assessed_on", "next_due",
                     "assessments", "terminated_on", "termination_reason", "version", ISMS_CHANGED_COLUMNS});
  for (const auto& [id, s] : v.suppliers) {
    if (s.supplier_id.empty()) continue;
    t.cell(id).cell(s.state).cell(s.terms.name).cell(s.terms.services).cell(s.terms.data_handled)
        .cell(s.terms.criticality).cell(s.terms.security_requirements).cell(s.terms.agreement).cell(s.terms.owner)
        .cell(s.terms.linked_risks).cell(s.accepted_on).cell(s.accepted_by)
        .cell(views::changed_since_acceptance(s)).cell(!s.pending_approval_id.empty()).cell(s.last_result)
        .cell(s.last_findings).cell(s.last_assessed_on).cell(s.next_due).cell(s.assessments).cell(s.terminated_on)
        .cell(s.termination_reason).cell(s.version).changed(s.changed);
    t.end_row();
  }
  return std::move(t).done("suppliers.csv");
}

register_csv assets(const views::assets_view& v, std::uint64_t position) {
  table t(position, {"id", "state", "name", "type", "description", "owner", "classification", "location",
                     "acceptable_use", "proposed_classification", "registered_on", "classified_on", "retired_on",
                     "disposal_method", "disposal_record", "version", ISMS_CHANGED_COLUMNS});
  for (const auto& [id, a] : v.assets) {
    if (a.asset_id.empty()) continue;
    t.cell(id).cell(a.state).cell(a.name).cell(a.type).cell(a.description).cell(a.owner).cell(a.classification)
        .cell(a.location).cell(a.acceptable_use).cell(a.proposed_classification).cell(a.registered_on)
        .cell(a.classified_on).cell(a.retired_on).cell(a.disposal_method).cell(a.disposal_record).cell(a.version)
        .changed(a.changed);
    t.end_row();
  }
  return std::move(t).done("assets.csv");
}

#undef ISMS_CHANGED_COLUMNS

}  // namespace

std::vector<register_csv> registers_csv(const views::all_views& v, std::uint64_t position) {
  std::vector<register_csv> out;
  out.push_back(risk_register(v.risks, position));
  out.push_back(statement_of_applicability(v.soa, position));
  out.push_back(objectives(v.objectives, position));
  for (auto& f : nonconformities(v.nonconformities, position)) out.push_back(std::move(f));
  for (auto& f : audits(v.audits, position)) out.push_back(std::move(f));
  for (auto& f : reviews(v.reviews, position)) out.push_back(std::move(f));
  for (auto& f : incidents(v.incidents, position)) out.push_back(std::move(f));
  out.push_back(suppliers(v.suppliers, position));
  out.push_back(assets(v.assets, position));
  return out;
}

}  // namespace isms::server
