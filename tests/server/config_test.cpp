// The configuration is untrusted input: unknown keys, wrong types and values
// out of range are refused with the key named; flags override the file.

#include <gtest/gtest.h>

#include "isms/server/config.hpp"

namespace isms::server::config_test {
namespace {

using nlohmann::json;

TEST(config, applies_settings_and_limits) {
  server_config c;
  auto r = apply_config(json::parse(R"({"port": 9000, "address": "::1", "webhooks": ["http://127.0.0.1:1/x"],
      "webhook_secret_file": "/etc/isms-ledger/webhook.secret", "webhook_ca_file": "/etc/isms-ledger/hooks-ca.pem",
      "limits": {"max_ws_message_bytes": 4096, "requests_per_second": 2.5, "login_failures_per_account": 3,
                 "session_ttl_s": 600}})"),
                        c);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(c.transport.port, 9000);
  EXPECT_EQ(c.transport.address, "::1");
  EXPECT_EQ(c.ledger.notify.webhook_urls.size(), 1u);
  EXPECT_EQ(c.ledger.webhook_secret_file, "/etc/isms-ledger/webhook.secret");
  EXPECT_EQ(c.ledger.notify.webhook_ca_file, "/etc/isms-ledger/hooks-ca.pem");
  EXPECT_EQ(c.ledger.ws.max_message_bytes, 4096u);
  EXPECT_DOUBLE_EQ(c.ledger.ws.requests_per_second, 2.5);
  EXPECT_EQ(c.ledger.auth.max_failures_per_account, 3u);
  EXPECT_EQ(c.ledger.auth.session_ttl, std::chrono::seconds(600));
}

TEST(config, sets_the_memory_bounds_of_views_caches_and_snapshots) {
  server_config c;
  auto r = apply_config(json::parse(R"({"views_snapshot_every": 5000, "views_snapshot_bytes_per_event": 512,
      "views_cached": 1, "history_cache_events": 0, "state_cache_streams": 7, "view_reply_cache_bytes": 0})"),
                        c);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(c.ledger.projections.snapshot_every, 5000u);
  EXPECT_EQ(c.ledger.projections.snapshot_bytes_per_event, 512u);
  EXPECT_EQ(c.ledger.projections.cached_views, 1u);
  EXPECT_EQ(c.ledger.pipeline.history_cache_events, 0u);
  EXPECT_EQ(c.ledger.pipeline.state_cache_streams, 7u);
  EXPECT_EQ(c.ledger.ws.view_reply_cache_bytes, 0u);
  EXPECT_FALSE(apply_config(json::parse(R"({"views_snapshot_every": 0})"), c));
  EXPECT_FALSE(apply_config(json::parse(R"({"views_cached": 1000})"), c));
}

TEST(config, refuses_unknown_keys_wrong_types_and_ranges_naming_the_key) {
  server_config c;
  auto r = apply_config(json::parse(R"({"prot": 1})"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("prot"), std::string::npos);
  r = apply_config(json::parse(R"({"port": "80"})"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("port"), std::string::npos);
  r = apply_config(json::parse(R"({"port": 70000})"), c);
  ASSERT_FALSE(r);
  r = apply_config(json::parse(R"({"limits": {"max_connections": 0}})"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("limits.max_connections"), std::string::npos);
  r = apply_config(json::parse(R"([1])"), c);
  ASSERT_FALSE(r);
}

TEST(config, flags_override_and_are_validated) {
  server_config c;
  ASSERT_TRUE(apply_config(json::parse(R"({"port": 9000})"), c));
  ASSERT_TRUE(apply_flags({{"port", "9100"}, {"requests_per_second", "7"}, {"data", "/tmp/x"}}, c));
  EXPECT_EQ(c.transport.port, 9100);
  EXPECT_DOUBLE_EQ(c.ledger.ws.requests_per_second, 7.0);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_FALSE(apply_flags({{"port", "nine"}}, c));
  EXPECT_FALSE(apply_flags({{"no_such_flag", "1"}}, c));
}

TEST(config, second_factor_roles_are_role_names_and_nothing_else) {
  server_config c;
  EXPECT_TRUE(c.ledger.auth.second_factor_roles.empty());
  ASSERT_TRUE(apply_config(json::parse(R"({"second_factor_roles": ["admin", "top_management"]})"), c));
  EXPECT_EQ(c.ledger.auth.second_factor_roles,
            (std::vector<domain::role>{domain::role::admin, domain::role::top_management}));
  auto r = apply_config(json::parse(R"({"second_factor_roles": ["top_management", "board_member"]})"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(R"("board_member" is not one of)"), std::string::npos) << r.error();
  EXPECT_EQ(c.ledger.auth.second_factor_roles.size(), 2u) << "a refused list changes nothing";
  r = apply_flags({{"second_factor_roles", "system"}}, c);
  ASSERT_FALSE(r) << "the server's own role needs no factor";
}

TEST(config, log_format_is_text_or_json_and_nothing_else) {
  server_config c;
  EXPECT_EQ(c.log_format, log::format::text);
  ASSERT_TRUE(apply_config(json::parse(R"({"log_format": "json"})"), c));
  EXPECT_EQ(c.log_format, log::format::json);
  ASSERT_TRUE(apply_flags({{"log_format", "text"}}, c));
  EXPECT_EQ(c.log_format, log::format::text);

  auto r = apply_config(json::parse(R"({"log_format": "xml"})"), c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), R"(log_format: must be one of "text", "json")");
  EXPECT_EQ(c.log_format, log::format::text);
  r = apply_config(json::parse(R"({"log_format": 1})"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("log_format"), std::string::npos);
  r = apply_flags({{"log_format", "JSON"}}, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), R"(--log_format: must be one of "text", "json")");
  // Not a limit.
  r = apply_config(json::parse(R"({"limits": {"log_format": "json"}})"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("limits.log_format"), std::string::npos);
  EXPECT_EQ(c.log_format, log::format::text);
}

TEST(config, tls_needs_both_files_and_then_makes_the_cookie_secure_and_the_origin_https) {
  server_config plain;
  ASSERT_TRUE(finish_config(plain));
  EXPECT_FALSE(plain.ledger.secure_cookie);
  EXPECT_FALSE(plain.ledger.transport_tls);

  server_config half;
  ASSERT_TRUE(apply_config(json::parse(R"({"tls_certificate": "/etc/isms-ledger/tls/fullchain.pem"})"), half));
  auto r = finish_config(half);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("tls_private_key"), std::string::npos) << r.error();

  server_config tls;
  ASSERT_TRUE(apply_config(json::parse(R"({"secure_cookie": false,
      "tls_certificate": "/etc/isms-ledger/tls/fullchain.pem"})"), tls));
  ASSERT_TRUE(apply_flags({{"tls_private_key", "/etc/isms-ledger/tls/privkey.pem"}}, tls));
  ASSERT_TRUE(finish_config(tls));
  EXPECT_EQ(tls.transport.tls_certificate, "/etc/isms-ledger/tls/fullchain.pem");
  EXPECT_EQ(tls.transport.tls_private_key, "/etc/isms-ledger/tls/privkey.pem");
  EXPECT_TRUE(tls.ledger.secure_cookie);
  EXPECT_TRUE(tls.ledger.transport_tls);

  // Paths, not limits.
  EXPECT_FALSE(apply_config(json::parse(R"({"limits": {"tls_certificate": "/x"}})"), tls));
}

}  // namespace
}  // namespace isms::server::config_test
