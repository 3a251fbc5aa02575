#pragma once
// The demo ISMS: Nordlicht Logistics GmbH, a freight forwarder of about 250
// staff running a cloud-hosted transport management system, with fourteen
// months of ISMS history — scope, policies, the risk register, the Statement
// of Applicability, objectives, an internal audit, nonconformities and a
// management review (docs/demo.md tells the story).
//
// The story is data, not code: server/demo/story.ndjson, one step a line
// (register a user, or issue one command as one person at one moment),
// built into the binary. The replayer reads it as untrusted input, checks
// every line before it writes anything, and plays it through the real
// command pipeline, as the people of the story would have done it in the
// browser: each command is decided by the domain under the authorization
// table, approvals are opened and concluded by the reactions, and the
// server's clock is moved along the story so that every event carries the
// day it happened. Nothing is written to the log directly. A command the
// domain refuses stops the load and is named in the error with its line:
// the demo doubles as a test of the domain. docs/demo.md documents the format.
//
// Thread-safety: load_demo() runs its own ledger on `store` and must be the
// store's only user while it runs.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "isms/eventstore/store.hpp"
#include "isms/server/auth.hpp"
#include "isms/server/commands.hpp"

namespace isms::server {

struct demo_options {
  // Every password is this prefix followed by the user id ("demo-" →
  // "demo-mara.hansen"). Empty: a random password per user, shown once.
  // Default: empty (random).
  std::string password_prefix;
  // The moment the story ends, UTC ms: it spans the fourteen months before
  // it and never records anything after it. Default: the system clock.
  clock_fn now;
  // Password hashing cost and sessions. Default: the production settings.
  auth_options auth;
  // Worker threads of the loading ledger. Default: 2
  unsigned workers = 2;
  // Where the evidence files of the story are stored (ledger_options::
  // evidence_dir). Empty: a story that attaches a file cannot be loaded.
  std::filesystem::path evidence_dir;
  // The story to play, in the format of docs/demo.md. Default: empty, the
  // story of Nordlicht Logistics built into the binary (demo_story()).
  std::string story;
};

// One user of the story, with the password they sign in with.
struct demo_user {
  std::string id;        // the user id, also the sign-in name ("mara.hansen")
  std::string name;      // "Mara Hansen"
  std::string job;       // "ISMS manager"
  std::vector<std::string> roles;
  std::string password;
};

struct demo_summary {
  std::vector<demo_user> users;   // one per role at least, admin first
  std::uint64_t commands = 0;     // steps the story played: commands and user registrations (reactions not counted)
  std::uint64_t head_position = 0;  // the log's head once everything settled
  std::string story_from;         // first day of the story, "YYYY-MM-DD"
  std::string story_to;           // its last day (today)
};

enum class demo_errc {
  store_not_empty,  // the store already holds events; the demo loads only into an empty one
  story_invalid,    // a line of the story is not a step (message: "story line N: " and what is wrong); nothing written
  command_failed,   // a command of the story was refused (message: command, stream, error)
  internal,         // the server could not be driven (an approval missing, a password not set)
};

struct demo_error {
  demo_errc code;
  std::string message;
};

// The story of Nordlicht Logistics GmbH as built into the binary
// (server/demo/story.ndjson).
[[nodiscard]] std::string_view demo_story() noexcept;

// Loads the demo ISMS into `store`, which must hold no event yet. On success
// every view includes the whole story and every reaction has run; the users
// can sign in with the returned passwords. On failure the store holds the
// part of the story loaded so far (store_not_empty, story_invalid: nothing
// was written).
[[nodiscard]] std::expected<demo_summary, demo_error> load_demo(eventstore::store& store,
                                                                const demo_options& options = {});

// The users as a plain-text table (user, name, job, roles, password) for the
// console, with a header line.
[[nodiscard]] std::string demo_users_table(const demo_summary& summary);

}  // namespace isms::server
