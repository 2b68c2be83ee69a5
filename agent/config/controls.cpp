// `controls:` in the central jit.yml: the built-in controls (secrets, dependencies) and external
// ones (a preset switched off, made required or overridden, or a new tool with command and format).
#include <algorithm>
#include <charconv>
#include <set>

#include "agent/config/reader.h"

namespace agent::config {
namespace {

const std::vector<std::string> kVariables = {"WORK_DIR", "FOLDER", "REPORT_FILE", "CHANGED_FILES", "JIT_TOOLS_DIR",
                                             "FILES"};
const std::vector<std::string> kToolKeys = {"enabled",   "command",    "args", "format",   "output",
                                            "languages", "timeout",    "exit_codes", "env", "severity",
                                            "version_args"};
const std::vector<std::string> kBuiltins = {"secrets", "dependencies"};

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  for (const auto& t : tool_presets()) out.push_back(t.name);
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto lower_alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
  if (!lower_alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char ch) { return lower_alnum(ch) || ch == '_' || ch == '-'; });
}

bool valid_env_name(std::string_view name) {
  auto head = [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_'; };
  if (name.empty() || name.size() > 255 || !head(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char ch) { return head(ch) || (ch >= '0' && ch <= '9'); });
}

// Checks every ${...} of a command or argument: a known variable, ${FILES} only as a whole
// argument (it becomes several) and never in the command.
void check_variables(const Reader& r, const YAML::Node& node, const std::string& text, const std::string& key,
                     bool is_command) {
  for (std::size_t pos = text.find("${"); pos != std::string::npos; pos = text.find("${", pos + 2)) {
    std::size_t end = text.find('}', pos);
    if (end == std::string::npos) r.fail(node, key + ": \"${\" without a closing \"}\"");
    std::string var = text.substr(pos + 2, end - pos - 2);
    if (std::find(kVariables.begin(), kVariables.end(), var) == kVariables.end())
      r.fail(node, key + ": unknown variable ${" + var + "}" + did_you_mean(var, kVariables) +
                       " (expected " + one_of(kVariables) + ")");
    if (var == "FILES" && (is_command || text != "${FILES}"))
      r.fail(node, key + ": ${FILES} must be a whole argument of args (it becomes one argument per file)");
  }
}

std::vector<int> exit_code_list(const Reader& r, const YAML::Node& n, const std::string& key) {
  if (n.IsNull()) return {};
  if (!n.IsSequence()) r.fail(n, key + ": expected a list of exit codes (integers 0-255)");
  std::vector<int> out;
  for (const auto& item : n) {
    int value = -1;
    if (item.IsScalar()) {
      const std::string& s = item.Scalar();
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
      if (ec != std::errc{} || ptr != s.data() + s.size()) value = -1;
    }
    if (value < 0 || value > 255) r.fail(item, key + ": expected an exit code, an integer 0-255");
    if (std::find(out.begin(), out.end(), value) != out.end())
      r.fail(item, key + ": exit code " + std::to_string(value) + " is listed twice");
    out.push_back(value);
  }
  return out;
}

void read_exit_codes(const Reader& r, const YAML::Node& n, const std::string& where, ExitCodes& codes) {
  r.each_key(n, where, {"ok", "findings", "error"},
             [&](const std::string& k, const YAML::Node&, const YAML::Node& v) {
               auto list = exit_code_list(r, v, where + "." + k);
               (k == "ok" ? codes.ok : k == "findings" ? codes.findings : codes.error) = std::move(list);
             });
  // One status, one meaning: a code in two lists would be read by whichever list is checked first.
  const std::pair<const char*, const std::vector<int>*> lists[] = {
      {"ok", &codes.ok}, {"findings", &codes.findings}, {"error", &codes.error}};
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = i + 1; j < 3; ++j)
      for (int code : *lists[i].second)
        if (std::find(lists[j].second->begin(), lists[j].second->end(), code) != lists[j].second->end())
          r.fail(n, where + ": exit code " + std::to_string(code) + " is in both " + lists[i].first + " and " +
                        lists[j].first);
}

std::string expected_severities() { return "info, low, medium, high or critical"; }

void read_severity(const Reader& r, const YAML::Node& n, const std::string& where,
                   std::map<std::string, findings::Severity>& out) {
  if (!n.IsMap()) r.fail(n, where + ": expected a mapping of the tool's levels to " + expected_severities());
  std::map<std::string, findings::Severity> read;
  for (const auto& kv : n) {
    r.collect([&] {
      if (!kv.first.IsScalar() || kv.first.Scalar().empty())
        r.fail(kv.first, where + ": a tool level must be a non-empty string");
      auto sev = kv.second.IsScalar() ? findings::parse_severity(kv.second.Scalar()) : std::nullopt;
      if (!sev || *sev == findings::Severity::unknown)
        r.fail(kv.second, where + "." + kv.first.Scalar() + ": expected " + expected_severities());
      if (!read.emplace(kv.first.Scalar(), *sev).second)
        r.fail(kv.first, where + ": duplicate level \"" + kv.first.Scalar() + "\"");
    });
  }
  out = std::move(read);
}

