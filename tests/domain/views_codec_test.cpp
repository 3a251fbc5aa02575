// The snapshot codec, the structural diff, and the fold's handling of events
// it cannot read.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <string>
#include <vector>

#include "diff_testing.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/user.hpp"
#include "isms/domain/views/views.hpp"
#include "../../domain/src/views/binary_codec.hpp"

namespace isms::domain::views::views_codec_test {
namespace {

template <class T>
std::string binary_of(const T& value) {
  binary::writer w;
  binary::put(w, value);
  return std::move(w).take();
}

date day(std::string_view s) { return parse_date(s).value(); }

recorded_event event_at(std::uint64_t position, std::string stream, std::uint64_t version, const new_event& e,
                        std::string actor = "mia") {
  recorded_event r;
  r.position = position;
  r.stream = std::move(stream);
  r.version = version;
  r.type = e.type;
  r.data = e.data;
  r.meta.actor = std::move(actor);
  r.meta.recorded_at = parse_instant("2026-03-02T09:00:00.000Z").value() + std::chrono::minutes(position);
  r.meta.comment = "why " + std::to_string(position);
  return r;
}

std::vector<recorded_event> sample_log() {
  std::vector<recorded_event> log;
  std::uint64_t p = 0;
  const auto add = [&](const std::string& stream, std::uint64_t version, const new_event& e) {
    log.push_back(event_at(++p, stream, version, e));
  };
  add("user-olga", 1, user::encode(user::registered{"Olga", "o@example.org", {role::risk_owner}}));
  add("risk-R-1", 1, risk::encode(risk::identified{"Theft", "d", "laptops", "theft", "no lock", "olga", "it"}));
  add("risk-R-1", 2, risk::encode(risk::assessed{4, 4, 16, "high", false, "r", 0, false}));
  add("risk-R-1", 3, risk::encode(risk::treatment_planned{risk::treatment_option::modify, {"8.1"}, "encrypt", 2, 2,
                                                          4, "low", true, day("2026-06-30")}));
  add("soa-main", 1, soa::encode(soa::control_decided{"8.1", true, "laptops", {"R-1"}}));
  add("scope-main", 1, scope::encode(scope::statement_set{{"HQ", {"IT"}, {{"canteen", "no data"}}, "cloud"}}));
  add("scope-main", 2, scope::encode(scope::issue_added{{"I-1", scope::issue_kind::external, "law"}}));
  add("nc-NC-1", 1, nonconformity::encode(nonconformity::raised{"NC-1", nonconformity::source::incident, "8.1",
                                                                nonconformity::severity::major, "lost laptop",
                                                                day("2026-03-01"), "mia", "", "", ""}));
  add("nc-NC-1", 2, nonconformity::encode(nonconformity::action_planned{"A1", "encrypt", "olga", day("2026-04-01")}));
  return log;
}

all_views fold(const std::vector<recorded_event>& log, std::size_t upto = SIZE_MAX) {
  all_views v = initial_views();
  for (std::size_t i = 0; i < log.size() && i < upto; ++i) v = evolve(std::move(v), log[i]);
  return v;
}

TEST(Snapshot, RoundTripsExactlyThroughItsJsonText) {
  const all_views v = fold(sample_log());
  const json s = snapshot(v);
  const auto back = restore_snapshot(json::parse(s.dump()));
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_TRUE(*back == v);
  EXPECT_EQ(snapshot(*back), s);
  EXPECT_EQ(back->position, 9u);
  EXPECT_EQ(back->as_of, v.as_of);
}

TEST(Snapshot, PlusTheTailEqualsTheFullFold) {
  const auto log = sample_log();
  const all_views full = fold(log);
  for (std::size_t k = 0; k <= log.size(); ++k) {
    auto restored = restore_snapshot(json::parse(snapshot(fold(log, k)).dump()));
    ASSERT_TRUE(restored.has_value()) << restored.error();
    all_views v = std::move(*restored);
    for (std::size_t i = k; i < log.size(); ++i) v = evolve(std::move(v), log[i]);
    EXPECT_TRUE(v == full) << "snapshot at " << k;
  }
}

TEST(Snapshot, RestoreRefusesAnotherFormatOrAMalformedDocument) {
  json s = snapshot(fold(sample_log()));
  json other = s;
  other["format"] = 99;
  ASSERT_FALSE(restore_snapshot(other));
  EXPECT_NE(restore_snapshot(other).error().find("format"), std::string::npos);
  json broken = s;
  broken["risks"]["risks"]["R-1"]["inherent"] = "high";
  ASSERT_FALSE(restore_snapshot(broken));
  EXPECT_NE(restore_snapshot(broken).error().find("risks"), std::string::npos);
  json missing = s;
  missing.erase("users");
  ASSERT_FALSE(restore_snapshot(missing));
  EXPECT_NE(restore_snapshot(missing).error().find("users"), std::string::npos);
  EXPECT_FALSE(restore_snapshot(json::array()));
}

// The binary snapshot (what the server stores): the same views back.
TEST(BinarySnapshot, RoundTripsExactly) {
  const auto log = sample_log();
  const all_views full = fold(log);
  for (std::size_t k = 0; k <= log.size(); ++k) {
    const all_views at_k = fold(log, k);
    const std::string bytes = encode_snapshot(at_k);
    ASSERT_TRUE(is_binary_snapshot(bytes));
    auto back = decode_snapshot(bytes);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_TRUE(*back == at_k) << "at " << k;
    EXPECT_EQ(snapshot(*back), snapshot(at_k)) << "at " << k;
    all_views v = std::move(*back);
    for (std::size_t i = k; i < log.size(); ++i) v = evolve(std::move(v), log[i]);
    EXPECT_TRUE(v == full) << "snapshot at " << k;
  }
  // Neither a JSON text nor its MessagePack is taken for one.
  EXPECT_FALSE(is_binary_snapshot(snapshot(full).dump()));
  const auto packed = json::to_msgpack(snapshot(full));
  EXPECT_FALSE(is_binary_snapshot(std::string(packed.begin(), packed.end())));
}

TEST(BinarySnapshot, RefusesEveryTruncationAndTrailingBytes) {
  const std::string bytes = encode_snapshot(fold(sample_log()));
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_snapshot(std::string_view(bytes).substr(0, n))) << "the first " << n << " bytes";
  const auto longer = decode_snapshot(bytes + "x");
  ASSERT_FALSE(longer);
  EXPECT_NE(longer.error().find("after the last view"), std::string::npos) << longer.error();
}

TEST(BinarySnapshot, SurvivesAnyDamagedByte) {
  // Each byte in turn replaced: refused, or read as some views, never a
  // read past the end (the sanitizer build runs this too).
  // A damaged header (tag, format, layout) is always refused.
  const std::string bytes = encode_snapshot(fold(sample_log()));
  const std::size_t header = bytes.find("views") + 5 + 1 + 8;
  std::size_t refused = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (unsigned char with : {0x00, 0x7f, 0xff}) {
      std::string damaged = bytes;
      if (static_cast<unsigned char>(damaged[i]) == with) continue;
      damaged[i] = static_cast<char>(with);
      const bool ok = decode_snapshot(damaged).has_value();
      if (!ok) ++refused;
      EXPECT_TRUE(i >= header || !ok) << "damaged header byte " << i << " was accepted";
    }
  EXPECT_GT(refused, header);
}

TEST(BinarySnapshot, RefusesAnotherLayoutAndCountsLargerThanTheInput) {
  const std::string bytes = encode_snapshot(fold(sample_log()));
  // The layout's fingerprint follows the magic and the format (one byte).
  const std::size_t fingerprint_at = bytes.find("views") + 5 + 1;
  std::string other = bytes;
  other[fingerprint_at] = static_cast<char>(other[fingerprint_at] ^ 0x01);
  const auto refused = decode_snapshot(other);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("layout"), std::string::npos) << refused.error();

