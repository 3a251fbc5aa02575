#include "isms/server/demo.hpp"

// The story of Nordlicht Logistics GmbH, told as the commands its people
// issued, day by day, over the fourteen months before "today". Each part of
// the ISMS (users, scope, documents, risks, SoA, objectives, audits and
// nonconformities, management reviews) schedules its steps on a shared
// timeline; the timeline is then played in order of time, moving the
// server's clock to each step's moment, so that recorded_at never goes back
// and every view, trend and "as of" question sees a plausible history.
//
// Days are counted from the last day of the story: 0 is today, -1 yesterday.
// A step scheduled later today than the real time runs at the real time, so
// nothing is recorded in the future.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "isms/domain/annex_a.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/views/views.hpp"
#include "isms/server/ledger.hpp"

namespace isms::server {

namespace {

using json = nlohmann::json;
namespace views = domain::views;

constexpr std::int64_t ms_per_minute = 60'000;
constexpr std::int64_t ms_per_day = 86'400'000;

// The first day of the story, counted from today: about fourteen months.
constexpr int story_length_days = 424;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A step of the story the domain refused, or a server part that did not
// answer as the story expects. Thrown only inside this file and returned by
// load_demo() as its error: a refusal means the story (or the domain) is
// wrong, and unwinding to one place keeps every step a single readable line.
struct story_failure {
  demo_error error;
};

[[noreturn]] void fail(demo_errc code, std::string message) { throw story_failure{{code, std::move(message)}}; }

// The timeline and the hands that act on the ledger.
class story {
 public:
  story(ledger& app, std::atomic<std::int64_t>& clock, std::int64_t end_ms)
      : app_(app), clock_(clock), end_ms_(end_ms), today_ms_(end_ms - end_ms % ms_per_day) {}

  // "YYYY-MM-DD" of the day `offset` days from today.
  [[nodiscard]] std::string day(int offset) const {
    return domain::format_date(domain::date{std::chrono::days{today_ms_ / ms_per_day + offset}});
  }

  // Schedules `act` at hh:mm UTC of day `offset`. Steps at the same moment
  // run in the order they were scheduled.
  void at(int offset, int hour, int minute, std::function<void()> act) {
    const std::int64_t t = today_ms_ + std::int64_t{offset} * ms_per_day + hour * 60 * ms_per_minute +
                           minute * ms_per_minute;
    steps_.push_back(step{t, steps_.size(), std::move(act)});
  }

  // Plays every step in order of time. Before each, lets the reactions of the
  // previous one finish at the previous moment, then moves the clock.
  void play() {
    std::stable_sort(steps_.begin(), steps_.end(),
                     [](const step& a, const step& b) { return a.at_ms < b.at_ms; });
    for (auto& s : steps_) {
      app_.settle();
      const std::int64_t t = std::min(s.at_ms, end_ms_);
      if (t > clock_.load()) clock_.store(t);
      s.act();
    }
    app_.settle();
    clock_.store(std::max(clock_.load(), end_ms_));
  }

  // Issues one command as `user`; a refusal ends the story.
  command_outcome run(const std::string& user, const std::string& type, const std::string& stream, json data,
                      const std::string& comment = {}) {
    command_request req;
    req.type = type;
    req.stream = stream;
    req.command_id = "demo:" + std::to_string(++commands_);
    req.data = std::move(data);
    req.comment = comment;
    auto o = app_.pipeline().run(user, std::move(req));
    if (!o.ok)
      fail(demo_errc::command_failed, type + " on " + stream + " by " + user + " was refused: " + o.error_code +
                                          (o.error_field.empty() ? "" : " (" + o.error_field + ")") + ": " +
                                          o.error_message);
    return o;
  }

  // Registers a user with their password (the first administrator too).
  void register_user(const demo_user& u) {
    if (u.id == "admin") {
      auto r = app_.bootstrap_admin(u.password);
      if (!r) fail(demo_errc::internal, "cannot register the first administrator: " + r.error());
      if (!r->has_value()) fail(demo_errc::internal, "the store already had users");
      ++commands_;
      return;
    }
    auto o = app_.register_user("admin", u.id, u.name, u.roles, u.password);
    ++commands_;
    if (!o.ok)
      fail(demo_errc::command_failed, "user.register on user-" + u.id + " by admin was refused: " + o.error_code +
                                          ": " + o.error_message);
  }

  // The open approval of a subject, as the approvals view lists it (the
  // reaction to the request opened it).
  [[nodiscard]] std::string open_approval_of(const std::string& subject_stream) const {
    std::string id;
    std::uint64_t latest = 0;
    app_.views().read_current([&](const views::all_views& v) {
      for (const auto& [approval_id, a] : v.approvals.approvals)
        if (a.subject_stream == subject_stream && a.state == "open" && a.changed.position >= latest) {
          id = approval_id;
          latest = a.changed.position;
        }
    });
    if (id.empty()) fail(demo_errc::internal, "no open approval for " + subject_stream);
    return id;
  }

  // `reviewer` approves (or rejects) what `subject_stream` waits for.
  void approve(const std::string& reviewer, const std::string& subject_stream, const std::string& comment) {
    const auto id = open_approval_of(subject_stream);
    run(reviewer, "approval.approve", domain::approval_stream_for(id), {{"comment", comment}}, comment);
  }
  void reject(const std::string& reviewer, const std::string& subject_stream, const std::string& comment) {
    const auto id = open_approval_of(subject_stream);
    run(reviewer, "approval.reject", domain::approval_stream_for(id), {{"comment", comment}}, comment);
  }

  // A view as `viewer` sees it now, on the story's today.
  [[nodiscard]] json query(const std::string& view, const json& params, const domain::actor& viewer) const {
    const domain::date today{std::chrono::days{clock_.load() / ms_per_day}};
    std::optional<json> out;
    std::string problem;
    app_.views().read_current([&](const views::all_views& v) {
      auto r = views::query(v, view, params, viewer, today);
      if (r)
        out = std::move(*r);
      else
        problem = r.error().message;
    });
    if (!out) fail(demo_errc::internal, "query " + view + ": " + problem);
    return *out;
  }

  [[nodiscard]] std::uint64_t position() const { return app_.views().position(); }
  [[nodiscard]] std::uint64_t commands() const { return commands_; }

 private:
  struct step {
    std::int64_t at_ms;
    std::size_t seq;
    std::function<void()> act;
  };

