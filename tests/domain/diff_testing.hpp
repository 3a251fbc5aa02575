#pragma once
// Reading what views::diff says changed.

#include <gtest/gtest.h>

#include <string_view>

#include "isms/domain/core.hpp"

namespace isms::domain::diff_testing {

// `diff` (views::diff) names a change at `path` from `before` to `after`.
inline void expect_change(const json& diff, std::string_view path, const json& before, const json& after) {
  for (const auto& c : diff.at("changed"))
    if (c.at("path") == path) {
      EXPECT_EQ(c.at("before"), before) << path;
      EXPECT_EQ(c.at("after"), after) << path;
      return;
    }
  ADD_FAILURE() << "no change at " << path << " in " << diff.dump(1);
}

}  // namespace isms::domain::diff_testing
