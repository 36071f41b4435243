#pragma once
// IntelMatcher: holds a worker's view of the loaded indicator feeds and asks
// them the questions traffic raises: a new flow's two addresses (once per
// flow, not per packet), and each transaction's fields as the app layer
// completes them (HTTP request headers and body digests, DNS query and
// answers, TLS hellos and certificate). Each indicator alerts at most once
// per flow.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/app/app_layer.h"
#include "engine/flow/flow.h"
#include "engine/intel/intel_store.h"
#include "rules/threshold_config.h"

namespace kagami::pipeline {

struct IntelMatch {
  intel::Hit hit;
  // The value as seen in traffic (a name, URL key, hash...); for addresses
  // empty (the record's src_ip/dest_ip say it). Valid until the next call.
  std::string_view observed;
};

class IntelMatcher {
 public:
  void set_store(std::shared_ptr<const intel::IntelStore> store);
  const intel::IntelStore* store() const { return store_.get(); }
  // For what outlives this call: an alert the writer decides keeps the store.
  const std::shared_ptr<const intel::IntelStore>& shared_store() const { return store_; }
  bool active() const { return store_ && !store_->empty(); }

  // A flow's first packet: its client and server addresses.
  std::span<const IntelMatch> OnFlowStart(const flow::Flow& f);
  // An app-layer update: the fields that became known since the last one.
  std::span<const IntelMatch> OnTransaction(const flow::Flow& f, const app::TxUpdate& u);
  // The flow is gone: its slot's reported set starts empty for the next one.
  void OnFlowEnd(const flow::Flow& f);

  uint64_t lookups() const { return lookups_; }

 private:
  void Check(const flow::Flow& f, intel::Where where, std::string_view value);
  void FactsFor(const flow::Flow& f);
  // A field of the current event, for clauses with more than one term.
  void SetValue(intel::Where where, std::string_view value);
  void CheckHttp(const flow::Flow& f, const app::TxUpdate& u);
  void CheckDigests(const flow::Flow& f, const app::http::BodyDigest& d);
  void CheckDns(const flow::Flow& f, const app::TxUpdate& u);
  void CheckTls(const flow::Flow& f, const app::TxUpdate& u);
  // What a flow remembers of a reported indicator: its sid and feed, both
  // stable across reloads (its index in a store is not).
  uint64_t ReportKey(uint32_t indicator) const;
  // True the first time the indicator with this key fires on the flow in
  // `slot`.
  bool FirstInFlow(uint32_t slot, uint64_t key);

  std::shared_ptr<const intel::IntelStore> store_;
  intel::Facts facts_;
  uint32_t values_set_ = 0;  // bit per Where: facts_.values set since FactsFor
  std::vector<intel::Hit> hits_;
  std::vector<IntelMatch> matches_;
  // Sids of the indicators already reported, by flow slot (small: usually
  // empty).
  std::vector<std::vector<uint64_t>> reported_;
  std::string url_joined_, url_key_;
  // Names of the DNS message being checked (views into it).
  std::vector<std::string_view> dns_names_;
  // Certificate fingerprints without their ':' separators.
  std::string hex_sha1_, hex_sha256_;
  uint64_t lookups_ = 0;
};

// rules::CheckIndicatorSids against the indicators of `store` (null: none
// loaded): a warning for each gen_id 9000 entry of a threshold file whose
// sid no loaded rule or indicator has. For a command that loaded both the
// engine (its tuning: DetectEngine::indicator_tuning) and the feeds.
std::vector<rules::Diagnostic> CheckIndicatorSids(const rules::IndicatorTuning& tuning,
                                                  const intel::IntelStore* store);

}  // namespace kagami::pipeline
