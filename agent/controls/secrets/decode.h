#pragma once
// Secrets hidden in encoded text: base64 (standard and URL-safe), hex and percent-encoding.
//
// A cheap byte scan finds candidate runs (>= 20 base64 characters, >= 32 hex digits, a token
// holding a %XX escape); each is decoded, and kept only when the result is mostly printable
// text. The decoded texts of a file are batched into one bounded buffer (one line per run) that
// the engine scans like any file; a finding there is reported at the encoded run's position,
// marked with its encoding, with the fingerprint the plain secret would have.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::controls::secrets {

enum class Encoding { base64, hex, percent };

/// "base64" | "hex" | "percent".
std::string_view encoding_name(Encoding e);

/// A candidate run of encoded text: [start, end) in the scanned buffer.
struct EncodedRun {
  std::size_t start = 0, end = 0;
  Encoding encoding = Encoding::base64;
};

/// Minimum run lengths (encoded characters).
inline constexpr std::size_t kMinBase64Run = 20;
inline constexpr std::size_t kMinHexRun = 32;
inline constexpr std::size_t kMinPercentRun = 16;

/// Appends the candidate runs of `data`, in position order, without overlaps. Linear, no allocation
/// beyond `out`.
void find_encoded_runs(std::string_view data, std::vector<EncodedRun>& out);

/// Decodes `text` (a run of `encoding`) into `out` (replaced). False when it is not valid in that
/// encoding or the result is not mostly printable text (>= 90% printable ASCII or whitespace).
bool decode_run(std::string_view text, Encoding encoding, std::string& out);

/// Reusable per-thread state of the decoding pass.
struct DecodeBuffers {
  std::vector<EncodedRun> runs;
  std::string decoded;            ///< one run's decoded text
  std::string batch;              ///< decoded texts, one line each, scanned together
  std::vector<std::size_t> batch_runs;   ///< index into `runs` of each batch line
  std::vector<findings::Finding> found;
  std::vector<std::size_t> line_offsets;  ///< start offset of each line of `batch`
};

/// Scans `text` with the engine (at one decoding level less) and appends findings to `out`.
using ScanDecoded = std::function<void(std::string_view text, std::vector<findings::Finding>& out,
                                       findings::ScanStats& stats)>;

/// The decoding pass over `data` (a file already scanned in plain text, whose findings are
/// out[plain_first..]): decodes its candidate runs, scans them with `scan`, maps each finding to
/// its run (line, columns, `secret.encoding`), drops findings whose secret the plain text (or an
/// earlier run) already gave, and those on a line with `jit:allow`/`gitleaks:allow` (counted in
/// `stats.suppressed`). The batch buffer stays under 1 MiB whatever the size of `data`.
void scan_encoded(std::string_view data, std::string_view path, std::size_t plain_first, DecodeBuffers& buffers,
                  const ScanDecoded& scan, std::vector<findings::Finding>& out, findings::ScanStats& stats);

}  // namespace agent::controls::secrets
