#pragma once
// Sparse checkout: only the folders the configuration names are written to disk.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace agent::checkout {

/// Writes only `folders` of the tree of `commit_sha` from the bare mirror `git_dir` into `dest`
/// (created if absent); nothing outside those folders is written. Folders are repository-relative
/// ("/svc-a", "svc-a/"; "" or "/" = everything). Returns the number of files written.
/// Throws util::RuntimeError when an object is missing or unreadable.
std::uint64_t checkout_folders(const std::filesystem::path& git_dir, std::string_view commit_sha,
                               const std::filesystem::path& dest,
                               const std::vector<std::string>& folders);

}  // namespace agent::checkout
