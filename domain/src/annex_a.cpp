#include "isms/domain/annex_a.hpp"

#include <array>

namespace isms::domain::annex_a {

namespace {

constexpr theme org = theme::organizational;
constexpr theme ppl = theme::people;
constexpr theme phy = theme::physical;
constexpr theme tec = theme::technological;

// ISO/IEC 27001:2022 Annex A, Table A.1.
constexpr std::array<control, 93> controls{{
    {"5.1", org, "Policies for information security"},
    {"5.2", org, "Information security roles and responsibilities"},
    {"5.3", org, "Segregation of duties"},
    {"5.4", org, "Management responsibilities"},
    {"5.5", org, "Contact with authorities"},
    {"5.6", org, "Contact with special interest groups"},
    {"5.7", org, "Threat intelligence"},
    {"5.8", org, "Information security in project management"},
    {"5.9", org, "Inventory of information and other associated assets"},
    {"5.10", org, "Acceptable use of information and other associated assets"},
    {"5.11", org, "Return of assets"},
    {"5.12", org, "Classification of information"},
    {"5.13", org, "Labelling of information"},
    {"5.14", org, "Information transfer"},
    {"5.15", org, "Access control"},
    {"5.16", org, "Identity management"},
    {"5.17", org, "Authentication information"},
    {"5.18", org, "Access rights"},
    {"5.19", org, "Information security in supplier relationships"},
    {"5.20", org, "Addressing information security within supplier agreements"},
    {"5.21", org, "Managing information security in the ICT supply chain"},
    {"5.22", org, "Monitoring, review and change management of supplier services"},
    {"5.23", org, "Information security for use of cloud services"},
    {"5.24", org, "Information security incident management planning and preparation"},
    {"5.25", org, "Assessment and decision on information security events"},
    {"5.26", org, "Response to information security incidents"},
    {"5.27", org, "Learning from information security incidents"},
    {"5.28", org, "Collection of evidence"},
    {"5.29", org, "Information security during disruption"},
    {"5.30", org, "ICT readiness for business continuity"},
    {"5.31", org, "Legal, statutory, regulatory and contractual requirements"},
    {"5.32", org, "Intellectual property rights"},
    {"5.33", org, "Protection of records"},
    {"5.34", org, "Privacy and protection of PII"},
    {"5.35", org, "Independent review of information security"},
    {"5.36", org, "Compliance with policies, rules and standards for information security"},
    {"5.37", org, "Documented operating procedures"},
    {"6.1", ppl, "Screening"},
    {"6.2", ppl, "Terms and conditions of employment"},
    {"6.3", ppl, "Information security awareness, education and training"},
    {"6.4", ppl, "Disciplinary process"},
    {"6.5", ppl, "Responsibilities after termination or change of employment"},
    {"6.6", ppl, "Confidentiality or non-disclosure agreements"},
    {"6.7", ppl, "Remote working"},
    {"6.8", ppl, "Information security event reporting"},
    {"7.1", phy, "Physical security perimeters"},
    {"7.2", phy, "Physical entry"},
    {"7.3", phy, "Securing offices, rooms and facilities"},
    {"7.4", phy, "Physical security monitoring"},
    {"7.5", phy, "Protecting against physical and environmental threats"},
    {"7.6", phy, "Working in secure areas"},
    {"7.7", phy, "Clear desk and clear screen"},
    {"7.8", phy, "Equipment siting and protection"},
    {"7.9", phy, "Security of assets off-premises"},
    {"7.10", phy, "Storage media"},
    {"7.11", phy, "Supporting utilities"},
    {"7.12", phy, "Cabling security"},
    {"7.13", phy, "Equipment maintenance"},
    {"7.14", phy, "Secure disposal or re-use of equipment"},
    {"8.1", tec, "User endpoint devices"},
    {"8.2", tec, "Privileged access rights"},
    {"8.3", tec, "Information access restriction"},
    {"8.4", tec, "Access to source code"},
    {"8.5", tec, "Secure authentication"},
    {"8.6", tec, "Capacity management"},
    {"8.7", tec, "Protection against malware"},
    {"8.8", tec, "Management of technical vulnerabilities"},
    {"8.9", tec, "Configuration management"},
    {"8.10", tec, "Information deletion"},
    {"8.11", tec, "Data masking"},
    {"8.12", tec, "Data leakage prevention"},
    {"8.13", tec, "Information backup"},
    {"8.14", tec, "Redundancy of information processing facilities"},
    {"8.15", tec, "Logging"},
    {"8.16", tec, "Monitoring activities"},
    {"8.17", tec, "Clock synchronization"},
    {"8.18", tec, "Use of privileged utility programs"},
    {"8.19", tec, "Installation of software on operational systems"},
    {"8.20", tec, "Networks security"},
    {"8.21", tec, "Security of network services"},
    {"8.22", tec, "Segregation of networks"},
    {"8.23", tec, "Web filtering"},
    {"8.24", tec, "Use of cryptography"},
    {"8.25", tec, "Secure development life cycle"},
    {"8.26", tec, "Application security requirements"},
    {"8.27", tec, "Secure system architecture and engineering principles"},
    {"8.28", tec, "Secure coding"},
    {"8.29", tec, "Security testing in development and acceptance"},
    {"8.30", tec, "Outsourced development"},
    {"8.31", tec, "Separation of development, test and production environments"},
    {"8.32", tec, "Change management"},
    {"8.33", tec, "Test information"},
    {"8.34", tec, "Protection during audit testing"},
}};

}  // namespace

std::string_view to_string(theme t) noexcept {
  switch (t) {
    case theme::organizational: return "Organizational";
    case theme::people: return "People";
    case theme::physical: return "Physical";
    case theme::technological: return "Technological";
  }
  return "Organizational";
}

std::span<const control> catalogue() noexcept { return controls; }

std::optional<std::size_t> index_of(std::string_view id) noexcept {
  for (std::size_t i = 0; i < controls.size(); ++i)
    if (controls[i].id == id) return i;
  return std::nullopt;
}

std::optional<control> find(std::string_view id) noexcept {
  if (const auto i = index_of(id)) return controls[*i];
  return std::nullopt;
}

}  // namespace isms::domain::annex_a
