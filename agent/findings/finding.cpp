#include "agent/findings/finding.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <tuple>

namespace agent::findings {
namespace {
constexpr std::array<std::string_view, 6> kNames = {"unknown", "info", "low", "medium", "high", "critical"};
constexpr std::array<std::string_view, 6> kGitlab = {"Unknown", "Info", "Low", "Medium", "High", "Critical"};
constexpr std::array<std::string_view, 3> kConfidence = {"low", "medium", "high"};

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::string_view to_string(Severity s) { return kNames[static_cast<std::size_t>(s)]; }
std::string_view to_gitlab(Severity s) { return kGitlab[static_cast<std::size_t>(s)]; }

std::optional<Severity> parse_severity(std::string_view text) {
  const std::string low = lower(text);
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (low == kNames[i]) return static_cast<Severity>(i);
  return std::nullopt;
}

std::string_view to_string(Confidence c) { return kConfidence[static_cast<std::size_t>(c)]; }

std::optional<Confidence> parse_confidence(std::string_view text) {
  const std::string low = lower(text);
  for (std::size_t i = 0; i < kConfidence.size(); ++i)
    if (low == kConfidence[i]) return static_cast<Confidence>(i);
  return std::nullopt;
}

std::size_t drop_below_confidence(std::vector<Finding>& findings, Confidence min) {
  return std::erase_if(findings, [min](const Finding& f) { return f.confidence < min; });
}

void sort_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.path, a.line, a.column, a.rule_id, a.fingerprint) <
           std::tie(b.path, b.line, b.column, b.rule_id, b.fingerprint);
  });
}

}  // namespace agent::findings
