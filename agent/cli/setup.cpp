// `jit-agent setup --group GROUP [--project PATH] [--dry-run]`: the dedicated project, its files,
// the trigger and the group webhook, JIT_CHECKOUT_TOKEN, the nightly schedule. Every step first
// reads what exists and only creates or fixes what is missing, so a second run changes nothing
// and a run stopped half-way is completed by the next one. A dry run sends no request at all.
#include "agent/cli/setup.h"

#include <array>
#include <iostream>
#include <memory>
#include <random>

#include "agent/cli/commands.h"
#include "agent/cli/doctor.h"
#include "agent/gitlab/admin.h"
#include "agent/gitlab/client.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::cli {
namespace {
using nlohmann::json;
using gitlab::url_encode;

struct SetupOptions {
  std::string group;
  std::string project;
  std::string gitlab;
  std::string image;
  int token_days = 365;
  std::string cron = "23 2 * * *";
  bool dry_run = false;
};

/// What a step did, as the summary line says it.
struct StepResult {
  std::string state;   ///< created | updated | unchanged | planned | kept | skipped
  std::string detail;
};

constexpr const char* kStarterConfig =
    "# jit.yml: the central configuration of jit-agent for this group (docs/configuration.md).\n"
    "# Nothing set here means the defaults: every built-in control, merge requests scanned by what\n"
    "# they add, high and critical findings fail the commit status. Uncomment to change them.\n"
    "#\n"
    "# controls:\n"
    "#   secrets: true\n"
    "#   dependencies: true\n"
    "# scope: diff            # diff | files | full\n"
    "# fail_on: high          # info | low | medium | high | critical | none\n"
    "# min_confidence: low\n"
    "# exclude_projects: []   # full paths of projects never scanned\n"
    "# exclude: []            # globs never scanned, e.g. \"**/testdata/**\"\n"
    "{}\n";

constexpr const char* kEmptyIgnores =
    "# ignores.yml: findings the team decided to ignore. MR thread commands (#jit_ignore_fp,\n"
    "# #jit_ignore_accept, #jit_undo_ignore) and `jit-agent ignore add` write here.\n"
    "ignores: []\n";

/// A random hex string from the OS's generator (the webhook's secret token).
std::string random_hex(std::size_t bytes) {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xffu;
    out += kHex[v >> 4];
    out += kHex[v & 0xf];
  }
  return out;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string id_of(const json& j) {
  auto it = j.find("id");
  return it != j.end() && it->is_number_integer() ? std::to_string(it->get<long long>()) : std::string();
}

/// A failed step: what was refused and what the user needs.
[[noreturn]] void fail_step(const std::string& step, const gitlab::ApiError& e, const std::string& needs) {
  std::string why = e.what();
  if (e.status() == 403 || e.status() == 401) why += " (" + needs + ")";
  throw util::RuntimeError(step + ": " + why);
}

class Setup {
 public:
  Setup(const SetupOptions& o, std::string api_url, gitlab::AdminApi& api)
      : o_(o), api_url_(std::move(api_url)), api_(api) {}

  int run();
  /// A token the user provides for JIT_CHECKOUT_TOKEN instead of a new group access token.
  void set_checkout_token(std::string token) { checkout_token_ = std::move(token); }

 private:
  void print(int n, const std::string& what, const StepResult& r) {
    std::cout << "[" << n << "/5] " << what << ": " << r.state << (r.detail.empty() ? "" : " (" + r.detail + ")")
              << std::endl;
  }
  StepResult project_step();
  StepResult files_step();
  StepResult hook_step();
  StepResult variable_step();
  StepResult schedule_step();
  std::string project_api() const { return "/projects/" + url_encode(project_id_); }
  void print_project_hook_fallback() const;
  /// Stops when GitLab's answer for the webhook does not have the settings that were sent.
  void check_hook(const json& answer) const {
    if (api_.dry_run()) return;
    std::vector<std::string> diff = gitlab::hook_differences(answer);
    if (diff.empty()) return;
    std::string names;
    for (const auto& d : diff) names += (names.empty() ? "" : ", ") + d;
    throw util::RuntimeError("trigger token and group webhook: GitLab did not keep the webhook's settings: " + names +
                             " (an older GitLab without these events?)");
  }

