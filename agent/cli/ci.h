#pragma once
// `jit-agent ci` as a function, for `jit-agent merge` (which runs a thread command's job itself).
#include <string>

#include "agent/cli/commands.h"

namespace agent::cli {

struct CiOptions {
  std::string output_dir;
  std::string config;
  bool dry_run = false;
  std::string min_confidence;  ///< empty: min_confidence of jit.yml (default low)
  int decode_depth = 1;        ///< levels of base64/hex/percent decoding for secrets
  std::string shard;           ///< --shard I/N; empty: CI_NODE_INDEX/CI_NODE_TOTAL, else unsharded
};

/// The CI job: event -> fetch -> configuration -> scan -> reports -> publish -> exit code. As
/// shard I of N (N > 1): scan this shard's part, write jit-partial-I-of-N.json, post nothing but
/// "running" (shard 1) or "failed" (a shard that cannot fetch, configure or scan), exit 0.
int run_ci(const CiOptions& opts, const GlobalOptions& global);

}  // namespace agent::cli
