#pragma once
// CollectingSink: an IndicatorSink that keeps every indicator as read, with
// STIX attribution merged in. For tests and `kagami rules check --intel`
// diagnostics, not for million-entry feeds (engine/intel keeps those compact).

#include <string_view>
#include <vector>

#include "rules/feeds/indicator.h"

namespace kagami::feeds {

class CollectingSink : public IndicatorSink {
 public:
  std::vector<Indicator> indicators;

  void Add(const Indicator& indicator) override { indicators.push_back(indicator); }
  void Attribute(std::string_view indicator_id, AttributionKind kind,
                 std::string_view name) override {
    for (Indicator& i : indicators) {
      if (i.id != indicator_id) continue;
      auto& list = kind == AttributionKind::kCampaign       ? i.campaigns
                   : kind == AttributionKind::kIntrusionSet ? i.intrusion_sets
                                                            : i.malware;
      list.emplace_back(name);
    }
  }
};

}  // namespace kagami::feeds
