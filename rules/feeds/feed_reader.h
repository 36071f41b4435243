#pragma once
// ReadFeedFile: loads an indicator feed in any supported format, picked from
// the file's content or named by the user. Also the small
// building blocks the line-based readers (CSV, Zeek Intel) share, so both
// turn the same text into the same Term and report problems the same way.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/address_set.h"
#include "rules/diagnostic.h"
#include "rules/feeds/indicator.h"

namespace kagami::feeds {

enum class FeedFormat : uint8_t { kAuto, kStix, kZeek, kCsv };

// "auto", "stix", "zeek", "csv" (any case); nullopt for anything else.
std::optional<FeedFormat> ParseFeedFormat(std::string_view text);
std::string_view FeedFormatName(FeedFormat format);

// The format of a feed from its first bytes (a UTF-8 BOM and leading blank
// lines are skipped): '{' or '[' first -> STIX; a "#fields" line among the
// leading '#' lines -> Zeek; anything else -> CSV. Never returns kAuto.
FeedFormat DetectFeedFormat(std::string_view head);

// Reads `path` as `format` (kAuto: DetectFeedFormat on its first 64 KiB,
// then the chosen reader opens the file again, so a pipe needs an explicit
// format). False when the file cannot be read or has no usable header;
// problems with single entries are diagnostics in `report` and those entries
// are skipped.
bool ReadFeedFile(const std::string& path, FeedFormat format, const FeedOptions& options,
                  IndicatorSink* sink, FeedReport* report);

// ---- Shared by the CSV and Zeek Intel readers ----

// Reads `path` in blocks of about `block_size` bytes and hands them to
// `consume(text, final, &consumed)`: `text` is the unconsumed tail of the
// previous call followed by new data, cut after its last '\n' unless `final`
// (the end of the file, which may lack one). `consume` reports how many
// bytes it used; the rest comes again, with more, next time (a record longer
// than the buffer grows it). `consume` returns false to stop reading early.
// A million-line feed thus never sits in memory whole. False with the reason
// (strerror) in *error when the file cannot be opened or read.
using BlockConsumer = std::function<bool(std::string_view text, bool final, size_t* consumed)>;
inline constexpr size_t kFeedBlockSize = 1 << 20;
bool ReadFileInBlocks(const std::string& path, const BlockConsumer& consume, std::string* error,
                      size_t block_size = kFeedBlockSize);

// "192.0.2.1", "2001:db8::1", and with allow_prefix "192.0.2.0/24" or
// "2001:db8::/32" (host bits beyond the prefix are ignored). IPv4 ends up in
// the IPv4-mapped block, as everywhere in Kagami.
bool ParseIpValue(std::string_view text, bool allow_prefix, rules::IpRange* out,
                  std::string* error);

// 0..100 (a decimal is rounded), or "high"/"medium"/"low" -> 85/50/15, any
// case. False for anything else.
bool ParseConfidence(std::string_view text, int* out);

// Sets term->type and the normalised value of `text` for that type: range
// for kIp (a prefix only with allow_prefix), value for every other type.
// term->side is left as it is. False with a reason in *error; kPort is not a
// standalone indicator and always fails. Spaces and tabs around the text are
// ignored except for kUserAgent, which is compared byte for byte.
bool ParseTermValue(IndicatorType type, std::string_view text, bool allow_prefix, Term* term,
                    std::string* error);

// Resets a reused indicator to one clause of one term and returns that term,
// keeping the clause and term allocations (Indicator::Clear would free them
// and a million-row feed would pay for them a million times). Clears id,
// name, description, source, reference, confidence and where's line and
// column; the term's value and the lists (labels, campaigns, intrusion_sets,
// malware) are the caller's to set, with ParseTermValue and SetSingleValue,
// so their strings keep their capacity too.
Term& ResetToSingleTerm(Indicator* indicator);
// Makes *list hold exactly `value` (nothing when empty), reusing its string.
void SetSingleValue(std::vector<std::string>* list, std::string_view value);

// Hands `indicator` to the sink and counts it in the report.
void EmitIndicator(const Indicator& indicator, IndicatorSink* sink, FeedReport* report);

void AddDiagnostic(FeedReport* report, rules::Diagnostic::Severity severity, std::string_view file,
                   int line, int column, std::string message);

// A feed with a million bad lines should not carry a million diagnostics:
// the line-based readers keep the first kMaxLineWarnings warnings and notes
// about lines and columns, and count the rest in one closing note.
inline constexpr size_t kMaxLineWarnings = 1000;
class WarningLimiter {
 public:
  WarningLimiter(FeedReport* report, std::string_view file) : report_(report), file_(file) {}
  void Warn(int line, int column, std::string message) {
    Add(rules::Diagnostic::Severity::kWarning, line, column, std::move(message));
  }
  void Note(int line, int column, std::string message) {
    Add(rules::Diagnostic::Severity::kNote, line, column, std::move(message));
  }
  // Adds the "N more" note, if any were dropped.
  void Finish();

 private:
  void Add(rules::Diagnostic::Severity severity, int line, int column, std::string message);

  FeedReport* report_;
  std::string_view file_;
  size_t count_ = 0;
};

// `text` for a message: at most 60 bytes, control bytes shown as '?'.
std::string QuoteForMessage(std::string_view text);

// Spaces and tabs removed from both ends.
std::string_view TrimBlanks(std::string_view text);

// ASCII case-insensitive equality, `lower` already in lower case.
bool EqualsLower(std::string_view text, std::string_view lower);

}  // namespace kagami::feeds