bool mentions_report_file(const ToolSpec& t) {
  return std::any_of(t.args.begin(), t.args.end(),
                     [](const std::string& a) { return a.find("${REPORT_FILE}") != std::string::npos; });
}

// Applies a mapping's keys over `t` (a preset's copy or a new spec).
void read_tool(const Reader& r, const YAML::Node& node, const std::string& where, bool is_new, ToolSpec& t) {
  const std::size_t errors_before = r.errors->size();
  bool output_given = false, args_given = false;
  const YAML::Node* output_node = nullptr;
  YAML::Node output_value;
  r.each_key(node, where, kToolKeys, [&](const std::string& k, const YAML::Node&, const YAML::Node& v) {
    const std::string key = where + "." + k;
    if (k == "enabled") {
      t.enabled = r.boolean(v, key);
    } else if (k == "command") {
      t.command = r.string(v, key);
      check_variables(r, v, t.command, key, true);
    } else if (k == "args") {
      if (!v.IsSequence() && !v.IsNull()) r.fail(v, key + ": expected a list of strings");
      std::vector<std::string> args;
      for (const auto& a : v) {
        if (!a.IsScalar()) r.fail(a, key + " entry: expected a string");
        check_variables(r, a, a.Scalar(), key + " entry", false);
        args.push_back(a.Scalar());
      }
      t.args = std::move(args);
      args_given = true;
    } else if (k == "format") {
      std::string f = v.IsScalar() ? v.Scalar() : "";
      const auto& formats = tool_formats();
      if (std::find(formats.begin(), formats.end(), f) == formats.end())
        r.fail(v, key + ": unknown format" + (f.empty() ? "" : " \"" + f + "\"") + did_you_mean(f, formats) +
                      " (expected " + one_of(formats) + ")");
      t.format = f;
    } else if (k == "output") {
      std::string o = v.IsScalar() ? v.Scalar() : "";
      if (o != "file" && o != "stdout") r.fail(v, key + ": expected file or stdout" + did_you_mean(o, {"file", "stdout"}));
      t.output = o;
      output_given = true;
      output_value = v;
      output_node = &output_value;
    } else if (k == "languages") {
      if (!v.IsSequence() && !v.IsNull()) r.fail(v, key + ": expected a list of languages");
      const auto& known = tool_languages();
      std::vector<std::string> langs;
      for (const auto& l : v) {
        std::string s = l.IsScalar() ? l.Scalar() : "";
        if (std::find(known.begin(), known.end(), s) == known.end())
          r.fail(l, key + ": unknown language" + (s.empty() ? "" : " \"" + s + "\"") + did_you_mean(s, known) +
                        " (expected " + one_of(known) + ")");
        if (std::find(langs.begin(), langs.end(), s) == langs.end()) langs.push_back(s);
      }
      t.languages = std::move(langs);
    } else if (k == "timeout") {
      auto d = v.IsScalar() ? parse_timeout(v.Scalar()) : std::nullopt;
      if (!d) r.fail(v, key + ": expected a duration like 30s, 5m, 1h30m (minutes and seconds after a larger unit below 60) or a number of seconds");
      if (*d < std::chrono::seconds(1) || *d > std::chrono::hours(24))
        r.fail(v, key + ": expected a duration between 1s and 24h");
      t.timeout = *d;
    } else if (k == "exit_codes") {
      ExitCodes codes = t.exit_codes;
      read_exit_codes(r, v, key, codes);
      t.exit_codes = std::move(codes);
    } else if (k == "env") {
      if (!v.IsSequence() && !v.IsNull()) r.fail(v, key + ": expected a list of environment variable names");
      std::vector<std::string> names;
      for (const auto& e : v) {
        std::string s = e.IsScalar() ? e.Scalar() : "";
        if (!valid_env_name(s))
          r.fail(e, key + ": expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
        if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
      }
      t.env = std::move(names);
    } else if (k == "severity") {
      read_severity(r, v, key, t.severity);
    } else {  // version_args: "" means do not ask
      if (!v.IsScalar()) r.fail(v, key + ": expected a string (\"\" to not ask the tool its version)");
      t.version_args = v.Scalar();
    }
  });
  if (r.errors->size() != errors_before) return;  // the checks below would repeat them
  // Where the report is read from: by default, from ${REPORT_FILE} when args name it.
  const bool names_report = mentions_report_file(t);
  if (!output_given && (args_given || is_new)) t.output = names_report ? "file" : "stdout";
  if (t.output == "file" && !names_report)
    r.fail(output_node ? *output_node : node,
           where + ": output is file but no argument names ${REPORT_FILE} (add it to args, or set output: stdout)");
  if (t.output == "stdout" && names_report && output_given)
    r.fail(*output_node, where + ": output is stdout but args name ${REPORT_FILE} (set output: file, or drop it)");
  if (std::any_of(t.args.begin(), t.args.end(), [](const std::string& a) { return a == "${FILES}"; }) &&
      t.languages.empty())
    r.fail(node, where + ": ${FILES} needs languages (which files of the folder to pass)");
}

std::size_t preset_rank(const ToolSpec& t) {
  const auto& presets = tool_presets();
  for (std::size_t i = 0; i < presets.size(); ++i)
    if (presets[i].name == t.name) return i;
  return presets.size();
}

void read_external(Config& c, const Reader& r, const std::string& name, const YAML::Node& key_node,
                   const YAML::Node& v) {
  const std::string where = "controls." + name;
  if (!valid_name(name))
    r.fail(key_node, where + ": a control name is 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit");
  const ToolSpec* preset = find_preset(name);
  auto existing = std::find_if(c.tools.begin(), c.tools.end(), [&](const ToolSpec& t) { return t.name == name; });
  ToolSpec t = existing != c.tools.end() ? *existing : preset ? *preset : ToolSpec{};
  t.name = name;
  std::vector<std::string> suggestions = preset_names();
  suggestions.insert(suggestions.end(), kBuiltins.begin(), kBuiltins.end());
  const std::string presets = "presets: " + join(preset_names());
  if (v.IsScalar()) {  // `bandit: false` / `bandit: true`
    bool on = r.boolean(v, where);
    if (!preset)
      r.fail(key_node, "no preset called " + name + did_you_mean(name, suggestions) + " (" + presets +
                           "): give command and format");
    t.enabled = on;
  } else {
    if (!v.IsMap())
      r.fail(v, where + ": expected true, false or a mapping (keys: " + join(kToolKeys) + ")");
    const std::size_t before = r.errors->size();
    read_tool(r, v, where, preset == nullptr && existing == c.tools.end(), t);
    if (r.errors->size() != before) return;  // its own errors are recorded; nothing to add
    if (!preset && (t.command.empty() || t.format.empty())) {
      std::string missing = t.command.empty() && t.format.empty() ? "command and format"
                            : t.command.empty()                   ? "command"
                                                                  : "format";
      r.fail(key_node, where + ": a new control needs " + missing + " (" + name + " is not a preset" +
                           did_you_mean(name, suggestions) + "; " + presets + ")");
    }
  }
  t.automatic = false;  // named in jit.yml: required (or off)
  t.preset = preset != nullptr;
  t.defined_at = r.position(key_node);
  if (existing != c.tools.end())
    *existing = std::move(t);
  else
    c.tools.push_back(std::move(t));
}

void read_builtin(Config& c, const Reader& r, const std::string& name, const YAML::Node& v) {
  bool& enabled = name == "secrets" ? c.secrets : c.dependencies;
  if (v.IsScalar()) {  // shorthand: `secrets: false`
    enabled = r.boolean(v, "controls." + name);
  } else {
    r.each_key(v, "controls." + name, {"enabled"}, [&](const std::string&, const YAML::Node&, const YAML::Node& ev) {
      enabled = r.boolean(ev, "controls." + name + ".enabled");
    });
  }
  c.origins["controls." + name] = r.position(v);
}

}  // namespace

