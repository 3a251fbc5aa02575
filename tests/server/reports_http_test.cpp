// What people hand to others, over HTTP against a real server: the registers
// as CSV (GET /api/registers/<name>.csv: who may read them, the file's form —
// UTF-8 with a byte order mark, the position stamped, an attachment — now and
// as they stood at a past position or time, and what a bad request gets), and
// the Statement of Applicability to print (GET /api/print/soa.html).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::reports_http_test {
namespace {

constexpr std::string_view bom = "\xEF\xBB\xBF";

TEST(reports_http, a_register_as_csv_now_and_as_it_stood_for_anyone_holding_a_role) {
  test_server srv;
  const std::string manager = srv.add_user("manager", {"isms_manager"});
  const std::string olga = srv.add_user("olga", {"risk_owner"});
  auto c = connect_as(srv, manager);
  ASSERT_NE(c, nullptr);
  const auto first = c->command("risk.identify", "risk-R-1", identify_data("olga", "Laptop theft, \"quoted\""));
  ASSERT_TRUE(ok(first));
  const std::uint64_t at_first = (*first)["result"]["position"];
  ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-2", identify_data("olga", "Ransomware on file servers"))));
  srv.app().settle();
  const auto get = [&](const std::string& target, const std::string& token) {
    return http_call(srv.port(), "GET", target, {}, {{"Authorization", "Bearer " + token}});
  };

  EXPECT_EQ(http_call(srv.port(), "GET", "/api/registers/risk_register.csv").status, 401u);

  // Now, for the ISMS manager and for a risk owner alike.
  for (const auto& token : {manager, olga}) {
    const auto now = get("/api/registers/risk_register.csv", token);
    ASSERT_EQ(now.status, 200u) << now.body;
    EXPECT_EQ(now.header("content-type"), "text/csv; charset=utf-8");
    const std::string position = now.header("x-position");
    EXPECT_EQ(position, std::to_string(srv.app().views().position()));
    EXPECT_EQ(now.header("content-disposition"),
              "attachment; filename=\"isms-risk_register-" + position + ".csv\"");
    ASSERT_TRUE(now.body.starts_with(std::string(bom) + "# position " + position + "\n")) << now.body;
    EXPECT_NE(now.body.find("\"Laptop theft, \"\"quoted\"\"\""), std::string::npos) << now.body;
    EXPECT_NE(now.body.find("Ransomware on file servers"), std::string::npos) << now.body;
  }

  // As it stood after the first risk: the second is not there yet.
  const auto past = get("/api/registers/risk_register.csv?position=" + std::to_string(at_first), manager);
  ASSERT_EQ(past.status, 200u) << past.body;
  EXPECT_EQ(past.header("x-position"), std::to_string(at_first));
  EXPECT_TRUE(past.body.starts_with(std::string(bom) + "# position " + std::to_string(at_first) + "\n")) << past.body;
  EXPECT_NE(past.body.find("Laptop theft"), std::string::npos) << past.body;
  EXPECT_EQ(past.body.find("Ransomware"), std::string::npos) << past.body;

  // As it stood at a time before anything was recorded: no risk at all.
  const auto before = get("/api/registers/risk_register.csv?time=2000-01-01T00:00:00Z", manager);
  ASSERT_EQ(before.status, 200u) << before.body;
  EXPECT_EQ(before.header("x-position"), "0");
  EXPECT_EQ(before.body.find("Laptop theft"), std::string::npos) << before.body;

  // Every register of the evidence bundle is there.
  for (const char* name : {"statement_of_applicability", "objectives", "nonconformities", "corrective_actions",
                           "internal_audits", "audit_findings", "management_reviews", "review_actions"}) {
    const auto r = get(std::string("/api/registers/") + name + ".csv", olga);
    EXPECT_EQ(r.status, 200u) << name << ": " << r.body;
    EXPECT_TRUE(r.body.starts_with(bom)) << name;
  }

  // Bad requests get a clear answer, and the server goes on.
  const std::string beyond = std::to_string(srv.store().current_head().position + 10);
  for (const std::string& target : std::vector<std::string>{
           "/api/registers/risk_register.csv?position=abc", "/api/registers/risk_register.csv?position=" + beyond,
           "/api/registers/risk_register.csv?position=1&time=2026-01-01T00:00:00Z",
           "/api/registers/risk_register.csv?time=yesterday"}) {
    const auto r = get(target, manager);
    EXPECT_EQ(r.status, 400u) << target << ": " << r.body;
    EXPECT_EQ(r.json_body()["error"]["code"], "bad_request") << target;
  }
  for (const std::string target : {"/api/registers/no_such_register.csv", "/api/registers/risk_register", "/api/registers/",
                                   "/api/registers/x/risk_register.csv"}) {
    const auto r = get(target, manager);
    EXPECT_EQ(r.status, 404u) << target << ": " << r.body;
  }
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/registers/risk_register.csv", "{}",
                      {{"Authorization", "Bearer " + manager}})
                .status,
            405u);
  EXPECT_EQ(get("/api/registers/risk_register.csv", manager).status, 200u);
}

