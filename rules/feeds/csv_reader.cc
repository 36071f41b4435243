#include "rules/feeds/csv_reader.h"

#include <cstdint>
#include <vector>

#include "rules/feeds/feed_reader.h"

namespace kagami::feeds {
namespace {

using Severity = rules::Diagnostic::Severity;

enum class Column : uint8_t {
  kUnused,
  kType,
  kValue,
  kCampaign,
  kFamily,
  kIntrusionSet,
  kSource,
  kReference,
  kConfidence,
  kDescription,
  kName,
  kIgnored,  // known, deliberately not read (first_reported)
};
constexpr int kColumnCount = 12;

struct ColumnName {
  std::string_view name;
  Column column;
};
constexpr ColumnName kColumnNames[] = {
    {"type", Column::kType},
    {"value", Column::kValue},
    {"campaign", Column::kCampaign},
    {"campaign_or_report", Column::kCampaign},
    {"family", Column::kFamily},
    {"malware", Column::kFamily},
    {"malware_family", Column::kFamily},
    {"intrusion_set", Column::kIntrusionSet},
    {"actor", Column::kIntrusionSet},
    {"source", Column::kSource},
    {"source_url", Column::kReference},
    {"reference", Column::kReference},
    {"url", Column::kReference},
    {"confidence", Column::kConfidence},
    {"description", Column::kDescription},
    {"notes", Column::kDescription},
    {"name", Column::kName},
    {"first_reported", Column::kIgnored},
};

// What a value of a `type` cell becomes.
struct TypeSpec {
  std::string_view name;  // lower case, '_' for '-'
  bool supported = false;
  IndicatorType type = IndicatorType::kIp;
  Side side = Side::kEither;
  bool allow_prefix = false;
  int family = 0;  // kIp: 4 or 6 when the type names one, else 0
};

constexpr TypeSpec Ip(std::string_view name, Side side, bool prefix, int family) {
  return {name, true, IndicatorType::kIp, side, prefix, family};
}
constexpr TypeSpec Of(std::string_view name, IndicatorType type) {
  return {name, true, type, Side::kEither, false, 0};
}

constexpr TypeSpec kTypes[] = {
    Ip("ip", Side::kEither, true, 0),
    Ip("cidr", Side::kEither, true, 0),
    Ip("subnet", Side::kEither, true, 0),
    Ip("network", Side::kEither, true, 0),
    Ip("ip_src", Side::kSource, true, 0),
    Ip("ip_dst", Side::kDestination, true, 0),
    Ip("ipv4", Side::kEither, true, 4),  // feeds write networks as "ipv4" too
    Ip("ipv6", Side::kEither, true, 6),
    Ip("address", Side::kEither, false, 0),
    Ip("addr", Side::kEither, false, 0),
    Of("domain", IndicatorType::kDomain),
    Of("hostname", IndicatorType::kDomain),
    Of("fqdn", IndicatorType::kDomain),
    Of("host", IndicatorType::kDomain),
    Of("url", IndicatorType::kUrl),
    Of("uri", IndicatorType::kUrl),
    Of("user_agent", IndicatorType::kUserAgent),
    Of("http_user_agent", IndicatorType::kUserAgent),
    Of("ua", IndicatorType::kUserAgent),
    Of("useragent", IndicatorType::kUserAgent),
    Of("ja3", IndicatorType::kJa3),
    Of("ja3s", IndicatorType::kJa3s),
    Of("ja4", IndicatorType::kJa4),
    Of("cert_sha1", IndicatorType::kCertSha1),
    Of("x509_sha1", IndicatorType::kCertSha1),
    Of("sslcert_sha1", IndicatorType::kCertSha1),
    Of("tls_cert_sha1", IndicatorType::kCertSha1),
    Of("cert_sha256", IndicatorType::kCertSha256),
    Of("x509_sha256", IndicatorType::kCertSha256),
    Of("sslcert_sha256", IndicatorType::kCertSha256),
    Of("tls_cert_sha256", IndicatorType::kCertSha256),
    Of("md5", IndicatorType::kFileMd5),
    Of("file_md5", IndicatorType::kFileMd5),
    Of("sha1", IndicatorType::kFileSha1),
    Of("file_sha1", IndicatorType::kFileSha1),
    Of("sha256", IndicatorType::kFileSha256),
    Of("file_sha256", IndicatorType::kFileSha256),
};

// Case-insensitive, with '-' read as '_' ("ip-dst" == "IP_DST").
bool TypeNameEquals(std::string_view text, std::string_view name) {
  if (text.size() != name.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-') c = '_';
    if (c != name[i]) return false;
  }
  return true;
}

const TypeSpec* FindType(std::string_view text) {
  for (const TypeSpec& spec : kTypes) {
    if (TypeNameEquals(text, spec.name)) return &spec;
  }
  return nullptr;
}

// One cell of the current record. Quoted cells with "" escapes are unescaped
// into a per-record scratch buffer; every other cell is a view of the text.
struct Cell {
  std::string_view text;
  uint32_t scratch_offset = 0;
  uint32_t scratch_length = 0;
  bool in_scratch = false;
  int line = 0;
  int column = 0;
};

class CsvReader {
 public:
  CsvReader(std::string_view file, IndicatorSink* sink, FeedReport* report)
      : file_(file), sink_(sink), report_(report), warnings_(report, file) {}

