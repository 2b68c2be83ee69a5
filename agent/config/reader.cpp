#include "agent/config/reader.h"

#include <algorithm>
#include <cctype>

#include "agent/util/error.h"

namespace agent::config {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Levenshtein distance, bounded: the words are keys (a few dozen characters at most).
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& known) {
  if (word.size() > 100) return "";
  std::string best;
  std::size_t best_distance = 3;
  const std::string low = lower(word);
  for (const auto& k : known) {
    if (k == word) continue;
    std::size_t d = lower(k) == low ? 0 : distance(word, k);
    // A one-letter word is "close" to every other short word: ask for a real resemblance.
    if (d > 0 && d >= k.size()) continue;
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& known) {
  std::string c = closest(word, known);
  return c.empty() ? "" : " (did you mean \"" + c + "\"?)";
}

std::string one_of(const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
  return out;
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

std::string Reader::position(const YAML::Node& node) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void Reader::fail(const YAML::Node& node, const std::string& message) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) throw ReadError{util::at(file, 0, 0, message)};
  throw ReadError{util::at(file, m.line + 1, m.column + 1, message)};
}

bool Reader::boolean(const YAML::Node& n, const std::string& key) const {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  fail(n, key + ": expected true or false");
}

std::string Reader::string(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar() || n.Scalar().empty()) fail(n, key + ": expected a non-empty string");
  return n.Scalar();
}

findings::Confidence Reader::confidence(const YAML::Node& n, const std::string& key) const {
  auto c = n.IsScalar() ? findings::parse_confidence(n.Scalar()) : std::nullopt;
  if (!c) fail(n, key + ": expected high, medium or low");
  return *c;
}

std::vector<std::string> Reader::strings(const YAML::Node& n, const std::string& key) const {
  if (n.IsNull()) return {};
  if (!n.IsSequence()) fail(n, key + ": expected a list of strings");
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(string(item, key + " entry"));
  return out;
}

void Reader::central_only(const YAML::Node& key_node, const std::string& key) const {
  if (layer == Layer::repository)
    fail(key_node, "\"" + key + "\" can only be set in the central configuration (jit.yml), not in a repository");
}

}  // namespace agent::config
