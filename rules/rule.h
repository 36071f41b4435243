#pragma once
// The rule model: what a Suricata/Snort rule says, parsed and checked but not
// compiled. engine/detect turns a RuleSet into matchers; nothing here knows
// about Hyperscan or packets.

#include <cstdint>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rules/address_set.h"
#include "rules/diagnostic.h"

namespace kagami::rules {

enum class Action : uint8_t { kAlert, kPass, kDrop, kReject };

// A number written in a rule, or the name of a byte_extract variable that
// supplies it at match time (offset:var, within:var, byte_test value var...).
struct IntOrVar {
  int64_t value = 0;
  std::string var;  // non-empty: use the variable's value
  bool is_var() const { return !var.empty(); }
};

// Integer comparison used by dsize, ttl, itype, icode, bsize, urilen, ...:
// "N", "!N", "<N", ">N", "<=N", ">=N", "N<>M" (exclusive range N < x < M,
// as in Suricata), "N-M" (inclusive, where the keyword allows it).
struct NumberCheck {
  enum class Op : uint8_t { kEq, kNe, kLt, kGt, kLe, kGe, kRangeExclusive, kRangeInclusive };
  Op op = Op::kEq;
  uint64_t a = 0, b = 0;
  bool Matches(uint64_t v) const;
};

// Named buffers a detection step inspects. "pkt" is the packet payload as
// Suricata's default content list sees it; app-layer buffers ("http.uri",
// "dns.query", ...) are added by later work and use the same model.
inline constexpr char kPayloadBuffer[] = "pkt";

struct ContentOption {
  std::string bytes;  // decoded: |hex| and escapes resolved
  bool negated = false;
  bool nocase = false;
  bool rawbytes = false;
  std::optional<IntOrVar> offset, depth, distance, within;
  bool startswith = false;  // = depth:len, offset:0 (anchored at start)
  bool endswith = false;    // the match must end at the buffer's end
  bool fast_pattern = false;
  bool fast_pattern_only = false;
  std::optional<std::pair<uint32_t, uint32_t>> fast_pattern_chop;  // offset, length
  bool relative() const { return distance.has_value() || within.has_value(); }
};

struct PcreOption {
  std::string pattern;   // the regex between the slashes
  std::string flags;     // as written after the closing slash, e.g. "smiR"
  uint32_t compile_options = 0;  // PCRE2_* bits from the standard flags
  bool negated = false;
  bool relative = false;         // R
  bool match_limit_override = false;  // O
};

enum class Endian : uint8_t { kBig, kLittle, kDce };
enum class NumberBase : uint8_t { kBinary, kDec, kHex, kOct };  // kBinary: raw bytes

struct ByteTestOption {
  uint32_t nbytes = 0;
  std::string nbytes_var;  // a byte_extract variable giving the byte count at match time
  std::string op;  // one of < > = <= >= & ^ (without the leading '!')
  bool op_negated = false;
  IntOrVar value;
  IntOrVar offset;
  bool relative = false;
  Endian endian = Endian::kBig;
  NumberBase base = NumberBase::kBinary;
  std::optional<uint64_t> bitmask;
};

struct ByteJumpOption {
  uint32_t nbytes = 0;
  std::string nbytes_var;  // a byte_extract variable giving the byte count at match time
  IntOrVar offset;
  bool relative = false;
  uint32_t multiplier = 1;
  Endian endian = Endian::kBig;
  NumberBase base = NumberBase::kBinary;
  bool align = false;
  bool from_beginning = false;
  bool from_end = false;
  int64_t post_offset = 0;
  std::optional<uint64_t> bitmask;
};

struct ByteExtractOption {
  uint32_t nbytes = 0;
  int64_t offset = 0;
  std::string name;
  bool relative = false;
  uint32_t multiplier = 1;
  Endian endian = Endian::kBig;
  NumberBase base = NumberBase::kBinary;
  uint32_t align = 0;  // 0, 2 or 4
  std::optional<uint64_t> bitmask;
};

struct IsDataAtOption {
  IntOrVar offset;
  bool relative = false;
  bool negated = false;
  bool rawbytes = false;
};

struct BsizeOption {
  NumberCheck check;
};

using DetectOption = std::variant<ContentOption, PcreOption, ByteTestOption, ByteJumpOption,
                                  ByteExtractOption, IsDataAtOption, BsizeOption>;

// One payload/buffer condition, in rule order. Relative options (distance,
// within, pcre R, byte_* relative, isdataat relative) continue from the end of
// the previous step's match in the same buffer.
struct DetectStep {
  std::string buffer = kPayloadBuffer;
  DetectOption option;
  SourceLocation location;
};

// TCP flags keyword: flags:[!|*|+]FSRPAUCE[,mask].
struct TcpFlagsCheck {
  enum class Mode : uint8_t { kExact, kPlus, kAny, kNot };
  Mode mode = Mode::kExact;
  uint8_t flags = 0;   // bits as in decode::TcpFlag; 0 with kExact means "no flags" (0)
  uint8_t ignore = 0;  // mask of bits ignored before comparing
};

// fragbits:[+*!]MDR.
struct FragBitsCheck {
  enum class Mode : uint8_t { kExact, kPlus, kAny, kNot };
  Mode mode = Mode::kExact;
  uint8_t bits = 0;  // 1 = M (more fragments), 2 = D (don't fragment), 4 = R (reserved)
};

// Conditions on packet headers, all of which must hold.
struct HeaderChecks {
  std::optional<NumberCheck> dsize, ttl, ip_proto, itype, icode, icmp_id, icmp_seq;
  std::optional<NumberCheck> tcp_seq, tcp_ack, window;
  std::optional<TcpFlagsCheck> flags;
  std::optional<FragBitsCheck> fragbits;
  std::optional<uint16_t> ipopts;  // a decode::Ipv4Option bit; kIpOptAny for "any"
  bool empty() const;
};

struct FlowOption {
  bool established = false, not_established = false, stateless = false;
  bool to_server = false, to_client = false;  // from_client = to_server, from_server = to_client
  bool only_stream = false, no_stream = false, only_frag = false, no_frag = false;
};

struct FlowbitsOption {
  enum class Command : uint8_t { kSet, kUnset, kToggle, kIsSet, kIsNotSet, kNoAlert };
  Command command = Command::kSet;
  std::vector<std::string> names;  // several for "a|b" (OR) or "a&b" (AND)
  bool any_of = false;             // names joined by '|'
};

// flowint: an integer per flow. =, +, - change it when the rule matches;
// the comparisons and isset/notset are conditions.
struct FlowintOption {
  enum class Op : uint8_t { kAssign, kAdd, kSub, kEq, kNe, kLt, kGt, kLe, kGe, kIsSet, kIsNotSet };
  std::string name;
  Op op = Op::kAssign;
  int64_t value = 0;
  std::string value_var;  // another flowint's name, used instead of `value`
  bool is_condition() const { return op != Op::kAssign && op != Op::kAdd && op != Op::kSub; }
};

struct ThresholdOption {
  enum class Type : uint8_t { kLimit, kThreshold, kBoth, kDetectionFilter, kBackoff };
  enum class Track : uint8_t { kBySrc, kByDst, kByRule, kByBoth, kByFlow };
  Type type = Type::kLimit;
  Track track = Track::kBySrc;
  uint32_t count = 0;
  uint32_t seconds = 0;
  // backoff: alert on match count, count*m, count*m^2, ... (no time window).
  uint32_t multiplier = 0;
  // detection_filter unique_on: count distinct ports instead of matches.
  enum class UniqueOn : uint8_t { kNone, kSrcPort, kDstPort };
  UniqueOn unique_on = UniqueOn::kNone;
};

// A threshold.config "suppress" entry attached to a rule (rules/threshold_config.h):
// kAll: the rule never alerts (it still matches, counts and sets flowbits);
// otherwise alerts whose source (kBySrc), destination (kByDst) or either
// address (kByEither) is in `addresses` are not logged.
struct Suppression {
  enum class Track : uint8_t { kAll, kBySrc, kByDst, kByEither };
  Track track = Track::kAll;
  AddressSet addresses;     // unused for kAll
  SourceLocation location;  // the threshold.config line
};

struct Reference {
  std::string system;  // "url", "cve", ...
  std::string id;
};

struct Rule {
  Action action = Action::kAlert;
  std::string protocol;  // lower case: ip, tcp, udp, icmp, pkthdr, http, dns, tls, ...
  AddressSet src_addr, dst_addr;
  PortSet src_port, dst_port;
  bool bidirectional = false;  // "<>"