  // Reads the complete records at the start of `text` and returns how many
  // bytes they took. `text` starts where the previous call stopped; unless
  // `final`, it ends with '\n' and a quoted field running past its end is
  // left, with its record, for a call with more text.
  size_t Feed(std::string_view text, bool final) {
    text_ = text;
    final_ = final;
    pos_ = 0;
    line_start_ = 0;
    if (first_feed_) {
      first_feed_ = false;
      if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
        pos_ = 3;
        line_start_ = 3;  // columns count from after the BOM, as editors show them
      }
    }
    while (pos_ < text_.size() && !failed_) {
      const char c = text_[pos_];
      if (c == '\n' || (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')) {
        NextLine(pos_ + (c == '\r' ? 2 : 1));
        continue;
      }
      if (c == '#') {
        size_t nl = text_.find('\n', pos_);
        NextLine(nl == std::string_view::npos ? text_.size() : nl + 1);
        continue;
      }
      record_line_ = line_;
      record_start_ = pos_;
      const Parsed parsed = ParseRecord();
      if (parsed == Parsed::kNeedMore) {
        line_ = record_line_;
        return record_start_;
      }
      if (parsed == Parsed::kMalformed) {
        if (have_header_) {
          ++report_->skipped;
        } else {
          AddDiagnostic(report_, Severity::kError, file_, record_line_, 0,
                        "the CSV header row is malformed");
          failed_ = true;
        }
        continue;
      }
      if (RecordIsBlank()) continue;
      if (!have_header_) {
        failed_ = !ReadHeader();
        have_header_ = !failed_;
        continue;
      }
      ReadRow();
    }
    return text_.size();
  }

  bool failed() const { return failed_; }

  // After the last Feed: false when the input had no usable header.
  bool Finish() {
    if (!have_header_ && !failed_) {
      AddDiagnostic(report_, Severity::kError, file_, 0, 0,
                    "no CSV header row (expected columns 'type' and 'value')");
      failed_ = true;
    }
    warnings_.Finish();
    return !failed_;
  }

 private:
  enum class Parsed { kRecord, kMalformed, kNeedMore };

  void NextLine(size_t next) {
    pos_ = next;
    ++line_;
    line_start_ = next;
  }

  int ColumnAt(size_t pos) const { return static_cast<int>(pos - line_start_ + 1); }

