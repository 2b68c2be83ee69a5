// `jit-agent config validate [FILE...]` and `config show`: the configuration is code, checked
// before it is pushed, and the effective plan is visible before a pipeline runs it.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agent/cli/commands.h"
#include "agent/cli/printable.h"
#include "agent/config/config.h"
#include "agent/config/ignores.h"
#include "agent/config/folders.h"
#include "agent/config/show.h"
#include "agent/controls/secrets/rule.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"
#include "agent/util/yaml_guard.h"

namespace agent::cli {
namespace {
namespace fs = std::filesystem;

struct ValidateOptions {
  std::vector<std::string> files;
  std::string layer = "auto";
};

struct ShowOptions {
  std::string config;
  std::string target = ".";
  bool json = false;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw util::UsageError(util::at(path.string(), 0, 0, "cannot read the file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_repository_file(const fs::path& path) {
  const std::string p = path.generic_string();
  const std::string tail = ".jit/jit-config.yml";
  return p == tail || (p.size() > tail.size() && p.compare(p.size() - tail.size(), tail.size(), tail) == 0 &&
                       p[p.size() - tail.size() - 1] == '/');
}

// What `file` is: --layer when given, else by its path and content.
std::string kind_of(const fs::path& file, const std::string& text, const std::string& layer) {
  if (layer != "auto") return layer;
  if (is_repository_file(file)) return "repository";
  YAML::Node root = util::load_yaml(text, file.string());
  if (root.IsMap() && root["rules"]) return "rules";
  if ((root.IsMap() && root["ignores"]) || file.filename() == "ignores.yml") return "ignores";
  return "central";
}

// One line saying what the file holds when it is valid; throws util::UsageError otherwise.
std::string validate_one(const fs::path& file, const std::string& layer) {
  const std::string text = read_file(file);
  const std::string kind = kind_of(file, text, layer);
  if (kind == "ignores") {
    const auto ignores = config::parse_ignores(text, file.string());
    const std::string today = config::today_utc();
    std::size_t expired = 0;
    for (const auto& e : ignores.entries) expired += config::expired(e, today);
    return "ignores file, " + std::to_string(ignores.entries.size()) + " entr" +
           (ignores.entries.size() == 1 ? "y" : "ies") +
           (expired ? ", " + std::to_string(expired) + " expired (no longer applied)" : "");
  }
  if (kind == "rules") {
    util::load_yaml(text, file.string());  // the alias-bomb guard, before the loader walks it
    auto rules = controls::secrets::load_rules_from_string(text, file.string());
    return "rule pack, " + std::to_string(rules.rules.size()) + " rules";
  }
  config::Config c = config::default_config();
  const bool central = kind == "central";
  config::apply_layer(c, text, file.string(), central ? config::Layer::central : config::Layer::repository);
  const auto folders = config::merge_folders(c.folders);
  std::string controls;
  std::size_t n = 0;
  auto add = [&](const std::string& name, std::string_view mode) {
    ++n;
    controls += (controls.empty() ? "" : ", ") + name + " " + std::string(mode);
  };
  add("secrets", c.secrets ? "on" : "disabled");
  add("dependencies", c.dependencies ? "on" : "disabled");
  for (const auto& t : c.tools) add(t.name, config::tool_mode(t));
  std::string out = central ? "central configuration, " : "repository configuration, ";
  out += std::to_string(n) + " controls: " + controls;
  if (folders.configured()) out += "; " + std::to_string(folders.folders.size()) + " folders";
  return out;
}

int validate(const ValidateOptions& o) {
  std::vector<fs::path> files(o.files.begin(), o.files.end());
  if (files.empty()) {
    for (const char* p : {"jit.yml", "ignores.yml", ".jit/jit-config.yml"})
      if (fs::exists(p)) files.emplace_back(p);
    if (files.empty())
      throw util::UsageError(
          "config validate: no FILE given, and none of ./jit.yml, ./ignores.yml, ./.jit/jit-config.yml exists");
  }
  int invalid = 0;
  for (const auto& f : files) {
    try {
      std::cout << printable(f.string() + ": ok (" + validate_one(f, o.layer) + ")", true) << '\n';
    } catch (const util::UsageError& e) {
      ++invalid;
      std::cout << printable(e.what(), true) << '\n';
    }
  }
  if (files.size() > 1)
    std::cout << files.size() - invalid << " valid, " << invalid << " invalid\n";
  return invalid == 0 ? 0 : static_cast<int>(util::ExitCode::usage);
}

int show(const ShowOptions& o) {
  std::optional<fs::path> central;
  if (!o.config.empty()) central = fs::path(o.config);
  std::optional<fs::path> repository;
  const fs::path repo_file = fs::path(o.target) / ".jit" / "jit-config.yml";
  if (!o.target.empty() && util::is_regular_file_within(o.target, ".jit/jit-config.yml")) repository = repo_file;
  const config::Config c = config::load_config(central, repository);
  if (o.json)
    std::cout << printable(config::show_json(c).dump(2), true) << '\n';
  else
    std::cout << printable(config::show_yaml(c), true);
  return 0;
}

}  // namespace

void add_config(CLI::App& root, const GlobalOptions&, Action& action) {
  auto* sub = root.add_subcommand("config", "Validate configuration files, or show the effective configuration");
  sub->require_subcommand(1);

  auto vo = std::make_shared<ValidateOptions>();
  auto* v = sub->add_subcommand(
      "validate",
      "Validate jit.yml (central), ignores.yml, .jit/jit-config.yml (repository) and rule packs; every error as "
      "file:line:col");
  v->add_option("FILE", vo->files,
                "Files to check (default: ./jit.yml, ./ignores.yml and ./.jit/jit-config.yml when present)");
  v->add_option("--layer", vo->layer,
                "What the files are: auto (a path ending in .jit/jit-config.yml is a repository file, a YAML "
                "with rules: a rule pack, ignores.yml or a YAML with ignores: an ignores file, anything else jit.yml), "
                "central, repository, rules or ignores")
      ->check(CLI::IsMember({"auto", "central", "repository", "rules", "ignores"}))
      ->capture_default_str();
  v->footer("Exit codes: 0 every file is valid; 2 a file is invalid (each error is printed).");
  v->callback([&action, vo] { action = [vo] { return validate(*vo); }; });

  auto so = std::make_shared<ShowOptions>();
  auto* s = sub->add_subcommand(
      "show", "Print the effective configuration: defaults < --config FILE < PATH/.jit/jit-config.yml");
  s->add_option("--config", so->config, "Central configuration (jit.yml)");
  s->add_option("--target", so->target, "Repository whose .jit/jit-config.yml is applied last")->capture_default_str();
  s->add_flag("--json", so->json, "JSON instead of YAML (sources in a \"sources\" object)");
  s->callback([&action, so] { action = [so] { return show(*so); }; });
}

}  // namespace agent::cli
