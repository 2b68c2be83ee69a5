#include "agent/controls/dependencies/osv_codec.h"

namespace agent::controls::dependencies {
namespace {

void put(std::string& out, std::string_view field) {
  for (char c : field) out.push_back(c == '\t' || c == '\n' ? ' ' : c);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto p = s.find(sep, start);
    if (p == std::string_view::npos) p = s.size();
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
  return out;
}

}  // namespace

std::string encode_affected(const OsvAffected& a) {
  std::string out;
  out += "E\t";
  put(out, a.ecosystem);
  out += "\nN\t";
  put(out, a.name);
  out += '\n';
  if (!a.versions.empty()) {
    out += 'V';
    for (const auto& v : a.versions) {
      out += '\t';
      put(out, v);
    }
    out += '\n';
  }
  for (const auto& r : a.ranges) {
    out += "R\t";
    out += static_cast<char>(r.type);
    for (const auto& e : r.events) {
      out += '\t';
      out += static_cast<char>(e.kind);
      put(out, e.version);
    }
    out += '\n';
  }
  if (!a.label.empty()) {
    out += "L\t";
    put(out, a.label);
    out += '\n';
  }
  for (const auto& s : a.severity) {
    out += "S\t";
    put(out, s.type);
    out += '\t';
    put(out, s.score);
    out += '\n';
  }
  return out;
}

OsvAffected decode_affected(std::string_view data) {
  OsvAffected a;
  for (std::string_view line : split(data, '\n')) {
    if (line.size() < 2) continue;
    auto fields = split(line.substr(2), '\t');
    switch (line[0]) {
      case 'E': a.ecosystem = std::string(fields[0]); break;
      case 'N': a.name = std::string(fields[0]); break;
      case 'V':
        for (auto f : fields) a.versions.emplace_back(f);
        break;
      case 'R': {
        OsvRange r;
        r.type = fields[0] == "S" ? OsvRange::Type::semver : OsvRange::Type::ecosystem;
        for (std::size_t i = 1; i < fields.size(); ++i) {
          if (fields[i].empty()) continue;
          r.events.push_back({static_cast<OsvEvent::Kind>(fields[i][0]), std::string(fields[i].substr(1))});
        }
        a.ranges.push_back(std::move(r));
        break;
      }
      case 'L': a.label = std::string(fields[0]); break;
      case 'S':
        if (fields.size() == 2) a.severity.push_back({std::string(fields[0]), std::string(fields[1])});
        break;
      default: break;
    }
  }
  return a;
}

std::string encode_severity(const std::vector<OsvSeverity>& severity) {
  std::string out;
  for (const auto& s : severity) {
    put(out, s.type);
    out += '\t';
    put(out, s.score);
    out += '\n';
  }
  return out;
}

std::vector<OsvSeverity> decode_severity(std::string_view data) {
  std::vector<OsvSeverity> out;
  for (std::string_view line : split(data, '\n')) {
    auto tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    out.push_back({std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += '\n';
    put(out, i);
  }
  return out;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  for (auto p : split(text, '\n')) out.emplace_back(p);
  return out;
}

}  // namespace agent::controls::dependencies
