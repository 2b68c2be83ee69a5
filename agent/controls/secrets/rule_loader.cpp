// YAML rule packs -> validated RuleSet. Every problem is reported with file:line:col (yaml-cpp
// marks are 0-based) and loading goes on so one run lists every problem of every file.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "agent/controls/secrets/pattern.h"
#include "agent/controls/secrets/rule.h"
#include "agent/controls/secrets/checksum.h"
#include "agent/util/error.h"
#include "agent/util/yaml_guard.h"
#include "agent/util/glob.h"

namespace agent::controls::secrets {
namespace fs = std::filesystem;
namespace {

constexpr std::array kKeys = {"id",       "name",       "description", "severity", "confidence",
                              "pattern",  "keywords",   "entropy",     "low_confidence_entropy",
                              "allow",    "filter_placeholders",       "paths",    "multiline",
                              "generic",  "references", "cwes",        "examples", "negative_examples",
                              "checksum"};
constexpr std::size_t kMaxErrors = 100;

class Loader {
 public:
  explicit Loader(RuleSet& out) : out_(out) {}

  void load_text(const std::string& yaml, const std::string& file) {
    out_.files.push_back(file);
    YAML::Node root;
    try {
      root = util::load_yaml(yaml, file);  // refuses alias bombs before anything walks the document
    } catch (const util::UsageError& e) {
      // Already "file:line:col: ..." (invalid YAML, or an alias bomb refused).
      errors_.push_back({out_.files.size(), 0, 0, e.what()});
      return;
    }
    if (root.IsNull()) return error(file, root.Mark(), "empty rule file (expected a map with 'rules')");
    if (!root.IsMap()) return error(file, root.Mark(), "expected a map with the key 'rules'");
    for (const auto& kv : root) {
      auto key = kv.first.Scalar();
      if (key != "rules") error(file, kv.first.Mark(), "unknown key '" + key + "' (expected 'rules')");
    }
    YAML::Node rules = root["rules"];
    if (!rules) return error(file, root.Mark(), "missing key 'rules'");
    if (!rules.IsSequence()) return error(file, rules.Mark(), "'rules' must be a list of rules");
    for (const auto& node : rules) load_rule(node, file);
  }

  void finish() {
    if (errors_.empty()) return;
    // Within a file, in the order an editor shows them.
    std::stable_sort(errors_.begin(), errors_.end(), [](const Problem& a, const Problem& b) {
      return std::tie(a.file_index, a.line, a.column) < std::tie(b.file_index, b.line, b.column);
    });
    std::string message;
    for (std::size_t i = 0; i < errors_.size() && i < kMaxErrors; ++i)
      message += (i ? "\n" : "") + errors_[i].text;
    if (errors_.size() > kMaxErrors)
      message += "\n... and " + std::to_string(errors_.size() - kMaxErrors) + " more problems";
    throw util::UsageError(message);
  }

  void error(const std::string& file, const YAML::Mark& mark, const std::string& message) {
    const int line = mark.is_null() ? 0 : mark.line + 1;
    const int column = mark.is_null() ? 0 : mark.column + 1;
    errors_.push_back({out_.files.size(), line, column, util::at(file, line, column, message)});
  }

 private:
  bool scalar(const YAML::Node& n, const std::string& file, const std::string& key, std::string& out) {
    if (!n.IsScalar()) {
      error(file, n.Mark(), "'" + key + "' must be a string");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  bool string_list(const YAML::Node& n, const std::string& file, const std::string& key,
                   std::vector<std::string>& out, std::vector<int>* lines = nullptr,
                   std::vector<YAML::Mark>* marks = nullptr) {
    if (!n.IsSequence()) {
      error(file, n.Mark(), "'" + key + "' must be a list of strings");
      return false;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        error(file, item.Mark(), "'" + key + "' items must be strings");
        continue;
      }
      out.push_back(item.Scalar());
      if (lines) lines->push_back(item.Mark().line + 1);
      if (marks) marks->push_back(item.Mark());
    }
    return true;
  }

  bool boolean(const YAML::Node& n, const std::string& file, const std::string& key, bool& out) {
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, out)) {
      error(file, n.Mark(), "'" + key + "' must be true or false");
      return false;
    }
    return true;
  }

