#include "agent/config/config.h"

#include <array>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/util/error.h"
#include "agent/util/glob.h"

namespace agent::config {
namespace {

using findings::Severity;

/// One validation context: the file name, for "file:line:col: message".
struct Reader {
  const std::string& file;
  Layer layer;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    const YAML::Mark m = node.Mark();
    if (m.is_null()) throw util::UsageError(util::at(file, 0, 0, message));
    throw util::UsageError(util::at(file, m.line + 1, m.column + 1, message));
  }

  /// Iterates a mapping's keys, rejecting duplicates and keys not in `allowed`.
  template <typename Fn>
  void each_key(const YAML::Node& map, const std::string& where, std::initializer_list<std::string_view> allowed,
                Fn&& fn) const {
    if (!map.IsMap()) fail(map, where + " must be a mapping");
    std::set<std::string, std::less<>> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) fail(kv.first, where + ": keys must be plain names");
      const std::string key = kv.first.Scalar();
      if (!seen.insert(key).second) fail(kv.first, "duplicate key \"" + key + "\"");
      bool known = false;
      for (auto a : allowed) known = known || a == key;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(kv.first, "unknown key \"" + key + "\" in " + where + " (allowed: " + list + ")");
      }
      fn(key, kv.first, kv.second);
    }
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      if (s == "true") return true;
      if (s == "false") return false;
    }
    fail(n, key + ": expected true or false");
  }

  std::string string(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar() || n.Scalar().empty()) fail(n, key + ": expected a non-empty string");
    return n.Scalar();
  }

  findings::Confidence confidence(const YAML::Node& n, const std::string& key) const {
    auto c = n.IsScalar() ? findings::parse_confidence(n.Scalar()) : std::nullopt;
    if (!c) fail(n, key + ": expected high, medium or low");
    return *c;
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const {
    if (n.IsNull()) return {};
    if (!n.IsSequence()) fail(n, key + ": expected a list of strings");
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(string(item, key + " entry"));
    return out;
  }

  void central_only(const YAML::Node& key_node, const std::string& key) const {
    if (layer == Layer::repository)
      fail(key_node, "\"" + key + "\" can only be set in the central configuration (jit.yml), not in a repository");
  }
};

void read_control(const Reader& r, const YAML::Node& node, const std::string& name, bool& enabled) {
  if (node.IsScalar()) {  // shorthand: `secrets: false`
    enabled = r.boolean(node, "controls." + name);
    return;
  }
  r.each_key(node, "controls." + name, {"enabled"}, [&](const std::string&, const YAML::Node&, const YAML::Node& v) {
    enabled = r.boolean(v, "controls." + name + ".enabled");
  });
}

void apply_root(Config& c, const Reader& r, const YAML::Node& root) {
  r.each_key(root, "the configuration",
             {"controls", "scope", "fail_on", "min_confidence", "status", "merge_request", "exclude_projects", "exclude",
              "folders"},
             [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& v) {
               if (key == "controls") {
                 r.central_only(key_node, key);
                 r.each_key(v, "controls", {"secrets", "dependencies"},
                            [&](const std::string& name, const YAML::Node&, const YAML::Node& cv) {
                              read_control(r, cv, name, name == "secrets" ? c.secrets : c.dependencies);
                            });
               } else if (key == "scope") {
                 auto s = v.IsScalar() ? parse_scope(v.Scalar()) : std::nullopt;
                 if (!s) r.fail(v, "scope: expected diff, files or full");
                 c.mr_scope = *s;
               } else if (key == "fail_on") {
                 r.central_only(key_node, key);
                 std::string s = v.IsScalar() ? v.Scalar() : "";
                 if (s == "none") {
                   c.fail_on.reset();
                 } else {
                   auto sev = findings::parse_severity(s);
                   if (!sev || *sev == Severity::unknown)
                     r.fail(v, "fail_on: expected info, low, medium, high, critical or none");
                   c.fail_on = sev;
                 }
               } else if (key == "min_confidence") {
                 r.central_only(key_node, key);
                 c.min_confidence = r.confidence(v, key);
               } else if (key == "status") {
                 r.central_only(key_node, key);
                 r.each_key(v, "status", {"enabled", "name"},
                            [&](const std::string& k, const YAML::Node&, const YAML::Node& sv) {
                              if (k == "enabled") {
                                c.status_enabled = r.boolean(sv, "status.enabled");
                              } else {
                                c.status_name = r.string(sv, "status.name");
                                if (c.status_name.size() > 255) r.fail(sv, "status.name: at most 255 characters");
                              }
                            });
               } else if (key == "merge_request") {
                 r.each_key(v, "merge_request", {"summary_note", "threads", "thread_min_confidence"},
                            [&](const std::string& k, const YAML::Node&, const YAML::Node& mv) {
                              if (k == "thread_min_confidence")
                                c.thread_min_confidence = r.confidence(mv, "merge_request." + k);
                              else
                                (k == "summary_note" ? c.summary_note : c.threads) = r.boolean(mv, "merge_request." + k);
                            });
               } else if (key == "exclude_projects") {
                 r.central_only(key_node, key);
                 for (auto& p : r.strings(v, key)) c.exclude_projects.push_back(std::move(p));
               } else if (key == "exclude") {
                 for (auto& p : r.strings(v, key)) c.exclude.push_back(std::move(p));
               } else {  // folders: Jit's monorepo format, validated where it is merged
                 if (!v.IsSequence() && !v.IsNull()) r.fail(v, "folders: expected a list of {path, exclude}");
                 c.folders.push_back(FoldersSource{r.file, v});
               }
             });
}

}  // namespace

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::diff: return "diff";
    case Scope::files: return "files";
    case Scope::full: return "full";
  }
  return "diff";
}

std::optional<Scope> parse_scope(std::string_view text) {
  if (text == "diff") return Scope::diff;
  if (text == "files") return Scope::files;
  if (text == "full") return Scope::full;
  return std::nullopt;
}

Config default_config() {
  Config c;
  c.tools = tool_presets();
  return c;
}

void apply_layer(Config& config, std::string_view yaml_text, const std::string& file, Layer layer) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw util::UsageError(util::at(file, e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg));
  }
  // Validate into a copy so a bad file never leaves a half-applied configuration behind.
  Config next = config;
  if (!root.IsNull()) apply_root(next, Reader{file, layer}, root);  // an empty file changes nothing
  next.sources.push_back(file);
  config = std::move(next);
}

Config load_config(const std::optional<std::filesystem::path>& central,
                   const std::optional<std::filesystem::path>& repository) {
  Config config = default_config();
  auto apply_file = [&config](const std::filesystem::path& path, Layer layer) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw util::UsageError(util::at(path.string(), 0, 0, "cannot read the configuration file"));
    std::ostringstream ss;
    ss << in.rdbuf();
    apply_layer(config, ss.str(), path.string(), layer);
  };
  if (central) apply_file(*central, Layer::central);
  if (repository) apply_file(*repository, Layer::repository);
  return config;
}

bool project_excluded(const Config& config, std::string_view project_path) {
  std::string path(project_path);
  for (const auto& pattern : config.exclude_projects) {
    std::string p = pattern;
    while (!p.empty() && p.back() == '/') p.pop_back();
    if (!p.empty() && p.front() == '/') p.erase(0, 1);
    if (util::glob_match_exact(p, path) || util::glob_match_exact(p + "/**", path)) return true;
  }
  return false;
}

bool fails(const Config& config, findings::Severity severity) {
  return config.fail_on.has_value() && severity >= *config.fail_on;
}

}  // namespace agent::config
