#include "agent/job/partial.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::job {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using findings::Finding;

constexpr std::string_view kFormat = "jit-agent-partial";

[[noreturn]] void refuse(const std::string& message) { throw util::Error(job::kExitShards, message); }

std::int64_t to_ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
std::chrono::system_clock::time_point from_ns(std::int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
}

template <typename T>
void get(const json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) out = it->get<T>();
}

// ---- findings --------------------------------------------------------------------------------
json finding_json(const Finding& f) {
  json j = {{"control", f.control}, {"rule_id", f.rule_id}, {"rule_name", f.rule_name},
            {"description", f.description}, {"severity", findings::to_string(f.severity)},
            {"confidence", findings::to_string(f.confidence)}, {"path", f.path}, {"line", f.line},
            {"column", f.column}, {"end_line", f.end_line}, {"end_column", f.end_column},
            {"fingerprint", f.fingerprint}, {"commit", f.commit}, {"references", f.references}, {"cwes", f.cwes}};
  if (f.secret)  // never `raw`: partials are artifacts
    j["secret"] = {{"redacted", f.secret->redacted}, {"secret_sha256", f.secret->secret_sha256},
                   {"entropy", f.secret->entropy}, {"encoding", f.secret->encoding}};
  if (const auto& d = f.dependency) {
    j["dependency"] = {{"package", d->package}, {"version", d->version}, {"ecosystem", d->ecosystem},
                       {"advisory_id", d->advisory_id}, {"aliases", d->aliases}, {"summary", d->summary},
                       {"cvss_score", d->cvss_score ? json(*d->cvss_score) : json(nullptr)},
                       {"cvss_vector", d->cvss_vector}, {"fixed_version", d->fixed_version}, {"direct", d->direct},
                       {"direct_known", d->direct_known}, {"lockfile", d->lockfile}, {"folder", d->folder},
                       {"severity_source", d->severity_source}, {"severity_record", d->severity_record},
                       {"fix_version", d->fix_version}, {"fix_resolves", d->fix_resolves}};
  }
  if (const auto& t = f.tool)
    j["tool"] = {{"tool_name", t->tool_name}, {"tool_version", t->tool_version}, {"format", t->format},
                 {"original_severity", t->original_severity}, {"help_uri", t->help_uri}, {"snippet", t->snippet},
                 {"owasp", t->owasp}, {"rule_json", t->rule_json}};
  if (const auto& s = f.suppression)
    j["suppression"] = {{"reason", s->reason}, {"comment", s->comment}, {"author", s->author},
                        {"source", s->source}, {"expires", s->expires}};
  if (const auto& p = f.provenance)
    j["provenance"] = {{"author_name", p->author_name}, {"author_email", p->author_email}, {"date", p->date},
                       {"summary", p->summary}, {"blob", p->blob}};
  if (const auto& v = f.variable)  // the variable's name and settings; never a value
    j["variable"] = {{"key", v->key}, {"level", v->level}, {"owner", v->owner},
                     {"environment_scope", v->environment_scope}, {"variable_type", v->variable_type},
                     {"masked", v->masked}, {"protected", v->is_protected}, {"hidden", v->hidden}, {"form", v->form}};
  if (const auto& t = f.token_check)  // what the instance said, checked by the shard (never the token)
    j["token_check"] = {{"status", t->status}, {"reason", t->reason}, {"instance", t->instance},
                        {"endpoint", t->endpoint}, {"scopes", t->scopes}, {"owner", t->owner}, {"name", t->name},
                        {"expires_at", t->expires_at}, {"revoked_by_agent", t->revoked_by_agent},
                        {"original_severity", t->original_severity}};
  return j;
}