  // A list of examples: each a string, or a map {path: ..., text: ...} naming the file it is in.
  bool example_list(const YAML::Node& n, const std::string& file, const std::string& key,
                    std::vector<Example>& out) {
    if (!n.IsSequence()) {
      error(file, n.Mark(), "'" + key + "' must be a list of strings or {path, text} maps");
      return false;
    }
    for (const auto& item : n) {
      Example ex{{}, file, item.Mark().line + 1, {}};
      if (item.IsScalar()) {
        ex.text = item.Scalar();
      } else if (item.IsMap()) {
        bool ok = true;
        for (const auto& kv : item) {
          const std::string k = kv.first.Scalar();
          if (k != "path" && k != "text") {
            error(file, kv.first.Mark(), "unknown key '" + k + "' in an example (expected 'path', 'text')");
            ok = false;
          } else if (!kv.second.IsScalar()) {
            error(file, kv.second.Mark(), "'" + k + "' of an example must be a string");
            ok = false;
          }
        }
        if (!ok) continue;
        if (!item["text"] || !item["path"]) {
          error(file, item.Mark(), "an example map needs both 'path' and 'text'");
          continue;
        }
        ex.text = item["text"].Scalar();
        ex.path = item["path"].Scalar();
        if (ex.path.empty()) error(file, item["path"].Mark(), "an example's 'path' must not be empty");
      } else {
        error(file, item.Mark(), "'" + key + "' items must be strings or {path, text} maps");
        continue;
      }
      out.push_back(std::move(ex));
    }
    return true;
  }

  void load_rule(const YAML::Node& node, const std::string& file) {
    if (!node.IsMap()) return error(file, node.Mark(), "a rule must be a map");
    Rule r;
    r.file = file;
    r.line = node.Mark().line + 1;
    r.column = node.Mark().column + 1;
    std::set<std::string> seen;
    std::map<std::string, YAML::Node> fields;
    for (const auto& kv : node) {
      std::string key = kv.first.Scalar();
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        error(file, kv.first.Mark(), "unknown key '" + key + "'");
        continue;
      }
      if (!seen.insert(key).second) {
        error(file, kv.first.Mark(), "duplicate key '" + key + "'");
        continue;
      }
      fields[key] = kv.second;
    }
    for (const char* required : {"id", "name", "severity", "pattern", "examples"})
      if (!fields.count(required))
        error(file, node.Mark(), std::string("missing required key '") + required + "'");