  // Reads one record into cells_. On a malformed record adds a warning and
  // moves past it.
  Parsed ParseRecord() {
    cells_.clear();
    scratch_.clear();
    const size_t n = text_.size();
    for (;;) {
      Cell cell;
      cell.line = line_;
      cell.column = ColumnAt(pos_);
      if (pos_ < n && text_[pos_] == '"') {
        const int open_line = line_, open_column = cell.column;
        size_t start = ++pos_;
        bool escaped = false;
        for (;;) {
          if (pos_ >= n) {
            if (!final_) return Parsed::kNeedMore;
            Malformed(open_line, open_column, "unterminated quoted field");
            // The quote was probably stray: resume on the record's next line
            // rather than lose the rest of the file.
            size_t nl = text_.find('\n', record_start_);
            line_ = record_line_;
            NextLine(nl == std::string_view::npos ? n : nl + 1);
            return Parsed::kMalformed;
          }
          const char c = text_[pos_];
          if (c == '"') {
            if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
              escaped = true;
              pos_ += 2;
              continue;
            }
            break;
          }
          if (c == '\n') {
            ++line_;
            line_start_ = pos_ + 1;
          }
          ++pos_;
        }
        std::string_view raw = text_.substr(start, pos_ - start);
        ++pos_;  // the closing quote
        if (escaped) {
          cell.in_scratch = true;
          cell.scratch_offset = static_cast<uint32_t>(scratch_.size());
          for (size_t i = 0; i < raw.size(); ++i) {
            scratch_.push_back(raw[i]);
            if (raw[i] == '"') ++i;  // the second quote of a "" pair
          }
          cell.scratch_length = static_cast<uint32_t>(scratch_.size() - cell.scratch_offset);
        } else {
          cell.text = raw;
        }
        while (pos_ < n && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
        if (pos_ < n && !AtCellEnd()) {
          Malformed(line_, ColumnAt(pos_), "unexpected character after a closing quote");
          size_t nl = text_.find('\n', pos_);
          NextLine(nl == std::string_view::npos ? n : nl + 1);
          return Parsed::kMalformed;
        }
      } else {
        size_t start = pos_;
        while (pos_ < n && !AtCellEnd()) ++pos_;
        cell.text = text_.substr(start, pos_ - start);
      }
      cells_.push_back(cell);
      if (pos_ < n && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < n && text_[pos_] == '\r') ++pos_;
      if (pos_ < n) NextLine(pos_ + 1);  // the '\n'
      for (Cell& c : cells_) {
        if (c.in_scratch)
          c.text = std::string_view(scratch_).substr(c.scratch_offset, c.scratch_length);
      }
      return Parsed::kRecord;
    }
  }

  // At ',', '\n', "\r\n" or a '\r' that ends the text.
  bool AtCellEnd() const {
    const char c = text_[pos_];
    if (c == ',' || c == '\n') return true;
    return c == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n');
  }

  void Malformed(int line, int column, std::string_view what) {
    warnings_.Warn(line, column, std::string(what) + "; row skipped");
  }

  bool RecordIsBlank() const {
    for (const Cell& c : cells_) {
      if (!TrimBlanks(c.text).empty()) return false;
    }
    return true;
  }

  bool ReadHeader() {
    columns_.assign(cells_.size(), Column::kUnused);
    std::vector<int> duplicate_of(cells_.size(), -1);
    int seen[kColumnCount];
    for (int& s : seen) s = -1;
    for (size_t i = 0; i < cells_.size(); ++i) {
      std::string_view name = TrimBlanks(cells_[i].text);
      Column column = Column::kUnused;
      for (const ColumnName& known : kColumnNames) {
        if (EqualsLower(name, known.name)) column = known.column;
      }
      if (column == Column::kUnused) continue;
      int& first = seen[static_cast<int>(column)];
      if (first >= 0 && column != Column::kIgnored) {
        duplicate_of[i] = first;
        continue;
      }
      first = static_cast<int>(i);
      columns_[i] = column;
    }
    // A row of data where the header should be names no known columns: say
    // what is missing, not that every value is an unused column.
    for (Column required : {Column::kType, Column::kValue}) {
      if (seen[static_cast<int>(required)] < 0) {
        AddDiagnostic(report_, Severity::kError, file_, record_line_, 0,
                      std::string("the CSV header has no '") +
                          (required == Column::kType ? "type" : "value") + "' column");
        return false;
      }
    }
    for (size_t i = 0; i < cells_.size(); ++i) {
      std::string_view name = TrimBlanks(cells_[i].text);
      if (duplicate_of[i] >= 0) {
        warnings_.Warn(
            cells_[i].line, cells_[i].column,
            "column " + QuoteForMessage(name) + " has the same meaning as column " +
                QuoteForMessage(TrimBlanks(cells_[static_cast<size_t>(duplicate_of[i])].text)) +
                "; only the first is read");
      } else if (columns_[i] == Column::kUnused) {
        warnings_.Note(cells_[i].line, cells_[i].column,
                       "column " + QuoteForMessage(name) + " is not used");
      }
    }
    return true;
  }

  void Skip(const Cell& cell, std::string message) {
    warnings_.Warn(cell.line, cell.column, std::move(message) + "; row skipped");
    ++report_->skipped;
  }