Finding finding_from(const json& j) {
  Finding f;
  get(j, "control", f.control);
  get(j, "rule_id", f.rule_id);
  get(j, "rule_name", f.rule_name);
  get(j, "description", f.description);
  auto severity = findings::parse_severity(j.at("severity").get<std::string>());
  auto confidence = findings::parse_confidence(j.at("confidence").get<std::string>());
  if (!severity || !confidence) throw std::invalid_argument("bad severity or confidence");
  f.severity = *severity;
  f.confidence = *confidence;
  get(j, "path", f.path);
  get(j, "line", f.line);
  get(j, "column", f.column);
  get(j, "end_line", f.end_line);
  get(j, "end_column", f.end_column);
  get(j, "fingerprint", f.fingerprint);
  get(j, "commit", f.commit);
  get(j, "references", f.references);
  get(j, "cwes", f.cwes);
  if (auto it = j.find("secret"); it != j.end()) {
    findings::SecretDetail s;
    get(*it, "redacted", s.redacted);
    get(*it, "secret_sha256", s.secret_sha256);
    get(*it, "entropy", s.entropy);
    get(*it, "encoding", s.encoding);
    f.secret = std::move(s);
  }
  if (auto it = j.find("dependency"); it != j.end()) {
    findings::DependencyDetail d;
    get(*it, "package", d.package);
    get(*it, "version", d.version);
    get(*it, "ecosystem", d.ecosystem);
    get(*it, "advisory_id", d.advisory_id);
    get(*it, "aliases", d.aliases);
    get(*it, "summary", d.summary);
    if (auto c = it->find("cvss_score"); c != it->end() && !c->is_null()) d.cvss_score = c->get<double>();
    get(*it, "cvss_vector", d.cvss_vector);
    get(*it, "fixed_version", d.fixed_version);
    get(*it, "direct", d.direct);
    get(*it, "direct_known", d.direct_known);
    get(*it, "lockfile", d.lockfile);
    get(*it, "folder", d.folder);
    get(*it, "severity_source", d.severity_source);
    get(*it, "severity_record", d.severity_record);
    get(*it, "fix_version", d.fix_version);
    get(*it, "fix_resolves", d.fix_resolves);
    f.dependency = std::move(d);
  }
  if (auto it = j.find("variable"); it != j.end()) {
    findings::VariableDetail v;
    get(*it, "key", v.key);
    get(*it, "level", v.level);
    get(*it, "owner", v.owner);
    get(*it, "environment_scope", v.environment_scope);
    get(*it, "variable_type", v.variable_type);
    get(*it, "masked", v.masked);
    get(*it, "protected", v.is_protected);
    get(*it, "hidden", v.hidden);
    get(*it, "form", v.form);
    f.variable = std::move(v);
  }
  if (auto it = j.find("token_check"); it != j.end()) {
    findings::TokenCheck t;
    get(*it, "status", t.status);
    get(*it, "reason", t.reason);
    get(*it, "instance", t.instance);
    get(*it, "endpoint", t.endpoint);
    get(*it, "scopes", t.scopes);
    get(*it, "owner", t.owner);
    get(*it, "name", t.name);
    get(*it, "expires_at", t.expires_at);
    get(*it, "revoked_by_agent", t.revoked_by_agent);
    get(*it, "original_severity", t.original_severity);
    f.token_check = std::move(t);
  }
  if (auto it = j.find("tool"); it != j.end()) {
    findings::ToolDetail t;
    get(*it, "tool_name", t.tool_name);
    get(*it, "tool_version", t.tool_version);
    get(*it, "format", t.format);
    get(*it, "original_severity", t.original_severity);
    get(*it, "help_uri", t.help_uri);
    get(*it, "snippet", t.snippet);
    get(*it, "owasp", t.owasp);
    get(*it, "rule_json", t.rule_json);
    f.tool = std::move(t);
  }
  if (auto it = j.find("suppression"); it != j.end()) {
    findings::Suppression s;
    get(*it, "reason", s.reason);
    get(*it, "comment", s.comment);
    get(*it, "author", s.author);
    get(*it, "source", s.source);
    get(*it, "expires", s.expires);
    f.suppression = std::move(s);
  }
  if (auto it = j.find("provenance"); it != j.end()) {
    findings::CommitDetail p;
    get(*it, "author_name", p.author_name);
    get(*it, "author_email", p.author_email);
    get(*it, "date", p.date);
    get(*it, "summary", p.summary);
    get(*it, "blob", p.blob);
    f.provenance = std::move(p);
  }
  return f;
}

// ---- the rest of a ScanResult --------------------------------------------------------------
json stats_json(const findings::ScanStats& s) {
  return {{"files_scanned", s.files_scanned},     {"bytes_scanned", s.bytes_scanned},
          {"skipped_binary", s.skipped_binary},   {"skipped_too_large", s.skipped_too_large},
          {"skipped_excluded", s.skipped_excluded}, {"skipped_symlinks", s.skipped_symlinks},
          {"unreadable", s.unreadable},           {"suppressed", s.suppressed},
          {"commits_scanned", s.commits_scanned}, {"blobs_cached", s.blobs_cached}};
}

