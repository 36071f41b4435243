#include "rules/feeds/zeek_intel_reader.h"

#include <cstdint>
#include <vector>

#include "rules/feeds/feed_reader.h"

namespace kagami::feeds {
namespace {

using Severity = rules::Diagnostic::Severity;

enum class Column : uint8_t {
  kUnused,
  kIndicator,
  kType,
  kSource,
  kDescription,
  kReference,
  kConfidence,
  kCampaign,
  kMalware,
};

struct ColumnName {
  std::string_view name;
  Column column;
};
constexpr ColumnName kColumnNames[] = {
    {"indicator", Column::kIndicator},
    {"indicator_type", Column::kType},
    {"meta.source", Column::kSource},
    {"meta.desc", Column::kDescription},
    {"meta.url", Column::kReference},
    {"meta.confidence", Column::kConfidence},
    {"meta.cif_confidence", Column::kConfidence},
    {"meta.campaign", Column::kCampaign},
    {"meta.malware", Column::kMalware},
};

enum class Kind : uint8_t { kMapped, kCertHash, kFileHash, kIgnored };

struct ZeekType {
  std::string_view name;
  Kind kind;
  IndicatorType type;
  bool allow_prefix;
};
constexpr ZeekType kTypes[] = {
    {"Intel::ADDR", Kind::kMapped, IndicatorType::kIp, false},
    {"Intel::SUBNET", Kind::kMapped, IndicatorType::kIp, true},
    {"Intel::DOMAIN", Kind::kMapped, IndicatorType::kDomain, false},
    {"Intel::URL", Kind::kMapped, IndicatorType::kUrl, false},
    {"Intel::SOFTWARE", Kind::kMapped, IndicatorType::kUserAgent, false},
    {"Intel::CERT_HASH", Kind::kCertHash, IndicatorType::kCertSha1, false},
    {"Intel::FILE_HASH", Kind::kFileHash, IndicatorType::kFileMd5, false},
    {"Intel::JA3", Kind::kMapped, IndicatorType::kJa3, false},
    {"Intel::USER_NAME", Kind::kIgnored, IndicatorType::kIp, false},
    {"Intel::EMAIL", Kind::kIgnored, IndicatorType::kIp, false},
    {"Intel::FILE_NAME", Kind::kIgnored, IndicatorType::kIp, false},
    {"Intel::PUBKEY_HASH", Kind::kIgnored, IndicatorType::kIp, false},
};
constexpr size_t kTypeCount = sizeof(kTypes) / sizeof(kTypes[0]);

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = Lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Zeek's ASCII formats escape bytes as \xHH; any other backslash is literal.
void Unescape(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size() && in[i + 1] == 'x') {
      int hi = HexValue(in[i + 2]), lo = HexValue(in[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 3;
        continue;
      }
    }
    out->push_back(in[i]);
  }
}

// Hex digits in a digest as NormalizeHexDigest counts them.
size_t DigestLength(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (c != ':' && c != '-' && c != ' ' && c != '\t');
  return n;
}

class ZeekIntelReader {
 public:
  ZeekIntelReader(std::string_view file, IndicatorSink* sink, FeedReport* report)
      : file_(file), sink_(sink), report_(report), warnings_(report, file) {}

  // Reads the lines of `text`, which ends with '\n' unless it is the end of
  // the input.
  void Feed(std::string_view text) {
    size_t pos = 0;
    if (first_feed_) {
      first_feed_ = false;
      if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
    }
    while (pos < text.size() && !failed_) {
      ++line_no_;
      size_t nl = text.find('\n', pos);
      std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (line.front() == '#') {
        failed_ = !ReadHeaderLine(line);
        continue;
      }
      if (TrimBlanks(line).empty()) continue;
      if (columns_.empty()) {
        AddDiagnostic(report_, Severity::kError, file_, line_no_, 1,
                      "data before the #fields header line (Zeek Intel files start with "
                      "'#fields<TAB>indicator<TAB>indicator_type...')");
        failed_ = true;
        continue;
      }
      ReadLine(line);
    }
  }

  bool failed() const { return failed_; }

  // After the last Feed: false when the input had no usable #fields line.
  bool Finish() {
    if (columns_.empty() && !failed_) {
      AddDiagnostic(report_, Severity::kError, file_, 0, 0,
                    "no #fields header line (Zeek Intel files start with "
                    "'#fields<TAB>indicator<TAB>indicator_type...')");
      failed_ = true;
    }
    for (size_t i = 0; i < kTypeCount; ++i) {
      if (ignored_[i].count == 0) continue;
      AddDiagnostic(report_, Severity::kNote, file_, ignored_[i].first_line, 0,
                    std::string(kTypes[i].name) +
                        " entries ignored: " + std::to_string(ignored_[i].count) +
                        " (not a network indicator Kagami can match)");
    }
    warnings_.Finish();
    return !failed_;
  }

