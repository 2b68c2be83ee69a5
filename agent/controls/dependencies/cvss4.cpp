// CVSS v4.0 score per FIRST's specification: the vector's MacroVector (EQ1..EQ6) gives a score
// from FIRST's lookup table, then the score moves towards the next lower MacroVectors in
// proportion to how far the vector is from the highest-severity vectors of its MacroVector.
// Threat and environmental metrics are honoured when present (a plain base vector gives the
// base score, CVSS-B).
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "agent/controls/dependencies/cvss.h"

namespace agent::controls::dependencies {
namespace {

// FIRST's MacroVector -> score table (cvss_lookup.js of the v4.0 reference calculator).
const std::map<std::string, double, std::less<>>& lookup() {
  static const std::map<std::string, double, std::less<>> table = {
      {"000000", 10},  {"000001", 9.9}, {"000010", 9.8}, {"000011", 9.5}, {"000020", 9.5}, {"000021", 9.2},
      {"000100", 10},  {"000101", 9.6}, {"000110", 9.3}, {"000111", 8.7}, {"000120", 9.1}, {"000121", 8.1},
      {"000200", 9.3}, {"000201", 9},   {"000210", 8.9}, {"000211", 8},   {"000220", 8.1}, {"000221", 6.8},
      {"001000", 9.8}, {"001001", 9.5}, {"001010", 9.5}, {"001011", 9.2}, {"001020", 9},   {"001021", 8.4},
      {"001100", 9.3}, {"001101", 9.2}, {"001110", 8.9}, {"001111", 8.1}, {"001120", 8.1}, {"001121", 6.5},
      {"001200", 8.8}, {"001201", 8},   {"001210", 7.8}, {"001211", 7},   {"001220", 6.9}, {"001221", 4.8},
      {"002001", 9.2}, {"002011", 8.2}, {"002021", 7.2}, {"002101", 7.9}, {"002111", 6.9}, {"002121", 5},
      {"002201", 6.9}, {"002211", 5.5}, {"002221", 2.7}, {"010000", 9.9}, {"010001", 9.7}, {"010010", 9.5},
      {"010011", 9.2}, {"010020", 9.2}, {"010021", 8.5}, {"010100", 9.5}, {"010101", 9.1}, {"010110", 9},
      {"010111", 8.3}, {"010120", 8.4}, {"010121", 7.1}, {"010200", 9.2}, {"010201", 8.1}, {"010210", 8.2},
      {"010211", 7.1}, {"010220", 7.2}, {"010221", 5.3}, {"011000", 9.5}, {"011001", 9.3}, {"011010", 9.2},
      {"011011", 8.5}, {"011020", 8.5}, {"011021", 7.3}, {"011100", 9.2}, {"011101", 8.2}, {"011110", 8},
      {"011111", 7.2}, {"011120", 7},   {"011121", 5.9}, {"011200", 8.4}, {"011201", 7},   {"011210", 7.1},
      {"011211", 5.2}, {"011220", 5},   {"011221", 3},   {"012001", 8.6}, {"012011", 7.5}, {"012021", 5.2},
      {"012101", 7.1}, {"012111", 5.2}, {"012121", 2.9}, {"012201", 6.3}, {"012211", 2.9}, {"012221", 1.7},
      {"100000", 9.8}, {"100001", 9.5}, {"100010", 9.4}, {"100011", 8.7}, {"100020", 9.1}, {"100021", 8.1},
      {"100100", 9.4}, {"100101", 8.9}, {"100110", 8.6}, {"100111", 7.4}, {"100120", 7.7}, {"100121", 6.4},
      {"100200", 8.7}, {"100201", 7.5}, {"100210", 7.4}, {"100211", 6.3}, {"100220", 6.3}, {"100221", 4.9},
      {"101000", 9.4}, {"101001", 8.9}, {"101010", 8.8}, {"101011", 7.7}, {"101020", 7.6}, {"101021", 6.7},
      {"101100", 8.6}, {"101101", 7.6}, {"101110", 7.4}, {"101111", 5.8}, {"101120", 5.9}, {"101121", 5},
      {"101200", 7.2}, {"101201", 5.7}, {"101210", 5.7}, {"101211", 5.2}, {"101220", 5.2}, {"101221", 2.5},
      {"102001", 8.3}, {"102011", 7},   {"102021", 5.4}, {"102101", 6.5}, {"102111", 5.8}, {"102121", 2.6},
      {"102201", 5.3}, {"102211", 2.1}, {"102221", 1.3}, {"110000", 9.5}, {"110001", 9},   {"110010", 8.8},
      {"110011", 7.6}, {"110020", 7.6}, {"110021", 7},   {"110100", 9},   {"110101", 7.7}, {"110110", 7.5},
      {"110111", 6.2}, {"110120", 6.1}, {"110121", 5.3}, {"110200", 7.7}, {"110201", 6.6}, {"110210", 6.8},
      {"110211", 5.9}, {"110220", 5.2}, {"110221", 3},   {"111000", 8.9}, {"111001", 7.8}, {"111010", 7.6},
      {"111011", 6.7}, {"111020", 6.2}, {"111021", 5.8}, {"111100", 7.4}, {"111101", 5.9}, {"111110", 5.7},
      {"111111", 5.7}, {"111120", 4.7}, {"111121", 2.3}, {"111200", 6.1}, {"111201", 5.2}, {"111210", 5.7},
      {"111211", 2.9}, {"111220", 2.4}, {"111221", 1.6}, {"112001", 7.1}, {"112011", 5.9}, {"112021", 3},
      {"112101", 5.8}, {"112111", 2.6}, {"112121", 1.5}, {"112201", 2.3}, {"112211", 1.3}, {"112221", 0.6},
      {"200000", 9.3}, {"200001", 8.7}, {"200010", 8.6}, {"200011", 7.2}, {"200020", 7.5}, {"200021", 5.8},
      {"200100", 8.6}, {"200101", 7.4}, {"200110", 7.4}, {"200111", 6.1}, {"200120", 5.6}, {"200121", 3.4},
      {"200200", 7},   {"200201", 5.4}, {"200210", 5.2}, {"200211", 4},   {"200220", 4},   {"200221", 2.2},
      {"201000", 8.5}, {"201001", 7.5}, {"201010", 7.4}, {"201011", 5.5}, {"201020", 6.2}, {"201021", 5.1},
      {"201100", 7.2}, {"201101", 5.7}, {"201110", 5.5}, {"201111", 4.1}, {"201120", 4.6}, {"201121", 1.9},
      {"201200", 5.3}, {"201201", 3.6}, {"201210", 3.4}, {"201211", 1.9}, {"201220", 1.9}, {"201221", 0.8},
      {"202001", 6.4}, {"202011", 5.1}, {"202021", 2},   {"202101", 4.7}, {"202111", 2.1}, {"202121", 1.1},
      {"202201", 2.4}, {"202211", 0.9}, {"202221", 0.4}, {"210000", 8.8}, {"210001", 7.5}, {"210010", 7.3},
      {"210011", 5.3}, {"210020", 6},   {"210021", 5},   {"210100", 7.3}, {"210101", 5.5}, {"210110", 5.9},
      {"210111", 4},   {"210120", 4.1}, {"210121", 2},   {"210200", 5.4}, {"210201", 4.3}, {"210210", 4.5},
      {"210211", 2.2}, {"210220", 2},   {"210221", 1.1}, {"211000", 7.5}, {"211001", 5.5}, {"211010", 5.8},
      {"211011", 4.5}, {"211020", 4},   {"211021", 2.1}, {"211100", 6.1}, {"211101", 5.1}, {"211110", 4.8},
      {"211111", 1.8}, {"211120", 2},   {"211121", 0.9}, {"211200", 4.6}, {"211201", 1.8}, {"211210", 1.7},
      {"211211", 0.7}, {"211220", 0.8}, {"211221", 0.2}, {"212001", 5.3}, {"212011", 2.4}, {"212021", 1.4},
      {"212101", 2.4}, {"212111", 1.2}, {"212121", 0.5}, {"212201", 1},   {"212211", 0.3}, {"212221", 0.1},
  };
  return table;
}

// The highest-severity vectors of each equivalence class (FIRST's max_composed).
const std::vector<std::string>& max_eq1(int eq1) {
  static const std::array<std::vector<std::string>, 3> t = {
      std::vector<std::string>{"AV:N/PR:N/UI:N/"},
      std::vector<std::string>{"AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"},
      std::vector<std::string>{"AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"}};
  return t[eq1];
}
const std::vector<std::string>& max_eq2(int eq2) {
  static const std::array<std::vector<std::string>, 2> t = {std::vector<std::string>{"AC:L/AT:N/"},
                                                            std::vector<std::string>{"AC:H/AT:N/", "AC:L/AT:P/"}};
  return t[eq2];
}
const std::vector<std::string>& max_eq3eq6(int eq3, int eq6) {
  static const std::vector<std::string> none;
  static const std::map<std::pair<int, int>, std::vector<std::string>> t = {
      {{0, 0}, {"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"}},
      {{0, 1}, {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/"}},
      {{1, 0}, {"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"}},
      {{1, 1},
       {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/",
        "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/"}},
      {{2, 1}, {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"}},
  };
  auto it = t.find({eq3, eq6});
  return it == t.end() ? none : it->second;
}
const std::vector<std::string>& max_eq4(int eq4) {
  static const std::array<std::vector<std::string>, 3> t = {std::vector<std::string>{"SC:H/SI:S/SA:S/"},
                                                            std::vector<std::string>{"SC:H/SI:H/SA:H/"},
                                                            std::vector<std::string>{"SC:L/SI:L/SA:L/"}};
  return t[eq4];
}

// FIRST's max_severity: the depth (in 0.1 steps) of each equivalence class.
double max_severity_eq1(int e) { return std::array{1, 4, 5}[e] * 0.1; }
double max_severity_eq2(int e) { return std::array{1, 2}[e] * 0.1; }
double max_severity_eq3eq6(int eq3, int eq6) {
  if (eq3 == 0) return (eq6 == 0 ? 7 : 6) * 0.1;
  if (eq3 == 1) return 8 * 0.1;
  return 10 * 0.1;
}
double max_severity_eq4(int e) { return std::array{6, 5, 4}[e] * 0.1; }

struct Metric {
  std::string_view name;
  std::vector<std::string_view> values;
};

const std::vector<Metric>& metrics() {
  static const std::vector<Metric> m = {
      {"AV", {"N", "A", "L", "P"}}, {"AC", {"L", "H"}},          {"AT", {"N", "P"}},          {"PR", {"N", "L", "H"}},
      {"UI", {"N", "P", "A"}},      {"VC", {"H", "L", "N"}},     {"VI", {"H", "L", "N"}},     {"VA", {"H", "L", "N"}},
      {"SC", {"H", "L", "N"}},      {"SI", {"H", "L", "N"}},     {"SA", {"H", "L", "N"}},     {"E", {"X", "A", "P", "U"}},
      {"CR", {"X", "H", "M", "L"}}, {"IR", {"X", "H", "M", "L"}}, {"AR", {"X", "H", "M", "L"}}, {"MAV", {"X", "N", "A", "L", "P"}},
      {"MAC", {"X", "L", "H"}},     {"MAT", {"X", "N", "P"}},    {"MPR", {"X", "N", "L", "H"}}, {"MUI", {"X", "N", "P", "A"}},
      {"MVC", {"X", "H", "L", "N"}}, {"MVI", {"X", "H", "L", "N"}}, {"MVA", {"X", "H", "L", "N"}}, {"MSC", {"X", "H", "L", "N"}},
      {"MSI", {"X", "S", "H", "L", "N"}}, {"MSA", {"X", "S", "H", "L", "N"}}, {"S", {"X", "N", "P"}}, {"AU", {"X", "N", "Y"}},
      {"R", {"X", "A", "U", "I"}},  {"V", {"X", "D", "C"}},      {"RE", {"X", "L", "M", "H"}},
      {"U", {"X", "Clear", "Green", "Amber", "Red"}},
  };
  return m;
}

constexpr std::array<std::string_view, 11> kMandatory = {"AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"};

using Values = std::map<std::string, std::string, std::less<>>;

// The effective value of a metric: the modified one when set, worst case for unset threat and
// requirement metrics.
std::string eff(const Values& v, std::string_view metric) {
  auto get = [&](std::string_view k) -> std::string {
    auto it = v.find(k);
    return it == v.end() ? "X" : it->second;
  };
  if (metric == "E") {
    std::string e = get("E");
    return e == "X" ? "A" : e;
  }
  if (metric == "CR" || metric == "IR" || metric == "AR") {
    std::string r = get(metric);
    return r == "X" ? "H" : r;
  }
  std::string mod = get("M" + std::string(metric));
  return mod != "X" ? mod : get(metric);
}

double level(std::string_view metric, std::string_view value) {
  if (metric == "AV") return value == "N" ? 0.0 : value == "A" ? 0.1 : value == "L" ? 0.2 : 0.3;
  if (metric == "PR") return value == "N" ? 0.0 : value == "L" ? 0.1 : 0.2;
  if (metric == "UI") return value == "N" ? 0.0 : value == "P" ? 0.1 : 0.2;
  if (metric == "AC") return value == "L" ? 0.0 : 0.1;
  if (metric == "AT") return value == "N" ? 0.0 : 0.1;
  if (metric == "VC" || metric == "VI" || metric == "VA") return value == "H" ? 0.0 : value == "L" ? 0.1 : 0.2;
  if (metric == "SC") return value == "H" ? 0.1 : value == "L" ? 0.2 : 0.3;
  if (metric == "SI" || metric == "SA") return value == "S" ? 0.0 : value == "H" ? 0.1 : value == "L" ? 0.2 : 0.3;
  if (metric == "CR" || metric == "IR" || metric == "AR") return value == "H" ? 0.0 : value == "M" ? 0.1 : 0.2;
  return 0.0;
}

std::string from_max(const std::string& max_vector, std::string_view metric) {
  std::string key = std::string(metric) + ":";
  std::size_t pos = 0;
  while (true) {
    pos = max_vector.find(key, pos);
    if (pos == std::string::npos) return "";
    if (pos == 0 || max_vector[pos - 1] == '/') break;
    ++pos;
  }
  std::size_t end = max_vector.find('/', pos);
  return max_vector.substr(pos + key.size(), end - pos - key.size());
}

double lookup_or_nan(int e1, int e2, int e3, int e4, int e5, int e6) {
  std::string key = {char('0' + e1), char('0' + e2), char('0' + e3), char('0' + e4), char('0' + e5), char('0' + e6)};
  auto it = lookup().find(key);
  return it == lookup().end() ? std::nan("") : it->second;
}

}  // namespace

std::optional<double> cvss4_base_score(std::string_view vector) {
  if (!vector.starts_with("CVSS:4.0/")) return std::nullopt;
  vector.remove_prefix(9);
  Values v;
  const bool parsed = detail::for_each_metric(vector, [&](std::string_view key, std::string_view value) {
    bool ok = false;
    for (const auto& m : metrics()) {
      if (m.name != key) continue;
      for (auto allowed : m.values) ok |= allowed == value;
    }
    return ok && v.emplace(std::string(key), std::string(value)).second;
  });
  if (!parsed) return std::nullopt;
  for (auto m : kMandatory) {
    if (!v.count(m)) return std::nullopt;
  }
  auto m = [&](std::string_view metric) { return eff(v, metric); };

  // No impact on any system: 0.0 whatever the rest says.
  if (m("VC") == "N" && m("VI") == "N" && m("VA") == "N" && m("SC") == "N" && m("SI") == "N" && m("SA") == "N") {
    return 0.0;
  }
  bool any_n = m("AV") == "N" || m("PR") == "N" || m("UI") == "N";
  int eq1 = (m("AV") == "N" && m("PR") == "N" && m("UI") == "N") ? 0 : (any_n && m("AV") != "P") ? 1 : 2;
  int eq2 = (m("AC") == "L" && m("AT") == "N") ? 0 : 1;
  int eq3 = (m("VC") == "H" && m("VI") == "H") ? 0 : (m("VC") == "H" || m("VI") == "H" || m("VA") == "H") ? 1 : 2;
  int eq4 = (m("SI") == "S" || m("SA") == "S") ? 0 : (m("SC") == "H" || m("SI") == "H" || m("SA") == "H") ? 1 : 2;
  int eq5 = m("E") == "A" ? 0 : m("E") == "P" ? 1 : 2;
  int eq6 = ((m("CR") == "H" && m("VC") == "H") || (m("IR") == "H" && m("VI") == "H") ||
             (m("AR") == "H" && m("VA") == "H"))
                ? 0
                : 1;
  double value = lookup_or_nan(eq1, eq2, eq3, eq4, eq5, eq6);
  if (std::isnan(value)) return std::nullopt;

  double lower_eq1 = lookup_or_nan(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
  double lower_eq2 = lookup_or_nan(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
  double lower_eq3eq6;
  if (eq3 == 1 && eq6 == 1) {
    lower_eq3eq6 = lookup_or_nan(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  } else if (eq3 == 0 && eq6 == 1) {
    lower_eq3eq6 = lookup_or_nan(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  } else if (eq3 == 1 && eq6 == 0) {
    lower_eq3eq6 = lookup_or_nan(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
  } else if (eq3 == 0 && eq6 == 0) {
    // Two ways down; the higher of them is the next lower MacroVector.
    double left = lookup_or_nan(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
    double right = lookup_or_nan(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
    lower_eq3eq6 = left > right ? left : right;
  } else {
    lower_eq3eq6 = lookup_or_nan(eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1);
  }
  double lower_eq4 = lookup_or_nan(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
  double lower_eq5 = lookup_or_nan(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

  // The first highest-severity vector of the MacroVector that this vector does not exceed.
  static constexpr std::array<std::string_view, 14> kDistanceMetrics = {"AV", "PR", "UI", "AC", "AT", "VC", "VI",
                                                                       "VA", "SC", "SI", "SA", "CR", "IR", "AR"};
  std::map<std::string_view, double> dist;
  bool found = false;
  for (const auto& a : max_eq1(eq1)) {
    for (const auto& b : max_eq2(eq2)) {
      for (const auto& c : max_eq3eq6(eq3, eq6)) {
        for (const auto& d : max_eq4(eq4)) {
          if (found) break;
          std::string max_vector = a + b + c + d;
          std::map<std::string_view, double> candidate;
          bool below = true;
          for (auto metric : kDistanceMetrics) {
            candidate[metric] = level(metric, m(metric)) - level(metric, from_max(max_vector, metric));
            if (candidate[metric] < 0) below = false;
          }
          if (below) {
            dist = std::move(candidate);
            found = true;
          }
        }
      }
    }
  }
  if (!found) return std::nullopt;
  double d_eq1 = dist["AV"] + dist["PR"] + dist["UI"];
  double d_eq2 = dist["AC"] + dist["AT"];
  double d_eq3eq6 = dist["VC"] + dist["VI"] + dist["VA"] + dist["CR"] + dist["IR"] + dist["AR"];
  double d_eq4 = dist["SC"] + dist["SI"] + dist["SA"];

  int existing_lower = 0;
  double normalized = 0;
  auto add = [&](double lower, double distance, double depth) {
    if (std::isnan(lower)) return;
    ++existing_lower;
    normalized += (value - lower) * (distance / depth);
  };
  add(lower_eq1, d_eq1, max_severity_eq1(eq1));
  add(lower_eq2, d_eq2, max_severity_eq2(eq2));
  add(lower_eq3eq6, d_eq3eq6, max_severity_eq3eq6(eq3, eq6));
  add(lower_eq4, d_eq4, max_severity_eq4(eq4));
  if (!std::isnan(lower_eq5)) ++existing_lower;  // EQ5 has no depth: it counts, adds nothing
  double score = value - (existing_lower == 0 ? 0.0 : normalized / existing_lower);
  score = std::clamp(score, 0.0, 10.0);
  // One decimal, halves up; the epsilon absorbs binary noise (x.x5 stored as x.x4999...).
  return std::floor(score * 10.0 + 0.5 + 1e-6) / 10.0;
}

}  // namespace agent::controls::dependencies
