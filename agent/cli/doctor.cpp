// `jit-agent doctor`: what setup made, checked one by one. With --group it reads the group as its
// administrator (token on stdin or in JIT_SETUP_TOKEN); without, it runs as the `ci` job sees
// things (CI_PROJECT_ID, JIT_CHECKOUT_TOKEN, JIT_DB_DIR, the pipeline file in CI_PROJECT_DIR).
#include "agent/cli/doctor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "agent/cli/commands.h"
#include "agent/cli/settings.h"
#include "agent/cli/setup.h"
#include "agent/controls/dependencies/osv_db.h"
#include "agent/gitlab/admin.h"
#include "agent/gitlab/client.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::cli {
namespace {
using nlohmann::json;
using gitlab::url_encode;
namespace deps = controls::dependencies;

std::chrono::sys_days today() { return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()); }

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string id_of(const json& j) {
  auto it = j.find("id");
  return it != j.end() && it->is_number_integer() ? std::to_string(it->get<long long>()) : std::string();
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (auto it = j.find(key); it != j.end() && it->is_array())
    for (const auto& s : *it)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

Check ok(std::string name, std::string message) { return {std::move(name), CheckLevel::ok, std::move(message), {}}; }
Check warn(std::string name, std::string message, std::string fix) {
  return {std::move(name), CheckLevel::warn, std::move(message), std::move(fix)};
}
Check error(std::string name, std::string message, std::string fix) {
  return {std::move(name), CheckLevel::error, std::move(message), std::move(fix)};
}

/// A request that failed: the check cannot say more than why.
Check unreachable(const std::string& name, const gitlab::ApiError& e, const std::string& needs) {
  std::string fix = e.status() == 403 ? needs : e.status() == 0 ? "check the URL, the network and CI_SERVER_TLS_CA_FILE" : "";
  return {name, e.status() == 403 || e.status() == 401 ? CheckLevel::warn : CheckLevel::error,
          std::string("could not check: ") + e.what(), fix.empty() ? "see the message" : fix};
}

/// The checkout token as the token itself sees it (GET /personal_access_tokens/self).
void self_token_checks(gitlab::Client& client, std::vector<Check>& out) {
  try {
    json self = client.get("/personal_access_tokens/self");
    if (!self.value("active", true) || self.value("revoked", false)) {
      out.push_back(error("token", "JIT_CHECKOUT_TOKEN is revoked or expired",
                          "run `jit-agent setup --group GROUP` again after deleting the variable, or rotate the token"));
      return;
    }
    out.push_back(token_scopes_check("token", strings(self, "scopes")));
    out.push_back(token_expiry_check("token", str(self, "expires_at"), today()));
  } catch (const gitlab::ApiError& e) {
    if (e.status() == 401)
      out.push_back(error("token", "GitLab refuses JIT_CHECKOUT_TOKEN (401: revoked, expired or unknown)",
                          "create a new group access token (or run `jit-agent setup`) and store it in JIT_CHECKOUT_TOKEN"));
    else
      out.push_back(unreachable("token", e, "-"));
  }
}

void variable_checks(gitlab::AdminApi& api, const std::string& project, std::vector<Check>& out) {
  try {
    auto v = api.find("/projects/" + url_encode(project) + "/variables/" + std::string(kCheckoutVariable));
    if (!v) {
      out.push_back(warn("variable", "JIT_CHECKOUT_TOKEN is not a variable of project " + project +
                                         " (a group variable cannot be checked from here)",
                         "run `jit-agent setup`, or define it masked and hidden in the project's Settings > CI/CD > Variables"));
      return;
    }
    out.push_back(variable_check(v->value("masked", false), v->value("hidden", false), v->value("protected", false)));
  } catch (const gitlab::ApiError& e) {
    out.push_back(unreachable("variable", e, "reading variables needs the Maintainer role on " + project));
  }
}

void osv_check(const util::Environment& env, std::vector<Check>& out) {
  const auto dir = osv_db_dir(env);
  std::unique_ptr<deps::OsvDatabase> db;
  try {
    db = deps::OsvDatabase::open(dir);
  } catch (const util::Error& e) {
    out.push_back(error("osv-database", std::string("unreadable: ") + e.what(), "run `jit-agent db update`"));
    return;
  }
  if (!db) {
    out.push_back(warn("osv-database", "none at " + dir.string() + " (the dependencies control is skipped)",
                       "run `jit-agent db update` (the nightly jit-db-update job does it in the pipeline)"));
    return;
  }
  const auto age_days = (std::time(nullptr) - db->status().built_at) / 86400;
  const std::string age = "built " + std::to_string(age_days) + " day" + (age_days == 1 ? "" : "s") + " ago";
  if (age_days > 14) out.push_back(error("osv-database", age, "run `jit-agent db update`; check the nightly schedule"));
  else if (age_days > 2) out.push_back(warn("osv-database", age, "run `jit-agent db update`; check the nightly schedule"));
  else out.push_back(ok("osv-database", age));
}

/// The group-level checks, as the group's administrator sees them.
std::vector<Check> group_checks(gitlab::Client& client, const std::string& group, const std::string& project_flag,
                                const std::string& api_url, const util::Environment& env) {
  std::vector<Check> out;
  gitlab::AdminApi api(&client, nullptr);
  const std::string path = dedicated_project_path(group, project_flag);
  std::optional<json> g, project;
  try {
    g = api.find("/groups/" + url_encode(group));
    if (!g) {
      out.push_back(error("group", group + " not found, or the token's user is no member of it",
                          "check --group and use a token of an Owner of the group"));
      return out;
    }
    project = api.find("/projects/" + url_encode(path));
  } catch (const gitlab::ApiError& e) {
    out.push_back(unreachable("group", e, "use a token of an Owner of the group"));
    return out;
  }
  if (!project) {
    out.push_back(error("project", path + " does not exist", "run `jit-agent setup --group " + group + "`"));
    return out;
  }
  const std::string pid = id_of(*project), branch = str(*project, "default_branch").empty() ? "main" : str(*project, "default_branch");
  const std::string role = str(*project, "ci_pipeline_variables_minimum_override_role");
  if (role == "maintainer" || role == "owner" || role == "no_one_allowed")
    out.push_back(ok("project", path + " (id " + pid + "), pipeline variables need the " + role + " role"));
  else
    out.push_back(warn("project", path + ": a " + (role.empty() ? "any" : role) + " may run its pipelines with variables of their own",
                       "Settings > CI/CD > Variables > Minimum role to use pipeline variables: Maintainer (or run setup)"));

  variable_checks(api, pid, out);

  // The group access token setup made (found by name; a token the user gave is checked by the job).
  try {
    std::optional<json> token, inactive;
    for (auto& t : api.list("/groups/" + url_encode(group) + "/access_tokens")) {
      if (str(t, "name") != kTokenName) continue;
      (t.value("active", false) ? token : inactive) = t;
    }
    if (!token && inactive) {
      const bool revoked = inactive->value("revoked", false);
      out.push_back(error("token", std::string("the group access token \"") + std::string(kTokenName) + "\" " +
                                       (revoked ? "is revoked" : "expired on " + str(*inactive, "expires_at")) +
                                       ": every scan fails to fetch and post",
                          "delete JIT_CHECKOUT_TOKEN in the project's Settings > CI/CD > Variables and run `jit-agent setup --group " +
                              group + "` (a new token), or rotate it and update the variable"));
    } else if (!token) {
      out.push_back(warn("token", std::string("no active group access token named \"") + std::string(kTokenName) + "\"",
                         "if JIT_CHECKOUT_TOKEN holds a token you made, `jit-agent doctor` in the job checks it; else run setup"));
    } else {
      out.push_back(token_scopes_check("token", strings(*token, "scopes")));
      const int level = token->value("access_level", 0);
      if (level < 40)
        out.push_back(error("token", "role " + std::to_string(level) + " is below Maintainer (40): no status or MR comment can be posted",
                            "create a new token with the Maintainer role (delete the variable, run setup)"));
      out.push_back(token_expiry_check("token", str(*token, "expires_at"), today()));
    }
  } catch (const gitlab::ApiError& e) {
    out.push_back(unreachable("token", e, "listing group access tokens needs the Owner role on the group"));
  }

  bool have_trigger = false;
  try {
    for (auto& t : api.list("/projects/" + pid + "/triggers"))
      if (str(t, "description") == kTriggerDescription) have_trigger = true;
    if (have_trigger) out.push_back(ok("trigger", "pipeline trigger token \"" + std::string(kTriggerDescription) + "\" exists"));
    else out.push_back(error("trigger", "no pipeline trigger token \"" + std::string(kTriggerDescription) + "\": no webhook can start a scan",
                             "run `jit-agent setup --group " + group + "` (it creates the trigger and points the webhook at it)"));
  } catch (const gitlab::ApiError& e) {
    out.push_back(unreachable("trigger", e, "listing triggers needs the Maintainer role on the project"));
  }

  try {
    const std::string url = gitlab::trigger_url_template(api_url, pid, branch);
    const std::string prefix = url.substr(0, url.find('?'));
    std::optional<json> hook;
    for (auto& h : api.list("/groups/" + url_encode(group) + "/hooks"))
      if (str(h, "url").rfind(prefix, 0) == 0) hook = h;
    if (!hook) {
      out.push_back(error("webhook", "no group webhook points at " + prefix, "run `jit-agent setup --group " + group + "`"));
    } else {
      std::vector<std::string> diff = gitlab::hook_differences(*hook);
      const std::string alert = str(*hook, "alert_status");
      if (alert == "disabled" || alert == "temporarily_disabled") {
        out.push_back(error("webhook", "GitLab " + std::string(alert == "disabled" ? "disabled" : "paused") +
                                           " it after failed deliveries" +
                                           (str(*hook, "disabled_until").empty() ? "" : " until " + str(*hook, "disabled_until")),
                            "Group > Settings > Webhooks > Edit > Recent events shows why; then enable it again"));
      } else if (!diff.empty()) {
        std::string names;
        for (const auto& d : diff) names += (names.empty() ? "" : ", ") + d;
        out.push_back(warn("webhook", "settings differ from what the agent needs: " + names,
                           "run `jit-agent setup --group " + group + "` (it fixes them)"));
      } else {
        out.push_back(ok("webhook", "points at the trigger URL, push/tag/MR/comment/subgroup events, TLS verified, delivery status " +
                                        (alert.empty() ? std::string("unknown") : alert)));
      }
    }
  } catch (const gitlab::ApiError& e) {
    if (e.status() == 404)
      out.push_back(warn("webhook", "no group webhooks on this instance (GitLab Premium missing)",
                         "one project webhook per scanned project (`jit-agent setup` prints how)"));
    else
      out.push_back(unreachable("webhook", e, "group webhooks need the Owner role on the group"));
  }

  try {
    std::optional<json> schedule;
    for (auto& s : api.list("/projects/" + pid + "/pipeline_schedules"))
      if (str(s, "description") == kScheduleDescription) schedule = s;
    if (!schedule) {
      out.push_back(error("schedule", "no schedule \"" + std::string(kScheduleDescription) + "\": the OSV database is never refreshed",
                          "run `jit-agent setup --group " + group + "`"));
    } else if (!schedule->value("active", false)) {
      out.push_back(warn("schedule", "the nightly schedule is inactive", "CI/CD > Pipeline schedules: activate it (or run setup)"));
    } else {
      json full = client.get("/projects/" + pid + "/pipeline_schedules/" + id_of(*schedule));
      const json last = full.value("last_pipeline", json());
      const std::string status = last.is_object() ? str(last, "status") : "";
      if (status.empty()) out.push_back(ok("schedule", "active (\"" + str(*schedule, "cron") + "\"), not run yet"));
      else if (status == "success") out.push_back(ok("schedule", "active, its last pipeline passed"));
      else if (status == "failed") out.push_back(error("schedule", "its last pipeline failed: the OSV database may be stale",
                                                       "open the last jit-db-update job of " + path));
      else out.push_back(ok("schedule", "active, its last pipeline is " + status));
    }
  } catch (const gitlab::ApiError& e) {
    out.push_back(unreachable("schedule", e, "pipeline schedules need the Developer role on the project"));
  }

  try {
    auto file = client.get_file(pid, ".gitlab-ci.yml", branch);
    if (!file) out.push_back(error("pipeline", ".gitlab-ci.yml is missing on " + branch, "run `jit-agent setup --group " + group + "`"));
    else out.push_back(image_check(image_of_pipeline(file->content), JIT_AGENT_VERSION));
  } catch (const gitlab::ApiError& e) {
    out.push_back(unreachable("pipeline", e, "reading files needs the Reporter role on the project"));
  }
  if (!env.get_or("JIT_DB_DIR", "").empty()) osv_check(env, out);
  return out;
}

/// The checks of a job (or of a laptop with the job's variables).
std::vector<Check> job_checks(const util::Environment& env, bool preflight) {
  std::vector<Check> out;
  gitlab::ClientOptions o = gitlab::ClientOptions::from_env(env);
  const std::string token = env.get_or("JIT_CHECKOUT_TOKEN", "");
  if (o.api_url.empty() || token.empty()) {
    if (!preflight)
      out.push_back(error("token", "no JIT_CHECKOUT_TOKEN or no GitLab URL in the environment",
                          "give --group GROUP (administrator mode), or run inside the pipeline"));
    return out;
  }
  util::global_redactor().add(token);
  o.token = token;
  if (preflight) {  // bounded: one attempt per request, a few seconds each
    o.retry.max_attempts = 1;
    o.transport.connect_timeout = std::chrono::seconds(3);
    o.transport.request_timeout = std::chrono::seconds(3);
  }
  gitlab::Client client(o);
  self_token_checks(client, out);
  if (auto project = env.get_or("CI_PROJECT_ID", ""); !project.empty()) {
    gitlab::AdminApi api(&client, nullptr);
    variable_checks(api, project, out);
  }
  if (preflight) return out;
  const std::string dir = env.get_or("CI_PROJECT_DIR", ".");
  std::ifstream in(dir + "/.gitlab-ci.yml");
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(image_check(image_of_pipeline(text.str()), JIT_AGENT_VERSION));
  }
  osv_check(env, out);
  return out;
}