findings::ScanStats stats_from(const json& j) {
  findings::ScanStats s;
  get(j, "files_scanned", s.files_scanned);
  get(j, "bytes_scanned", s.bytes_scanned);
  get(j, "skipped_binary", s.skipped_binary);
  get(j, "skipped_too_large", s.skipped_too_large);
  get(j, "skipped_excluded", s.skipped_excluded);
  get(j, "skipped_symlinks", s.skipped_symlinks);
  get(j, "unreadable", s.unreadable);
  get(j, "suppressed", s.suppressed);
  get(j, "commits_scanned", s.commits_scanned);
  get(j, "blobs_cached", s.blobs_cached);
  return s;
}

json issues_json(const std::vector<findings::ControlIssue>& issues) {
  json out = json::array();
  for (const auto& i : issues) out.push_back({{"control", i.control}, {"reason", i.reason}, {"folder", i.folder}});
  return out;
}

std::vector<findings::ControlIssue> issues_from(const json& j) {
  std::vector<findings::ControlIssue> out;
  for (const auto& i : j) out.push_back({i.at("control").get<std::string>(), i.at("reason").get<std::string>(),
                                         i.at("folder").get<std::string>()});
  return out;
}

json result_json(const findings::ScanResult& r) {
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(finding_json(f));
  json ignored = json::array();
  for (const auto& f : r.ignored) ignored.push_back(finding_json(f));
  return {{"findings", findings}, {"ignored", ignored}, {"stats", stats_json(r.stats)}, {"warnings", r.warnings},
          {"controls", r.controls}, {"errored_controls", issues_json(r.errored_controls)},
          {"skipped_controls", issues_json(r.skipped_controls)}, {"root", r.root}, {"commit_sha", r.commit_sha},
          {"start_time_ns", to_ns(r.start_time)}, {"end_time_ns", to_ns(r.end_time)}};
}

findings::ScanResult result_from(const json& j) {
  findings::ScanResult r;
  for (const auto& f : j.at("findings")) r.findings.push_back(finding_from(f));
  for (const auto& f : j.at("ignored")) r.ignored.push_back(finding_from(f));
  r.stats = stats_from(j.at("stats"));
  get(j, "warnings", r.warnings);
  get(j, "controls", r.controls);
  r.errored_controls = issues_from(j.at("errored_controls"));
  r.skipped_controls = issues_from(j.at("skipped_controls"));
  get(j, "root", r.root);
  get(j, "commit_sha", r.commit_sha);
  r.start_time = from_ns(j.at("start_time_ns").get<std::int64_t>());
  r.end_time = from_ns(j.at("end_time_ns").get<std::int64_t>());
  return r;
}

json sbom_json(const report::SbomLockfile& s) {
  json components = json::array();
  for (const auto& c : s.components) {
    json comp = {{"name", c.name}, {"version", c.version}, {"ecosystem", c.ecosystem}, {"direct", c.direct},
                 {"direct_known", c.direct_known}};
    if (!c.source_kind.empty()) comp["source_kind"] = c.source_kind;
    if (!c.source.empty()) comp["source"] = c.source;
    if (!c.requirement.empty()) comp["requirement"] = c.requirement;
    components.push_back(std::move(comp));
  }
  return {{"path", s.path}, {"folder", s.folder}, {"format", s.format}, {"components", components}};
}

report::SbomLockfile sbom_from(const json& j) {
  report::SbomLockfile s;
  get(j, "path", s.path);
  get(j, "folder", s.folder);
  get(j, "format", s.format);
  for (const auto& c : j.at("components")) {
    report::SbomComponent comp;
    get(c, "name", comp.name);
    get(c, "version", comp.version);
    get(c, "ecosystem", comp.ecosystem);
    get(c, "direct", comp.direct);
    get(c, "direct_known", comp.direct_known);
    get(c, "source_kind", comp.source_kind);
    get(c, "source", comp.source);
    get(c, "requirement", comp.requirement);
    s.components.push_back(std::move(comp));
  }
  return s;
}

json diff_json(const publish::DiffIndex& diff) {
  json out = json::object();
  for (const auto& [path, file] : diff) out[path] = {{"old_path", file.old_path}, {"added", file.added}};
  return out;
}

