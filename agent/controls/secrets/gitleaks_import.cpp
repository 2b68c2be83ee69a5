#include "agent/controls/secrets/gitleaks_import.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/regex_example.h"
#include "agent/controls/secrets/rule.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"
#include "agent/util/toml.h"

namespace agent::controls::secrets {
namespace fs = std::filesystem;
namespace {

constexpr unsigned kAttempts = 40;
constexpr int kMaxExtendDepth = 3;  // gitleaks itself stops at 2

struct Allowlist {
  std::string description;
  bool and_condition = false;
  std::string target;  // regexTarget: "", "secret", "match", "line"
  std::vector<std::string> commits, paths, regexes, stopwords, target_rules;
};

struct GlRule {
  std::string id, description, regex, path;
  int secret_group = 0;
  std::optional<double> entropy;
  std::vector<std::string> keywords, tags;
  std::vector<Allowlist> allowlists;
  std::string where;  // file:line
};

struct GlConfig {
  std::vector<GlRule> rules;
  std::vector<Allowlist> global;
  bool use_default = false;
  std::string extend_path;
  std::vector<std::string> disabled;
};

struct Reader {
  std::string file;

  [[noreturn]] void fail(int line, const std::string& message) const {
    throw util::UsageError(util::at(file, line, 0, message));
  }
  std::string string(const util::TomlValue& v, std::string_view key) const {
    if (v.kind != util::TomlValue::Kind::string) fail(v.line, "'" + std::string(key) + "' must be a string");
    return v.text;
  }
  std::vector<std::string> strings(const util::TomlValue& v, std::string_view key) const {
    if (v.kind != util::TomlValue::Kind::array) fail(v.line, "'" + std::string(key) + "' must be an array of strings");
    std::vector<std::string> out;
    for (const auto& item : v.items) out.push_back(string(item, key));
    return out;
  }
  double number(const util::TomlValue& v, std::string_view key) const {
    try {
      return std::stod(v.text);
    } catch (const std::exception&) {
      fail(v.line, "'" + std::string(key) + "' must be a number");
    }
  }
  bool boolean(const util::TomlValue& v, std::string_view key) const {
    if (v.text == "true") return true;
    if (v.text == "false") return false;
    fail(v.line, "'" + std::string(key) + "' must be true or false");
  }

  Allowlist allowlist(const util::TomlTable& t) const {
    Allowlist a;
    for (const auto& [key, v] : t.fields) {
      if (key == "description") a.description = string(v, key);
      else if (key == "condition") a.and_condition = string(v, key) == "AND" || string(v, key) == "and";
      else if (key == "regexTarget") a.target = string(v, key);
      else if (key == "commits") a.commits = strings(v, key);
      else if (key == "paths") a.paths = strings(v, key);
      else if (key == "regexes") a.regexes = strings(v, key);
      else if (key == "stopwords") a.stopwords = strings(v, key);
      else if (key == "targetRules") a.target_rules = strings(v, key);
    }
    return a;
  }

  GlConfig config(std::string_view content) const {
    GlConfig c;
    for (const auto& t : util::parse_toml(file, content)) {
      if (t.name == "extend") {
        for (const auto& [key, v] : t.fields) {
          if (key == "useDefault") c.use_default = boolean(v, key);
          else if (key == "path") c.extend_path = string(v, key);
          else if (key == "disabledRules") c.disabled = strings(v, key);
        }
      } else if (t.name == "allowlist" || t.name == "allowlists") {
        c.global.push_back(allowlist(t));
      } else if (t.name == "rules") {
        GlRule r;
        r.where = file + ":" + std::to_string(t.line);
        for (const auto& [key, v] : t.fields) {
          if (key == "id") r.id = string(v, key);
          else if (key == "description") r.description = string(v, key);
          else if (key == "regex") r.regex = string(v, key);
          else if (key == "path") r.path = string(v, key);
          else if (key == "secretGroup") r.secret_group = static_cast<int>(number(v, key));
          else if (key == "entropy") r.entropy = number(v, key);
          else if (key == "keywords") r.keywords = strings(v, key);
          else if (key == "tags") r.tags = strings(v, key);
          else if (key == "allowlist") r.allowlists.push_back(allowlist_inline(v));
        }
        if (r.id.empty()) fail(t.line, "a rule needs an 'id'");
        c.rules.push_back(std::move(r));
      } else if (t.name == "rules.allowlists" || t.name == "rules.allowlist") {
        if (c.rules.empty()) fail(t.line, "[[" + t.name + "]] before any [[rules]]");
        c.rules.back().allowlists.push_back(allowlist(t));
      }
    }
    return c;
  }

