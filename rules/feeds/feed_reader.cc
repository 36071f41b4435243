#include "rules/feeds/feed_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/ip_address.h"
#include "rules/feeds/csv_reader.h"
#include "rules/feeds/normalize.h"
#include "rules/feeds/stix_reader.h"
#include "rules/feeds/zeek_intel_reader.h"

namespace kagami::feeds {
namespace {

constexpr size_t kDetectBytes = 64 * 1024;

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool ParseHex(std::string_view text, size_t hex_len, std::string_view what, Term* term,
              std::string* error) {
  // Fast path for the usual bare digest, written into the term's own buffer:
  // the same result NormalizeHexDigest gives, without its allocation.
  if (text.size() == hex_len) {
    bool plain = true;
    for (char c : text) plain = plain && IsHex(c);
    if (plain) {
      term->value.assign(text);
      for (char& c : term->value) c = LowerAscii(c);
      return true;
    }
  }
  std::optional<std::string> digest = NormalizeHexDigest(text, hex_len);
  if (!digest) {
    *error = QuoteForMessage(text) + " is not " + std::string(what) + " digest (" +
             std::to_string(hex_len) + " hex digits)";
    return false;
  }
  term->value = std::move(*digest);
  return true;
}

// JA4 "a_b_c": a is 10 characters (protocol t/q/d, 2-character TLS version,
// d/i for SNI, 2-digit cipher and extension counts, 2-character ALPN), b and
// c are 12 hex digits of truncated SHA-256, lower-cased here as the JA4
// specification prints them; a stays as printed.
bool ParseJa4(std::string_view text, Term* term, std::string* error) {
  bool ok = text.size() == 36 && text[10] == '_' && text[23] == '_';
  if (ok) {
    std::string_view a = text.substr(0, 10);
    ok = (a[0] == 't' || a[0] == 'q' || a[0] == 'd') && IsAlnum(a[1]) && IsAlnum(a[2]) &&
         (a[3] == 'd' || a[3] == 'i') && IsDigit(a[4]) && IsDigit(a[5]) && IsDigit(a[6]) &&
         IsDigit(a[7]) && IsAlnum(a[8]) && IsAlnum(a[9]);
    for (size_t i = 11; ok && i < 36; ++i) ok = i == 23 || IsHex(text[i]);
  }
  if (!ok) {
    *error = QuoteForMessage(text) +
             " is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_b186095e22b6)";
    return false;
  }
  term->value.assign(text);
  for (size_t i = 11; i < 36; ++i) term->value[i] = LowerAscii(term->value[i]);
  return true;
}

}  // namespace

std::optional<FeedFormat> ParseFeedFormat(std::string_view text) {
  if (EqualsLower(text, "auto")) return FeedFormat::kAuto;
  if (EqualsLower(text, "stix")) return FeedFormat::kStix;
  if (EqualsLower(text, "zeek")) return FeedFormat::kZeek;
  if (EqualsLower(text, "csv")) return FeedFormat::kCsv;
  return std::nullopt;
}

std::string_view FeedFormatName(FeedFormat format) {
  switch (format) {
    case FeedFormat::kAuto:
      return "auto";
    case FeedFormat::kStix:
      return "stix";
    case FeedFormat::kZeek:
      return "zeek";
    case FeedFormat::kCsv:
      return "csv";
  }
  return "auto";
}

FeedFormat DetectFeedFormat(std::string_view head) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  size_t i = 0;
  while (i < head.size() &&
         (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
    ++i;
  }
  if (i < head.size() && (head[i] == '{' || head[i] == '[')) return FeedFormat::kStix;
  head.remove_prefix(i);
  // Zeek logs open with '#separator', '#set_separator', ... before '#fields';
  // a CSV may carry '#' comments too, but never a '#fields' line.
  while (!head.empty()) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (TrimBlanks(line).empty()) continue;
    if (line.front() != '#') return FeedFormat::kCsv;
    if (line.substr(0, 7) == "#fields" && (line.size() == 7 || !IsAlnum(line[7]))) {
      return FeedFormat::kZeek;
    }
  }
  return FeedFormat::kCsv;
}

