#pragma once
// What the commands take from the environment snapshot for the folders below them: where the
// caches, the OSV database and the rules are, and how to reach the git server. Resolved here, so
// controls and checkout receive plain settings and are tested without an environment.
#include <filesystem>
#include <string>

#include "agent/checkout/fetch.h"
#include "agent/event/event.h"
#include "agent/util/environment.h"

namespace agent::cli {

/// $JIT_RULES_DIR, else the built-in rule folder (controls::secrets::default_rules_dir).
std::filesystem::path rules_dir(const util::Environment& env);

/// Compiled rule databases: $JIT_CACHE_DIR/hsdb, else $XDG_CACHE_HOME/jit-agent/hsdb, else
/// ~/.cache/jit-agent/hsdb; empty (no cache) when none is set.
std::filesystem::path secrets_cache_dir(const util::Environment& env);

/// Secret verdicts of scanned blobs (history and ci scans): $JIT_CACHE_DIR/verdicts, else
/// $XDG_CACHE_HOME/jit-agent/verdicts, else ~/.cache/jit-agent/verdicts; empty (none) when none is set.
std::filesystem::path verdict_cache_dir(const util::Environment& env);

/// Last scanned heads of history scans in ci: beside the verdicts ($JIT_CACHE_DIR/history, ...);
/// empty when no cache folder is set (every history scan is then complete).
std::filesystem::path history_state_dir(const util::Environment& env);

/// The OSV database: $JIT_DB_DIR, else $XDG_CACHE_HOME/jit-agent/osv, else
/// ~/.cache/jit-agent/osv, else .cache/jit-agent/osv.
std::filesystem::path osv_db_dir(const util::Environment& env);

/// ${JIT_TOOLS_DIR} of external controls (where eslint and its configuration are installed):
/// $JIT_TOOLS_DIR, else PREFIX/lib/jit-agent/tools beside the installed binary, else the
/// source tree's build-tools/ (scripts/install-tools.sh puts them there for developers).
std::filesystem::path tools_dir(const util::Environment& env);

/// Git mirrors: $JIT_CACHE_DIR, else $XDG_CACHE_HOME/jit-agent/git, else ~/.cache/jit-agent/git;
/// empty (a throw-away mirror) when none is set.
std::filesystem::path git_cache_dir(const util::Environment& env);

/// How to reach `url`: JIT_CHECKOUT_TOKEN (else CI_JOB_TOKEN as gitlab-ci-token), registered with
/// the redactor; CI_SERVER_TLS_CA_FILE; HTTPS_PROXY or HTTP_PROXY by scheme, and NO_PROXY.
checkout::RemoteSpec remote_from_env(std::string url, const util::Environment& env);

/// The fetch request for `event`: clone URL and remote_from_env, git_cache_dir, the MR head and
/// target branch or the pushed ref and sha. Throws util::UsageError when the event names no commit
/// or no clone URL.
checkout::FetchRequest fetch_request_for(const event::Event& event, const util::Environment& env);

}  // namespace agent::cli
