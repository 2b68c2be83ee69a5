#include "agent/controls/secrets/placeholder.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <string>

namespace agent::controls::secrets {
namespace {

// Words that make a value documentation wherever they occur in it. Chosen so that a random key
// is very unlikely to contain one (every word has at least five letters).
constexpr std::array<std::string_view, 26> kContains = {
    "example", "placeholder", "changeme", "change_me", "change-me", "changeit", "change_this",
    "changethis", "dummy", "redacted", "your_", "your-", "yourpass", "yourtoken", "yoursecret",
    "yourkey", "insert_", "insert-", "replace_me", "replaceme", "notreal", "not_real", "not-a-real",
    "12345678", "abcdefgh", "<your"};

// Whole values that are a field's name or a type, not a value.
constexpr std::array<std::string_view, 30> kWhole = {
    "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "api-key",
    "null", "none", "nil", "undefined", "true", "false", "empty", "test", "testing", "string",
    "str", "value", "required", "optional", "default", "todo", "tbd", "n/a", "foobar", "sample",
    "fake"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool is_variable(std::string_view s) {
  for (std::string_view marker : {"${", "{{", "}}", "<%", "%>", "#{", "$(", "process.env", "os.environ",
                                  "getenv(", "env("})
    if (s.find(marker) != std::string_view::npos) return true;
  auto ident = [](std::string_view v) { return !v.empty() && std::all_of(v.begin(), v.end(), is_ident_char); };
  if (s.size() >= 2 && s.front() == '$' && !std::isdigit(static_cast<unsigned char>(s[1])) && ident(s.substr(1)))
    return true;  // $VAR (shell)
  if (s.size() >= 3 && s.front() == '%' && s.back() == '%' && ident(s.substr(1, s.size() - 2)))
    return true;  // %VAR% (Windows)
  if (s.size() >= 3 && s.front() == '<' && s.back() == '>') return true;  // <your-token>
  if (s.size() >= 3 && s.front() == '{' && s.back() == '}' && ident(s.substr(1, s.size() - 2)))
    return true;  // {name} (format strings)
  if (s.size() >= 4 && s.substr(0, 2) == "%(" && s.find(")s") != std::string_view::npos) return true;
  return false;
}

bool is_mask(std::string_view s, const std::string& low) {
  if (low.find("xxxx") != std::string::npos || s.find("***") != std::string_view::npos ||
      s.find("...") != std::string_view::npos || s.find("\xE2\x80\xA6") != std::string_view::npos)
    return true;
  std::bitset<256> seen;
  std::size_t run = 0, longest = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    seen.set(static_cast<unsigned char>(s[i]));
    run = (i > 0 && s[i] == s[i - 1]) ? run + 1 : 1;
    longest = std::max(longest, run);
  }
  if (s.size() >= 3 && seen.count() <= (s.size() >= 8 ? 2u : 1u)) return true;  // "aaaa", "abababab"
  // Mostly one repeated character after a prefix ("tok_zzzzzzzzzzzz"); a random key never is.
  return longest >= 6 && longest * 2 >= s.size();
}

}  // namespace

bool is_placeholder(std::string_view secret) {
  // Quotes and spaces around a value are syntax, not part of what is judged.
  while (!secret.empty() && (secret.front() == '"' || secret.front() == '\'' || secret.front() == ' '))
    secret.remove_prefix(1);
  while (!secret.empty() && (secret.back() == '"' || secret.back() == '\'' || secret.back() == ' '))
    secret.remove_suffix(1);
  if (secret.empty()) return true;
  if (is_variable(secret)) return true;
  std::string low = lower(secret);
  if (is_mask(secret, low)) return true;
  for (auto word : kContains)
    if (low.find(word) != std::string::npos) return true;
  return std::find(kWhole.begin(), kWhole.end(), low) != kWhole.end();
}

}  // namespace agent::controls::secrets
