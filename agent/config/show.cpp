#include "agent/config/show.h"

#include <yaml-cpp/yaml.h>

#include "agent/config/folders.h"

namespace agent::config {
namespace {

std::string source_of(const Config& c, const std::string& key) {
  auto it = c.origins.find(key);
  return it == c.origins.end() ? "default" : it->second;
}

std::string fail_on_text(const Config& c) {
  return c.fail_on ? std::string(findings::to_string(*c.fail_on)) : "none";
}

std::string timeout_text(std::chrono::seconds s) {
  auto n = s.count();
  std::string out;
  if (n >= 3600) out += std::to_string(n / 3600) + "h", n %= 3600;
  if (n >= 60) out += std::to_string(n / 60) + "m", n %= 60;
  if (n > 0 || out.empty()) out += std::to_string(n) + "s";
  return out;
}

nlohmann::json tool_json(const ToolSpec& t) {
  nlohmann::json j;
  j["mode"] = tool_mode(t);
  j["enabled"] = t.enabled;
  j["command"] = t.command;
  j["args"] = t.args;
  j["format"] = t.format;
  j["output"] = t.output;
  j["languages"] = t.languages;
  j["timeout"] = timeout_text(t.timeout);
  j["exit_codes"] = {{"ok", t.exit_codes.ok}, {"findings", t.exit_codes.findings}, {"error", t.exit_codes.error}};
  j["env"] = t.env;
  nlohmann::json sev = nlohmann::json::object();
  for (const auto& [level, s] : t.severity) sev[level] = findings::to_string(s);
  j["severity"] = sev;
  j["version_args"] = t.version_args;
  j["source"] = t.defined_at;
  return j;
}

void emit_strings(YAML::Emitter& out, const std::vector<std::string>& values) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& v : values) out << v;
  out << YAML::EndSeq;
}

void emit_ints(YAML::Emitter& out, const std::vector<int>& values) {
  out << YAML::Flow << YAML::BeginSeq;
  for (int v : values) out << v;
  out << YAML::EndSeq;
}

}  // namespace

std::string_view tool_mode(const ToolSpec& tool) {
  if (!tool.enabled) return "disabled";
  return tool.automatic ? "automatic" : "required";
}

