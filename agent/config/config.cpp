#include "agent/config/config.h"

#include <array>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/config/reader.h"
#include "agent/util/error.h"
#include "agent/util/glob.h"
#include "agent/util/yaml_guard.h"

namespace agent::config {
namespace {

using findings::Severity;

void apply_root(Config& c, const Reader& r, const YAML::Node& root) {
  r.each_key(root, "the configuration",
             {"controls", "scope", "fail_on", "min_confidence", "status", "merge_request", "exclude_projects", "exclude",
              "folders", "history"},
             [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& v) {
               if (key != "controls" && key != "status" && key != "merge_request") c.origins[key] = r.position(v);
               if (key == "controls") {
                 r.central_only(key_node, key);
                 read_controls(c, r, v);
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
                              c.origins["status." + k] = r.position(sv);
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
                              c.origins["merge_request." + k] = r.position(mv);
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
               } else if (key == "history") {
                 c.history = r.boolean(v, key);
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
  YAML::Node root = util::load_yaml(yaml_text, file);
  // Validate into a copy so a bad file never leaves a half-applied configuration behind.
  Config next = config;
  std::vector<std::string> errors;
  const Reader reader{file, layer, &errors};
  if (!root.IsNull()) reader.collect([&] { apply_root(next, reader, root); });  // an empty file changes nothing
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    throw util::UsageError(message);
  }
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