struct DoctorOptions {
  std::string group;
  std::string project;
  std::string gitlab;
};

}  // namespace

std::vector<Check> ci_preflight(const util::Environment& env) {
  if (env.get_or("JIT_DOCTOR", "true") == "false") return {};
  try {
    return job_checks(env, true);
  } catch (const std::exception& e) {
    return {warn("doctor", std::string("could not run: ") + e.what(), "-")};
  }
}

void log_ci_preflight(const util::Environment& env) {
  try {
    // The log level says how bad it is; the job's own errors stay the only lines that say "error".
    for (const auto& c : ci_preflight(env)) {
      std::string line = util::global_redactor().apply("doctor: " + c.name + ": " + c.message);
      if (c.level == CheckLevel::ok) {
        spdlog::info("{}", line);
      } else {
        spdlog::warn("{} -> fix: {}", line, util::global_redactor().apply(c.fix));
      }
    }
  } catch (...) {  // a doctor must never fail the job it runs in
  }
}

void add_doctor(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<DoctorOptions>();
  auto* sub = root.add_subcommand(
      "doctor",
      "Check an onboarded group (token scopes, role and expiry, variable, webhook, trigger, schedule, image, OSV "
      "database): one line per check; exit 0 ok, 7 warn, 8 error. With --group, token on stdin or JIT_SETUP_TOKEN; "
      "without, as the CI job sees things (JIT_CHECKOUT_TOKEN, CI_PROJECT_ID)");
  sub->add_option("--group", opts->group, "Full path of the onboarded group (administrator mode)");
  sub->add_option("--project", opts->project, "The dedicated project (default: GROUP/jit-security)");
  sub->add_option("--gitlab", opts->gitlab, "GitLab URL (default: CI_API_V4_URL or CI_SERVER_URL)");
  sub->callback([opts, &global, &action] {
    action = [opts, &global] {
      std::vector<Check> checks;
      if (opts->group.empty()) {
        checks = job_checks(global.env, false);
      } else {
        gitlab::ClientOptions co = gitlab::ClientOptions::from_env(global.env);
        co.api_url = admin_api_url(opts->gitlab, global.env);
        co.token = read_admin_token(global.env);
        gitlab::Client client(co);
        checks = group_checks(client, opts->group, opts->project, co.api_url, global.env);
      }
      for (const auto& c : checks) std::cout << format_check(c) << "\n";
      const int code = doctor_exit_code(checks);
      std::cout << (code == 0 ? "all checks passed\n" : code == 7 ? "warnings: see the fixes above\n" : "problems found: see the fixes above\n");
      return code;
    };
  });
}

}  // namespace agent::cli