  // Empty views: header, position 0, as_of 0, skipped 0, then the count of
  // the skipped events kept. A count of 2^40 must fail, not allocate.
  std::string empty = encode_snapshot(all_views{});
  const std::size_t count_at = fingerprint_at + 8 + 3;
  ASSERT_EQ(empty[count_at], '\0');
  binary::writer huge;
  huge.varint(std::uint64_t{1} << 40);
  empty.replace(count_at, 1, std::move(huge).take());
  const auto too_many = decode_snapshot(empty);
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().find("exceeds the bytes left"), std::string::npos) << too_many.error();
}

// A snapshot is one section per view: a reader restores the views it needs
// and steps over the others' bytes without reading them.
TEST(BinarySnapshot, RestoresOnlyTheViewsAskedFor) {
  const all_views full = fold(sample_log());
  ASSERT_FALSE(full.risks.risks.empty());
  ASSERT_FALSE(full.users.users.empty());
  const std::string bytes = encode_snapshot(full);
  const view_set only{stored_view::risks, stored_view::soa};
  auto part = decode_snapshot(bytes, only);
  ASSERT_TRUE(part.has_value()) << part.error();
  EXPECT_TRUE(part->held == only);
  EXPECT_EQ(part->position, full.position);
  EXPECT_TRUE(part->risks == full.risks);
  EXPECT_TRUE(part->soa == full.soa);
  EXPECT_TRUE(part->users == users_view{}) << "a view not asked for stays empty";
  EXPECT_TRUE(part->approvals == approvals_view{});
  EXPECT_TRUE(part->activity == activity_view{});
  // Damage inside the users' section goes unnoticed by a reader that skips
  // it, and is refused, naming the view, by one that reads it.
  const std::string users_bytes = binary_of(full.users);
  const std::size_t users_at = bytes.rfind(users_bytes);
  ASSERT_NE(users_at, std::string::npos);
  ASSERT_GE(users_at, 8u);
  ASSERT_EQ(bytes.substr(users_at - 8, 8), [&] {
    binary::writer w;
    w.fixed64(users_bytes.size());
    return std::move(w).take();
  }()) << "the users' section, after its length";
  std::string damaged = bytes;
  damaged.replace(users_at, 1, 1, static_cast<char>(0xff));
  damaged.replace(users_at + 1, 9, 9, static_cast<char>(0xff));
  EXPECT_TRUE(decode_snapshot(damaged, only).has_value());
  const auto whole = decode_snapshot(damaged);
  ASSERT_FALSE(whole);
  EXPECT_NE(whole.error().find("users"), std::string::npos) << whole.error();
  // A section longer than what is left is refused by a reader that reads
  // up to it; one that stops at the last section it asked for never looks.
  std::string longer = bytes;
  longer.replace(users_at - 8, 8, 8, static_cast<char>(0x7f));
  EXPECT_TRUE(decode_snapshot(longer, only).has_value());
  ASSERT_FALSE(decode_snapshot(longer));
  EXPECT_NE(decode_snapshot(longer).error().find("exceeds the bytes left"), std::string::npos);
  const std::size_t soa_at = bytes.find(binary_of(full.soa), bytes.find(binary_of(full.risks)) + 1);
  ASSERT_NE(soa_at, std::string::npos);
  std::string longer_soa = bytes;
  longer_soa.replace(soa_at - 8, 8, 8, static_cast<char>(0x7f));
  ASSERT_FALSE(decode_snapshot(longer_soa, only));
  EXPECT_NE(decode_snapshot(longer_soa, only).error().find("exceeds the bytes left"), std::string::npos);
}