std::optional<std::chrono::seconds> parse_timeout(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  long long total = 0, number = -1;
  bool bare = true;
  int last_unit = 4;  // h=3, m=2, s=1: units in decreasing order, each once
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      number = (number < 0 ? 0 : number) * 10 + (ch - '0');
      if (number > 10'000'000) return std::nullopt;
      continue;
    }
    int unit = ch == 'h' ? 3 : ch == 'm' ? 2 : ch == 's' ? 1 : 0;
    if (unit == 0 || number < 0 || unit >= last_unit) return std::nullopt;
    // After a larger unit, minutes and seconds stay below 60 ("1h30m", not "1h90m").
    if (last_unit != 4 && number >= 60) return std::nullopt;
    total += number * (unit == 3 ? 3600 : unit == 2 ? 60 : 1);
    number = -1;
    last_unit = unit;
    bare = false;
  }
  if (number >= 0) {
    if (!bare) return std::nullopt;  // "1h30": a number after a unit needs its own unit
    total = number;
  }
  return std::chrono::seconds(total);
}

void read_controls(Config& c, const Reader& r, const YAML::Node& controls) {
  if (controls.IsNull()) return;
  if (!controls.IsMap())
    r.fail(controls, "controls must be a mapping of control names (secrets, dependencies, " + join(preset_names()) +
                         " or a new tool) to true, false or their settings");
  std::set<std::string> seen;
  for (const auto& kv : controls) {
    r.collect([&] {
      if (!kv.first.IsScalar()) r.fail(kv.first, "controls: keys must be control names");
      const std::string name = kv.first.Scalar();
      if (!seen.insert(name).second) r.fail(kv.first, "duplicate key \"" + name + "\" in controls");
      if (name == "secrets" || name == "dependencies")
        read_builtin(c, r, name, kv.second);
      else
        read_external(c, r, name, kv.first, kv.second);
    });
  }
  std::stable_sort(c.tools.begin(), c.tools.end(),
                   [](const ToolSpec& a, const ToolSpec& b) { return preset_rank(a) < preset_rank(b); });
}

}  // namespace agent::config