  const SetupOptions& o_;
  std::string api_url_;
  gitlab::AdminApi& api_;
  std::string group_id_;        ///< numeric id (or the encoded path in a dry run)
  std::string project_path_;
  std::string project_id_;      ///< numeric id, or the full path in a dry run
  std::string default_branch_ = "main";
  bool empty_repo_ = true;
  bool premium_missing_ = false;
  std::string checkout_token_;
};

StepResult Setup::project_step() {
  project_path_ = dedicated_project_path(o_.group, o_.project);
  const std::string step = "dedicated project " + project_path_;
  try {
    auto group = api_.find("/groups/" + url_encode(o_.group));
    if (!group && !api_.dry_run())
      throw util::RuntimeError(step + ": group " + o_.group + " not found, or the token's user is no member of it");
    group_id_ = group ? id_of(*group) : o_.group;
    std::optional<json> project = api_.find("/projects/" + url_encode(project_path_));
    StepResult r;
    if (project) {
      r = {"unchanged", "adopted the existing project, id " + id_of(*project)};
    } else {
      const std::string ns_path = project_path_.substr(0, project_path_.rfind('/'));
      std::string ns_id = group_id_;
      if (ns_path != o_.group) {
        auto ns = api_.find("/groups/" + url_encode(ns_path));
        if (!ns && !api_.dry_run()) throw util::RuntimeError(step + ": subgroup " + ns_path + " not found");
        ns_id = ns ? id_of(*ns) : ns_path;
      }
      const std::string name = project_path_.substr(project_path_.rfind('/') + 1);
      json body = {{"name", name}, {"path", name}, {"visibility", "private"},
                   {"description", "jit-agent: the group's security scans run in this project's pipelines"}};
      if (!ns_id.empty() && ns_id.find_first_not_of("0123456789") == std::string::npos)
        body["namespace_id"] = std::stoll(ns_id);
      else
        body["namespace_id"] = ns_id;
      project = api_.write("POST", "/projects", body);
      r = {api_.dry_run() ? "planned" : "created", api_.dry_run() ? "" : "id " + id_of(*project)};
    }
    if (api_.dry_run()) {
      project_id_ = project_path_;
    } else {
      project_id_ = id_of(*project);
      if (project_id_.empty()) throw util::RuntimeError(step + ": GitLab's answer names no project id");
      if (auto b = str(*project, "default_branch"); !b.empty()) default_branch_ = b;
      auto e = project->find("empty_repo");
      empty_repo_ = e != project->end() && e->is_boolean() && e->get<bool>();
    }
    // Who may run this project's pipelines with variables of their own (a trigger payload is one).
    const std::string role = api_.dry_run() ? "" : str(*project, "ci_pipeline_variables_minimum_override_role");
    if (role != "maintainer" && role != "owner" && role != "no_one_allowed") {
      json answer = api_.write("PUT", project_api(), {{"ci_pipeline_variables_minimum_override_role", "maintainer"}});
      if (!api_.dry_run() && str(answer, "ci_pipeline_variables_minimum_override_role") != "maintainer")
        throw util::RuntimeError(step + ": GitLab did not keep \"minimum role to use pipeline variables\" = "
                                        "maintainer (an older GitLab without this setting?)");
      if (r.state == "unchanged") r = {"updated", "minimum role to use pipeline variables set to Maintainer"};
    }
    return r;
  } catch (const gitlab::ApiError& e) {
    fail_step(step, e, "creating a project in the group needs the Maintainer role there; its settings need Maintainer");
  }
}

StepResult Setup::files_step() {
  const std::string step = "files .gitlab-ci.yml, jit.yml, ignores.yml";
  const std::array<std::pair<const char*, std::string>, 3> files = {{
      {".gitlab-ci.yml", pipeline_file(o_.image)}, {"jit.yml", kStarterConfig}, {"ignores.yml", kEmptyIgnores}}};
  try {
    gitlab::CommitRequest commit;
    commit.branch = default_branch_;
    commit.commit_message = "jit-agent setup: pipeline, starter jit.yml, empty ignores.yml";
    std::vector<std::string> kept;
    for (const auto& [path, content] : files) {
      std::optional<json> existing;
      if (!empty_repo_)
        existing = api_.find(project_api() + "/repository/files/" + url_encode(path) + "?ref=" + url_encode(default_branch_));
      if (existing) {
        kept.push_back(path);
        continue;
      }
      gitlab::CommitAction a;
      a.action = gitlab::CommitAction::Kind::create;
      a.file_path = path;
      a.content = content;
      commit.actions.push_back(std::move(a));
    }
    if (commit.actions.empty()) return {"unchanged", "all three exist; existing files are never overwritten"};
    json answer = api_.write("POST", project_api() + "/repository/commits", gitlab::to_json(commit));
    if (!api_.dry_run() && str(answer, "id").empty())
      throw util::RuntimeError(step + ": GitLab's answer to the commit names no commit id");
    std::string created;
    for (const auto& a : commit.actions) created += (created.empty() ? "" : ", ") + a.file_path;
    return {api_.dry_run() ? "planned" : "created", "one commit on " + default_branch_ + ": " + created +
                                                    (kept.empty() ? "" : "; kept " + std::to_string(kept.size()) + " existing")};
  } catch (const gitlab::ApiError& e) {
    fail_step(step, e, "committing needs the Developer role on the project");
  }
}

void Setup::print_project_hook_fallback() const {
  const std::string url = gitlab::trigger_url_template(api_url_, project_id_, default_branch_);
  std::cout
      << "      GitLab answered 404 for group webhooks: they need GitLab Premium (or Ultimate).\n"
      << "      Fallback on Free: a project webhook in every project to scan (the project's Maintainers can add it):\n"
      << "        Settings > Webhooks > Add new webhook, or POST /projects/<project>/hooks with\n"
      << "          url=" << url << "\n"
      << "          url_variables[][key]=trigger_token, url_variables[][value]=<the trigger token of " << project_path_
      << "\n            (Settings > CI/CD > Pipeline trigger tokens, \"" << kTriggerDescription << "\")>\n"
      << "          push_events=true tag_push_events=true merge_requests_events=true note_events=true\n"
      << "          enable_ssl_verification=true token=<a random secret>\n"
      << "      New projects then need the same hook; `jit-agent doctor` still checks the rest.\n";
}

StepResult Setup::hook_step() {
  const std::string step = "trigger token and group webhook";
  try {
    std::vector<json> triggers = api_.list(project_api() + "/triggers");
    std::optional<json> trigger;
    for (auto& t : triggers)
      if (str(t, "description") == kTriggerDescription) trigger = t;
    std::vector<json> hooks;
    try {
      hooks = api_.list("/groups/" + url_encode(group_id_) + "/hooks");
    } catch (const gitlab::ApiError& e) {
      if (e.status() != 404) throw;
      premium_missing_ = true;
    }
    const std::string url = gitlab::trigger_url_template(api_url_, project_id_, default_branch_);
    const std::string prefix = url.substr(0, url.find("?"));
    std::optional<json> hook;
    for (auto& h : hooks)
      if (str(h, "url").rfind(prefix, 0) == 0) hook = h;
    StepResult r{"unchanged", "trigger \"" + std::string(kTriggerDescription) + "\", webhook " + url};
    // Our trigger's token is shown in full to its owner only; a hook that is missing (or must be
    // pointed at a new trigger) needs it, so a trigger owned by someone else is replaced by a new one.
    const bool usable_trigger = trigger && str(*trigger, "token").size() > 8;
    std::string trigger_token = usable_trigger ? str(*trigger, "token") : "";
    if (!trigger || (!hook && !premium_missing_ && !usable_trigger)) {
      json created = api_.write("POST", project_api() + "/triggers", {{"description", kTriggerDescription}});
      trigger_token = api_.dry_run() ? "<the new trigger's token>" : str(created, "token");
      if (!api_.dry_run() && trigger_token.empty())
        throw util::RuntimeError(step + ": GitLab's answer to the new trigger holds no token");
      r = {api_.dry_run() ? "planned" : "created", "trigger token"};
    }
    util::global_redactor().add(trigger_token);
    if (premium_missing_) {
      r.state = r.state == "unchanged" ? "skipped" : r.state;
      r.detail += "; no group webhook: GitLab Premium is missing";
      return r;
    }
    json settings = gitlab::wanted_hook_settings();
    if (!hook) {
      json body = settings;
      body["url"] = url;
      body["url_variables"] = json::array({{{"key", "trigger_token"}, {"value", trigger_token}}});
      body["name"] = kHookName;
      body["description"] = "jit-agent: starts a scan in " + project_path_;
      body["token"] = random_hex(24);  // sent back as X-Gitlab-Token; GitLab never shows it again
      body["push_events_branch_filter"] = "";
      json created = api_.write("POST", "/groups/" + url_encode(group_id_) + "/hooks", body);
      check_hook(created);
      std::string what = "group webhook with push, tag push, merge request, comment and subgroup events";
      return {api_.dry_run() ? "planned" : "created", (r.state == "unchanged" ? "" : "trigger token and ") + what};
    }
    std::vector<std::string> diff = gitlab::hook_differences(*hook);
    if (diff.empty() && trigger) return r;
    json body = settings;
    // PUT needs the URL: the hook's own, unless it must point at a new trigger (a hook made by hand
    // may hold the token in its URL instead of a URL variable; it keeps working as it is).
    body["url"] = str(*hook, "url");
    if (!trigger) {
      body["url"] = url;
      body["url_variables"] = json::array({{{"key", "trigger_token"}, {"value", trigger_token}}});
    }
    check_hook(api_.write("PUT", "/groups/" + url_encode(group_id_) + "/hooks/" + id_of(*hook), body));
    std::string fixed;
    for (const auto& d : diff) fixed += (fixed.empty() ? "" : ", ") + d;
    return {"updated", "webhook " + (fixed.empty() ? std::string("pointed at the new trigger") : "fixed: " + fixed)};
  } catch (const gitlab::ApiError& e) {
    fail_step(step, e, "triggers need the Maintainer role on the project, group webhooks the Owner role on the group");
  }
}

StepResult Setup::variable_step() {
  const std::string step = std::string("CI/CD variable ") + std::string(kCheckoutVariable);
  try {
    auto existing = api_.find(project_api() + "/variables/" + std::string(kCheckoutVariable));
    if (existing) {
      const bool masked = existing->value("masked", false), hidden = existing->value("hidden", false);
      if (masked && hidden) return {"unchanged", "masked and hidden"};
      // GitLab cannot hide a variable after it was created: only a new one can be.
      return {"kept", std::string("it exists but is ") + (masked ? "not hidden" : "not masked") +
                          ": delete it in Settings > CI/CD > Variables and run setup again"};
    }
    std::string value;
    std::string origin;
    if (!checkout_token_.empty()) {
      value = checkout_token_;
      origin = "the token given in JIT_SETUP_CHECKOUT_TOKEN";
    } else {
      const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
      const std::string expires = iso_date(today + std::chrono::days(o_.token_days));
      const std::string tokens = "/groups/" + url_encode(group_id_) + "/access_tokens";
      // A token of an earlier run whose variable was never stored (GitLab never shows a token's
      // value again): rotated, so the old value dies and no orphan token stays active.
      std::optional<json> earlier;
      for (auto& t : api_.list(tokens))
        if (str(t, "name") == kTokenName && t.value("active", false)) earlier = t;
      json created = earlier ? api_.write("POST", tokens + "/" + id_of(*earlier) + "/rotate", {{"expires_at", expires}})
                             : api_.write("POST", tokens,
                                          {{"name", kTokenName},
                                           {"scopes", json::array({"api", "write_repository"})},
                                           {"access_level", 40},
                                           {"expires_at", expires}});
      value = api_.dry_run() ? "<the new group access token>" : str(created, "token");
      if (!api_.dry_run() && value.empty())
        throw util::RuntimeError(step + ": GitLab's answer to the group access token holds no token");
      util::global_redactor().add(value);
      origin = std::string(earlier ? "the rotated group access token \"" : "a new group access token \"") +
               std::string(kTokenName) + "\" (Maintainer, api + write_repository, expires " + expires + ")";
    }
    json body = {{"key", kCheckoutVariable}, {"value", value}, {"masked_and_hidden", true}, {"masked", true},
                 {"protected", true}, {"raw", true},
                 {"description", "jit-agent: fetches the scanned projects and posts results"}};
    json stored = api_.write("POST", project_api() + "/variables", body);
    if (!api_.dry_run() && !(stored.value("masked", false) && stored.value("hidden", false)))
      throw util::RuntimeError(step + ": GitLab stored the variable but not masked and hidden (a GitLab without hidden "
                                      "variables?): delete it and create it masked by hand, or upgrade GitLab");
    return {api_.dry_run() ? "planned" : "created", "masked, hidden and protected, holding " + origin};
  } catch (const gitlab::ApiError& e) {
    fail_step(step, e, "variables need the Maintainer role on the project, group access tokens the Owner role on the group");
  }
}

StepResult Setup::schedule_step() {
  const std::string step = "nightly schedule of jit-db-update";
  try {
    std::vector<json> schedules = api_.list(project_api() + "/pipeline_schedules");
    for (const auto& s : schedules) {
      if (str(s, "description") != kScheduleDescription) continue;
      if (s.value("active", false)) return {"unchanged", "\"" + str(s, "cron") + "\" " + str(s, "cron_timezone")};
      api_.write("PUT", project_api() + "/pipeline_schedules/" + id_of(s), {{"active", true}});
      return {"updated", "activated again"};
    }
    json created = api_.write("POST", project_api() + "/pipeline_schedules",
                              {{"description", kScheduleDescription}, {"ref", default_branch_}, {"cron", o_.cron},
                               {"cron_timezone", "UTC"}, {"active", true}});
    if (!api_.dry_run() && !created.value("active", false))
      throw util::RuntimeError(step + ": GitLab created the schedule inactive");
    return {api_.dry_run() ? "planned" : "created", "\"" + o_.cron + "\" UTC on " + default_branch_};
  } catch (const gitlab::ApiError& e) {
    fail_step(step, e, "pipeline schedules need the Developer role on the project");
  }
}

int Setup::run() {
  if (api_.dry_run())
    std::cout << "dry run: no request is sent. Every step is planned as on a group where nothing exists yet;\n"
                 "a real run reads first and sends only what is missing. Tokens are shown as [REDACTED].\n";
  print(1, "dedicated project " + dedicated_project_path(o_.group, o_.project), project_step());
  print(2, "files .gitlab-ci.yml, jit.yml, ignores.yml", files_step());
  print(3, "trigger token and group webhook", hook_step());
  if (premium_missing_) print_project_hook_fallback();
  print(4, "CI/CD variable " + std::string(kCheckoutVariable), variable_step());
  print(5, "nightly schedule of jit-db-update", schedule_step());
  if (premium_missing_) {
    std::cout << "setup done except the group webhook (GitLab Premium missing): add the project webhooks above.\n";
    return kExitWarnings;
  }
  std::cout << (api_.dry_run() ? "dry run done: nothing was sent.\n"
                               : "setup done. `jit-agent doctor --group " + o_.group + "` checks it any time.\n");
  return 0;
}

}  // namespace

