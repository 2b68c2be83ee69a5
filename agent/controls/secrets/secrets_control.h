#pragma once
// The secrets control: runs the Engine over the selected files on worker threads.
#include <string_view>

#include "agent/controls/control.h"
#include "agent/controls/secrets/engine.h"

namespace agent::controls::secrets {

/// True when `data` holds a NUL byte in its first 8 KiB: how a binary file is recognised.
bool looks_binary(std::string_view data);

class SecretsControl : public Control {
 public:
  /// Takes ownership of a ready engine (rules compiled or loaded from the cache).
  explicit SecretsControl(Engine engine);

  std::string_view name() const override { return "secrets"; }

  /// Scans `input.files` with `input.jobs` threads: files over `input.max_file_size` and binary
  /// files (a NUL byte in the first 8 KiB) are counted and skipped; an unreadable file adds to
  /// `stats.unreadable` and a warning naming it, never stopping the scan. Findings carry
  /// `input.commit_sha`. Memory per thread is bounded: small files are read into a reused
  /// buffer, larger ones memory-mapped.
  void run(const ScanInput& input, findings::ScanResult& out) override;

  /// The engine, e.g. to scan an in-memory buffer (CI mode) with the same compiled rules.
  const Engine& engine() const { return engine_; }

 private:
  Engine engine_;
};

}  // namespace agent::controls::secrets
