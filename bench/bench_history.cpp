// bench_history: how the costs of a real ismsd grow with the length of its
// history, at constant live state.
//
// For each size (10k, 100k and 1M events by default), in a fresh folder:
//   1. a fresh ismsd registers the users over its API (the administrator it
//      bootstraps, then user.register and POST /api/users/password), and stops;
//   2. the history is built fast, without the server: a register of risks
//      (5,000 by default; at most one per 10 events of the size) identified,
//      then each in turn reassessed, re-planned, put to acceptance, approved by
//      its owner (and by top management when the residual risk is above the
//      appetite; one request in ten is rejected instead) and accepted. Every
//      command is decided by the domain library (isms::domain::prepare_command,
//      the server's own decision code) against its stream's state, the
//      reactions (isms::domain::react) issue the follow-ups as the server
//      would (approval.open, risk.accept, risk.reject_acceptance), and the
//      events are appended to the store directly, pipelined, with the metadata
//      the server records; the reactions' and the notification centre's
//      checkpoints are set to the head, where a server that recorded the
//      events would have left them;
//   3. with the server stopped: the store's bytes per event, raw RocksDB
//      iteration of its events, `ismsd verify` (the chain walked offline);
//   4. first start (the views folded from the users' snapshot, i.e. the whole
//      history): time to /healthz with views_position at the head = the full
//      rebuild rate; RSS; then `risks` pages (limit 100), `as_of` queries at
//      random positions, `diff`s from random positions, the NDJSON export
//      through GET /api/events; RSS after them; stop (SIGTERM);
//   5. second start (with the views snapshot the stop wrote): time to
//      /healthz at the head; RSS.
// Prints each size's figures, then a table of how each grows; the last line
// is one JSON object.
//
// Usage: bench_history [--sizes 10000,100000,1000000] [--risks N] [--dir DIR]
//                      [--ismsd PATH] [--as-of N] [--keep] [--build-only]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/recorded.hpp"
#include "isms/eventstore/store.hpp"
#include "support/ismsd.hpp"
#include "support/net.hpp"
#include "support/options.hpp"
#include "support/store_probe.hpp"

using namespace isms::bench;
namespace fs = std::filesystem;
namespace es = isms::eventstore;
namespace dom = isms::domain;