void add_setup(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<SetupOptions>();
  auto* sub = root.add_subcommand(
      "setup",
      "Onboard a GitLab group: dedicated project, its files, trigger + group webhook, JIT_CHECKOUT_TOKEN, nightly "
      "schedule. Token on stdin or in JIT_SETUP_TOKEN (Owner of the group). Idempotent.");
  sub->add_option("--group", opts->group, "Full path of the group to onboard")->required();
  sub->add_option("--project", opts->project,
                  "The dedicated project: a full path or a path inside the group (default: GROUP/jit-security); "
                  "an existing project is adopted");
  sub->add_option("--gitlab", opts->gitlab, "GitLab URL (default: CI_API_V4_URL or CI_SERVER_URL)");
  sub->add_option("--image", opts->image,
                  "The jit-agent image the pipeline pins (default: $CI_REGISTRY_IMAGE/jit-agent:<this version>)");
  sub->add_option("--token-days", opts->token_days, "Lifetime of the group access token setup creates, in days")
      ->check(CLI::Range(1, 365))
      ->capture_default_str();
  sub->add_option("--cron", opts->cron, "When jit-db-update runs (UTC)")->capture_default_str();
  sub->add_flag("--dry-run", opts->dry_run, "Print every request setup would send (tokens redacted) and send none");
  sub->callback([opts, &global, &action] {
    action = [opts, &global] {
      const std::string api_url = admin_api_url(opts->gitlab, global.env);
      std::string checkout = global.env.get_or("JIT_SETUP_CHECKOUT_TOKEN", "");
      if (!checkout.empty()) util::global_redactor().add(checkout);
      auto sink = [](const gitlab::AdminRequest& r) { std::cout << "      would send: " << gitlab::describe(r) << "\n"; };
      if (opts->dry_run) {
        gitlab::AdminApi api(nullptr, sink);
        Setup setup(*opts, api_url, api);
        setup.set_checkout_token(checkout);
        return setup.run();
      }
      gitlab::ClientOptions co = gitlab::ClientOptions::from_env(global.env);
      co.api_url = api_url;
      co.token = read_admin_token(global.env);
      gitlab::Client client(co);
      gitlab::AdminApi api(&client, nullptr);
      Setup setup(*opts, api_url, api);
      setup.set_checkout_token(checkout);
      return setup.run();
    };
  });
}

}  // namespace agent::cli