  Allowlist allowlist_inline(const util::TomlValue& v) const {
    if (v.kind != util::TomlValue::Kind::table) fail(v.line, "'allowlist' must be a table");
    util::TomlTable t;
    t.fields = v.fields;
    return allowlist(t);
  }
};

GlConfig read_config(const fs::path& path, int depth, std::vector<std::string>& notes,
                     const GitleaksImportOptions& options);

// gitleaks semantics: a rule of the extending config with a base rule's id adds to it; its own
// non-empty fields win.
void merge_into(GlConfig& base, GlConfig&& child) {
  for (const auto& id : child.disabled)
    std::erase_if(base.rules, [&](const GlRule& r) { return r.id == id; });
  for (auto& r : child.rules) {
    auto it = std::find_if(base.rules.begin(), base.rules.end(), [&](const GlRule& b) { return b.id == r.id; });
    if (it == base.rules.end()) {
      base.rules.push_back(std::move(r));
      continue;
    }
    if (!r.description.empty()) it->description = r.description;
    if (!r.regex.empty()) it->regex = r.regex;
    if (!r.path.empty()) it->path = r.path;
    if (r.secret_group) it->secret_group = r.secret_group;
    if (r.entropy) it->entropy = r.entropy;
    for (auto& k : r.keywords)
      if (std::find(it->keywords.begin(), it->keywords.end(), k) == it->keywords.end()) it->keywords.push_back(k);
    for (auto& t : r.tags) it->tags.push_back(t);
    for (auto& a : r.allowlists) it->allowlists.push_back(std::move(a));
  }
  for (auto& a : child.global) base.global.push_back(std::move(a));
}

GlConfig read_config(const fs::path& path, int depth, std::vector<std::string>& notes,
                     const GitleaksImportOptions& options) {
  std::string content;
  try {
    content = util::read_file(path);
  } catch (const std::exception& e) {
    throw util::UsageError(path.string() + ": cannot read the gitleaks config: " + e.what());
  }
  GlConfig own = Reader{path.string()}.config(content);
  GlConfig out;
  if (depth < kMaxExtendDepth) {
    if (own.use_default) {
      if (options.default_config) {
        out = read_config(*options.default_config, depth + 1, notes, options);
      } else {
        notes.push_back(path.string() + ": [extend] useDefault: gitleaks' default rules are not imported (pass "
                        "--default-config gitleaks.toml); jit-agent's built-in packs cover the same providers");
      }
    }
    if (!own.extend_path.empty()) {
      // gitleaks resolves the path from its working directory: try the config's folder and the
      // folders above it, then ours.
      fs::path base = own.extend_path;
      if (base.is_relative()) {
        std::error_code ec;
        for (fs::path dir = fs::absolute(path, ec).parent_path(); !dir.empty(); dir = dir.parent_path()) {
          if (fs::is_regular_file(dir / base, ec)) {
            base = dir / base;
            break;
          }
          if (dir == dir.parent_path()) break;
        }
      }
      std::error_code ec;
      if (fs::is_regular_file(base, ec))
        merge_into(out, read_config(base, depth + 1, notes, options));
      else
        notes.push_back(path.string() + ": [extend] path " + own.extend_path + " not found: not imported");
    }
  } else if (own.use_default || !own.extend_path.empty()) {
    notes.push_back(path.string() + ": [extend] nested deeper than " + std::to_string(kMaxExtendDepth) + " levels: ignored");
  }
  merge_into(out, std::move(own));
  return out;
}

std::string normalize_id(std::string_view id, std::string_view prefix) {
  std::string out(prefix);
  for (char c : id) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) ? l : '-');
  }
  return out;
}

