#pragma once
// The benchmark programs' command lines: `--name value` options and `--flag`
// switches, each program naming the ones it knows. Anything else, or a
// value that is not a number where one is wanted, prints the usage.
//
// Thread-safety: one thread, at start-up.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace isms::bench {

class options {
 public:
  // `flags` are the switches that take no value.
  options(int argc, char** argv, std::string usage, std::set<std::string, std::less<>> flags = {})
      : program_(argc > 0 ? argv[0] : "bench"), usage_(std::move(usage)) {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (!a.starts_with("--")) {
        bad_ = true;
      } else if (flags.contains(a.substr(2))) {
        given_[a.substr(2)] = "";
      } else if (i + 1 < argc) {
        given_[a.substr(2)] = argv[++i];
      } else {
        bad_ = true;
      }
    }
  }

  [[nodiscard]] bool flag(std::string_view name) { return take(name) != nullptr; }

  [[nodiscard]] std::string text(std::string_view name, std::string fallback) {
    const std::string* v = take(name);
    return v ? *v : fallback;
  }

  // A positive number; `fallback` when absent, not a number, or not positive.
  [[nodiscard]] double number(std::string_view name, double fallback) {
    const std::string* v = take(name);
    if (v == nullptr) return fallback;
    char* end = nullptr;
    const double x = std::strtod(v->c_str(), &end);
    if (end == v->c_str() || *end != '\0') bad_ = true;
    return x > 0 ? x : fallback;
  }

  // A comma-separated list of positive whole numbers.
  [[nodiscard]] std::vector<unsigned long long> list(std::string_view name, std::vector<unsigned long long> fallback) {
    const std::string* v = take(name);
    if (v == nullptr) return fallback;
    std::vector<unsigned long long> out;
    std::stringstream in(*v);
    std::string item;
    while (std::getline(in, item, ','))
      if (!item.empty()) out.push_back(std::strtoull(item.c_str(), nullptr, 10));
    if (out.empty()) bad_ = true;
    return out;
  }

  // After every option was asked for: false (with the usage printed) when
  // the command line held anything the program does not know.
  [[nodiscard]] bool valid() const {
    bool ok = !bad_;
    for (const auto& [name, value] : given_)
      if (!asked_.contains(name)) ok = false;
    if (!ok) std::fprintf(stderr, "usage: %s %s\n", program_.c_str(), usage_.c_str());
    return ok;
  }

 private:
  const std::string* take(std::string_view name) {
    asked_.emplace(name);
    const auto it = given_.find(name);
    return it == given_.end() ? nullptr : &it->second;
  }

  std::string program_;
  std::string usage_;
  std::map<std::string, std::string, std::less<>> given_;
  std::set<std::string, std::less<>> asked_;
  bool bad_ = false;
};

}  // namespace isms::bench
