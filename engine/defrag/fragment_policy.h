#pragma once
// Overlap policies: which fragment's bytes a reassembled datagram keeps when
// two fragments of it cover the same bytes with different data. An IDS must
// reassemble like the host it protects, or an attacker hides data from it
// (Ptacek & Newsham; Novak, "Target-Based Fragmentation Reassembly"). The
// names and rules follow Suricata's defrag policies.
//
// Every byte of a datagram in progress belongs to the fragment whose data it
// holds. When a new fragment N covers bytes held by an earlier fragment O, the
// policy compares the two fragments' original extents [begin, end) and says
// whether N's data replaces O's for those bytes (bytes nobody held yet always
// take N's data):
//
//   first    never: the earliest data wins.
//   last     always: the latest data wins.
//   bsd      N begins before O              (N.begin <  O.begin)
//   linux    N begins before or with O      (N.begin <= O.begin)
//   windows  N strictly encloses O          (N.begin <  O.begin && N.end >  O.end)
//   solaris  N begins before O and reaches at least O's end
//                                           (N.begin <  O.begin && N.end >= O.end)

#include <cstdint>
#include <optional>
#include <string_view>

namespace kagami::defrag {

enum class Policy : uint8_t { kFirst, kLast, kBsd, kLinux, kWindows, kSolaris };

// "first", "last", "bsd", "linux", "windows", "solaris" (as written, lower
// case); nullopt for anything else.
std::optional<Policy> ParsePolicy(std::string_view name);
std::string_view PolicyName(Policy policy);

// The rule above: true when a new fragment covering [new_begin, new_end)
// supplies the bytes it shares with an earlier one covering [old_begin, old_end).
bool NewDataWins(Policy policy, uint32_t new_begin, uint32_t new_end, uint32_t old_begin,
                 uint32_t old_end);

}  // namespace kagami::defrag
