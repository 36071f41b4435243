#pragma once
// One matcher of enable.conf / disable.conf / drop.conf (and the first
// word of a modify.conf line), read as suricata-update reads it; the
// forms are tried in its order:
//
//   *                        every rule
//   2019401                  sid (gid 1)
//   1:2019401                gid:sid
//   1:2019401:3              gid:sid:rev (that rev only)
//   2019401,1:2019402        a list of the above, comma separated (the
//                            only matcher suricata-update reads as a list)
//   re:heartbleed            regex searched in the rule's text (without
//                            the comment marker), case-insensitive
//   filename:emerging-*.rules  fnmatch on the rule's file name
//   group:emerging-icmp.rules  fnmatch on the file name, or on the name
//   group:emerging-icmp        without its extension; a bare word ending
//   emerging-icmp.rules        in ".rules" is a group matcher too
//   metadata: deployment perimeter   a metadata entry, key and value
//                            compared case-insensitively
//
// fnmatch as Python's: * ? [set] [!set], no backslash escapes, and a file
// name here is the base name (suricata-update's filename: sees the path
// inside the archive; the sources give Kagami base names).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/update/managed_rule.h"
#include "rules/update/regex.h"

namespace kagami::rules::update {

class RuleMatcher {
 public:
  enum class Kind : uint8_t { kAll, kIds, kRegex, kFilename, kGroup, kMetadata };

  // False with why and the offset in `text` of the problem.
  static bool Parse(std::string_view text, RuleMatcher* out, size_t* error_at, std::string* error);

  // `limit_hit` (optional) is set when a regex ran into its match limit
  // (counted as no match).
  bool Matches(const ManagedRule& rule, bool* limit_hit = nullptr) const;
  Kind kind() const { return kind_; }

 private:
  struct Id {
    uint32_t gid = 1, sid = 0;
    bool has_rev = false;
    uint32_t rev = 0;
  };
  Kind kind_ = Kind::kAll;
  std::vector<Id> ids_;
  Regex regex_;
  std::string pattern_;     // kFilename, kGroup
  std::string key_, value_;  // kMetadata, lower case
};

}  // namespace kagami::rules::update