  ledger& app_;
  std::atomic<std::int64_t>& clock_;
  std::int64_t end_ms_;
  std::int64_t today_ms_;  // 00:00 UTC of the last day
  std::vector<step> steps_;
  std::uint64_t commands_ = 0;
};

// ---------------------------------------------------------------------------
// The people

struct person {
  const char* id;
  const char* name;
  const char* job;
  std::vector<std::string> roles;
};

const std::vector<person>& people() {
  static const std::vector<person> all{
      {"admin", "Administrator", "IT service desk: users and roles", {"admin"}},
      {"mara.hansen", "Mara Hansen", "ISMS manager", {"isms_manager"}},
      {"tobias.lange", "Tobias Lange", "Information security officer (deputy ISMS manager)", {"isms_manager"}},
      {"henrik.brandt", "Henrik Brandt", "Chief executive officer", {"top_management"}},
      {"claudia.weber", "Claudia Weber", "Chief financial officer", {"top_management"}},
      {"jonas.richter", "Jonas Richter", "Head of IT operations", {"risk_owner", "contributor"}},
      {"sabine.koch", "Sabine Koch", "Head of HR", {"risk_owner", "contributor"}},
      {"lars.meyer", "Lars Meyer", "Head of facilities and warehouse operations", {"risk_owner", "contributor"}},
      {"eva.schmidt", "Eva Schmidt", "Head of TMS development", {"risk_owner", "contributor"}},
      {"nils.becker", "Nils Becker", "Cloud platform engineer", {"contributor"}},
      {"lena.wagner", "Lena Wagner", "Security awareness coordinator", {"contributor"}},
      {"mehmet.yilmaz", "Mehmet Yilmaz", "Service desk and incident response lead", {"contributor"}},
      {"katrin.vogel", "Katrin Vogel", "Internal auditor (quality and compliance)", {"internal_auditor"}},
      {"peter.graf", "Peter Graf", "External auditor, Hanseatic Certification GmbH", {"external_auditor"}},
  };
  return all;
}

constexpr const char* manager = "mara.hansen";
constexpr const char* deputy = "tobias.lange";
constexpr const char* managing_director = "henrik.brandt";
constexpr const char* cfo = "claudia.weber";
constexpr const char* it_lead = "jonas.richter";
constexpr const char* hr_lead = "sabine.koch";
constexpr const char* facilities = "lars.meyer";
constexpr const char* dev_lead = "eva.schmidt";
constexpr const char* cloud_engineer = "nils.becker";
constexpr const char* awareness = "lena.wagner";
constexpr const char* service_desk = "mehmet.yilmaz";
constexpr const char* auditor = "katrin.vogel";

// ---------------------------------------------------------------------------
// The risk register

struct treatment {
  const char* option;  // modify | avoid | share | retain
  std::vector<std::string> controls;
  const char* actions;
  int target_likelihood;
  int target_impact;
};

struct risk_spec {
  const char* id;
  const char* title;
  const char* description;
  const char* asset;
  const char* threat;
  const char* vulnerability;
  const char* owner;
  const char* category;
  int likelihood;
  int impact;
  const char* rationale;
  treatment plan;
  const char* owner_comment;  // when the owner accepts the residual risk
  const char* top_comment;    // when top management accepts it (above appetite)
};

// The risks of the first risk assessment (the workshop of the first weeks).
const std::vector<risk_spec>& first_assessment() {
  static const std::vector<risk_spec> all{
      {"R-01", "Ransomware encrypts the TMS and file shares",
       "A ransomware attack encrypts the transport management system and the file shares; dispatch stops and "
       "customer shipments cannot be planned.",
       "Transport management system (NordTMS) and file shares", "Ransomware delivered by phishing or an exposed service",
       "Flat office network, shared administrator credentials, restores not regularly tested", it_lead, "Cyber",
       4, 5, "Ransomware is the most frequent attack on mid-sized logistics firms; a TMS outage of more than a day stops all dispatch.",
       {"modify", {"8.7", "8.13", "8.20", "8.22", "6.3"},
        "Roll out EDR to all servers and laptops; immutable backups with quarterly restore tests; segment office, warehouse and server networks; phishing awareness.",
        2, 4},
       "Accepted: EDR and immutable backups are live; remaining risk is what we can carry.", ""},
      {"R-02", "Outage of the cloud region hosting the TMS",
       "A prolonged outage of the cloud provider's region makes the TMS unavailable for customers and dispatch.",
       "TMS hosted in the public cloud (eu-central-1)", "Regional outage at the cloud provider",
       "Single-region deployment, no tested region failover", it_lead, "Supplier",
       2, 5, "Regional outages are rare but last hours; all dispatch depends on the TMS.",
       {"modify", {"5.23", "5.30", "8.14"},
        "Deploy across three availability zones; document and test the restore into a second region within 24 hours.", 2, 5},
       "Accepted for IT operations: multi-zone is in place, the second region is a restore, not a hot standby.",
       "Accepted by the management board: a hot standby region is not economical before the next TMS release; revisit next year."},
      {"R-03", "Former employees keep access to customer data",
       "Accounts of leavers remain active in the TMS and Microsoft 365 after their last day.",
       "Customer and shipment data in the TMS", "Misuse of accounts of former employees",
       "Manual leaver notification from HR to IT", hr_lead, "People",
       3, 4, "About 40 leavers a year, many in the warehouse; the leaver notice reaches IT late.",
       {"modify", {"5.15", "5.18", "6.5"},
        "Automated leaver feed from the HR system to identity management; quarterly recertification of TMS access rights.",
        2, 3},
       "Accepted: the leaver feed is live and recertification is in the HR calendar.", ""},
      {"R-04", "Credential phishing against mailboxes and SSO accounts",
       "Attackers phish credentials of office staff and use them to read mailboxes or redirect invoices.",
       "Microsoft 365 mailboxes and single sign-on accounts", "Credential phishing",
       "MFA not enforced for every user; low awareness among warehouse staff", it_lead, "Cyber",
       4, 4, "Phishing simulations show an 18 % click rate; invoice fraud attempts reach finance monthly.",
       {"modify", {"5.17", "6.3", "8.5"}, "Enforce MFA for all accounts; monthly phishing simulations; awareness e-learning.", 2, 3},
       "Accepted with MFA enforced for office staff.", ""},
      {"R-05", "Interception of truck telematics data",
       "Position and delivery data from trucks is intercepted or manipulated on its way to the TMS.",
       "Truck telematics data stream", "Interception or manipulation in transit", "Legacy telematics units without TLS",
       dev_lead, "Cyber",
       2, 4, "Older units send over plain MQTT; manipulation would misdirect deliveries.",
       {"modify", {"8.24", "8.20"}, "Replace legacy units during the fleet renewal; terminate all telematics traffic on a TLS gateway.", 1, 4},
       "Accepted: fleet renewal covers the remaining units by year end.", ""},
      {"R-06", "Compromise of the TMS build pipeline through a dependency",
       "A malicious open-source dependency reaches production through the build pipeline.",
       "TMS source code and build pipeline", "Malicious or hijacked third-party dependency",
       "No dependency scanning, unpinned versions", dev_lead, "Supplier",
       3, 5, "Supply-chain attacks on package registries are frequent; the TMS has over 600 dependencies.",
       {"modify", {"8.25", "8.28", "8.8", "5.21"},
        "Pin dependencies, scan them in CI, keep a software bill of materials, review new dependencies.", 2, 4},
       "Accepted: scanning blocks known-bad packages; residual risk is the unknown ones.", ""},
      {"R-07", "Unauthorised entry to the warehouse and server room",
       "Unauthorised people enter the warehouse through the loading dock and reach the server room corridor.",
       "Hamburg warehouse and server room", "Unauthorised physical entry, theft", "Badge system does not cover the loading dock",
       facilities, "Physical",
       3, 3, "Two incidents of unknown drivers inside the warehouse last year.",
       {"modify", {"7.1", "7.2", "7.4"}, "Extend badge access to the loading dock; camera at the server room door.", 2, 3},
       "Accepted until the new badge system is installed; then we reassess.", ""},
      {"R-09", "Theft of customer rate sheets by a departing employee",
       "A sales employee leaving for a competitor copies customer contracts and freight rates.",
       "Customer contracts and freight rates", "Exfiltration by a departing employee", "USB storage and personal cloud storage allowed",
       hr_lead, "People",
       2, 4, "Happened once at a competitor; rates are the core of our margin.",
       {"modify", {"8.12", "6.6", "5.10"}, "Block USB storage and personal cloud uploads; confidentiality clauses; leaver interviews.", 1, 4},
       "Accepted.", ""},
      {"R-10", "Fire in the on-premises server room",
       "A fire in the server room destroys the network core, the badge system and the print servers.",
       "On-premises server room (network core, badge system, print)", "Fire", "Fire suppression is 15 years old",
       facilities, "Physical",
       1, 5, "No fire in the building's history; most business systems run in the cloud.",
       {"retain", {}, "", 1, 5},
       "Retained: the TMS runs in the cloud; the server room holds what we can rebuild in two days.", ""},
      {"R-11", "Power outage at the distribution centre",
       "A power failure stops warehouse scanners and the local network; loading stops.",
       "Warehouse scanners and local network", "Power failure", "UPS covers the server room for 15 minutes only",
       facilities, "Physical",
       3, 3, "Three short outages in the last two years; each stopped loading for about an hour.",
       {"modify", {"7.11"}, "Extend UPS to the network core and scanner access points; contract a mobile generator.", 3, 2},
       "Accepted.", ""},
      {"R-12", "Exploitation of unpatched on-premises servers",
       "Known vulnerabilities in on-premises Windows servers are exploited before they are patched.",
       "On-premises Windows servers", "Exploitation of known vulnerabilities", "Monthly patching slips; incomplete asset inventory",
       it_lead, "Cyber",
       4, 4, "The last scan found 14 critical vulnerabilities older than 30 days.",
       {"modify", {"8.8", "5.9", "8.32"}, "Patch critical vulnerabilities within 14 days; complete the asset inventory; weekly scans.", 2, 4},
       "Accepted with the 14-day patch SLA.", ""},
      {"R-13", "Denial of service against the customer tracking portal",
       "A DDoS attack makes the tracking portal unavailable; customers call the service desk instead.",
       "Customer tracking portal", "Distributed denial of service", "No DDoS protection in front of the portal",
       it_lead, "Cyber",
       3, 3, "Portal outages cause about 300 calls an hour; no contractual penalties.",
       {"share", {"5.23", "8.20"}, "Put the portal behind the CDN provider's DDoS protection (contract with SLA and liability).", 2, 3},
       "Accepted: the CDN contract carries the availability commitment.", ""},
      {"R-14", "Breach of drivers' personal data",
       "Personal data of drivers (HR records, telematics positions) is disclosed without authorisation; GDPR notification and fines follow.",
       "Driver personal data (HR and telematics)", "Unauthorised disclosure", "Excessive access rights in the HR system",
       hr_lead, "Legal",
       3, 5, "Access review found 60 users with read access to all driver records; a breach must be notified within 72 hours.",
       {"modify", {"5.34", "8.3", "5.15"}, "Reduce HR system access to need-to-know; pseudonymise telematics history after 90 days.", 2, 5},
       "Accepted for HR: access is reduced to need-to-know.",
       "Accepted: impact stays severe by the nature of the data; likelihood is reduced as far as proportionate."},
      {"R-15", "Loss or theft of laptops",
       "Laptops of sales staff and managers are lost or stolen while travelling.",
       "Laptops of sales and management", "Loss or theft", "Disk encryption not enforced everywhere",
       it_lead, "Cyber",
       4, 3, "Six laptops were lost last year.",
       {"modify", {"8.1", "7.9", "8.24"}, "Enforce disk encryption and remote wipe through endpoint management.", 2, 2},
       "Accepted.", ""},
      {"R-16", "Compromised subcontractor accounts on the carrier portal",
       "A subcontracted carrier's shared account is taken over and used to redirect loads.",
       "Carrier portal accounts (EDI and web)", "Account takeover at a subcontracted carrier", "Shared accounts at carriers, no MFA",
       dev_lead, "Supplier",
       3, 4, "Load theft through fake carriers is a known pattern in road freight.",
       {"modify", {"5.19", "5.20", "5.16"}, "Personal accounts with MFA for carriers; security clauses in carrier contracts.", 2, 3},
       "Accepted: personal carrier accounts are mandatory from next quarter.", ""},
      {"R-17", "Exploitation of the end-of-life EDI gateway",
       "The legacy EDI gateway is no longer supported by its vendor and receives no security updates.",
       "Legacy EDI gateway", "Exploitation of unsupported software", "Vendor support ended",
       it_lead, "Cyber",
       3, 4, "The gateway is reachable from carrier networks and runs an unsupported OS.",
       {"avoid", {}, "Decommission the gateway: migrate every carrier to the TMS EDI API.", 1, 1},
       "Accepted: the gateway goes away once the last carrier is migrated.", ""},
  };
  return all;
}

const risk_spec& r08() {
  static const risk_spec r{
      "R-08", "Loss of key knowledge of the TMS routing engine",
      "Only two developers understand the routing engine; one has resigned.", "Know-how of the TMS routing engine",
      "Departure of key developers", "Undocumented code, no second line of expertise", dev_lead, "People",
      3, 4, "One of two experts leaves in three months; routing changes would stall.",
      {"modify", {"5.37", "6.2"}, "Pair programming and architecture documentation; knowledge transfer before the notice period ends.", 2, 3},
      "", ""};
  return r;
}

const risk_spec& r18() {
  static const risk_spec r{
      "R-18", "Public exposure of cloud storage",
      "A misconfigured storage bucket exposes proof-of-delivery documents and customer data.",
      "Cloud object storage (documents, proofs of delivery)", "Public exposure by misconfiguration",
      "No configuration baseline for storage", dev_lead, "Cyber",
      3, 5, "Misconfigured buckets are the most common cloud data leak; PODs carry signatures and addresses.",
      {"modify", {"8.9"}, "Configuration baseline for storage accounts.", 3, 4},
      "", ""};
  return r;
}

const risk_spec& r19() {
  static const risk_spec r{
      "R-19", "Fraudulent pickup by a fake carrier",
      "A criminal poses as a subcontracted carrier on the phone and collects a high-value load.",
      "Dispatch and load assignment", "Social engineering, fraudulent pickup", "Carriers verified by phone only",
      facilities, "Fraud",
      3, 4, "Two attempts at the Hamburg hub this year, one load of electronics lost at a partner.",
      {"modify", {"5.14", "6.3", "5.16"}, "Pickup codes sent through the carrier portal; call-back verification for changed drivers; dispatcher training.", 2, 3},
      "", ""};
  return r;
}

// ---------------------------------------------------------------------------
// The Statement of Applicability: every Annex A control decided

struct soa_spec {
  const char* control;
  const char* status;  // implementation status; "" for an excluded control
  const char* justification;
};

const std::vector<soa_spec>& soa_decisions() {
  static const std::vector<soa_spec> all{
      {"5.1", "implemented", "Information security policy POL-001 approved by top management; topic-specific policies for access control and backup."},
      {"5.2", "implemented", "ISMS roles (ISMS manager, deputy, risk owners) defined in the ISMS handbook."},
      {"5.3", "implemented", "Conflicting duties separated in TMS finance functions and in every ISMS approval (no self-approval)."},
      {"5.4", "implemented", "Managers require staff to apply the policy; covered in contracts and onboarding."},
      {"5.5", "implemented", "Contacts with BSI, the data protection authority and the police cybercrime unit maintained."},
      {"5.6", "partial", "Member of the logistics sector ISAC; participation not yet regular."},
      {"5.7", "partial", "Threat intelligence from the cloud provider and CERT bulletins; no formal analysis yet."},
      {"5.8", "implemented", "Security requirements gate in the TMS project method."},
      {"5.9", "partial", "Inventory of cloud and server assets complete; warehouse devices in progress (R-12)."},
      {"5.10", "implemented", "Acceptable use rules in the IT user guideline, signed at onboarding."},
      {"5.11", "implemented", "Return of laptops, badges and scanners in the HR leaver checklist."},
      {"5.12", "implemented", "Classification scheme public / internal / confidential / restricted."},
      {"5.13", "partial", "Labelling automated for office documents; not yet for TMS exports."},
      {"5.14", "partial", "Rules for EDI, e-mail and file transfer with customers and carriers; e-mail DLP being introduced."},
      {"5.15", "implemented", "Access control policy POL-002; role-based access in the TMS."},
      {"5.16", "implemented", "Central identity management with single sign-on for the TMS and Microsoft 365."},
      {"5.17", "partial", "MFA enforced for office staff; shared warehouse terminals still use passwords."},
      {"5.18", "implemented", "Joiner-mover-leaver process and quarterly recertification of TMS access rights."},
      {"5.19", "implemented", "Security assessment of cloud and IT suppliers before onboarding."},
      {"5.20", "partial", "Security clauses in IT supplier contracts; carrier contracts being updated."},
      {"5.21", "partial", "Software bill of materials for the TMS; dependency scanning being introduced."},
      {"5.22", "implemented", "Yearly review of the cloud provider's assurance reports and of key IT suppliers."},
      {"5.23", "implemented", "Cloud security policy; shared responsibility model of the cloud provider mapped to our controls."},
      {"5.24", "implemented", "Incident response procedure PRO-002 with roles, contacts and playbooks."},
      {"5.25", "implemented", "Service desk triage criteria for security events."},
      {"5.26", "implemented", "Playbooks for ransomware, phishing and data loss."},
      {"5.27", "implemented", "Lessons learned after every major incident, recorded as nonconformities where needed."},
      {"5.28", "partial", "Evidence preservation defined for the cloud; on-premises servers not yet."},
      {"5.29", "partial", "Business continuity plan covers the TMS; security during disruption not yet exercised."},
      {"5.30", "partial", "TMS restore within 8 hours tested; restore into a second region not yet (R-02)."},
      {"5.31", "implemented", "Register of legal, statutory and contractual requirements (GDPR, NIS2, customer contracts)."},
      {"5.32", "implemented", "Licences managed in the service desk tool."},
      {"5.33", "implemented", "Records protected and retained per the retention schedule (commercial and tax law)."},
      {"5.34", "implemented", "Data protection management with an external data protection officer."},
      {"5.35", "implemented", "Independent review by internal audit and the certification body."},
      {"5.36", "implemented", "Compliance with policies checked by internal audit and line managers."},
      {"5.37", "partial", "Operating procedures documented for TMS operations; warehouse IT procedures in progress."},
      {"6.1", "implemented", "Background checks for IT, finance and dispatch roles as German law permits."},
      {"6.2", "implemented", "Information security responsibilities in employment contracts."},
      {"6.3", "partial", "E-learning and phishing simulations; warehouse shift staff only partly reached."},
      {"6.4", "implemented", "Disciplinary process agreed with the works council."},
      {"6.5", "implemented", "Duties after termination in contracts and the leaver checklist."},
      {"6.6", "implemented", "Confidentiality agreements with staff, contractors and carriers."},
      {"6.7", "implemented", "Remote working on managed devices over VPN; no printing at home."},
      {"6.8", "implemented", "Security events reported through the service desk portal and hotline."},
      {"7.1", "implemented", "Security perimeters defined for the Hamburg office, warehouse and server room."},
      {"7.2", "partial", "Badge access for offices and server room; loading dock being added (R-07)."},
      {"7.3", "implemented", "Offices and server room locked; visitor management at reception."},
      {"7.4", "partial", "Video surveillance of warehouse and yard; server room door camera being added (R-07)."},
      {"7.5", "implemented", "Server room with fire detection, water sensors and climate control."},
      {"7.6", "implemented", "Rules for working in the server room and other secure areas."},
      {"7.7", "partial", "Clear desk and clear screen rule; not yet consistently followed in dispatch."},
      {"7.8", "implemented", "Network and server equipment in locked racks."},
      {"7.9", "implemented", "Laptops encrypted and managed; rules for use off premises."},
      {"7.10", "implemented", "Removable media encrypted; disposal through a certified provider."},
      {"7.11", "partial", "UPS for the server room; network core and scanner access points being added (R-11)."},
      {"7.12", "implemented", "Cabling in protected ducts; cabinets locked."},
      {"7.13", "implemented", "Maintenance contracts for UPS, climate control and fire detection."},
      {"7.14", "implemented", "Secure disposal and re-use of equipment with certificates of destruction."},
      {"8.1", "implemented", "Endpoint management for laptops and mobile devices."},
      {"8.2", "implemented", "Separate administrator accounts kept in a privileged access vault."},
      {"8.3", "implemented", "Access restricted by TMS roles and per-customer data scopes."},
      {"8.4", "implemented", "Source code access restricted to the development team."},
      {"8.5", "partial", "Single sign-on with MFA; phishing-resistant MFA for administrators being rolled out."},
      {"8.6", "implemented", "Capacity monitoring and autoscaling of the TMS."},
      {"8.7", "partial", "EDR on servers and laptops; warehouse terminals being enrolled (R-01)."},
      {"8.8", "partial", "Monthly vulnerability scans; 14-day patch SLA for critical vulnerabilities (R-12)."},
      {"8.9", "planned", "Configuration baselines as code; cloud posture management to be introduced."},
      {"8.10", "implemented", "Customer data deleted at contract end per the retention schedule."},
      {"8.11", "planned", "Masking of personal data in TMS test environments planned."},
      {"8.12", "partial", "E-mail DLP; USB storage blocked on office laptops (R-09)."},
      {"8.13", "implemented", "Backup procedure PRO-001: daily backups, immutable copies, restore tests."},
      {"8.14", "partial", "TMS deployed across availability zones; no second region yet (R-02)."},
      {"8.15", "implemented", "Central logging of TMS, cloud and identity events, kept 12 months."},
      {"8.16", "planned", "Monitoring of anomalous activity by a managed SOC being procured."},
      {"8.17", "implemented", "Clocks synchronised with the cloud provider's time service."},
      {"8.18", "implemented", "Privileged utility programs restricted to administrators."},
      {"8.19", "implemented", "Software installed only through endpoint management."},
      {"8.20", "implemented", "Firewalls and network security in office, warehouse and cloud."},
      {"8.21", "implemented", "Security of network services (SD-WAN, VPN, DNS filtering) in the service agreements."},
      {"8.22", "partial", "Office and warehouse networks separated; scanner network being split (R-01)."},
      {"8.23", "implemented", "Web filtering on all managed devices."},
      {"8.24", "implemented", "TLS in transit and encryption at rest; keys in the cloud KMS."},
      {"8.25", "implemented", "Secure development life cycle for the TMS."},
      {"8.26", "implemented", "Security requirements for TMS features and APIs."},
      {"8.27", "implemented", "Secure architecture principles for the TMS and its integrations."},
      {"8.28", "partial", "Secure coding guideline and code review; static analysis being extended (R-06)."},
      {"8.29", "implemented", "Security tests in CI and a yearly penetration test of TMS and portal."},
      {"8.30", "", "Excluded: no development is outsourced. The TMS is developed in-house; external developers work inside the team under 8.25-8.28."},
      {"8.31", "implemented", "Separate development, test and production cloud accounts."},
      {"8.32", "implemented", "Change management for TMS releases and infrastructure changes."},
      {"8.33", "planned", "Anonymised test data for the TMS test environment, together with 8.11."},
      {"8.34", "implemented", "Audit tests on production agreed with IT operations, read-only access."},
  };
  return all;
}

// ---------------------------------------------------------------------------
// Documents

constexpr const char* security_policy_v1 =
    "# Information Security Policy\n\n"
    "Nordlicht Logistics GmbH plans, moves and delivers goods for its customers. Our customers trust us with "
    "their shipments, their data and their schedules. Protecting that information is part of delivering on "
    "time.\n\n"
    "## Objectives\n"
    "1. Keep the transport management system available for dispatch 99.5 % of business hours.\n"
    "2. Protect customer, driver and employee data against unauthorised disclosure.\n"
    "3. Meet legal, regulatory and contractual requirements, including the GDPR.\n"
    "4. Improve the ISMS continually, measured by the information security objectives.\n\n"
    "## Commitments\n"
    "Top management provides the resources for the ISMS, assigns its roles and reviews it every year. "
    "Risks are assessed against the risk acceptance criteria; risk owners accept residual risks. Every "
    "employee and contractor follows this policy and the topic-specific policies, and reports security "
    "events to the service desk.\n\n"
    "## Responsibilities\n"
    "The ISMS manager runs the ISMS. Heads of department own the risks of their area. Internal audit checks "
    "that the ISMS works as described.\n";

constexpr const char* security_policy_v2_addition =
    "\n## Cloud services and suppliers\n"
    "Cloud services are chosen, used and exited under the cloud security policy; the shared responsibility "
    "of each provider is mapped to our controls. Suppliers and subcontracted carriers with access to our "
    "information agree to security clauses and are reviewed every year.\n";

constexpr const char* access_policy =
    "# Access Control Policy\n\n"
    "Access to information follows need-to-know and least privilege.\n\n"
    "- Every person has a personal account; shared accounts are not permitted, carriers included.\n"
    "- Access is granted by role, requested by the line manager and approved by the information owner.\n"
    "- Multi-factor authentication protects every account reachable from the internet.\n"
    "- Administrators use separate privileged accounts kept in the access vault.\n"
    "- Leavers lose access on their last working day at the latest; HR notifies IT automatically.\n"
    "- TMS access rights are recertified by the information owners every quarter.\n";

constexpr const char* backup_procedure =
    "# Backup Procedure\n\n"
    "1. The TMS database is backed up every night and every 15 minutes as transaction logs.\n"
    "2. File shares and cloud storage are backed up every night.\n"
    "3. A copy of every backup is kept immutable for 35 days in a separate cloud account.\n"
    "4. Backups are encrypted; keys are kept in the cloud KMS.\n"
    "5. Every quarter IT operations restores each critical system into the test account and records the result.\n"
    "6. Failed backups raise a ticket for the on-call engineer the same night.\n";

constexpr const char* incident_procedure_v1 =
    "# Incident Response Procedure\n\n"
    "1. Anyone who notices a security event reports it to the service desk (portal or hotline).\n"
    "2. The service desk triages it within 30 minutes using the triage criteria.\n"
    "3. A security incident is handled by the incident lead following the playbook (ransomware, phishing, "
    "data loss).\n"
    "4. Personal data breaches are reported to the data protection officer at once; the authority is "
    "notified within 72 hours where required.\n"
    "5. Every major incident ends with a lessons-learned review.\n";

constexpr const char* incident_procedure_v2_addition =
    "6. Significant incidents are reported to the national authority as NIS2 requires: an early warning "
    "within 24 hours, a notification within 72 hours and a final report within one month.\n"
    "7. The management board is informed of every significant incident the same day.\n";

// ---------------------------------------------------------------------------
// The story, part by part

class nordlicht {
 public:
  nordlicht(story& s, std::vector<demo_user>& users) : s_(s), users_(users) {}