 private:
  // The value of a "#keyword<sep>value" line (a space instead of the
  // separator is accepted too); false when `line` is not that keyword.
  bool HeaderValue(std::string_view line, std::string_view keyword, std::string* value) const {
    if (line.substr(0, keyword.size()) != keyword) return false;
    std::string_view rest = line.substr(keyword.size());
    if (rest.substr(0, separator_.size()) == separator_) {
      rest.remove_prefix(separator_.size());
    } else if (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    } else if (!rest.empty()) {
      return false;  // a longer keyword
    }
    Unescape(rest, value);
    return true;
  }

  bool ReadHeaderLine(std::string_view line) {
    std::string value;
    if (line.substr(0, 10) == "#separator" &&
        (line.size() == 10 || line[10] == ' ' || line[10] == '\t')) {
      // "#separator \x09": the one line whose own separator is a space.
      Unescape(line.substr(line.size() > 10 ? 11 : 10), &value);
      if (value.empty()) {
        warnings_.Warn(line_no_, 1,
                       "#separator names no separator; keeping " + QuoteForMessage(separator_));
      } else {
        separator_ = value;
      }
      return true;
    }
    if (HeaderValue(line, "#empty_field", &value)) {
      empty_field_ = value;
      return true;
    }
    if (HeaderValue(line, "#unset_field", &value)) {
      unset_field_ = value;
      return true;
    }
    if (line.substr(0, 7) == "#fields") {
      std::string_view rest = line.substr(7);
      if (!rest.empty() && rest.substr(0, separator_.size()) != separator_ &&
          (rest.front() == ' ' || rest.front() == '\t')) {
        AddDiagnostic(report_, Severity::kError, file_, line_no_, 8,
                      "the #fields line is not separated by the #separator " +
                          QuoteForMessage(separator_) + " (Zeek Intel files are tab-separated)");
        return false;
      }
      if (rest.empty() || rest.substr(0, separator_.size()) == separator_) {
        return ReadFields(line, rest.substr(rest.empty() ? 0 : separator_.size()));
      }
    }
    return true;  // #set_separator, #types, #path, #open, #close, comments
  }

  bool ReadFields(std::string_view line, std::string_view names) {
    columns_.clear();
    indicator_col_ = type_col_ = -1;
    Split(names);
    for (std::string_view name : fields_) {
      Column column = Column::kUnused;
      for (const ColumnName& known : kColumnNames) {
        if (EqualsNoCase(name, known.name)) column = known.column;
      }
      if (column == Column::kIndicator && indicator_col_ < 0) {
        indicator_col_ = static_cast<int>(columns_.size());
      }
      if (column == Column::kType && type_col_ < 0) type_col_ = static_cast<int>(columns_.size());
      columns_.push_back(column);
    }
    scratch_.resize(columns_.size());
    const char* missing = indicator_col_ < 0 ? "indicator"
                          : type_col_ < 0    ? "indicator_type"
                                             : nullptr;
    if (missing != nullptr) {
      AddDiagnostic(
          report_, Severity::kError, file_, line_no_, 1,
          "the #fields line " + QuoteForMessage(line) + " has no '" + missing + "' column");
      columns_.clear();
      return false;
    }
    return true;
  }

  void Split(std::string_view text) {
    fields_.clear();
    for (;;) {
      size_t at = separator_.size() == 1 ? text.find(separator_[0]) : text.find(separator_);
      fields_.push_back(text.substr(0, at));
      if (at == std::string_view::npos) return;
      text.remove_prefix(at + separator_.size());
    }
  }

  int ColumnOf(std::string_view line, std::string_view field) const {
    return static_cast<int>(field.data() - line.data()) + 1;
  }

  // The value of column `i`: empty when unset or (empty), escapes decoded.
  std::string_view Value(size_t i) {
    std::string_view raw = fields_[i];
    if (raw == unset_field_ || raw == empty_field_) return {};
    if (raw.find('\\') == std::string_view::npos) return raw;
    Unescape(raw, &scratch_[i]);
    return scratch_[i];
  }

  void Skip(std::string_view line, std::string_view field, std::string message) {
    warnings_.Warn(line_no_, ColumnOf(line, field), std::move(message) + "; line skipped");
    ++report_->skipped;
  }

