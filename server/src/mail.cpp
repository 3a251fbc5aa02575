#include "isms/server/mail.hpp"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>

#include "isms/server/http_types.hpp"
#include "outbound.hpp"

namespace isms::server {

using json = nlohmann::json;

namespace {

std::string base64(std::string_view in) {
  std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// A body part's content in base64, lines of 76 characters (RFC 2045): no
// line of the message grows past SMTP's limit, whatever the text holds.
std::string base64_lines(std::string_view in) {
  const std::string all = base64(in);
  std::string out;
  for (std::size_t i = 0; i < all.size(); i += 76) {
    out += all.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

// One line of header text: line breaks and other control characters
// become spaces, so no text can start a header of its own.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

bool ascii(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Header text as RFC 2047 encoded words when it is not plain ASCII, each of
// at most 39 bytes of UTF-8 (52 characters of base64; cut between
// characters), folded onto lines of their own, so that no line passes 78.
std::string header_text(std::string_view text) {
  const std::string line = one_line(text);
  if (ascii(line)) return line;
  std::string out;
  std::size_t at = 0;
  while (at < line.size()) {
    std::size_t end = std::min(line.size(), at + 39);
    // Back to the first byte of a character (not a continuation byte 10xxxxxx).
    while (end < line.size() && end > at + 1 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(line).substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

// Characters of an id that may stand in a Message-ID or a MIME boundary.
std::string token(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') c = '_';
  return out.empty() ? std::string("notification") : out;
}

std::string rfc5322_date(std::int64_t now_ms) {
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char out[64];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[static_cast<std::size_t>(tm.tm_wday)],
                tm.tm_mday, months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return out;
}

// Feeds the message to libcurl.
struct reader {
  std::string_view rest;
};
std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* r = static_cast<reader*>(user);
  const std::size_t n = std::min(size * count, r->rest.size());
  std::copy_n(r->rest.data(), n, buffer);
  r->rest.remove_prefix(n);
  return n;
}

}  // namespace

std::string mail_address(std::string_view mailbox) {
  const auto open = mailbox.rfind('<');
  const auto close = mailbox.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    mailbox = mailbox.substr(open + 1, close - open - 1);
  const auto first = mailbox.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = mailbox.find_last_not_of(" \t");
  return std::string(mailbox.substr(first, last - first + 1));
}

namespace {

std::string text_of(const json& notification, const char* key) {
  const auto it = notification.find(key);
  return it != notification.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The web UI's address of `fragment` ("#/inbox"), or "" without a web URL.
std::string web_link(const mail_options& options, const std::string& fragment) {
  if (options.web_url.empty()) return {};
  std::string base = options.web_url;
  while (base.ends_with('/')) base.pop_back();
  return base + "/" + fragment;
}

// The web UI's page of a notification: its approval's, else the page of the
// entity it is about (the routes of webui/js/app.js), else the inbox.
std::string link_for(const mail_options& options, const json& notification) {
  if (const std::string approval = text_of(notification, "approval_id"); !approval.empty())
    return web_link(options, "#/approvals/" + percent_encode(approval));
  static constexpr std::pair<std::string_view, std::string_view> pages[] = {
      {"risk-", "risks"},       {"nc-", "nonconformities"}, {"document-", "documents"},
      {"review-", "reviews"},   {"incident-", "incidents"}, {"supplier-", "suppliers"}, {"asset-", "assets"},
  };
  const std::string stream = text_of(notification, "subject_stream");
  for (const auto& [prefix, page] : pages)
    if (stream.size() > prefix.size() && stream.starts_with(prefix))
      return web_link(options, "#/" + std::string(page) + "/" + percent_encode(stream.substr(prefix.size())));
  return web_link(options, "#/inbox");
}

// The whole message: headers, then the text and HTML alternatives.
std::string message(const mail_options& options, const std::string& to, const std::string& to_name,
                    const std::string& subject, const std::string& id, const std::string& text,
                    const std::string& html, std::int64_t now_ms) {
  const std::string from_address = mail_address(options.from);
  const auto at = from_address.find('@');
  const std::string domain = at == std::string::npos ? "isms-ledger.invalid" : token(from_address.substr(at + 1));
  const std::string boundary = "isms-" + id;
  std::string m;
  m += "From: " + one_line(options.from) + "\r\n";
  m += "To: " + (to_name.empty() ? std::string() : header_text(to_name) + " ") + "<" + one_line(to) + ">\r\n";
  m += "Subject: " + header_text(subject) + "\r\n";
  m += "Date: " + rfc5322_date(now_ms) + "\r\n";
  m += "Message-ID: <" + id + "@" + domain + ">\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(text);
  m += "--" + boundary + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(html);
  m += "--" + boundary + "--\r\n";
  return m;
}

constexpr std::string_view html_head = "<!doctype html><html><body style=\"font-family:sans-serif\">";

}  // namespace

std::string compose_mail(const mail_options& options, const std::string& to, const std::string& to_name,
                         const json& notification, std::int64_t now_ms) {
  const std::string id = token(text_of(notification, "id"));
  const std::string title = one_line(text_of(notification, "title"));
  const std::string kind = text_of(notification, "kind");
  const std::string link = link_for(options, notification);

  std::string text = title + "\r\n\r\n";
  if (!link.empty()) text += "Open it in ISMS Ledger: " + link + "\r\n\r\n";
  text += "-- \r\nISMS Ledger tells you of what waits for you or concerns you (" + kind + ").\r\n";
  std::string html = std::string(html_head) + "<p>" + html_escape(title) + "</p>";
  if (!link.empty()) html += "<p><a href=\"" + html_escape(link) + "\">Open it in ISMS Ledger</a></p>";
  html += "<p style=\"color:#666;font-size:small\">ISMS Ledger tells you of what waits for you or concerns you (" +
          html_escape(kind) + ").</p></body></html>\r\n";
  return message(options, to, to_name, "ISMS: " + title, id, text, html, now_ms);
}

std::string compose_digest(const mail_options& options, const std::string& to, const std::string& to_name,
                           const std::vector<json>& notifications, std::string_view day, std::int64_t now_ms) {
  const std::string count = std::to_string(notifications.size());
  const std::string what = notifications.size() == 1 ? "1 notification" : count + " notifications";
  std::string text = "What ISMS Ledger told you of since the last summary (" + what + "):\r\n\r\n";
  std::string html = std::string(html_head) + "<p>What ISMS Ledger told you of since the last summary (" +
                     html_escape(what) + "):</p><ul>";
  for (const auto& n : notifications) {
    const std::string title = one_line(text_of(n, "title"));
    const std::string link = link_for(options, n);
    text += "- " + title + "\r\n";
    if (!link.empty()) text += "  " + link + "\r\n";
    html += "<li>" + (link.empty() ? html_escape(title)
                                   : "<a href=\"" + html_escape(link) + "\">" + html_escape(title) + "</a>") +
            "</li>";
  }
  const std::string inbox = web_link(options, "#/inbox");
  if (!inbox.empty()) text += "\r\nYour inbox: " + inbox + "\r\n";
  text += "\r\n-- \r\nThe daily summary you chose in ISMS Ledger (My account, e-mail).\r\n";
  html += "</ul><p style=\"color:#666;font-size:small\">The daily summary you chose in ISMS Ledger (My account, "
          "e-mail).</p></body></html>\r\n";
  return message(options, to, to_name, "ISMS: your daily summary, " + what, "digest-" + token(to) + "-" + token(day),
                 text, html, now_ms);
}

std::string_view mail_category(const json& notification) {
  const std::string kind = text_of(notification, "kind");
  if (kind.starts_with("approval_")) return "approvals";
  if (kind.starts_with("incident_")) return "incidents";
  if (text_of(notification, "id").starts_with("due:") || kind == "risk_acceptance_expired") return "reminders";
  return "assignments";
}

std::optional<mail_mode> mail_mode_from(std::string_view text) {
  if (text == "immediately") return mail_mode::immediately;
  if (text == "digest") return mail_mode::digest;
  if (text == "off") return mail_mode::off;
  return std::nullopt;
}

std::string_view to_string(mail_mode mode) {
  switch (mode) {
    case mail_mode::immediately: return "immediately";
    case mail_mode::digest: return "digest";
    case mail_mode::off: return "off";
  }
  return "immediately";
}

bool smtp_send(const mail_options& options, const std::string& to, const std::string& message, std::string& error) {
  if (!options.url.starts_with("smtp://") && !options.url.starts_with("smtps://")) {
    error = "only smtp:// and smtps:// URLs are supported";
    return false;
  }
  if (to.empty() || to.find_first_of("<>\r\n") != std::string::npos) {
    error = "not a mail address: " + one_line(to);
    return false;
  }
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
      curl_slist_append(nullptr, ("<" + to + ">").c_str()), &curl_slist_free_all);
  if (!recipients) {
    error = "out of memory";
    return false;
  }
  const std::string from = "<" + mail_address(options.from) + ">";
  reader body{message};
  char curl_error[CURL_ERROR_SIZE] = {};
  const curl_handle curl =
      outbound_transfer(options.url, "smtp,smtps", options.timeout, options.ca_file, curl_error, error);
  if (!curl) return false;
  CURL* h = curl.get();
  bool set = curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(options.require_tls ? CURLUSESSL_ALL
                                                                                        : CURLUSESSL_TRY)) ==
                 CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str()) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get()) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_message) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_READDATA, &body) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) == CURLE_OK;
  if (set && !options.user.empty())
    set = curl_easy_setopt(h, CURLOPT_USERNAME, options.user.c_str()) == CURLE_OK &&
          curl_easy_setopt(h, CURLOPT_PASSWORD, options.password.c_str()) == CURLE_OK;
  if (!set) {
    error = "libcurl refused an option";
    return false;
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return true;
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  error = curl_error[0] != '\0' ? std::string(curl_error) : std::string(curl_easy_strerror(rc));
  if (code != 0) error += " (answered " + std::to_string(code) + ")";
  return false;
}

}  // namespace isms::server
