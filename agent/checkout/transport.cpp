#include "agent/checkout/transport.h"

#include <git2/sys/errors.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>

#include "agent/checkout/git.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::checkout {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string host_of(std::string_view url) {
  auto sep = url.find("://");
  std::string_view rest = sep == std::string_view::npos ? url : url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') return lower(rest.substr(1, rest.find(']') - 1));
  return lower(rest.substr(0, rest.find(':')));
}

bool contains(std::string_view haystack, std::string_view needle) {
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

void append_file(std::ofstream& out, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw util::RuntimeError("cannot read CA file " + file.string());
  out << in.rdbuf() << '\n';
}

}  // namespace

CaBundleScope::CaBundleScope(const std::filesystem::path& system_bundle, const std::filesystem::path& extra) {
  std::error_code ec;
  bool have_system = !system_bundle.empty() && std::filesystem::is_regular_file(system_bundle, ec);
  std::string location;
  if (!extra.empty()) {
    if (!std::filesystem::is_regular_file(extra, ec))
      throw util::RuntimeError("CI_SERVER_TLS_CA_FILE " + extra.string() + " is not a readable file");
    // Added to, never replacing, the system CAs: a proxy or mirror signed by a public CA must
    // keep working next to the self-managed GitLab's own CA.
    static std::atomic<unsigned> counter{0};
    temp_ = std::filesystem::temp_directory_path() /
            ("jit-ca-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".pem");
    try {
      std::ofstream out(temp_, std::ios::binary | std::ios::trunc);
      if (have_system) append_file(out, system_bundle);
      append_file(out, extra);
    } catch (...) {
      std::filesystem::remove(temp_, ec);
      throw;
    }
    location = temp_.string();
  } else if (have_system) {
    location = system_bundle.string();
  }
  if (!location.empty() && git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, location.c_str(), nullptr) < 0) {
    std::string reason = last_git_error();
    if (!temp_.empty()) std::filesystem::remove(temp_, ec);  // no destructor runs for a throwing constructor
    throw util::RuntimeError("cannot load CA certificates (" + (extra.empty() ? location : extra.string()) +
                             "): " + reason);
  }
}

CaBundleScope::~CaBundleScope() {
  if (!temp_.empty()) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

std::string proxy_for(std::string_view url, std::string_view proxy, std::string_view no_proxy) {
  if (proxy.empty()) return "";
  std::string host = host_of(url);
  std::size_t pos = 0;
  while (pos <= no_proxy.size()) {
    std::size_t end = no_proxy.find_first_of(", ", pos);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string entry = lower(no_proxy.substr(pos, end - pos));
    pos = end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return "";
    if (auto colon = entry.rfind(':'); colon != std::string::npos && entry.find(']') == std::string::npos)
      entry.resize(colon);  // "host:port": the port does not matter for the decision
    if (entry.front() == '.') entry.erase(0, 1);
    if (entry.rfind("*.", 0) == 0) entry.erase(0, 2);
    // "example.com" covers example.com and every sub-domain, as curl and git do.
    if (host == entry || (host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
                          host[host.size() - entry.size() - 1] == '.'))
      return "";
  }
  return std::string(proxy);
}

int credentials_callback(git_credential** out, const char* /*url*/, const char* /*username_from_url*/,
                         unsigned int allowed_types, void* payload) {
  auto* auth = static_cast<RemoteSession*>(payload);
  ++auth->calls;
  if (auth->calls > 1) {
    // We already answered: the server refused this token. libgit2 would ask again forever-ish.
    auth->refused = true;
    git_error_set_str(GIT_ERROR_HTTP, "the server refused the credentials (HTTP 401)");
    return GIT_EAUTH;
  }
  if (auth->token.empty() || !(allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
    auth->refused = true;
    git_error_set_str(GIT_ERROR_HTTP, auth->token.empty() ? "the server requires credentials and no token is set"
                                                          : "the server asks for a kind of credentials other than a token");
    return GIT_EAUTH;
  }
  return git_credential_userpass_plaintext_new(out, auth->username.c_str(), auth->token.c_str());
}

std::string describe_remote_error(int rc, const RemoteSession& auth, std::string_view url, std::string_view doing) {
  std::string reason = last_git_error();
  const git_error* e = git_error_last();
  int klass = e ? e->klass : 0;
  std::string where = util::redact_urls(url);
  std::string head;
  if (auth.refused || rc == GIT_EAUTH || contains(reason, "status code: 401") || contains(reason, "authentication")) {
    head = auth.token.empty() ? "authentication required (HTTP 401) for " + where + ": JIT_CHECKOUT_TOKEN is not set"
                              : "authentication failed (HTTP 401) for " + where +
                                    ": the token was refused (expired, revoked or wrong JIT_CHECKOUT_TOKEN)";
    return util::global_redactor().apply(head);
  }
  if (contains(reason, "status code: 403"))
    head = "access denied (HTTP 403) for " + where + ": the token may not read this project (needs read_repository)";
  else if (contains(reason, "status code: 404"))
    head = "project not found (HTTP 404): " + where + " (wrong path, or no access with this token)";
  else if (rc == GIT_ECERTIFICATE || klass == GIT_ERROR_SSL || contains(reason, "certificate") || contains(reason, "ssl") ||
           contains(reason, "tls"))
    head = "TLS failure for " + where + ": " + reason +
           " (a self-managed GitLab with its own CA needs CI_SERVER_TLS_CA_FILE)";
  else if (klass == GIT_ERROR_NET || klass == GIT_ERROR_OS || klass == GIT_ERROR_HTTP)
    head = "network failure " + std::string(doing) + " " + where + ": " + reason;
  else
    head = std::string(doing) + " " + where + " failed: " + reason;
  // One line: libgit2 messages occasionally carry newlines from the server.
  std::replace(head.begin(), head.end(), '\n', ' ');
  return util::global_redactor().apply(head);
}

}  // namespace agent::checkout