// A query that reads only the first sections needs only the snapshot's
// leading bytes: snapshot_bytes_for says how many, from any prefix that
// shows it, and those bytes restore the same views as the whole snapshot.
TEST(BinarySnapshot, TheLeadingBytesOfTheSectionsAskedForRestoreThem) {
  const all_views full = fold(sample_log());
  const std::string bytes = encode_snapshot(full);
  for (const view_set only : {view_set{stored_view::risks}, view_set{stored_view::risks, stored_view::soa},
                              views_read_by("users"), views_read_by("activity"), view_set{}}) {
    const auto from_all = decode_snapshot(bytes, only);
    ASSERT_TRUE(from_all) << from_all.error();
    std::optional<std::size_t> first_known;
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
      const auto needed = snapshot_bytes_for(std::string_view(bytes).substr(0, n), only);
      if (!needed) {
        EXPECT_FALSE(first_known) << "known at " << *first_known << ", unknown again at " << n;
        continue;
      }
      if (!first_known) first_known = n;
      ASSERT_LE(*needed, bytes.size());
      const auto from_prefix = decode_snapshot(std::string_view(bytes).substr(0, *needed), only);
      ASSERT_TRUE(from_prefix) << from_prefix.error();
      EXPECT_TRUE(*from_prefix == *from_all);
      if (*needed > 0 && !only.whole()) {
        EXPECT_FALSE(decode_snapshot(std::string_view(bytes).substr(0, *needed - 1), only));
      }
    }
    EXPECT_TRUE(first_known) << "the whole snapshot shows where its sections end";
  }
  // The risk register is the first section: the register alone is a strict prefix.
  EXPECT_LT(*snapshot_bytes_for(bytes, view_set{stored_view::risks}), bytes.size());
  EXPECT_EQ(*snapshot_bytes_for(bytes, view_set::every()), bytes.size());
  EXPECT_FALSE(snapshot_bytes_for("not a snapshot", view_set{stored_view::risks}));
}

