#include "agent/findings/token_text.h"

namespace agent::findings {
namespace {

void add(std::string& out, const std::string& part, const char* sep = "; ") {
  if (part.empty()) return;
  if (!out.empty()) out += sep;
  out += part;
}

}  // namespace

std::string token_status_label(const TokenCheck& c) {
  if (c.revoked_by_agent) return "revoked by jit-agent";
  if (c.status == "active") return "active";
  if (c.status == "inactive") return "revoked or expired";
  return "not verified";
}

std::string token_details(const TokenCheck& c) {
  std::string out;
  if (!c.scopes.empty()) {
    std::string scopes;
    for (const auto& s : c.scopes) add(scopes, s, ", ");
    add(out, "scopes: " + scopes);
  }
  if (!c.owner.empty()) add(out, "owner " + c.owner);
  if (!c.expires_at.empty()) add(out, "expires " + c.expires_at);
  return out;
}

std::string token_check_sentence(const TokenCheck& c) {
  const std::string details = token_details(c);
  const std::string paren = details.empty() ? "" : " (" + details + ")";
  if (c.revoked_by_agent) return "GitLab token was active and has been revoked by jit-agent" + paren + ".";
  if (c.status == "active")
    return "GitLab says this token is active" + paren + (c.reason.empty() ? "" : ": " + c.reason) + ".";
  if (c.status == "inactive")
    return "GitLab says this token is revoked or expired" + (c.reason.empty() ? paren : " (" + c.reason + ")") + ".";
  return "Token not verified" + (c.reason.empty() ? std::string() : ": " + c.reason) + ".";
}

std::string variable_sentence(const VariableDetail& v) {
  std::string out = (v.level.empty() ? std::string() : v.level + " ") + "variable " + v.key;
  if (!v.owner.empty()) out += " of " + v.owner;
  std::string facts;
  if (!v.environment_scope.empty()) add(facts, "environments " + v.environment_scope);
  std::string flags;
  if (v.masked) add(flags, "masked", ", ");
  if (v.is_protected) add(flags, "protected", ", ");
  if (v.hidden) add(flags, "hidden", ", ");
  if (v.variable_type == "file") add(flags, "file", ", ");
  add(facts, flags);
  if (!v.form.empty() && v.form != "plain") add(facts, v.form + " form");
  if (!facts.empty()) out += " (" + facts + ")";
  return out;
}

}  // namespace agent::findings