namespace {

constexpr int managers = 4;
constexpr int owners = 50;
constexpr int top_managers = 5;

std::string mgr(int i) { return "hist-mgr-" + std::to_string(i); }
std::string owner(int i) { return "hist-owner-" + std::to_string(i); }
std::string top(int i) { return "hist-top-" + std::to_string(i); }

std::vector<bench_user> history_users() {
  std::vector<bench_user> u;
  for (int i = 0; i < managers; ++i) u.push_back({mgr(i), {"isms_manager"}});
  for (int i = 0; i < owners; ++i) u.push_back({owner(i), {"risk_owner"}});
  for (int i = 0; i < top_managers; ++i) u.push_back({top(i), {"top_management"}});
  u.push_back({"hist-auditor", {"external_auditor"}});
  return u;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

dom::recorded_event to_domain(const es::recorded_event& e) {
  dom::recorded_event out;
  out.position = e.position;
  out.stream = e.stream;
  out.version = e.version;
  out.type = e.type;
  out.data = e.data;
  out.meta.actor = e.metadata.actor;
  out.meta.recorded_at = dom::instant{std::chrono::milliseconds{e.metadata.recorded_at_ms}};
  out.meta.command_id = e.metadata.command_id;
  out.meta.correlation_id = e.metadata.correlation_id;
  out.meta.causation_id = e.metadata.causation_id;
  if (e.metadata.extra.is_object())
    if (auto it = e.metadata.extra.find("comment"); it != e.metadata.extra.end() && it->is_string())
      out.meta.comment = it->get<std::string>();
  return out;
}

// Decides commands with the domain and appends their events to the store,
// pipelined: positions are predicted (this is the store's only appender) and
// checked when each append completes. Keeps each live stream's state as a
// short history: a risk's identification plus everything since its last
// assessment (which resets every other part of its state), an approval's
// events until it is concluded, the users.
class history_builder final {
 public:
  history_builder(es::store& s) : store_(s) {
    next_position_ = s.current_head().position + 1;
    for (std::uint64_t from = 1; from < next_position_;) {
      auto batch = s.read_all(from, 1024);
      if (!batch || batch->empty()) fail("cannot read the store's first events");
      for (const auto& e : *batch) streams_[e.stream].push_back(to_domain(e));
      from = batch->back().position + 1;
    }
  }

  std::vector<dom::recorded_event> history(std::string_view stream) const {
    auto it = streams_.find(std::string(stream));
    return it == streams_.end() ? std::vector<dom::recorded_event>{} : it->second;
  }

  // The streams the domain names, read from the kept histories.
  void read_into(std::span<const std::string> streams, dom::stream_reads& read) const {
    for (const auto& s : streams) read.put(s, history(s));
  }

  [[nodiscard]] std::uint64_t head() const { return next_position_ - 1; }

  // Decides and records one command of `by` (and the follow-ups its events
  // cause, as the system); the events it recorded (follow-ups' excluded).
  std::vector<dom::recorded_event> run(const std::string& type, const std::string& stream, const json& data,
                                       const dom::actor& by, const std::string& causation = {},
                                       const std::string& command_id = {}, const std::string& correlation = {}) {
    dom::command_context ctx;
    ctx.by = by;
    ctx.now = dom::instant{std::chrono::milliseconds{std::max(last_ms_, wall_ms())}};
    last_ms_ = ctx.now.time_since_epoch().count();
    ctx.command_id = command_id.empty() ? "hist-" + std::to_string(++commands_) : command_id;
    auto& hist = streams_[stream];
    auto prepared = dom::prepare_command(type, stream, data, hist, ctx);
    if (!prepared) fail(type + " on " + stream + " refused: " + prepared.error().message);
    dom::stream_reads read;
    read_into((*prepared)->reads(), read);
    auto decided = (*prepared)->decide(read, ctx);
    if (!decided) fail(type + " on " + stream + " refused: " + decided.error().message);
    std::string comment;
    if (auto it = data.find("comment"); it != data.end() && it->is_string()) comment = it->get<std::string>();
    std::vector<es::event_data> events;
    std::vector<dom::recorded_event> recorded;
    const std::uint64_t version = hist.empty() ? 0 : hist.back().version;
    for (auto& ne : *decided) {
      es::event_data ed;
      ed.type = ne.type;
      ed.data = ne.data;
      ed.metadata.actor = by.user_id;
      ed.metadata.command_id = ctx.command_id;
      ed.metadata.correlation_id = correlation.empty() ? ctx.command_id : correlation;
      ed.metadata.causation_id = causation;
      ed.metadata.recorded_at_ms = last_ms_;
      ed.metadata.extra = json::object();
      if (!comment.empty()) ed.metadata.extra["comment"] = comment;
      auto r = dom::record_decided(std::move(ne), {stream, version + recorded.size() + 1, next_position_ + recorded.size()},
                                   ctx, comment);
      r.meta.correlation_id = ed.metadata.correlation_id;
      r.meta.causation_id = causation;
      events.push_back(std::move(ed));
      recorded.push_back(std::move(r));
    }
    append(stream, version, std::move(events), ctx.command_id);
    for (const auto& r : recorded) {
      if (r.type == "risk.assessed.v1") hist.erase(hist.begin() + 1, hist.end());
      hist.push_back(r);
    }
    for (const auto& r : recorded) {
      dom::stream_reads read;
      for (auto wanted = dom::reaction_reads(r, read); !wanted.empty(); wanted = dom::reaction_reads(r, read))
        read_into(wanted, read);
      for (const auto& f : dom::react(r, read))
        run(f.command_type, f.stream, f.data, dom::actor{"system", {dom::role::system}}, std::to_string(r.position),
            f.command_id, r.meta.correlation_id);
      if (r.type == "approval.approved.v1" || r.type == "approval.rejected.v1" || r.type == "approval.voided.v1")
        streams_.erase(r.stream);  // concluded: nothing reads it again
    }
    return recorded;
  }

  // Waits for every append to complete.
  void drain() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return in_flight_ == 0; });
    if (failed_) fail(failure_);
  }

  [[noreturn]] static void fail(const std::string& why) {
    std::fprintf(stderr, "bench_history: %s\n", why.c_str());
    std::exit(1);
  }

 private:
  void append(const std::string& stream, std::uint64_t version, std::vector<es::event_data> events,
              const std::string& command_id) {
    const std::uint64_t expect = next_position_;
    next_position_ += events.size();
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return in_flight_ < 4096; });
      if (failed_) fail(failure_);
      ++in_flight_;
    }
    store_.append_async(stream, es::expected_version::exact(version), std::move(events), command_id,
                        [this, expect, stream](es::result<es::append_result> r) {
                          std::lock_guard lk(mu_);
                          if (!r) {
                            failed_ = true;
                            failure_ = "append to " + stream + ": " + r.error().message;
                          } else if (r->first_position != expect || r->duplicate) {
                            failed_ = true;
                            failure_ = "append to " + stream + " landed at " + std::to_string(r->first_position) +
                                       ", expected " + std::to_string(expect);
                          }
                          --in_flight_;
                          cv_.notify_all();
                        });
  }

  es::store& store_;
  std::map<std::string, std::vector<dom::recorded_event>, std::less<>> streams_;
  std::uint64_t next_position_ = 1;
  std::uint64_t commands_ = 0;
  std::int64_t last_ms_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t in_flight_ = 0;
  bool failed_ = false;
  std::string failure_;
};

