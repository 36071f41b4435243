#include "engine/detect/rule_compiler.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/app/app_proto.h"

namespace kagami::detect {
namespace {

using rules::DetectStep;

struct VarTable {
  absl::flat_hash_map<std::string, int16_t> slots;
  absl::StatusOr<Operand> Resolve(const rules::IntOrVar& v) const {
    Operand o;
    if (!v.is_var()) {
      o.value = v.value;
      return o;
    }
    auto it = slots.find(v.var);
    if (it == slots.end()) return absl::InvalidArgumentError(absl::StrCat("unknown byte_extract variable '", v.var, "'"));
    o.var = it->second;
    return o;
  }
};

absl::StatusOr<std::optional<Operand>> ResolveOpt(const VarTable& vars, const std::optional<rules::IntOrVar>& v) {
  if (!v) return std::optional<Operand>();
  auto o = vars.Resolve(*v);
  if (!o.ok()) return o.status();
  return std::optional<Operand>(*o);
}

absl::StatusOr<char> ByteTestOp(const std::string& op, bool* negate) {
  if (op == "<") return '<';
  if (op == ">") return '>';
  if (op == "=") return '=';
  if (op == "<=") return 'l';
  if (op == ">=") return 'g';
  if (op == "&") return '&';
  if (op == "^") return '^';
  if (op == "!=" || op == "!") {
    *negate = !*negate;
    return '=';
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported byte_test operator '", op, "'"));
}

bool UsesCursor(const StepOp& op) {
  return std::visit(
      [](const auto& s) -> bool {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, ContentStep>) return s.relative();
        else if constexpr (std::is_same_v<T, BsizeStep>) return false;
        else return s.relative;
      },
      op);
}

void VarsUsed(const StepOp& op, std::vector<int16_t>* out) {
  auto add = [&](const Operand& o) {
    if (o.var >= 0) out->push_back(o.var);
  };
  auto add_opt = [&](const std::optional<Operand>& o) {
    if (o) add(*o);
  };
  std::visit(
      [&](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, ContentStep>) {
          add_opt(s.offset);
          add_opt(s.depth);
          add_opt(s.distance);
          add_opt(s.within);
        } else if constexpr (std::is_same_v<T, ByteTestStep>) {
          add(s.value);
          add(s.offset);
          if (s.nbytes_var >= 0) out->push_back(s.nbytes_var);
        } else if constexpr (std::is_same_v<T, ByteJumpStep>) {
          add(s.offset);
          if (s.nbytes_var >= 0) out->push_back(s.nbytes_var);
        } else if constexpr (std::is_same_v<T, IsDataAtStep>) {
          add(s.offset);
        }
      },
      op);
}

// The content marked fast_pattern, else the longest positive content (first
// on ties), among the steps in app buffers (`in_app`) or in the packet buffer.
// With `cr`, fast_pattern:only makes the chosen step a presence check.
std::optional<FastPattern> ChooseFastPattern(const rules::Rule& rule, const std::vector<app::BufferId>& step_buffers,
                                             const std::vector<size_t>& position, bool in_app, CompiledRule* cr) {
  int chosen = -1;
  size_t best_len = 0;
  for (size_t i = 0; i < rule.steps.size(); ++i) {
    const auto* c = std::get_if<rules::ContentOption>(&rule.steps[i].option);
    if (!c || c->negated || c->bytes.empty()) continue;
    if ((step_buffers[i] != app::kBufPacket) != in_app) continue;
    if (c->fast_pattern) {
      chosen = static_cast<int>(i);
      break;
    }
    if (c->bytes.size() > best_len) {
      best_len = c->bytes.size();
      chosen = static_cast<int>(i);
    }
  }
  if (chosen < 0) return std::nullopt;
  const auto& c = std::get<rules::ContentOption>(rule.steps[chosen].option);
  FastPattern fp;
  fp.bytes = c.bytes;
  fp.nocase = c.nocase;
  fp.step = position[chosen];
  fp.buffer = step_buffers[chosen];
  if (c.fast_pattern_chop) {
    const auto [off, len] = *c.fast_pattern_chop;
    if (off < fp.bytes.size()) fp.bytes = fp.bytes.substr(off, len);
  }
  if (cr && c.fast_pattern_only && !c.fast_pattern_chop) {
    std::get<ContentStep>(cr->steps[fp.step].op).check_only = true;
  }
  if (fp.bytes.empty()) return std::nullopt;
  return fp;
}

}  // namespace

