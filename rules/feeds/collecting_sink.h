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
      if (i.id == indicator_id) Name(&i, kind, name);
    }
  }
  // Indicators are kept in the order added: a place is an index.
  void AttributePlaced(const PlacedAttribution& a,
                       const std::function<std::string(uint32_t)>& id_of) override {
    for (size_t p = 0; p < a.set_of.size() && p < indicators.size(); ++p) {
      if (a.set_of[p] == PlacedAttribution::kNoSet) continue;
      const std::string id = id_of(static_cast<uint32_t>(p));
      for (const PlacedAttribution::Name& n : a.sets[a.set_of[p]]) {
        if (indicators[p].id == id) {
          Name(&indicators[p], n.kind, n.name);
        } else {
          Attribute(id, n.kind, n.name);  // counted differently: found by id
        }
      }
    }
  }

 private:
  static void Name(Indicator* i, AttributionKind kind, std::string_view name) {
    auto& list = kind == AttributionKind::kCampaign       ? i->campaigns
                 : kind == AttributionKind::kIntrusionSet ? i->intrusion_sets
                                                          : i->malware;
    list.emplace_back(name);
  }
};

}  // namespace kagami::feeds