bool ReadFeedFile(const std::string& path, FeedFormat format, const FeedOptions& options,
                  IndicatorSink* sink, FeedReport* report) {
  if (format == FeedFormat::kAuto) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      report->path = path;
      AddDiagnostic(report, rules::Diagnostic::Severity::kError, path, 0, 0,
                    std::string("cannot open indicator feed: ") + std::strerror(errno));
      return false;
    }
    std::string head(kDetectBytes, '\0');
    size_t used = 0;
    while (used < head.size()) {
      ssize_t n = ::read(fd, head.data() + used, head.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a read error shows again when the reader opens the file
      used += static_cast<size_t>(n);
    }
    ::close(fd);
    head.resize(used);
    format = DetectFeedFormat(head);
  }
  switch (format) {
    case FeedFormat::kStix:
      return ReadStixFile(path, options, sink, report);
    case FeedFormat::kZeek:
      return ReadZeekIntelFile(path, options, sink, report);
    case FeedFormat::kCsv:
    case FeedFormat::kAuto:
      break;
  }
  return ReadCsvFile(path, options, sink, report);
}

bool ReadFileInBlocks(const std::string& path, const BlockConsumer& consume, std::string* error,
                      size_t block_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    *error = "is a directory";
    return false;
  }
  std::string buffer(block_size > 0 ? block_size : 1, '\0');
  size_t have = 0;
  bool eof = false;
  for (;;) {
    while (!eof && have < buffer.size()) {
      ssize_t n = ::read(fd, buffer.data() + have, buffer.size() - have);
      if (n < 0) {
        if (errno == EINTR) continue;
        *error = std::strerror(errno);
        ::close(fd);
        return false;
      }
      if (n == 0) eof = true;
      have += static_cast<size_t>(n);
    }
    std::string_view text(buffer.data(), have);
    if (!eof) {
      size_t nl = text.rfind('\n');
      text = nl == std::string_view::npos ? std::string_view() : text.substr(0, nl + 1);
    }
    size_t consumed = 0;
    if ((!text.empty() || eof) && !consume(text, eof, &consumed)) break;
    if (eof) break;
    if (consumed > 0) {
      std::memmove(buffer.data(), buffer.data() + consumed, have - consumed);
      have -= consumed;
    }
    // Nothing used and no room left: one record is longer than the buffer.
    if (have == buffer.size()) buffer.resize(buffer.size() * 2);
  }
  ::close(fd);
  return true;
}

bool ParseIpValue(std::string_view text, bool allow_prefix, rules::IpRange* out,
                  std::string* error) {
  std::string_view addr = text, len;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    if (!allow_prefix) {
      *error = QuoteForMessage(text) + " is a network, but this type takes a single address";
      return false;
    }
    addr = text.substr(0, slash);
    len = text.substr(slash + 1);
  }
  std::optional<IpAddress> ip = IpAddress::Parse(addr);
  if (!ip) {
    *error = QuoteForMessage(text) + " is not an IP address";
    return false;
  }
  // The family is the spelling's: "::ffff:192.0.2.0/120" counts prefix bits
  // of the 128-bit form even though the address is IPv4-mapped.
  const bool v6_spelling = addr.find(':') != std::string_view::npos;
  const int bits = v6_spelling ? 128 : 32;
  int prefix = bits;
  if (slash != std::string_view::npos) {
    // Digits are read only while the text can still be valid: at most
    // three, so no prefix text, however long, can overflow `value`.
    bool ok = !len.empty() && len.size() <= 3;
    int value = 0;
    for (size_t i = 0; ok && i < len.size(); ++i) {
      ok = IsDigit(len[i]);
      value = value * 10 + (len[i] - '0');
    }
    if (!ok || value > bits) {
      *error =
          "invalid prefix length in " + QuoteForMessage(text) + " (0-" + std::to_string(bits) + ")";
      return false;
    }
    prefix = value;
  }
  const int prefix128 = prefix + (v6_spelling ? 0 : 96);
  std::array<uint8_t, 16> lo = ip->bytes(), hi = ip->bytes();
  for (int bit = prefix128; bit < 128; ++bit) {
    auto mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    lo[bit / 8] &= static_cast<uint8_t>(~mask);
    hi[bit / 8] |= mask;
  }
  out->lo = IpAddress::FromV6Bytes(lo.data());
  out->hi = IpAddress::FromV6Bytes(hi.data());
  return true;
}

bool ParseConfidence(std::string_view text, int* out) {
  text = TrimBlanks(text);
  if (EqualsLower(text, "high")) {
    *out = 85;
    return true;
  }
  if (EqualsLower(text, "medium")) {
    *out = 50;
    return true;
  }
  if (EqualsLower(text, "low")) {
    *out = 15;
    return true;
  }
  size_t i = 0;
  int value = 0;
  while (i < text.size() && IsDigit(text[i]) && value <= 100)
    value = value * 10 + (text[i++] - '0');
  if (i == 0 || value > 100) return false;
  if (i < text.size() && text[i] == '.') {
    size_t first = ++i;
    if (first == text.size()) return false;
    if (text[first] >= '5' && IsDigit(text[first])) ++value;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (value > 100) return false;
  }
  if (i != text.size()) return false;
  *out = value;
  return true;
}

