// bench_ws: commands over the real WebSocket API of a real ismsd, against the
// two limits measured in the same run.
//
// One run:
//   1. the durability limit: the event store's durable appends with 64
//      appenders on a fresh store (the code of bench_eventstore);
//   2. a fresh ismsd (spawned on 127.0.0.1 port 0 with a fresh data folder),
//      users registered over the API, a few objectives set through their
//      approval; then for each connection count (1, 64, 1000 by default) that
//      many WebSocket connections, each sending a realistic mix and waiting
//      for each reply: identify, assess, plan the treatment of and request
//      acceptance for its own risks; approve the acceptances that wait for its
//      user; record objective progress; query `risks` (a page of 50), `soa`
//      and `inbox`;
//   3. the transport's limit: the same client and the same scripts against a
//      bare Beast WebSocket server in this process that answers each request
//      with a reply of the size ismsd gave for that kind of request.
// Prints requests/s and commands/s with p50/p99/p99.9, errors, the ratios to
// both limits, the load average; the last line is one JSON object.
//
//   4. one long stream (--long-stream N, default 2000; 0 skips it): one
//      connection assesses one risk N times; the first and last tenth are
//      timed apart, and /metrics gives the events folded per command.
// Usage: bench_ws [--seconds N] [--connections 1,64,1000] [--long-stream N] [--dir DIR] [--ismsd PATH]

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/ismsd.hpp"
#include "support/net.hpp"
#include "support/options.hpp"
#include "support/store_probe.hpp"

using namespace isms::bench;
namespace fs = std::filesystem;

namespace {

// Users of the load: each connection signs in as one of them (connection i as
// user i % users); each holds isms_manager and risk_owner, identifies risks
// owned by the next user, and approves those owned by itself.
constexpr int load_users = 16;
constexpr int objectives = 16;
constexpr int risks_per_connection = 4;

struct mix_totals {
  std::vector<double> cmd_lat, query_lat;
  std::map<std::string, std::size_t> errors;  // unexpected error replies by code
  std::size_t approvals_not_open = 0;         // approve before the approval opened: queued again
  std::size_t approvals_superseded = 0;       // approve of an approval voided by a reassessment
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> reply_bytes;  // kind → (sum, count)
  std::vector<std::deque<std::string>> approvals_for = std::vector<std::deque<std::string>>(load_users);
};

// The realistic mix of one connection (see the header comment). Runs on the
// load driver's one thread.
class mix_script final : public conn_script {
 public:
  mix_script(int conn, mix_totals& t, std::string tag) : conn_(conn), t_(t), tag_(std::move(tag)) {
    user_ = conn % load_users;
    owner_ = (user_ + 1) % load_users;
    identified_.assign(risks_per_connection, false);
  }

  std::string next() override {
    const int step = static_cast<int>(step_ % 8);
    const std::string stream = risk_stream(risk_);
    json r;
    r["id"] = "r" + std::to_string(++seq_);
    is_command_ = true;
    approving_.clear();
    switch (step) {
      case 0:
        if (!identified_[risk_]) {
          kind_ = "risk.identify";
          r.update(command("risk.identify", stream,
                           {{"title", "Ransomware on file servers " + stream},
                            {"description", "Shared drives encrypted by ransomware delivered through phishing"},
                            {"asset", "File servers FS-01 and FS-02"},
                            {"threat", "Ransomware"},
                            {"vulnerability", "SMBv1 enabled; patches 60 days behind"},
                            {"owner", user_id(owner_)},
                            {"category", "operations"}}));
          r["expected_version"] = 0;
          identified_[risk_] = true;
          --step_;  // the assessment follows
        } else {
          kind_ = "risk.assess";
          r.update(command("risk.assess", stream,
                           {{"likelihood", 2 + static_cast<int>(seq_ % 4)},
                            {"impact", 2 + static_cast<int>((seq_ / 4) % 4)},
                            {"rationale", "Reassessed after the quarterly vulnerability scan"}}));
        }
        break;
      case 1:
        kind_ = "risk.plan_treatment";
        r.update(command("risk.plan_treatment", stream,
                         {{"option", "modify"},
                          {"controls", {"8.7", "8.8", "5.9"}},
                          {"actions", "EDR on all servers; disable SMBv1; monthly patch cycle"},
                          {"target_likelihood", 1 + static_cast<int>(seq_ % 2)},
                          {"target_impact", 2},
                          {"due", day_from_today(90)}}));
        break;
      case 2:
        kind_ = "risk.request_acceptance";
        r.update(command("risk.request_acceptance", stream, {{"comment", "Treatment in place, residual risk low"}}));
        requesting_ = stream;
        break;
      case 3:
        if (!t_.approvals_for[user_].empty()) {
          approving_ = t_.approvals_for[user_].front();
          t_.approvals_for[user_].pop_front();
          kind_ = "approval.approve";
          r.update(command("approval.approve", "approval-" + approving_,
                           {{"comment", "Residual risk acceptable until the next review"}}));
        } else {
          query(r, "risks", {{"limit", 50}, {"owner", user_id(user_)}});
        }
        break;
      case 4:
        kind_ = "objective.record_progress";
        r.update(command("objective.record_progress", "objective-O-" + std::to_string(conn_ % objectives),
                         {{"measured_value", 5 + static_cast<int>(seq_ % 7)},
                          {"measured_on", day_from_today(0)},
                          {"note", "monthly patch report"}}));
        break;
      case 5: query(r, "risks", {{"limit", 50}}); break;
      case 6: query(r, "soa", json::object()); break;
      default: query(r, "inbox", json::object()); break;
    }
    ++step_;
    if (step_ % 8 == 0) risk_ = (risk_ + 1) % risks_per_connection;
    return r.dump();
  }