std::string day_after(std::int64_t ms, int days) {
  return dom::format_date(dom::day_of(dom::instant{std::chrono::milliseconds{ms}}) + std::chrono::days{days});
}

// Builds the register and its cycles until the log holds `target` events.
std::size_t build_history(const fs::path& data, std::uint64_t target, int risks) {
  es::options o;
  o.sync = false;  // built in one go and closed cleanly; nothing to survive
  auto opened = es::store::open(o, data);
  if (!opened) history_builder::fail("open: " + opened.error().message);
  std::size_t cycles = 0;
  {
    history_builder b(**opened);
    std::mt19937_64 rng(42);
    const dom::actor system{"system", {dom::role::system}};
    auto manager = [&](std::uint64_t n) { return dom::actor{mgr(static_cast<int>(n % managers)), {dom::role::isms_manager}}; };
    auto owner_of = [&](int r) { return owner(r % owners); };
    for (int r = 0; r < risks && b.head() < target; ++r) {
      b.run("risk.identify", "risk-H-" + std::to_string(r),
            {{"title", "Risk " + std::to_string(r) + ": ransomware on the file servers of site " + std::to_string(r % 40)},
             {"description", "Shared drives encrypted by ransomware delivered through phishing"},
             {"asset", "File servers of site " + std::to_string(r % 40)},
             {"threat", "Ransomware"},
             {"vulnerability", "SMBv1 enabled; patches 60 days behind"},
             {"owner", owner_of(r)},
             {"category", r % 3 == 0 ? "operations" : (r % 3 == 1 ? "people" : "technology")}},
            manager(static_cast<std::uint64_t>(r)));
    }
    for (std::uint64_t n = 0; b.head() < target; ++n) {
      const int r = static_cast<int>(n % static_cast<std::uint64_t>(risks));
      const std::string stream = "risk-H-" + std::to_string(r);
      const auto by = manager(n);
      const int l = 2 + static_cast<int>(rng() % 4), i = 2 + static_cast<int>(rng() % 4);
      b.run("risk.assess", stream,
            {{"likelihood", l}, {"impact", i}, {"rationale", "Reassessed in review round " + std::to_string(n / risks)}},
            by);
      const bool above = rng() % 5 == 0 && l * i >= 12;  // residual high: top management approves too
      const std::int64_t now = wall_ms();
      b.run("risk.plan_treatment", stream,
            {{"option", "modify"},
             {"controls", {"8.7", "8.8", "5.9"}},
             {"actions", "EDR on all servers; disable SMBv1; monthly patch cycle"},
             {"target_likelihood", above ? 4 : 1 + static_cast<int>(rng() % 2)},
             {"target_impact", above ? 3 : 2},
             {"due", day_after(now, 90)}},
            by);
      auto req = b.run("risk.request_acceptance", stream, {{"comment", "Treatment in place"}}, by);
      const std::string approval =
          dom::approval_stream_for(req.back().data.at("approval").at("approval_id").get<std::string>());
      const dom::actor the_owner{owner_of(r), {dom::role::risk_owner}};
      if (rng() % 10 == 0) {
        b.run("approval.reject", approval, {{"comment", "The patch cycle is not yet monthly"}}, the_owner);
      } else {
        b.run("approval.approve", approval, {{"comment", "Residual risk acceptable until the next review"}},
              the_owner);
        if (req.back().data.value("above_appetite", false))
          b.run("approval.approve", approval, {{"comment", "Accepted for the board"}},
                dom::actor{top(static_cast<int>(n % top_managers)), {dom::role::top_management}});
      }
      ++cycles;
    }
    b.drain();
    // Where a server that recorded these events would have left the reaction
    // runner and the notification centre: every reaction run, every
    // notification stored as it was sent.
    for (const char* checkpoint : {"reactions/checkpoint", "centre/checkpoint"})
      if (auto r = (*opened)->put_meta(checkpoint, std::to_string(b.head())); !r)
        history_builder::fail("put_meta: " + r.error().message);
  }
  return cycles;
}

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