std::string show_yaml(const Config& c) {
  const FoldersConfig folders = merge_folders(c.folders);
  YAML::Emitter out;
  out << YAML::Comment("effective jit-agent configuration; files applied: " +
                       (c.sources.empty() ? std::string("none (defaults)") : [&] {
                         std::string s;
                         for (const auto& f : c.sources) s += (s.empty() ? "" : " < ") + f;
                         return s;
                       }()));
  out << YAML::BeginMap;
  auto scalar = [&](const std::string& key, const std::string& path, auto value) {
    out << YAML::Key << key << YAML::Value << value << YAML::Comment(source_of(c, path));
  };
  out << YAML::Key << "controls" << YAML::Value << YAML::BeginMap;
  scalar("secrets", "controls.secrets", c.secrets);
  scalar("dependencies", "controls.dependencies", c.dependencies);
  for (const auto& t : c.tools) {
    out << YAML::Key << t.name << YAML::Comment(std::string(tool_mode(t)) + ", " + t.defined_at);
    out << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "enabled" << YAML::Value << t.enabled;
    out << YAML::Key << "command" << YAML::Value << t.command;
    out << YAML::Key << "args" << YAML::Value;
    emit_strings(out, t.args);
    out << YAML::Key << "format" << YAML::Value << t.format;
    out << YAML::Key << "output" << YAML::Value << t.output;
    out << YAML::Key << "languages" << YAML::Value;
    emit_strings(out, t.languages);
    out << YAML::Key << "timeout" << YAML::Value << timeout_text(t.timeout);
    out << YAML::Key << "exit_codes" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "ok" << YAML::Value;
    emit_ints(out, t.exit_codes.ok);
    out << YAML::Key << "findings" << YAML::Value;
    emit_ints(out, t.exit_codes.findings);
    out << YAML::Key << "error" << YAML::Value;
    emit_ints(out, t.exit_codes.error);
    out << YAML::EndMap;
    out << YAML::Key << "env" << YAML::Value;
    emit_strings(out, t.env);
    if (!t.severity.empty()) {
      out << YAML::Key << "severity" << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const auto& [level, s] : t.severity)
        out << YAML::Key << level << YAML::Value << std::string(findings::to_string(s));
      out << YAML::EndMap;
    }
    out << YAML::Key << "version_args" << YAML::Value << YAML::DoubleQuoted << t.version_args;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  scalar("scope", "scope", std::string(to_string(c.mr_scope)));
  scalar("fail_on", "fail_on", fail_on_text(c));
  scalar("min_confidence", "min_confidence", std::string(findings::to_string(c.min_confidence)));
  out << YAML::Key << "status" << YAML::Value << YAML::BeginMap;
  scalar("enabled", "status.enabled", c.status_enabled);
  scalar("name", "status.name", c.status_name);
  out << YAML::EndMap;
  out << YAML::Key << "merge_request" << YAML::Value << YAML::BeginMap;
  scalar("summary_note", "merge_request.summary_note", c.summary_note);
  scalar("threads", "merge_request.threads", c.threads);
  scalar("thread_min_confidence", "merge_request.thread_min_confidence",
         std::string(findings::to_string(c.thread_min_confidence)));
  out << YAML::EndMap;
  out << YAML::Key << "exclude_projects" << YAML::Value;
  emit_strings(out, c.exclude_projects);
  out << YAML::Comment(source_of(c, "exclude_projects"));
  out << YAML::Key << "exclude" << YAML::Value;
  emit_strings(out, c.exclude);
  out << YAML::Comment(source_of(c, "exclude"));
  scalar("history", "history", c.history);
  out << YAML::Key << "folders" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : folders.folders) {
    out << YAML::BeginMap << YAML::Key << "path" << YAML::Value << f.path;
    out << YAML::Comment(f.file + (f.line > 0 ? ":" + std::to_string(f.line) : ""));
    out << YAML::Key << "exclude" << YAML::Value;
    emit_strings(out, f.exclude);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

nlohmann::json show_json(const Config& c) {
  const FoldersConfig folders = merge_folders(c.folders);
  nlohmann::json controls = {{"secrets", c.secrets}, {"dependencies", c.dependencies}};
  for (const auto& t : c.tools) controls[t.name] = tool_json(t);
  nlohmann::json folder_list = nlohmann::json::array();
  for (const auto& f : folders.folders)
    folder_list.push_back({{"path", f.path}, {"exclude", f.exclude},
                           {"source", f.file + (f.line > 0 ? ":" + std::to_string(f.line) : "")}});
  nlohmann::json config = {
      {"controls", controls},
      {"scope", to_string(c.mr_scope)},
      {"fail_on", fail_on_text(c)},
      {"min_confidence", findings::to_string(c.min_confidence)},
      {"status", {{"enabled", c.status_enabled}, {"name", c.status_name}}},
      {"merge_request",
       {{"summary_note", c.summary_note}, {"threads", c.threads},
        {"thread_min_confidence", findings::to_string(c.thread_min_confidence)}}},
      {"exclude_projects", c.exclude_projects},
      {"exclude", c.exclude},
      {"history", c.history},
      {"folders", folder_list}};
  nlohmann::json sources = nlohmann::json::object();
  for (const char* key : {"controls.secrets", "controls.dependencies", "scope", "fail_on", "min_confidence",
                          "status.enabled", "status.name", "merge_request.summary_note", "merge_request.threads",
                          "merge_request.thread_min_confidence", "exclude_projects", "exclude", "history"})
    sources[key] = source_of(c, key);
  for (const auto& t : c.tools) sources["controls." + t.name] = t.defined_at;
  return {{"config", config}, {"sources", sources}, {"files", c.sources}};
}

}  // namespace agent::config
