#pragma once
// Notifications by e-mail: the message a notification becomes (plain text
// and simple HTML, a link into the web UI, nothing a reader could sign in
// with), and its delivery over SMTP through libcurl (STARTTLS, or TLS from
// the first byte with smtps://; authentication when a user is configured).
// The notifier's durable outbox sends them, at least once; the Message-ID
// is the notification's id, so a retry is recognisable as the same mail.
// Thread-safety: plain functions of their arguments.

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace isms::server {

struct mail_options {
  // "smtp://host:587" (STARTTLS) or "smtps://host:465" (TLS from the start).
  // Empty: no e-mail is sent. Default: none
  std::string url;
  // The sender, "ISMS Ledger <isms@example.com>" or "isms@example.com".
  std::string from;
  // SMTP authentication; empty user: none.
  std::string user;
  std::string password;
  // On smtp://, refuse to send unless the server agrees to STARTTLS. Only a
  // relay on the same machine should be spoken to in plain text. Default: true
  bool require_tls = true;
  // PEM certificates the server's chain must lead to instead of the system's
  // CA store. Default: none
  std::filesystem::path ca_file;
  // Where people open the web UI, "https://isms.example.com"; links in mails
  // start here. Empty: mails carry no link.
  std::string web_url;
  // One deadline per attempt, name resolution included. Default: 30 s
  std::chrono::milliseconds timeout{30000};

  [[nodiscard]] bool enabled() const { return !url.empty(); }
};

// The address inside a "Name <address>" (or the whole text when it has no
// angle brackets), trimmed.
[[nodiscard]] std::string mail_address(std::string_view mailbox);

// The RFC 5322 message (CRLF line ends) for `notification` (the JSON the
// notifier posts: id, kind, title, subject_stream, approval_id), to `to`
// (an address) named `to_name`, dated `now_ms` (UTC).
[[nodiscard]] std::string compose_mail(const mail_options& options, const std::string& to, const std::string& to_name,
                                       const nlohmann::json& notification, std::int64_t now_ms);

// One mail for several notifications (the daily summary), to `to` named
// `to_name`: each title with its link; `day` (YYYY-MM-DD) makes its
// Message-ID, so a retry is the same summary.
[[nodiscard]] std::string compose_digest(const mail_options& options, const std::string& to,
                                         const std::string& to_name, const std::vector<nlohmann::json>& notifications,
                                         std::string_view day, std::int64_t now_ms);

// How a user wants the notifications of one category mailed.
enum class mail_mode { immediately, digest, off };

// The categories a user chooses for: "approvals" (a request waits, is
// decided or withdrawn), "incidents" (one was reported, is theirs to handle,
// touches a risk of theirs, or the one they reported is closed), "reminders"
// (the time rules' reminders and an acceptance that expired), "assignments"
// (everything else: a risk, action, objective, review or audit of theirs).
inline constexpr std::array<std::string_view, 4> mail_categories{"approvals", "assignments", "incidents", "reminders"};
[[nodiscard]] std::string_view mail_category(const nlohmann::json& notification);
[[nodiscard]] std::optional<mail_mode> mail_mode_from(std::string_view text);
[[nodiscard]] std::string_view to_string(mail_mode mode);

// Sends `message` to `to` through the configured server; true when the
// server accepted it. `error` says why not otherwise (the server's answer
// when it gave one).
[[nodiscard]] bool smtp_send(const mail_options& options, const std::string& to, const std::string& message,
                             std::string& error);

}  // namespace isms::server