  void tell() {
    users();
    scope();
    documents();
    risks();
    soa();
    objectives();
    audits_and_nonconformities();
    management_reviews();
  }

 private:
  // -- users -------------------------------------------------------------------
  void users() {
    for (std::size_t i = 0; i < users_.size(); ++i) {
      const demo_user& u = users_[i];
      // The external auditor joins before the certification audit's stage 1.
      const int day = u.id == "peter.graf" ? -170 : -story_length_days;
      s_.at(day, 8, static_cast<int>(i), [this, i] { s_.register_user(users_[i]); });
    }
  }

  // -- context and scope (4.1-4.4) ----------------------------------------------
  void scope() {
    const std::string st = "scope-main";
    s_.at(-423, 10, 0, [=, this] {
      s_.run(manager, "scope.set_statement", st,
             {{"boundaries",
               "Nordlicht Logistics GmbH, Hamburg head office and distribution centre, about 250 staff; the "
               "cloud-hosted transport management system NordTMS and the customer tracking portal."},
              {"inclusions",
               {"Dispatch, transport planning and customer service",
                "Development and operation of NordTMS and the tracking portal",
                "Warehouse operations at the Hamburg distribution centre",
                "IT operations, HR and finance processes that support them"}},
              {"exclusions",
               json::array({json{{"item", "Nordlicht Spedition Polska sp. z o.o."},
                                 {"justification",
                                  "Separate legal entity with its own IT; exchanges data with us only through the "
                                  "TMS EDI API, which is in scope."}}})},
              {"interfaces",
               "Cloud provider (IaaS), CDN provider, subcontracted carriers through the carrier portal, customers "
               "through EDI and the tracking portal."}},
             "First scope statement for the certification project");
      s_.run(manager, "scope.add_issue", st,
             {{"issue_id", "I-1"}, {"kind", "external"},
              {"description", "Ransomware campaigns target logistics companies; two competitors were hit last year."}});
      s_.run(manager, "scope.add_issue", st,
             {{"issue_id", "I-2"}, {"kind", "external"},
              {"description", "Large shippers require ISO/IEC 27001 certification from their logistics partners in tenders."}});
      s_.run(manager, "scope.add_issue", st,
             {{"issue_id", "I-3"}, {"kind", "internal"},
              {"description", "Full dependence on the cloud-hosted TMS for dispatch; no manual fallback beyond four hours."}});
      s_.run(manager, "scope.add_issue", st,
             {{"issue_id", "I-4"}, {"kind", "internal"},
              {"description", "High staff turnover in the warehouse (about 25 % a year) and many temporary workers."}});
    });
    s_.at(-423, 11, 0, [=, this] {
      s_.run(manager, "scope.add_interested_party", st,
             {{"party_id", "P-1"}, {"name", "Customers (shippers)"},
              {"requirements", {"Availability of tracking and dispatch", "Confidentiality of rates and shipment data",
                                "ISO/IEC 27001 certificate"}}});
      s_.run(manager, "scope.add_interested_party", st,
             {{"party_id", "P-2"}, {"name", "Subcontracted carriers"},
              {"requirements", {"Reliable access to the carrier portal", "Protection of their drivers' data"}}});
      s_.run(manager, "scope.add_interested_party", st,
             {{"party_id", "P-3"}, {"name", "Employees and works council"},
              {"requirements", {"Protection of personal data", "Proportionate monitoring agreed with the works council"}}});
      s_.run(manager, "scope.add_interested_party", st,
             {{"party_id", "P-4"}, {"name", "Data protection authority"},
              {"requirements", {"GDPR compliance", "Breach notification within 72 hours"}}});
      s_.run(manager, "scope.add_interested_party", st,
             {{"party_id", "P-5"}, {"name", "Cyber insurer"},
              {"requirements", {"MFA for remote access", "Offline or immutable backups", "Incident response plan"}}});
    });
    s_.at(-421, 9, 30, [=, this] {
      s_.run(manager, "scope.request_approval", st, {{"summary", "Approve the ISMS context and scope for certification"}});
    });
    s_.at(-420, 16, 10, [=, this] {
      s_.approve(managing_director, st, "Approved. The Polish subsidiary follows once its IT is migrated to the group tenant.");
    });

    // NIS2 becomes law: the context changes and top management approves it again.
    s_.at(-120, 10, 0, [=, this] {
      s_.run(manager, "scope.add_issue", st,
             {{"issue_id", "I-5"}, {"kind", "external"},
              {"description",
               "NIS2 transposition: as a freight forwarder with more than 50 staff Nordlicht is an important entity "
               "(transport sector) with registration and 24-hour incident reporting duties."}},
             "NIS2 implementation act passed");
      s_.run(manager, "scope.update_interested_party", st,
             {{"party_id", "P-4"}, {"name", "Supervisory authorities (data protection, BSI under NIS2)"},
              {"requirements", {"GDPR compliance", "Breach notification within 72 hours",
                                "NIS2 registration and incident reporting (24 h / 72 h / 1 month)"}}},
             "NIS2 adds the BSI as supervisory authority");
    });
    s_.at(-119, 9, 0, [=, this] {
      s_.run(manager, "scope.request_approval", st, {{"summary", "Approve the context updated for NIS2"}});
    });
    s_.at(-117, 14, 45, [=, this] {
      s_.approve(cfo, st, "Approved; the budget for NIS2 reporting is in next year's plan.");
    });
  }

