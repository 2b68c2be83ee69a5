#include <catch2/catch_test_macros.hpp>

#include <regex>
#include <set>

#include "unit/report/fixture.h"
#include "unit/report/golden.h"

using namespace agent::report;
using namespace agent::report::test;
using agent::findings::Severity;

namespace {

std::string render(const agent::findings::ScanResult& r, const Options& o) { return render_with(write_html, r, o); }

// Every character HTML and terminals give meaning to, in a file name (Linux allows all but '/' and NUL).
constexpr std::string_view kHostilePath =
    "evil/<img src=x onerror=alert(1)>\"'&amp;\n<script>alert(2)</script>\x1b[31m\xE2\x80\xAEtxt.py";

/// fixture_external() with the package-level fix the dependency control computes, an ignored
/// finding, and a secret in a file with a hostile name.
agent::findings::ScanResult html_fixture() {
  auto r = fixture_external();
  for (auto& f : r.findings) {
    if (!f.dependency) continue;
    auto& d = *f.dependency;
    if (d.package == "lodash") {  // one version fixes both advisories
      d.fix_version = "4.17.21";
      d.fix_resolves = {"GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"};
      d.severity_source = "cvss_v3";
    } else if (d.package == "minimist") {
      d.fix_version = "1.2.6";
      d.fix_resolves = {"GHSA-xvch-5gv4-984h"};
      d.severity_source = "database";
    }
  }
  // A second advisory of minimist that no version fixes yet: the upgrade leaves it open.
  r.findings.push_back(dependency("/services/web", "services/web/package-lock.json", 840, "minimist", "1.2.0", "npm",
                                  "GHSA-0000-open-0000", {}, Severity::low, std::nullopt, "", false, true));
  r.findings.back().dependency->fix_version = "1.2.6";
  r.findings.back().dependency->fix_resolves = {"GHSA-xvch-5gv4-984h"};
  r.findings.push_back(secret(std::string(kHostilePath), 1, 9, "gitlab-pat", "GitLab personal access token",
                              Severity::critical, "glpat-HOSTILEfake012345678", "glpa\xE2\x80\xA6"));
  auto ignored = secret("tests/fixtures/keys.py", 4, 1, "aws-access-key-id", "AWS access key ID", Severity::critical,
                        "AKIAIGNOREDFAKE01234", "AKIA\xE2\x80\xA6");
  ignored.suppression = agent::findings::Suppression{"false_positive", "test fixture <b>only</b>", "@alice",
                                                     "ignores.yml:12", "2030-01-31"};
  r.ignored.push_back(ignored);
  return r;
}

std::string html() { return render(html_fixture(), options()); }

}  // namespace

TEST_CASE("html report matches its golden file") { check_golden("html.html", html()); }

TEST_CASE("html report is self-contained: a CSP that forbids everything but inline style, no script or asset") {
  std::string page = html();
  CHECK(page.rfind("<!DOCTYPE html>\n", 0) == 0);
  CHECK(page.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'\">") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("<img") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find("src=\"") == std::string::npos);
  CHECK(page.find("url(") == std::string::npos);
  CHECK(page.find("@import") == std::string::npos);
}

TEST_CASE("html report: every tag is one the writer wrote; scanned text never becomes markup") {
  static const std::set<std::string> kOurs = {
      "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "dl", "dt", "dd",
      "code", "nav", "ul", "li", "a", "main", "section", "p", "strong", "table", "thead", "tbody", "tr",
      "th", "td", "span", "br", "details", "summary", "footer", "div"};
  std::string page = html();
  std::regex tag("<(/?)([!A-Za-z][A-Za-z0-9]*)");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), tag); it != std::sregex_iterator(); ++it) {
    INFO("tag <" << (*it)[2].str());
    CHECK(kOurs.count((*it)[2].str()) == 1);
  }
}

TEST_CASE("html report escapes a hostile file name and strips its control characters") {
  std::string page = html();
  // Newline, ESC sequence and the bidi override gone; the five HTML characters as entities.
  CHECK(page.find("evil/&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;amp;&lt;script&gt;alert(2)&lt;/script&gt;"
                  "txt.py:1:9") != std::string::npos);
  CHECK(page.find('\x1b') == std::string::npos);
  CHECK(page.find("\xE2\x80\xAE") == std::string::npos);
  CHECK(page.find("onerror=alert(1)>") == std::string::npos);
  // The ignored entry's comment is text too.
  CHECK(page.find("test fixture &lt;b&gt;only&lt;/b&gt;") != std::string::npos);
  // A commit author's forged hyperlink and trailer line: text on one line.
  CHECK(page.find("evil.example") == std::string::npos);
  CHECK(page.find("Reviewed-by") == std::string::npos);
}

