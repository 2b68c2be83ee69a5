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

// printf/format-string specifiers standing for the value: "%s", "%-10s", "%v", "{}", "{0}", "?".
bool is_format(std::string_view s) {
  if (s == "?" || s == "{}" || (s.size() == 3 && s.front() == '{' && s.back() == '}' &&
                                std::isdigit(static_cast<unsigned char>(s[1]))))
    return true;
  if (s.size() < 2 || s.front() != '%') return false;
  std::size_t i = 1;
  while (i < s.size() && std::string_view("-+ #0123456789.").find(s[i]) != std::string_view::npos) ++i;
  return i + 1 == s.size() && std::string_view("sdvqfxi").find(s[i]) != std::string_view::npos;
}

// Masks written with mask characters only: what a real password never is.
bool is_structural_mask(std::string_view s, const std::string& low) {
  for (std::string_view run : {"xxxx", "***", "...", "\xE2\x80\xA6", "\xE2\x80\xA2\xE2\x80\xA2"})
    if (low.find(run) != std::string::npos) return true;
  return s.size() >= 3 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::string_view("*xX#.-_").find(c) != std::string_view::npos;
         });
}

// Values that say they are to be replaced: "<your-token>", "your_password_here", "changeme-in-prod".
bool is_template_phrase(const std::string& low) {
  for (std::string_view word : {"your_", "your-", "yourpass", "yourtoken", "yoursecret", "yourkey", "replace_me",
                                "replaceme", "replace-me", "replace_with", "replace-with", "insert_", "insert-",
                                "enter_your", "enter-your", "placeholder", "redacted", "notreal", "not_real",
                                "not-a-real", "_here", "-here"})
    if (low.find(word) != std::string::npos) return true;
  // "changeme" alone is a (weak) password people really use; "changeme-in-prod" is a template.
  for (std::string_view word : {"changeme", "change_me", "change-me", "changeit", "change_this", "changethis",
                                "change-this"}) {
    const auto at = low.find(word);
    if (at == std::string::npos) continue;
    const std::string rest = low.substr(0, at) + low.substr(at + word.size());
    const bool letters = std::any_of(rest.begin(), rest.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    const bool separated = rest.find_first_of("-_ .") != std::string::npos;
    if (letters && separated) return true;
  }
  return false;
}

// Quotes and spaces around a value are syntax, not part of what is judged.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == '"' || s.front() == '\'' || s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '"' || s.back() == '\'' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_structural_placeholder(std::string_view secret) {
  secret = trim(secret);
  if (secret.empty() || is_variable(secret) || is_format(secret)) return true;
  const std::string low = lower(secret);
  return is_structural_mask(secret, low) || is_template_phrase(low);
}

bool is_placeholder(std::string_view secret) {
  if (is_structural_placeholder(secret)) return true;
  secret = trim(secret);
  std::string low = lower(secret);
  if (is_mask(secret, low)) return true;
  for (auto word : kContains)
    if (low.find(word) != std::string::npos) return true;
  return std::find(kWhole.begin(), kWhole.end(), low) != kWhole.end();
}

}  // namespace agent::controls::secrets
