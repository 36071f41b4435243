// PipelinedSink: the target sees every call, in order, whatever the ring
// size; an early Finish or the destructor delivers everything queued.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/feeds/pipelined_sink.h"

namespace kagami::feeds {
namespace {

// Records each call as one line, from the thread it arrives on.
class RecordingSink : public IndicatorSink {
 public:
  std::vector<std::string> calls;
  void Add(const Indicator& i) override {
    std::string line = "add " + i.id + " " + i.name;
    for (const Clause& c : i.clauses)
      for (const Term& t : c.terms) line += " " + t.value;
    for (const std::string& l : i.labels) line += " #" + l;
    calls.push_back(line);
  }
  void Attribute(std::string_view id, AttributionKind kind, std::string_view name) override {
    calls.push_back("attr " + std::string(id) + " " + std::to_string(static_cast<int>(kind)) + " " +
                    std::string(name));
  }
  void AttributePlaced(const PlacedAttribution& a, const std::function<std::string(uint32_t)>& id_of) override {
    for (size_t p = 0; p < a.set_of.size(); ++p) {
      if (a.set_of[p] == PlacedAttribution::kNoSet) continue;
      for (const PlacedAttribution::Name& n : a.sets[a.set_of[p]]) {
        calls.push_back("placed #" + std::to_string(p) + " " + id_of(static_cast<uint32_t>(p)) + " " + n.name);
      }
    }
  }
};

// A feed-like call sequence: indicators whose fields shrink and grow (so
// slot reuse must not leave old bytes behind), with attributions mixed in.
// With `take` the indicators go out through Take, which may leave the
// slot's previous contents in `ind`: Clear() resets every field each time.
void Drive(IndicatorSink& sink, int n, bool take = false) {
  Indicator ind;
  for (int i = 0; i < n; ++i) {
    ind.Clear();
    ind.id = "indicator--" + std::to_string(i);
    ind.name = std::string(static_cast<size_t>(i % 7), 'n');
    ind.clauses.resize(static_cast<size_t>(1 + i % 3));
    for (size_t c = 0; c < ind.clauses.size(); ++c) {
      ind.clauses[c].terms.resize(1 + c);
      for (size_t t = 0; t < ind.clauses[c].terms.size(); ++t) {
        ind.clauses[c].terms[t].type = IndicatorType::kDomain;
        ind.clauses[c].terms[t].value = "d" + std::to_string(i) + "-" + std::to_string(c) + std::to_string(t);
      }
    }
    if (i % 5 == 0) ind.labels = {"l" + std::to_string(i)};
    const std::string id = ind.id;
    if (take) {
      sink.Take(&ind);
    } else {
      sink.Add(ind);
    }
    if (i % 3 == 0) sink.Attribute(id, AttributionKind::kMalware, "family-" + std::to_string(i));
  }
  // A reader's resolved attribution comes last; its arguments are gone once
  // the call returns, so the consumer must have applied it by then.
  {
    PlacedAttribution placed;
    placed.sets = {{{AttributionKind::kCampaign, "every fourth"}}};
    placed.set_of.assign(static_cast<size_t>(n), PlacedAttribution::kNoSet);
    for (int i = 0; i < n; i += 4) placed.set_of[static_cast<size_t>(i)] = 0;
    sink.AttributePlaced(placed, [](uint32_t p) { return "indicator--" + std::to_string(p); });
  }
}

TEST(PipelinedSink, TakenIndicatorsArriveLikeAddedOnes) {
  RecordingSink direct;
  Drive(direct, 5000);
  for (size_t slots : {0u, 200u, 4096u}) {
    RecordingSink target;
    PipelinedSink pipe(&target, slots);
    Drive(pipe, 5000, /*take=*/true);
    pipe.Finish();
    EXPECT_EQ(target.calls, direct.calls) << "ring of " << slots;
  }
  // A plain sink copies: the indicator is left as it was.
  RecordingSink plain;
  Indicator ind;
  ind.id = "indicator--1";
  plain.Take(&ind);
  EXPECT_EQ(ind.id, "indicator--1");
  EXPECT_EQ(plain.calls, std::vector<std::string>{"add indicator--1 "});
}

TEST(PipelinedSink, DeliversEveryCallInOrderWhateverTheRingSize) {
  RecordingSink direct;
  Drive(direct, 5000);
  for (size_t slots : {0u, 128u, 200u, 4096u}) {  // 0: the smallest ring
    RecordingSink target;
    {
      PipelinedSink pipe(&target, slots);
      Drive(pipe, 5000);
      pipe.Finish();
      EXPECT_EQ(target.calls, direct.calls) << "ring of " << slots;
    }
  }
}

TEST(PipelinedSink, DestructorDeliversWhatIsQueuedAndFinishTwiceIsHarmless) {
  RecordingSink direct, target;
  Drive(direct, 100);
  {
    PipelinedSink pipe(&target, 8);
    Drive(pipe, 100);
  }
  EXPECT_EQ(target.calls, direct.calls);

  RecordingSink none;
  PipelinedSink pipe(&none);
  pipe.Finish();
  pipe.Finish();
  EXPECT_TRUE(none.calls.empty());
}

}  // namespace
}  // namespace kagami::feeds