    std::size_t before = errors_.size();
    YAML::Mark pattern_mark;
    std::vector<YAML::Mark> allow_marks;
    bool confidence_set = false;
    for (const auto& [key, n] : fields) {
      if (key == "id") {
        if (scalar(n, file, key, r.id) &&
            (r.id.empty() || !std::all_of(r.id.begin(), r.id.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            })))
          error(file, n.Mark(), "'id' must match [a-z0-9-]+, got '" + r.id + "'");
      } else if (key == "name") {
        scalar(n, file, key, r.name);
      } else if (key == "description") {
        scalar(n, file, key, r.description);
      } else if (key == "severity") {
        std::string s;
        if (scalar(n, file, key, s)) {
          auto sev = findings::parse_severity(s);
          if (!sev || *sev == findings::Severity::unknown)
            error(file, n.Mark(), "'severity' must be one of info, low, medium, high, critical; got '" + s + "'");
          else
            r.severity = *sev;
        }
      } else if (key == "confidence") {
        std::string c;
        if (scalar(n, file, key, c)) {
          auto conf = findings::parse_confidence(c);
          if (!conf) error(file, n.Mark(), "'confidence' must be one of high, medium, low; got '" + c + "'");
          else r.confidence = *conf;
          confidence_set = true;
        }
      } else if (key == "low_confidence_entropy") {
        if (!n.IsScalar() || !YAML::convert<double>::decode(n, r.low_confidence_entropy) ||
            r.low_confidence_entropy < 0 || r.low_confidence_entropy > 8)
          error(file, n.Mark(), "'low_confidence_entropy' must be a number between 0 and 8 (bits per character)");
      } else if (key == "paths") {
        std::vector<YAML::Mark> marks;
        if (string_list(n, file, key, r.paths, nullptr, &marks)) {
          if (r.paths.empty()) error(file, n.Mark(), "'paths' must hold at least one glob (omit it for every file)");
          for (std::size_t i = 0; i < r.paths.size(); ++i)
            if (r.paths[i].empty()) error(file, marks[i], "'paths' items must not be empty");
        }
      } else if (key == "pattern") {
        if (scalar(n, file, key, r.pattern)) pattern_mark = n.Mark();
      } else if (key == "keywords") {
        if (string_list(n, file, key, r.keywords))
          for (auto& k : r.keywords) {
            if (k.empty()) error(file, n.Mark(), "'keywords' items must not be empty");
            for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          }
      } else if (key == "entropy") {
        if (!n.IsScalar() || !YAML::convert<double>::decode(n, r.entropy) || r.entropy < 0 || r.entropy > 8)
          error(file, n.Mark(), "'entropy' must be a number between 0 and 8 (bits per character)");
      } else if (key == "allow") {
        string_list(n, file, key, r.allow, nullptr, &allow_marks);
      } else if (key == "filter_placeholders") {
        if (n.IsScalar() && n.Scalar() == "structural") {
          r.placeholders = Placeholders::structural;
        } else if (n.IsScalar() && YAML::convert<bool>::decode(n, r.filter_placeholders)) {
          r.placeholders = r.filter_placeholders ? Placeholders::all : Placeholders::keep;
        } else {
          error(file, n.Mark(), "'filter_placeholders' must be true, false or structural");
        }
      } else if (key == "multiline") {
        boolean(n, file, key, r.multiline);
      } else if (key == "generic") {
        boolean(n, file, key, r.generic);
      } else if (key == "checksum") {
        if (!n.IsScalar() || !known_checksum(n.Scalar())) error(file, n.Mark(), "'checksum' must be one of: crc32-base62");
        else r.checksum = n.Scalar();
      } else if (key == "references") {
        string_list(n, file, key, r.references);
      } else if (key == "cwes") {
        string_list(n, file, key, r.cwes);
      } else if (key == "examples") {
        if (example_list(n, file, key, r.examples) && r.examples.empty())
          error(file, n.Mark(), "'examples' must hold at least one example");
      } else if (key == "negative_examples") {
        example_list(n, file, key, r.negative_examples);
      }
    }
    if (r.id.rfind("generic-", 0) == 0) r.generic = true;
    if (!confidence_set && r.generic) r.confidence = findings::Confidence::medium;
    if (!r.paths.empty()) place_examples(r, file, fields["paths"]);

