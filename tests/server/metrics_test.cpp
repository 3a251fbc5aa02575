// GET /metrics: the exposition format (every family with # HELP and # TYPE,
// histograms cumulative up to +Inf = _count), the bounded labels of the
// command counter, and, on a real server, that commands, appends, folds and
// past views are counted exactly once each.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "isms/domain/dispatch.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/health_room.hpp"
#include "isms/server/metrics.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::metrics_test {
namespace {

namespace metrics = server::metrics;

// A /metrics answer read back: every sample in order, and what each family
// declared before its first sample.
struct exposition {
  std::vector<std::pair<std::string, double>> samples;  // "name{labels}" → value, in order
  std::map<std::string, std::string> types;             // family → counter, gauge, histogram
  std::set<std::string> helped;                          // families with # HELP

  [[nodiscard]] double value(const std::string& series, double missing = 0) const {
    for (const auto& [k, v] : samples)
      if (k == series) return v;
    return missing;
  }
  [[nodiscard]] bool has(const std::string& series) const {
    for (const auto& s : samples)
      if (s.first == series) return true;
    return false;
  }
  // The family a sample belongs to: its name, less _bucket, _sum or _count
  // for a histogram.
  [[nodiscard]] std::string family_of(const std::string& series) const {
    const std::string name = series.substr(0, series.find('{'));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.ends_with(s)) {
        const std::string base = name.substr(0, name.size() - s.size());
        if (auto it = types.find(base); it != types.end() && it->second == "histogram") return base;
      }
    }
    return name;
  }
  // Every sample of a labelled family, by series.
  [[nodiscard]] std::map<std::string, double> series_of(const std::string& name) const {
    std::map<std::string, double> out;
    for (const auto& [k, v] : samples)
      if (k.starts_with(name + "{")) out[k] = v;
    return out;
  }
};

// Parses the text format, failing the test on a line that breaks it: a
// sample before its family's # TYPE, a family without # HELP, a series twice.
exposition parse(const std::string& body) {
  exposition e;
  std::set<std::string> seen;
  std::size_t at = 0;
  while (at < body.size()) {
    const auto end = body.find('\n', at);
    EXPECT_NE(end, std::string::npos) << "the answer does not end with a line feed";
    const std::string line = body.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? body.size() : end + 1;
    if (line.starts_with("# HELP ")) {
      const std::string rest = line.substr(7);
      e.helped.insert(rest.substr(0, rest.find(' ')));
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      const std::string rest = line.substr(7);
      const std::string name = rest.substr(0, rest.find(' '));
      EXPECT_TRUE(e.helped.contains(name)) << name << ": # TYPE without # HELP before it";
      EXPECT_FALSE(e.types.contains(name)) << name << " declared twice";
      e.types[name] = rest.substr(rest.find(' ') + 1);
      continue;
    }
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos) continue;
    const std::string series = line.substr(0, space);
    const std::string value = line.substr(space + 1);
    const double v = value == "+Inf" ? HUGE_VAL : std::stod(value);
    EXPECT_TRUE(seen.insert(series).second) << series << " appears twice";
    const std::string family = e.family_of(series);
    EXPECT_TRUE(e.types.contains(family)) << series << ": no # TYPE before it";
    EXPECT_TRUE(e.helped.contains(family)) << series << ": no # HELP before it";
    e.samples.emplace_back(series, v);
  }
  return e;
}

// Checks a histogram family: buckets in order, cumulative (non-decreasing),
// ending with le="+Inf" equal to _count. Returns _count.
double check_histogram(const exposition& e, const std::string& name) {
  EXPECT_EQ(e.types.count(name) ? e.types.at(name) : "", "histogram") << name;
  std::vector<std::pair<std::string, double>> buckets;
  for (const auto& [k, v] : e.samples)
    if (k.starts_with(name + "_bucket{le=\"")) buckets.emplace_back(k, v);
  EXPECT_GE(buckets.size(), 1u) << name;
  if (buckets.empty()) return -1;
  for (std::size_t i = 1; i < buckets.size(); ++i)
    EXPECT_LE(buckets[i - 1].second, buckets[i].second) << name << ": " << buckets[i].first << " below the bucket before";
  EXPECT_EQ(buckets.back().first, name + "_bucket{le=\"+Inf\"}");
  EXPECT_TRUE(e.has(name + "_sum")) << name;
  EXPECT_TRUE(e.has(name + "_count")) << name;
  const double count = e.value(name + "_count", -1);
  EXPECT_EQ(buckets.back().second, count) << name << ": +Inf bucket differs from _count";
  return count;
}

