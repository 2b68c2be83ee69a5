// SARIF 2.1.0 (OASIS): every run's results, with the rule's metadata from tool.driver.rules.
#include <algorithm>
#include <map>

#include "agent/controls/external/json_access.h"
#include "agent/controls/external/parsers.h"

namespace agent::controls::external {
namespace {

using namespace json_access;
using findings::Severity;

// A result's level, else its rule's default level, else SARIF's default ("warning").
Severity level_severity(const std::string& level) {
  if (level == "error") return Severity::high;
  if (level == "warning") return Severity::medium;
  if (level == "note") return Severity::low;
  if (level == "none") return Severity::info;
  return Severity::unknown;
}

// GitHub's security-severity bands (CVSS-like score 0-10).
Severity score_severity(double score) {
  if (score >= 9.0) return Severity::critical;
  if (score >= 7.0) return Severity::high;
  if (score >= 4.0) return Severity::medium;
  if (score > 0.0) return Severity::low;
  return Severity::info;
}

std::string message_text(const json& result) {
  const json* msg = member(result, "message");
  if (!msg) return "";
  std::string text = str(*msg, "text");
  return text.empty() ? str(*msg, "markdown") : text;
}

void add_cwes(const json& properties, std::vector<std::string>& cwes) {
  const json* tags = member(properties, "tags");
  if (!tags || !tags->is_array()) return;
  for (const auto& tag : *tags)
    if (tag.is_string())
      if (auto cwe = cwe_from_tag(tag.get<std::string>()); !cwe.empty()) cwes.push_back(cwe);
}

// reportingDescriptor.relationships[] whose target is in a "CWE" taxonomy (flawfinder writes these).
void add_relationship_cwes(const json& rule, std::vector<std::string>& cwes) {
  const json* rels = member(rule, "relationships");
  if (!rels || !rels->is_array()) return;
  for (const auto& rel : *rels) {
    const json* target = member(rel, "target");
    if (!target) continue;
    std::string id = str(*target, "id");
    const json* component = member(*target, "toolComponent");
    std::string taxonomy = component ? str(*component, "name") : "";
    std::string upper = taxonomy;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "CWE" || id.rfind("CWE", 0) == 0 || id.rfind("cwe", 0) == 0)
      if (auto cwe = cwe_from_tag(id); !cwe.empty()) cwes.push_back(cwe);
  }
}

// A suppression whose status is absent or "accepted" (not "underReview" or "rejected").
bool suppressed(const json& result) {
  const json* list = member(result, "suppressions");
  if (!list || !list->is_array()) return false;
  for (const auto& s : *list) {
    std::string status = str(s, "status");
    if (status.empty() || status == "accepted") return true;
  }
  return false;
}

// uriBaseId -> absolute "file://" base from run.originalUriBaseIds (bases may chain).
std::string resolve_base(const json& run, const std::string& base_id, int depth = 0) {
  const json* bases = member(run, "originalUriBaseIds");
  if (!bases || depth > 8) return "";
  const json* base = member(*bases, base_id);
  if (!base) return "";
  std::string uri = str(*base, "uri");
  std::string parent = str(*base, "uriBaseId");
  if (!parent.empty()) {
    std::string p = resolve_base(run, parent, depth + 1);
    if (!p.empty()) uri = p + (p.back() == '/' ? "" : "/") + uri;
  }
  return uri;
}

std::string location_path(const json& run, const json& artifact_location) {
  std::string uri = str(artifact_location, "uri");
  std::string base_id = str(artifact_location, "uriBaseId");
  if (uri.empty()) {
    int index = -1;
    if (const json* idx = member(artifact_location, "index"); idx && idx->is_number_integer())
      index = idx->get<int>();
    const json* artifacts = member(run, "artifacts");
    if (index >= 0 && artifacts && artifacts->is_array() && static_cast<std::size_t>(index) < artifacts->size()) {
      if (const json* loc = member((*artifacts)[static_cast<std::size_t>(index)], "location")) {
        uri = str(*loc, "uri");
        if (base_id.empty()) base_id = str(*loc, "uriBaseId");
      }
    }
  }
  if (uri.empty()) return "";
  std::string path = path_from_uri(uri);
  if (!base_id.empty() && !path.empty() && path.front() != '/') {
    std::string base = path_from_uri(resolve_base(run, base_id));
    // An unresolved base (%SRCROOT%) is the scanned folder's root: leave the path relative.
    if (!base.empty()) path = base + (base.back() == '/' ? "" : "/") + path;
  }
  return path;
}

}  // namespace

