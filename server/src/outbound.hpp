#pragma once
// What every connection the server opens to the outside shares (webhook
// posts, mails): a libcurl easy handle with one deadline over the whole
// transfer (name resolution included), no proxy, no signals, the peer's
// certificate and name verified (against `ca_file` when given), errors
// written into `error_buffer` (CURL_ERROR_SIZE bytes). Internal to the server.

#include <curl/curl.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace isms::server {

using curl_handle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

// A handle for `url`, limited to `protocols` ("http,https"); null with
// `error` set when libcurl cannot start one or refuses an option.
[[nodiscard]] curl_handle outbound_transfer(const std::string& url, const char* protocols,
                                            std::chrono::milliseconds timeout, const std::filesystem::path& ca_file,
                                            char* error_buffer, std::string& error);

}  // namespace isms::server
