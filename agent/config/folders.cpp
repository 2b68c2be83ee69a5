#include "agent/config/folders.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/util/error.h"
#include "agent/util/fs.h"
#include "agent/util/yaml_guard.h"
#include "agent/util/glob.h"

namespace agent::config {
namespace {

[[noreturn]] void fail(const std::string& file, const YAML::Node& node, const std::string& message) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) throw util::UsageError(util::at(file, 0, 0, message));
  throw util::UsageError(util::at(file, m.line + 1, m.column + 1, message));
}

std::string scalar(const std::string& file, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) fail(file, node, what + ": expected a string");
  return node.as<std::string>();
}

void read_list(const FoldersSource& src, std::map<std::string, Folder>& merged) {
  const YAML::Node& list = src.node;
  if (!list || list.IsNull()) return;
  if (!list.IsSequence()) fail(src.file, list, "folders: expected a list of {path, exclude}");
  std::map<std::string, int> seen_here;
  for (const YAML::Node& item : list) {
    if (!item.IsMap()) fail(src.file, item, "folders: each entry must be a map with `path` and optional `exclude`");
    Folder f;
    f.file = src.file;
    f.line = item.Mark().is_null() ? 0 : item.Mark().line + 1;
    bool has_path = false;
    for (const auto& kv : item) {
      std::string key = scalar(src.file, kv.first, "folders: key");
      if (key == "path") {
        std::string raw = scalar(src.file, kv.second, "folders: path");
        auto norm = normalize_folder_path(raw);
        if (!norm) fail(src.file, kv.second, "folders: path \"" + raw + "\" must be a folder inside the repository");
        f.path = *norm;
        has_path = true;
      } else if (key == "exclude") {
        const YAML::Node& ex = kv.second;
        if (ex.IsNull()) continue;
        if (!ex.IsSequence()) fail(src.file, ex, "folders: exclude: expected a list of globs");
        for (const YAML::Node& g : ex) {
          std::string glob = scalar(src.file, g, "folders: exclude");
          if (glob.empty()) fail(src.file, g, "folders: exclude: empty glob");
          f.exclude.push_back(std::move(glob));
        }
      } else {
        fail(src.file, kv.first, "folders: unknown key `" + key + "` (expected path, exclude)");
      }
    }
    if (!has_path) fail(src.file, item, "folders: entry without `path`");
    if (auto it = seen_here.find(f.path); it != seen_here.end()) {
      fail(src.file, item, "folders: path " + f.path + " is listed twice (first at line " +
                               std::to_string(it->second) + ")");
    }
    seen_here[f.path] = f.line;
    merged[f.path] = std::move(f);  // a later (repository) file replaces the same path
  }
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw util::UsageError(util::at(p.string(), 0, 0, "cannot read the configuration file"));
  std::ostringstream buf;
  buf << in.rdbuf();
  return std::move(buf).str();
}

}  // namespace

std::optional<std::string> normalize_folder_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") parts.push_back(part);
    i = j + 1;
  }
  bool blank = std::all_of(path.begin(), path.end(), [](char c) { return c == ' '; });
  if (blank) return std::nullopt;
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

FoldersConfig merge_folders(const std::vector<FoldersSource>& sources) {
  std::map<std::string, Folder> merged;
  for (const auto& src : sources) read_list(src, merged);
  FoldersConfig out;
  for (auto& [path, f] : merged) out.folders.push_back(std::move(f));
  return out;
}

FoldersConfig parse_folders(std::string_view yaml_text, const std::string& file) {
  YAML::Node doc = util::load_yaml(yaml_text, file);  // syntax errors and alias bombs: file:line:col
  if (!doc || doc.IsNull()) return {};
  if (!doc.IsMap()) fail(file, doc, "expected a map at the top level");
  return merge_folders({FoldersSource{file, doc["folders"]}});
}

FoldersConfig load_folders(const std::optional<std::filesystem::path>& org_file,
                           const std::filesystem::path& repository_root) {
  std::vector<FoldersSource> sources;
  std::vector<YAML::Node> docs;  // keep the documents alive while their nodes are used
  auto add = [&](const std::filesystem::path& p) {
    std::string text = read_text(p);
    YAML::Node doc = util::load_yaml(text, p.string());
    if (!doc || doc.IsNull()) return;
    if (!doc.IsMap()) fail(p.string(), doc, "expected a map at the top level");
    docs.push_back(doc);
    sources.push_back({p.string(), doc["folders"]});
  };
  if (org_file) add(*org_file);
  std::filesystem::path repo_file = repository_root / ".jit" / "jit-config.yml";
  if (util::is_regular_file_within(repository_root, ".jit/jit-config.yml")) add(repo_file);
  return merge_folders(sources);
}

const Folder* folder_for(const FoldersConfig& config, std::string_view path) {
  const Folder* best = nullptr;
  for (const auto& f : config.folders) {
    std::string_view fp = std::string_view(f.path).substr(1);  // without the leading '/'
    bool inside = fp.empty() || (path.size() > fp.size() && path.starts_with(fp) && path[fp.size()] == '/');
    if (inside && (!best || f.path.size() > best->path.size())) best = &f;
  }
  return best;
}

bool excluded_in(const Folder& folder, std::string_view path) {
  std::string_view fp = std::string_view(folder.path).substr(1);
  std::string_view rel = fp.empty() ? path : path.substr(std::min(path.size(), fp.size() + 1));
  for (const auto& g : folder.exclude) {
    if (util::glob_match(g, rel)) return true;
  }
  return false;
}

}  // namespace agent::config