struct size_figures {
  std::uint64_t target = 0, events = 0;
  int risks = 0;
  std::size_t cycles = 0;
  double build_s = 0;
  std::uint64_t store_bytes = 0;
  double store_bytes_per_event = 0, export_bytes_per_event = 0;
  double data_bytes_per_event_after = 0;  // the log and the views snapshots, after the run
  double raw_iter_eps = 0, verify_eps = 0;
  double rebuild_s = 0, rebuild_eps = 0, chain_verified_s = -1;
  double restart_s = 0;
  std::uint64_t rss_first_start_kib = 0, rss_after_queries_kib = 0, rss_restart_kib = 0;
  latency_stats list, as_of, diff;
  std::size_t as_of_failed = 0, diff_failed = 0, list_failed = 0;
  double export_eps = 0;
};

json figures_json(const size_figures& f) {
  return {{"events", f.events},
          {"risks", f.risks},
          {"cycles", f.cycles},
          {"build_s", f.build_s},
          {"build_eps", f.build_s > 0 ? f.events / f.build_s : 0},
          {"store_bytes", f.store_bytes},
          {"store_bytes_per_event", f.store_bytes_per_event},
          {"data_bytes_per_event_after", f.data_bytes_per_event_after},
          {"export_bytes_per_event", f.export_bytes_per_event},
          {"store_export_ratio", f.export_bytes_per_event > 0 ? f.store_bytes_per_event / f.export_bytes_per_event : 0},
          {"raw_iter_eps", f.raw_iter_eps},
          {"verify_eps", f.verify_eps},
          {"rebuild_s", f.rebuild_s},
          {"rebuild_eps", f.rebuild_eps},
          {"rebuild_ratio", f.raw_iter_eps > 0 ? f.rebuild_eps / f.raw_iter_eps : 0},
          {"chain_verified_s", f.chain_verified_s},
          {"restart_s", f.restart_s},
          {"rss_first_start_kib", f.rss_first_start_kib},
          {"rss_after_queries_kib", f.rss_after_queries_kib},
          {"rss_restart_kib", f.rss_restart_kib},
          {"list_p50_us", f.list.p50_us},
          {"list_p99_us", f.list.p99_us},
          {"list_failed", f.list_failed},
          {"as_of_count", f.as_of.count},
          {"as_of_p50_us", f.as_of.p50_us},
          {"as_of_p99_us", f.as_of.p99_us},
          {"as_of_failed", f.as_of_failed},
          {"diff_count", f.diff.count},
          {"diff_p50_us", f.diff.p50_us},
          {"diff_max_us", f.diff.p999_us},
          {"diff_failed", f.diff_failed},
          {"export_eps", f.export_eps}};
}

