#include "agent/util/redact.h"

#include <algorithm>
#include <cctype>
#include <mutex>

namespace agent::util {
namespace {
std::mutex g_mutex;

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}
}  // namespace

std::string redact_urls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t sep = text.find("://", i);
    if (sep == std::string_view::npos) break;
    // Walk back over the scheme; require at least one letter.
    std::size_t s = sep;
    while (s > i && is_scheme_char(text[s - 1])) --s;
    std::size_t auth_start = sep + 3;
    std::size_t auth_end = auth_start;
    while (auth_end < text.size() && text[auth_end] != '/' && text[auth_end] != '?' &&
           text[auth_end] != '#' && !std::isspace(static_cast<unsigned char>(text[auth_end])) &&
           text[auth_end] != '"' && text[auth_end] != '\'')
      ++auth_end;
    std::string_view authority = text.substr(auth_start, auth_end - auth_start);
    std::size_t at = authority.rfind('@');
    out.append(text.substr(i, auth_start - i));
    if (s < sep && at != std::string_view::npos) {
      out += "***";
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    i = auth_end;
  }
  out.append(text.substr(i));
  return out;
}

void Redactor::add(std::string value) {
  if (value.size() < 4) return;
  std::lock_guard lock(g_mutex);
  if (std::find(values_.begin(), values_.end(), value) == values_.end())
    values_.push_back(std::move(value));
  // Longest first, so a token that contains another is replaced whole.
  std::sort(values_.begin(), values_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::apply(std::string_view text) const {
  std::string out(text);
  {
    std::lock_guard lock(g_mutex);
    for (const auto& v : values_) {
      std::size_t pos = 0;
      while ((pos = out.find(v, pos)) != std::string::npos) {
        out.replace(pos, v.size(), "[REDACTED]");
        pos += 10;
      }
    }
  }
  return redact_urls(out);
}

Redactor& global_redactor() {
  static Redactor instance;
  return instance;
}

std::string mask_secret(std::string_view secret, std::size_t keep) {
  if (secret.size() <= keep * 2) return std::string(secret.substr(0, std::min<std::size_t>(2, secret.size()))) + "…";
  return std::string(secret.substr(0, keep)) + "…";
}

}  // namespace agent::util
