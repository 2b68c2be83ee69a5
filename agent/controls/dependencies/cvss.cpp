#include "agent/controls/dependencies/cvss.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>

namespace agent::controls::dependencies {
namespace {

struct MetricValues {
  std::string_view name;
  std::string_view letters;  // allowed values, one letter each
};

// The eight base metrics every v3 vector must carry exactly once.
constexpr std::array<MetricValues, 8> kBase = {{{"AV", "NALP"}, {"AC", "LH"}, {"PR", "NLH"},
                                                {"UI", "NR"}, {"S", "UC"}, {"C", "HLN"},
                                                {"I", "HLN"}, {"A", "HLN"}}};
// Temporal and environmental metrics are allowed (and ignored for the base score).
constexpr std::array<MetricValues, 14> kOther = {{{"E", "XUPFH"}, {"RL", "XOTWU"}, {"RC", "XURC"},
                                                  {"CR", "XLMH"}, {"IR", "XLMH"}, {"AR", "XLMH"},
                                                  {"MAV", "XNALP"}, {"MAC", "XLH"}, {"MPR", "XNLH"},
                                                  {"MUI", "XNR"}, {"MS", "XUC"}, {"MC", "XNLH"},
                                                  {"MI", "XNLH"}, {"MA", "XNLH"}}};

// v3.1's Roundup: the smallest one-decimal number >= x, computed on integers to avoid
// floating-point artefacts (4.000000000001 must not become 4.1).
double roundup_31(double x) {
  long long i = std::llround(x * 100000.0);
  if (i % 10000 == 0) return static_cast<double>(i) / 100000.0;
  return static_cast<double>(i / 10000 + 1) / 10.0;
}

double roundup_30(double x) { return std::ceil(x * 10.0) / 10.0; }

}  // namespace

bool detail::for_each_metric(std::string_view vector,
                             const std::function<bool(std::string_view key, std::string_view value)>& metric) {
  while (!vector.empty()) {
    const auto slash = vector.find('/');
    const std::string_view part = vector.substr(0, slash);
    vector = slash == std::string_view::npos ? std::string_view() : vector.substr(slash + 1);
    const auto colon = part.find(':');
    if (colon == std::string_view::npos || !metric(part.substr(0, colon), part.substr(colon + 1))) return false;
  }
  return true;
}

std::optional<double> cvss3_base_score(std::string_view vector) {
  bool v31;
  if (vector.starts_with("CVSS:3.1/")) {
    v31 = true;
  } else if (vector.starts_with("CVSS:3.0/")) {
    v31 = false;
  } else {
    return std::nullopt;
  }
  vector.remove_prefix(9);
  std::map<std::string_view, char> seen;
  const bool parsed = detail::for_each_metric(vector, [&](std::string_view key, std::string_view text) {
    if (text.size() != 1) return false;
    const char value = text[0];
    bool known = false;
    for (const auto& m : kBase) known |= m.name == key && m.letters.find(value) != std::string_view::npos;
    for (const auto& m : kOther) known |= m.name == key && m.letters.find(value) != std::string_view::npos;
    return known && seen.emplace(key, value).second;
  });
  if (!parsed) return std::nullopt;
  for (const auto& m : kBase) {
    if (!seen.count(m.name)) return std::nullopt;
  }
  bool changed = seen["S"] == 'C';
  auto cia = [](char v) { return v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0.0; };
  double av = seen["AV"] == 'N' ? 0.85 : seen["AV"] == 'A' ? 0.62 : seen["AV"] == 'L' ? 0.55 : 0.2;
  double ac = seen["AC"] == 'L' ? 0.77 : 0.44;
  double pr = seen["PR"] == 'N' ? 0.85
              : seen["PR"] == 'L' ? (changed ? 0.68 : 0.62)
                                  : (changed ? 0.5 : 0.27);
  double ui = seen["UI"] == 'N' ? 0.85 : 0.62;
  double iss = 1.0 - (1.0 - cia(seen["C"])) * (1.0 - cia(seen["I"])) * (1.0 - cia(seen["A"]));
  double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0.0;
  double raw = changed ? std::min(1.08 * (impact + exploitability), 10.0)
                       : std::min(impact + exploitability, 10.0);
  return v31 ? roundup_31(raw) : roundup_30(raw);
}

std::optional<double> cvss2_base_score(std::string_view vector) {
  // "(AV:N/...)" and a "CVSS:2.0/" prefix are both seen in the wild.
  if (vector.starts_with("(") && vector.ends_with(")")) vector = vector.substr(1, vector.size() - 2);
  if (vector.starts_with("CVSS:2.0/")) vector.remove_prefix(9);
  // The six base metrics, each exactly once; the temporal/environmental ones are allowed and ignored.
  static const std::map<std::string_view, std::map<std::string_view, double>> kWeights = {
      {"AV", {{"L", 0.395}, {"A", 0.646}, {"N", 1.0}}},
      {"AC", {{"H", 0.35}, {"M", 0.61}, {"L", 0.71}}},
      {"Au", {{"M", 0.45}, {"S", 0.56}, {"N", 0.704}}},
      {"C", {{"N", 0.0}, {"P", 0.275}, {"C", 0.660}}},
      {"I", {{"N", 0.0}, {"P", 0.275}, {"C", 0.660}}},
      {"A", {{"N", 0.0}, {"P", 0.275}, {"C", 0.660}}}};
  static constexpr std::array<std::string_view, 8> kOtherV2 = {"E", "RL", "RC", "CDP", "TD", "CR", "IR", "AR"};
  std::map<std::string_view, double> got;
  const bool parsed = detail::for_each_metric(vector, [&](std::string_view key, std::string_view value) {
    auto metric = kWeights.find(key);
    if (metric == kWeights.end()) return std::find(kOtherV2.begin(), kOtherV2.end(), key) != kOtherV2.end();
    auto w = metric->second.find(value);
    return w != metric->second.end() && got.emplace(key, w->second).second;
  });
  if (!parsed || got.size() != kWeights.size()) return std::nullopt;
  const double impact = 10.41 * (1 - (1 - got["C"]) * (1 - got["I"]) * (1 - got["A"]));
  const double exploitability = 20 * got["AV"] * got["AC"] * got["Au"];
  const double f = impact == 0 ? 0 : 1.176;
  const double score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
  return std::round(score * 10.0) / 10.0;
}

findings::Severity severity_for_v2_score(double score) {
  using findings::Severity;
  if (score < 4.0) return Severity::low;
  if (score < 7.0) return Severity::medium;
  return Severity::high;
}

std::optional<double> cvss_base_score(std::string_view vector) {
  if (vector.starts_with("CVSS:4.0/")) return cvss4_base_score(vector);
  return cvss3_base_score(vector);
}

findings::Severity severity_for_score(double score) {
  using findings::Severity;
  if (score <= 0.0) return Severity::info;
  if (score < 4.0) return Severity::low;
  if (score < 7.0) return Severity::medium;
  if (score < 9.0) return Severity::high;
  return Severity::critical;
}

}  // namespace agent::controls::dependencies
