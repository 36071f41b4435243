#pragma once
// Internal to rules/: RuleParser turns one logical rule into a Rule. The
// header lives in header_parser.cc, keyword handlers in option_parser.cc
// (metadata, flow, header checks), content_options.cc (content, modifiers,
// pcre, buffers) and byte_options.cc (byte_*, isdataat, bsize, urilen).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/classification.h"
#include "rules/rule.h"
#include "rules/rule_lexer.h"

namespace kagami::rules {

// Shared by every rule of one load: variables and what they resolved to.
struct ParseEnv {
  std::map<std::string, std::string, std::less<>> variables;
  const ClassificationTable* classifications = nullptr;
  std::map<std::string, AddressSet, std::less<>> address_cache;
  std::map<std::string, PortSet, std::less<>> port_cache;
};

class RuleParser {
 public:
  RuleParser(ParseEnv* env, std::string_view text, const SourceMap* map) : env_(env), text_(text), map_(map) {}

  // Parses the whole rule into *rule; on failure error() says why and where.
  bool Parse(Rule* rule);
  const LexError& error() const { return error_; }

  using Handler = bool (RuleParser::*)(const RawOption&, std::string_view arg);
  struct Keyword {
    Handler handler;
    std::string_view arg;  // e.g. the buffer a sticky keyword selects
  };
  // The keyword registry, filled once by RegisterAll().
  static const std::map<std::string_view, Keyword, std::less<>>& Keywords();

 private:
  static void RegisterAll(std::map<std::string_view, Keyword, std::less<>>* table);

  bool Fail(size_t offset, std::string message);
  bool NeedValue(const RawOption& o);
  bool NoValue(const RawOption& o);
  SourceLocation At(size_t offset) const { return map_->At(offset); }

  // header_parser.cc
  bool ParseHeader(const std::vector<Token>& header);
  bool ParseAddressExpr(const Token& t, AddressSet* out);
  bool ParsePortExpr(const Token& t, PortSet* out);

  // option_parser.cc
  bool Finish();
  bool ParseNumberCheck(std::string_view v, size_t offset, NumberCheck* out, bool allow_range);
  bool OptMsg(const RawOption& o, std::string_view);
  bool OptUint(const RawOption& o, std::string_view field);
  bool OptClasstype(const RawOption& o, std::string_view);
  bool OptPriority(const RawOption& o, std::string_view);
  bool OptReference(const RawOption& o, std::string_view);
  bool OptMetadata(const RawOption& o, std::string_view);
  bool OptTarget(const RawOption& o, std::string_view);
  bool OptAppLayerProtocol(const RawOption& o, std::string_view);
  bool OptHeaderNumber(const RawOption& o, std::string_view field);
  bool OptIpProto(const RawOption& o, std::string_view);
  bool OptFlags(const RawOption& o, std::string_view);
  bool OptFragbits(const RawOption& o, std::string_view);
  bool OptIpopts(const RawOption& o, std::string_view);
  bool OptFlow(const RawOption& o, std::string_view);
  bool OptFlowbits(const RawOption& o, std::string_view);
  bool OptFlowint(const RawOption& o, std::string_view);
  bool OptNoalert(const RawOption& o, std::string_view);
  bool OptThreshold(const RawOption& o, std::string_view kind);

  // content_options.cc
  bool OptContent(const RawOption& o, std::string_view buffer);
  bool OptContentFlag(const RawOption& o, std::string_view which);
  bool OptContentPosition(const RawOption& o, std::string_view which);
  bool OptFastPattern(const RawOption& o, std::string_view);
  bool OptPcre(const RawOption& o, std::string_view);
  bool OptStickyBuffer(const RawOption& o, std::string_view buffer);
  bool OptTlsVersion(const RawOption& o, std::string_view);
  bool OptDotprefix(const RawOption& o, std::string_view);
  bool OptLegacyBuffer(const RawOption& o, std::string_view buffer);
  bool DecodeContent(const Token& value, ContentOption* c);
  ContentOption* LastContent(const RawOption& o, DetectStep** step = nullptr);
  std::string StepBuffer(std::string_view buffer) const;

  // byte_options.cc
  bool OptByteTest(const RawOption& o, std::string_view);
  bool OptByteJump(const RawOption& o, std::string_view);
  bool OptByteExtract(const RawOption& o, std::string_view);
  bool OptIsdataat(const RawOption& o, std::string_view);
  bool OptBsize(const RawOption& o, std::string_view);
  bool OptUrilen(const RawOption& o, std::string_view);
  bool ParseIntOrVar(std::string_view v, size_t offset, bool allow_negative, IntOrVar* out);
  bool HasVar(std::string_view name) const;

  void AddStep(DetectOption option, size_t keyword_offset, std::string buffer);

  ParseEnv* env_;
  std::string_view text_;
  const SourceMap* map_;
  LexError error_;
  Rule* rule_ = nullptr;

  std::string sticky_buffer_;  // empty: the packet payload
  std::vector<std::string> byte_vars_;
  bool priority_given_ = false;
  bool sid_given_ = false;
  bool fast_pattern_used_ = false;
};

// Helpers shared by the option files.
bool ParseInt64(std::string_view s, int64_t* out);  // decimal or 0x hex, optional sign
bool ParseUint64(std::string_view s, uint64_t* out);
// Splits on ',' and trims; each piece keeps its offset (relative to the start of `s` + base).
std::vector<Token> SplitArgs(std::string_view s, size_t base, char sep = ',');

}  // namespace kagami::rules