  // -- documented information (5.2, 7.5) ----------------------------------------
  void draft(int day, int hour, const std::string& by, const std::string& id, const std::string& kind,
             const std::string& title, const std::string& owner, const std::string& classification, int interval,
             const std::string& text, const std::string& note) {
    s_.at(day, hour, 0, [=, this] {
      s_.run(by, "document.draft", "document-" + id,
             {{"document_id", id}, {"kind", kind}, {"title", title}, {"owner", owner},
              {"classification", classification}, {"review_interval_months", interval}, {"text", text},
              {"change_note", note}},
             note);
    });
  }
  void request_document_approval(int day, int hour, const std::string& id) {
    s_.at(day, hour, 0, [=, this] { s_.run(manager, "document.request_approval", "document-" + id, json::object()); });
  }
  void approve_at(int day, int hour, int minute, const std::string& reviewer, const std::string& subject,
                  const std::string& comment) {
    s_.at(day, hour, minute, [=, this] { s_.approve(reviewer, subject, comment); });
  }
  void publish(int day, int hour, const std::string& id, const std::string& text) {
    s_.at(day, hour, 0, [=, this] {
      s_.run(manager, "document.publish", "document-" + id, {{"content_sha256", domain::sha256_hex(text)}},
             "Published on the intranet and announced to all staff");
    });
  }

