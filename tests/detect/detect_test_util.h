#pragma once
// Helpers for detect tests: compile rules from text, build decoded packets
// by hand (no decoder needed), and collect the sids that alert.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/decode/packet.h"
#include "engine/detect/detect_engine.h"
#include "gtest/gtest.h"
#include "rules/rule_loader.h"

namespace kagami::detect::testing {

// A decoded packet that owns its payload bytes and capture view.
struct TestPacket {
  std::string payload;
  uint8_t l4_header[64] = {};
  capture::PacketView view;
  decode::Packet p;

  TestPacket() = default;
  TestPacket(const TestPacket&) = delete;
  TestPacket& operator=(const TestPacket&) = delete;

  // Re-points payload/view after the payload string changed.
  void Fix() {
    p.payload = payload.empty() ? nullptr : reinterpret_cast<const uint8_t*>(payload.data());
    p.payload_len = static_cast<uint32_t>(payload.size());
    p.view = &view;
  }
  TestPacket& At(int64_t seconds) {
    view.ts_ns = seconds * 1'000'000'000;
    return *this;
  }
};

inline std::unique_ptr<TestPacket> MakeIp(std::string_view src, std::string_view dst, uint8_t proto,
                                          std::string_view payload) {
  auto t = std::make_unique<TestPacket>();
  t->payload = std::string(payload);
  t->p.src = *IpAddress::Parse(src);
  t->p.dst = *IpAddress::Parse(dst);
  t->p.ip_version = t->p.src.is_v4() ? 4 : 6;
  t->p.ip_proto = proto;
  t->p.ttl = 64;
  t->Fix();
  return t;
}

inline std::unique_ptr<TestPacket> MakeTcp(std::string_view src, uint16_t sport, std::string_view dst,
                                           uint16_t dport, std::string_view payload, uint8_t flags = 0x18) {
  auto t = MakeIp(src, dst, 6, payload);
  t->p.l4 = t->l4_header;
  t->p.l4_len = 20 + t->p.payload_len;
  t->p.src_port = sport;
  t->p.dst_port = dport;
  t->p.tcp_flags = flags;
  t->p.tcp_seq = 1000;
  t->p.tcp_ack = 2000;
  t->p.tcp_window = 65535;
  return t;
}

inline std::unique_ptr<TestPacket> MakeUdp(std::string_view src, uint16_t sport, std::string_view dst,
                                           uint16_t dport, std::string_view payload) {
  auto t = MakeIp(src, dst, 17, payload);
  t->p.l4 = t->l4_header;
  t->p.l4_len = 8 + t->p.payload_len;
  t->p.src_port = sport;
  t->p.dst_port = dport;
  return t;
}

inline std::unique_ptr<TestPacket> MakeIcmp(std::string_view src, std::string_view dst, uint8_t type,
                                            uint8_t code, std::string_view payload = "") {
  auto t = MakeIp(src, dst, 1, payload);
  if (!t->p.src.is_v4()) t->p.ip_proto = 58;
  t->p.l4 = t->l4_header;
  t->p.l4_len = 8 + t->p.payload_len;
  t->p.icmp_type = type;
  t->p.icmp_code = code;
  t->p.icmp_has_id = type == 0 || type == 8 || (type >= 13 && type <= 18) || type == 128 || type == 129;
  t->p.icmp_id = 7;
  t->p.icmp_seq = 9;
  return t;
}

// Parses and compiles; fails the test on any parse or compile error.
inline std::shared_ptr<const DetectEngine> CompileText(std::string_view text,
                                                        const DetectOptions& options = {}) {
  rules::RuleSet set = rules::ParseRules(text, "<test>", rules::LoadOptions{});
  for (const auto& d : set.diagnostics) {
    if (d.severity == rules::Diagnostic::Severity::kError) ADD_FAILURE() << "parse: " << d.message;
  }
  std::vector<rules::Diagnostic> diags;
  auto engine = DetectEngine::Compile(set, options, &diags);
  EXPECT_TRUE(engine.ok()) << engine.status();
  for (const auto& d : diags) ADD_FAILURE() << "compile: " << d.message;
  return engine.ok() ? *engine : nullptr;
}

// Compiles rules, runs packets through one context.
class Harness {
 public:
  explicit Harness(std::string_view rules_text, const DetectOptions& options = {})
      : engine_(CompileText(rules_text, options)) {
    if (engine_) ctx_ = DetectContext::Create(engine_);
  }
  explicit Harness(std::shared_ptr<const DetectEngine> engine) : engine_(std::move(engine)) {
    if (engine_) ctx_ = DetectContext::Create(engine_);
  }
  bool ok() const { return ctx_ != nullptr; }
  const DetectEngine& engine() const { return *engine_; }
  DetectContext& ctx() { return *ctx_; }

  // Sids of the alerts, in alert order.
  std::vector<uint32_t> Sids(const TestPacket& t) {
    std::vector<uint32_t> sids;
    if (!ctx_) return sids;
    ctx_->Inspect(t.p, alerts_);
    for (const auto& a : alerts_) sids.push_back(a.rule->sid);
    return sids;
  }
  bool Fires(const TestPacket& t) { return !Sids(t).empty(); }
  // Sids for a packet of this harness's one flow (flowbits persist between
  // calls), optionally with reassembled stream data.
  std::vector<uint32_t> SidsInFlow(const TestPacket& t, const StreamData* stream = nullptr) {
    std::vector<uint32_t> sids;
    if (!ctx_) return sids;
    ctx_->Inspect(t.p, FlowContext{&flow_vars_, stream}, alerts_);
    for (const auto& a : alerts_) sids.push_back(a.rule->sid);
    return sids;
  }
  // Sids for a packet of a flow detected as `proto`.
  std::vector<uint32_t> SidsInAppFlow(const TestPacket& t, app::AppProto proto) {
    std::vector<uint32_t> sids;
    if (!ctx_) return sids;
    FlowContext fc{&flow_vars_, nullptr};
    fc.app_proto = proto;
    ctx_->Inspect(t.p, fc, alerts_);
    for (const auto& a : alerts_) sids.push_back(a.rule->sid);
    return sids;
  }
  // Sids for one inspection of a transaction (`state` carries what alerted
  // before) with `t` as the packet that completed the view's buffers.
  std::vector<uint32_t> SidsForTx(const TestPacket& t, const app::TxView& view, app::TxInspectState& state) {
    std::vector<uint32_t> sids;
    if (!ctx_) return sids;
    FlowContext fc{&flow_vars_, nullptr};
    fc.app_proto = view.proto();
    ctx_->InspectTx(t.p, fc, view, state, alerts_);
    for (const auto& a : alerts_) sids.push_back(a.rule->sid);
    return sids;
  }
  flow::FlowVars& flow_vars() { return flow_vars_; }
  const std::vector<Alert>& alerts() const { return alerts_; }

 private:
  std::shared_ptr<const DetectEngine> engine_;
  std::unique_ptr<DetectContext> ctx_;
  std::vector<Alert> alerts_;
  flow::FlowVars flow_vars_;
};

// One rule with the given options over tcp any -> any; true if it fires on
// a tcp packet carrying `payload`.
inline bool TcpRuleMatches(std::string_view options, std::string_view payload) {
  std::string text = "alert tcp any any -> any any (msg:\"t\"; " + std::string(options) + " sid:1;)";
  Harness h(text);
  EXPECT_TRUE(h.ok()) << text;
  auto pkt = MakeTcp("10.0.0.1", 1234, "10.0.0.2", 80, payload);
  return h.Fires(*pkt);
}

}  // namespace kagami::detect::testing