bool ParseTermValue(IndicatorType type, std::string_view text, bool allow_prefix, Term* term,
                    std::string* error) {
  term->type = type;
  term->port_lo = term->port_hi = 0;
  if (type != IndicatorType::kIp) term->range = {};
  if (type != IndicatorType::kUserAgent) text = TrimBlanks(text);
  switch (type) {
    case IndicatorType::kIp:
      term->value.clear();
      return ParseIpValue(text, allow_prefix, &term->range, error);
    case IndicatorType::kPort:
      *error = "a port is not an indicator on its own";
      return false;
    case IndicatorType::kDomain: {
      std::optional<std::string> domain = NormalizeDomain(text);
      if (!domain) {
        *error = QuoteForMessage(text) + " is not a domain name";
        return false;
      }
      term->value = std::move(*domain);
      return true;
    }
    case IndicatorType::kUrl:
      if (!NormalizeUrlInto(text, &term->value)) {
        *error = QuoteForMessage(text) + " is not a URL with a host";
        return false;
      }
      return true;
    case IndicatorType::kUserAgent:
      if (text.empty()) {
        *error = "empty user agent";
        return false;
      }
      term->value.assign(text);
      return true;
    case IndicatorType::kJa3:
    case IndicatorType::kJa3s:
    case IndicatorType::kFileMd5:
      return ParseHex(text, 32, "an MD5", term, error);
    case IndicatorType::kJa4:
      return ParseJa4(text, term, error);
    case IndicatorType::kCertSha1:
    case IndicatorType::kFileSha1:
      return ParseHex(text, 40, "a SHA-1", term, error);
    case IndicatorType::kCertSha256:
    case IndicatorType::kFileSha256:
      return ParseHex(text, 64, "a SHA-256", term, error);
  }
  *error = "unknown indicator type";
  return false;
}

Term& ResetToSingleTerm(Indicator* indicator) {
  indicator->id.clear();
  indicator->name.clear();
  indicator->description.clear();
  indicator->source.clear();
  indicator->reference.clear();
  indicator->confidence = -1;
  indicator->where.line = 0;
  indicator->where.column = 0;
  indicator->clauses.resize(1);
  std::vector<Term>& terms = indicator->clauses[0].terms;
  terms.resize(1);
  Term& term = terms[0];
  term.side = Side::kEither;
  return term;
}

void SetSingleValue(std::vector<std::string>* list, std::string_view value) {
  if (value.empty()) {
    list->clear();
    return;
  }
  list->resize(1);
  (*list)[0].assign(value);
}

void EmitIndicator(const Indicator& indicator, IndicatorSink* sink, FeedReport* report) {
  sink->Add(indicator);
  ++report->indicators;
  for (const Clause& clause : indicator.clauses) {
    for (const Term& term : clause.terms) ++report->counts[static_cast<int>(term.type)];
  }
}

void AddDiagnostic(FeedReport* report, rules::Diagnostic::Severity severity, std::string_view file,
                   int line, int column, std::string message) {
  rules::Diagnostic& d = report->diagnostics.emplace_back();
  d.severity = severity;
  d.location.file.assign(file);
  d.location.line = line;
  d.location.column = column;
  d.message = std::move(message);
}

void WarningLimiter::Add(rules::Diagnostic::Severity severity, int line, int column,
                         std::string message) {
  if (count_++ < kMaxLineWarnings) {
    AddDiagnostic(report_, severity, file_, line, column, std::move(message));
  }
}

void WarningLimiter::Finish() {
  if (count_ <= kMaxLineWarnings) return;
  AddDiagnostic(report_, rules::Diagnostic::Severity::kNote, file_, 0, 0,
                std::to_string(count_ - kMaxLineWarnings) + " more warnings not shown (the first " +
                    std::to_string(kMaxLineWarnings) + " are)");
}

std::string QuoteForMessage(std::string_view text) {
  constexpr size_t kMax = 60;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : text[i]);
  }
  if (text.size() > kMax) out += "...";
  out.push_back('\'');
  return out;
}

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (LowerAscii(text[i]) != lower[i]) return false;
  }
  return true;
}

}  // namespace kagami::feeds