TEST_CASE("html report links only to http(s), never opening the report to the target") {
  std::string page = html();
  CHECK(page.find("javascript:") == std::string::npos);  // shellcheck's help_uri: the rule id stays plain text
  CHECK(page.find("<code>SC2086</code>") != std::string::npos);
  std::regex anchor("<a ([^>]*)>");
  int external = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), anchor); it != std::sregex_iterator(); ++it) {
    std::string attrs = (*it)[1].str();
    if (attrs.rfind("href=\"#", 0) == 0) continue;  // in-page navigation
    ++external;
    CHECK(std::regex_match(attrs, std::regex("href=\"https?://[^\" ]+\" rel=\"noopener noreferrer\"")));
  }
  CHECK(external >= 5);  // advisories and the tools' rule documentation
  CHECK(page.find("<a href=\"https://bandit.readthedocs.io/en/1.7.5/plugins/"
                  "b602_subprocess_popen_with_shell_equals_true.html\" rel=\"noopener noreferrer\">B602</a>") !=
        std::string::npos);
}

TEST_CASE("html report never holds a raw secret, even with show_secrets") {
  auto o = options();
  o.show_secrets = true;
  std::string page = render(html_fixture(), o);
  for (auto raw : {kRawPat, kRawAws, std::string_view("glpat-HOSTILEfake012345678"), std::string_view("hunter2"),
                   std::string_view("AKIAIGNOREDFAKE01234"), std::string_view("eyJhbGciOiJIUzI1NiJ9.e30.ZmFrZQ")})
    CHECK(page.find(raw) == std::string::npos);
  CHECK(page.find("<code>glpa\xE2\x80\xA6</code>") != std::string::npos);
  CHECK(page.find("DEBUG_MODE") == std::string::npos);  // tools' snippets are left out: they may hold secrets
}

TEST_CASE("html report shows one row per vulnerable package with its fix and what stays open") {
  std::string page = html();
  auto row = [&](std::string_view package) {
    auto at = page.find("<strong>" + std::string(package) + "</strong>");
    REQUIRE(at != std::string::npos);
    return page.substr(at, page.find("</tr>", at) - at);
  };
  std::string lodash = row("lodash");
  CHECK(lodash.find("<summary>2 advisories</summary>") != std::string::npos);
  CHECK(lodash.find("<code>4.17.21</code></strong><br><span class=\"muted\">fixes all 2</span>") != std::string::npos);
  CHECK(lodash.find("<span class=\"none\">nothing</span>") != std::string::npos);
  CHECK(lodash.find("direct") != std::string::npos);
  CHECK(lodash.find("services/web/package-lock.json:120") != std::string::npos);
  CHECK(lodash.find("severity from cvss_v3") != std::string::npos);
  std::string minimist = row("minimist");
  CHECK(minimist.find("<span class=\"sev sev-critical\">CRITICAL</span>") != std::string::npos);
  CHECK(minimist.find("Still open\"><code>GHSA-0000-open-0000</code>") != std::string::npos);
  CHECK(minimist.find("<code>1.2.6</code></strong><br><span class=\"muted\">fixes 1 of 2</span>") != std::string::npos);
  CHECK(minimist.find("transitive") != std::string::npos);
  std::string ecdsa = row("ecdsa");
  CHECK(ecdsa.find("<span class=\"none\">no fix</span>") != std::string::npos);
  CHECK(ecdsa.find(">unknown<") != std::string::npos);
  CHECK(page.find("Vulnerable dependencies (3 packages, 5 advisories)") != std::string::npos);
  // Packages most severe first.
  CHECK(page.find("<strong>minimist</strong>") < page.find("<strong>ecdsa</strong>"));
}

TEST_CASE("html report lists ignored findings, warnings and controls that did not run") {
  std::string page = html();
  CHECK(page.find("Ignored (1)") != std::string::npos);
  CHECK(page.find("false positive") != std::string::npos);
  CHECK(page.find("@alice") != std::string::npos);
  CHECK(page.find("2030-01-31") != std::string::npos);
  CHECK(page.find("eslint did not run: timed out after 5m0s; its findings are missing") != std::string::npos);
  CHECK(page.find("flawfinder skipped in services/web: no C or C++ files") != std::string::npos);
  CHECK(page.find("services/api/yarn.lock: unsupported lockfile version 9") != std::string::npos);
  CHECK(page.find("eslint <strong>(errored: findings missing)</strong>") != std::string::npos);
  CHECK(page.find("bandit <strong>(errored in services/worker: findings missing)</strong>") != std::string::npos);
  CHECK(page.find("flawfinder <span class=\"muted\">(skipped in services/web)</span>") != std::string::npos);
}

TEST_CASE("html report of an empty scan renders every section it has") {
  agent::findings::ScanResult empty;
  empty.controls = {"secrets", "dependencies"};
  std::string page = render(empty, options());
  CHECK(page.find("<strong>0 findings</strong>") != std::string::npos);
  CHECK(page.find("No secrets found.") != std::string::npos);
  CHECK(page.find("No vulnerable dependencies found.") != std::string::npos);
  CHECK(page.find("id=\"ignored\"") == std::string::npos);
  CHECK(page.rfind("</html>\n") == page.size() - 8);
}