  void ReadRow() {
    if (cells_.size() != columns_.size()) {
      const bool too_many = cells_.size() > columns_.size();
      warnings_.Warn(record_line_, too_many ? cells_[columns_.size()].column : 0,
                     "row has " + std::to_string(cells_.size()) + " fields but the header has " +
                         std::to_string(columns_.size()) + "; row skipped");
      ++report_->skipped;
      return;
    }
    const Cell* type_cell = nullptr;
    const Cell* value_cell = nullptr;
    const Cell* confidence_cell = nullptr;
    std::string_view campaign, family, intrusion_set;
    Term& term = ResetToSingleTerm(&indicator_);
    for (size_t i = 0; i < cells_.size(); ++i) {
      const Cell& cell = cells_[i];
      switch (columns_[i]) {
        case Column::kType:
          type_cell = &cell;
          break;
        case Column::kValue:
          value_cell = &cell;
          break;
        case Column::kCampaign:
          campaign = TrimBlanks(cell.text);
          break;
        case Column::kFamily:
          family = TrimBlanks(cell.text);
          break;
        case Column::kIntrusionSet:
          intrusion_set = TrimBlanks(cell.text);
          break;
        case Column::kSource:
          indicator_.source.assign(TrimBlanks(cell.text));
          break;
        case Column::kReference:
          indicator_.reference.assign(TrimBlanks(cell.text));
          break;
        case Column::kDescription:
          indicator_.description.assign(TrimBlanks(cell.text));
          break;
        case Column::kName:
          indicator_.name.assign(TrimBlanks(cell.text));
          break;
        case Column::kConfidence:
          confidence_cell = &cell;
          break;
        case Column::kUnused:
        case Column::kIgnored:
          break;
      }
    }
    std::string_view type_text = TrimBlanks(type_cell->text);
    if (type_text.empty()) {
      Skip(*type_cell, "empty indicator type");
      return;
    }
    // Feeds repeat one type for long runs; remember the last lookup.
    if (type_text != last_type_text_) {
      last_type_text_.assign(type_text);
      last_type_ = FindType(type_text);
    }
    const TypeSpec* spec = last_type_;
    if (spec == nullptr) {
      Skip(*type_cell, "unsupported indicator type " + QuoteForMessage(type_text) +
                           " (not a network indicator Kagami can match)");
      return;
    }
    if (!ParseTermValue(spec->type, value_cell->text, spec->allow_prefix, &term, &error_)) {
      Skip(*value_cell, "invalid " + std::string(type_text) + " value: " + error_);
      return;
    }
    if (spec->family != 0 && term.range.lo.is_v4() != (spec->family == 4)) {
      Skip(*value_cell, "invalid " + std::string(type_text) +
                            " value: " + QuoteForMessage(TrimBlanks(value_cell->text)) +
                            " is not an IPv" + std::to_string(spec->family) + " address");
      return;
    }
    term.side = spec->side;
    if (confidence_cell != nullptr) {
      std::string_view text = TrimBlanks(confidence_cell->text);
      if (!text.empty() && !ParseConfidence(text, &indicator_.confidence)) {
        warnings_.Warn(
            confidence_cell->line, confidence_cell->column,
            "confidence " + QuoteForMessage(text) + " is not 0-100, high, medium or low; ignored");
      }
    }
    SetSingleValue(&indicator_.campaigns, campaign);
    SetSingleValue(&indicator_.malware, family);
    SetSingleValue(&indicator_.intrusion_sets, intrusion_set);
    indicator_.labels.clear();
    indicator_.where.file.assign(file_);
    indicator_.where.line = record_line_;
    EmitIndicator(indicator_, sink_, report_);
  }

  std::string_view file_;
  IndicatorSink* sink_;
  FeedReport* report_;
  WarningLimiter warnings_;

  std::string_view text_;  // the text of the current Feed
  bool final_ = false;
  bool first_feed_ = true;
  bool have_header_ = false;
  bool failed_ = false;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  int record_line_ = 1;
  size_t record_start_ = 0;

  std::vector<Cell> cells_;
  std::string scratch_;
  std::vector<Column> columns_;
  std::string last_type_text_;
  const TypeSpec* last_type_ = nullptr;
  std::string error_;
  Indicator indicator_;
};

}  // namespace

bool ReadCsvString(std::string_view text, std::string_view display_name,
                   const FeedOptions& /*options: nothing in a CSV row depends on them*/,
                   IndicatorSink* sink, FeedReport* report) {
  report->path.assign(display_name);
  report->format = "csv";
  CsvReader reader(display_name, sink, report);
  reader.Feed(text, true);
  return reader.Finish();
}

bool ReadCsvFile(const std::string& path, const FeedOptions& /*options*/, IndicatorSink* sink,
                 FeedReport* report) {
  report->path = path;
  report->format = "csv";
  CsvReader reader(path, sink, report);
  std::string error;
  const bool read = ReadFileInBlocks(
      path,
      [&reader](std::string_view text, bool final, size_t* consumed) {
        *consumed = reader.Feed(text, final);
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
