// Crash under load: the real ismsd, 16 WebSocket clients committing risk
// workflows (whose acceptance requests make the reactions open approvals),
// SIGKILLed at a moment the test does not choose, 5 times over. After a last
// restart:
//   - every acknowledged command is in the log, and resending it is answered
//     as a duplicate with its original position;
//   - every acknowledged acceptance request has its approval opened exactly
//     once (reactions survive the crashes and never run twice);
//   - positions are gapless and the hash chain verifies;
//   - every view the restarted server answers equals the view rebuilt from
//     scratch by folding the whole log.
// kill_test.cpp covers the single-stream variant (4 clients, user
// registrations, no resend and no view comparison); this one extends it.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "isms/domain/views/views.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/projections.hpp"
#include "isms/server/view_access.hpp"
#include "isms/server/ws_api.hpp"
#include "support/client.hpp"
#include "support/ismsd_process.hpp"

namespace isms::testing::crash_load_test {
namespace {

constexpr const char* admin_password = "crash-load-admin-password";
constexpr const char* manager_password = "crash-load-manager-password";
constexpr int clients = 16;
constexpr int cycles = 5;

using child = ismsd_child;

// The per-connection request rate is lifted: the clients here are the load.
child start_ismsd(const std::filesystem::path& data) {
  return spawn_ismsd(data, admin_password, {"--requests_per_second", "100000", "--request_burst", "100000"});
}

std::filesystem::path temp_dir() { return make_temp_dir("ismsd-crash-load"); }

std::unique_ptr<ws_client> connect(std::uint16_t port, const std::string& token) {
  ws_client::options o;
  o.bearer = token;
  return ws_client::connect(port, o);
}

// A command the server acknowledged, as sent, with the position it answered.
struct acknowledged {
  std::string type, stream, command_id;
  json data;
  std::uint64_t position = 0;
};

// The steps of one client's risk workflow; the last makes a reaction open an approval.
std::vector<std::pair<std::string, json>> risk_workflow() {
  return {{"risk.identify",
           {{"title", "Supplier outage"},
            {"asset", "Order system"},
            {"threat", "Supplier failure"},
            {"vulnerability", "Single supplier"},
            {"owner", "owner"},
            {"category", "suppliers"}}},
          {"risk.assess", {{"likelihood", 3}, {"impact", 4}, {"rationale", "one supplier, no contract SLA"}}},
          {"risk.plan_treatment",
           {{"option", "modify"},
            {"controls", {"5.19", "5.20"}},
            {"actions", "Second supplier and an SLA"},
            {"target_likelihood", 1},
            {"target_impact", 4},
            {"due", "2036-06-30"}}},
          {"risk.request_acceptance", {{"comment", "ready"}}}};
}

// Registers the ISMS manager and the risk owner once, on the first start.
void register_people(std::uint16_t port) {
  const std::string admin = login(port, "admin", admin_password);
  ASSERT_FALSE(admin.empty());
  auto c = connect(port, admin);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(ok(c->command("user.register", "user-manager", {{"name", "Mia Manager"}, {"roles", {"isms_manager"}}},
                            std::nullopt, "setup-manager")));
  ASSERT_TRUE(ok(c->command("user.register", "user-owner", {{"name", "Olga Owner"}, {"roles", {"risk_owner"}}},
                            std::nullopt, "setup-owner")));
  const auto set = http_call(port, "POST", "/api/users/password",
                             json{{"user", "manager"}, {"password", manager_password}}.dump(),
                             {{"authorization", "Bearer " + admin}, {"content-type", "application/json"}});
  ASSERT_EQ(set.status, 200u) << set.body;
}

TEST(crash_load, sixteen_clients_five_sigkills_nothing_acknowledged_is_lost_and_views_equal_a_rebuild) {
  const auto data = temp_dir();
  std::mt19937 rng(std::random_device{}());
  std::mutex mutex;
  std::vector<acknowledged> acks;
  std::set<std::string> requested;  // risk streams whose acceptance request was acknowledged
  int next_workflow = 0;

  for (int cycle = 0; cycle < cycles; ++cycle) {
    child srv = start_ismsd(data);
    ASSERT_NE(srv.port, 0) << srv.output;
    if (cycle == 0) {
      register_people(srv.port);
      if (HasFatalFailure()) return;
    }
    const std::string token = login(srv.port, "manager", manager_password);
    ASSERT_FALSE(token.empty());

    std::atomic<bool> stop{false};
    std::atomic<std::size_t> acked_this_cycle{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < clients; ++t) {
      const int base = next_workflow + t * 10000;
      senders.emplace_back([&, base, t] {
        auto c = connect(srv.port, token);
        if (!c) return;
        for (int i = 0; !stop && i < 10000; ++i) {
          const std::string stream = "risk-L" + std::to_string(base + i);
          int step = 0;
          for (const auto& [type, payload] : risk_workflow()) {
            const std::string id = "load-" + std::to_string(base + i) + "-" + std::to_string(step++);
            auto r = c->command(type, stream, payload, std::nullopt, id);
            if (!r) return;  // the server died mid-request: not acknowledged
            if (!ok(r)) {
              ADD_FAILURE() << "client " << t << ": " << type << " on " << stream << ": " << r->dump();
              return;
            }
            std::lock_guard lock(mutex);
            acks.push_back({type, stream, id, payload, (*r)["result"].value("position", std::uint64_t{0})});
            if (type == "risk.request_acceptance") requested.insert(stream);
            ++acked_this_cycle;
          }
        }
      });
    }
    next_workflow += clients * 10000;
    // Let a good number of commands through, then kill at a moment chosen by chance.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (acked_this_cycle.load() < 150) {
      ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the server acknowledged too little";
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 60)(rng)));
    ::kill(srv.pid, SIGKILL);
    wait_exit(srv.pid);
    stop = true;
    for (auto& s : senders) s.join();
  }
  ASSERT_GE(acks.size(), static_cast<std::size_t>(cycles * 150));

  // Restart: every acknowledged command is answered as a duplicate, with its
  // original position, and writes nothing.
  child srv = start_ismsd(data);
  ASSERT_NE(srv.port, 0) << srv.output;
  const std::string token = login(srv.port, "manager", manager_password);
  auto c = connect(srv.port, token);
  ASSERT_NE(c, nullptr);
  for (const auto& a : acks) {
    auto r = c->command(a.type, a.stream, a.data, std::nullopt, a.command_id);
    ASSERT_TRUE(ok(r)) << a.command_id << ": " << (r ? r->dump() : "no reply");
    EXPECT_TRUE((*r)["result"].value("duplicate", false)) << a.command_id << " was not a duplicate: " << r->dump();
    EXPECT_EQ((*r)["result"].value("position", std::uint64_t{0}), a.position) << a.command_id;
  }
  // What the restarted server shows, for every view that needs no parameter.
  std::map<std::string, json> served;
  std::uint64_t served_position = 0;
  for (const auto view : domain::views::view_names()) {
    auto r = c->query(std::string(view));
    ASSERT_TRUE(r.has_value()) << view;
    if (!ok(r)) continue;  // a view that needs an id
    served[std::string(view)] = (*r)["result"]["data"];
    const auto at = (*r)["result"].value("position", std::uint64_t{0});
    if (served_position == 0) served_position = at;
    ASSERT_EQ(at, served_position) << "the log moved while the views were read";
  }
  ASSERT_FALSE(served.empty());
  c.reset();
  ::kill(srv.pid, SIGTERM);
  const int status = wait_exit(srv.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  auto store = eventstore::store::open(eventstore::options{}, data);
  ASSERT_TRUE(store) << store.error().message;
  auto all = (*store)->read_all(1, SIZE_MAX);
  ASSERT_TRUE(all);
  expect_gapless_and_verified(**store, *all);
  if (::testing::Test::HasFatalFailure()) return;

  // Every acknowledged command is there under its id; every acknowledged
  // acceptance request has its approval opened exactly once.
  std::set<std::string> ids;
  std::map<std::string, int> opened;
  for (const auto& e : *all) {
    ids.insert(e.metadata.command_id);
    if (e.type == "approval.opened.v1") ++opened[e.data.value("subject_stream", "")];
  }
  for (const auto& a : acks) EXPECT_TRUE(ids.contains(a.command_id)) << "acknowledged but lost: " << a.command_id;
  for (const auto& stream : requested) EXPECT_EQ(opened[stream], 1) << "approvals opened for " << stream;

  // The views rebuilt from scratch, at the position the server answered at.
  ASSERT_LE(served_position, all->size());
  auto rebuilt = domain::views::initial_views();
  for (std::size_t i = 0; i < served_position; ++i) rebuilt = domain::views::evolve(std::move(rebuilt), server::to_domain((*all)[i]));
  const domain::actor viewer{"manager", {domain::role::isms_manager}};
  const domain::date today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  for (const auto& [view, data_served] : served) {
    auto expected = domain::views::query(rebuilt, view, json::object(), viewer, today);
    ASSERT_TRUE(expected.has_value()) << view << ": " << expected.error().message;
    // The server answered the first page of a list view; cut the rebuild alike.
    if (server::is_paged_view(view))
      server::cut_page(*expected, view, server::page_request{0, server::ws_api_options{}.default_page_size, {}},
                       served_position);
    EXPECT_EQ(data_served, *expected) << "the view '" << view << "' after restart differs from a rebuild";
  }
  std::cout << "[ figures ] " << acks.size() << " commands acknowledged over " << cycles << " SIGKILLs, "
            << requested.size() << " approvals opened by reactions, " << all->size() << " events, " << served.size()
            << " views equal to a rebuild\n";
  store->reset();
  remove_data_dir(data);
}

}  // namespace
}  // namespace isms::testing::crash_load_test
