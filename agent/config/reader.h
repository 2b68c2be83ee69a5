#pragma once
// Internal to agent/config: the validating reader the layers are parsed with. Errors read
// "file:line:col: what is wrong (expected ...)"; an unknown key gets a "did you mean" when a known
// one is close. Errors under different keys are collected, so one run reports them all.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"

namespace agent::config {

/// The closest of `known` to `word` (edit distance <= 2, or equal ignoring case), or "".
std::string closest(std::string_view word, const std::vector<std::string>& known);

/// " (did you mean \"x\"?)" for closest(word, known), or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& known);

/// "a, b or c".
std::string one_of(const std::vector<std::string>& values);

/// "a, b, c".
std::string join(const std::vector<std::string>& values);

struct Reader {
  const std::string& file;
  Layer layer;
  std::vector<std::string>* errors;  ///< collected messages (each "file:line:col: ...")

  static constexpr std::size_t kMaxErrors = 50;

  /// "file:line:col" of `node` (just the file when it has no position).
  std::string position(const YAML::Node& node) const;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;

  /// Runs `fn`, recording (instead of propagating) the error it throws, so siblings are checked too.
  template <typename Fn>
  void collect(Fn&& fn) const;

  /// Iterates a mapping's keys, rejecting duplicates and keys not in `allowed`; an error under
  /// one key is recorded and the next key is read.
  template <typename Fn>
  void each_key(const YAML::Node& map, const std::string& where, const std::vector<std::string>& allowed,
                Fn&& fn) const;

  bool boolean(const YAML::Node& n, const std::string& key) const;
  std::string string(const YAML::Node& n, const std::string& key) const;
  findings::Confidence confidence(const YAML::Node& n, const std::string& key) const;
  std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const;
  void central_only(const YAML::Node& key_node, const std::string& key) const;
};

/// Thrown by Reader::fail and caught by Reader::collect (never leaves agent/config).
struct ReadError {
  std::string message;
};

template <typename Fn>
void Reader::collect(Fn&& fn) const {
  try {
    fn();
  } catch (const ReadError& e) {
    if (errors->size() < kMaxErrors) errors->push_back(e.message);
  }
}

template <typename Fn>
void Reader::each_key(const YAML::Node& map, const std::string& where, const std::vector<std::string>& allowed,
                      Fn&& fn) const {
  if (!map.IsMap()) fail(map, where + " must be a mapping (keys: " + join(allowed) + ")");
  std::vector<std::string> seen;
  for (const auto& kv : map) {
    collect([&] {
      if (!kv.first.IsScalar()) fail(kv.first, where + ": keys must be plain names");
      const std::string key = kv.first.Scalar();
      for (const auto& s : seen)
        if (s == key) fail(kv.first, "duplicate key \"" + key + "\" in " + where);
      seen.push_back(key);
      bool known = false;
      for (const auto& a : allowed) known = known || a == key;
      if (!known)
        fail(kv.first, "unknown key \"" + key + "\" in " + where + did_you_mean(key, allowed) +
                           " (allowed: " + join(allowed) + ")");
      fn(key, kv.first, kv.second);
    });
  }
}

/// Reads `controls:` (central only) into c.secrets, c.dependencies and c.tools.
void read_controls(Config& c, const Reader& r, const YAML::Node& controls);

/// "30s", "5m", "1h30m" or a bare number of seconds; nullopt when malformed.
std::optional<std::chrono::seconds> parse_timeout(std::string_view text);

}  // namespace agent::config