// How often `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

TEST(reports_http, the_soa_prints_with_its_position_and_hash_and_every_text_escaped) {
  test_server srv;
  const std::string manager = srv.add_user("manager", {"isms_manager"});
  const std::string olga = srv.add_user("olga", {"risk_owner"});
  auto c = connect_as(srv, manager);
  ASSERT_NE(c, nullptr);
  const auto first = c->command("soa.decide_control", "soa-main",
                                {{"control_id", "5.1"},
                                 {"applicable", true},
                                 {"justification", "Policies <script>alert(1)</script> & \"rules\""}});
  ASSERT_TRUE(ok(first)) << first->dump();
  const std::uint64_t at_first = (*first)["result"]["position"];
  ASSERT_TRUE(ok(c->command("soa.decide_control", "soa-main",
                            {{"control_id", "7.4"}, {"applicable", false}, {"justification", "No premises of our own"}})));
  srv.app().settle();
  const auto get = [&](const std::string& target, const std::string& token) {
    return http_call(srv.port(), "GET", target, {}, {{"Authorization", "Bearer " + token}});
  };
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/print/soa.html").status, 401u);

  const auto now = get("/api/print/soa.html", olga);
  ASSERT_EQ(now.status, 200u) << now.body;
  EXPECT_EQ(now.header("content-type"), "text/html; charset=utf-8");
  const std::string policy = now.header("content-security-policy");
  EXPECT_NE(policy.find("style-src 'self'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("script-src"), std::string::npos) << policy;
  EXPECT_TRUE(policy.starts_with("default-src 'none'")) << policy;
  const std::string position = now.header("x-position");
  const auto head = srv.store().current_head();
  ASSERT_EQ(position, std::to_string(srv.app().views().position()));
  EXPECT_NE(now.body.find("position <b class=\"position\">" + position + "</b>"), std::string::npos);
  if (std::to_string(head.position) == position) {
    EXPECT_NE(now.body.find(eventstore::to_hex(head.hash)), std::string::npos) << "the hash at the position";
  }
  EXPECT_NE(now.body.find("<link rel=\"stylesheet\" href=\"/css/print.css\">"), std::string::npos);
  EXPECT_EQ(occurrences(now.body, "<tr class=\"control "), 93u);
  EXPECT_EQ(occurrences(now.body, "<tr class=\"control applicable\">"), 1u);
  EXPECT_EQ(occurrences(now.body, "<tr class=\"control excluded\">"), 1u);
  EXPECT_NE(now.body.find("No premises of our own"), std::string::npos);
  // Text from the log is text, never markup.
  EXPECT_EQ(now.body.find("<script"), std::string::npos) << "a script in the printed page";
  EXPECT_NE(now.body.find("Policies &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;rules&quot;"), std::string::npos);
  EXPECT_NE(now.body.find("not yet: the working copy"), std::string::npos) << "never published";

  // As it stood after the first decision: 7.4 is not decided yet.
  const auto past = get("/api/print/soa.html?position=" + std::to_string(at_first), manager);
  ASSERT_EQ(past.status, 200u) << past.body;
  EXPECT_EQ(past.header("x-position"), std::to_string(at_first));
  EXPECT_EQ(occurrences(past.body, "<tr class=\"control excluded\">"), 0u);
  EXPECT_EQ(occurrences(past.body, "<tr class=\"control applicable\">"), 1u);
  const auto at_start = get("/api/print/soa.html?position=0", manager);
  ASSERT_EQ(at_start.status, 200u);
  EXPECT_NE(at_start.body.find(std::string(64, '0')), std::string::npos) << "the hash before the first event";

  EXPECT_EQ(get("/api/print/risks.html", manager).status, 404u);
  EXPECT_EQ(get("/api/print/soa.html?position=x", manager).status, 400u);
}

TEST(reports_http, the_risk_treatment_plan_prints_each_live_risk_highest_first_as_it_stood) {
  test_server srv;
  std::string manager = srv.add_user("manager", {"isms_manager"});
  std::string olga = srv.add_user("olga", {"risk_owner"});
  auto c = connect_as(srv, manager);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-1", identify_data("olga", "Laptops <b>stolen</b>"))));
  ASSERT_TRUE(ok(c->command("risk.assess", "risk-R-1", {{"likelihood", 2}, {"impact", 2}, {"rationale", "x"}})));
  ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-2", identify_data("olga", "Ransomware"))));
  ASSERT_TRUE(ok(c->command("risk.assess", "risk-R-2", {{"likelihood", 4}, {"impact", 5}, {"rationale", "x"}})));
  auto planned = c->command("risk.plan_treatment", "risk-R-2",
                            {{"option", "modify"}, {"controls", {"8.7", "8.8"}}, {"actions", "EDR & patching"},
                             {"target_likelihood", 2}, {"target_impact", 4}, {"due", "2026-03-20"}});
  ASSERT_TRUE(ok(planned)) << planned->dump();
  const std::uint64_t at_plan = (*planned)["result"]["position"];
  ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-3", identify_data("olga", "Old fax line"))));
  ASSERT_TRUE(ok(c->command("risk.retire", "risk-R-3", {{"reason", "the line was cut"}})));
  srv.app().settle();
  srv.advance_days(30);  // the plan's due date has passed (and the sessions ended)
  manager = login(srv.port(), "manager", "pw-manager");
  olga = login(srv.port(), "olga", "pw-olga");
  const auto get = [&](const std::string& target, const std::string& token) {
    return http_call(srv.port(), "GET", target, {}, {{"Authorization", "Bearer " + token}});
  };
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/print/risk-treatment-plan.html").status, 401u);
  const auto now = get("/api/print/risk-treatment-plan.html", olga);
  ASSERT_EQ(now.status, 200u) << now.body;
  EXPECT_TRUE(now.header("content-security-policy").starts_with("default-src 'none'"));
  EXPECT_NE(now.body.find("<h1>Risk treatment plan</h1>"), std::string::npos);
  EXPECT_EQ(occurrences(now.body, "<tr class=\"risk"), 2u) << "the retired risk is not listed";
  EXPECT_NE(now.body.find("1 retired, not listed"), std::string::npos);
  // R-1 has no residual rating yet: nothing to call above appetite.
  EXPECT_EQ(occurrences(now.body, "<tr class=\"risk above\">"), 0u);
  // Highest inherent rating first; the plan's controls, actions and due date.
  EXPECT_LT(now.body.find("Ransomware"), now.body.find("Laptops"));
  EXPECT_NE(now.body.find("8.7, 8.8"), std::string::npos);
  EXPECT_NE(now.body.find("modify: EDR &amp; patching"), std::string::npos);
  EXPECT_NE(now.body.find("due 2026-03-20 <b class=\"late\">overdue</b>"), std::string::npos)
      << "due before the server's day (2026-04-01)";
  EXPECT_NE(now.body.find("Laptops &lt;b&gt;stolen&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(now.body.find("<b>stolen"), std::string::npos);

  // As it stood before R-3 existed and before R-2's plan: no treatment yet.
  const auto past = get("/api/print/risk-treatment-plan.html?position=" + std::to_string(at_plan - 1), manager);
  ASSERT_EQ(past.status, 200u);
  EXPECT_EQ(past.header("x-position"), std::to_string(at_plan - 1));
  EXPECT_EQ(past.body.find("8.7, 8.8"), std::string::npos);
  EXPECT_NE(past.body.find("0 retired"), std::string::npos);
}

TEST(reports_http, a_nonconformity_report_and_review_minutes_print_what_10_2_and_9_3_ask_for) {
  test_server srv;
  const std::string manager = srv.add_user("mia", {"isms_manager"});
  srv.add_user("carl", {"contributor"});
  const std::string chair_token = srv.add_user("olivia", {"top_management"});
  auto c = connect_as(srv, manager);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(ok(c->command("nc.raise", "nc-NC-1",
                            {{"nc_id", "NC-1"}, {"source", "incident"}, {"reference", "A.8.8"}, {"severity", "major"},
                             {"description", "Patches <late> on 4 servers"}})));
  ASSERT_TRUE(ok(c->command("nc.record_containment", "nc-NC-1", {{"description", "Patched by hand"}})));
  ASSERT_TRUE(ok(c->command("nc.record_root_cause", "nc-NC-1", {{"description", "No patch window agreed"}})));
  ASSERT_TRUE(ok(c->command("nc.record_similar_check", "nc-NC-1", {{"similar_found", false}, {"details", "none"}})));
  ASSERT_TRUE(ok(c->command("nc.plan_action", "nc-NC-1",
                            {{"action_id", "A1"}, {"description", "Monthly patch window"}, {"owner", "carl"},
                             {"due_date", "2026-04-01"}})));
  ASSERT_TRUE(ok(c->command("review.schedule", "review-MR-1",
                            {{"review_id", "MR-1"}, {"planned_on", "2026-03-02"}, {"chair", "olivia"},
                             {"interval_months", 12}})));
  auto pack = c->query("review_pack", {{"id", "MR-1"}});
  ASSERT_TRUE(ok(pack)) << pack->dump();
  ASSERT_TRUE(ok(c->command("review.assemble_inputs", "review-MR-1",
                            {{"pack", (*pack)["result"]["data"]["pack"]},
                             {"as_of_position", (*pack)["result"]["position"]}})));
  ASSERT_TRUE(ok(c->command("review.open", "review-MR-1", json::object())));
  ASSERT_TRUE(ok(c->command("review.record_attendance", "review-MR-1", {{"attendees", {"olivia", "mia"}}})));
  auto chair = connect_as(srv, chair_token);
  ASSERT_TRUE(ok(chair->command("review.record_decision", "review-MR-1",
                                {{"decision_id", "D1"}, {"kind", "isms_change"},
                                 {"text", "Extend the scope to the Hamburg warehouse"}})));
  srv.app().settle();
  const auto get = [&](const std::string& target) {
    return http_call(srv.port(), "GET", target, {}, {{"Authorization", "Bearer " + manager}});
  };

  const auto report = get("/api/print/nonconformity-NC-1.html");
  ASSERT_EQ(report.status, 200u) << report.body;
  EXPECT_NE(report.body.find("<h1>Nonconformity NC-1: report</h1>"), std::string::npos);
  EXPECT_NE(report.body.find("Patches &lt;late&gt; on 4 servers"), std::string::npos);
  EXPECT_NE(report.body.find("Patched by hand"), std::string::npos);
  EXPECT_NE(report.body.find("No patch window agreed"), std::string::npos);
  EXPECT_NE(report.body.find("checked: none found"), std::string::npos);
  EXPECT_NE(report.body.find("Monthly patch window"), std::string::npos);
  EXPECT_GE(occurrences(report.body, "<tr class=\"step"), 6u) << "the steps of 10.2";
  EXPECT_EQ(get("/api/print/nonconformity-NC-9.html").status, 404u);

  const auto minutes = get("/api/print/review-MR-1.html");
  ASSERT_EQ(minutes.status, 200u) << minutes.body;
  EXPECT_NE(minutes.body.find("<h1>Management review MR-1: minutes</h1>"), std::string::npos);
  EXPECT_NE(minutes.body.find("Extend the scope to the Hamburg warehouse"), std::string::npos);
  EXPECT_NE(minutes.body.find("<dt>Attendees</dt><dd>User olivia, User mia</dd>"), std::string::npos) << minutes.body;
  EXPECT_NE(minutes.body.find("not yet put to approval"), std::string::npos);
  EXPECT_EQ(get("/api/print/review-MR-7.html").status, 404u);
  EXPECT_EQ(get("/api/print/review-.html").status, 404u);
}

}  // namespace
}  // namespace isms::testing::reports_http_test