  void documents() {
    const std::string policy_v2 = std::string(security_policy_v1) + security_policy_v2_addition;
    const std::string incident_v2 = std::string(incident_procedure_v1) + incident_procedure_v2_addition;

    // The information security policy, approved by the Managing Director; revised after the first management review.
    draft(-418, 10, manager, "POL-001", "policy", "Information Security Policy", manager, "internal", 12,
          security_policy_v1, "First issue");
    request_document_approval(-416, 9, "POL-001");
    approve_at(-414, 17, 20, managing_director, "document-POL-001", "Approved for the whole company.");
    publish(-413, 9, "POL-001", security_policy_v1);
    s_.at(-190, 11, 0, [=, this] {
      s_.run(manager, "document.revise", "document-POL-001",
             {{"text", policy_v2}, {"change_note", "Cloud services and suppliers section (management review MR-1, decision D1)"}},
             "Management review MR-1, decision D1");
    });
    request_document_approval(-189, 9, "POL-001");
    approve_at(-187, 18, 5, managing_director, "document-POL-001", "Approved. Good to see suppliers covered explicitly.");
    publish(-186, 9, "POL-001", policy_v2);

    // The access control policy: its yearly review falls due in about three weeks.
    draft(-350, 10, manager, "POL-002", "policy", "Access Control Policy", it_lead, "internal", 12, access_policy,
          "First issue");
    request_document_approval(-348, 9, "POL-002");
    approve_at(-346, 15, 0, managing_director, "document-POL-002", "Approved.");
    publish(-345, 9, "POL-002", access_policy);

    // The backup procedure, written by IT operations, approved by the deputy ISMS manager, reviewed this year.
    draft(-395, 14, it_lead, "PRO-001", "procedure", "Backup Procedure", it_lead, "internal", 12, backup_procedure,
          "First issue");
    request_document_approval(-393, 9, "PRO-001");
    approve_at(-392, 11, 0, deputy, "document-PRO-001", "Approved; matches what the backup jobs do.");
    publish(-391, 9, "PRO-001", backup_procedure);
    s_.at(-30, 14, 0, [=, this] {
      s_.run(it_lead, "document.record_review", "document-PRO-001",
             {{"outcome", "suitable"}, {"notes", "Reviewed against the restore tests of the last four quarters; no change needed."}});
    });

    // The incident response procedure: reviewed, revised for NIS2, the revision awaits approval.
    draft(-375, 10, manager, "PRO-002", "procedure", "Incident Response Procedure", service_desk, "internal", 12,
          incident_procedure_v1, "First issue");
    request_document_approval(-373, 9, "PRO-002");
    approve_at(-372, 10, 30, deputy, "document-PRO-002", "Approved.");
    publish(-371, 9, "PRO-002", incident_procedure_v1);
    s_.at(-20, 10, 0, [=, this] {
      s_.run(service_desk, "document.record_review", "document-PRO-002",
             {{"outcome", "revision_needed"},
              {"notes", "The NIS2 reporting deadlines (24 h early warning, 72 h notification) are missing."}});
    });
    s_.at(-8, 15, 0, [=, this] {
      s_.run(service_desk, "document.revise", "document-PRO-002",
             {{"text", incident_v2}, {"change_note", "NIS2 reporting deadlines and informing the management board"}},
             "Outcome of the yearly review");
    });
    request_document_approval(-6, 9, "PRO-002");
  }

  // -- risks (6.1.2, 6.1.3, 8.2, 8.3) -------------------------------------------
  void identify(int day, int hour, int minute, const risk_spec& r, const std::string& by) {
    s_.at(day, hour, minute, [=, this, &r] {
      s_.run(by, "risk.identify", std::string("risk-") + r.id,
             {{"title", r.title}, {"description", r.description}, {"asset", r.asset}, {"threat", r.threat},
              {"vulnerability", r.vulnerability}, {"owner", r.owner}, {"category", r.category}});
    });
  }
  void assess(int day, int hour, int minute, const risk_spec& r, const std::string& by, int l, int i,
              const std::string& rationale) {
    s_.at(day, hour, minute, [=, this, &r] {
      s_.run(by, "risk.assess", std::string("risk-") + r.id, {{"likelihood", l}, {"impact", i}, {"rationale", rationale}},
             rationale);
    });
  }
  void plan(int day, int hour, int minute, const risk_spec& r, const std::string& by, const treatment& t,
            int due_day) {
    s_.at(day, hour, minute, [=, this, &r] {
      s_.run(by, "risk.plan_treatment", std::string("risk-") + r.id,
             {{"option", t.option}, {"controls", t.controls}, {"actions", t.actions},
              {"target_likelihood", t.target_likelihood}, {"target_impact", t.target_impact},
              {"due", s_.day(due_day)}});
    });
  }
  void request(int day, int hour, int minute, const risk_spec& r, std::optional<int> review_day,
               const std::string& comment) {
    s_.at(day, hour, minute, [=, this, &r] {
      json data{{"comment", comment}};
      if (review_day) data["review_date"] = s_.day(*review_day);
      s_.run(manager, "risk.request_acceptance", std::string("risk-") + r.id, data, comment);
    });
  }
  static bool above_appetite(const treatment& t) { return t.target_likelihood * t.target_impact > 9; }

