#pragma once
// Plain-text wording of a finding's token check and CI/CD variable, shared by every report and by
// the MR threads (each escapes it for its own format). Never any part of a token or a value.
#include <string>

#include "agent/findings/finding.h"

namespace agent::findings {

/// Short marker: "active", "revoked by jit-agent", "revoked or expired", "not verified".
std::string token_status_label(const TokenCheck& check);

/// "scopes: api, read_user; owner @bob; expires 2027-01-01" (only what the instance said; "" for
/// nothing). Not the token's name: its owner chose it, and it goes into Markdown.
std::string token_details(const TokenCheck& check);

/// One sentence: "GitLab says this token is active (scopes: api; owner @bob; expires 2027-01-01)."
/// / "… was revoked by jit-agent." / "… is revoked or expired (…)." / "Not verified: <reason>."
std::string token_check_sentence(const TokenCheck& check);

/// "group variable PROD_DB_PASSWORD of acme (environments *; masked, protected; base64 form)".
std::string variable_sentence(const VariableDetail& variable);

}  // namespace agent::findings