std::string quote_meta(const std::string& s) { return RE2::QuoteMeta(s); }

// A path regex as globs: only file-name suffixes (`\.php$`, `(?i)\.(?:tf|hcl)$`, `nuget\.config$`,
// `(?:^|/)name$`) have an exact glob form; anything else is nullopt.
std::optional<std::vector<std::string>> path_globs(std::string regex) {
  if (regex.rfind("(?i)", 0) == 0) regex.erase(0, 4);
  if (regex.empty() || regex.back() != '$') return std::nullopt;
  regex.pop_back();
  bool anchored_name = false;
  for (std::string_view start : {"(?:^|/)", "(?:^|\\/)", "^"}) {
    if (regex.rfind(start, 0) == 0) {
      regex.erase(0, start.size());
      anchored_name = true;
      break;
    }
  }
  // Unescape a literal; nullopt when it holds regex syntax.
  auto literal = [](std::string_view s) -> std::optional<std::string> {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == '\\') {
        if (++i >= s.size() || std::isalnum(static_cast<unsigned char>(s[i]))) return std::nullopt;
        out += s[i];
      } else if (std::string_view("^$.|?*+()[]{}").find(c) != std::string_view::npos) {
        return std::nullopt;
      } else {
        out += c;
      }
    }
    return out;
  };
  std::vector<std::string> alternatives;
  std::string prefix, suffix;
  const std::size_t open = regex.find("(?:");
  if (open != std::string::npos && !regex.empty() && regex.back() == ')') {
    auto p = literal(std::string_view(regex).substr(0, open));
    if (!p) return std::nullopt;
    prefix = *p;
    std::string_view inner = std::string_view(regex).substr(open + 3, regex.size() - open - 4);
    std::size_t from = 0;
    for (std::size_t bar; (bar = inner.find('|', from)) != std::string_view::npos; from = bar + 1)
      alternatives.emplace_back(inner.substr(from, bar - from));
    alternatives.emplace_back(inner.substr(from));
  } else {
    alternatives.push_back(regex);
  }
  std::vector<std::string> globs;
  for (const auto& alt : alternatives) {
    auto l = literal(alt);
    if (!l || l->find('/') != std::string::npos) return std::nullopt;
    const std::string name = prefix + *l;
    if (name.empty()) return std::nullopt;
    globs.push_back(anchored_name ? name : "*" + name);
  }
  return globs;
}

struct Translated {
  Rule rule;                   // what goes into the pack (examples filled later)
  std::vector<std::string> tags;
  std::string gitleaks_id;
};