  void risks() {
    const auto& first = first_assessment();
    for (std::size_t k = 0; k < first.size(); ++k) {
      const risk_spec& r = first[k];
      const int d = -410 + 2 * static_cast<int>(k / 2);  // two risks a day in the workshop weeks
      const int m = 15 * static_cast<int>(k % 2);
      const bool by_owner = k % 3 != 0;  // owners record most of their risks themselves
      identify(d, 9, m, r, by_owner ? r.owner : manager);
      assess(d + 2, 10, m, r, by_owner ? r.owner : manager, r.likelihood, r.impact, r.rationale);
      plan(d + 6, 14, m, r, r.owner, r.plan, d + 120);
      const bool expiring_soon = std::string(r.id) == "R-07";
      request(d + 14, 9, m, r, expiring_soon ? std::optional<int>(20) : std::nullopt,
              expiring_soon ? "Acceptance until the new badge system is in operation" : "First risk assessment");
      approve_at(d + 15, 11, m, r.owner, std::string("risk-") + r.id, r.owner_comment);
      if (above_appetite(r.plan))
        approve_at(d + 17, 16, m, k % 2 ? cfo : managing_director, std::string("risk-") + r.id, r.top_comment);
    }

    // The EDI gateway is decommissioned: its risk is retired.
    for (const auto& r : first)
      if (std::string(r.id) == "R-17")
        s_.at(-140, 15, 0, [=, this, &r] {
          s_.run(manager, "risk.retire", std::string("risk-") + r.id,
                 {{"reason", "EDI gateway decommissioned; all carriers use the TMS EDI API."}},
                 "Change CHG-2291 closed");
        });

    // The yearly risk review, before the first acceptances reach their review date.
    int n = 0;
    for (std::size_t k = 0; k < first.size(); ++k) {
      const risk_spec& r = first[k];
      const std::string id = r.id;
      if (id == "R-07" || id == "R-17") continue;  // accepted to a later date / retired
      const int d = -62 + n++;
      const std::string stream = "risk-" + id;
      if (id == "R-12") {
        // Patching fell behind after the server migration: residual risk above appetite, awaiting the board.
        assess(d, 9, 0, r, r.owner, 4, 4,
               "Yearly review: 9 critical vulnerabilities older than 14 days after the server migration.");
        plan(d + 1, 10, 0, r, r.owner,
             {"modify", {"8.8", "5.9", "8.32", "8.7"},
              "Recover the 14-day patch SLA; decommission the four remaining 2012 servers; EDR isolation for the rest.",
              3, 4},
             60);
        request(-5, 9, 40, r, std::nullopt, "Yearly risk review");
        approve_at(-2, 10, 15, r.owner, stream,
                   "Accepted for IT operations until the old servers are gone; needs the board's sign-off.");
        continue;
      }
      int l = r.likelihood, i = r.impact;
      std::string why = "Yearly review: threat and exposure unchanged.";
      if (id == "R-01") {
        why = "Yearly review: ransomware stays the first threat to logistics; two peers were hit this year.";
      } else if (id == "R-05") {
        l = 1;
        why = "Yearly review: the fleet renewal replaced the last legacy telematics units.";
      } else if (id == "R-04") {
        l = 3;
        why = "Yearly review: click rate in phishing simulations fell below 6 %.";
      } else if (id == "R-16") {
        i = 3;
        why = "Yearly review: carrier accounts are personal now; a takeover affects one carrier.";
      }
      assess(d, 9, 0, r, r.owner, l, i, why);
      treatment t = r.plan;
      if (t.target_likelihood * t.target_impact > l * i) t.target_likelihood = 1;
      plan(d + 1, 10, 0, r, r.owner, t, d + 181);
      request(d + 3, 9, 0, r, std::nullopt, "Yearly risk review");
      approve_at(d + 4, 11, 0, r.owner, stream, "Re-accepted after the yearly review.");
      if (above_appetite(t)) approve_at(d + 6, 16, 0, managing_director, stream, "Re-accepted by the board for another year.");
    }

    // A key developer resigns: a new people risk, its acceptance now waits for its owner.
    const risk_spec& k = r08();
    identify(-150, 9, 0, k, manager);
    assess(-148, 10, 0, k, k.owner, k.likelihood, k.impact, k.rationale);
    plan(-140, 14, 0, k, k.owner, k.plan, 30);
    request(-4, 9, 0, k, std::nullopt, "Knowledge transfer is under way; accept the rest");

    // Cloud storage exposure: the board rejects the first plan, the re-planned risk is accepted.
    const risk_spec& c = r18();
    const std::string c_stream = "risk-R-18";
    identify(-310, 9, 0, c, c.owner);
    assess(-309, 10, 0, c, c.owner, c.likelihood, c.impact, c.rationale);
    plan(-307, 14, 0, c, c.owner, c.plan, -200);
    request(-305, 9, 0, c, std::nullopt, "Baseline in place");
    approve_at(-304, 11, 0, c.owner, c_stream, "Accepted from development's side.");
    s_.at(-303, 17, 30, [=, this] {
      s_.reject(managing_director, c_stream,
                "Rejected: a high residual risk on customer documents is above our appetite. Add posture "
                "monitoring and an organisation-wide block on public buckets, then come back.");
    });
    plan(-300, 14, 0, c, c.owner,
         {"modify", {"8.9", "5.23", "8.16"},
          "Configuration baseline; organisation policy blocking public storage; cloud posture monitoring with alerts to the on-call engineer.",
          2, 4},
         -200);
    request(-299, 9, 0, c, std::nullopt, "Re-planned after the board's rejection");
    approve_at(-298, 11, 0, c.owner, c_stream, "Accepted: public access is blocked for the whole organisation now.");
    const std::string c_owner = c.owner;
    s_.at(-212, 15, 0, [=, this] {
      s_.run(c_owner, "risk.record_treatment_implemented", c_stream,
             {{"evidence", "Organisation policy blocks public storage (change CHG-2174); posture monitoring live, "
                           "alerts reach the on-call engineer (test alert SEC-412)."}},
             "Treatment in place before its due date");
    });

    // Fraudulent pickups: identified by operations, acceptance waits for the owner.
    const risk_spec& f = r19();
    identify(-60, 9, 0, f, f.owner);
    assess(-59, 10, 0, f, f.owner, f.likelihood, f.impact, f.rationale);
    plan(-57, 14, 0, f, manager, f.plan, 45);
    request(-3, 9, 0, f, std::nullopt, "Pickup codes are live at the Hamburg hub");

    // Recently found and not yet treated.
    static const risk_spec shadow{
        "R-20", "Business data in unapproved SaaS tools",
        "Teams use unapproved SaaS tools (file sharing, route planners) with customer data.",
        "Business data outside approved systems", "Data leakage through unmanaged SaaS", "No SaaS approval process",
        it_lead, "Cyber", 3, 3, "Proxy logs show 40 unapproved SaaS domains with uploads.", {}, "", ""};
    identify(-30, 9, 0, shadow, manager);
    assess(-28, 10, 0, shadow, shadow.owner, shadow.likelihood, shadow.impact, shadow.rationale);
    static const risk_spec ai{
        "R-21", "Shipment data pasted into public AI assistants",
        "Staff paste customer shipment data into public generative AI assistants to draft e-mails.",
        "Customer and shipment data", "Disclosure to AI service providers", "No rule on the use of AI assistants",
        dev_lead, "Legal", 0, 0, "", {}, "", ""};
    identify(-1, 16, 30, ai, manager);
  }

  // -- Statement of Applicability (6.1.3 d) -------------------------------------
  void soa() {
    const std::string st = "soa-main";
    // Risks treated by each control, as the treatment plans of the first assessment link them.
    std::map<std::string, std::vector<std::string>> linked;
    for (const auto& r : first_assessment())
      for (const auto& c : r.plan.controls) linked[c].push_back(r.id);

    const auto& all = soa_decisions();
    for (std::size_t k = 0; k < all.size(); ++k) {
      const soa_spec& c = all[k];
      const int day = k < all.size() / 2 ? -336 : -335;
      const int minute = static_cast<int>(k % 47);
      s_.at(day, 9 + minute / 20, (minute % 20) * 3, [=, this, &c] {
        const bool applicable = c.status[0] != '\0';
        const auto it = linked.find(c.control);
        s_.run(manager, "soa.decide_control", st,
               {{"control_id", c.control}, {"applicable", applicable}, {"justification", c.justification},
                {"linked_risks", it == linked.end() ? std::vector<std::string>{} : it->second}});
      });
      if (c.status[0] != '\0' && std::string(c.status) != "not_started")
        s_.at(-334, 9 + static_cast<int>(k / 20), static_cast<int>(k % 20) * 3, [=, this, &c] {
          s_.run(manager, "soa.set_implementation_status", st, {{"control_id", c.control}, {"status", c.status}});
        });
    }
    s_.at(-332, 9, 0, [=, this] {
      s_.run(manager, "soa.request_publication", st, {{"comment", "First Statement of Applicability for certification"}},
             "First Statement of Applicability for certification");
    });
    approve_at(-330, 17, 0, managing_director, st, "Approved as version 1 of the Statement of Applicability.");

    // Implementation moves on after version 1.
    const auto status = [=, this](int day, const char* control, const char* to, const char* why) {
      s_.at(day, 15, 0, [=, this] {
        s_.run(manager, "soa.set_implementation_status", st, {{"control_id", control}, {"status", to}, {"comment", why}},
               why);
      });
    };
    status(-250, "8.9", "partial", "Configuration baselines in force for storage (R-18)");
    status(-120, "8.7", "implemented", "EDR enrolled on the last warehouse terminals");
    status(-95, "5.17", "implemented", "Warehouse terminals moved to badge plus PIN sign-in");
    status(-60, "7.2", "implemented", "Loading dock badge readers in operation");
    status(-40, "8.16", "partial", "Managed SOC onboarded for cloud and identity logs");
  }

  // -- objectives (6.2) ----------------------------------------------------------
  void objective(int proposed_day, const std::string& id, const std::string& statement, const std::string& measure,
                 double target, const std::string& unit, const std::string& owner, int due_day,
                 const std::string& resources, const std::string& evaluation, const std::string& approver,
                 std::vector<double> monthly, int first_measurement_day, const std::string& note) {
    const std::string st = "objective-" + id;
    s_.at(proposed_day, 10, 0, [=, this] {
      s_.run(manager, "objective.propose", st,
             {{"objective_id", id}, {"statement", statement}, {"measure", measure}, {"target_value", target},
              {"unit", unit}, {"owner", owner}, {"due_date", s_.day(due_day)}, {"resources", resources},
              {"evaluation", evaluation}, {"related_policy", "POL-001"}});
    });
    s_.at(proposed_day + 1, 9, 0, [=, this] { s_.run(manager, "objective.request_approval", st, json::object()); });
    approve_at(proposed_day + 3, 17, 40, approver, st, "Set. Report progress in the monthly management meeting.");
    for (std::size_t m = 0; m < monthly.size(); ++m) {
      const int day = first_measurement_day + 30 * static_cast<int>(m);
      const double value = monthly[m];
      s_.at(day, 8, 30, [=, this] {
        s_.run(owner, "objective.record_progress", st,
               {{"measured_value", value}, {"measured_on", s_.day(day - 1)}, {"note", note}});
      });
    }
  }

