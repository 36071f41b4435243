#pragma once
// CompiledRule: one rule lowered into what the hot path needs — packet class
// mask, header matchers, and a flat list of payload steps whose numbers are
// either constants or byte_extract variable slots.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/app/buffers.h"
#include "engine/detect/address_matcher.h"
#include "rules/rule.h"

struct pcre2_real_code_8;

namespace kagami::detect {

// The packet classes rules are grouped by. A packet belongs to exactly one.
enum PacketClass : uint8_t {
  kClassTcp = 0,
  kClassUdp,
  kClassIcmp4,
  kClassIcmp6,
  kClassOtherIp,  // IP packets with no decoded TCP/UDP/ICMP header (fragments, GRE, ...)
  kNumClasses
};
using ClassMask = uint8_t;
inline constexpr ClassMask kAllClasses = (1u << kNumClasses) - 1;

// A number from the rule, or a byte_extract variable slot.
struct Operand {
  int64_t value = 0;
  int16_t var = -1;
};

struct ContentStep {
  std::string pattern;  // lower-cased when nocase
  bool nocase = false, negated = false, startswith = false, endswith = false;
  bool check_only = false;  // fast_pattern:only: present anywhere, cursor unchanged
  std::optional<Operand> offset, depth, distance, within;
  bool relative() const { return distance.has_value() || within.has_value(); }
};

struct PcreStep {
  const pcre2_real_code_8* code = nullptr;  // owned by the engine
  bool negated = false, relative = false, unlimited = false;
};

struct ByteTestStep {
  uint32_t nbytes = 0;
  int16_t nbytes_var = -1;  // the count comes from a byte_extract slot
  char op = '=';      // < > = & ^, or 'l' (<=), 'g' (>=)
  bool negated = false;
  Operand value, offset;
  bool relative = false;
  rules::Endian endian = rules::Endian::kBig;
  rules::NumberBase base = rules::NumberBase::kBinary;
  uint64_t bitmask = 0;  // 0: none
};

struct ByteJumpStep {
  uint32_t nbytes = 0;
  int16_t nbytes_var = -1;  // the count comes from a byte_extract slot
  Operand offset;
  bool relative = false;
  uint32_t multiplier = 1;
  rules::Endian endian = rules::Endian::kBig;
  rules::NumberBase base = rules::NumberBase::kBinary;
  bool align = false, from_beginning = false, from_end = false;
  int64_t post_offset = 0;
  uint64_t bitmask = 0;
};

struct ByteExtractStep {
  uint32_t nbytes = 0;
  int64_t offset = 0;
  int16_t slot = 0;
  bool relative = false;
  uint32_t multiplier = 1;
  rules::Endian endian = rules::Endian::kBig;
  rules::NumberBase base = rules::NumberBase::kBinary;
  uint32_t align = 0;
  uint64_t bitmask = 0;
};

struct IsDataAtStep {
  Operand offset;
  bool relative = false, negated = false;
};

struct BsizeStep {
  rules::NumberCheck check;
};

using StepOp = std::variant<ContentStep, PcreStep, ByteTestStep, ByteJumpStep, ByteExtractStep,
                            IsDataAtStep, BsizeStep>;

// A flowbits condition (isset/isnotset, checked with the rule) or action
// (set/unset/toggle, applied when the rule matches), on interned bit indices.
struct FlowbitOp {
  rules::FlowbitsOption::Command command = rules::FlowbitsOption::Command::kSet;
  std::vector<uint32_t> bits;
  bool any_of = false;  // "a|b": one of them; else all of them
};

// A flowint condition or change on interned variable indices.
struct FlowintOp {
  rules::FlowintOption::Op op = rules::FlowintOption::Op::kAssign;
  uint32_t var = 0;
  int64_t value = 0;
  int32_t value_var = -1;  // compare with / add another flowint
};

struct CompiledStep {
  StepOp op;
  // The following step continues from this step's match end, so when it
  // fails this step is retried at its next occurrence (Suricata's
  // backtracking over content/pcre matches).
  bool next_relative = false;
  // This step and every later one depend on nothing before this step (no
  // relative cursor, no variable set earlier): if they fail, retrying earlier
  // matches cannot help and the whole rule fails at once.
  bool independent_suffix = false;
};

// The steps of one rule on one buffer: steps[first, first + count). Steps
// are grouped by buffer in order of first use; relative keywords continue
// from the previous step of the same buffer, as in Suricata.
struct StepGroup {
  app::BufferId buffer = app::kBufPacket;
  uint16_t first = 0, count = 0;
};

struct CompiledRule {
  uint32_t index = 0;  // into DetectEngine::rules()
  uint32_t order = 0;  // rank in alert order (action, priority, sid)
  ClassMask classes = 0;
  bool never_matches = false;  // waits for app layer / flow state
  bool noalert = false;        // flowbits:noalert: matches, counts, never alerts
  bool prefiltered = false;

  AddressMatcher src, dst;
  PortMatcher sport, dport;
  bool bidirectional = false;

  const rules::HeaderChecks* header = nullptr;  // null when empty
  std::vector<FlowbitOp> flowbit_checks, flowbit_actions;
  // Suricata evaluates rules that set flowbits before rules that read them,
  // so a bit set by one rule is visible to the next on the same packet:
  // 0 set only, 1 set and read, 2 read only, 3 no flowbits.
  uint8_t flowbits_rank = 3;
  std::vector<FlowintOp> flowint_checks, flowint_actions;
  uint8_t flowint_rank = 3;  // the same order for flowint, after flowbits
  std::optional<rules::FlowOption> flow;
  // Where payload steps look: packets, reassembled stream chunks, or both
  // (the default). tcp-stream / flow:only_stream require the stream;
  // tcp-pkt / flow:no_stream / dsize keep to packets.
  bool require_stream = false, forbid_stream = false;
  int16_t required_ip_proto = -1;  // e.g. 132 for sctp rules

  std::vector<CompiledStep> steps;  // grouped by buffer, see groups
  std::vector<StepGroup> groups;
  uint16_t var_count = 0;

  // Application layer. A rule on an app protocol (http, dns, tls, or
  // app-layer-protocol) matches only in flows detected as that protocol.
  // A transaction rule (one with a step on an app buffer) is inspected on
  // transactions, never on packets; the others are packet rules with that
  // protocol as one more condition.
  app::AppProto app_proto = app::AppProto::kUnknown;  // kUnknown: any
  bool app_proto_negated = false;                     // app-layer-protocol:!x
  bool tx_rule = false;
  uint64_t tx_buffers = 0;  // app buffers the rule needs (BufferId bits)
  uint8_t tx_sides = 0;     // app::BufferSide bits: directions it is inspected in
  bool has_packet_steps() const { return !groups.empty() && groups.front().buffer == app::kBufPacket; }
  bool has_threshold = false;
};

}  // namespace kagami::detect