// Snapshots written before the sections (format 1: the views one after the
// other) still restore, whole, whatever is asked for.
TEST(BinarySnapshot, ReadsTheFormatWithoutSections) {
  const all_views full = fold(sample_log());
  ASSERT_TRUE(full.skipped_recent.empty());
  const std::string bytes = encode_snapshot(full);
  // Header: tag, format, fingerprint, position, as_of, skipped, the count of
  // skipped events kept; then fifteen sections, each a fixed64 length and
  // the view.
  const std::size_t format_at = bytes.find("views") + 5;
  ASSERT_EQ(bytes[format_at], '\x02');
  binary::writer header;
  header.varint(full.position);
  header.varint(binary::zigzag(full.as_of.time_since_epoch().count()));
  header.varint(0);
  header.varint(0);
  std::size_t at = format_at + 1 + 8 + header.size();
  std::string old = bytes.substr(0, at);
  old[format_at] = '\x01';
  for (int view = 0; view < 15; ++view) {
    ASSERT_LE(at + 8, bytes.size());
    std::uint64_t length = 0;
    for (int i = 0; i < 8; ++i) length |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
    old += bytes.substr(at + 8, length);
    at += 8 + length;
  }
  ASSERT_EQ(at, bytes.size());
  auto back = decode_snapshot(old, view_set{stored_view::risks});
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_TRUE(back->held.whole());
  EXPECT_TRUE(*back == full);
}

struct layout_a {
  std::string x;
  int y = 0;
};
ISMS_VIEW_FIELDS(layout_a, x, y)
struct layout_added {
  std::string x;
  int y = 0;
  std::string z;
};
ISMS_VIEW_FIELDS(layout_added, x, y, z)
struct layout_retyped {
  std::string x;
  std::uint64_t y = 0;
};
ISMS_VIEW_FIELDS(layout_retyped, x, y)
struct layout_renamed {
  std::string x;
  int w = 0;
};
ISMS_VIEW_FIELDS(layout_renamed, x, w)

