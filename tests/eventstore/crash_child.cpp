// The process the crash test kills: opens the store given as argv[1], then
// appends from several threads forever, writing one line per acknowledged
// append to stdout — "stream last_version first_position last_position" —
// only after append() returned success, i.e. after the event is durable.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "isms/eventstore/store.hpp"

namespace es = isms::eventstore;

namespace {

void write_line(const std::string& line) {
  // One write() per line: lines are shorter than PIPE_BUF, so they never interleave.
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) _exit(3);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

es::event_data event(int thread, std::uint64_t n) {
  es::event_data e;
  e.type = "corrective_action.progress_recorded.v1";
  e.data = {{"thread", thread}, {"n", n}, {"note", "checked the backup restore procedure"}};
  e.metadata.actor = "u-crash";
  e.metadata.recorded_at_ms = 1764374400000 + static_cast<std::int64_t>(n);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR RUN\n", argv[0]);
    return 2;
  }
  auto opened = es::store::open(es::options{}, argv[1]);
  if (!opened) {
    write_line("OPEN_FAILED " + opened.error().message + "\n");
    return 2;
  }
  es::store& s = **opened;
  const std::string run = argv[2];
  constexpr int threads = 6;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&s, &run, t] {
      // Even threads own a stream and append with exact versions; odd threads
      // share one stream and append with any().
      const std::string stream = t % 2 == 0 ? "crash-" + std::to_string(t) : "crash-shared";
      auto v = s.stream_version(stream);
      if (!v) _exit(4);
      std::uint64_t version = *v;
      for (std::uint64_t n = 0;; ++n) {
        std::vector<es::event_data> evs;
        for (std::uint64_t k = 0; k < 1 + n % 3; ++k) evs.push_back(event(t, n));
        const auto expected = t % 2 == 0 ? es::expected_version::exact(version) : es::expected_version::any();
        auto r = s.append(stream, expected, std::move(evs),
                          "run" + run + "-t" + std::to_string(t) + "-" + std::to_string(n));
        if (!r) {
          write_line("APPEND_FAILED " + r.error().message + "\n");
          _exit(5);
        }
        version = r->version;
        write_line(stream + " " + std::to_string(r->version) + " " + std::to_string(r->first_position) + " " +
                   std::to_string(r->last_position) + "\n");
      }
    });
  }
  for (auto& t : ts) t.join();
}
