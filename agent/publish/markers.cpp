#include "agent/publish/markers.h"

#include <cctype>

namespace agent::publish {
namespace {

constexpr std::string_view kFingerprintPrefix = "<!-- jit-agent:fingerprint=";
constexpr std::string_view kControlPrefix = "<!-- jit-agent:control=";
constexpr std::string_view kEnd = " -->";

bool is_hex(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Reads "<prefix>VALUE -->" at the start of `body`; advances `body` past it and one newline.
std::optional<std::string_view> take(std::string_view& body, std::string_view prefix) {
  if (body.substr(0, prefix.size()) != prefix) return std::nullopt;
  auto end = body.find(kEnd, prefix.size());
  auto newline = body.find('\n');
  if (end == std::string_view::npos || (newline != std::string_view::npos && newline < end)) return std::nullopt;
  std::string_view value = body.substr(prefix.size(), end - prefix.size());
  body.remove_prefix(end + kEnd.size());
  if (!body.empty() && body.front() == '\r') body.remove_prefix(1);
  if (!body.empty() && body.front() == '\n') body.remove_prefix(1);
  return value;
}

}  // namespace

std::string thread_markers(std::string_view fingerprint, std::string_view control) {
  std::string out;
  if (is_hex(fingerprint)) out += std::string(kFingerprintPrefix) + lower(fingerprint) + std::string(kEnd) + "\n";
  if (is_name(control)) out += std::string(kControlPrefix) + std::string(control) + std::string(kEnd) + "\n";
  return out;
}

std::optional<ThreadMarker> parse_thread_markers(std::string_view body) {
  auto fp = take(body, kFingerprintPrefix);
  if (!fp || !is_hex(*fp)) return std::nullopt;
  ThreadMarker marker;
  marker.fingerprint = lower(*fp);
  if (auto control = take(body, kControlPrefix); control && is_name(*control)) marker.control = *control;
  return marker;
}

bool is_summary(std::string_view body) { return body.substr(0, kSummaryMarker.size()) == kSummaryMarker; }

bool is_resolved_reply(std::string_view body) {
  return body.substr(0, kResolvedMarker.size()) == kResolvedMarker;
}

}  // namespace agent::publish
