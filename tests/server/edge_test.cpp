// The edge of the server as an attacker meets it: request paths that try to
// leave the web UI folder, JSON nested to exhaust the stack, and the headers
// every answer carries. Each test here failed on a server that joined request
// paths onto the web UI folder or copied untrusted JSON trees unchecked.

#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "isms/server/config.hpp"
#include "isms/server/json_input.hpp"
#include "isms/server/static_site.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::edge_test {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A web UI folder of its own, beside a secret the server must never serve.
struct webui_fixture {
  fs::path base;
  fs::path webui;
  webui_fixture() {
    std::string tmpl = (fs::temp_directory_path() / "ismsd-webui-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    base = tmpl;
    webui = base / "webui";
    write_file(webui / "index.html", "<!doctype html><title>shell</title>");
    write_file(webui / "js" / "app.js", "export const app = 1;");
    write_file(webui / ".hidden", "hidden");
    write_file(base / "secret.txt", "SECRET-OUTSIDE-THE-FOLDER");
    fs::create_symlink(base / "secret.txt", webui / "leak.txt");
    fs::create_directory_symlink(base, webui / "up");
  }
  ~webui_fixture() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

TEST(static_site, serves_only_the_files_it_read_at_start) {
  webui_fixture f;
  server::static_site site(f.webui);
  ASSERT_NE(site.find("/js/app.js"), nullptr);
  EXPECT_EQ(site.find("/js/app.js")->body, "export const app = 1;");
  EXPECT_EQ(site.find("/js/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(site.find("/")->body, "<!doctype html><title>shell</title>");
  // A symlink out of the folder is refused, and said so.
  EXPECT_EQ(site.find("/leak.txt"), nullptr);
  ASSERT_FALSE(site.skipped().empty());
  EXPECT_NE(site.skipped().front().find("leak.txt"), std::string::npos);
  // A directory symlink is not followed; hidden files are not served.
  EXPECT_EQ(site.find("/up/secret.txt"), nullptr);
  EXPECT_EQ(site.find("/.hidden"), nullptr);
  // Client-side routes get the shell; other misses nothing.
  EXPECT_TRUE(site.is_shell(site.find("/risks/R-01")));
  EXPECT_EQ(site.find("/nothing.js"), nullptr);
  EXPECT_EQ(site.find("js/app.js"), nullptr);
  // A file created after start is not served: the set is fixed at start.
  write_file(f.webui / "late.js", "late");
  EXPECT_EQ(site.find("/late.js"), nullptr);
}

TEST(static_site, a_missing_folder_serves_nothing) {
  server::static_site site("/nonexistent/ismsd-webui");
  EXPECT_EQ(site.size(), 0u);
  EXPECT_EQ(site.find("/"), nullptr);
  EXPECT_EQ(site.find("/risks"), nullptr);
}

TEST(edge_http, no_request_path_reaches_a_file_outside_the_web_ui) {
  webui_fixture f;
  test_server srv([&](server::server_config& c) { c.ledger.webui_dir = f.webui; });
  const auto port = srv.port();
  const std::string data_current = "/" + (srv.dir() / "CURRENT").string();  // "//tmp/…/CURRENT"
  for (const std::string& target : std::vector<std::string>{"//etc/passwd", "///etc/passwd", "x/etc/passwd", "//proc/self/environ", "/../secret.txt",
        "/js/../../secret.txt", "/%2e%2e/secret.txt", "/leak.txt", "/up/secret.txt", "//" + f.base.string() + "/secret.txt",
        data_current, "/.hidden"}) {
    const auto r = http_call(port, "GET", target);
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("SECRET-OUTSIDE"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("ISMS_"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("MANIFEST"), std::string::npos) << target;
    // Either the shell (a client-side route) or a refusal; never a file of that name.
    EXPECT_TRUE(r.status >= 400 || r.body == "<!doctype html><title>shell</title>") << target << " → " << r.status;
  }
  EXPECT_EQ(http_call(port, "GET", "/js/app.js").body, "export const app = 1;");
  EXPECT_EQ(http_call(port, "GET", "/nothing.css").status, 404u);
  EXPECT_EQ(http_call(port, "GET", "/healthz").status, 200u);
}

TEST(edge_http, every_answer_carries_the_security_headers) {
  webui_fixture f;
  test_server srv([&](server::server_config& c) { c.ledger.webui_dir = f.webui; });
  const auto port = srv.port();
  const std::string token = srv.add_user("manager", {"isms_manager"});
  const std::vector<std::pair<std::string, std::string>> auth{{"authorization", "Bearer " + token}};
  for (const auto& r : {http_call(port, "GET", "/healthz"), http_call(port, "GET", "/api/session", {}, auth),
                        http_call(port, "GET", "/api/nothing"), http_call(port, "POST", "/api/session", "{"),
                        http_call(port, "GET", "/metrics"), http_call(port, "GET", "/js/app.js")}) {
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << r.status;
    EXPECT_EQ(r.header("cache-control"), "no-store") << r.status;
    EXPECT_EQ(r.header("x-frame-options"), "DENY") << r.status;
    EXPECT_NE(r.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos) << r.status;
  }
  // API answers forbid everything; the shell allows its own scripts only.
  EXPECT_EQ(http_call(port, "GET", "/api/session", {}, auth).header("content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'");
  const auto shell = http_call(port, "GET", "/risks");
  EXPECT_EQ(shell.status, 200u);
  EXPECT_NE(shell.header("content-security-policy").find("default-src 'self'"), std::string::npos);
}

// ---------------------------------------------------------------- nesting

std::string nested_objects(std::size_t depth) {
  std::string s;
  s.reserve(depth * 6);
  for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s.append(depth, '}');
  return s;
}
std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(json_input, depth_is_counted_as_a_parser_sees_it) {
  EXPECT_EQ(server::json_nesting_depth(R"({"a":[1,{"b":2}]})", 100), 3u);
  EXPECT_EQ(server::json_nesting_depth(R"({"a":"[[[[{{{{"})", 100), 1u);    // brackets in strings do not count
  EXPECT_EQ(server::json_nesting_depth(R"(["\"[[[", [2]])", 100), 2u);      // an escaped quote stays inside
  EXPECT_EQ(server::json_nesting_depth(R"(["\\", [[3]]])", 100), 3u);       // an escaped backslash ends the escape
  EXPECT_EQ(server::json_nesting_depth(nested_arrays(1000), 10), 11u);      // stops early
  EXPECT_TRUE(server::read_json(nested_arrays(64), 64));
  const auto deep = server::read_json(nested_arrays(65), 64);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().what, server::json_input_error::kind::too_deep);
  const auto bad = server::read_json("{\"a\":", 64);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what, server::json_input_error::kind::syntax);
}

TEST(edge_http, deeply_nested_login_body_is_refused_and_the_server_lives) {
  test_server srv;
  // ~70,000 nested objects (420 KB) killed the server when it copied the tree.
  const std::string body = "{\"username\":\"admin\",\"password\":" + nested_objects(70000) + "}";
  const auto r = http_call(srv.port(), "POST", "/api/session", body);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json_body()["error"].value("code", ""), "bad_request");
  EXPECT_EQ(http_call(srv.port(), "GET", "/healthz").status, 200u);
  EXPECT_FALSE(login(srv.port(), "admin", test_server::admin_password).empty());
}

TEST(edge_ws, deeply_nested_command_data_and_query_params_are_refused) {
  test_server srv;
  // A user without any role can still send bytes: the limit is before any decision.
  const std::string token = srv.add_user("nobody", {});
  auto client = connect_as(srv, token);
  ASSERT_NE(client, nullptr);
  const auto head = srv.store().current_head().position;

  client->send_text(R"({"id":"1","op":"command","type":"risk.identify","stream":"risk-R-99","data":{"x":)" +
                    nested_arrays(500000) + "}}");
  auto r = client->next_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["error"].value("code", ""), "bad_request");
  EXPECT_NE((*r)["error"].value("message", "").find("nested deeper"), std::string::npos);

  client->send_text(R"({"id":"2","op":"query","view":"risks","params":)" + nested_objects(180000) + "}");
  r = client->next_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["error"].value("code", ""), "bad_request");

  // Just inside the limit is parsed (and then judged on its merits).
  client->send_text(R"({"id":"3","op":"query","view":"risks","params":{"x":)" + nested_arrays(60) + "}}");
  r = client->next_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["id"], "3");

  client->send_text(R"({"id":"4","op":"ping"})");
  r = client->next_reply();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->value("ok", false));
  EXPECT_EQ(srv.store().current_head().position, head);
}

TEST(edge_config, a_deeply_nested_config_file_is_refused) {
  std::string tmpl = (fs::temp_directory_path() / "ismsd-config-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path file = fs::path(tmpl) / "config.json";
  write_file(file, "{\"limits\":" + nested_objects(100000) + "}");
  server::server_config config;
  const auto r = server::load_config_file(file, config);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("nested deeper"), std::string::npos) << r.error();
  write_file(file, R"({"limits":{"max_json_depth":32}})");
  ASSERT_TRUE(server::load_config_file(file, config));
  EXPECT_EQ(config.ledger.max_json_depth, 32u);
  EXPECT_EQ(config.ledger.ws.max_json_depth, 32u);
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

}  // namespace
}  // namespace isms::testing::edge_test