// The rule in our terms; nullopt (with `why`) when it cannot be expressed.
std::optional<Translated> translate(const GlRule& r, const std::vector<Allowlist>& global,
                                    const GitleaksImportOptions& options, std::string& why,
                                    std::vector<std::string>& lost) {
  Translated t;
  t.gitleaks_id = r.id;
  t.tags = r.tags;
  Rule& out = t.rule;
  out.id = normalize_id(r.id, options.id_prefix);
  out.name = r.id;
  std::replace(out.name.begin(), out.name.end(), '-', ' ');
  out.description = r.description.empty() ? "Imported from gitleaks rule " + r.id + "." : r.description;
  out.severity = options.severity;
  if (r.regex.empty()) {
    why = r.path.empty() ? "no regex" : "path-only rule (reports a file by its name): not expressible as a pattern";
    return std::nullopt;
  }
  out.pattern = r.regex;
  if (r.secret_group > 0) {
    auto named = name_secret_group(r.regex, r.secret_group);
    if (!named) {
      why = "secretGroup " + std::to_string(r.secret_group) + " names no capture group of the regex";
      return std::nullopt;
    }
    out.pattern = *named;
  } else if (!name_secret_group(r.regex, 1)) {
    // No group: gitleaks' secret is the whole match (and our entropy check needs a group).
    std::string_view re = r.regex;
    std::string flags;
    if (re.size() > 4 && re.substr(0, 2) == "(?" && re.find(')') != std::string_view::npos &&
        re.substr(0, re.find(')')).find(':') == std::string_view::npos) {
      flags = std::string(re.substr(0, re.find(')') + 1));
      re.remove_prefix(flags.size());
    }
    out.pattern = flags + "(?P<secret>" + std::string(re) + ")";
  }
  if (!r.path.empty()) {
    auto globs = path_globs(r.path);
    if (!globs) {
      why = "path regex '" + r.path + "' has no glob form (only file-name suffixes are translated)";
      return std::nullopt;
    }
    out.paths = *globs;
  }
  for (const auto& k : r.keywords) {
    std::string l = k;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!l.empty() && std::find(out.keywords.begin(), out.keywords.end(), l) == out.keywords.end())
      out.keywords.push_back(l);
  }
  if (r.entropy) out.entropy = *r.entropy;

  auto add_allow = [&](const Allowlist& a, const std::string& whose) {
    const bool other_parts = !a.paths.empty() || !a.commits.empty();
    const bool secret_target = a.target.empty() || a.target == "secret";
    if (a.and_condition && (other_parts || (!secret_target && !a.regexes.empty()))) {
      lost.push_back(whose + " allowlist with condition AND on paths/commits/lines dropped");
      return;
    }
    if (!a.paths.empty()) lost.push_back(whose + " allowlist paths dropped (use --exclude or jit config excludes)");
    if (!a.commits.empty()) lost.push_back(whose + " allowlist commits dropped");
    if (!a.regexes.empty()) {
      if (!secret_target) {
        lost.push_back(whose + " allowlist regexes on the " + a.target + " dropped");
      } else {
        for (const auto& re : a.regexes) {
          RE2 check(re, RE2::Quiet);
          if (check.ok()) out.allow.push_back(re);
          else lost.push_back(whose + " allowlist regex not valid RE2 dropped: " + re);
        }
      }
    }
    if (!a.stopwords.empty()) {
      std::string alt;
      for (const auto& w : a.stopwords) alt += (alt.empty() ? "" : "|") + quote_meta(w);
      out.allow.push_back("(?i)(?:" + alt + ")");
    }
  };
  for (const auto& a : r.allowlists) add_allow(a, "rule");
  for (const auto& a : global)
    if (a.target_rules.empty() || std::find(a.target_rules.begin(), a.target_rules.end(), r.id) != a.target_rules.end())
      add_allow(a, "global");
  return t;
}

// The pack as YAML; `one` restricts it to one rule (for trying a rule alone).
void emit_rule(YAML::Emitter& y, const Translated& t) {
  const Rule& r = t.rule;
  y << YAML::BeginMap;
  y << YAML::Key << "id" << YAML::Value << r.id;
  y << YAML::Key << "name" << YAML::Value << r.name;
  y << YAML::Key << "description" << YAML::Value << r.description;
  y << YAML::Key << "severity" << YAML::Value << std::string(findings::to_string(r.severity));
  y << YAML::Key << "pattern" << YAML::Value << YAML::SingleQuoted << r.pattern;
  if (!r.keywords.empty()) y << YAML::Key << "keywords" << YAML::Value << YAML::Flow << r.keywords;
  if (r.entropy > 0) {
    std::ostringstream e;  // "3.8", not the double's 17 digits
    e << r.entropy;
    y << YAML::Key << "entropy" << YAML::Value << e.str();
  }
  if (!r.paths.empty()) y << YAML::Key << "paths" << YAML::Value << YAML::Flow << r.paths;
  if (!r.allow.empty()) {
    y << YAML::Key << "allow" << YAML::Value << YAML::BeginSeq;
    for (const auto& a : r.allow) y << YAML::SingleQuoted << a;
    y << YAML::EndSeq;
  }
  auto examples = [&](const char* key, const std::vector<Example>& list) {
    y << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (const auto& e : list) y << YAML::DoubleQuoted << e.text;
    y << YAML::EndSeq;
  };
  examples("examples", r.examples.empty() ? std::vector<Example>{{"x", "", 0, {}}} : r.examples);
  if (!r.negative_examples.empty()) examples("negative_examples", r.negative_examples);
  y << YAML::EndMap;
}

