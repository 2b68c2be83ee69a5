#pragma once
// OpenVEX documents (https://openvex.dev, spec v0.2.0, and v0.0.x's string forms): statements that
// a product is `not_affected` by a vulnerability (with a justification) or has it `fixed` dismiss
// the matching dependency findings, which stay in SARIF as suppressed with that justification.
// `affected` and `under_investigation` statements dismiss nothing.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::config {

struct VexStatement {
  std::vector<std::string> vulnerabilities;  ///< the vulnerability's name, @id and aliases
  std::vector<std::string> products;         ///< package URLs: the products and their subcomponents
  std::string status;                        ///< not_affected | affected | fixed | under_investigation
  std::string justification;                 ///< not_affected: one of the five OpenVEX labels
  std::string impact_statement;
  std::string source;                        ///< "file: statement N"
};

struct VexDocument {
  std::string file;
  std::vector<VexStatement> statements;
};

/// Parses and validates an OpenVEX JSON document. Throws util::UsageError "file:line:col: ..." for
/// JSON errors and "file: statement N: ..." for a statement that breaks the spec (an unknown
/// status or justification, not_affected without a justification or impact statement).
VexDocument parse_vex(std::string_view json, const std::string& file);
VexDocument load_vex(const std::filesystem::path& path);

/// True when the package URL `purl` names the finding's package (type from its ecosystem, name,
/// and version when the purl has one; qualifiers and subpath ignored).
bool purl_matches(std::string_view purl, const findings::DependencyDetail& d);

/// Moves each dependency finding that a not_affected or fixed statement covers (vulnerability id or
/// alias, and one of its products) to result.ignored, with the statement's justification; the
/// last matching statement of the documents wins. Returns how many it moved.
std::size_t apply_vex(const std::vector<VexDocument>& docs, findings::ScanResult& result);

}  // namespace agent::config
