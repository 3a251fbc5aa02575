#pragma once
// The registers an auditor reads alongside the evidence bundle's events, as
// CSV (RFC 4180 fields: comma-separated, a field with a comma, quote or line
// break quoted, quotes doubled; rows end with a line feed): the risk register, the Statement of
// Applicability, the objectives, the nonconformities and their corrective
// actions, the internal audits and their findings, the management reviews and
// their actions — each file as the log left it at one position.
//
// Every file's first line is "# position N" (N: the position the registers
// stand at; docs/auditors.md), then a header row, then one row per entry in
// id order (the SoA in Annex A catalogue order). A cell that a spreadsheet
// would run as a formula (starting with =, +, -, @, a tab or a carriage
// return) is prefixed with a single quote; nothing else is changed.
//
// Thread-safety: a pure function of its arguments.

#include <cstdint>
#include <vector>

#include "isms/domain/views/views.hpp"
#include "isms/server/evidence.hpp"

namespace isms::server {

// The registers of `v` as CSV files, stamped with `position`.
[[nodiscard]] std::vector<register_csv> registers_csv(const domain::views::all_views& v, std::uint64_t position);

}  // namespace isms::server