// `count` timed queries built by make(k) on one connection, within `budget`
// (at least one is always sent); a query without an ok reply counts as failed.
latency_stats timed_queries(ws_session& ws, int count, double budget_s, std::size_t& failed,
                            const std::function<json(int)>& make) {
  std::vector<double> lat;
  const auto start = clock_type::now();
  for (int k = 0; k < count && (k == 0 || seconds_since(start) < budget_s); ++k) {
    const auto t0 = clock_type::now();
    auto r = ws.request(make(k), std::chrono::seconds(300));
    const double us = us_since(t0);
    if (!r || !r->value("ok", false)) {
      ++failed;
      if (failed == 1)
        std::fprintf(stderr, "query failed: %s\n", r ? r->dump().substr(0, 300).c_str() : "no reply within 300 s");
      if (!r) break;  // the connection is gone
      continue;
    }
    lat.push_back(us);
  }
  return summarize(lat, seconds_since(start));
}

size_figures measure_size(const fs::path& exe, const fs::path& dir, std::uint64_t target, int risks_opt, int as_of_n,
                          bool build_only) {
  size_figures f;
  f.target = target;
  f.risks = std::max(1, std::min<int>(risks_opt, static_cast<int>(target / 10)));
  const fs::path data = dir / "data";
  {
    auto setup = ismsd_process::start(exe, data, bench_flags());
    if (!setup) std::exit(1);
    register_users(setup->port(), history_users());
    setup->stop();
  }
  auto t = clock_type::now();
  f.cycles = build_history(data, target, f.risks);
  f.build_s = seconds_since(t);
  settle(data);
  {
    auto opened = es::store::open(es::options{}, data);
    if (!opened) history_builder::fail("reopen: " + opened.error().message);
    f.events = (*opened)->current_head().position;
  }
  std::printf("  built %llu events (%d risks, %zu cycles) in %.1f s: %.0f events/s\n",
              static_cast<unsigned long long>(f.events), f.risks, f.cycles, f.build_s, f.events / f.build_s);
  f.store_bytes = directory_bytes(data);
  f.store_bytes_per_event = static_cast<double>(f.store_bytes) / static_cast<double>(f.events);
  f.raw_iter_eps = raw_iteration_rate(data, 2);

  // The chain walked offline by `ismsd verify`.
  t = clock_type::now();
  if (const pid_t pid = ::fork(); pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::execl(exe.c_str(), exe.c_str(), "verify", "--data", data.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  } else {
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) history_builder::fail("ismsd verify failed");
  }
  f.verify_eps = f.events / seconds_since(t);
  if (build_only) return f;

  // First start: the views are folded from the setup's snapshot.
  t = clock_type::now();
  auto server = ismsd_process::start(exe, data, bench_flags());
  if (!server) std::exit(1);
  json health;
  if (!server->wait_healthy(f.events, std::chrono::seconds(3600), &health)) history_builder::fail("never healthy");
  f.rebuild_s = seconds_since(t);
  f.rebuild_eps = f.events / f.rebuild_s;
  f.rss_first_start_kib = server->rss_kib();
  // The background chain verification, from the same start.
  for (;;) {
    auto r = http_call(server->port(), "GET", "/healthz", {}, {}, std::chrono::seconds(30));
    auto j = json::parse(r.body, nullptr, false);
    const std::string state = j.is_object() && j.contains("chain_verification")
                                  ? j["chain_verification"].value("state", "")
                                  : std::string("?");
    if (state != "running") {
      f.chain_verified_s = state == "verified" ? seconds_since(t) : -1;
      break;
    }
    if (seconds_since(t) > 3600) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  auto ws = ws_session::connect(server->port(), must_login(server->port(), mgr(0)));
  if (!ws) history_builder::fail("no WebSocket");
  std::mt19937_64 rng(7);
  f.list = timed_queries(*ws, 30, 60, f.list_failed, [](int) {
    return json{{"op", "query"}, {"view", "risks"}, {"params", {{"limit", 100}}}};
  });
  f.as_of = timed_queries(*ws, as_of_n, 120, f.as_of_failed, [&](int) {
    const std::uint64_t at = 1 + rng() % f.events;
    return json{{"op", "query"}, {"view", "risks"}, {"params", {{"limit", 100}}}, {"as_of", {{"position", at}}}};
  });
  // Between two random points 1,000 events apart: both are folded, the
  // answer stays small (a diff to now of a large register can exceed the
  // reply bound).
  f.diff = timed_queries(*ws, 5, 120, f.diff_failed, [&](int) {
    const std::uint64_t from = 1 + rng() % std::max<std::uint64_t>(1, f.events - 1000);
    return json{{"op", "query"},
                {"view", "risks"},
                {"diff", {{"from", {{"position", from}}}, {"to", {{"position", std::min(f.events, from + 1000)}}}}}};
  });
  f.rss_after_queries_kib = server->rss_kib();

  // The export, as an auditor pages through it.
  const std::string auditor = must_login(server->port(), "hist-auditor");
  std::uint64_t exported_bytes = 0;
  t = clock_type::now();
  for (std::uint64_t from = 1; from <= f.events;) {
    auto r = http_call(server->port(), "GET", "/api/events?from=" + std::to_string(from) + "&limit=10000", {},
                       auditor);
    if (r.status != 200 || r.body.empty()) history_builder::fail("export failed at " + std::to_string(from));
    exported_bytes += r.body.size();
    from += static_cast<std::uint64_t>(std::count(r.body.begin(), r.body.end(), '\n'));
  }
  f.export_eps = f.events / seconds_since(t);
  f.export_bytes_per_event = static_cast<double>(exported_bytes) / static_cast<double>(f.events);
  ws.reset();
  server->stop();

  // Second start, with the snapshot the stop wrote.
  t = clock_type::now();
  auto again = ismsd_process::start(exe, data, bench_flags());
  if (!again) std::exit(1);
  if (!again->wait_healthy(f.events, std::chrono::seconds(3600))) history_builder::fail("never healthy again");
  f.restart_s = seconds_since(t);
  f.rss_restart_kib = again->rss_kib();
  again->stop();
  f.data_bytes_per_event_after =
      static_cast<double>(directory_bytes(data)) / static_cast<double>(std::max<std::uint64_t>(1, f.events));
  return f;
}

void print_size(const size_figures& f, bool build_only) {
  std::printf("  raw RocksDB iteration %.0f ev/s; ismsd verify %.0f ev/s; store %.0f bytes/event\n", f.raw_iter_eps,
              f.verify_eps, f.store_bytes_per_event);
  if (build_only) return;
  std::printf("  store %.0f bytes/event vs export %.0f bytes/event (%.2fx; target <= 2)\n", f.store_bytes_per_event,
              f.export_bytes_per_event, f.store_bytes_per_event / f.export_bytes_per_event);
  std::printf("  first start (full fold) %.2f s: %.0f ev/s = %.3fx raw iteration (target >= 0.1); RSS %.1f MiB; "
              "chain verified after %.1f s\n",
              f.rebuild_s, f.rebuild_eps, f.rebuild_eps / f.raw_iter_eps, f.rss_first_start_kib / 1024.0,
              f.chain_verified_s);
  std::printf("  risks (limit 100) p50 %.1f ms p99 %.1f ms (%zu, %zu failed)\n", f.list.p50_us / 1000,
              f.list.p99_us / 1000, f.list.count, f.list_failed);
  std::printf("  as_of p50 %.1f ms p99 %.1f ms (%zu at random positions, %zu failed; targets 20 / 100 ms)\n",
              f.as_of.p50_us / 1000, f.as_of.p99_us / 1000, f.as_of.count, f.as_of_failed);
  std::printf("  diff p50 %.1f ms max %.1f ms (%zu, %zu failed)\n", f.diff.p50_us / 1000, f.diff.p999_us / 1000,
              f.diff.count, f.diff_failed);
  std::printf("  RSS after the queries %.1f MiB (target <= 512); export %.0f ev/s\n", f.rss_after_queries_kib / 1024.0,
              f.export_eps);
  std::printf("  second start (views snapshot) %.2f s (target <= 2); RSS %.1f MiB\n", f.restart_s,
              f.rss_restart_kib / 1024.0);
  std::printf("  data directory after the run (log and views snapshots) %.0f bytes/event (%.2fx export; target <= 2)\n",
              f.data_bytes_per_event_after, f.data_bytes_per_event_after / f.export_bytes_per_event);
}

void print_table(const std::vector<size_figures>& all) {
  std::printf("\n%-34s", "events");
  for (const auto& f : all) std::printf(" %12llu", static_cast<unsigned long long>(f.events));
  std::printf("\n");
  auto row = [&](const char* name, auto get, const char* fmt) {
    std::printf("%-34s", name);
    for (const auto& f : all) std::printf(fmt, get(f));
    std::printf("\n");
  };
  row("build (s)", [](const size_figures& f) { return f.build_s; }, " %12.1f");
  row("store bytes/event", [](const size_figures& f) { return f.store_bytes_per_event; }, " %12.0f");
  row("data bytes/event after the run", [](const size_figures& f) { return f.data_bytes_per_event_after; },
      " %12.0f");
  row("export bytes/event", [](const size_figures& f) { return f.export_bytes_per_event; }, " %12.0f");
  row("RSS first start (MiB)", [](const size_figures& f) { return f.rss_first_start_kib / 1024.0; }, " %12.1f");
  row("RSS after queries (MiB)", [](const size_figures& f) { return f.rss_after_queries_kib / 1024.0; }, " %12.1f");
  row("RSS second start (MiB)", [](const size_figures& f) { return f.rss_restart_kib / 1024.0; }, " %12.1f");
  row("first start, full fold (s)", [](const size_figures& f) { return f.rebuild_s; }, " %12.2f");
  row("rebuild / raw iteration", [](const size_figures& f) { return f.rebuild_eps / f.raw_iter_eps; }, " %12.3f");
  row("second start, snapshot (s)", [](const size_figures& f) { return f.restart_s; }, " %12.2f");
  row("risks limit 100 p50 (ms)", [](const size_figures& f) { return f.list.p50_us / 1000; }, " %12.1f");
  row("as_of p50 (ms)", [](const size_figures& f) { return f.as_of.p50_us / 1000; }, " %12.1f");
  row("as_of p99 (ms)", [](const size_figures& f) { return f.as_of.p99_us / 1000; }, " %12.1f");
  row("diff p50 (ms)", [](const size_figures& f) { return f.diff.p50_us / 1000; }, " %12.1f");
  row("export (ev/s)", [](const size_figures& f) { return f.export_eps; }, " %12.0f");
  row("ismsd verify (ev/s)", [](const size_figures& f) { return f.verify_eps; }, " %12.0f");
}

}  // namespace