std::string command_series(const std::string& type, const std::string& outcome) {
  return "ismsd_commands_total{type=\"" + type + "\",outcome=\"" + outcome + "\"}";
}

// ----------------------------------------------------------------- rendering

TEST(metrics, a_histogram_counts_each_value_in_the_first_bucket_at_or_above_it) {
  const double bounds[] = {0.5, 1};
  metrics::histogram h(bounds);
  h.observe(0.25);
  h.observe(0.5);  // a bound is inclusive: le="0.5"
  h.observe(2);
  const auto s = h.snapshot();
  EXPECT_EQ(s.upper_bounds, (std::vector<double>{0.5, 1}));
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{2, 0, 1}));
  EXPECT_EQ(s.sum, 2.75);

  std::string out;
  metrics::write_histogram(out, "x_seconds", "How long x took.", s);
  EXPECT_EQ(out,
            "# HELP x_seconds How long x took.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"0.5\"} 2\n"
            "x_seconds_bucket{le=\"1\"} 2\n"
            "x_seconds_bucket{le=\"+Inf\"} 3\n"
            "x_seconds_sum 2.75\n"
            "x_seconds_count 3\n");
}

TEST(metrics, label_values_and_help_are_escaped) {
  std::string out;
  metrics::write_header(out, "x_total", "counter", "a \\ and\na new line");
  const metrics::label l[] = {{"type", "a\"b\\c\nd"}};
  metrics::write_sample(out, "x_total", l, std::uint64_t{1});
  EXPECT_EQ(out,
            "# HELP x_total a \\\\ and\\na new line\n"
            "# TYPE x_total counter\n"
            "x_total{type=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(metrics::format_number(0.001), "0.001");
  EXPECT_EQ(metrics::format_number(0.0005), "0.0005");
  EXPECT_EQ(metrics::format_number(0.00001), "0.00001");
  EXPECT_EQ(metrics::format_number(5), "5");
  EXPECT_EQ(metrics::format_number(4096), "4096");
}

TEST(metrics, command_labels_stay_within_the_domains_types_and_the_wire_codes) {
  server::command_tally tally;
  server::command_outcome ok;
  ok.ok = true;
  server::command_outcome odd;
  odd.error_code = "something_new";
  // Every declared type has a row of its own; anything else shares "other".
  for (const auto type : domain::command_types()) tally.record(tally.type_index(type), ok, {});
  for (int i = 0; i < 500; ++i) tally.record(tally.type_index("made.up." + std::to_string(i)), ok, {});
  tally.record(tally.type_index("risk.assess"), odd, {});

  const auto f = tally.figures();
  std::map<std::string, std::uint64_t> by;
  for (const auto& l : f.answered) by[std::string(l.type) + "|" + std::string(l.outcome)] = l.count;
  EXPECT_EQ(by.size(), domain::command_types().size() + 2);
  for (const auto type : domain::command_types()) EXPECT_EQ(by[std::string(type) + "|ok"], 1u) << type;
  EXPECT_EQ(by["other|ok"], 500u);
  EXPECT_EQ(by["risk.assess|other"], 1u);
  std::uint64_t observed = 0;
  for (auto c : f.seconds.counts) observed += c;
  EXPECT_EQ(observed, domain::command_types().size() + 501);
}

TEST(metrics, every_metric_of_the_answer_has_help_and_type_and_histograms_are_cumulative) {
  server::server_figures f;
  f.head.position = 10;
  f.views.position = 7;
  f.reactions_position = 4;
  f.verification.verified.position = 3;
  f.verification.target_position = 12;
  f.store_stats.append_seconds = {{0.001, 0.01}, {3, 1, 2}, 0.5};
  f.store_stats.group_events = {{1, 2, 4}, {2, 1, 1, 0}, 8};
  f.store_stats.queued_appends = 5;
  f.worker_queue = 2;
  f.commands.answered = {{"risk.assess", "ok", 4}, {"other", "bad_request", 1}};
  f.commands.seconds = {{0.001, 1}, {1, 3, 1}, 0.8};
  const auto e = parse(server::metrics_answer(f).body);

  EXPECT_EQ(e.value("ismsd_views_lag_events", -1), 3);
  EXPECT_EQ(e.value("ismsd_reactions_lag_events", -1), 6);
  EXPECT_EQ(e.value("ismsd_chain_verification_progress_ratio", -1), 0.25);
  EXPECT_EQ(e.value("ismsd_store_queue_depth", -1), 5);
  EXPECT_EQ(e.value("ismsd_worker_queue_depth", -1), 2);
  EXPECT_EQ(e.value(command_series("risk.assess", "ok"), -1), 4);
  EXPECT_EQ(e.value(command_series("other", "bad_request"), -1), 1);
  EXPECT_EQ(e.types.at("ismsd_commands_total"), "counter");
  EXPECT_EQ(check_histogram(e, "ismsd_command_seconds"), 5);
  EXPECT_EQ(check_histogram(e, "ismsd_store_append_seconds"), 6);
  EXPECT_EQ(e.value("ismsd_store_append_seconds_bucket{le=\"0.01\"}", -1), 4);
  EXPECT_EQ(check_histogram(e, "ismsd_store_group_commit_events"), 4);
  EXPECT_EQ(e.value("ismsd_store_group_commit_events_sum", -1), 8);
  EXPECT_EQ(check_histogram(e, "ismsd_views_fold_seconds"), 0);
  EXPECT_EQ(check_histogram(e, "ismsd_views_as_of_seconds"), 0);

  // Done, or nothing to verify yet: 1.
  f.verification.verified.position = 12;
  EXPECT_EQ(parse(server::metrics_answer(f).body).value("ismsd_chain_verification_progress_ratio", -1), 1);
  f.verification = {};
  EXPECT_EQ(parse(server::metrics_answer(f).body).value("ismsd_chain_verification_progress_ratio", -1), 1);
}

// ------------------------------------------------------------ a real server

exposition scrape(test_server& srv) {
  const auto r = http_call(srv.port(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parse(r.body);
}

std::string error_code(const std::optional<json>& reply) {
  if (!reply || !reply->contains("error")) return "<no error>";
  return (*reply)["error"].value("code", "");
}

// Commands on one risk, one after another: what the server folded to decide
// them, and the register they leave.
struct one_risk_run {
  double events_folded = 0;
  json risk;  // the register's row
};

one_risk_run assess_one_risk_again_and_again(std::size_t state_cache_streams, int times) {
  test_server srv([&](server::server_config& c) { c.ledger.pipeline.state_cache_streams = state_cache_streams; });
  const std::string token = srv.add_user("manager", {"isms_manager"});
  srv.add_user("owner", {"risk_owner"});
  auto manager = connect_as(srv, token);
  EXPECT_TRUE(manager);
  if (!manager) return {};
  srv.app().settle();
  const double before = scrape(srv).value("ismsd_command_events_folded_total", -1);
  EXPECT_GE(before, 0) << "ismsd_command_events_folded_total is not reported";
  EXPECT_TRUE(ok(manager->command("risk.identify", "risk-R-1", identify_data("owner"))));
  for (int i = 0; i < times; ++i) {
    auto r = manager->command(
        "risk.assess", "risk-R-1",
        {{"likelihood", 1 + i % 5}, {"impact", 1 + (i / 5) % 5}, {"rationale", "round " + std::to_string(i)}});
    EXPECT_TRUE(ok(r)) << r.value_or(json()).dump();
  }
  one_risk_run out;
  out.events_folded = scrape(srv).value("ismsd_command_events_folded_total") - before;
  auto risks = manager->query("risks");
  EXPECT_TRUE(ok(risks)) << risks.value_or(json()).dump();
  if (ok(risks)) out.risk = (*risks)["result"]["data"]["risks"].at(0);
  return out;
}

TEST(metrics_on_a_server, a_stream_commanded_again_folds_only_what_it_gained_since) {
  constexpr int times = 30;
  const auto cached = assess_one_risk_again_and_again(4096, times);
  const auto uncached = assess_one_risk_again_and_again(0, times);
  // With the folded state kept, each command folds the event its
  // predecessor recorded: one per command. Without, the whole stream each
  // time: 0 + 1 + … + times.
  EXPECT_EQ(cached.events_folded, times);
  EXPECT_EQ(uncached.events_folded, times * (times + 1) / 2);
  // And both decided alike.
  ASSERT_FALSE(cached.risk.is_null());
  EXPECT_EQ(cached.risk, uncached.risk);
  EXPECT_EQ(cached.risk["inherent"].value("likelihood", 0), 1 + (times - 1) % 5) << cached.risk.dump();
  EXPECT_EQ(cached.risk["inherent"].value("impact", 0), 1 + ((times - 1) / 5) % 5) << cached.risk.dump();
}

TEST(metrics_on_a_server, commands_are_counted_by_type_and_outcome_and_timed_once_each) {
  test_server srv;
  const std::string token = srv.add_user("manager", {"isms_manager"});
  srv.add_user("owner", {"risk_owner"});
  auto manager = connect_as(srv, token);
  ASSERT_TRUE(manager);
  srv.app().settle();
  const exposition before = scrape(srv);

  // One recorded, the same again (a duplicate of the first), and one the
  // risk's rules refuse (it is already identified).
  auto first = manager->command("risk.identify", "risk-R-1", identify_data("owner"), std::nullopt, "cmd-metrics-1");
  ASSERT_TRUE(ok(first)) << first.value_or(json()).dump();
  auto again = manager->command("risk.identify", "risk-R-1", identify_data("owner"), std::nullopt, "cmd-metrics-1");
  ASSERT_TRUE(ok(again)) << again.value_or(json()).dump();
  EXPECT_EQ((*again)["result"].value("duplicate", false), true);
  auto refused = manager->command("risk.identify", "risk-R-1", identify_data("owner"), std::nullopt, "cmd-metrics-2");
  EXPECT_EQ(error_code(refused), "rejected") << refused.value_or(json()).dump();
  // A look at the register as it stood before the risk: one past view.
  const std::uint64_t before_risk = (*first)["result"]["position"].get<std::uint64_t>() - 1;
  auto past = manager->query("risks", json::object(), json{{"position", before_risk}});
  ASSERT_TRUE(ok(past)) << past.value_or(json()).dump();
  srv.app().settle();
  const exposition after = scrape(srv);

  // Exactly these three, under their type and outcome.
  std::map<std::string, double> grew;
  for (const auto& [series, v] : after.series_of("ismsd_commands_total"))
    if (const double d = v - before.value(series); d != 0) grew[series] = d;
  EXPECT_EQ(grew, (std::map<std::string, double>{{command_series("risk.identify", "ok"), 1},
                                                 {command_series("risk.identify", "duplicate"), 1},
                                                 {command_series("risk.identify", "rejected"), 1}}));

  // One observation per command answered, since start and in between.
  double commands = 0;
  for (const auto& [series, v] : after.series_of("ismsd_commands_total")) commands += v;
  EXPECT_EQ(check_histogram(after, "ismsd_command_seconds"), commands);
  EXPECT_EQ(check_histogram(after, "ismsd_command_seconds") - check_histogram(before, "ismsd_command_seconds"), 3);
  EXPECT_GT(after.value("ismsd_command_seconds_sum"), before.value("ismsd_command_seconds_sum"));

  // Only the first wrote: one append, in one group commit of one event,
  // folded once; the past view answered once.
  EXPECT_EQ(check_histogram(after, "ismsd_store_append_seconds") - check_histogram(before, "ismsd_store_append_seconds"),
            1);
  EXPECT_EQ(check_histogram(after, "ismsd_store_group_commit_events") -
                check_histogram(before, "ismsd_store_group_commit_events"),
            1);
  EXPECT_EQ(after.value("ismsd_store_group_commit_events_sum") - before.value("ismsd_store_group_commit_events_sum"),
            1);
  EXPECT_EQ(check_histogram(after, "ismsd_views_fold_seconds") - check_histogram(before, "ismsd_views_fold_seconds"), 1);
  EXPECT_EQ(check_histogram(after, "ismsd_views_as_of_seconds") - check_histogram(before, "ismsd_views_as_of_seconds"),
            1);
  // The log's head equals the number of events folded since start (none
  // were restored from a snapshot), and everything has caught up.
  EXPECT_EQ(check_histogram(after, "ismsd_views_fold_seconds"), after.value("ismsd_log_head_position"));
  EXPECT_EQ(after.value("ismsd_views_lag_events", -1), 0);
  EXPECT_EQ(after.value("ismsd_reactions_lag_events", -1), 0);
  EXPECT_EQ(after.value("ismsd_store_queue_depth", -1), 0);
  EXPECT_TRUE(after.has("ismsd_worker_queue_depth"));
}

}  // namespace
}  // namespace isms::testing::metrics_test
