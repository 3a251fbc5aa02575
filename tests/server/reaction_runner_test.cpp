// The reaction runner on its own, over a real store, views and pipeline: the
// events waiting for it never exceed reaction_runner_options::max_queued_events,
// however many arrive at once, and every one still gets its reactions.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "isms/domain/reactions.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/projections.hpp"
#include "isms/server/reaction_runner.hpp"
#include "isms/server/worker_pool.hpp"

namespace isms::server::reaction_runner_test {
namespace {

std::filesystem::path fresh_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ismsd-runner-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

// An event that asks for an approval (as a subject's request does), so its
// reaction issues approval.open through the pipeline: a real, synced append.
eventstore::event_data request_on(const std::string& stream) {
  domain::approval_request r;
  r.approval_id = domain::approval_id_for(stream, 1);
  r.subject_kind = "document.approval";
  r.policy.required_roles = {domain::role::top_management};
  r.on_approved = "document.approve";
  r.on_rejected = "document.reject";
  r.summary = "approve " + stream;
  r.content_hash = std::string(64, 'a');
  eventstore::event_data e;
  e.type = "document.approval_requested.v1";
  e.data = {{"approval", domain::to_json(r)}};
  e.metadata.actor = "mia";
  return e;
}

// Appends requests on "document-D-0" … "document-D-<n-1>".
void append_requests(eventstore::store& store, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string stream = "document-D-" + std::to_string(i);
    ASSERT_TRUE(store.append(stream, eventstore::expected_version::no_stream(), {request_on(stream)},
                             "request-" + std::to_string(i)));
  }
}

// The approval stream the request on "document-D-<i>" opened.
auto approval_of_request(eventstore::store& store, int i) {
  return store.read_stream(domain::approval_stream_for(domain::approval_id_for("document-D-" + std::to_string(i), 1)));
}

projection_engine& started(projection_engine& views) {
  views.start();
  return views;
}

// The live views and the command pipeline a reaction runner sends its
// follow-ups through, over `store`.
struct pipeline_rig {
  explicit pipeline_rig(eventstore::store& store)
      : views(projection_options{}, store, {}),
        pipeline(pipeline_options{}, store, started(views), pool, [] { return std::int64_t{1772442000000}; }) {}
  worker_pool pool{2};
  projection_engine views;
  command_pipeline pipeline;
};

TEST(reaction_runner, the_queue_stays_within_its_bound_and_every_event_is_reacted_to) {
  const auto dir = fresh_dir();
  {
    auto store = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(store) << store.error().message;
    // 300 requests already in the log before the runner starts: all of them
    // are delivered at once, far more than the queue may hold.
    constexpr int requests = 300;
    append_requests(**store, requests);
    const auto requested_head = (*store)->current_head().position;
    pipeline_rig rig(**store);
    reaction_runner_options options;
    options.max_queued_events = 4;
    reaction_runner runner(**store, rig.pipeline, options);

    std::size_t most = 0;
    while (runner.checkpoint() < requested_head) {
      most = std::max(most, runner.queued());
      ASSERT_LE(runner.queued(), options.max_queued_events);
      std::this_thread::yield();
    }
    runner.wait_done((*store)->current_head().position);
    EXPECT_LE(most, options.max_queued_events);
    // Every request got its approval opened, once.
    EXPECT_EQ((*store)->current_head().position, requested_head + requests);
    for (int i = 0; i < requests; i += 37) {
      auto opened = approval_of_request(**store, i);
      ASSERT_TRUE(opened);
      ASSERT_EQ(opened->size(), 1u) << i;
      EXPECT_EQ((*opened)[0].type, "approval.opened.v1");
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(reaction_runner, a_follow_up_the_store_could_not_take_is_retried_not_dropped) {
  const auto dir = fresh_dir();
  {
    // A store that refuses appends beyond one waiting for the writer, kept
    // full by other writers: the runner's appends meet `busy` often.
    eventstore::options store_options;
    store_options.max_queued_appends = 1;
    auto store = eventstore::store::open(store_options, dir);
    ASSERT_TRUE(store) << store.error().message;
    constexpr int requests = 30;
    append_requests(**store, requests);
    const auto requested_head = (*store)->current_head().position;
    pipeline_rig rig(**store);
    std::atomic<bool> quiet{false};
    std::atomic<std::uint64_t> refused{0};
    std::vector<std::thread> noise;
    for (int t = 0; t < 4; ++t) {
      noise.emplace_back([&, t] {
        eventstore::event_data e;
        e.type = "test.noise.v1";
        e.data = nlohmann::json::object();
        e.metadata.actor = "noise";
        while (!quiet) {
          auto r = (*store)->append("noise-" + std::to_string(t), eventstore::expected_version::any(), {e}, "");
          if (!r && r.error().code == eventstore::errc::busy) ++refused;
          std::this_thread::yield();
        }
      });
    }
    reaction_runner_options options;
    options.first_retry_after = std::chrono::milliseconds(1);
    options.last_retry_after = std::chrono::milliseconds(10);
    {
      reaction_runner runner(**store, rig.pipeline, options);
      while (runner.checkpoint() < requested_head) std::this_thread::yield();
      quiet = true;
      for (auto& n : noise) n.join();
      runner.wait_done((*store)->current_head().position);
    }
    EXPECT_GT(refused.load(), 0u) << "the store never refused an append: the test proves nothing";
    for (int i = 0; i < requests; ++i) {
      auto opened = approval_of_request(**store, i);
      ASSERT_TRUE(opened);
      EXPECT_EQ(opened->size(), 1u) << "the approval of request " << i << " was dropped";
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace isms::server::reaction_runner_test