  void reply(std::string_view text, double us) override {
    (is_command_ ? t_.cmd_lat : t_.query_lat).push_back(us);
    auto& b = t_.reply_bytes[kind_];
    b.first += text.size();
    ++b.second;
    // Large replies (views) are only scanned: the top-level members come
    // sorted ("error" < "id" < "ok" < "result"), so the first "ok" is the
    // reply's own. Parsing every page of risks would make this one client
    // thread the bottleneck of the bare server's run.
    if (text.size() > 4096) {
      if (text.find("\"ok\":true") == std::string_view::npos) ++t_.errors["large_reply_not_ok"];
      requesting_.clear();
      return;
    }
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
      ++t_.errors["unparseable"];
      return;
    }
    if (j.value("ok", false)) {
      if (!requesting_.empty() && j.contains("result") && j["result"].contains("version"))
        t_.approvals_for[owner_].push_back(requesting_ + ".v" + std::to_string(j["result"]["version"].get<std::uint64_t>()));
      requesting_.clear();
      return;
    }
    requesting_.clear();
    const std::string code = j.contains("error") ? j["error"].value("code", "?") : "?";
    if (!approving_.empty() && code == "not_found") {
      // The approval opens by reaction a moment after the request's reply.
      ++t_.approvals_not_open;
      t_.approvals_for[user_].push_back(approving_);
      return;
    }
    if (!approving_.empty() && code == "rejected") {
      ++t_.approvals_superseded;  // reassessed meanwhile: the approval was voided
      return;
    }
    ++t_.errors[code];
  }

  static std::string user_id(int u) { return "load-" + std::to_string(u); }

 private:
  std::string risk_stream(int r) const { return "risk-" + tag_ + std::to_string(conn_) + "-" + std::to_string(r); }
  json command(const std::string& type, const std::string& stream, json data) {
    return {{"op", "command"},
            {"type", type},
            {"stream", stream},
            {"command_id", tag_ + std::to_string(conn_) + "-" + std::to_string(seq_)},
            {"data", std::move(data)}};
  }
  void query(json& r, const std::string& view, json params) {
    is_command_ = false;
    kind_ = "query:" + view;
    r.update(json{{"op", "query"}, {"view", view}, {"params", std::move(params)}});
  }

  int conn_, user_, owner_;
  mix_totals& t_;
  std::string tag_;
  std::uint64_t seq_ = 0, step_ = 0;
  int risk_ = 0;
  std::vector<bool> identified_;
  bool is_command_ = true;
  std::string kind_, requesting_, approving_;
};

struct phase_result {
  int connections = 0;
  load_result load;
  latency_stats all, cmd, query;
  std::size_t errors = 0;
  std::map<std::string, std::size_t> error_codes;
  std::size_t approvals_not_open = 0, approvals_superseded = 0;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> reply_bytes;
};

