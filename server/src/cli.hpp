#pragma once
// What the files of the ismsd executable share: the command line as parsed,
// the helpers every subcommand uses, and the subcommands that live outside
// main.cpp (cli_admin.cpp: users and the time rules on a stopped store).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "isms/eventstore/store.hpp"

namespace isms::cli {

// Flags as name → value; every flag takes one value, except the switches
// (--demo, --force), which stand alone and read as "true".
struct parsed_args {
  std::string command;  // "serve", or two words: "key show", "user add", "rules run"
  std::map<std::string, std::string> flags;
};

[[nodiscard]] std::string flag(const parsed_args& a, const std::string& name, std::string fallback);
// Numbers on the command line are read as strictly as those in URLs.
[[nodiscard]] bool parse_u64(const std::string& s, std::uint64_t& v);
// Prints "ismsd: <message>" on stderr; returns the exit status 1.
int fail(const std::string& message);
// "--name: unknown flag for <command>" for the first flag not in `known`.
[[nodiscard]] std::optional<std::string> unknown_flag(const parsed_args& args,
                                                      std::initializer_list<std::string_view> known);
// The store in `dir`, which must exist; says plainly when a running server holds it.
[[nodiscard]] std::expected<std::unique_ptr<eventstore::store>, std::string> open_existing_store(
    const std::filesystem::path& dir);

// ismsd user list | add | passwd | grant | revoke | disable | enable
int user_command(const parsed_args& args);
// ismsd rules run
int rules_run(const parsed_args& args);

}  // namespace isms::cli
