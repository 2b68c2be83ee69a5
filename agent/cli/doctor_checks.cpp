// The doctor's checks as values: each turns what GitLab answered into one line (ok / warn / error
// with the fix), independent of how it was asked.
#include <algorithm>
#include <charconv>

#include "agent/cli/doctor.h"
#include "agent/util/redact.h"

namespace agent::cli {
namespace {

Check ok(std::string name, std::string message) { return {std::move(name), CheckLevel::ok, std::move(message), {}}; }
Check warn(std::string name, std::string message, std::string fix) {
  return {std::move(name), CheckLevel::warn, std::move(message), std::move(fix)};
}
Check error(std::string name, std::string message, std::string fix) {
  return {std::move(name), CheckLevel::error, std::move(message), std::move(fix)};
}

}  // namespace

std::string_view to_string(CheckLevel level) {
  switch (level) {
    case CheckLevel::ok: return "ok";
    case CheckLevel::warn: return "warn";
    case CheckLevel::error: return "error";
  }
  return "?";
}

std::string format_check(const Check& c) {
  std::string line(to_string(c.level));
  line.resize(6, ' ');
  line += c.name + ": " + c.message;
  if (c.level != CheckLevel::ok && !c.fix.empty()) line += " -> fix: " + c.fix;
  return util::global_redactor().apply(line);
}

int doctor_exit_code(const std::vector<Check>& checks) {
  CheckLevel worst = CheckLevel::ok;
  for (const auto& c : checks) worst = std::max(worst, c.level);
  return worst == CheckLevel::error  ? kExitProblems
         : worst == CheckLevel::warn ? kExitWarnings
                                     : 0;
}

std::optional<int> days_until(std::string_view date, std::chrono::sys_days day) {
  if (date.size() < 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  auto num = [&](std::size_t at, std::size_t len, auto& v) {
    auto [p, ec] = std::from_chars(date.data() + at, date.data() + at + len, v);
    return ec == std::errc() && p == date.data() + at + len;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int>((std::chrono::sys_days(ymd) - day).count());
}

Check token_expiry_check(const std::string& name, const std::string& expires_at, std::chrono::sys_days day) {
  if (expires_at.empty()) return ok(name, "never expires");
  auto days = days_until(expires_at, day);
  if (!days) return warn(name, "expiry \"" + expires_at + "\" is not a date", "check the token in GitLab");
  const std::string fix = "rotate it before then: a new group access token (Maintainer, api + write_repository) in JIT_CHECKOUT_TOKEN";
  if (*days <= 0) return error(name, "expired on " + expires_at + ": every scan fails to fetch and post", fix);
  const std::string when = "expires in " + std::to_string(*days) + " day" + (*days == 1 ? "" : "s") + " (" + expires_at + ")";
  if (*days <= 30) return warn(name, when, fix);
  return ok(name, when);
}

Check token_scopes_check(const std::string& name, const std::vector<std::string>& scopes) {
  std::string missing;
  for (const char* want : {"api", "write_repository"})
    if (std::find(scopes.begin(), scopes.end(), want) == scopes.end()) missing += (missing.empty() ? "" : ", ") + std::string(want);
  std::string have;
  for (const auto& s : scopes) have += (have.empty() ? "" : " + ") + s;
  if (!missing.empty())
    return error(name, "scopes " + (have.empty() ? std::string("none") : have) + " lack " + missing,
                 "a token's scopes cannot change: create one with api + write_repository");
  return ok(name, "scopes " + have);
}

Check variable_check(bool masked, bool hidden, bool is_protected) {
  if (!masked)
    return error("variable", "JIT_CHECKOUT_TOKEN is not masked: any job log can print it",
                 "delete it and run setup again (it creates it masked and hidden)");
  if (!hidden)
    return warn("variable", "JIT_CHECKOUT_TOKEN is masked but not hidden: Maintainers can read it in the settings",
                "GitLab cannot hide an existing variable: delete it and run setup again");
  if (!is_protected)
    return warn("variable", "JIT_CHECKOUT_TOKEN is masked and hidden but not protected: pipelines of unprotected branches get it",
                "Settings > CI/CD > Variables > Edit: Protect variable");
  return ok("variable", "JIT_CHECKOUT_TOKEN is masked, hidden and protected");
}

std::optional<int> compare_versions(std::string_view a, std::string_view b) {
  auto parts = [](std::string_view v) -> std::optional<std::vector<long>> {
    if (!v.empty() && (v.front() == 'v' || v.front() == 'V')) v.remove_prefix(1);
    std::vector<long> out;
    while (!v.empty()) {
      long n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc()) return std::nullopt;
      out.push_back(n);
      v.remove_prefix(static_cast<std::size_t>(p - v.data()));
      if (v.empty()) break;
      if (v.front() != '.') return std::nullopt;
      v.remove_prefix(1);
      if (v.empty()) return std::nullopt;
    }
    if (out.empty()) return std::nullopt;
    return out;
  };
  auto x = parts(a), y = parts(b);
  if (!x || !y) return std::nullopt;
  x->resize(std::max(x->size(), y->size()));
  y->resize(x->size());
  return *x < *y ? -1 : *x > *y ? 1 : 0;
}

Check image_check(const std::string& image, std::string_view agent_version) {
  if (image.empty())
    return warn("pipeline", ".gitlab-ci.yml names no JIT_AGENT_IMAGE", "commit the template again (`jit-agent setup` on a project without it)");
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  std::string tag = colon != std::string::npos && (slash == std::string::npos || colon > slash) ? image.substr(colon + 1) : "";
  if (image.find('@') != std::string::npos) return ok("pipeline", "image " + image + " is pinned by digest");
  auto cmp = compare_versions(tag, agent_version);
  if (!cmp)
    return warn("pipeline", "image " + image + " is not pinned to a version",
                "set JIT_AGENT_IMAGE to a released tag (e.g. :" + std::string(agent_version) + ")");
  if (*cmp < 0)
    return warn("pipeline", "image " + image + " is older than this agent (" + std::string(agent_version) + ")",
                "set JIT_AGENT_IMAGE in .gitlab-ci.yml to :" + std::string(agent_version));
  return ok("pipeline", "image " + image);
}

}  // namespace agent::cli