  void objectives() {
    objective(-366, "O-1", "Reduce the click rate in phishing simulations to 5 % or less",
              "Share of recipients who click the link in the monthly phishing simulation", 5, "%", awareness, -60,
              "Phishing simulation platform; 2 hours a month of the awareness coordinator",
              "Monthly simulation report, reviewed in the management meeting", managing_director,
              {18.2, 16.5, 15.1, 12.9, 11.8, 10.4, 9.1, 7.6, 6.2, 4.6}, -335, "Monthly phishing simulation");
    s_.at(-58, 10, 0, [=, this] {
      s_.run(manager, "objective.mark_achieved", "objective-O-1",
             {{"note", "Three simulations in a row below 5 %; the target is kept as a threshold in the awareness programme."}});
    });
    objective(-366, "O-2", "Patch critical vulnerabilities within 14 days",
              "Share of critical vulnerabilities patched within 14 days of publication", 95, "%", it_lead, 120,
              "Patch management tooling; one day a week of an IT operations engineer",
              "Monthly vulnerability scan report", managing_director,
              {61, 64, 70, 73, 78, 81, 84, 86, 89, 91, 88, 92}, -335, "Monthly vulnerability scan");
    objective(-365, "O-3", "Restore every critical system successfully in the quarterly restore test",
              "Share of critical systems restored successfully in the last quarterly test", 100, "%", cloud_engineer, 60,
              "Test account in the cloud; two days a quarter of the cloud platform team",
              "Restore test records under PRO-001", cfo,
              {40, 40, 60, 60, 80, 80, 80, 100, 100, 100, 90, 100}, -334, "Quarterly restore test, rolling");
    objective(-365, "O-4", "Complete the security awareness training for 98 % of staff",
              "Share of staff (office and warehouse) who completed the yearly e-learning", 98, "%", awareness, -20,
              "E-learning licence; 20 minutes of working time per employee",
              "Learning platform report per department", cfo,
              {22, 35, 48, 57, 63, 70, 74, 79, 83, 86, 88, 89}, -334, "Learning platform report");
    objective(-195, "O-5", "Contain security incidents within 4 hours on average",
              "Mean time from triage to containment of security incidents", 4, "hours", service_desk, 200,
              "Incident playbooks; on-call rota of the service desk",
              "Incident tickets, quarterly trend in the management meeting", managing_director,
              {9.5, 8.1, 7.4, 6.8, 6.2, 5.5, 5.1}, -185, "Incident tickets of the month");
  }

  // -- internal audit (9.2) and nonconformities (10.2) ----------------------------
  void audits_and_nonconformities() {
    const std::string ia1 = "audit-IA-1";
    s_.at(-260, 10, 0, [=, this] {
      s_.run(manager, "audit.plan", ia1,
             {{"audit_id", "IA-1"},
              {"scope", "Access management and backup in IT operations (A.5.15-A.5.18, A.8.13)"},
              {"criteria", "ISO/IEC 27001:2022; Access Control Policy POL-002; Backup Procedure PRO-001"},
              {"lead_auditor", auditor}, {"area", "IT operations"}, {"process_owner", it_lead},
              {"planned_start", s_.day(-160)}, {"planned_end", s_.day(-158)}});
    });
    s_.at(-157, 9, 0, [=, this] {
      s_.run(auditor, "audit.record_performed", ia1,
             {{"performed_on", s_.day(-158)}, {"auditors", {auditor}},
              {"summary", "Interviews with IT operations and HR, sample of 25 leavers, restore test records of two quarters."}});
      s_.run(auditor, "audit.record_finding", ia1,
             {{"finding_id", "F1"}, {"type", "nonconformity_minor"}, {"reference", "A.5.18"},
              {"text", "3 of 25 sampled leavers kept active TMS accounts for 9 to 21 days after their last day; POL-002 requires removal on the last working day."}});
      s_.run(auditor, "audit.record_finding", ia1,
             {{"finding_id", "F2"}, {"type", "observation"}, {"reference", "A.8.13"},
              {"text", "Restore tests are recorded for the TMS database only, not for file shares."}});
      s_.run(auditor, "audit.record_finding", ia1,
             {{"finding_id", "F3"}, {"type", "opportunity"}, {"reference", "9.1"},
              {"text", "A monthly security KPI dashboard would replace four manual reports."}});
    });
    s_.at(-150, 14, 0, [=, this] {
      s_.run(auditor, "audit.issue_report", ia1,
             {{"summary", "Access management and backup are in place and mostly effective; one minor nonconformity in the leaver process."},
              {"conclusion", "The audited controls conform to ISO/IEC 27001:2022 and the ISMS documentation except for finding F1."}});
    });

    // The finding's nonconformity (raised by the reaction): worked off and closed.
    const std::string f1 = "nc-IA-1-F1";
    s_.at(-149, 10, 0, [=, this] {
      s_.run(manager, "nc.record_containment", f1,
             {{"description", "The three accounts were disabled the same day; their sign-ins after leaving were reviewed: none."}});
    });
    s_.at(-145, 10, 0, [=, this] {
      s_.run(manager, "nc.record_root_cause", f1,
             {{"description", "Leavers from temporary staffing agencies are not in the HR system, so the automated leaver feed never sees them."}});
    });
    s_.at(-144, 10, 0, [=, this] {
      s_.run(manager, "nc.record_similar_check", f1,
             {{"similar_found", false}, {"details", "Checked Microsoft 365 and the carrier portal for agency staff: no other active leaver accounts."}});
      s_.run(manager, "nc.plan_action", f1,
             {{"action_id", "A1"}, {"description", "Register agency staff in the HR system with an end date so the leaver feed covers them."},
              {"owner", hr_lead}, {"due_date", s_.day(-100)}});
      s_.run(manager, "nc.plan_action", f1,
             {{"action_id", "A2"}, {"description", "Monthly report of TMS accounts without a matching HR record, reviewed by IT operations."},
              {"owner", it_lead}, {"due_date", s_.day(-60)}});
    });
    s_.at(-110, 16, 0, [=, this] {
      s_.run(hr_lead, "nc.complete_action", f1,
             {{"action_id", "A1"}, {"evidence", "All 37 agency workers registered with end dates; agency onboarding checklist updated."}});
    });
    s_.at(-105, 11, 0, [=, this] {
      s_.run(auditor, "nc.verify_action", f1,
             {{"action_id", "A1"}, {"effective", true}, {"notes", "Sample of 10 agency leavers: all disabled on their last day."}});
    });
    s_.at(-70, 16, 0, [=, this] {
      s_.run(it_lead, "nc.complete_action", f1,
             {{"action_id", "A2"}, {"evidence", "Report runs on the 1st of each month; two reports reviewed and signed off."}});
    });
    s_.at(-66, 11, 0, [=, this] {
      s_.run(auditor, "nc.verify_action", f1,
             {{"action_id", "A2"}, {"effective", true}, {"notes", "Reports for the last two months reviewed; no orphaned accounts."}});
    });
    s_.at(-62, 9, 0, [=, this] {
      s_.run(manager, "nc.close", f1, {{"comment", "Both actions verified effective by internal audit."}});
    });

    // The certification body's stage 1 audit: competence evidence missing. Done, awaiting verification.
    const std::string nc2 = "nc-NC-2";
    s_.at(-165, 15, 0, [=, this] {
      s_.run(manager, "nc.raise", nc2,
             {{"nc_id", "NC-2"}, {"source", "external_audit"}, {"reference", "7.2"}, {"severity", "minor"},
              {"description", "Stage 1 certification audit (Hanseatic Certification): no evidence of the competence of the ISMS roles is retained."}});
    });
    s_.at(-160, 10, 0, [=, this] {
      s_.run(manager, "nc.record_containment", nc2,
             {{"description", "CVs and certificates of the ISMS manager and deputy collected for the stage 2 audit."}});
      s_.run(manager, "nc.record_root_cause", nc2,
             {{"description", "Competence requirements for ISMS roles were never defined, so nobody kept evidence."}});
      s_.run(manager, "nc.record_similar_check", nc2,
             {{"similar_found", true}, {"details", "Internal auditor's competence evidence also missing; covered by the same action."},
              {"related_ncs", json::array()}});
      s_.run(manager, "nc.plan_action", nc2,
             {{"action_id", "A1"}, {"description", "Competence matrix for ISMS roles and internal audit with training records."},
              {"owner", manager}, {"due_date", s_.day(-120)}});
    });
    s_.at(-125, 16, 0, [=, this] {
      s_.run(manager, "nc.complete_action", nc2,
             {{"action_id", "A1"}, {"evidence", "Competence matrix v1 and training records filed in the ISMS handbook."}});
    });

    // A misdirected e-mail: one action is overdue, one in progress.
    const std::string nc1 = "nc-NC-1";
    s_.at(-90, 11, 20, [=, this] {
      s_.run(service_desk, "nc.raise", nc1,
             {{"nc_id", "NC-1"}, {"source", "incident"}, {"reference", "A.5.14"}, {"severity", "minor"},
              {"description", "A rate sheet for customer A was e-mailed to customer B (incident INC-4471); address autocomplete chose the wrong contact."}});
    });
    s_.at(-89, 10, 0, [=, this] {
      s_.run(manager, "nc.record_containment", nc1,
             {{"description", "Customer B confirmed deletion in writing; customer A informed by the account manager."}});
    });
    s_.at(-85, 10, 0, [=, this] {
      s_.run(manager, "nc.record_root_cause", nc1,
             {{"description", "Autocomplete suggests external contacts; no warning before sending confidential attachments outside."}});
      s_.run(manager, "nc.record_similar_check", nc1,
             {{"similar_found", false}, {"details", "Service desk tickets of the last 12 months: no other misdirected e-mail reported."}});
      s_.run(manager, "nc.plan_action", nc1,
             {{"action_id", "A1"}, {"description", "Warn before sending attachments labelled confidential to external recipients (e-mail DLP rule)."},
              {"owner", it_lead}, {"due_date", s_.day(-30)}});
      s_.run(manager, "nc.plan_action", nc1,
             {{"action_id", "A2"}, {"description", "Five-minute awareness module on e-mail recipients for sales and customer service."},
              {"owner", awareness}, {"due_date", s_.day(20)}});
    });

    // An observation from the warehouse walk-through.
    s_.at(-25, 14, 30, [=, this] {
      s_.run(facilities, "nc.raise", "nc-NC-4",
             {{"nc_id", "NC-4"}, {"source", "other"}, {"reference", "A.7.7"}, {"severity", "observation"},
              {"description", "Walk-through of the dispatch office: delivery notes with customer addresses left on desks overnight."}});
    });

    // The next internal audit is in the programme.
    s_.at(-30, 10, 0, [=, this] {
      s_.run(manager, "audit.plan", "audit-IA-2",
             {{"audit_id", "IA-2"},
              {"scope", "People controls: joiners, movers, leavers and awareness (A.6.1-A.6.5, A.6.8)"},
              {"criteria", "ISO/IEC 27001:2022; Information Security Policy POL-001; HR onboarding and leaver checklists"},
              {"lead_auditor", auditor}, {"area", "Human resources"}, {"process_owner", hr_lead},
              {"planned_start", s_.day(30)}, {"planned_end", s_.day(31)}});
    });
  }

