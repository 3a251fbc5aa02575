// A second factor (TOTP, RFC 6238) for signing in and for the decisions that
// matter: enrolment with the password, a QR code and recovery codes shown
// once; a sign-in that needs a current code; an above-appetite acceptance
// approved only with a code, the approval recording how it was confirmed;
// codes accepted once; roles that must enrol before they act.
// The algorithm against RFC 6238's and RFC 4648's own test vectors; the rest
// on a real server on loopback with a real RocksDB and the test's clock.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "isms/server/totp.hpp"
#include "support/client.hpp"
#include "support/ismsd_process.hpp"
#include "support/test_server.hpp"

namespace isms::testing::second_factor_test {
namespace {

namespace totp = server::totp;

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// ---- the algorithm --------------------------------------------------------------

TEST(totp, gives_the_codes_of_rfc_6238s_test_vectors) {
  const std::string secret = "12345678901234567890";  // RFC 6238 appendix B, SHA-1
  // The last six digits of the RFC's eight-digit values.
  EXPECT_EQ(totp::code_at(secret, 59), "287082");
  EXPECT_EQ(totp::code_at(secret, 1111111109), "081804");
  EXPECT_EQ(totp::code_at(secret, 1111111111), "050471");
  EXPECT_EQ(totp::code_at(secret, 1234567890), "005924");
  EXPECT_EQ(totp::code_at(secret, 2000000000), "279037");
  EXPECT_EQ(totp::code_at(secret, 20000000000), "353130");
  // RFC 4226 appendix D, HOTP counters 0 and 9.
  EXPECT_EQ(totp::hotp(secret, 0), "755224");
  EXPECT_EQ(totp::hotp(secret, 9), "520489");
}

TEST(totp, accepts_a_code_one_step_either_side_and_each_step_once) {
  const std::string secret = "12345678901234567890";
  const std::int64_t t = 1111111111;
  const std::int64_t step = totp::step_of(t);
  EXPECT_EQ(totp::accept(secret, totp::code_at(secret, t), t, -1), step);
  EXPECT_EQ(totp::accept(secret, totp::code_at(secret, t - 30), t, -1), step - 1);
  EXPECT_EQ(totp::accept(secret, totp::code_at(secret, t + 30), t, -1), step + 1);
  EXPECT_FALSE(totp::accept(secret, totp::code_at(secret, t - 60), t, -1)) << "two steps old";
  EXPECT_FALSE(totp::accept(secret, totp::code_at(secret, t), t, step)) << "used already";
  EXPECT_FALSE(totp::accept(secret, totp::code_at(secret, t - 30), t, step)) << "older than the last used";
  EXPECT_FALSE(totp::accept(secret, "12345", t, -1));
  EXPECT_FALSE(totp::accept(secret, "", t, -1));
  EXPECT_FALSE(totp::accept(secret, "abcdef", t, -1));
}

TEST(totp, encodes_base32_as_rfc_4648_and_refuses_what_is_not) {
  EXPECT_EQ(totp::base32_encode(""), "");
  EXPECT_EQ(totp::base32_encode("f"), "MY");
  EXPECT_EQ(totp::base32_encode("fo"), "MZXQ");
  EXPECT_EQ(totp::base32_encode("foo"), "MZXW6");
  EXPECT_EQ(totp::base32_encode("foob"), "MZXW6YQ");
  EXPECT_EQ(totp::base32_encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(totp::base32_encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(totp::base32_decode("MZXW6YTBOI======"), "foobar");
  EXPECT_EQ(totp::base32_decode("mzxw 6ytb oi"), "foobar");
  EXPECT_FALSE(totp::base32_decode("MZXW1")) << "1 is not in the alphabet";
  EXPECT_FALSE(totp::base32_decode("MZ3")) << "non-zero padding bits";
  EXPECT_FALSE(totp::base32_decode("M")) << "a dangling character";
}

TEST(totp, the_uri_and_its_qr_code) {
  const auto uri = totp::otpauth_uri("ISMS Ledger", "tom@example.com", "MZXW6YTBOI");
  EXPECT_EQ(uri, "otpauth://totp/ISMS%20Ledger:tom%40example.com?secret=MZXW6YTBOI&issuer=ISMS%20Ledger"
                 "&algorithm=SHA1&digits=6&period=30");
  const auto rows = totp::qr_rows(uri);
  ASSERT_GE(rows.size(), 21u);
  EXPECT_EQ((rows.size() - 17) % 4, 0u) << "a QR code is 17 + 4 × version modules wide";
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), rows.size());
    EXPECT_EQ(row.find_first_not_of("01"), std::string::npos);
  }
  // The finder pattern in the top-left corner: a dark 7×7 ring.
  EXPECT_EQ(rows[0].substr(0, 7), "1111111");
  EXPECT_EQ(rows[1].substr(0, 7), "1000001");
  EXPECT_EQ(rows[3].substr(0, 7), "1011101");
}

// ---- on a server ----------------------------------------------------------------

// A user's second factor as the tests hold it: the secret an app would.
struct enrolled {
  std::string secret;  // raw bytes
  std::vector<std::string> recovery_codes;
};

std::string code_now(const test_server& srv, const std::string& secret, int steps_ahead = 0) {
  return totp::code_at(secret, srv.now_ms / 1000 + steps_ahead * totp::step_seconds);
}

enrolled enrol(test_server& srv, const std::string& token, const std::string& password) {
  enrolled out;
  auto begun = http_call(srv.port(), "POST", "/api/session/second-factor", json{{"password", password}}.dump(),
                         bearer(token));
  EXPECT_EQ(begun.status, 200u) << begun.body;
  const json b = begun.json_body();
  out.secret = totp::base32_decode(b.value("secret", "")).value_or("");
  EXPECT_EQ(out.secret.size(), 20u);
  EXPECT_TRUE(b.value("uri", "").starts_with("otpauth://totp/")) << begun.body;
  EXPECT_GE(b.at("qr").size(), 21u);
  auto confirmed = http_call(srv.port(), "POST", "/api/session/second-factor/confirm",
                             json{{"code", code_now(srv, out.secret)}}.dump(), bearer(token));
  EXPECT_EQ(confirmed.status, 200u) << confirmed.body;
  const json answer = confirmed.json_body();
  for (const auto& c : answer.at("recovery_codes")) out.recovery_codes.push_back(c.get<std::string>());
  EXPECT_EQ(out.recovery_codes.size(), 10u);
  return out;
}

http_result sign_in(const test_server& srv, const std::string& user, const std::string& code = {}) {
  json body{{"username", user}, {"password", "pw-" + user}};
  if (!code.empty()) body["code"] = code;
  return http_call(srv.port(), "POST", "/api/session", body.dump());
}

TEST(second_factor, enrolment_needs_the_password_and_a_code_of_the_new_secret) {
  test_server srv;
  const auto tom = srv.add_user("tom", {"top_management"});

  auto wrong_password = http_call(srv.port(), "POST", "/api/session/second-factor",
                                  json{{"password", "not-his-password"}}.dump(), bearer(tom));
  EXPECT_EQ(wrong_password.status, 403u) << wrong_password.body;
  auto unsigned_in = http_call(srv.port(), "POST", "/api/session/second-factor", json{{"password", "pw-tom"}}.dump());
  EXPECT_EQ(unsigned_in.status, 401u);

  auto begun = http_call(srv.port(), "POST", "/api/session/second-factor", json{{"password", "pw-tom"}}.dump(),
                         bearer(tom));
  ASSERT_EQ(begun.status, 200u) << begun.body;
  const std::string secret = *totp::base32_decode(begun.json_body().at("secret").get<std::string>());
  // A wrong code leaves the account as it was: a sign-in needs no code yet.
  auto wrong = http_call(srv.port(), "POST", "/api/session/second-factor/confirm",
                         json{{"code", totp::code_at("another secret", srv.now_ms / 1000)}}.dump(), bearer(tom));
  EXPECT_EQ(wrong.status, 401u) << wrong.body;
  EXPECT_EQ(sign_in(srv, "tom").status, 200u);

  auto who = http_call(srv.port(), "GET", "/api/session", "", bearer(tom)).json_body();
  EXPECT_EQ(who.at("user").at("second_factor").at("enrolled"), false) << who.dump();

  auto confirmed = http_call(srv.port(), "POST", "/api/session/second-factor/confirm",
                             json{{"code", code_now(srv, secret)}}.dump(), bearer(tom));
  ASSERT_EQ(confirmed.status, 200u) << confirmed.body;
  EXPECT_EQ(confirmed.json_body().at("recovery_codes").size(), 10u);
  who = http_call(srv.port(), "GET", "/api/session", "", bearer(tom)).json_body();
  EXPECT_EQ(who.at("user").at("second_factor").at("enrolled"), true) << who.dump();
  EXPECT_EQ(who.at("user").at("second_factor").at("recovery_codes_left"), 10);

  // An enrolment is confirmed once: the same call again finds none begun.
  srv.now_ms += 60'000;
  auto again = http_call(srv.port(), "POST", "/api/session/second-factor/confirm",
                         json{{"code", code_now(srv, secret)}}.dump(), bearer(tom));
  EXPECT_EQ(again.status, 400u) << again.body;
}

TEST(second_factor, a_sign_in_needs_a_current_code_each_accepted_once_or_a_recovery_code) {
  test_server srv;
  const auto tom = srv.add_user("tom", {"top_management"});
  const auto factor = enrol(srv, tom, "pw-tom");
  srv.now_ms += 60'000;

  auto password_only = sign_in(srv, "tom");
  EXPECT_EQ(password_only.status, 401u);
  EXPECT_EQ(password_only.json_body().at("error").at("code"), "second_factor_required") << password_only.body;
  EXPECT_TRUE(password_only.json_body().value("token", "").empty());
  // The wrong password still says only that, whatever the code.
  auto wrong_password = http_call(srv.port(), "POST", "/api/session",
                                  json{{"username", "tom"}, {"password", "wrong-password"},
                                       {"code", code_now(srv, factor.secret)}}.dump());
  EXPECT_EQ(wrong_password.json_body().at("error").at("code"), "unauthenticated");

  EXPECT_EQ(sign_in(srv, "tom", "000000").status, 401u);
  const std::string code = code_now(srv, factor.secret);
  auto with_code = sign_in(srv, "tom", code);
  ASSERT_EQ(with_code.status, 200u) << with_code.body;
  EXPECT_FALSE(with_code.json_body().value("token", "").empty());
  auto replayed = sign_in(srv, "tom", code);
  EXPECT_EQ(replayed.status, 401u) << "a code is accepted once: " << replayed.body;

  // A recovery code, typed in capitals and without its dash, works once.
  std::string typed;
  for (char c : factor.recovery_codes[3])
    if (c != '-') typed += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(sign_in(srv, "tom", typed).status, 200u);
  EXPECT_EQ(sign_in(srv, "tom", factor.recovery_codes[3]).status, 401u);
  auto who = http_call(srv.port(), "GET", "/api/session", "", bearer(with_code.json_body().at("token")))
                 .json_body();
  EXPECT_EQ(who.at("user").at("second_factor").at("recovery_codes_left"), 9);

  // Replacing the factor needs a code of the current one besides the password.
  const auto session = with_code.json_body().at("token").get<std::string>();
  auto replace = http_call(srv.port(), "POST", "/api/session/second-factor", json{{"password", "pw-tom"}}.dump(),
                           bearer(session));
  EXPECT_EQ(replace.status, 401u) << replace.body;
  EXPECT_EQ(replace.json_body().at("error").at("code"), "second_factor_required");

  // The factor outlives a restart: it is kept in the store.
  srv.restart();
  EXPECT_EQ(sign_in(srv, "tom").json_body().at("error").at("code"), "second_factor_required");
}

TEST(second_factor, secrets_are_sealed_with_a_key_outside_the_data_folder_and_a_wrong_key_opens_nothing) {
  const auto key_dir = make_temp_dir("ismsd-factor-key");
  const auto key_file = key_dir / "second-factor.key";
  test_server srv([&](server::server_config& c) { c.ledger.second_factor_key_file = key_file; });
  ASSERT_TRUE(std::filesystem::exists(key_file)) << "made at the first start";
  EXPECT_EQ(std::filesystem::status(key_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto tom = srv.add_user("tom", {"top_management"});
  const auto factor = enrol(srv, tom, "pw-tom");
  const auto stored = srv.store().get_meta("auth/second_factor/tom");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->starts_with("sealed1:")) << *stored;
  EXPECT_EQ(stored->find(totp::base32_encode(factor.secret)), std::string::npos) << "the secret in the clear";
  EXPECT_EQ(stored->find("recovery"), std::string::npos);

  // The same key after a restart: the factor works.
  srv.now_ms += 60'000;
  srv.restart();
  EXPECT_EQ(sign_in(srv, "tom", code_now(srv, factor.secret)).status, 200u);

  // Another key (the data folder copied without its key): the factor is
  // still there, and nothing opens it: neither the password alone nor the code.
  srv.stop();
  {
    std::ofstream out(key_file, std::ios::trunc);
    out << std::string(64, 'a') << "\n";
  }
  srv.now_ms += 60'000;
  srv.restart();
  EXPECT_EQ(sign_in(srv, "tom").json_body().at("error").at("code"), "second_factor_required");
  EXPECT_EQ(sign_in(srv, "tom", code_now(srv, factor.secret)).status, 401u);
  EXPECT_EQ(sign_in(srv, "tom", factor.recovery_codes[0]).status, 401u);

  // A key others may read is refused, and so the server does not start.
  std::filesystem::permissions(key_file, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  srv.stop();
  EXPECT_ANY_THROW(srv.restart());
  std::filesystem::remove_all(key_dir);
}

TEST(second_factor, an_enrolment_not_confirmed_within_fifteen_minutes_is_over_and_a_code_needs_a_factor) {
  test_server srv([](server::server_config& c) { c.ledger.auth.session_ttl = std::chrono::hours(2); });
  const auto tom = srv.add_user("tom", {"top_management"});
  auto begun = http_call(srv.port(), "POST", "/api/session/second-factor", json{{"password", "pw-tom"}}.dump(),
                         bearer(tom));
  ASSERT_EQ(begun.status, 200u) << begun.body;
  const std::string secret = *totp::base32_decode(begun.json_body().at("secret").get<std::string>());
  srv.now_ms += 16 * 60'000;
  auto late = http_call(srv.port(), "POST", "/api/session/second-factor/confirm",
                        json{{"code", code_now(srv, secret)}}.dump(), bearer(tom));
  EXPECT_EQ(late.status, 400u) << late.body;
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", "", bearer(tom))
                .json_body().at("user").at("second_factor").at("enrolled"), false);

  // A code sent with a command by someone who has no factor: a bad request, nothing written.
  auto c = connect_as(srv, tom);
  const auto head = srv.store().current_head().position;
  auto confirmed = c->request({{"op", "command"}, {"type", "approval.approve"}, {"stream", "approval-risk-R-9.v4"},
                               {"data", json::object()}, {"confirm", {{"code", "123456"}}}});
  EXPECT_EQ(error_code(confirmed), "bad_request") << confirmed->dump();
  EXPECT_EQ((*confirmed)["error"].value("field", ""), "confirm.code");
  EXPECT_EQ(srv.store().current_head().position, head);
}

TEST(second_factor, wrong_codes_count_against_the_accounts_sign_in_limit) {
  test_server srv([](server::server_config& c) { c.ledger.auth.max_failures_per_account = 3; });
  const auto tom = srv.add_user("tom", {"top_management"});
  const auto factor = enrol(srv, tom, "pw-tom");
  srv.now_ms += 60'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(sign_in(srv, "tom", "11111" + std::to_string(i)).status, 401u);
  // Now even the right code is refused until the window has passed.
  auto limited = sign_in(srv, "tom", code_now(srv, factor.secret));
  EXPECT_EQ(limited.status, 429u) << limited.body;
}

// tom approves olga's above-appetite acceptance of risk-R-2.
void above_appetite_awaiting_tom(ws_client& manager, ws_client& olga, test_server& srv) {
  ASSERT_TRUE(ok(manager.command("risk.identify", "risk-R-2", identify_data("olga", "Ransomware stops dispatch"))));
  ASSERT_TRUE(ok(manager.command("risk.assess", "risk-R-2", {{"likelihood", 5}, {"impact", 5}, {"rationale", "x"}})));
  ASSERT_TRUE(ok(manager.command("risk.plan_treatment", "risk-R-2",
                                 {{"option", "retain"}, {"actions", "Insure"}, {"target_likelihood", 5},
                                  {"target_impact", 5}, {"due", "2026-12-31"}})));
  ASSERT_TRUE(ok(manager.command("risk.request_acceptance", "risk-R-2", json::object())));
  srv.app().settle();
  auto by_owner = olga.command("approval.approve", "approval-risk-R-2.v4", json::object());
  ASSERT_TRUE(ok(by_owner)) << by_owner->dump();
  srv.app().settle();
}

// How `reviewer`'s approval of risk-R-2's acceptance was confirmed, as the
// event says; "(no approval)" when they recorded none.
std::string confirmed_with(test_server& srv, const std::string& reviewer) {
  auto recorded = srv.store().read_stream("approval-risk-R-2.v4", 0, 100);
  if (!recorded) return "(unreadable)";
  for (const auto& e : *recorded)
    if (e.type == "approval.reviewer_approved.v1" && e.metadata.actor == reviewer)
      return e.data.value("confirmed_with", "");
  return "(no approval)";
}

TEST(second_factor, an_above_appetite_acceptance_is_approved_only_with_a_code_and_says_so) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto olga = connect_as(srv, srv.add_user("olga", {"risk_owner"}));
  const auto tom_token = srv.add_user("tom", {"top_management"});
  const auto factor = enrol(srv, tom_token, "pw-tom");
  srv.now_ms += 60'000;
  auto tom = connect_as(srv, tom_token);
  above_appetite_awaiting_tom(*manager, *olga, srv);
  const auto head = srv.store().current_head().position;

  // In the session alone: refused, and nothing written.
  auto plain = tom->command("approval.approve", "approval-risk-R-2.v4", {{"comment", "accepted for a year"}});
  EXPECT_EQ(error_code(plain), "confirmation_required") << plain->dump();
  EXPECT_EQ((*plain)["error"].value("field", ""), "confirm");
  // With a wrong code: refused as such.
  auto wrong = tom->request({{"op", "command"}, {"type", "approval.approve"}, {"stream", "approval-risk-R-2.v4"},
                             {"data", json::object()}, {"confirm", {{"code", "000000"}}}});
  EXPECT_EQ(error_code(wrong), "unauthenticated") << wrong->dump();
  EXPECT_EQ((*wrong)["error"].value("field", ""), "confirm.code");
  // A malformed confirmation is a bad request.
  auto malformed = tom->request({{"op", "command"}, {"type", "approval.approve"}, {"stream", "approval-risk-R-2.v4"},
                                 {"data", json::object()}, {"confirm", "123456"}});
  EXPECT_EQ(error_code(malformed), "bad_request") << malformed->dump();
  EXPECT_EQ(srv.store().current_head().position, head);

  auto confirmed = tom->request({{"op", "command"}, {"type", "approval.approve"},
                                 {"stream", "approval-risk-R-2.v4"}, {"data", {{"comment", "accepted for a year"}}},
                                 {"confirm", {{"code", code_now(srv, factor.secret)}}}});
  ASSERT_TRUE(ok(confirmed)) << confirmed->dump();
  srv.app().settle();
  EXPECT_EQ(confirmed_with(srv, "tom"), "totp");
  // The approvals view shows how each decision was confirmed.
  auto view = tom->query("approvals", {{"subject_stream", "risk-R-2"}});
  ASSERT_TRUE(ok(view)) << view->dump();
  const auto& decisions = (*view)["result"]["data"]["approvals"][0]["decisions"];
  ASSERT_EQ(decisions.size(), 2u) << view->dump();
  EXPECT_EQ(decisions[0].value("confirmed_with", "?"), "") << "olga has no second factor";
  EXPECT_EQ(decisions[1].value("confirmed_with", ""), "totp");
  auto risk = tom->query("risk", {{"id", "R-2"}});
  ASSERT_TRUE(ok(risk));
  EXPECT_EQ((*risk)["result"]["data"].value("state", ""), "accepted") << risk->dump();
}

TEST(second_factor, a_user_of_the_identity_provider_confirms_a_decision_by_signing_in_there_again) {
  test_server srv([](server::server_config& c) {
    c.ledger.oidc.issuer = "https://id.example.invalid";  // never asked: the sign-ins are opened below
    c.ledger.oidc.client_id = "isms-ledger";
  });
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto olga = connect_as(srv, srv.add_user("olga", {"risk_owner"}));
  auto admin = connect_as(srv, login(srv.port(), "admin", test_server::admin_password));
  ASSERT_TRUE(ok(admin->command("user.register", "user-tina",
                                {{"name", "Tina (single sign-on)"}, {"roles", json::array({"top_management"})}})));
  above_appetite_awaiting_tom(*manager, *olga, srv);
  const auto now = [&] { return std::chrono::system_clock::time_point{std::chrono::milliseconds{srv.now_ms.load()}}; };
  auto session = srv.app().auth().open_session("tina", now());
  ASSERT_TRUE(session);
  auto who = http_call(srv.port(), "GET", "/api/session", "", bearer(session->token)).json_body();
  EXPECT_EQ(who.at("user").at("second_factor").at("confirm_by"), "sign_in") << who.dump();
  auto tina = connect_as(srv, session->token);
  const auto approve = [&](const json& confirm) {
    json request{{"op", "command"}, {"type", "approval.approve"}, {"stream", "approval-risk-R-2.v4"},
                 {"data", {{"comment", "for the board"}}}};
    if (!confirm.is_null()) request["confirm"] = confirm;
    return tina->request(request);
  };
  const auto head = srv.store().current_head().position;
  EXPECT_EQ(error_code(approve(nullptr)), "confirmation_required");
  auto stale = approve({{"sign_in", true}});
  EXPECT_EQ(error_code(stale), "unauthenticated") << stale->dump();
  EXPECT_EQ((*stale)["error"].value("field", ""), "confirm.sign_in");
  EXPECT_EQ(error_code(approve({{"sign_in", false}})), "bad_request");
  EXPECT_EQ(error_code(approve({{"sign_in", true}, {"code", "123456"}})), "bad_request");
  // A sign-in again six minutes ago is no longer fresh.
  srv.app().auth().note_fresh_sign_in("tina", now() - std::chrono::minutes(6));
  EXPECT_EQ(error_code(approve({{"sign_in", true}})), "unauthenticated");
  EXPECT_EQ(srv.store().current_head().position, head) << "nothing was written";

  srv.app().auth().note_fresh_sign_in("tina", now());
  auto confirmed = approve({{"sign_in", true}});
  ASSERT_TRUE(ok(confirmed)) << confirmed->dump();
  srv.app().settle();
  EXPECT_EQ(confirmed_with(srv, "tina"), "sign_in");
}

TEST(second_factor, a_role_that_requires_one_acts_only_once_enrolled) {
  test_server srv([](server::server_config& c) {
    c.ledger.auth.second_factor_roles = {domain::role::top_management};
  });
  srv.add_user("olga", {"risk_owner"});
  const auto mia_token = srv.add_user("mia", {"isms_manager"});
  const auto tom_token = srv.add_user("tom", {"top_management"});
  auto who = http_call(srv.port(), "GET", "/api/session", "", bearer(tom_token)).json_body();
  EXPECT_EQ(who.at("user").at("second_factor").at("required"), true) << who.dump();
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", "", bearer(mia_token))
                .json_body().at("user").at("second_factor").at("required"), false);

