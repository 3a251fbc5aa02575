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

namespace isms::testing {
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
  for (const std::string target : {"/api/registers/assets.csv", "/api/registers/risk_register", "/api/registers/",
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

}  // namespace
}  // namespace isms::testing