  // -- management review (9.3) -----------------------------------------------------
  void management_reviews() {
    const std::string mr1 = "review-MR-1";
    s_.at(-240, 10, 0, [=, this] {
      s_.run(manager, "review.schedule", mr1,
             {{"review_id", "MR-1"}, {"planned_on", s_.day(-200)}, {"chair", managing_director}, {"interval_months", 12}});
    });
    s_.at(-203, 15, 0, [=, this] {
      const domain::actor as_manager{manager, {domain::role::isms_manager}};
      const json pack = s_.query("review_pack", {{"id", "MR-1"}}, as_manager).at("pack");
      s_.run(manager, "review.assemble_inputs", mr1, {{"pack", pack}, {"as_of_position", s_.position()}},
             "Inputs pack for the first management review");
    });
    s_.at(-200, 9, 0, [=, this] {
      s_.run(manager, "review.open", mr1, json::object());
      s_.run(manager, "review.record_attendance", mr1,
             {{"attendees", {managing_director, cfo, manager, deputy, it_lead, hr_lead, dev_lead}}, {"apologies", {facilities}}});
      const std::vector<std::pair<const char*, const char*>> items{
          {"previous_actions", "First management review of the ISMS: no actions from previous reviews."},
          {"issue_changes", "NIS2 will make Nordlicht an important entity; the context will need an update once the law passes."},
          {"interested_party_changes", "Two large shippers now require the ISO/IEC 27001 certificate in their tenders."},
          {"security_performance", "No major incidents; phishing click rate down from 18 % to 12 %; patching at 78 % within 14 days against 95 %."},
          {"interested_party_feedback", "The cyber insurer asked for evidence of immutable backups at renewal; provided."},
          {"risk_assessment", "17 risks assessed; 2 residual risks above appetite accepted by the board (cloud region outage, driver data); one treatment plan sent back by the board (cloud storage)."},
          {"improvement_opportunities", "Supplier and cloud security should be anchored in the policy; warehouse staff are hard to reach with e-learning."},
      };
      int n = 1;
      for (const auto& [input, text] : items)
        s_.run(manager, "review.record_item", mr1,
               {{"item_id", "I" + std::to_string(n++)}, {"input", input}, {"discussion", text}});
      s_.run(managing_director, "review.record_decision", mr1,
             {{"decision_id", "D1"}, {"kind", "isms_change"}, {"item_id", "I7"},
              {"text", "Add a section on cloud services and suppliers to the information security policy."}});
      s_.run(managing_director, "review.record_decision", mr1,
             {{"decision_id", "D2"}, {"kind", "improvement_opportunity"}, {"item_id", "I4"},
              {"text", "Set an objective for incident containment time and restore tests of file shares."}});
      s_.run(managing_director, "review.record_decision", mr1,
             {{"decision_id", "D3"}, {"kind", "improvement_opportunity"}, {"item_id", "I7"},
              {"text", "Phishing-resistant MFA for all administrators."}});
      s_.run(manager, "review.record_action", mr1,
             {{"action_id", "A1"}, {"description", "Revise POL-001 with a cloud services and suppliers section."},
              {"owner", manager}, {"due_date", s_.day(-170)}, {"decision_id", "D1"}});
      s_.run(manager, "review.record_action", mr1,
             {{"action_id", "A2"}, {"description", "Include file shares in the quarterly restore test."},
              {"owner", cloud_engineer}, {"due_date", s_.day(-110)}, {"decision_id", "D2"}});
      s_.run(manager, "review.record_action", mr1,
             {{"action_id", "A3"}, {"description", "Roll out FIDO2 security keys to all administrators."},
              {"owner", it_lead}, {"due_date", s_.day(30)}, {"decision_id", "D3"}});
    });
    s_.at(-199, 9, 0, [=, this] {
      s_.run(manager, "review.request_minutes_approval", mr1, json::object());
    });
    approve_at(-197, 18, 30, managing_director, mr1, "Minutes approved.");
    s_.at(-196, 9, 0, [=, this] { s_.run(manager, "review.close", mr1, json::object()); });

    // The review's own nonconformity: supplier clauses missing from carrier contracts. In progress.
    const std::string nc3 = "nc-NC-3";
    s_.at(-199, 11, 0, [=, this] {
      s_.run(manager, "nc.raise", nc3,
             {{"nc_id", "NC-3"}, {"source", "management_review"}, {"review_id", "MR-1"}, {"reference", "A.5.20"},
              {"severity", "minor"},
              {"description", "Six framework contracts with subcontracted carriers lack the security clauses the supplier policy requires."}});
    });
    s_.at(-195, 10, 0, [=, this] {
      s_.run(manager, "nc.record_containment", nc3,
             {{"description", "The six carriers confirmed the carrier portal terms of use, which carry the essential clauses, in writing."}});
      s_.run(manager, "nc.record_root_cause", nc3,
             {{"description", "Carrier contracts are renewed by operations with a template that predates the supplier policy."}});
      s_.run(manager, "nc.record_similar_check", nc3,
             {{"similar_found", true}, {"details", "Two warehouse service contracts use the same old template."},
              {"related_ncs", json::array()}});
      s_.run(manager, "nc.plan_action", nc3,
             {{"action_id", "A1"}, {"description", "Replace the contract template and amend the eight affected contracts."},
              {"owner", facilities}, {"due_date", s_.day(15)}});
    });

    // The actions of MR-1 are tracked to done.
    s_.at(-185, 10, 0, [=, this] {
      s_.run(manager, "review.complete_action", mr1,
             {{"action_id", "A1"}, {"evidence", "POL-001 version 2 published with the cloud services and suppliers section."}});
    });
    s_.at(-115, 16, 0, [=, this] {
      s_.run(cloud_engineer, "review.complete_action", mr1,
             {{"action_id", "A2"}, {"evidence", "File shares restored in the quarterly test; recorded under PRO-001."}});
    });

    // Next month's review is scheduled.
    s_.at(-10, 10, 0, [=, this] {
      s_.run(manager, "review.schedule", "review-MR-2",
             {{"review_id", "MR-2"}, {"planned_on", s_.day(25)}, {"chair", managing_director}, {"interval_months", 12}});
    });
  }

  story& s_;
  std::vector<demo_user>& users_;
};

}  // namespace

std::expected<demo_summary, demo_error> load_demo(eventstore::store& store, const demo_options& options) {
  const auto head = store.current_head().position;
  if (head != 0)
    return std::unexpected(demo_error{demo_errc::store_not_empty,
                                      "the store already holds " + std::to_string(head) +
                                          (head == 1 ? " event" : " events") +
                                          "; the demo loads only into an empty store"});

  const std::int64_t end_ms = options.now ? options.now() : system_now_ms();
  const std::int64_t today_ms = end_ms - end_ms % ms_per_day;

  demo_summary summary;
  // The clock starts at the first step; the story moves it.
  std::atomic<std::int64_t> clock{today_ms - std::int64_t{story_length_days} * ms_per_day};
  ledger_options lo;
  lo.clock = [&clock] { return clock.load(); };
  lo.auth = options.auth;
  lo.workers = options.workers;
  // The time rules run when the story says so, not on the loader's wall clock.
  lo.scheduler_interval = std::chrono::hours(24 * 365);

  try {
    ledger app(lo, store);  // initialises libsodium, which the random passwords need
    for (const auto& p : people())
      summary.users.push_back(demo_user{p.id, p.name, p.job, p.roles,
                                        options.password_prefix.empty() ? auth_service::random_password()
                                                                        : options.password_prefix + p.id});
    story s(app, clock, end_ms);
    // The story's steps call back into the teller when played: it lives
    // until the story has been played.
    nordlicht teller(s, summary.users);
    teller.tell();
    s.play();
    summary.commands = s.commands();
    summary.head_position = store.current_head().position;
    summary.story_from = s.day(-story_length_days);
    summary.story_to = s.day(0);
  } catch (const story_failure& f) {
    return std::unexpected(f.error);
  } catch (const std::exception& e) {
    return std::unexpected(demo_error{demo_errc::internal, e.what()});
  }
  return summary;
}

std::string demo_users_table(const demo_summary& summary) {
  std::size_t w_id = 4, w_name = 4, w_job = 3, w_roles = 5;
  const auto roles_of = [](const demo_user& u) {
    std::string out;
    for (const auto& r : u.roles) out += (out.empty() ? "" : ",") + r;
    return out;
  };
  for (const auto& u : summary.users) {
    w_id = std::max(w_id, u.id.size());
    w_name = std::max(w_name, u.name.size());
    w_job = std::max(w_job, u.job.size());
    w_roles = std::max(w_roles, roles_of(u).size());
  }
  const auto pad = [](std::string s, std::size_t w) {
    s.resize(std::max(s.size(), w), ' ');
    return s;
  };
  std::string out = pad("user", w_id) + "  " + pad("name", w_name) + "  " + pad("job", w_job) + "  " +
                    pad("roles", w_roles) + "  password\n";
  for (const auto& u : summary.users)
    out += pad(u.id, w_id) + "  " + pad(u.name, w_name) + "  " + pad(u.job, w_job) + "  " +
           pad(roles_of(u), w_roles) + "  " + u.password + "\n";
  return out;
}

}  // namespace isms::server