TEST(BinarySnapshot, TheLayoutFingerprintFollowsEveryFieldsNameAndType) {
  const auto a = binary::layout_fingerprint<layout_a>();
  EXPECT_EQ(a, binary::layout_fingerprint<layout_a>());
  EXPECT_NE(a, binary::layout_fingerprint<layout_added>());
  EXPECT_NE(a, binary::layout_fingerprint<layout_retyped>());
  EXPECT_NE(a, binary::layout_fingerprint<layout_renamed>());
  using list = std::vector<layout_a>;
  using by_name = std::map<std::string, layout_a>;
  EXPECT_NE(binary::layout_fingerprint<list>(), binary::layout_fingerprint<by_name>());
}

TEST(BinarySnapshot, JsonValuesKeepTheirKindAndRefuseDeepNesting) {
  const json j = json::parse(R"({"a":[1,-2,3.5,"x",null,true,false,{"b":{}}],"big":18446744073709551615,
                                 "min":-9223372036854775808})");
  binary::writer w;
  binary::put(w, j);
  const std::string bytes = std::move(w).take();
  binary::reader r(bytes);
  json back;
  binary::get(r, back);
  ASSERT_FALSE(r.failed()) << r.error();
  EXPECT_EQ(back, j);
  EXPECT_EQ(back.dump(), j.dump());

  json deep = json::array();
  for (int i = 0; i < binary::max_json_depth + 10; ++i) deep = json::array({std::move(deep)});
  binary::writer dw;
  binary::put(dw, deep);
  const std::string deep_bytes = std::move(dw).take();
  binary::reader dr(deep_bytes);
  json ignored;
  binary::get(dr, ignored);
  EXPECT_TRUE(dr.failed());
}

// What an approval binds is kept as JSON text: written and read as one
// string, the same value in JSON, and refused when the bytes hold text that
// is not JSON.
TEST(BinarySnapshot, JsonTextRoundTripsAndRefusesTextThatIsNotJson) {
  const json content = json::parse(R"({"title":"Theft","score":16,"controls":["8.1"],"ratio":0.5,"owner":null})");
  const json_text t(content);
  EXPECT_EQ(t.value(), content);
  EXPECT_EQ(t.value().dump(), content.dump());
  EXPECT_TRUE(json_text{}.is_null());
  EXPECT_EQ(json(t), content);
  EXPECT_EQ(json(t).get<json_text>(), t);

  binary::writer w;
  binary::put(w, t);
  const std::string bytes = std::move(w).take();
  binary::reader r(bytes);
  json_text back;
  binary::get(r, back);
  ASSERT_FALSE(r.failed()) << r.error();
  EXPECT_EQ(back, t);

  std::string damaged = bytes;
  damaged[damaged.find('{')] = 'x';
  binary::reader dr(damaged);
  json_text ignored;
  binary::get(dr, ignored);
  EXPECT_TRUE(dr.failed());
  EXPECT_FALSE(json_text::from_text("{\"a\":"));
  EXPECT_TRUE(json_text::from_text("{\"a\":1}"));
}

TEST(Fold, SkipsAndCountsEventsItCannotReadAndNeverCrashes) {
  auto log = sample_log();
  std::vector<recorded_event> noisy, renumbered;
  std::uint64_t p = 0;
  const auto bad = [&](std::string stream, std::string type, json data) {
    recorded_event r = event_at(++p, std::move(stream), 1, new_event{std::move(type), std::move(data)});
    noisy.push_back(std::move(r));
  };
  for (auto e : log) {
    e.position = ++p;
    noisy.push_back(e);
    renumbered.push_back(e);
    bad("risk-R-1", "risk.assessed.v1", {{"likelihood", "four"}});    // malformed
    bad("risk-R-9", "risk.teleported.v1", json::object());             // unknown type
    bad("document-D", "risk.identified.v1", log[1].data);              // the wrong stream
    bad("x", "nonsense", nullptr);                                     // not even a type
    bad("risk-R-1", "risk.identified.v1", json::array({1, 2}));        // data not an object
  }
  const all_views v = fold(noisy);
  const all_views clean = fold(renumbered);
  EXPECT_EQ(v.skipped, 5 * log.size());
  EXPECT_EQ(v.skipped_recent.size(), skipped_kept);
  EXPECT_EQ(v.skipped_recent.back().type, "risk.identified.v1");
  EXPECT_FALSE(v.skipped_recent.back().reason.empty());
  // Apart from the counters and the feed, the views are those of the clean log.
  EXPECT_TRUE(v.risks == clean.risks);
  EXPECT_TRUE(v.nonconformities == clean.nonconformities);
  EXPECT_TRUE(v.scope == clean.scope);
}

