// Notifications by e-mail: the message a notification becomes, and its
// delivery through a real SMTP server on loopback (Debian's aiosmtpd, see
// support/smtp_sink.py) that accepts, refuses for a while, or is not there
// yet; and a whole server mailing a user it notifies.

#include <gtest/gtest.h>

#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <set>
#include <string>
#include <thread>

#include "isms/server/mail.hpp"
#include "isms/server/notifier.hpp"
#include "support/client.hpp"
#include "support/ismsd_process.hpp"
#include "support/loopback_receiver.hpp"
#include "support/test_server.hpp"

namespace isms::server::mail_test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// support/smtp_sink.py on 127.0.0.1:port, saving what it accepts in a
// folder of its own; stopped (SIGTERM) when destroyed.
class smtp_sink {
 public:
  // `credentials` "user:password": the sink requires SMTP authentication with them.
  explicit smtp_sink(std::uint16_t port, int refuse = 0, const std::string& credentials = {})
      : port_(port), folder_(testing::make_temp_dir("ismsd-mail")) {
    // Everything the child needs is made before fork: between fork and exec
    // it may only call what is async-signal-safe (no allocation).
    const std::string port_text = std::to_string(port), refuse_text = std::to_string(refuse);
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      if (credentials.empty())
        ::execl("/usr/bin/python3", "python3", SMTP_SINK_PATH, port_text.c_str(), folder_.c_str(), refuse_text.c_str(),
                static_cast<char*>(nullptr));
      else
        ::execl("/usr/bin/python3", "python3", SMTP_SINK_PATH, port_text.c_str(), folder_.c_str(), refuse_text.c_str(),
                credentials.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // "ready" once it listens (or nothing, if it could not start).
    std::string said;
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n') said += c;
    ::close(out[0]);
    if (said != "ready") throw std::runtime_error("the SMTP sink did not start: " + said);
  }
  ~smtp_sink() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::error_code ec;
    fs::remove_all(folder_, ec);
  }
  smtp_sink(const smtp_sink&) = delete;
  smtp_sink& operator=(const smtp_sink&) = delete;

  [[nodiscard]] std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The messages saved so far, in the order accepted.
  [[nodiscard]] std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (int n = 1;; ++n) {
      std::ifstream in(folder_ / (std::to_string(n) + ".eml"), std::ios::binary);
      if (!in) return out;
      std::ostringstream text;
      text << in.rdbuf();
      out.push_back(text.str());
    }
  }
  // Waits until `n` messages were saved (or a generous deadline passed).
  std::vector<std::string> wait_for(std::size_t n) const {
    const auto until = std::chrono::steady_clock::now() + 30s;
    auto got = messages();
    while (got.size() < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(20ms);
      got = messages();
    }
    return got;
  }

 private:
  std::uint16_t port_;
  fs::path folder_;
  pid_t pid_ = -1;
};

mail_options options_for(const std::string& url) {
  mail_options o;
  o.url = url;
  o.from = "ISMS Ledger <isms@example.com>";
  o.require_tls = false;  // the loopback sink speaks no TLS
  o.web_url = "https://isms.example.com/";
  o.timeout = 5s;
  return o;
}

// The decoded content of the body part of `type` ("text/plain").
std::string part(const std::string& message, const std::string& type) {
  const auto at = message.find("Content-Type: " + type);
  if (at == std::string::npos) return {};
  const auto start = message.find("\r\n\r\n", at) + 4;
  const auto end = message.find("\r\n--", start);
  const std::string encoded = message.substr(start, end - start);
  std::string out(encoded.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), encoded.data(), encoded.size(),
                        "\r\n", &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return "(not base64)";
  out.resize(length);
  return out;
}

// The header block of a message (up to the first empty line).
std::string headers_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