phase_result run_mix(std::uint16_t port, int n, const std::vector<std::string>& tokens, double seconds,
                     const std::string& tag) {
  mix_totals t;
  std::vector<std::unique_ptr<conn_script>> scripts;
  std::vector<std::string> bearer;
  for (int i = 0; i < n; ++i) {
    scripts.push_back(std::make_unique<mix_script>(i, t, tag));
    bearer.push_back(tokens.empty() ? std::string{} : tokens[static_cast<std::size_t>(i % load_users)]);
  }
  phase_result p;
  p.connections = n;
  p.load = run_load(port, bearer, scripts, seconds);
  std::vector<double> all = t.cmd_lat;
  all.insert(all.end(), t.query_lat.begin(), t.query_lat.end());
  p.all = summarize(all, p.load.elapsed_s);
  p.cmd = summarize(t.cmd_lat, p.load.elapsed_s);
  p.query = summarize(t.query_lat, p.load.elapsed_s);
  p.error_codes = t.errors;
  for (auto& [c, k] : t.errors) p.errors += k;
  p.errors += p.load.connect_failures + p.load.dropped + p.load.unanswered;
  p.approvals_not_open = t.approvals_not_open;
  p.approvals_superseded = t.approvals_superseded;
  p.reply_bytes = t.reply_bytes;
  return p;
}

// The canned reply for a request: its id and padding to the size ismsd's
// reply to that kind of request had on average.
std::string canned_reply(std::string_view req, const std::map<std::string, std::size_t>& size_of) {
  std::string id = "null";
  if (auto at = req.find("\"id\":\""); at != std::string_view::npos) {
    const auto end = req.find('"', at + 6);
    id = std::string(req.substr(at + 5, end - at - 4));
  }
  std::string kind;
  if (req.find("\"op\":\"query\"") != std::string_view::npos) {
    if (auto at = req.find("\"view\":\""); at != std::string_view::npos)
      kind = "query:" + std::string(req.substr(at + 8, req.find('"', at + 8) - at - 8));
  } else if (auto at = req.rfind("\"type\":\""); at != std::string_view::npos) {
    kind = std::string(req.substr(at + 8, req.find('"', at + 8) - at - 8));
  }
  std::string out = "{\"id\":" + id + ",\"ok\":true,\"result\":{\"pad\":\"";
  const auto it = size_of.find(kind);
  const std::size_t want = it == size_of.end() ? 64 : it->second;
  if (want > out.size() + 4) out.append(want - out.size() - 4, 'x');
  out += "\"}}";
  return out;
}

void print_phase(const char* what, const phase_result& p) {
  std::printf("%-22s %5d conn  %8.0f req/s  %8.0f cmd/s  p50 %7.0f us  p99 %8.0f us  p99.9 %8.0f us  errors %zu\n",
              what, p.connections, p.all.eps, p.cmd.eps, p.all.p50_us, p.all.p99_us, p.all.p999_us, p.errors);
  std::printf("%-22s %5s       commands p50 %7.0f us  p99 %8.0f us | queries %6.0f/s p50 %7.0f us  p99 %8.0f us\n", "",
              "", p.cmd.p50_us, p.cmd.p99_us, p.query.eps, p.query.p50_us, p.query.p99_us);
  if (!p.error_codes.empty() || p.load.connect_failures || p.load.dropped || p.load.unanswered) {
    std::printf("%-22s       errors:", "");
    for (auto& [c, k] : p.error_codes) std::printf(" %s=%zu", c.c_str(), k);
    std::printf(" connect_failures=%zu dropped=%zu unanswered=%zu\n", p.load.connect_failures, p.load.dropped,
                p.load.unanswered);
  }
}

json reply_sizes(const phase_result& p) {
  json j = json::object();
  for (auto& [kind, b] : p.reply_bytes) j[kind] = b.second ? b.first / b.second : 0;
  return j;
}