  uint32_t gid = 1, sid = 0, rev = 0;
  std::string msg;
  std::string classtype;
  std::string category;  // the classtype's description, for EVE alert.category
  int priority = 3;      // explicit priority, else the classtype's, else 3
  std::vector<Reference> references;
  std::vector<std::pair<std::string, std::string>> metadata;  // key, value
  std::string target;    // "src_ip", "dest_ip" or empty
  // app-layer-protocol:[!]name (lower case; empty when absent).
  std::string app_protocol;
  bool app_protocol_negated = false;

  HeaderChecks header;
  std::optional<FlowOption> flow;
  std::vector<FlowbitsOption> flowbits;
  std::vector<FlowintOption> flowints;
  std::optional<ThresholdOption> threshold;
  std::optional<ThresholdOption> detection_filter;
  std::vector<Suppression> suppressions;  // from threshold.config; any one suppresses
  std::vector<DetectStep> steps;

  SourceLocation location;
  std::string text;  // the rule as written (continuation lines joined)
};

struct Classification {
  std::string name, description;
  int priority = 3;
};

struct IndicatorTuning;  // rules/threshold_config.h

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<Diagnostic> diagnostics;  // errors for rejected rules, warnings
  // Variables some rule's header referred to (names without '$'), directly
  // or through another variable: a --var nobody reads is likely a typo.
  std::set<std::string, std::less<>> variables_used;
  // The threshold file's entries for indicator alerts (gen_id 9000), which
  // the engine compiled from this set carries to every scanner; null: none.
  std::shared_ptr<const IndicatorTuning> indicator_tuning;
  size_t error_count() const;
};

}  // namespace kagami::rules
