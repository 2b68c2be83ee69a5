#pragma once
// The fixed ScanResult every report test and golden file is built from.
#include <chrono>
#include <sstream>
#include <string>

#include "agent/findings/finding.h"
#include "agent/report/report.h"
#include "agent/util/hash.h"

namespace agent::report::test {

/// The text `writer` produces for `result`.
inline std::string render_with(Writer writer, const findings::ScanResult& result, const Options& options) {
  std::ostringstream out;
  writer(out, result, options);
  return out.str();
}

inline constexpr std::string_view kRawPat = "glpat-FAKEfake0123456789ab";
inline constexpr std::string_view kRawAws = "AKIAFAKEFAKEFAKE0123";
// A scanned file may hold anything: this "secret" clears the screen and carries Markdown/HTML.
inline constexpr std::string_view kRawHostile = "\x1b[2J**pw**`<img src=x onerror=alert(1)>`hunter2";

inline findings::Finding secret(std::string path, int line, int column, std::string rule_id,
                                std::string rule_name, findings::Severity severity,
                                std::string_view raw, std::string redacted) {
  findings::Finding f;
  f.control = "secrets";
  f.rule_id = std::move(rule_id);
  f.rule_name = std::move(rule_name);
  f.description = "A " + f.rule_name + " was found in the code.";
  f.severity = severity;
  f.path = std::move(path);
  f.line = line;
  f.column = column;
  f.end_line = line;
  f.end_column = column > 0 ? column + static_cast<int>(raw.size()) - 1 : 0;
  f.fingerprint = util::sha256_hex("fixture:" + f.rule_id + ':' + f.path + ':' + std::string(raw));
  f.cwes = {"CWE-798"};
  f.secret = findings::SecretDetail{std::move(redacted), util::sha256_hex(raw), std::string(raw), 4.25};
  return f;
}

/// What a history scan says of the commit that introduced a blob.
inline findings::CommitDetail commit_detail(std::string name, std::string email, std::string date,
                                            std::string summary, std::string blob) {
  return findings::CommitDetail{std::move(name), std::move(email), std::move(date), std::move(summary),
                                std::move(blob)};
}

// Commit text is whatever its author typed: a hyperlink and a forged trailer line in the name; a
// clear screen, cursor move and bidi override in a summary too long for one line, with a forged
// second line.
inline constexpr std::string_view kHostileAuthor =
    "Mallory \x1b]8;;https://evil.example\x1b\\Trusted Bot\x1b]8;;\x1b\\\r\nReviewed-by: admin";
inline constexpr std::string_view kHostileSummary =
    "fix: rotate keys \x1b[2J\x1b[1;1H\xE2\x80\xAEgnp.exe, all good, and a long tail that goes on past any "
    "sensible width\r\nSigned-off-by: admin";

inline findings::Finding dependency(std::string folder, std::string lockfile, int line, std::string package,
                                    std::string version, std::string ecosystem, std::string advisory,
                                    std::vector<std::string> aliases, findings::Severity severity,
                                    std::optional<double> cvss, std::string fixed, bool direct,
                                    bool direct_known) {
  findings::Finding f;
  f.control = "dependencies";
  f.rule_id = advisory;
  f.rule_name = package + " vulnerable to " + advisory;
  f.description = "Advisory " + advisory + " affects " + package + " " + version + ".";
  f.severity = severity;
  f.path = lockfile;
  f.line = line;
  f.fingerprint = util::sha256_hex("fixture:" + advisory + ':' + lockfile + ':' + package + '@' + version);
  f.references = {"https://osv.dev/vulnerability/" + advisory};
  findings::DependencyDetail d;
  d.package = std::move(package);
  d.version = std::move(version);
  d.ecosystem = std::move(ecosystem);
  d.advisory_id = std::move(advisory);
  d.aliases = std::move(aliases);
  d.summary = "Summary of " + d.advisory_id;
  d.cvss_score = cvss;
  if (cvss) d.cvss_vector = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H";
  d.fixed_version = std::move(fixed);
  d.severity_source = cvss ? "cvss_v3" : severity == findings::Severity::unknown ? "none" : "database";
  if (d.severity_source != "none") d.severity_record = d.advisory_id;
  if (!d.fixed_version.empty()) {
    d.fix_version = d.fixed_version;
    d.fix_resolves = {d.advisory_id};
  }
  d.direct = direct;
  d.direct_known = direct_known;
  d.lockfile = std::move(lockfile);
  d.folder = std::move(folder);
  f.dependency = std::move(d);
  return f;
}

/// Findings deliberately out of report order, so the writers' sorting is exercised.
inline findings::ScanResult fixture() {
  using findings::Severity;
  findings::ScanResult r;
  r.findings.push_back(secret("src/donn\xC3\xA9" "es/\xE7\xA7\x98\xE5\xAF\x86.py", 7, 12, "aws-access-key-id",
                              "AWS access key ID", Severity::critical, kRawAws, "AKIA\xE2\x80\xA6"));
  r.findings.back().references = {"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"};
  // Found by a history scan: attributed to the commit that added the blob.
  r.findings.back().commit = "89abcdef0123456789abcdef0123456789abcdef";
  r.findings.back().provenance = commit_detail("Zo\xC3\xAB Dupr\xC3\xA9", "zoe@example.com", "2024-04-30T09:15:00Z",
                                               "Add data loader settings", "1111111111111111111111111111111111111111");
  r.findings.push_back(secret("config/app settings.yml", 3, 15, "gitlab-pat", "GitLab personal access token",
                              Severity::high, kRawPat, "glpa\xE2\x80\xA6"));
  r.findings.back().references = {"https://docs.gitlab.com/ee/user/profile/personal_access_tokens.html"};
  // What the instance said about it (issue 12). The severity is left as it is, so every golden's
  // counts stay; the reports only render the answer.
  findings::TokenCheck check;
  check.status = "active";
  check.instance = "https://gitlab.example.com";
  check.endpoint = "GET /api/v4/personal_access_tokens/self";
  check.scopes = {"api", "read_user"};
  check.owner = "@bob";
  check.name = "laptop";
  check.expires_at = "2027-01-01";
  r.findings.back().token_check = check;
  r.findings.push_back(secret("docs/evil.md", 2, 1, "generic-password", "Generic password", Severity::medium,
                              kRawHostile, "\x1b]8;;https://evil.example\x1b\\**pw\xE2\x80\xA6"));
  r.findings.back().commit = "fedcba9876543210fedcba9876543210fedcba98";
  r.findings.back().provenance = commit_detail(std::string(kHostileAuthor), "mallory@evil.example\x1b[2J",
                                               "2023-12-31T23:59:59Z", std::string(kHostileSummary),
                                               "2222222222222222222222222222222222222222");
  r.findings.back().confidence = findings::Confidence::medium;
  r.findings.push_back(secret("config/app settings.yml", 10, 0, "jwt", "JSON Web Token", Severity::low,
                              "eyJhbGciOiJIUzI1NiJ9.e30.ZmFrZQ", "eyJh\xE2\x80\xA6"));
  r.findings.back().cwes.clear();
  r.findings.back().confidence = findings::Confidence::low;
  r.findings.push_back(dependency("/services/web", "services/web/package-lock.json", 840, "minimist", "1.2.0",
                                  "npm", "GHSA-xvch-5gv4-984h", {"CVE-2021-44906"}, Severity::critical, 9.8,
                                  "1.2.6", false, true));
  r.findings.push_back(dependency("/services/web", "services/web/package-lock.json", 120, "lodash", "4.17.15",
                                  "npm", "GHSA-p6mc-m468-83gw", {"CVE-2020-8203"}, Severity::high, 7.4,
                                  "4.17.19", true, true));
  r.findings.push_back(dependency("/services/web", "services/web/package-lock.json", 120, "lodash", "4.17.15",
                                  "npm", "GHSA-35jh-r3h4-6jhm", {"CVE-2021-23337"}, Severity::high, 7.2,
                                  "4.17.21", true, true));
  r.findings.push_back(dependency("/", "poetry.lock", 0, "ecdsa", "0.18.0", "PyPI", "GHSA-wj6h-64fc-37mp",
                                  {"CVE-2024-23342"}, Severity::high, std::nullopt, "", false,
                                  false));
  // lodash 4.17.15: one upgrade (4.17.21) fixes both of its advisories.
  for (auto& f : r.findings)
    if (f.dependency && f.dependency->package == "lodash") {
      f.dependency->fix_version = "4.17.21";
      f.dependency->fix_resolves = {"GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"};
    }
  r.stats.files_scanned = 42;
  r.stats.bytes_scanned = 1234567;
  r.stats.skipped_binary = 3;
  r.stats.skipped_too_large = 1;
  r.stats.skipped_excluded = 17;
  r.stats.skipped_symlinks = 2;
  r.stats.unreadable = 1;
  r.stats.suppressed = 2;
  r.stats.commits_scanned = 57;
  r.stats.blobs_cached = 9;
  r.warnings = {"services/api/yarn.lock: unsupported lockfile version 9",
                "cannot read secret\x1b[31m/dir/key.pem: permission denied"};
  r.controls = {"secrets", "dependencies"};
  r.root = ".";
  r.commit_sha = "0123456789abcdef0123456789abcdef01234567";
  r.start_time = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + std::chrono::hours{12} +
                 std::chrono::minutes{30} + std::chrono::seconds{5};
  r.end_time = r.start_time + std::chrono::milliseconds{1234};
  return r;
}

inline findings::Finding external(std::string control, std::string path, int line, int column, std::string rule_id,
                                  std::string rule_name, std::string message, findings::Severity severity,
                                  findings::ToolDetail tool) {
  findings::Finding f;
  f.control = std::move(control);
  f.rule_id = std::move(rule_id);
  f.rule_name = std::move(rule_name);
  f.description = std::move(message);
  f.severity = severity;
  f.path = std::move(path);
  f.line = line;
  f.column = column;
  f.end_line = line;
  f.fingerprint = util::sha256_hex("fixture:" + f.control + ':' + f.rule_id + ':' + f.path + ':' + tool.snippet);
  f.tool = std::move(tool);
  return f;
}

/// A flawfinder rule as its SARIF output describes it (relationships point at a CWE taxonomy).
inline constexpr std::string_view kFlawfinderRule =
    R"({"id":"FF1001","name":"buffer/strcpy","shortDescription":{"text":"Does not check for buffer overflows )"
    R"(when copying to destination [MS-banned] (CWE-120)."},"fullDescription":{"text":"Consider using )"
    R"(snprintf, strcpy_s, or strlcpy (warning: strncpy easily misused)."},"defaultConfiguration":)"
    R"({"level":"error"},"helpUri":"https://cwe.mitre.org/data/definitions/120.html","relationships":)"
    R"([{"target":{"id":"120","toolComponent":{"name":"CWE"}},"kinds":["relevant"]}]})";