  void ReadLine(std::string_view line) {
    Split(line);
    if (fields_.size() != columns_.size()) {
      warnings_.Warn(line_no_, 0,
                     "line has " + std::to_string(fields_.size()) + " fields but #fields names " +
                         std::to_string(columns_.size()) + "; line skipped");
      ++report_->skipped;
      return;
    }
    const auto ti = static_cast<size_t>(type_col_), vi = static_cast<size_t>(indicator_col_);
    std::string_view type_text = Value(ti);
    const ZeekType* type = nullptr;
    for (const ZeekType& known : kTypes) {
      if (EqualsNoCase(type_text, known.name)) type = &known;
    }
    if (type == nullptr) {
      Skip(line, fields_[ti],
           type_text.empty() ? std::string("no indicator_type")
                             : "unknown indicator_type " + QuoteForMessage(type_text));
      return;
    }
    if (type->kind == Kind::kIgnored) {
      Ignored& ignored = ignored_[static_cast<size_t>(type - kTypes)];
      if (ignored.count++ == 0) ignored.first_line = line_no_;
      ++report_->skipped;
      return;
    }
    if (fields_[vi] == unset_field_) {
      Skip(line, fields_[vi], "the indicator is unset");
      return;
    }
    std::string_view value = Value(vi);
    IndicatorType indicator_type = type->type;
    if (type->kind == Kind::kCertHash) {
      size_t n = DigestLength(value);
      indicator_type = n == 64 ? IndicatorType::kCertSha256 : IndicatorType::kCertSha1;
    } else if (type->kind == Kind::kFileHash) {
      size_t n = DigestLength(value);
      indicator_type = n == 64   ? IndicatorType::kFileSha256
                       : n == 40 ? IndicatorType::kFileSha1
                                 : IndicatorType::kFileMd5;
      if (n != 32 && n != 40 && n != 64) {
        Skip(line, fields_[vi],
             "invalid " + std::string(type->name) + " value: " + QuoteForMessage(value) +
                 " is not an MD5, SHA-1 or SHA-256 digest");
        return;
      }
    }
    Term& term = ResetToSingleTerm(&indicator_);
    if (!ParseTermValue(indicator_type, value, type->allow_prefix, &term, &error_)) {
      Skip(line, fields_[vi], "invalid " + std::string(type->name) + " value: " + error_);
      return;
    }
    std::string_view campaign, malware;
    for (size_t i = 0; i < columns_.size(); ++i) {
      switch (columns_[i]) {
        case Column::kSource:
          indicator_.source.assign(Value(i));
          break;
        case Column::kDescription:
          indicator_.description.assign(Value(i));
          break;
        case Column::kReference:
          indicator_.reference.assign(Value(i));
          break;
        case Column::kCampaign:
          campaign = Value(i);
          break;
        case Column::kMalware:
          malware = Value(i);
          break;
        case Column::kConfidence: {
          std::string_view text = Value(i);
          if (!text.empty() && !ParseConfidence(text, &indicator_.confidence)) {
            warnings_.Warn(line_no_, ColumnOf(line, fields_[i]),
                           "confidence " + QuoteForMessage(text) +
                               " is not 0-100, high, medium or low; ignored");
          }
          break;
        }
        case Column::kUnused:
        case Column::kIndicator:
        case Column::kType:
          break;
      }
    }
    SetSingleValue(&indicator_.campaigns, campaign);
    SetSingleValue(&indicator_.malware, malware);
    indicator_.intrusion_sets.clear();
    indicator_.labels.clear();
    indicator_.where.file.assign(file_);
    indicator_.where.line = line_no_;
    EmitIndicator(indicator_, sink_, report_);
  }

  struct Ignored {
    size_t count = 0;
    int first_line = 0;
  };

  std::string_view file_;
  IndicatorSink* sink_;
  FeedReport* report_;
  WarningLimiter warnings_;

  bool first_feed_ = true;
  bool failed_ = false;
  int line_no_ = 0;
  std::string separator_ = "\t";
  std::string empty_field_ = "(empty)";
  std::string unset_field_ = "-";
  std::vector<Column> columns_;  // empty until #fields
  int indicator_col_ = -1, type_col_ = -1;
  std::vector<std::string_view> fields_;
  std::vector<std::string> scratch_;  // per column, for values with escapes
  Ignored ignored_[kTypeCount];
  std::string error_;
  Indicator indicator_;
};

}  // namespace

bool ReadZeekIntelString(std::string_view text, std::string_view display_name,
                         const FeedOptions& /*options: nothing in a Zeek line depends on them*/,
                         IndicatorSink* sink, FeedReport* report) {
  report->path.assign(display_name);
  report->format = "zeek";
  ZeekIntelReader reader(display_name, sink, report);
  reader.Feed(text);
  return reader.Finish();
}

bool ReadZeekIntelFile(const std::string& path, const FeedOptions& /*options*/, IndicatorSink* sink,
                       FeedReport* report) {
  report->path = path;
  report->format = "zeek";
  ZeekIntelReader reader(path, sink, report);
  std::string error;
  const bool read = ReadFileInBlocks(
      path,
      [&reader](std::string_view text, bool /*final*/, size_t* consumed) {
        reader.Feed(text);  // every block ends with a whole line
        *consumed = text.size();
        return !reader.failed();
      },
      &error);
  if (!read) {
    AddDiagnostic(report, rules::Diagnostic::Severity::kError, path, 0, 0,
                  "cannot read indicator feed: " + error);
    return false;
  }
  return reader.Finish();
}

}  // namespace kagami::feeds