  auto tom = connect_as(srv, tom_token);
  // Reading is allowed; acting is not, until enrolled.
  EXPECT_TRUE(ok(tom->query("risks", json::object())));
  auto before = tom->command("approval.approve", "approval-risk-R-9.v4", json::object());
  EXPECT_EQ(error_code(before), "forbidden") << before->dump();
  EXPECT_NE((*before)["error"].value("message", "").find("second factor"), std::string::npos);

  const auto factor = enrol(srv, tom_token, "pw-tom");
  // Enrolled: the removal a required role may not do; an administrator may reset it.
  auto removal = http_call(srv.port(), "DELETE", "/api/session/second-factor",
                           json{{"code", factor.recovery_codes[0]}}.dump(), bearer(tom_token));
  EXPECT_EQ(removal.status, 409u) << removal.body;
  auto admin = login(srv.port(), "admin", test_server::admin_password);
  auto by_manager = http_call(srv.port(), "POST", "/api/users/second-factor/reset", json{{"user", "tom"}}.dump(),
                              bearer(mia_token));
  EXPECT_EQ(by_manager.status, 403u) << by_manager.body;
  auto reset = http_call(srv.port(), "POST", "/api/users/second-factor/reset", json{{"user", "tom"}}.dump(),
                         bearer(admin));
  EXPECT_EQ(reset.status, 200u) << reset.body;
  // The reset ends tom's sessions; he signs in with the password alone and must enrol again.
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", "", bearer(tom_token)).status, 401u);
  auto again = sign_in(srv, "tom");
  ASSERT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(again.json_body().at("user").at("second_factor").at("enrolled"), false);
}

