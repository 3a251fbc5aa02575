#pragma once
// Transport-neutral HTTP request and response values. The Beast transport
// converts to and from these, so route handlers never include Beast.
// Thread-safety: plain values.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace isms::server {

struct http_request {
  std::string method;   // "GET", "POST", …
  std::string target;   // as sent: path and query
  std::string path;     // target before '?', percent-decoding not applied
  std::string query;    // target after '?', or empty
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote;   // "address:port" of the peer
  std::string id;       // this request's id, sent back as X-Request-Id and logged; set by the transport

  // The first header with this lower-case name, or empty.
  [[nodiscard]] std::string_view header(std::string_view lower_name) const noexcept {
    for (const auto& [name, value] : headers)
      if (name == lower_name) return value;
    return {};
  }
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Set-Cookie
  // When set, the body is this file's bytes, sent from the disk as they are
  // read (a download), instead of `body`.
  std::filesystem::path file;
  // The user (id) the request was answered for, for the access log; empty:
  // nobody signed in. Never sent.
  std::string actor;
};

// A fresh request id, e.g. "3f9a2c1e-2a": a random part drawn once per
// process, so ids of different runs do not repeat, and a counter. Unique
// within a run; short, and only [0-9a-f-], so it is safe in a header and a log.
[[nodiscard]] std::string new_request_id();

// Whether an incoming X-Request-Id (a reverse proxy's) is kept as the
// request's id: 1–64 characters of [A-Za-z0-9._:-], so that it is as safe
// in a header and a log line as the server's own ids.
[[nodiscard]] bool acceptable_request_id(std::string_view id);

// The value of a query parameter ("from" in "from=3&limit=10"), percent-decoded;
// nullopt-like empty + false when absent.
[[nodiscard]] bool query_param(std::string_view query, std::string_view name, std::string& value);

// The items of a comma-separated list ("a,b,,c" → a, b, c): empty items dropped.
[[nodiscard]] std::vector<std::string> split_list(std::string_view text);

// A number as a URL may carry it: one or more ASCII digits and nothing else
// (no sign, no '+', no spaces, no other base) that fits 64 bits; nullopt
// otherwise. Every number the server reads from a URL goes through this.
[[nodiscard]] std::optional<std::uint64_t> parse_decimal(std::string_view text) noexcept;

// Text made safe as HTML element content and as a quoted attribute value:
// & < > " ' as character references, everything else as it is.
[[nodiscard]] std::string html_escape(std::string_view text);

// Query parameter `name` read with parse_decimal after percent-decoding:
// `fallback` when the parameter is absent, nullopt when it is present but not
// such a number (an empty value included).
[[nodiscard]] std::optional<std::uint64_t> query_number(std::string_view query, std::string_view name,
                                                        std::uint64_t fallback);

// A JSON error body in the shape of the wire contract:
// {"error":{"code":"…","message":"…"}}.
[[nodiscard]] http_response json_error(unsigned status, std::string_view code, std::string_view message);

}  // namespace isms::server
