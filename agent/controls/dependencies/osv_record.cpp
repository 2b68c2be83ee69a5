#include "agent/controls/dependencies/osv_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "agent/controls/dependencies/cvss.h"
#include "agent/controls/dependencies/version.h"
#include "agent/util/error.h"

namespace agent::controls::dependencies {
namespace {

using nlohmann::json;

// A reason to skip the whole record.
struct Invalid {
  std::string why;
};

bool digits_at(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return false;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// RFC 3339 in UTC as the schema demands: YYYY-MM-DDTHH:MM:SS[.fraction]Z.
bool is_timestamp(std::string_view s) {
  if (!(digits_at(s, 0, 4) && s.substr(4, 1) == "-" && digits_at(s, 5, 2) && s.substr(7, 1) == "-" &&
        digits_at(s, 8, 2) && s.substr(10, 1) == "T" && digits_at(s, 11, 2) &&
        s.substr(13, 1) == ":" && digits_at(s, 14, 2) && s.substr(16, 1) == ":" &&
        digits_at(s, 17, 2))) {
    return false;
  }
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  return i + 1 == s.size() && s[i] == 'Z';
}

// No ecosystem spells a package name or a version with a control character; the database stores
// them one per line, tab-separated.
bool has_control(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::string optional_string(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) throw Invalid{where + "\"" + key + "\" is not a string"};
  return it->get<std::string>();
}

std::vector<std::string> string_list(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) throw Invalid{where + "\"" + key + "\" is not an array"};
  for (const auto& v : *it) {
    if (!v.is_string()) throw Invalid{where + "\"" + key + "\" holds a non-string"};
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool valid_severity_score(const std::string& type, const std::string& score) {
  if (type == "CVSS_V3") return cvss3_base_score(score).has_value();
  if (type == "CVSS_V4") return cvss4_base_score(score).has_value();
  if (type == "CVSS_V2") return !score.empty() && score.find("AV:") != std::string::npos;
  if (type == "Ubuntu") {
    return score == "negligible" || score == "low" || score == "medium" || score == "high" ||
           score == "critical";
  }
  return false;
}

std::vector<OsvSeverity> severity_list(const json& obj, const std::string& where) {
  std::vector<OsvSeverity> out;
  auto it = obj.find("severity");
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) throw Invalid{where + "\"severity\" is not an array"};
  for (const auto& s : *it) {
    if (!s.is_object()) throw Invalid{where + "a severity entry is not an object"};
    OsvSeverity sev{optional_string(s, "type", where + "severity: "),
                    optional_string(s, "score", where + "severity: ")};
    if (sev.type.empty() || sev.score.empty()) throw Invalid{where + "a severity entry lacks type or score"};
    if (!valid_severity_score(sev.type, sev.score)) {
      throw Invalid{where + "severity " + sev.type + " \"" + sev.score + "\" is malformed"};
    }
    out.push_back(std::move(sev));
  }
  return out;
}

std::optional<OsvRange> parse_range(const json& r, Scheme scheme, const std::string& eco,
                                    const std::string& where, std::vector<std::string>& notes) {
  if (!r.is_object()) throw Invalid{where + "a range is not an object"};
  std::string type = optional_string(r, "type", where + "range: ");
  if (type != "SEMVER" && type != "ECOSYSTEM" && type != "GIT") {
    throw Invalid{where + "range type \"" + type + "\" is not SEMVER, ECOSYSTEM or GIT"};
  }
  auto events = r.find("events");
  if (events == r.end() || !events->is_array() || events->empty()) {
    throw Invalid{where + "a range has no events"};
  }
  if (type == "GIT" && optional_string(r, "repo", where).empty()) {
    throw Invalid{where + "a GIT range has no repo"};
  }
  OsvRange range;
  range.type = type == "SEMVER" ? OsvRange::Type::semver : OsvRange::Type::ecosystem;
  bool has_introduced = false, bad_version = false;
  Scheme range_scheme = type == "SEMVER" ? Scheme::semver : scheme;
  for (const auto& e : *events) {
    if (!e.is_object() || e.size() != 1) throw Invalid{where + "an event must have exactly one key"};
    auto [key, value] = *e.items().begin();
    if (!value.is_string()) throw Invalid{where + "event \"" + key + "\" is not a string"};
    OsvEvent ev;
    ev.version = value.get<std::string>();
    if (key == "introduced") ev.kind = OsvEvent::Kind::introduced, has_introduced = true;
    else if (key == "fixed") ev.kind = OsvEvent::Kind::fixed;
    else if (key == "last_affected") ev.kind = OsvEvent::Kind::last_affected;
    else if (key == "limit") ev.kind = OsvEvent::Kind::limit;
    else throw Invalid{where + "unknown event \"" + key + "\""};
    bool special = (ev.kind == OsvEvent::Kind::introduced && ev.version == "0") ||
                   (ev.kind == OsvEvent::Kind::limit && ev.version.find('*') != std::string::npos);
    if (type != "GIT" && !special && (has_control(ev.version) || !is_valid_version(range_scheme, ev.version))) {
      notes.push_back("range dropped: \"" + ev.version + "\" is not a valid " + eco + " version");
      bad_version = true;
    }
    range.events.push_back(std::move(ev));
  }
  if (!has_introduced) throw Invalid{where + "a range has no \"introduced\" event"};
  if (type == "GIT" || bad_version) return std::nullopt;  // GIT needs the repository's history
  return range;
}

OsvRecord convert(const json& doc, const std::string& source, std::vector<std::string>& warnings) {
  if (!doc.is_object()) throw Invalid{"not a JSON object"};
  OsvRecord rec;
  rec.id = optional_string(doc, "id", "");
  if (rec.id.empty()) throw Invalid{"no \"id\""};
  bool id_ok = std::all_of(rec.id.begin(), rec.id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
  if (!id_ok || rec.id.size() > 200) throw Invalid{"id \"" + rec.id + "\" is malformed"};
  const std::string where = rec.id + ": ";
  rec.modified = optional_string(doc, "modified", where);
  if (rec.modified.empty()) throw Invalid{where + "no \"modified\" timestamp"};
  rec.published = optional_string(doc, "published", where);
  rec.withdrawn = optional_string(doc, "withdrawn", where);
  for (const auto* ts : {&rec.modified, &rec.published, &rec.withdrawn}) {
    if (!ts->empty() && !is_timestamp(*ts)) throw Invalid{where + "timestamp \"" + *ts + "\" is not RFC 3339 UTC"};
  }
  rec.summary = optional_string(doc, "summary", where);
  rec.details = optional_string(doc, "details", where);
  rec.aliases = string_list(doc, "aliases", where);
  string_list(doc, "related", where);
  rec.severity = severity_list(doc, where);
  if (auto db = doc.find("database_specific"); db != doc.end() && db->is_object()) {
    if (auto s = db->find("severity"); s != db->end() && s->is_string()) rec.database_severity = s->get<std::string>();
    if (auto c = db->find("cwe_ids"); c != db->end() && c->is_array()) {
      for (const auto& v : *c) {
        if (v.is_string()) rec.cwes.push_back(v.get<std::string>());
      }
    }
  }
  if (auto refs = doc.find("references"); refs != doc.end() && !refs->is_null()) {
    if (!refs->is_array()) throw Invalid{where + "\"references\" is not an array"};
    for (const auto& r : *refs) {
      if (!r.is_object()) throw Invalid{where + "a reference is not an object"};
      std::string url = optional_string(r, "url", where);
      if (!url.empty()) rec.references.push_back(std::move(url));
    }
  }
  auto affected = doc.find("affected");
  if (affected == doc.end() || affected->is_null()) return rec;
  if (!affected->is_array()) throw Invalid{where + "\"affected\" is not an array"};
  std::vector<std::string> notes;
  for (const auto& a : *affected) {
    if (!a.is_object()) throw Invalid{where + "an affected entry is not an object"};
    auto pkg = a.find("package");
    std::vector<OsvSeverity> sev = severity_list(a, where);
    if (pkg == a.end() || pkg->is_null()) continue;  // e.g. GIT-only entries: nothing to match by name
    if (!pkg->is_object()) throw Invalid{where + "\"package\" is not an object"};
    OsvAffected entry;
    entry.ecosystem = optional_string(*pkg, "ecosystem", where);
    entry.name = optional_string(*pkg, "name", where);
    if (entry.ecosystem.empty() || entry.name.empty()) throw Invalid{where + "a package lacks ecosystem or name"};
    if (has_control(entry.ecosystem) || has_control(entry.name)) {
      throw Invalid{where + "a package's ecosystem or name contains a control character"};
    }
    entry.severity = std::move(sev);
    for (const char* key : {"ecosystem_specific", "database_specific"}) {
      auto spec = a.find(key);
      if (spec == a.end() || !spec->is_object() || !entry.label.empty()) continue;
      if (auto s = spec->find("severity"); s != spec->end() && s->is_string()) entry.label = s->get<std::string>();
    }
    Scheme scheme = scheme_for_ecosystem(entry.ecosystem);
    std::vector<std::string> dropped;
    for (std::string& v : string_list(a, "versions", where)) {
      if (!has_control(v) && is_valid_version(scheme, v)) {
        entry.versions.push_back(std::move(v));
      } else {
        dropped.push_back("\"" + v + "\"");
      }
    }
    if (!dropped.empty()) {
      std::string list;
      for (std::size_t i = 0; i < dropped.size() && i < 5; ++i) list += (i ? ", " : "") + dropped[i];
      if (dropped.size() > 5) list += ", ...";
      notes.push_back(std::to_string(dropped.size()) + " version(s) of " + entry.name + " dropped, not valid " +
                      entry.ecosystem + " versions: " + list);
    }
    if (auto ranges = a.find("ranges"); ranges != a.end() && !ranges->is_null()) {
      if (!ranges->is_array()) throw Invalid{where + "\"ranges\" is not an array"};
      for (const auto& r : *ranges) {
        if (auto range = parse_range(r, scheme, entry.ecosystem, where, notes)) {
          entry.ranges.push_back(std::move(*range));
        }
      }
    }
    rec.affected.push_back(std::move(entry));
  }
  for (const auto& n : notes) warnings.push_back(source + ": " + where + n);
  return rec;
}

}  // namespace

OsvParseResult parse_osv_record(const nlohmann::json& doc, const std::string& source) {
  OsvParseResult out;
  try {
    out.record = convert(doc, source, out.warnings);
  } catch (const Invalid& e) {
    out.record.reset();
    out.warnings.push_back(source + ": record skipped: " + e.why);
  } catch (const nlohmann::json::exception& e) {
    out.record.reset();
    out.warnings.push_back(source + ": record skipped: " + e.what());
  }
  return out;
}

OsvParseResult parse_osv_text(std::string_view text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    int line = 1, col = 1;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') ++line, col = 1;
      else ++col;
    }
    OsvParseResult out;
    out.warnings.push_back(util::at(source, line, col, "record skipped: invalid JSON"));
    return out;
  } catch (const json::exception& e) {  // a number out of range ("1e999") is out_of_range, not parse_error
    OsvParseResult out;
    out.warnings.push_back(source + ": record skipped: invalid JSON (" + e.what() + ")");
    return out;
  }
  return parse_osv_record(doc, source);
}

}  // namespace agent::controls::dependencies