ParsedReport parse_sarif(std::string_view text) {
  json doc = parse("sarif", text);
  require_object(doc, "sarif: the document");
  if (const json* version = member(doc, "version"); version && version->is_string() &&
                                                    version->get<std::string>() != "2.1.0")
    throw ReportError("sarif: version " + version->get<std::string>() + " is not supported (expected 2.1.0)");
  const json& runs = required_array(doc, "runs", "sarif: the document");
  ParsedReport out;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const json& run = runs[r];
    const std::string where = "sarif: runs[" + std::to_string(r) + "]";
    require_object(run, where);
    const json* tool = member(run, "tool");
    const json* driver = tool ? member(*tool, "driver") : nullptr;
    if (!driver || !driver->is_object()) throw ReportError(where + " has no tool.driver object");
    std::string tool_name = str(*driver, "name");
    std::string tool_version = str(*driver, "version");
    if (tool_version.empty()) tool_version = str(*driver, "semanticVersion");

    std::vector<const json*> rules;
    std::map<std::string, std::size_t, std::less<>> rule_by_id;
    if (const json* list = array(*driver, "rules", where + ".tool.driver")) {
      for (const auto& rule : *list) {
        rules.push_back(&rule);
        if (std::string id = str(rule, "id"); !id.empty()) rule_by_id.emplace(id, rules.size() - 1);
      }
    }
    // What the tool says about its own run (files it could not parse, a failed invocation).
    if (const json* invocations = array(run, "invocations", where)) {
      for (const auto& inv : *invocations) {
        if (const json* ok = member(inv, "executionSuccessful"); ok && ok->is_boolean() && !ok->get<bool>())
          out.warnings.push_back(tool_name + ": the tool reports its run as unsuccessful");
        const json* notes = member(inv, "toolExecutionNotifications");
        if (!notes || !notes->is_array()) continue;
        for (const auto& note : *notes)
          if (str(note, "level") == "error" || str(note, "level").empty())
            if (std::string note_text = message_text(note); !note_text.empty()) out.warnings.push_back(tool_name + ": " + note_text);
      }
    }
    const json* results = array(run, "results", where);
    if (!results) continue;
    for (std::size_t i = 0; i < results->size(); ++i) {
      const json& result = (*results)[i];
      const std::string rwhere = where + ".results[" + std::to_string(i) + "]";
      require_object(result, rwhere);
      // Checks that passed, and results suppressed in the source (nosec, eslint-disable) that the
      // tool still lists, are not findings.
      if (std::string kind = str(result, "kind"); kind == "pass" || kind == "notApplicable") continue;
      if (suppressed(result)) continue;
      std::string rule_id = str(result, "ruleId");
      int rule_index = -1;
      if (const json* idx = member(result, "ruleIndex"); idx && idx->is_number_integer()) rule_index = idx->get<int>();
      if (const json* rref = member(result, "rule")) {
        if (rule_id.empty()) rule_id = str(*rref, "id");
        if (const json* idx = member(*rref, "index"); rule_index < 0 && idx && idx->is_number_integer())
          rule_index = idx->get<int>();
      }
      const json* rule = nullptr;
      if (rule_index >= 0 && static_cast<std::size_t>(rule_index) < rules.size()) rule = rules[static_cast<std::size_t>(rule_index)];
      else if (auto it = rule_by_id.find(rule_id); it != rule_by_id.end()) rule = rules[it->second];
      if (rule_id.empty() && rule) rule_id = str(*rule, "id");
      findings::Finding f;
      f.rule_id = rule_id;
      f.description = message_text(result);
      findings::ToolDetail detail;
      detail.tool_name = tool_name;
      detail.tool_version = tool_version;
      detail.format = "sarif";

      std::string level = str(result, "level");
      std::optional<double> score;
      if (const json* props = member(result, "properties")) {
        score = number(*props, "security-severity");
        add_cwes(*props, f.cwes);
      }
      if (rule) {
        f.rule_name = str(*rule, "name");
        if (const json* sd = member(*rule, "shortDescription"); sd && f.rule_name.empty()) f.rule_name = str(*sd, "text");
        if (f.description.empty())
          if (const json* fd = member(*rule, "fullDescription")) f.description = str(*fd, "text");
        if (level.empty())
          if (const json* dc = member(*rule, "defaultConfiguration")) level = str(*dc, "level");
        if (const json* props = member(*rule, "properties")) {
          if (!score) score = number(*props, "security-severity");
          add_cwes(*props, f.cwes);
        }
        add_relationship_cwes(*rule, f.cwes);
        detail.help_uri = str(*rule, "helpUri");
        detail.rule_json = rule->dump();
      }
      if (level.empty()) level = "warning";
      detail.original_severity = level;
      f.severity = score ? score_severity(*score) : level_severity(level);

      if (const json* locations = array(result, "locations", rwhere); locations && !locations->empty()) {
        const json& loc = (*locations)[0];
        if (const json* phys = member(loc, "physicalLocation")) {
          if (const json* art = member(*phys, "artifactLocation")) f.path = location_path(run, *art);
          if (const json* region = member(*phys, "region")) {
            f.line = integer(*region, "startLine");
            f.column = integer(*region, "startColumn");
            f.end_line = integer(*region, "endLine");
            // SARIF's endColumn is the column after the region; ours is inclusive.
            int end_col = integer(*region, "endColumn");
            f.end_column = end_col > 1 ? end_col - 1 : 0;
            if (f.end_line == 0 && f.line > 0) f.end_line = f.line;
          }
        }
      }
      if (rule_id.empty()) {
        // A notification without a rule (a file the tool could not parse): not a finding.
        out.warnings.push_back(tool_name + ": " + (f.path.empty() ? "" : f.path + ":" + std::to_string(f.line) + ": ") +
                               (f.description.empty() ? "a result without a rule" : f.description));
        continue;
      }
      std::sort(f.cwes.begin(), f.cwes.end());
      f.cwes.erase(std::unique(f.cwes.begin(), f.cwes.end()), f.cwes.end());
      if (!detail.help_uri.empty()) f.references.push_back(detail.help_uri);
      f.tool = std::move(detail);
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace agent::controls::external