// A fold that knows where it ends builds only the activity lines the feed
// keeps: the same views as the fold that builds every line.
TEST(Fold, SkippingTheActivityLinesTheFeedDropsChangesNothing) {
  auto log = sample_log();
  for (std::uint64_t version = 4; log.size() < activity_capacity + 300; ++version) {
    const int likelihood = 1 + static_cast<int>(version % 4);
    log.push_back(event_at(log.size() + 1, "risk-R-1", version,
                           risk::encode(risk::assessed{likelihood, 2, likelihood * 2, "low", true,
                                                       "round " + std::to_string(version), 0, true})));
  }
  const all_views every_line = fold(log);
  ASSERT_EQ(every_line.activity.lines.size(), activity_capacity);
  const auto fold_from = [&](std::uint64_t from) {
    all_views v = initial_views();
    v.activity_from = from;
    for (const auto& e : log) v = evolve(std::move(v), e);
    v.activity_from = 0;
    return v;
  };
  const std::uint64_t n = log.size();
  EXPECT_TRUE(fold_from(n - activity_capacity + 1) == every_line);
  // One line later, and the feed misses its oldest line.
  const all_views short_one = fold_from(n - activity_capacity + 2);
  EXPECT_EQ(short_one.activity.lines.size(), activity_capacity - 1);
  EXPECT_FALSE(short_one == every_line);
}

TEST(Fold, AReplayedEventChangesNothing) {
  const auto log = sample_log();
  const all_views v = fold(log);
  EXPECT_TRUE(evolve(v, log[3]) == v);
  EXPECT_TRUE(evolve(v, log.back()) == v);
}

// ---- diff --------------------------------------------------------------------------

TEST(Diff, MatchesEntitiesByIdAndNamesEachChangedField) {
  const json before = {{"risks", {{{"id", "R-1"}, {"level", "high"}, {"owner", "olga"}},
                                  {{"id", "R-2"}, {"level", "low"}, {"owner", "otto"}}}},
                       {"count", 2}};
  const json after = {{"risks", {{{"id", "R-3"}, {"level", "low"}, {"owner", "olga"}},
                                 {{"id", "R-1"}, {"level", "medium"}, {"owner", "olga"}}}},
                      {"count", 2}};
  const json d = diff(before, after);
  EXPECT_EQ(d.at("equal"), false);
  ASSERT_EQ(d.at("added").size(), 1u);
  EXPECT_EQ(d.at("added")[0].at("id"), "R-3");
  EXPECT_EQ(d.at("added")[0].at("path"), "/risks");
  ASSERT_EQ(d.at("removed").size(), 1u);
  EXPECT_EQ(d.at("removed")[0].at("id"), "R-2");
  EXPECT_EQ(d.at("removed")[0].at("value").at("owner"), "otto");
  ASSERT_EQ(d.at("changed").size(), 1u);  // reordering is no change
  EXPECT_EQ(d.at("changed")[0].at("path"), "/risks/R-1/level");
  EXPECT_EQ(d.at("changed")[0].at("entity"), "/risks/R-1");
  EXPECT_EQ(d.at("changed")[0].at("id"), "R-1");
  EXPECT_EQ(d.at("changed")[0].at("before"), "high");
  EXPECT_EQ(d.at("changed")[0].at("after"), "medium");
}