bool wait_until(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

TEST(mail, a_notification_becomes_a_message_no_text_can_add_a_header_to) {
  const json n{{"id", "n-12-olga"},
               {"kind", "approval_requested"},
               {"title", "Approve the acceptance of “Ransomware”\r\nBcc: evil@example.net"},
               {"approval_id", "ap 1"}};
  const std::string m = compose_mail(options_for("smtp://127.0.0.1:1"), "olga@example.com", "Olga Ström", n,
                                     1764750000000);
  const std::string headers = headers_of(m);
  EXPECT_NE(headers.find("From: ISMS Ledger <isms@example.com>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("To: =?UTF-8?B?"), std::string::npos) << headers;
  EXPECT_NE(headers.find(" <olga@example.com>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Subject: =?UTF-8?B?"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Date: Wed, 03 Dec 2025 08:20:00 +0000\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Message-ID: <n-12-olga@example.com>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Auto-Submitted: auto-generated\r\n"), std::string::npos) << headers;
  // The title's line break did not start a header of its own.
  EXPECT_EQ(m.find("\nBcc:"), std::string::npos) << m;
  for (std::size_t at = 0, next; at < m.size(); at = next + 2) {
    next = m.find("\r\n", at);
    ASSERT_NE(next, std::string::npos) << "every line ends with CRLF";
    EXPECT_LE(next - at, 78u) << m.substr(at, next - at);
  }
  const std::string text = part(m, "text/plain");
  EXPECT_NE(text.find("Approve the acceptance of “Ransomware”  Bcc: evil@example.net"), std::string::npos) << text;
  EXPECT_NE(text.find("https://isms.example.com/#/approvals/ap%201"), std::string::npos) << text;
  const std::string html = part(m, "text/html");
  EXPECT_NE(html.find("<a href=\"https://isms.example.com/#/approvals/ap%201\">"), std::string::npos) << html;

  // Without an approval the link is the inbox; markup in a title stays text.
  const std::string plain = compose_mail(options_for("smtp://127.0.0.1:1"), "olga@example.com", "",
                                         json{{"id", "n-3-olga"}, {"title", "<b>Review</b> due"}}, 0);
  EXPECT_NE(part(plain, "text/plain").find("https://isms.example.com/#/inbox"), std::string::npos);
  EXPECT_NE(part(plain, "text/html").find("&lt;b&gt;Review&lt;/b&gt; due"), std::string::npos);
  EXPECT_NE(headers_of(plain).find("To: <olga@example.com>\r\n"), std::string::npos) << headers_of(plain);
}

// Each notification falls in the one category a user chooses for, and its
// mail links to the page of what it is about.
TEST(mail, each_notification_falls_in_one_category_and_links_to_the_page_it_is_about) {
  EXPECT_EQ(mail_category(json{{"kind", "approval_requested"}}), "approvals");
  EXPECT_EQ(mail_category(json{{"kind", "incident_reported"}}), "incidents");
  EXPECT_EQ(mail_category(json{{"kind", "incident_concerns_risk"}}), "incidents");
  EXPECT_EQ(mail_category(json{{"kind", "risk_acceptance_expired"}}), "reminders");
  EXPECT_EQ(mail_category(json{{"id", "due:supplier_assessments_due:S-1:2026-06-01"}, {"kind", "supplier_assessments_due"}}),
            "reminders");
  EXPECT_EQ(mail_category(json{{"kind", "supplier_assigned"}}), "assignments");
  const auto link = [](const std::string& stream) {
    return part(compose_mail(options_for("smtp://127.0.0.1:1"), "olga@example.com", "",
                             json{{"id", "n-1-olga"}, {"title", "t"}, {"subject_stream", stream}}, 0),
                "text/plain");
  };
  EXPECT_NE(link("incident-INC-1").find("https://isms.example.com/#/incidents/INC-1"), std::string::npos);
  EXPECT_NE(link("supplier-S-2").find("https://isms.example.com/#/suppliers/S-2"), std::string::npos);
  EXPECT_NE(link("asset-A-7").find("https://isms.example.com/#/assets/A-7"), std::string::npos);
  EXPECT_NE(link("risk-R-12").find("https://isms.example.com/#/risks/R-12"), std::string::npos);
  // A stream without a page of its own: the inbox.
  EXPECT_NE(link("user-olga").find("https://isms.example.com/#/inbox"), std::string::npos);
}

TEST(mail, is_delivered_to_an_smtp_server_and_refused_where_starttls_is_required_but_not_offered) {
  smtp_sink sink(testing::unused_port());
  const auto options = options_for(sink.url());
  const std::string m = compose_mail(options, "olga@example.com", "Olga", json{{"id", "n-1-olga"}, {"title", "Hi"}}, 0);
  std::string error;
  ASSERT_TRUE(smtp_send(options, "olga@example.com", m, error)) << error;
  auto got = sink.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].starts_with("X-Envelope-To: olga@example.com\r\n")) << got[0];
  EXPECT_NE(got[0].find("Message-ID: <n-1-olga@example.com>"), std::string::npos) << got[0];

  auto strict = options;
  strict.require_tls = true;
  EXPECT_FALSE(smtp_send(strict, "olga@example.com", m, error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(smtp_send(options, "olga@example.com>\r\nRCPT TO:<x@example.net", m, error));
  EXPECT_NE(error.find("not a mail address"), std::string::npos) << error;
  auto web = options;
  web.url = "http://127.0.0.1:1";
  EXPECT_FALSE(smtp_send(web, "olga@example.com", m, error));
  EXPECT_EQ(error, "only smtp:// and smtps:// URLs are supported");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sink.messages().size(), 1u) << "a refused attempt delivered something";
}

TEST(mail, authenticates_to_a_server_that_requires_it_and_is_refused_with_a_wrong_password) {
  smtp_sink sink(testing::unused_port(), 0, "isms:s3cret-for-the-test");
  auto options = options_for(sink.url());
  const std::string m = compose_mail(options, "olga@example.com", "Olga", json{{"id", "n-1-olga"}, {"title", "Hi"}}, 0);
  std::string error;
  EXPECT_FALSE(smtp_send(options, "olga@example.com", m, error)) << "no authentication offered";
  options.user = "isms";
  options.password = "not-the-password";
  EXPECT_FALSE(smtp_send(options, "olga@example.com", m, error));
  EXPECT_FALSE(error.empty());
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(sink.messages().empty());
  options.password = "s3cret-for-the-test";
  ASSERT_TRUE(smtp_send(options, "olga@example.com", m, error)) << error;
  ASSERT_EQ(sink.wait_for(1).size(), 1u);
}

TEST(mail, the_outbox_mails_each_user_with_an_address_and_retries_a_server_that_is_away_or_refuses) {
  const auto dir = testing::make_temp_dir("ismsd-mail-outbox");
  const std::uint16_t port = testing::unused_port();
  {
    auto store = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(store) << store.error().message;
    notifier_options options;
    options.mail = options_for("smtp://127.0.0.1:" + std::to_string(port));
    options.retry_initial = 20ms;
    options.retry_max = 100ms;
    notifier n(
        options, **store, [](const std::string&, const json&) {},
        [](const std::string& user) -> std::optional<mail_recipient> {
          if (user == "olga") return mail_recipient{"olga@example.com", "Olga"};
          return std::nullopt;  // bob has no address
        });
    n.on_event(1, {{"olga", json{{"id", "n-1-olga"}, {"title", "You own the risk R-1"}}},
                   {"bob", json{{"id", "n-1-bob"}, {"title", "You own the risk R-2"}}}});
    EXPECT_EQ(n.outbox_size(), 1u) << "one mail: bob has no address";
    // Nobody listens yet: attempts fail and the mail stays.
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(n.delivered(), 0u);
    EXPECT_EQ(n.outbox_size(), 1u);
    // A server that refuses the first attempt (451), then accepts.
    smtp_sink sink(port, 1);
    ASSERT_TRUE(wait_until([&] { return n.delivered() == 1; })) << "the mail was never delivered";
    const auto got = sink.wait_for(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].find("Message-ID: <n-1-olga@example.com>"), std::string::npos) << got[0];
    EXPECT_NE(part(got[0], "text/plain").find("You own the risk R-1"), std::string::npos);
    EXPECT_EQ(n.outbox_size(), 0u);
  }
  fs::remove_all(dir);
}

TEST(mail, a_server_mails_the_user_it_notifies_at_the_address_they_were_registered_with) {
  smtp_sink sink(testing::unused_port());
  testing::test_server srv([&](server_config& c) { c.ledger.notify.mail = options_for(sink.url()); });
  const std::string manager = srv.add_user("manager", {"isms_manager"});
  auto admin = testing::connect_as(srv, testing::login(srv.port(), "admin", testing::test_server::admin_password));
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(testing::ok(admin->command(
      "user.register", "user-olga",
      {{"name", "Olga Owner"}, {"email", "olga@example.com"}, {"roles", json::array({"risk_owner"})}})));
  auto c = testing::connect_as(srv, manager);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(testing::ok(c->command("risk.identify", "risk-R-1", testing::identify_data("olga", "Laptop theft"))));
  const auto got = sink.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << "olga was not mailed";
  EXPECT_TRUE(got[0].starts_with("X-Envelope-To: olga@example.com\r\n")) << got[0];
  EXPECT_NE(part(got[0], "text/plain").find("Laptop theft"), std::string::npos) << part(got[0], "text/plain");
  // The manager has no address: nothing else was sent.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sink.messages().size(), 1u);
}

// An incident reported by anyone reaches every ISMS manager at once, by
// mail and in their notification centre (A.5.25: assessed without delay).
TEST(mail, an_incident_anyone_reports_is_mailed_to_every_isms_manager_at_once_and_kept_in_their_centre) {
  smtp_sink sink(testing::unused_port());
  testing::test_server srv([&](server_config& c) { c.ledger.notify.mail = options_for(sink.url()); });
  auto admin = testing::connect_as(srv, testing::login(srv.port(), "admin", testing::test_server::admin_password));
  ASSERT_NE(admin, nullptr);
  const std::vector<std::pair<std::string, std::string>> as_admin{
      {"Authorization", "Bearer " + testing::login(srv.port(), "admin", testing::test_server::admin_password)}};
  for (const std::string id : {"mia", "max"}) {
    ASSERT_TRUE(testing::ok(admin->command(
        "user.register", "user-" + id,
        {{"name", "Manager " + id}, {"email", id + "@example.com"}, {"roles", json::array({"isms_manager"})}})));
    ASSERT_EQ(testing::http_call(srv.port(), "POST", "/api/users/password",
                                 json{{"user", id}, {"password", "pw-" + id + "-for-mail"}}.dump(), as_admin)
                  .status,
              200u);
  }
  auto carl = testing::connect_as(srv, srv.add_user("carl", {"contributor"}));
  ASSERT_NE(carl, nullptr);
  ASSERT_TRUE(testing::ok(carl->command("incident.report", "incident-INC-1",
                                        {{"incident_id", "INC-1"},
                                         {"title", "Laptop left on the train"},
                                         {"description", "LT-0412 stayed in the luggage rack"}})));
  const auto got = sink.wait_for(2);
  ASSERT_EQ(got.size(), 2u);
  std::set<std::string> to;
  for (const auto& m : got) {
    to.insert(m.substr(0, m.find("\r\n")));
    EXPECT_NE(part(m, "text/plain").find("Laptop left on the train"), std::string::npos) << part(m, "text/plain");
    EXPECT_NE(part(m, "text/plain").find("#/incidents/INC-1"), std::string::npos) << part(m, "text/plain");
  }
  EXPECT_EQ(to, (std::set<std::string>{"X-Envelope-To: max@example.com", "X-Envelope-To: mia@example.com"}));
  const auto centre = testing::http_call(srv.port(), "GET", "/api/notifications", "",
                                         {{"Authorization", "Bearer " + testing::login(srv.port(), "mia", "pw-mia-for-mail")}});
  ASSERT_EQ(centre.status, 200u) << centre.body;
  const json items = centre.json_body().at("notifications");
  ASSERT_FALSE(items.empty()) << centre.body;
  EXPECT_EQ(items[0].at("kind"), "incident_reported") << items[0];
  EXPECT_EQ(items[0].at("subject_stream"), "incident-INC-1");
}

TEST(mail, each_category_goes_out_as_the_user_chose_at_once_in_the_daily_summary_or_not_at_all) {
  const auto dir = testing::make_temp_dir("ismsd-mail-digest");
  smtp_sink sink(testing::unused_port());
  // 2026-03-02, 06:00 and 08:00 UTC.
  const std::int64_t six = 1772431200000, eight = six + 2 * 3600 * 1000;
  {
    auto store = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(store) << store.error().message;
    notifier_options options;
    options.mail = options_for(sink.url());
    const auto recipient = [](const std::string& user) -> std::optional<mail_recipient> {
      return mail_recipient{user + "@example.com", user};
    };
    // olga: approvals in the summary; bob: approvals never; the rest at once.
    const auto preference = [](const std::string& user, std::string_view category) {
      if (category != "approvals") return mail_mode::immediately;
      return user == "olga" ? mail_mode::digest : mail_mode::off;
    };
    {
      notifier n(options, **store, [](const std::string&, const json&) {}, recipient, preference);
      n.on_event(1, {{"olga", json{{"id", "n-1-olga"}, {"kind", "approval_requested"}, {"title", "Approve R-1"},
                                   {"approval_id", "risk-R-1.v4"}}},
                     {"bob", json{{"id", "n-1-bob"}, {"kind", "approval_requested"}, {"title", "Approve R-1"}}}});
      n.on_event(2, {{"olga", json{{"id", "n-2-olga"}, {"kind", "risk_assigned"}, {"title", "You own R-2"}}}});
      ASSERT_EQ(sink.wait_for(1).size(), 1u);
      EXPECT_EQ(n.digest_size("olga"), 1u);
      EXPECT_EQ(n.digest_size("bob"), 0u) << "off is off";
    }
    // The summary waits across a restart, and goes out from the hour on, once a day.
    notifier n(options, **store, [](const std::string&, const json&) {}, recipient, preference);
    EXPECT_EQ(n.digest_size("olga"), 1u);
    n.on_event(3, {{"olga", json{{"id", "n-3-olga"}, {"kind", "approval_your_turn"}, {"title", "Your turn on R-3"}}}});
    EXPECT_EQ(n.send_digests(six), 0u) << "before digest_hour";
    EXPECT_EQ(n.send_digests(eight), 1u);
    EXPECT_EQ(n.send_digests(eight + 60'000), 0u) << "once a day";
    EXPECT_EQ(n.digest_size("olga"), 0u);
    const auto got = sink.wait_for(2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_NE(part(got[0], "text/plain").find("You own R-2"), std::string::npos);
    const std::string summary = got[1];
    EXPECT_TRUE(summary.starts_with("X-Envelope-To: olga@example.com\r\n")) << summary;
    EXPECT_NE(summary.find("Message-ID: <digest-olga_example.com-2026-03-02@example.com>"), std::string::npos)
        << headers_of(summary);
    const std::string text = part(summary, "text/plain");
    EXPECT_NE(text.find("2 notifications"), std::string::npos) << text;
    EXPECT_NE(text.find("- Approve R-1\r\n  https://isms.example.com/#/approvals/risk-R-1.v4"), std::string::npos)
        << text;
    EXPECT_NE(text.find("- Your turn on R-3"), std::string::npos) << text;
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(sink.messages().size(), 2u) << "bob's approval was mailed although he chose off";
  }
  fs::remove_all(dir);
}

TEST(mail, a_user_chooses_per_category_on_a_server_and_the_scheduler_sends_the_summary) {
  smtp_sink sink(testing::unused_port());
  testing::test_server srv([&](server_config& c) { c.ledger.notify.mail = options_for(sink.url()); });
  auto admin = testing::connect_as(srv, testing::login(srv.port(), "admin", testing::test_server::admin_password));
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(testing::ok(admin->command(
      "user.register", "user-olga",
      {{"name", "Olga Owner"}, {"email", "olga@example.com"}, {"roles", json::array({"risk_owner"})}})));
  const std::vector<std::pair<std::string, std::string>> as_admin{
      {"Authorization", "Bearer " + testing::login(srv.port(), "admin", testing::test_server::admin_password)}};
  ASSERT_EQ(testing::http_call(srv.port(), "POST", "/api/users/password",
                               json{{"user", "olga"}, {"password", "pw-olga-for-mail"}}.dump(), as_admin)
                .status,
            200u);
  const std::string olga = testing::login(srv.port(), "olga", "pw-olga-for-mail");
  const std::vector<std::pair<std::string, std::string>> as_olga{{"Authorization", "Bearer " + olga}};

  auto got = testing::http_call(srv.port(), "GET", "/api/notifications/preferences", "", as_olga);
  ASSERT_EQ(got.status, 200u) << got.body;
  EXPECT_EQ(got.json_body().at("mail"),
            (json{{"sent", true},
                  {"address", "olga@example.com"},
                  {"digest_hour_utc", 7},
                  {"preferences",
                    {{"approvals", "immediately"}, {"assignments", "immediately"}, {"incidents", "immediately"},
                     {"reminders", "immediately"}}}}));
  EXPECT_EQ(testing::http_call(srv.port(), "GET", "/api/notifications/preferences").status, 401u);
  for (const auto* bad : {R"({"mail":{"approvals":"weekly"}})", R"({"mail":{"gossip":"off"}})", R"({"mail":[]})", "{}",
                          R"({"mail":{"approvals":1}})"}) {
    auto r = testing::http_call(srv.port(), "PUT", "/api/notifications/preferences", bad, as_olga);
    EXPECT_EQ(r.status, 400u) << bad << " → " << r.body;
  }
  auto set = testing::http_call(srv.port(), "PUT", "/api/notifications/preferences",
                                R"({"mail":{"approvals":"digest","reminders":"off"}})", as_olga);
  ASSERT_EQ(set.status, 200u) << set.body;
  EXPECT_EQ(set.json_body().at("mail").at("preferences"),
            (json{{"approvals", "digest"}, {"assignments", "immediately"}, {"incidents", "immediately"}, {"reminders", "off"}}));

  // The assignment is mailed at once; the request for her approval waits for the summary.
  auto manager = testing::connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  testing::risk_awaiting_olga(*manager, srv);
  const auto first = sink.wait_for(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_NE(part(first[0], "text/plain").find("You own the risk risk-R-2"), std::string::npos)
      << part(first[0], "text/plain");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sink.messages().size(), 1u) << "the approval request was mailed at once";
  // Mailed or waiting for the summary, both are in her notification centre.
  const json centre =
      testing::http_call(srv.port(), "GET", "/api/notifications", "", as_olga).json_body().at("notifications");
  std::vector<std::string> kinds;
  for (const auto& n : centre) kinds.push_back(n.at("kind").get<std::string>());
  EXPECT_NE(std::ranges::find(kinds, "risk_assigned"), kinds.end()) << centre.dump();
  EXPECT_NE(std::ranges::find(kinds, "approval_requested"), kinds.end()) << centre.dump();

  // Chosen preferences outlive a restart; the summary goes out with the time rules.
  manager.reset();  // open connections would hold the restart for their grace period
  admin.reset();
  srv.restart();
  const std::vector<std::pair<std::string, std::string>> again{
      {"Authorization", "Bearer " + testing::login(srv.port(), "olga", "pw-olga-for-mail")}};
  EXPECT_EQ(testing::http_call(srv.port(), "GET", "/api/notifications/preferences", "", again)
                .json_body()
                .at("mail")
                .at("preferences")
                .at("approvals"),
            "digest");
  // Today's summary went out already (the scheduler runs at start); the
  // request waits for tomorrow's.
  EXPECT_EQ(srv.app().run_scheduler_once().digests, 0u);
  srv.advance_days(1);
  EXPECT_EQ(srv.app().run_scheduler_once().digests, 1u);
  const auto both = sink.wait_for(2);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_NE(part(both[1], "text/plain").find("Approval requested"), std::string::npos) << part(both[1], "text/plain");
  EXPECT_EQ(srv.app().run_scheduler_once().digests, 0u) << "one summary a day";
}

TEST(mail, a_server_refuses_to_start_on_an_smtp_password_file_of_more_than_one_line) {
  const auto dir = testing::make_temp_dir("ismsd-mail-password");
  const auto file = dir / "smtp.password";
  std::ofstream(file) << "first-password-line\nsecond-line\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  auto refused = testing::spawn_ismsd(dir / "data", "an-admin-password-of-length",
                                      {"--smtp_password_file", file.string()});
  EXPECT_EQ(refused.port, 0) << refused.output;
  const int status = testing::wait_exit(refused.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(refused.output.find("holds more than one line"), std::string::npos) << refused.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace isms::server::mail_test