/// fixture() plus findings of three external controls (one hostile), an errored and a skipped one.
inline findings::ScanResult fixture_external() {
  using findings::Severity;
  auto r = fixture();
  findings::ToolDetail bandit{"Bandit", "1.7.5", "bandit-json", "HIGH",
                              "https://bandit.readthedocs.io/en/1.7.5/plugins/b602_subprocess_popen_with_shell_equals_true.html",
                              "    subprocess.Popen(cmd, shell=True)", {"A03:2021"}, ""};
  r.findings.push_back(external("bandit", "services/api/run.py", 12, 5, "B602",
                                "subprocess_popen_with_shell_equals_true",
                                "subprocess call with shell=True identified, security issue.", Severity::high, bandit));
  r.findings.back().cwes = {"CWE-78"};
  bandit.original_severity = "LOW";
  bandit.help_uri = "https://bandit.readthedocs.io/en/1.7.5/plugins/b105_hardcoded_password_string.html";
  bandit.snippet = "DEBUG_MODE = 'on'";
  bandit.owasp = {};
  r.findings.push_back(external("bandit", "services/api/settings.py", 3, 1, "B105", "hardcoded_password_string",
                                "Possible hardcoded password: 'on'", Severity::low, bandit));
  r.findings.back().cwes = {"CWE-259"};
  findings::ToolDetail flawfinder{"Flawfinder", "2.0.19", "sarif", "error",
                                  "https://cwe.mitre.org/data/definitions/120.html", "  strcpy(buf, argv[1]);", {},
                                  std::string(kFlawfinderRule)};
  r.findings.push_back(external("flawfinder", "native/copy.c", 9, 3, "FF1001", "buffer/strcpy",
                                "buffer/strcpy: Does not check for buffer overflows when copying to destination "
                                "[MS-banned] (CWE-120).",
                                Severity::high, flawfinder));
  r.findings.back().cwes = {"CWE-120"};
  flawfinder.snippet = "  strcpy(out, name);";
  r.findings.push_back(external("flawfinder", "native/copy.c", 21, 3, "FF1001", "buffer/strcpy",
                                "buffer/strcpy: Does not check for buffer overflows when copying to destination "
                                "[MS-banned] (CWE-120).",
                                Severity::high, flawfinder));
  r.findings.back().cwes = {"CWE-120"};
  // Everything a tool reports is untrusted: escapes, mentions, HTML, fences in the snippet.
  findings::ToolDetail shellcheck{"ShellCheck", "", "shellcheck-json1", "warning",
                                  "javascript:alert(1)", "rm -rf $DIR ``` @all <b>x</b> \x1b[2J", {}, ""};
  r.findings.push_back(external("shellcheck", "scripts/deploy.sh", 4, 8, "SC2086", "",
                                "Double quote to prevent globbing \x1b]8;;https://evil.example\x1b\\@all <img src=x>",
                                Severity::medium, shellcheck));
  r.controls = {"secrets", "dependencies", "bandit", "flawfinder", "shellcheck", "eslint"};
  r.errored_controls = {{"eslint", "timed out after 5m0s", ""},
                        {"bandit", "exited with status 2 (\x1b[31merror\x1b[0m)", "services/worker"}};
  r.skipped_controls = {{"flawfinder", "no C or C++ files", "services/web"}};
  return r;
}

/// Options with a fixed version so golden files do not change with each release.
inline Options options() {
  Options o;
  o.tool_version = "0.0.0-test";
  return o;
}

}  // namespace agent::report::test