TEST(Diff, ComparesOtherValuesStructurally) {
  EXPECT_EQ(diff(json{{"a", 1}}, json{{"a", 1}}).at("equal"), true);
  EXPECT_TRUE(diff(json{{"a", 1}}, json{{"a", 1}}).at("changed").empty());
  const json d = diff(json{{"m", {{0, 1}, {2, 3}}}, {"gone", true}}, json{{"m", {{0, 1}, {2, 4}}}, {"new", "x"}});
  ASSERT_EQ(d.at("changed").size(), 3u);
  EXPECT_EQ(d.at("changed")[0].at("path"), "/gone");
  EXPECT_TRUE(d.at("changed")[0].at("after").is_null());
  EXPECT_EQ(d.at("changed")[1].at("path"), "/m/1/1");
  EXPECT_EQ(d.at("changed")[2].at("path"), "/new");
  const json lists = diff(json{{"tags", {"a", "b"}}}, json{{"tags", {"a", "b", "c"}}});
  ASSERT_EQ(lists.at("changed").size(), 1u);
  EXPECT_EQ(lists.at("changed")[0].at("after"), json({"a", "b", "c"}));
  EXPECT_EQ(diff(json{{"a/b", 1}}, json{{"a/b", 2}}).at("changed")[0].at("path"), "/a~1b");
}

TEST(Diff, OfLongEntityListsFindsEveryChangeWhateverTheOrder) {
  // 3,000 entities, the "after" list reversed: every third one changed,
  // every seventh removed, 50 added. Matching is by id alone.
  constexpr int n = 3000;
  json before_rows = json::array(), after_rows = json::array();
  std::set<std::string> expect_removed, expect_changed, expect_added;
  for (int i = 0; i < n; ++i) {
    const std::string id = "R-" + std::to_string(i);
    before_rows.push_back({{"id", id}, {"level", "low"}, {"nested", {{"score", i}}}});
    if (i % 7 == 0) {
      expect_removed.insert(id);
      continue;
    }
    const bool changes = i % 3 == 0;
    if (changes) expect_changed.insert("/risks/" + id + "/nested/score");
    after_rows.push_back({{"id", id}, {"level", "low"}, {"nested", {{"score", changes ? i + 1 : i}}}});
  }
  for (int i = 0; i < 50; ++i) {
    const std::string id = "N-" + std::to_string(i);
    expect_added.insert(id);
    after_rows.push_back({{"id", id}, {"level", "high"}});
  }
  std::reverse(after_rows.begin(), after_rows.end());
  const json d = diff(json{{"risks", before_rows}}, json{{"risks", after_rows}});
  std::set<std::string> removed, changed, added;
  for (const auto& r : d.at("removed")) removed.insert(r.at("id").get<std::string>());
  for (const auto& a : d.at("added")) added.insert(a.at("id").get<std::string>());
  for (const auto& c : d.at("changed")) {
    changed.insert(c.at("path").get<std::string>());
    const auto id = c.at("id").get<std::string>();
    const int i = std::stoi(id.substr(2));
    EXPECT_EQ(c.at("before"), i);
    EXPECT_EQ(c.at("after"), i + 1);
    EXPECT_EQ(c.at("entity"), "/risks/" + id);
  }
  EXPECT_EQ(removed, expect_removed);
  EXPECT_EQ(added, expect_added);
  EXPECT_EQ(changed, expect_changed);
  EXPECT_EQ(d.at("changed").size(), expect_changed.size());  // nothing reported twice
  // The changes come in the order of the later list.
  ASSERT_FALSE(d.at("changed").empty());
  EXPECT_EQ(d.at("changed")[0].at("id"), "R-2997");
}

TEST(Diff, OfTheRiskRegisterBetweenTwoPointsInTime) {
  const auto log = sample_log();
  const actor viewer{"eve", {role::external_auditor}};
  const json before = query(fold(log, 3), "risks", json::object(), viewer, day("2026-03-02")).value();
  const json after = query(fold(log), "risks", json::object(), viewer, day("2026-03-02")).value();
  const json d = diff(before, after);
  diff_testing::expect_change(d, "/risks/R-1/state", "assessed", "treatment_planned");
}

}  // namespace
}  // namespace isms::domain::views::views_codec_test
