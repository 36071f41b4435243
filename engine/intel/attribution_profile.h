#pragma once
// Attribution profiles: the campaigns, intrusion sets, malware families,
// labels and source an indicator carries. Feeds repeat the same combination
// for thousands of indicators, so each distinct combination is stored once
// and an indicator keeps only its profile id.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/intel/id_hash_table.h"

namespace kagami::intel {

struct AttributionProfile {
  std::vector<std::string> campaigns, intrusion_sets, malware, labels;
  std::string source;

  bool operator==(const AttributionProfile&) const = default;
  bool empty() const;
  // Sorts every list and drops repeats, so equal sets compare equal.
  void Canonicalize();
  uint64_t Hash() const;
  size_t memory_bytes() const;  // heap bytes beyond sizeof
};

class ProfileTable {
 public:
  ProfileTable();  // id 0 is the empty profile
  // The id of `p` (canonical), adding a copy when new.
  uint32_t Intern(const AttributionProfile& p);
  const AttributionProfile& Get(uint32_t id) const { return profiles_[id]; }
  size_t size() const { return profiles_.size(); }
  // Keeps the profiles with used[id] set (and the empty profile), renumbered
  // in order; returns the old -> new id map (kNone for dropped ones). The
  // text index is dropped: a compacted table is for reading only.
  std::vector<uint32_t> Compact(const std::vector<bool>& used);
  size_t memory_bytes() const;

 private:
  std::vector<AttributionProfile> profiles_;
  IdHashTable index_;
};

}  // namespace kagami::intel