std::string pack_yaml(const std::vector<const Translated*>& rules, const std::string& header) {
  YAML::Emitter y;
  y << YAML::Comment(header) << YAML::Newline;
  y << YAML::BeginMap << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const auto* t : rules) {
    if (!t->tags.empty()) {
      std::string tags;
      for (const auto& tag : t->tags) tags += (tags.empty() ? "" : ", ") + tag;
      y << YAML::Comment("gitleaks tags: " + tags);
    }
    emit_rule(y, *t);
  }
  y << YAML::EndSeq << YAML::EndMap;
  return std::string(y.c_str()) + "\n";
}

// The path an example of `rule` is scanned as (as `rules check` does).
std::string example_path(const Rule& loaded) {
  if (!loaded.examples.empty() && !loaded.examples[0].path.empty()) return loaded.examples[0].path;
  return "example";
}

// Findings of the (only) rule of `engine` in `text`.
std::vector<findings::Finding> findings_in(const Engine& engine, Scratch& scratch, std::string_view text,
                                           std::string_view path) {
  std::vector<findings::Finding> out;
  findings::ScanStats stats;
  engine.scan(text, path, scratch, out, stats);
  return out;
}

// `text` with the first line's bytes [column, end_column] (1-based, inclusive) replaced.
std::string replace_secret(const std::string& text, const findings::Finding& f, const std::string& with) {
  std::size_t line_start = 0;
  for (int l = 1; l < f.line; ++l) line_start = text.find('\n', line_start) + 1;
  const std::size_t from = line_start + static_cast<std::size_t>(f.column - 1);
  std::size_t len = f.end_line == f.line ? static_cast<std::size_t>(f.end_column - f.column + 1) : f.secret->raw.size();
  return text.substr(0, from) + with + text.substr(std::min(text.size(), from + len));
}

// Printable ASCII (and tabs) only: an example must survive the YAML round trip unchanged.
bool plain_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); });
}

// Fills examples and negative examples; false (with `why`) when no example is found.
bool give_examples(Translated& t, std::string& why) {
  YAML::Emitter y;
  y << YAML::BeginMap << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  emit_rule(y, t);
  y << YAML::EndSeq << YAML::EndMap;
  if (!y.good()) {
    why = "cannot be written as YAML: " + y.GetLastError();
    return false;
  }
  std::optional<Engine> engine;
  try {
    engine.emplace(load_rules_from_string(y.c_str(), "import"), fs::path{});
  } catch (const util::Error& e) {
    why = e.what();
    if (auto nl = why.find('\n'); nl != std::string::npos) why.resize(nl);
    return false;
  }
  engine->set_decode_depth(0);
  auto scratch = engine->make_scratch();
  const std::string path = example_path(engine->rules().rules[0]);
  std::string example;
  findings::Finding hit;
  bool understood = false;
  for (unsigned attempt = 0; attempt < kAttempts && example.empty(); ++attempt) {
    auto candidate = regex_example(t.rule.pattern, attempt);
    if (!candidate) break;
    understood = true;
    if (!plain_text(*candidate) || candidate->size() > 4000) continue;
    auto found = findings_in(*engine, *scratch, *candidate, path);
    if (found.empty()) continue;
    example = *candidate;
    hit = found[0];
  }
  if (example.empty()) {
    why = understood ? "no generated example passes the rule's filters (entropy, keywords, allowlist)"
                     : "the regex uses syntax the example generator does not know";
    return false;
  }
  t.rule.examples = {{example, "", 0, {}}};
  // A second positive: another generated string, when one differs.
  for (unsigned attempt = 1; attempt < kAttempts && t.rule.examples.size() < 2; ++attempt) {
    auto candidate = regex_example(t.rule.pattern, attempt + 100);
    if (!candidate || *candidate == example || !plain_text(*candidate)) continue;
    if (!findings_in(*engine, *scratch, *candidate, path).empty()) t.rule.examples.push_back({*candidate, "", 0, {}});
  }
  const std::string secret = hit.secret ? hit.secret->raw : example;
  std::vector<std::string> candidates = {
      replace_secret(example, hit, std::string(secret.size(), 'x')),
      replace_secret(example, hit, secret.substr(0, secret.size() / 2)),
      replace_secret(example, hit, ""),
      replace_secret(example, hit, "${SECRET}"),
      "nothing secret on this line",
      "",
  };
  for (const auto& c : candidates) {
    if (t.rule.negative_examples.size() == 2) break;
    if (std::any_of(t.rule.negative_examples.begin(), t.rule.negative_examples.end(),
                    [&](const Example& e) { return e.text == c; }))
      continue;
    if (plain_text(c) && findings_in(*engine, *scratch, c, path).empty())
      t.rule.negative_examples.push_back({c, "", 0, {}});
  }
  return true;
}

