#pragma once
// AddressSet and PortSet: a rule header's address or port expression
// ("any", "[10.0.0.0/8,!10.1.0.0/16]", "$HOME_NET", "[80,443,1024:]") resolved
// into sorted, disjoint, inclusive ranges, so a lookup is a binary search and
// negation and nesting are plain set arithmetic done once at load time.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/ip_address.h"

namespace kagami::rules {

struct IpRange {
  IpAddress lo, hi;  // inclusive; IPv4 lives in the IPv4-mapped block
  bool operator==(const IpRange&) const = default;
};

class AddressSet {
 public:
  static AddressSet Any();
  // Builds from arbitrary ranges: sorts and merges them.
  static AddressSet FromRanges(std::vector<IpRange> ranges);
  bool is_any() const { return any_; }
  bool empty() const { return !any_ && ranges_.empty(); }
  bool Contains(const IpAddress& a) const;
  const std::vector<IpRange>& ranges() const { return ranges_; }  // empty when any
  AddressSet Complement() const;
  AddressSet Union(const AddressSet& o) const;
  AddressSet Minus(const AddressSet& o) const;

 private:
  bool any_ = false;
  std::vector<IpRange> ranges_;
};

class PortSet {
 public:
  static PortSet Any();
  static PortSet FromRanges(std::vector<std::pair<uint16_t, uint16_t>> ranges);
  bool is_any() const { return any_; }
  bool empty() const { return !any_ && ranges_.empty(); }
  bool Contains(uint16_t port) const;
  const std::vector<std::pair<uint16_t, uint16_t>>& ranges() const { return ranges_; }
  PortSet Complement() const;
  PortSet Union(const PortSet& o) const;
  PortSet Minus(const PortSet& o) const;

 private:
  bool any_ = false;
  std::vector<std::pair<uint16_t, uint16_t>> ranges_;  // inclusive, sorted, disjoint
};

}  // namespace kagami::rules