publish::DiffIndex diff_from(const json& j) {
  publish::DiffIndex out;
  for (const auto& [path, file] : j.items())
    out[path] = publish::ChangedFile{file.at("old_path").get<std::string>(), file.at("added").get<std::set<int>>()};
  return out;
}

PartialStatus status_from(const std::string& text) {
  for (auto s : {PartialStatus::scanned, PartialStatus::skipped, PartialStatus::deferred})
    if (to_string(s) == text) return s;
  throw std::invalid_argument("unknown status " + text);
}

}  // namespace

std::string_view to_string(PartialStatus status) {
  switch (status) {
    case PartialStatus::scanned: return "scanned";
    case PartialStatus::skipped: return "skipped";
    case PartialStatus::deferred: return "deferred";
  }
  return "scanned";
}

std::string partial_file_name(Shard shard) {
  return "jit-partial-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.total) + ".json";
}

std::string to_json_text(const Partial& p) {
  json sboms = json::array();
  for (const auto& s : p.sboms) sboms.push_back(sbom_json(s));
  json j = {{"format", kFormat},
            {"version", p.version},
            {"shard", {{"index", p.shard.index}, {"total", p.shard.total}}},
            {"status", to_string(p.status)},
            {"reason", p.reason},
            {"event", {{"kind", p.event.kind}, {"project_id", p.event.project_id},
                       {"project_path", p.event.project_path}, {"head_sha", p.event.head_sha},
                       {"merge_request_iid", p.event.merge_request_iid}}},
            {"mode", p.mode},
            {"repo_config", p.repo_config ? json(*p.repo_config) : json(nullptr)},
            {"result", result_json(p.result)},
            {"sboms", sboms},
            {"diff_index", p.diff ? diff_json(*p.diff) : json(nullptr)}};
  // Invalid UTF-8 (a file name, a tool's message) is replaced rather than refused.
  return j.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

Partial parse_partial(std::string_view text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    refuse(origin + ": not a jit-agent partial result (invalid JSON: " + e.what() + ")");
  }
  if (!j.is_object() || j.value("format", "") != kFormat) refuse(origin + ": not a jit-agent partial result");
  const int version = j.value("version", 0);
  if (version != kPartialVersion)
    refuse(origin + ": partial result format version " + std::to_string(version) + ", this jit-agent reads " +
           std::to_string(kPartialVersion) + " (shards and merge must run the same jit-agent)");
  Partial p;
  try {
    p.version = version;
    p.shard = Shard{j.at("shard").at("index").get<int>(), j.at("shard").at("total").get<int>()};
    p.status = status_from(j.at("status").get<std::string>());
    get(j, "reason", p.reason);
    const json& ev = j.at("event");
    get(ev, "kind", p.event.kind);
    get(ev, "project_id", p.event.project_id);
    get(ev, "project_path", p.event.project_path);
    get(ev, "head_sha", p.event.head_sha);
    get(ev, "merge_request_iid", p.event.merge_request_iid);
    get(j, "mode", p.mode);
    if (auto it = j.find("repo_config"); it != j.end() && !it->is_null()) p.repo_config = it->get<std::string>();
    p.result = result_from(j.at("result"));
    for (const auto& s : j.at("sboms")) p.sboms.push_back(sbom_from(s));
    if (auto it = j.find("diff_index"); it != j.end() && !it->is_null()) p.diff = diff_from(*it);
  } catch (const std::exception& e) {
    refuse(origin + ": malformed partial result (" + e.what() + ")");
  }
  if (p.shard.total < 1 || p.shard.index < 1 || p.shard.index > p.shard.total)
    refuse(origin + ": shard " + std::to_string(p.shard.index) + "/" + std::to_string(p.shard.total) + " is not valid");
  return p;
}

fs::path write_partial(const fs::path& dir, const Partial& partial) {
  const fs::path file = dir / partial_file_name(partial.shard);
  util::write_file_atomic(file, to_json_text(partial));
  return file;
}

std::vector<fs::path> find_partials(const std::vector<fs::path>& dirs) {
  std::vector<fs::path> out;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) refuse(dir.string() + ": no such folder");
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("jit-partial-") && name.ends_with(".json") && entry.is_regular_file(ec))
        out.push_back(entry.path());
    }
    if (ec) refuse(dir.string() + ": " + ec.message());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace agent::job
