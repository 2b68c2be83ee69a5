#include "agent/job/shard.h"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "agent/util/error.h"

namespace agent::job {
namespace {

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

/// GitLab allows `parallel:` up to 200; a little headroom, but no absurd numbers.
constexpr int kMaxShards = 1000;

Shard checked(std::optional<int> index, std::optional<int> total, std::string_view text, std::string_view source) {
  if (!index || !total || *total < 1 || *total > kMaxShards || *index < 1 || *index > *total)
    throw util::UsageError(std::string(source) + " " + std::string(text) +
                           ": expected I/N with 1 <= I <= N (e.g. 2/3; N at most " + std::to_string(kMaxShards) + ")");
  return Shard{*index, *total};
}

/// FNV-1a: a stable hash (std::hash may differ between builds, shards must agree).
std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

Shard parse_shard(std::string_view text, std::string_view source) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return checked(std::nullopt, std::nullopt, text, source);
  return checked(parse_int(text.substr(0, slash)), parse_int(text.substr(slash + 1)), text, source);
}

Shard shard_from(const std::string& flag, const util::Environment& env) {
  if (!flag.empty()) return parse_shard(flag, "--shard");
  auto index = env.get_or("CI_NODE_INDEX", "");
  auto total = env.get_or("CI_NODE_TOTAL", "");
  // GitLab sets CI_NODE_TOTAL=1 (and no CI_NODE_INDEX) for every job without `parallel:`.
  if (index.empty() && (total.empty() || total == "1")) return {};
  const std::string text = index + "/" + total;
  if (index.empty() || total.empty())
    throw util::UsageError("CI_NODE_INDEX/CI_NODE_TOTAL " + text +
                           ": both must be set (GitLab sets them for parallel: N), or use --shard I/N");
  return checked(parse_int(index), parse_int(total), text, "CI_NODE_INDEX/CI_NODE_TOTAL");
}

std::vector<int> assign_shards(const std::vector<ShardItem>& items, int total) {
  std::vector<int> out(items.size(), 1);
  if (total <= 1) return out;
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&items](std::size_t a, std::size_t b) {
    if (items[a].size != items[b].size) return items[a].size > items[b].size;
    if (items[a].key != items[b].key) return items[a].key < items[b].key;
    return a < b;
  });
  std::vector<std::uint64_t> load(static_cast<std::size_t>(total), 0);
  for (std::size_t i : order) {
    auto least = std::min_element(load.begin(), load.end());  // the first of equals: lowest index
    *least += items[i].size;
    out[i] = static_cast<int>(least - load.begin()) + 1;
  }
  return out;
}

std::optional<std::string> folder_of(std::string_view path, const std::vector<std::string>& folders) {
  std::optional<std::string> best;
  for (const auto& f : folders) {
    bool inside = f.empty() || (path.size() > f.size() && path.substr(0, f.size()) == f && path[f.size()] == '/') ||
                  path == f;
    if (inside && (!best || f.size() > best->size())) best = f;
  }
  return best;
}

ShardPlan::ShardPlan(Shard me, const std::vector<ShardItem>& files, std::vector<std::string> folders)
    : me_(me), folders_(std::move(folders)) {
  std::map<std::string, std::uint64_t> sizes;
  for (const auto& f : files) sizes[key_of(f.key)] += f.size;
  std::vector<ShardItem> items;
  for (const auto& [key, size] : sizes) items.push_back({key, size});
  const auto shards = assign_shards(items, me_.total);
  for (std::size_t i = 0; i < items.size(); ++i) assigned_[items[i].key] = shards[i];
}

std::string ShardPlan::key_of(std::string_view path) const {
  if (auto folder = folder_of(path, folders_)) return *folder;
  return std::string(path);
}

int ShardPlan::shard_of_key(const std::string& key) const {
  if (auto it = assigned_.find(key); it != assigned_.end()) return it->second;
  return static_cast<int>(stable_hash(key) % static_cast<std::uint64_t>(me_.total)) + 1;
}

std::optional<controls::ScanInput> restrict_to_shard(Shard me, controls::ScanInput& input, findings::ScanResult& out) {
  if (!me.sharded()) return input;
  std::vector<ShardItem> files;
  files.reserve(input.files.size());
  for (const auto& f : input.files) files.push_back({f.path, f.size});
  const ShardPlan plan(me, files, input.folders);
  std::optional<controls::ScanInput> tools;
  if (input.folders.empty() && me.index == 1) tools = input;  // the root is one folder: run it whole, once
  std::erase_if(input.files, [&plan](const controls::FileEntry& f) { return !plan.mine(f.path); });
  if (!input.folders.empty()) {
    std::vector<std::string> mine;
    for (const auto& f : input.folders)
      if (plan.mine_folder(f)) mine.push_back(f);
    input.folders = mine;
    if (!mine.empty()) tools = input;
  }
  if (me.index != 1) {
    out.stats = {};
    out.warnings.clear();
  }
  return tools;
}

}  // namespace agent::job