json phase_json(const phase_result& p) {
  json codes = json::object();
  for (auto& [c, k] : p.error_codes) codes[c] = k;
  return {{"connections", p.connections},      {"req_per_s", p.all.eps},        {"cmd_per_s", p.cmd.eps},
          {"query_per_s", p.query.eps},        {"p50_us", p.all.p50_us},        {"p99_us", p.all.p99_us},
          {"p999_us", p.all.p999_us},          {"cmd_p50_us", p.cmd.p50_us},    {"cmd_p99_us", p.cmd.p99_us},
          {"cmd_p999_us", p.cmd.p999_us},      {"query_p50_us", p.query.p50_us}, {"query_p99_us", p.query.p99_us},
          {"requests", p.all.count},           {"errors", p.errors},            {"error_codes", codes},
          {"connect_failures", p.load.connect_failures}, {"dropped", p.load.dropped},
          {"unanswered", p.load.unanswered},   {"approvals_not_open", p.approvals_not_open},
          {"approvals_superseded", p.approvals_superseded}, {"seconds", p.load.elapsed_s},
          {"reply_bytes", reply_sizes(p)}};
}

// Sets up what the mix needs: its users, and objectives set through their
// approval (proposed and put to approval by an ISMS manager, approved by top
// management; the server sets them by reaction).
std::vector<std::string> setup_isms(std::uint16_t port) {
  std::vector<bench_user> users;
  for (int u = 0; u < load_users; ++u) users.push_back({mix_script::user_id(u), {"isms_manager", "risk_owner"}});
  users.push_back({"load-top", {"top_management"}});
  register_users(port, users);
  std::vector<std::string> tokens;
  for (int u = 0; u < load_users; ++u) tokens.push_back(must_login(port, mix_script::user_id(u)));
  auto mgr = ws_session::connect(port, tokens[0]);
  auto top = ws_session::connect(port, must_login(port, "load-top"));
  if (!mgr || !top) {
    std::fprintf(stderr, "cannot open the WebSocket API\n");
    std::exit(1);
  }
  for (int o = 0; o < objectives; ++o) {
    const std::string id = "O-" + std::to_string(o);
    must(mgr->request({{"op", "command"},
                       {"type", "objective.propose"},
                       {"stream", "objective-" + id},
                       {"expected_version", 0},
                       {"data",
                        {{"objective_id", id},
                         {"statement", "Patch critical vulnerabilities on servers within 7 days"},
                         {"measure", "median days from vendor patch to installation, critical CVEs"},
                         {"target_value", 7},
                         {"unit", "days"},
                         {"owner", mix_script::user_id(o % load_users)},
                         {"due_date", day_from_today(365)},
                         {"resources", "0.5 FTE operations; patch management tool licence"},
                         {"evaluation", "monthly report from the patch tool"}}}}),
         "objective.propose " + id);
    auto req = must(mgr->request({{"op", "command"},
                                  {"type", "objective.request_approval"},
                                  {"stream", "objective-" + id},
                                  {"data", json::object()}}),
                    "objective.request_approval " + id);
    const std::string approval = "approval-objective-" + id + ".v" + std::to_string(req["result"]["version"].get<int>());
    // The approval opens by reaction, a moment after the request's reply.
    for (int attempt = 0;; ++attempt) {
      auto r = top->request(
          {{"op", "command"}, {"type", "approval.approve"}, {"stream", approval}, {"data", {{"comment", "agreed"}}}});
      if (r && r->value("ok", false)) break;
      if (attempt > 500) must(r, "approval.approve " + approval);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // Wait until every objective is set (its first progress record succeeds).
  for (int o = 0; o < objectives; ++o) {
    const std::string id = "O-" + std::to_string(o);
    for (int attempt = 0;; ++attempt) {
      auto r = mgr->request({{"op", "command"},
                             {"type", "objective.record_progress"},
                             {"stream", "objective-" + id},
                             {"data", {{"measured_value", 9}, {"measured_on", day_from_today(0)}}}});
      if (r && r->value("ok", false)) break;
      if (attempt > 500) must(r, "objective.record_progress " + id);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return tokens;
}

// One connection commands one risk again and again: does a command cost more
// as its stream grows? The first and last tenth of the commands are timed
// apart, and the server's count of events folded to decide them is read from
// /metrics before and after.
struct long_stream_result {
  int commands = 0;
  latency_stats first, last;  // the first and the last tenth
  double events_folded_per_command = 0;
  std::size_t errors = 0;
};

double events_folded(std::uint16_t port) {
  const auto r = http_call(port, "GET", "/metrics");
  const std::string name = "ismsd_command_events_folded_total ";
  const auto at = r.body.find("\n" + name);
  return at == std::string::npos ? -1 : std::strtod(r.body.c_str() + at + 1 + name.size(), nullptr);
}

long_stream_result run_long_stream(std::uint16_t port, const std::string& token, int n) {
  long_stream_result out;
  out.commands = n;
  auto ws = ws_session::connect(port, token);
  if (!ws) {
    std::fprintf(stderr, "cannot open the WebSocket API\n");
    std::exit(1);
  }
  const std::string stream = "risk-LONG-1";
  must(ws->request({{"op", "command"},
                    {"type", "risk.identify"},
                    {"stream", stream},
                    {"expected_version", 0},
                    {"data",
                     {{"title", "Loss of the payroll provider's service"},
                      {"asset", "Payroll"},
                      {"threat", "Supplier outage"},
                      {"vulnerability", "No second provider"},
                      {"owner", mix_script::user_id(1)},
                      {"category", "suppliers"}}}}),
       "risk.identify " + stream);
  const double folded_before = events_folded(port);
  const int tenth = std::max(1, n / 10);
  std::vector<double> first, last;
  const auto started = clock_type::now();
  auto first_end = started, last_start = started;
  for (int i = 0; i < n; ++i) {
    if (i == tenth) first_end = clock_type::now();
    if (i == n - tenth) last_start = clock_type::now();
    const auto t = clock_type::now();
    auto r = ws->request({{"op", "command"},
                          {"type", "risk.assess"},
                          {"stream", stream},
                          {"data",
                           {{"likelihood", 1 + i % 5},
                            {"impact", 1 + (i / 5) % 5},
                            {"rationale", "quarterly reassessment " + std::to_string(i)}}}});
    const double us = us_since(t);
    if (!r || !r->value("ok", false)) ++out.errors;
    if (i < tenth) first.push_back(us);
    if (i >= n - tenth) last.push_back(us);
  }
  const auto ended = clock_type::now();
  out.first = summarize(first, std::chrono::duration<double>(first_end - started).count());
  out.last = summarize(last, std::chrono::duration<double>(ended - last_start).count());
  const double folded_after = events_folded(port);
  if (folded_before >= 0 && folded_after >= 0) out.events_folded_per_command = (folded_after - folded_before) / n;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const double store_seconds = 3;
  options opt(argc, argv, "[--seconds N] [--connections 1,64,1000] [--long-stream N] [--dir DIR] [--ismsd PATH]");
  const int long_stream = static_cast<int>(opt.number("long-stream", 2000));
  const double seconds = opt.number("seconds", 10);
  const auto count_list = opt.list("connections", {1, 64, 1000});
  const std::vector<int> counts(count_list.begin(), count_list.end());
  const fs::path base = opt.text("dir", fs::current_path().string());
  const fs::path exe = opt.text("ismsd", default_ismsd().string());
  if (!opt.valid()) return 2;
  const std::uint64_t fd_limit = raise_fd_limit();
  const fs::path run = make_run_dir(base, "bench-ws");
  const double load_before = loadavg();
  std::printf("bench_ws: dir %s, %.1f s per phase, ismsd %s, fd limit %llu, load %.2f\n", run.c_str(), seconds,
              exe.c_str(), static_cast<unsigned long long>(fd_limit), load_before);

  // 1. The durability limit.
  const latency_stats store64 = durable_appends(run, store_seconds, 64);
  std::printf("%-22s %5d appenders %7.0f ev/s  p50 %7.0f us  p99 %8.0f us\n", "store, durable", 64, store64.eps,
              store64.p50_us, store64.p99_us);

  // 2. The server.
  auto server = ismsd_process::start(exe, run / "data", bench_flags());
  if (!server) return 1;
  const auto tokens = setup_isms(server->port());
  const std::uint64_t rss_start = server->rss_kib();
  std::printf("%-22s port %u, RSS after setup %llu KiB\n", "ismsd", server->port(),
              static_cast<unsigned long long>(rss_start));
  std::vector<phase_result> served, echoed;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    served.push_back(run_mix(server->port(), counts[k], tokens, seconds, "W" + std::to_string(k) + "x"));
    print_phase("ismsd", served.back());
    std::printf("%-22s       mean reply bytes:", "");
    for (auto& [kind, b] : served.back().reply_bytes)
      std::printf(" %s=%llu", kind.c_str(), static_cast<unsigned long long>(b.second ? b.first / b.second : 0));
    std::printf("\n");
  }
  const std::uint64_t rss_end = server->rss_kib();
  std::printf("%-22s RSS after the load %llu KiB\n", "ismsd", static_cast<unsigned long long>(rss_end));
  long_stream_result longest;
  if (long_stream > 0) {
    longest = run_long_stream(server->port(), tokens[0], long_stream);
    std::printf("%-22s %d risk.assess on one risk, 1 conn: first tenth %.0f cmd/s p50 %.0f us; last tenth %.0f cmd/s "
                "p50 %.0f us (%.2fx the first's p50); %.2f events folded per command; errors %zu\n",
                "ismsd, one long stream", long_stream, longest.first.eps, longest.first.p50_us, longest.last.eps,
                longest.last.p50_us, longest.first.p50_us > 0 ? longest.last.p50_us / longest.first.p50_us : 0,
                longest.events_folded_per_command, longest.errors);
  }
  server->stop();

  // 3. The transport's limit: the same scripts, replies of the same sizes.
  for (std::size_t k = 0; k < counts.size(); ++k) {
    std::map<std::string, std::size_t> size_of;
    for (auto& [kind, b] : served[k].reply_bytes) size_of[kind] = b.second ? b.first / b.second : 64;
    canned_ws_server echo([size_of](std::string_view req) { return canned_reply(req, size_of); }, 2);
    echoed.push_back(run_mix(echo.port(), counts[k], {}, seconds, "E" + std::to_string(k) + "x"));
    print_phase("bare Beast server", echoed.back());
  }

  std::printf("\nratios (same run):\n");
  json phases = json::array();
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const auto& s = served[k];
    const auto& e = echoed[k];
    std::printf("  %5d conn: req/s %.3fx the bare server's; cmd/s %.3fx the store's 64-appender rate; "
                "cmd p99 %.2fx the store's p99; errors %zu\n",
                s.connections, e.all.eps > 0 ? s.all.eps / e.all.eps : 0, s.cmd.eps / store64.eps,
                store64.p99_us > 0 ? s.cmd.p99_us / store64.p99_us : 0, s.errors);
    json j = phase_json(s);
    j["bare"] = phase_json(e);
    j["req_ratio_bare"] = e.all.eps > 0 ? s.all.eps / e.all.eps : 0;
    j["cmd_ratio_store64"] = s.cmd.eps / store64.eps;
    j["cmd_p99_ratio_store64"] = store64.p99_us > 0 ? s.cmd.p99_us / store64.p99_us : 0;
    phases.push_back(j);
  }
  for (std::size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] == 64)
      std::printf("  target 64 conn: cmd/s >= 0.5x store (%.2fx %s), cmd p99 <= 2x store p99 (%.2fx %s)\n",
                  served[k].cmd.eps / store64.eps, served[k].cmd.eps >= 0.5 * store64.eps ? "met" : "MISSED",
                  served[k].cmd.p99_us / store64.p99_us,
                  served[k].cmd.p99_us <= 2 * store64.p99_us ? "met" : "MISSED");
    if (counts[k] == 1000)
      std::printf("  target 1000 conn: no errors (%zu %s)\n", served[k].errors, served[k].errors == 0 ? "met" : "MISSED");
  }
  const double load_after = loadavg();
  json out = {{"seconds_per_phase", seconds},
              {"loadavg_before", load_before},
              {"loadavg_after", load_after},
              {"store_64_eps", store64.eps},
              {"store_64_p50_us", store64.p50_us},
              {"store_64_p99_us", store64.p99_us},
              {"rss_after_setup_kib", rss_start},
              {"rss_after_load_kib", rss_end},
              {"phases", phases},
              {"long_stream",
               {{"commands", longest.commands},
                {"first_tenth_cmd_per_s", longest.first.eps},
                {"first_tenth_p50_us", longest.first.p50_us},
                {"last_tenth_cmd_per_s", longest.last.eps},
                {"last_tenth_p50_us", longest.last.p50_us},
                {"events_folded_per_command", longest.events_folded_per_command},
                {"errors", longest.errors}}}};
  fs::remove_all(run);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