// What `rules check` says about each rule of the pack: the ids that fail.
std::set<std::string> failing_rules(const std::string& yaml) {
  std::set<std::string> failing;
  Engine engine(load_rules_from_string(yaml, "import"), fs::path{});
  auto scratch = engine.make_scratch();
  for (const auto& rule : engine.rules().rules) {
    auto has = [&](const Example& ex) {
      for (const auto& f : findings_in(engine, *scratch, ex.text, ex.path.empty() ? "example" : ex.path))
        if (f.rule_id == rule.id) return true;
      return false;
    };
    if (!std::all_of(rule.examples.begin(), rule.examples.end(), has) ||
        std::any_of(rule.negative_examples.begin(), rule.negative_examples.end(), has))
      failing.insert(rule.id);
  }
  return failing;
}

}  // namespace

GitleaksImport import_gitleaks(const fs::path& config, const GitleaksImportOptions& options) {
  GitleaksImport result;
  GlConfig c = read_config(config, 0, result.notes, options);
  result.total = c.rules.size();
  std::vector<Translated> translated;
  std::set<std::string> ids;
  std::set<std::string> global_lost;
  for (const auto& r : c.rules) {
    std::string why;
    std::vector<std::string> lost;
    auto t = translate(r, c.global, options, why, lost);
    if (t && !ids.insert(t->rule.id).second) {
      why = "id '" + t->rule.id + "' (normalised) is used by an earlier rule";
      t.reset();
    }
    if (t && !give_examples(*t, why)) t.reset();
    if (!t) {
      result.skipped.push_back("rule " + r.id + " (" + r.where + "): " + why);
      continue;
    }
    std::sort(lost.begin(), lost.end());
    lost.erase(std::unique(lost.begin(), lost.end()), lost.end());
    for (const auto& l : lost) {
      if (l.rfind("global ", 0) == 0) global_lost.insert(l);  // said once, not per rule
      else result.notes.push_back("rule " + r.id + ": " + l);
    }
    translated.push_back(std::move(*t));
  }
  for (const auto& l : global_lost) result.notes.push_back(l);
  const std::string header =
      " Imported from the gitleaks config " + config.filename().string() +
      " by `jit-agent rules import-gitleaks`.\n"
      " Examples and negative examples are generated from each regex and verified by the engine;\n"
      " review them, and replace them by real-looking samples where you have some.";
  std::vector<const Translated*> kept;
  for (const auto& t : translated) kept.push_back(&t);
  // The whole pack as `rules check` runs it: a generic rule can lose its example to a specific one.
  for (int round = 0; round < 3 && !kept.empty(); ++round) {
    auto failing = failing_rules(pack_yaml(kept, header));
    if (failing.empty()) break;
    std::erase_if(kept, [&](const Translated* t) {
      if (!failing.count(t->rule.id)) return false;
      result.skipped.push_back("rule " + t->gitleaks_id + ": its generated examples fail `rules check` in the full pack");
      return true;
    });
  }
  result.imported = kept.size();
  result.yaml = pack_yaml(kept, header);
  return result;
}

}  // namespace agent::controls::secrets
