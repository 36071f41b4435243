#include "engine/intel/attribution_profile.h"

#include <algorithm>
#include <string_view>

#include "engine/intel/intel_hash.h"

namespace kagami::intel {

namespace {

void SortUnique(std::vector<std::string>* list) {
  std::sort(list->begin(), list->end());
  list->erase(std::unique(list->begin(), list->end()), list->end());
}

// A list hashed with its length in front, so ["a b"] and ["a", "b"] differ.
uint64_t HashList(const std::vector<std::string>& list, uint64_t h) {
  const auto n = static_cast<uint32_t>(list.size());
  h = Fnv1a64(std::string_view(reinterpret_cast<const char*>(&n), sizeof(n)), h);
  for (const std::string& s : list) {
    const auto len = static_cast<uint32_t>(s.size());
    h = Fnv1a64(std::string_view(reinterpret_cast<const char*>(&len), sizeof(len)), h);
    h = Fnv1a64(s, h);
  }
  return h;
}

size_t ListBytes(const std::vector<std::string>& list) {
  size_t n = list.capacity() * sizeof(std::string);
  for (const std::string& s : list) {
    if (s.capacity() > 15) n += s.capacity() + 1;  // beyond the small-string buffer
  }
  return n;
}

}  // namespace

bool AttributionProfile::empty() const {
  return campaigns.empty() && intrusion_sets.empty() && malware.empty() && labels.empty() &&
         source.empty();
}

void AttributionProfile::Canonicalize() {
  SortUnique(&campaigns);
  SortUnique(&intrusion_sets);
  SortUnique(&malware);
  SortUnique(&labels);
}

uint64_t AttributionProfile::Hash() const {
  uint64_t h = kFnvOffset;
  for (const auto* list : {&campaigns, &intrusion_sets, &malware, &labels}) h = HashList(*list, h);
  return Mix64(Fnv1a64(source, h));
}

size_t AttributionProfile::memory_bytes() const {
  size_t n = ListBytes(campaigns) + ListBytes(intrusion_sets) + ListBytes(malware) +
             ListBytes(labels);
  if (source.capacity() > 15) n += source.capacity() + 1;
  return n;
}

ProfileTable::ProfileTable() {
  profiles_.emplace_back();
  index_.Insert(profiles_[0].Hash(), 0, [this](uint32_t i) { return profiles_[i].Hash(); });
}

uint32_t ProfileTable::Intern(const AttributionProfile& p) {
  const uint64_t h = p.Hash();
  uint32_t id = index_.Find(h, [&](uint32_t i) { return profiles_[i] == p; });
  if (id != IdHashTable::kNone) return id;
  id = static_cast<uint32_t>(profiles_.size());
  profiles_.push_back(p);
  index_.Insert(h, id, [this](uint32_t i) { return profiles_[i].Hash(); });
  return id;
}

std::vector<uint32_t> ProfileTable::Compact(const std::vector<bool>& used) {
  std::vector<uint32_t> remap(profiles_.size(), IdHashTable::kNone);
  size_t kept = 0;
  for (size_t i = 0; i < profiles_.size(); ++i) {
    if (i != 0 && (i >= used.size() || !used[i])) continue;
    if (kept != i) profiles_[kept] = std::move(profiles_[i]);
    remap[i] = static_cast<uint32_t>(kept++);
  }
  profiles_.resize(kept);
  profiles_.shrink_to_fit();
  index_.Clear();
  return remap;
}

size_t ProfileTable::memory_bytes() const {
  size_t n = profiles_.capacity() * sizeof(AttributionProfile) + index_.memory_bytes();
  for (const AttributionProfile& p : profiles_) n += p.memory_bytes();
  return n;
}

}  // namespace kagami::intel