TEST(second_factor, an_account_that_signs_in_only_through_the_identity_provider_is_not_held_to_the_roles_rule) {
  test_server srv([](server::server_config& c) {
    c.ledger.auth.second_factor_roles = {domain::role::top_management};
  });
  auto admin = connect_as(srv, login(srv.port(), "admin", test_server::admin_password));
  ASSERT_TRUE(ok(admin->command("user.register", "user-tina",
                                {{"name", "Tina (single sign-on)"}, {"roles", json::array({"top_management"})}})));
  srv.app().settle();
  // A session as the single sign-on callback opens one: no password here.
  auto session = srv.app().auth().open_session("tina", std::chrono::system_clock::time_point{
                                                            std::chrono::milliseconds{srv.now_ms.load()}});
  ASSERT_TRUE(session) << session.error().message;
  auto who = http_call(srv.port(), "GET", "/api/session", "", bearer(session->token)).json_body();
  EXPECT_EQ(who.at("user").at("second_factor").at("required"), false) << who.dump();
  auto tina = connect_as(srv, session->token);
  auto acting = tina->command("approval.approve", "approval-risk-R-9.v4", json::object());
  EXPECT_EQ(error_code(acting), "not_found") << "decided, not barred: " << acting->dump();
  EXPECT_EQ((*acting)["error"].value("message", "").find("second factor"), std::string::npos) << acting->dump();
  // The same roles on a local account (a password of its own): held to the rule.
  EXPECT_TRUE(srv.app().auth().set_password("tina", "a-password-of-her-own"));
  who = http_call(srv.port(), "GET", "/api/session", "", bearer(session->token)).json_body();
  EXPECT_EQ(who.at("user").at("second_factor").at("required"), true) << who.dump();
}

TEST(second_factor, a_user_whose_roles_do_not_require_one_may_remove_it_with_a_code) {
  test_server srv;
  const auto mia = srv.add_user("mia", {"isms_manager"});
  const auto factor = enrol(srv, mia, "pw-mia");
  srv.now_ms += 60'000;
  auto wrong = http_call(srv.port(), "DELETE", "/api/session/second-factor", json{{"code", "999999"}}.dump(),
                         bearer(mia));
  EXPECT_EQ(wrong.status, 401u);
  auto removed = http_call(srv.port(), "DELETE", "/api/session/second-factor",
                           json{{"code", code_now(srv, factor.secret)}}.dump(), bearer(mia));
  EXPECT_EQ(removed.status, 200u) << removed.body;
  EXPECT_EQ(sign_in(srv, "mia").status, 200u);
}

}  // namespace
}  // namespace isms::testing::second_factor_test
