#include "agent/config/ignores.h"

#include "agent/config/osv_scanner_config.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/config/reader.h"
#include "agent/util/error.h"
#include "agent/util/glob.h"
#include "agent/util/yaml_guard.h"

namespace agent::config {
namespace {

const std::vector<std::string> kEntryKeys = {"fingerprint", "rule",    "advisory", "package", "path",
                                             "project",     "reason",  "comment",  "author",  "created",
                                             "expires"};
const std::vector<std::string> kReasons = {"false_positive", "accepted_risk"};

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

/// "YYYY-MM-DD" with a real month and day, or a datetime starting with one.
std::optional<std::string> date_part(std::string_view text) {
  if (text.size() < 10) return std::nullopt;
  std::string d(text.substr(0, 10));
  if (text.size() > 10 && text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  for (std::size_t i = 0; i < 10; ++i) {
    bool dash = i == 4 || i == 7;
    if (dash != (d[i] == '-')) return std::nullopt;
    if (!dash && !std::isdigit(static_cast<unsigned char>(d[i]))) return std::nullopt;
  }
  int month = std::stoi(d.substr(5, 2));
  int day = std::stoi(d.substr(8, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return d;
}

IgnoreEntry read_entry(const Reader& r, const YAML::Node& item, std::size_t index) {
  IgnoreEntry e;
  const std::string where = "ignores[" + std::to_string(index) + "]";
  e.line = item.Mark().is_null() ? 0 : item.Mark().line + 1;
  e.source = r.file + ":" + std::to_string(e.line);
  bool has_reason = false;
  r.each_key(item, where, kEntryKeys, [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
    const std::string name = where + "." + key;
    if (key == "fingerprint") {
      e.fingerprint = r.string(v, name);
      std::transform(e.fingerprint.begin(), e.fingerprint.end(), e.fingerprint.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!is_hex(e.fingerprint) || e.fingerprint.size() < 16 || e.fingerprint.size() > 128)
        r.fail(v, name + ": expected a finding's fingerprint (16 to 128 hex digits, as the reports and MR threads give it)");
    } else if (key == "rule") {
      e.rule = r.string(v, name);
    } else if (key == "advisory") {
      e.advisory = r.string(v, name);
    } else if (key == "package") {
      e.package = r.string(v, name);
    } else if (key == "path") {
      e.path = r.string(v, name);
    } else if (key == "project") {
      e.project = r.string(v, name);
      while (!e.project.empty() && e.project.front() == '/') e.project.erase(0, 1);
    } else if (key == "reason") {
      auto reason = v.IsScalar() ? parse_ignore_reason(v.Scalar()) : std::nullopt;
      if (!reason)
        r.fail(v, name + ": expected " + one_of(kReasons) +
                      (v.IsScalar() ? did_you_mean(v.Scalar(), kReasons) : std::string()));
      e.reason = *reason;
      has_reason = true;
    } else if (key == "comment") {
      if (!v.IsScalar()) r.fail(v, name + ": expected a string");
      e.comment = v.Scalar();
      if (e.comment.size() > 2000) r.fail(v, name + ": at most 2000 characters");
    } else if (key == "author") {
      r.each_key(v, name, {"username", "id", "name"}, [&](const std::string& k, const YAML::Node&, const YAML::Node& av) {
        if (k == "username") {
          e.author_username = r.string(av, name + ".username");
        } else if (k == "id") {
          try {
            e.author_id = av.IsScalar() ? std::stoll(av.Scalar()) : -1;
          } catch (const std::exception&) {
            e.author_id = -1;
          }
          if (e.author_id <= 0) r.fail(av, name + ".id: expected a positive GitLab user id");
        } else {
          (void)r.string(av, name + ".name");
        }
      });
    } else if (key == "created") {
      auto d = v.IsScalar() ? date_part(v.Scalar()) : std::nullopt;
      if (!d) r.fail(v, name + ": expected a date or an ISO 8601 time (2026-12-01 or 2026-12-01T10:00:00Z)");
      e.created = v.Scalar();
    } else if (key == "expires") {
      auto d = v.IsScalar() ? date_part(v.Scalar()) : std::nullopt;
      if (!d) r.fail(v, name + ": expected a date (2027-03-01)");
      e.expires = *d;
    }
  });
  const int kinds = !e.fingerprint.empty() + !e.rule.empty() + !e.advisory.empty();
  if (kinds != 1)
    r.fail(item, where + ": give exactly one of fingerprint, rule (with an optional path) or advisory (with an "
                         "optional package)");
  if (!e.package.empty() && e.advisory.empty()) r.fail(item, where + ".package: only with advisory");
  if (!e.path.empty() && e.fingerprint.size()) r.fail(item, where + ".path: not with fingerprint (it names one finding)");
  if (!has_reason) r.fail(item, where + ": reason is required (" + one_of(kReasons) + ")");
  return e;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// A YAML double-quoted scalar: always safe, whatever the text holds.
std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789abcdef";
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.emplace_back(text.substr(start));
      break;
    }
    lines.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

bool blank_or_comment(const std::string& line) {
  auto p = line.find_first_not_of(" \t");
  return p == std::string::npos || line[p] == '#';
}

}  // namespace

std::string_view to_string(IgnoreReason reason) {
  return reason == IgnoreReason::accepted_risk ? "accepted_risk" : "false_positive";
}

std::optional<IgnoreReason> parse_ignore_reason(std::string_view text) {
  if (text == "false_positive") return IgnoreReason::false_positive;
  if (text == "accepted_risk") return IgnoreReason::accepted_risk;
  return std::nullopt;
}

Ignores parse_ignores(std::string_view yaml, const std::string& file) {
  Ignores out;
  out.file = file;
  YAML::Node root = util::load_yaml(yaml, file);
  if (!root.IsDefined() || root.IsNull()) return out;
  std::vector<std::string> errors;
  Reader r{file, Layer::central, &errors};
  r.collect([&] {
    r.each_key(root, "the ignores file", {"ignores"}, [&](const std::string&, const YAML::Node&, const YAML::Node& list) {
      if (list.IsNull()) return;
      if (!list.IsSequence()) r.fail(list, "ignores: expected a list of entries");
      std::size_t index = 0;
      std::set<std::string> fingerprints;
      for (const auto& item : list) {
        r.collect([&] {
          IgnoreEntry e = read_entry(r, item, index);
          if (!e.fingerprint.empty() && !fingerprints.insert(e.fingerprint + "|" + e.project).second)
            r.fail(item, "ignores[" + std::to_string(index) + "]: fingerprint " + e.fingerprint.substr(0, 12) +
                             "... is already ignored by an earlier entry");
          out.entries.push_back(std::move(e));
        });
        ++index;
      }
    });
  });
  if (!errors.empty()) {
    std::string message = errors.front();
    for (std::size_t i = 1; i < errors.size(); ++i) message += "\n" + errors[i];
    throw util::UsageError(message);
  }
  return out;
}

Ignores load_ignores(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw util::UsageError(util::at(path.string(), 0, 0, "cannot read the ignores file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (is_osv_scanner_config(path.string())) return parse_osv_scanner_config(ss.str(), path.string());
  return parse_ignores(ss.str(), path.string());
}

std::string today_utc() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool expired(const IgnoreEntry& entry, std::string_view today) {
  return !entry.expires.empty() && entry.expires < today;
}

bool matches(const IgnoreEntry& entry, const findings::Finding& f, std::string_view project) {
  if (!entry.project.empty() && !project.empty()) {
    std::string p(project);
    if (!util::glob_match_exact(entry.project, p) && !util::glob_match_exact(entry.project + "/**", p)) return false;
  }
  if (!entry.fingerprint.empty()) return lower(f.fingerprint) == entry.fingerprint;
  if (!entry.path.empty() && !util::glob_match(entry.path, f.path)) return false;
  if (!entry.rule.empty()) return f.rule_id == entry.rule;
  // An advisory: its id or any alias, case-insensitive (GHSA ids are written either way).
  if (!f.dependency) return false;
  const auto& d = *f.dependency;
  if (!entry.package.empty() && lower(d.package) != lower(entry.package)) return false;
  if (!entry.version.empty() && d.version != entry.version) return false;
  if (!entry.ecosystem.empty() && lower(d.ecosystem) != lower(entry.ecosystem)) return false;
  if (entry.advisory.empty()) return !entry.package.empty() || !entry.ecosystem.empty();  // the whole package
  const std::string want = lower(entry.advisory);
  if (lower(d.advisory_id) == want || lower(f.rule_id) == want) return true;
  return std::any_of(d.aliases.begin(), d.aliases.end(), [&](const std::string& a) { return lower(a) == want; });
}

std::size_t apply_ignores(const Ignores& ignores, findings::ScanResult& result, std::string_view project,
                          std::string_view today) {
  if (ignores.entries.empty()) return 0;
  std::vector<findings::Finding> kept;
  std::set<const IgnoreEntry*> warned;
  std::size_t n = 0;
  for (auto& f : result.findings) {
    const IgnoreEntry* hit = nullptr;
    for (const auto& e : ignores.entries) {
      if (!matches(e, f, project)) continue;
      if (expired(e, today)) {
        if (warned.insert(&e).second)
          result.warnings.push_back(e.source + ": this ignore expired on " + e.expires +
                                    "; what it matches is reported again (renew or remove it)");
        continue;
      }
      hit = &e;
      break;
    }
    if (!hit) {
      kept.push_back(std::move(f));
      continue;
    }
    findings::Suppression s;
    s.reason = std::string(to_string(hit->reason));
    s.comment = hit->comment;
    if (!hit->author_username.empty()) s.author = "@" + hit->author_username;
    s.source = hit->source;
    s.expires = hit->expires;
    f.suppression = std::move(s);
    result.ignored.push_back(std::move(f));
    ++n;
  }
  result.findings = std::move(kept);
  return n;
}

IgnoreEntry baseline_entry(const findings::Finding& f, const std::string& created) {
  IgnoreEntry e;
  e.fingerprint = lower(f.fingerprint);
  e.reason = IgnoreReason::accepted_risk;
  e.comment = "baseline: " + f.rule_id + " in " + f.path + (f.line > 0 ? ":" + std::to_string(f.line) : "");
  e.created = created;
  return e;
}

std::string entry_yaml(const IgnoreEntry& e) {
  std::string out;
  auto field = [&out](std::string_view key, const std::string& value) {
    out += (out.empty() ? "  - " : "    ") + std::string(key) + ": " + yaml_quoted(value) + "\n";
  };
  if (!e.fingerprint.empty()) field("fingerprint", e.fingerprint);
  if (!e.rule.empty()) field("rule", e.rule);
  if (!e.advisory.empty()) field("advisory", e.advisory);
  if (!e.package.empty()) field("package", e.package);
  if (!e.path.empty()) field("path", e.path);
  out += (out.empty() ? "  - " : "    ") + std::string("reason: ") + std::string(to_string(e.reason)) + "\n";
  if (!e.comment.empty()) field("comment", e.comment);
  if (!e.project.empty()) field("project", e.project);
  if (!e.author_username.empty() || e.author_id > 0) {
    out += "    author: {";
    if (!e.author_username.empty()) out += "username: " + yaml_quoted(e.author_username);
    if (e.author_id > 0) out += std::string(e.author_username.empty() ? "" : ", ") + "id: " + std::to_string(e.author_id);
    out += "}\n";
  }
  if (!e.created.empty()) field("created", e.created);
  if (!e.expires.empty()) field("expires", e.expires);
  return out;
}

namespace {

// The text edit; add_ignore_text checks its result.
std::string insert_ignore_text(std::string_view text, const IgnoreEntry& entry, const std::string& file) {
  std::vector<std::string> lines = split_lines(text);
  const std::string block = entry_yaml(entry);
  // Where the `ignores:` key is, and what follows it.
  int key_line = -1;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind("ignores:", 0) == 0) key_line = static_cast<int>(i);
  if (key_line < 0) {
    std::string out(text);
    if (!out.empty() && out.back() != '\n') out += "\n";
    out += "ignores:\n" + block;
    try {
      if (parse_ignores(out, file).entries.size() == 1) return out;
    } catch (const util::UsageError&) {
    }
    // The document is an explicit null or empty map (`~`, `null`, `{}`, or ends with `...`): a key
    // cannot follow it. Keep the comments and blank lines, replace the rest by the list.
    out.clear();
    for (const auto& l : lines)
      if (l.empty() || blank_or_comment(l)) out += l + "\n";
    return out + "ignores:\n" + block;
  }
  std::string rest = lines[key_line].substr(8);
  const auto hash = rest.find(" #");
  std::string comment = hash == std::string::npos ? "" : rest.substr(hash);
  std::string value = hash == std::string::npos ? rest : rest.substr(0, hash);
  value.erase(0, value.find_first_not_of(" \t"));
  value.erase(value.find_last_not_of(" \t") + 1);
  if (value == "[]" || value == "~" || value == "null") {
    lines[key_line] = "ignores:" + comment;
    std::vector<std::string> b = split_lines(block);
    lines.insert(lines.begin() + key_line + 1, b.begin(), b.end());
    return join_lines(lines);
  }
  if (value.empty()) {
    // yaml-cpp also takes a null written on a later line at column 0 as the key's value
    // ("ignores:\n# c\n~"); the list goes where that null was (fuzz regression), its comment kept.
    for (std::size_t i = static_cast<std::size_t>(key_line) + 1; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      if (l.empty() || blank_or_comment(l)) continue;
      if (l[0] == ' ' || l[0] == '\t' || l[0] == '-') break;
      const auto h = l.find(" #");
      std::string v = h == std::string::npos ? l : l.substr(0, h);
      v.erase(v.find_last_not_of(" \t") + 1);
      if (v == "~" || v == "null" || v == "Null" || v == "NULL" || v == "[]") {
        if (h == std::string::npos) lines.erase(lines.begin() + static_cast<long>(i));
        else lines[i] = l.substr(h + 1);
        std::vector<std::string> b = split_lines(block);
        lines.insert(lines.begin() + key_line + 1, b.begin(), b.end());
        return join_lines(lines);
      }
      break;
    }
  }
  if (!value.empty())
    throw util::UsageError(util::at(file, key_line + 1, 10, "ignores: a flow list cannot be edited in place; "
                                                            "write it as a block list (one \"- \" entry per item)"));
  // After the last line that belongs to the list: indented, or an entry's "- ", not a trailing comment.
  std::size_t end = static_cast<std::size_t>(key_line) + 1;
  for (std::size_t i = end; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty() || blank_or_comment(l)) continue;
    if (l[0] == ' ' || l[0] == '\t' || l[0] == '-') end = i + 1;
    else break;
  }
  // Match the indentation of the existing entries ("- " at column 0 or indented).
  std::string indent = "  ";
  for (std::size_t i = static_cast<std::size_t>(key_line) + 1; i < end; ++i) {
    auto p = lines[i].find_first_not_of(' ');
    if (p != std::string::npos && lines[i][p] == '-') {
      indent = lines[i].substr(0, p);
      break;
    }
  }
  std::vector<std::string> b = split_lines(block);
  for (auto& l : b) l = indent + l.substr(2);
  lines.insert(lines.begin() + static_cast<long>(end), b.begin(), b.end());
  return join_lines(lines);
}

}  // namespace

std::string add_ignore_text(std::string_view text, const IgnoreEntry& entry, const std::string& file) {
  const std::size_t before = parse_ignores(text, file).entries.size();  // only a valid file is edited
  // The entry's own values, checked as if written by hand, so a bad one is named as such below.
  (void)parse_ignores("ignores:\n" + entry_yaml(entry), file + " (the new entry)");
  std::string out = insert_ignore_text(text, entry, file);
  // The edit works on lines; YAML can hide a column-0 "ignores:" inside a multi-line quoted scalar
  // or a flow collection (found by the config fuzz target). Never write what does not read back as
  // the same list plus the new entry.
  bool ok = false;
  try {
    const Ignores after = parse_ignores(out, file);
    ok = after.entries.size() == before + 1 &&
         std::any_of(after.entries.begin(), after.entries.end(),
                     [&](const IgnoreEntry& e) { return lower(e.fingerprint) == lower(entry.fingerprint); });
  } catch (const util::UsageError&) {
  }
  if (!ok) {
    throw util::UsageError(util::at(file, 0, 0,
                                    "cannot add the entry in place: the file's \"ignores:\" list is not a block "
                                    "list under a top-level \"ignores:\" key; add it by hand"));
  }
  return out;
}

std::optional<std::string> remove_ignore_text(std::string_view text, std::string_view fingerprint,
                                              const std::string& file) {
  const Ignores current = parse_ignores(text, file);
  const std::string want = lower(fingerprint);
  std::vector<std::string> lines = split_lines(text);
  // Each entry spans from its "-" line to the line before the next entry (or the list's end).
  std::vector<int> starts;
  for (const auto& e : current.entries) starts.push_back(e.line - 1);
  std::vector<std::pair<int, int>> remove;  // [first, last] 0-based
  for (std::size_t i = 0; i < current.entries.size(); ++i) {
    if (current.entries[i].fingerprint != want) continue;
    int first = starts[i];
    int last;
    if (i + 1 < starts.size()) {
      last = starts[i + 1] - 1;
    } else {
      last = first;
      for (int j = first + 1; j < static_cast<int>(lines.size()); ++j) {
        const std::string& l = lines[j];
        if (l.empty() || blank_or_comment(l)) continue;
        if (l[0] == ' ' || l[0] == '\t') last = j;
        else break;
      }
    }
    // Comment lines at the end of the range describe the next entry: keep them.
    while (last > first && blank_or_comment(lines[last])) --last;
    // Comment lines directly above the entry describe it: remove them.
    while (first > 0 && lines[first - 1].find_first_not_of(" \t") != std::string::npos &&
           lines[first - 1][lines[first - 1].find_first_not_of(" \t")] == '#')
      --first;
    remove.emplace_back(first, last);
  }
  if (remove.empty()) return std::nullopt;
  for (auto it = remove.rbegin(); it != remove.rend(); ++it)
    lines.erase(lines.begin() + it->first, lines.begin() + it->second + 1);
  std::string out = join_lines(lines);
  // An emptied block list reads as `ignores:` (null), which parse_ignores accepts as empty.
  (void)parse_ignores(out, file);
  return out;
}

}  // namespace agent::config