int main(int argc, char** argv) {
  options opt(argc, argv,
              "[--sizes 10000,100000,1000000] [--risks N] [--as-of N] [--dir DIR] [--ismsd PATH] [--keep] "
              "[--build-only]",
              {"keep", "build-only"});
  const auto size_list = opt.list("sizes", {10000, 100000, 1000000});
  const std::vector<std::uint64_t> sizes(size_list.begin(), size_list.end());
  const int risks = static_cast<int>(opt.number("risks", 5000));
  const int as_of_n = static_cast<int>(opt.number("as-of", 50));
  const fs::path base = opt.text("dir", fs::current_path().string());
  const fs::path exe = opt.text("ismsd", default_ismsd().string());
  const bool keep = opt.flag("keep");
  const bool build_only = opt.flag("build-only");
  if (!opt.valid() || risks < 1 || as_of_n < 1) return 2;
  raise_fd_limit();
  const fs::path run = make_run_dir(base, "bench-history");
  const double load_before = loadavg();
  std::printf("bench_history: dir %s, ismsd %s, load %.2f\n", run.c_str(), exe.c_str(), load_before);
  std::vector<size_figures> all;
  json per_size = json::array();
  for (const auto s : sizes) {
    std::printf("size %llu (load %.2f)\n", static_cast<unsigned long long>(s), loadavg());
    std::fflush(stdout);
    const fs::path dir = run / ("size-" + std::to_string(s));
    fs::create_directories(dir);
    all.push_back(measure_size(exe, dir, s, risks, as_of_n, build_only));
    print_size(all.back(), build_only);
    std::fflush(stdout);
    per_size.push_back(figures_json(all.back()));
    if (!keep) fs::remove_all(dir);
  }
  if (!build_only) print_table(all);
  const double load_after = loadavg();
  if (!keep) fs::remove_all(run);
  json out = {{"loadavg_before", load_before}, {"loadavg_after", load_after}, {"sizes", per_size}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