bool ProtocolClasses(const std::string& protocol, ClassMask* classes) {
  const std::string p = absl::AsciiStrToLower(protocol);
  if (p == "ip" || p == "pkthdr") *classes = kAllClasses;
  else if (p == "tcp" || p == "tcp-pkt" || p == "tcp-stream") *classes = 1u << kClassTcp;
  else if (p == "udp") *classes = 1u << kClassUdp;
  else if (p == "icmp") *classes = (1u << kClassIcmp4) | (1u << kClassIcmp6);
  else if (p == "icmpv4") *classes = 1u << kClassIcmp4;
  else if (p == "icmpv6") *classes = 1u << kClassIcmp6;
  else if (p == "sctp") *classes = 1u << kClassOtherIp;
  else return false;
  return true;
}

absl::StatusOr<RuleCompileResult> CompileRule(const rules::Rule& rule,
                                              std::vector<PcreCodePtr>* pcre_codes,
                                              FlowVarNames* names, PcreBatch* batch) {
  RuleCompileResult out;
  CompiledRule& cr = out.rule;
  const std::string proto = absl::AsciiStrToLower(rule.protocol);
  if (!ProtocolClasses(proto, &cr.classes)) {
    app::AppProto ap;
    if (app::AppProtoByName(proto, &ap) && ap != app::AppProto::kFailed) {
      // http and tls run over TCP; DNS over UDP and TCP.
      cr.app_proto = ap;
      cr.classes = ap == app::AppProto::kDns ? (1u << kClassTcp) | (1u << kClassUdp) : 1u << kClassTcp;
    } else {
      out.waiting_for_app_layer = true;
    }
  }
  if (!rule.app_protocol.empty()) {
    app::AppProto ap = app::AppProto::kUnknown;
    app::AppProtoByName(rule.app_protocol, &ap);  // the parser accepted only known names
    if (cr.app_proto != app::AppProto::kUnknown && cr.app_proto != ap && !rule.app_protocol_negated) {
      return absl::InvalidArgumentError(absl::StrCat("app-layer-protocol:", rule.app_protocol,
                                                     " contradicts the rule's protocol ", proto));
    }
    cr.app_proto = ap;
    cr.app_proto_negated = rule.app_protocol_negated;
  }
  if (proto == "tcp-stream") cr.require_stream = true;
  if (proto == "tcp-pkt") cr.forbid_stream = true;
  if (proto == "sctp") cr.required_ip_proto = 132;
  cr.src = AddressMatcher::From(rule.src_addr);
  cr.dst = AddressMatcher::From(rule.dst_addr);
  cr.sport = PortMatcher::From(rule.src_port);
  cr.dport = PortMatcher::From(rule.dst_port);
  cr.bidirectional = rule.bidirectional;
  cr.flow = rule.flow;
  cr.has_threshold =
      rule.threshold.has_value() || rule.detection_filter.has_value() || !rule.suppressions.empty();
  bool sets = false, reads = false;
  for (const auto& fb : rule.flowbits) {
    using C = rules::FlowbitsOption::Command;
    if (fb.command == C::kNoAlert) {
      cr.noalert = true;
      continue;
    }
    FlowbitOp op;
    op.command = fb.command;
    op.any_of = fb.any_of;
    for (const std::string& name : fb.names) {
      op.bits.push_back(names->bits.try_emplace(name, static_cast<uint32_t>(names->bits.size())).first->second);
    }
    const bool check = fb.command == C::kIsSet || fb.command == C::kIsNotSet;
    (check ? reads : sets) = true;
    (check ? cr.flowbit_checks : cr.flowbit_actions).push_back(std::move(op));
  }
  cr.flowbits_rank = sets && !reads ? 0 : sets ? 1 : reads ? 2 : 3;
  auto intern_int = [names](const std::string& n) {
    return names->ints.try_emplace(n, static_cast<uint32_t>(names->ints.size())).first->second;
  };
  bool int_sets = false, int_reads = false;
  for (const rules::FlowintOption& fi : rule.flowints) {
    FlowintOp op;
    op.op = fi.op;
    op.var = intern_int(fi.name);
    op.value = fi.value;
    if (!fi.value_var.empty()) op.value_var = static_cast<int32_t>(intern_int(fi.value_var));
    (fi.is_condition() ? int_reads : int_sets) = true;
    (fi.is_condition() ? cr.flowint_checks : cr.flowint_actions).push_back(op);
  }
  cr.flowint_rank = int_sets && !int_reads ? 0 : int_sets ? 1 : int_reads ? 2 : 3;
  if (rule.flow) {
    if (rule.flow->only_stream) cr.require_stream = true;
    if (rule.flow->no_stream) cr.forbid_stream = true;
  }
  // dsize is about one packet's payload, so such rules only see packets.
  if (rule.header.dsize) cr.forbid_stream = true;

  VarTable vars;
  std::vector<app::BufferId> step_buffers;
  for (const DetectStep& ds : rule.steps) {
    app::BufferId buffer = app::kBufPacket;
    if (!app::BufferByName(ds.buffer, &buffer)) {
      out.waiting_for_app_layer = true;  // a buffer no parser fills yet
    } else if (buffer != app::kBufPacket) {
      const app::AppProto need = app::GetBufferInfo(buffer).proto;
      if (cr.app_proto == app::AppProto::kUnknown && !cr.app_proto_negated) {
        cr.app_proto = need;
        cr.classes &= need == app::AppProto::kDns ? (1u << kClassTcp) | (1u << kClassUdp) : 1u << kClassTcp;
      } else if (cr.app_proto != need || cr.app_proto_negated) {
        return absl::InvalidArgumentError(absl::StrCat(ds.buffer, " is a ", std::string(app::AppProtoName(need)),
                                                       " buffer, but the rule is for ",
                                                       cr.app_proto_negated ? "not " : "",
                                                       std::string(app::AppProtoName(cr.app_proto))));
      }
      cr.tx_rule = true;
      cr.tx_buffers |= uint64_t{1} << buffer;
    }
    step_buffers.push_back(buffer);
    CompiledStep cs;
    absl::Status err = std::visit(
        [&](const auto& opt) -> absl::Status {
          using T = std::decay_t<decltype(opt)>;
          if constexpr (std::is_same_v<T, rules::ContentOption>) {
            ContentStep c;
            c.nocase = opt.nocase;
            c.pattern = opt.nocase ? absl::AsciiStrToLower(opt.bytes) : opt.bytes;
            c.negated = opt.negated;
            c.startswith = opt.startswith;
            c.endswith = opt.endswith;
            auto o = ResolveOpt(vars, opt.offset);
            auto d = ResolveOpt(vars, opt.depth);
            auto di = ResolveOpt(vars, opt.distance);
            auto w = ResolveOpt(vars, opt.within);
            for (const auto* r : {&o, &d, &di, &w}) {
              if (!r->ok()) return r->status();
            }
            c.offset = *o;
            c.depth = *d;
            c.distance = *di;
            c.within = *w;
            if (c.startswith && !c.offset) c.offset = Operand{0, -1};
            cs.op = std::move(c);
          } else if constexpr (std::is_same_v<T, rules::PcreOption>) {
            auto code = batch ? batch->Take(opt) : CompilePcre(opt);
            if (!code.ok()) return code.status();
            PcreStep p;
            p.code = reinterpret_cast<const pcre2_real_code_8*>(code->get());
            p.negated = opt.negated;
            p.relative = opt.relative || opt.flags.find('R') != std::string::npos;
            p.unlimited = opt.match_limit_override || opt.flags.find('O') != std::string::npos;
            pcre_codes->push_back(std::move(*code));
            cs.op = p;
          } else if constexpr (std::is_same_v<T, rules::ByteTestOption>) {
            ByteTestStep b;
            b.nbytes = opt.nbytes;
            if (!opt.nbytes_var.empty()) {
              auto count = vars.Resolve(rules::IntOrVar{0, opt.nbytes_var});
              if (!count.ok()) return count.status();
              b.nbytes_var = count->var;
            }
            b.negated = opt.op_negated;
            auto op = ByteTestOp(opt.op, &b.negated);
            if (!op.ok()) return op.status();
            b.op = *op;
            auto v = vars.Resolve(opt.value);
            auto off = vars.Resolve(opt.offset);
            if (!v.ok()) return v.status();
            if (!off.ok()) return off.status();
            b.value = *v;
            b.offset = *off;
            b.relative = opt.relative;
            b.endian = opt.endian;
            b.base = opt.base;
            b.bitmask = opt.bitmask.value_or(0);
            cs.op = b;
          } else if constexpr (std::is_same_v<T, rules::ByteJumpOption>) {
            ByteJumpStep b;
            b.nbytes = opt.nbytes;
            if (!opt.nbytes_var.empty()) {
              auto count = vars.Resolve(rules::IntOrVar{0, opt.nbytes_var});
              if (!count.ok()) return count.status();
              b.nbytes_var = count->var;
            }
            auto off = vars.Resolve(opt.offset);
            if (!off.ok()) return off.status();
            b.offset = *off;
            b.relative = opt.relative;
            b.multiplier = opt.multiplier == 0 ? 1 : opt.multiplier;
            b.endian = opt.endian;
            b.base = opt.base;
            b.align = opt.align;
            b.from_beginning = opt.from_beginning;
            b.from_end = opt.from_end;
            b.post_offset = opt.post_offset;
            b.bitmask = opt.bitmask.value_or(0);
            cs.op = b;
          } else if constexpr (std::is_same_v<T, rules::ByteExtractOption>) {
            ByteExtractStep b;
            b.nbytes = opt.nbytes;
            b.offset = opt.offset;
            b.relative = opt.relative;
            b.multiplier = opt.multiplier == 0 ? 1 : opt.multiplier;
            b.endian = opt.endian;
            b.base = opt.base;
            b.align = opt.align;
            b.bitmask = opt.bitmask.value_or(0);
            auto [it, inserted] = vars.slots.try_emplace(opt.name, static_cast<int16_t>(vars.slots.size()));
            b.slot = it->second;
            cs.op = b;
          } else if constexpr (std::is_same_v<T, rules::IsDataAtOption>) {
            IsDataAtStep d;
            auto off = vars.Resolve(opt.offset);
            if (!off.ok()) return off.status();
            d.offset = *off;
            d.relative = opt.relative;
            d.negated = opt.negated;
            cs.op = d;
          } else if constexpr (std::is_same_v<T, rules::BsizeOption>) {
            cs.op = BsizeStep{opt.check};
          }
          return absl::OkStatus();
        },
        ds.option);
    if (!err.ok()) return err;
    cr.steps.push_back(std::move(cs));
  }
  cr.var_count = static_cast<uint16_t>(vars.slots.size());

  // Group the steps by buffer: the packet's first, then app buffers in order
  // of first use. position[i] is where rule step i ends up.
  std::vector<app::BufferId> order;
  if (std::find(step_buffers.begin(), step_buffers.end(), app::kBufPacket) != step_buffers.end()) {
    order.push_back(app::kBufPacket);
  }
  for (app::BufferId b : step_buffers) {
    if (std::find(order.begin(), order.end(), b) == order.end()) order.push_back(b);
  }
  std::vector<size_t> position(cr.steps.size());
  {
    std::vector<CompiledStep> grouped;
    grouped.reserve(cr.steps.size());
    for (app::BufferId b : order) {
      StepGroup g;
      g.buffer = b;
      g.first = static_cast<uint16_t>(grouped.size());
      for (size_t i = 0; i < cr.steps.size(); ++i) {
        if (step_buffers[i] != b) continue;
        position[i] = grouped.size();
        grouped.push_back(std::move(cr.steps[i]));
      }
      g.count = static_cast<uint16_t>(grouped.size() - g.first);
      cr.groups.push_back(g);
    }
    cr.steps = std::move(grouped);
  }

  // Backtracking hints, within each group. A variable defined in an earlier
  // group is a constant by the time a later group runs.
  std::vector<int> defined_at(cr.var_count, -1);
  for (size_t i = 0; i < cr.steps.size(); ++i) {
    if (const auto* b = std::get_if<ByteExtractStep>(&cr.steps[i].op)) {
      if (defined_at[b->slot] < 0) defined_at[b->slot] = static_cast<int>(i);
    }
  }
  for (const StepGroup& g : cr.groups) {
    const size_t begin = g.first, end = g.first + g.count;
    for (size_t i = begin; i < end; ++i) {
      cr.steps[i].next_relative = i + 1 < end && UsesCursor(cr.steps[i + 1].op);
      bool independent = !UsesCursor(cr.steps[i].op);
      for (size_t k = i; independent && k < end; ++k) {
        std::vector<int16_t> used;
        VarsUsed(cr.steps[k].op, &used);
        for (int16_t v : used) {
          if (defined_at[v] >= static_cast<int>(begin) && defined_at[v] < static_cast<int>(i)) independent = false;
        }
      }
      cr.steps[i].independent_suffix = independent;
    }
  }

  // Directions a transaction rule is inspected in: a response buffer makes
  // it a to_client rule (request buffers are still there to look back at);
  // request buffers alone make it to_server; buffers of both sides
  // (http.header, file.data) follow the flow keyword, else both directions.
  // So `flow:to_client; http.uri; ...; file.data; ...` inspects the response
  // body of the request whose URI matched.
  if (cr.tx_rule) {
    uint8_t sides = app::kSideEither;
    bool request_only = false, response_only = false, either_side = false;
    for (app::BufferId b : order) {
      const app::BufferSide side = app::GetBufferInfo(b).side;
      request_only |= side == app::kSideToServer;
      response_only |= side == app::kSideToClient;
      either_side |= side == app::kSideEither && b != app::kBufPacket;
    }
    const bool flow_to_client = rule.flow && rule.flow->to_client;
    if (response_only || (request_only && either_side && flow_to_client)) sides = app::kSideToClient;
    else if (request_only) sides = app::kSideToServer;
    if (rule.flow && rule.flow->to_server) sides &= app::kSideToServer;
    if (rule.flow && rule.flow->to_client) sides &= app::kSideToClient;
    cr.tx_sides = sides;
    if (sides == 0) out.waiting_for_app_layer = true;  // e.g. http.stat_code with flow:to_server
  }

  // Fast pattern: the content marked fast_pattern, else the longest positive
  // content (first on ties). Packet rules take it from the packet buffer,
  // transaction rules from an app buffer; a transaction rule's packet steps
  // get one of their own (from the packet buffer, by the same choice).
  if (!out.waiting_for_app_layer) {
    out.fast_pattern = ChooseFastPattern(rule, step_buffers, position, cr.tx_rule, &cr);
    if (cr.tx_rule && cr.has_packet_steps()) {
      out.stream_fast_pattern = ChooseFastPattern(rule, step_buffers, position, false, nullptr);
    }
  }
  cr.never_matches = out.waiting_for_app_layer;
  return out;
}

}  // namespace kagami::detect