    if (!r.pattern.empty() || fields.count("pattern")) check_pattern(r, file, pattern_mark);
    for (std::size_t i = 0; i < r.allow.size(); ++i) {
      auto re = std::make_shared<const RE2>(r.allow[i], re2_options());
      if (!re->ok()) error(file, allow_marks[i], "invalid 'allow' regex: " + re->error());
      r.allow_regexes.push_back(std::move(re));
    }
    if (errors_.size() != before) return;
    if (auto [it, fresh] = ids_.emplace(r.id, file + ":" + std::to_string(r.line)); !fresh) {
      error(file, fields["id"].Mark(), "duplicate rule id '" + r.id + "' (first defined at " + it->second + ")");
      return;
    }
    out_.rules.push_back(std::move(r));
  }

  // A path rule's examples are scanned as files its globs select: a plain string as the first glob
  // made concrete, a {path, text} example as its own path (which may deliberately not match, for
  // a negative example).
  void place_examples(Rule& r, const std::string& file, const YAML::Node& paths) {
    const std::string concrete = concrete_path(r.paths.front());
    const bool ok = util::glob_match(r.paths.front(), concrete);
    for (auto* list : {&r.examples, &r.negative_examples})
      for (auto& ex : *list) {
        if (!ex.path.empty()) continue;
        if (!ok)
          error(file, paths.Mark(), "cannot make a file name from the glob '" + r.paths.front() +
                                        "' for plain examples; write them as {path: ..., text: ...}");
        ex.path = concrete;
      }
  }

  void check_pattern(Rule& r, const std::string& file, const YAML::Mark& mark) {
    r.pattern_line = mark.line + 1;
    r.pattern_column = mark.column + 1;
    if (r.pattern.empty()) return error(file, mark, "'pattern' must not be empty");
    auto re = std::make_shared<const RE2>(re2_pattern(r.pattern), re2_options());
    if (!re->ok()) {
      std::string why = re->error();
      if (auto at = why.find("(?m)"); at != std::string::npos) why.erase(at, 4);  // our prefix, not theirs
      return error(file, mark, "invalid regex: " + why);
    }
    if (r.entropy > 0 && re->NumberOfCapturingGroups() == 0)
      return error(file, mark, "a rule with 'entropy' needs a capture group (named 'secret' or group 1) for the secret");
    r.regex = std::move(re);
  }

  struct Problem {
    std::size_t file_index;
    int line, column;
    std::string text;
  };
  RuleSet& out_;
  std::vector<Problem> errors_;
  std::map<std::string, std::string> ids_;
};

}  // namespace

std::string concrete_path(std::string_view glob) {
  while (glob.starts_with("./") || glob.starts_with("/")) glob.remove_prefix(glob[0] == '.' ? 2 : 1);
  while (glob.starts_with("**/")) glob.remove_prefix(3);
  std::string out;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (c == '*') {
      if (i + 2 < glob.size() && glob[i + 1] == '*' && glob[i + 2] == '/') i += 2;  // "**/": no folder
      else {
        while (i + 1 < glob.size() && glob[i + 1] == '*') ++i;
        out += 'x';
      }
    } else if (c == '?') {
      out += 'x';
    } else if (c == '\\' && i + 1 < glob.size()) {
      out += glob[++i];
    } else if (c == '[') {
      const std::size_t close = glob.find(']', i + 2);
      if (close == std::string_view::npos) {
        out += c;
        continue;
      }
      const bool negated = glob[i + 1] == '!' || glob[i + 1] == '^';
      out += negated ? (glob[i + 2] == 'x' ? 'y' : 'x') : glob[i + 1];
      i = close;
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() == '/') out += "x";
  return out;
}

namespace {

std::vector<fs::path> rule_files(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw util::UsageError(util::at(path.string(), 0, 0, "no such rule file or folder"));
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto ext = it->path().extension();
    if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(it->path());
  }
  if (ec) throw util::UsageError(util::at(path.string(), 0, 0, "cannot list folder: " + ec.message()));
  // A wrong JIT_RULES_DIR must not turn into a scan that silently finds nothing.
  if (files.empty()) throw util::UsageError(util::at(path.string(), 0, 0, "no rule files (*.yaml, *.yml) in this folder"));
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

RuleSet load_rules(const std::vector<fs::path>& paths) {
  RuleSet out;
  Loader loader(out);
  for (const auto& path : paths) {
    for (const auto& file : rule_files(path)) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) {
        loader.error(file.string(), YAML::Mark::null_mark(), "cannot read rule file");
        continue;
      }
      loader.load_text(text.str(), file.string());
    }
  }
  loader.finish();
  return out;
}

RuleSet load_rules_from_string(const std::string& yaml, const std::string& file) {
  RuleSet out;
  Loader loader(out);
  loader.load_text(yaml, file);
  loader.finish();
  return out;
}

std::filesystem::path default_rules_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "jit-agent" / "rules" / "secrets";
    if (fs::is_directory(installed, ec)) return installed;
  }
  return fs::path(JIT_AGENT_SOURCE_DIR) / "rules" / "secrets";
}

}  // namespace agent::controls::secrets
