#include "rules/feeds/stix_reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"
#include "rules/feeds/stix_pattern.h"

namespace kagami::feeds {
namespace {

// `text` for a message: at most 60 bytes, control bytes shown as '?'.
std::string Shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 60)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (text.size() > 60) out += "...";
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool ReadDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
// Leap years in 1..y (Gregorian rules applied to every year).
int64_t LeapYearsThrough(int64_t y) { return y / 4 - y / 100 + y / 400; }

// ---------------------------------------------------------------------------
// JSON input

// The bytes of the JSON text for rapidjson::GenericReader, from a FILE in
// 64 KiB chunks or from memory. Line numbers are not counted per byte taken
// (that would tax every byte of a 400 MB feed): Locate() counts newlines with
// memchr from where it last stopped up to the offset asked for, and a refill
// counts the rest of the chunk it drops. Offsets asked for never go backwards
// by more than the current line, which is all the parser needs (object starts
// and error offsets).
class JsonInput {
 public:
  using Ch = char;
  static constexpr size_t kChunk = 64 * 1024;

  explicit JsonInput(std::string_view text) {
    if (text.empty()) {
      SetEof();
    } else {
      SetChunk(text.data(), text.size());
    }
    SkipBom();
  }
  explicit JsonInput(std::FILE* file) : file_(file), buffer_(new char[kChunk]) {
    Refill();
    SkipBom();
  }

  Ch Peek() const { return *cur_; }
  Ch Take() {
    const Ch c = *cur_;
    if (RAPIDJSON_UNLIKELY(++cur_ == end_)) Refill();
    return c;
  }
  size_t Tell() const { return base_ + static_cast<size_t>(cur_ - begin_); }
  bool read_error() const { return read_error_; }
  // rapidjson names these in its in-situ code paths, which are compiled for
  // every stream but only run with kParseInsituFlag; this stream is read-only.
  Ch* PutBegin() { std::abort(); }
  void Put(Ch) { std::abort(); }
  size_t PutEnd(Ch*) { std::abort(); }

  // 1-based line and byte column of `offset` (at most Tell()).
  void Locate(size_t offset, int* line, int* column) {
    if (!eof_ && offset > base_) {
      const size_t rel = std::min(offset - base_, static_cast<size_t>(end_ - begin_));
      CountLines(begin_ + rel);
    }
    *line = line_;
    // A minified bundle is one line of hundreds of megabytes.
    const size_t col = offset >= line_start_ ? offset - line_start_ + 1 : 1;
    *column = static_cast<int>(std::min<size_t>(col, std::numeric_limits<int>::max()));
  }

 private:
  void SetChunk(const char* data, size_t size) {
    begin_ = cur_ = counted_ = data;
    end_ = data + size;
  }
  // At the end the parser sees an endless run of '\0', which it takes as the
  // end of the text.
  void SetEof() {
    eof_ = true;
    begin_ = cur_ = counted_ = &kNul;
    end_ = &kNul + 1;
  }

  [[gnu::noinline]] void Refill() {
    if (eof_) {
      cur_ = begin_;
      return;
    }
    CountLines(end_);
    base_ += static_cast<size_t>(end_ - begin_);
    if (file_ != nullptr) {
      const size_t n = std::fread(buffer_.get(), 1, kChunk, file_);
      if (n > 0) {
        SetChunk(buffer_.get(), n);
        return;
      }
      if (std::ferror(file_)) read_error_ = true;
    }
    SetEof();
  }

  void SkipBom() {
    if (!eof_ && end_ - cur_ >= 3 && std::memcmp(cur_, "\xEF\xBB\xBF", 3) == 0) {
      line_start_ = 3;
      Take();
      Take();
      Take();
    }
  }

  void CountLines(const char* stop) {
    if (stop <= counted_) return;
    const char* p = counted_;
    while (const void* nl = std::memchr(p, '\n', static_cast<size_t>(stop - p))) {
      p = static_cast<const char*>(nl) + 1;
      ++line_;
      line_start_ = base_ + static_cast<size_t>(p - begin_);
    }
    counted_ = stop;
  }

  static constexpr char kNul = '\0';
  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  const char* begin_ = nullptr;  // the current chunk
  const char* cur_ = nullptr;
  const char* end_ = nullptr;
  const char* counted_ = nullptr;  // newlines before this are in line_
  size_t base_ = 0;                // offset of begin_
  int line_ = 1;
  size_t line_start_ = 0;  // offset of the first byte of line_
  bool eof_ = false;
  bool read_error_ = false;
};

// ---------------------------------------------------------------------------
// Attribution

enum class SdoKind : uint8_t { kNone, kMalware, kIntrusionSet, kCampaign };

SdoKind KindOfId(std::string_view id) {
  if (id.starts_with("malware--")) return SdoKind::kMalware;
  if (id.starts_with("intrusion-set--")) return SdoKind::kIntrusionSet;
  if (id.starts_with("campaign--")) return SdoKind::kCampaign;
  return SdoKind::kNone;
}

AttributionKind ToAttributionKind(SdoKind k) {
  switch (k) {
    case SdoKind::kIntrusionSet: return AttributionKind::kIntrusionSet;
    case SdoKind::kCampaign: return AttributionKind::kCampaign;
    default: return AttributionKind::kMalware;
  }
}

constexpr std::string_view kIndicatorPrefix = "indicator--";

// Lower-case hex digit values; -1 for every other byte.
constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
  for (int c = 0; c < 6; ++c) t['a' + c] = static_cast<int8_t>(10 + c);
  return t;
}();

// An indicator id in 16 bytes. "indicator--" + a lower-case RFC 4122 UUID
// (what STIX requires, so nearly every id) is kept as the UUID's 128 bits and
// printed back byte for byte; its word 2 starts with the variant bits 10. Any
// other spelling is kept whole in IdTable and keyed {index, 0, ~0, ~0}, whose
// word 2 starts with 11, so the two never meet.
struct IdKey {
  std::array<uint32_t, 4> w{};
  auto operator<=>(const IdKey&) const = default;
};

class IdTable {
 public:
  IdKey Key(std::string_view id) {
    IdKey key;
    if (PackUuid(id, &key)) return key;
    auto [it, inserted] = odd_index_.try_emplace(std::string(id), static_cast<uint32_t>(odd_.size()));
    if (inserted) odd_.emplace_back(id);
    key.w = {it->second, 0, ~0u, ~0u};
    return key;
  }

  void Text(const IdKey& key, std::string* out) const {
    if (key.w[2] == ~0u) {
      *out = odd_[key.w[0]];
      return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out->assign(kIndicatorPrefix);
    for (int nibble = 0; nibble < 32; ++nibble) {
      if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) out->push_back('-');
      out->push_back(kHex[(key.w[nibble / 8] >> (28 - 4 * (nibble % 8))) & 15]);
    }
  }

 private:
  static bool PackUuid(std::string_view id, IdKey* key) {
    if (id.size() != kIndicatorPrefix.size() + 36 || !id.starts_with(kIndicatorPrefix)) return false;
    const char* uuid = id.data() + kIndicatorPrefix.size();
    if (uuid[8] != '-' || uuid[13] != '-' || uuid[18] != '-' || uuid[23] != '-') return false;
    if (uuid[19] != '8' && uuid[19] != '9' && uuid[19] != 'a' && uuid[19] != 'b') return false;
    static constexpr uint8_t kDigitAt[32] = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 14, 15, 16, 17,
                                             19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
    int bad = 0;
    for (int word = 0; word < 4; ++word) {
      uint32_t w = 0;  // built in a register, not through *key
      for (int i = 0; i < 8; ++i) {
        const int v = kHexValue[static_cast<unsigned char>(uuid[kDigitAt[word * 8 + i]])];
        bad |= v;
        w = (w << 4) | static_cast<uint32_t>(v & 15);
      }
      key->w[word] = w;
    }
    return bad >= 0;
  }

  absl::flat_hash_map<std::string, uint32_t> odd_index_;
  std::vector<std::string> odd_;
};

// Names of malware, intrusion sets and campaigns, relationships from
// indicators to them and between them, and the indicators delivered; joined
// at the end of the file because STIX objects come in any order.
class Attribution {
 public:
  void AddSdo(std::string_view id, std::string_view name) {
    if (KindOfId(id) == SdoKind::kNone || name.empty()) return;
    sdos_[Intern(id)].name.assign(name);
  }

  void AddRelationship(std::string_view type, std::string_view source, std::string_view target) {
    const SdoKind s = KindOfId(source), t = KindOfId(target);
    if (type == "indicates") {
      if (source.starts_with(kIndicatorPrefix) && t != SdoKind::kNone) {
        indicates_.push_back({ids_.Key(source), Intern(target)});
      }
    } else if (type == "attributed-to") {
      if ((s == SdoKind::kMalware || s == SdoKind::kCampaign) && t == SdoKind::kIntrusionSet) {
        hops_.emplace_back(Intern(source), Intern(target));
      }
    } else if (type == "uses") {
      // A malware an indicator indicates is attributed to the intrusion sets
      // and campaigns that use it.
      if ((s == SdoKind::kIntrusionSet || s == SdoKind::kCampaign) && t == SdoKind::kMalware) {
        hops_.emplace_back(Intern(target), Intern(source));
      }
    }
  }

  void AddDelivered(std::string_view indicator_id) { delivered_.push_back(ids_.Key(indicator_id)); }

  void Resolve(IndicatorSink* sink) {
    if (indicates_.empty()) return;
    SortUnique(&delivered_);
    SortUnique(&indicates_);
    SortUnique(&hops_);
    std::vector<std::pair<AttributionKind, std::string_view>> names;
    std::string id;
    auto add = [&](uint32_t sdo) {
      const Sdo& s = sdos_[sdo];
      if (!s.name.empty()) names.emplace_back(ToAttributionKind(s.kind), s.name);
    };
    for (size_t i = 0; i < indicates_.size();) {
      size_t j = i;
      while (j < indicates_.size() && indicates_[j].indicator == indicates_[i].indicator) ++j;
      if (std::binary_search(delivered_.begin(), delivered_.end(), indicates_[i].indicator)) {
        names.clear();
        for (size_t k = i; k < j; ++k) {
          const uint32_t sdo = indicates_[k].sdo;
          add(sdo);
          auto hop = std::lower_bound(hops_.begin(), hops_.end(), std::make_pair(sdo, uint32_t{0}));
          for (; hop != hops_.end() && hop->first == sdo; ++hop) add(hop->second);
        }
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        ids_.Text(indicates_[i].indicator, &id);
        for (const auto& [kind, name] : names) sink->Attribute(id, kind, name);
      }
      i = j;
    }
  }

 private:
  struct Sdo {
    SdoKind kind = SdoKind::kNone;
    std::string name;
  };
  struct Indicates {
    IdKey indicator;
    uint32_t sdo = 0;
    auto operator<=>(const Indicates&) const = default;
  };

  template <typename T>
  static void SortUnique(std::vector<T>* v) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }

  uint32_t Intern(std::string_view id) {
    auto [it, inserted] = sdo_index_.try_emplace(std::string(id), static_cast<uint32_t>(sdos_.size()));
    if (inserted) sdos_.push_back({KindOfId(id), {}});
    return it->second;
  }

  IdTable ids_;
  absl::flat_hash_map<std::string, uint32_t> sdo_index_;
  std::vector<Sdo> sdos_;
  std::vector<Indicates> indicates_;                 // 20 bytes per relationship
  std::vector<std::pair<uint32_t, uint32_t>> hops_;  // (indicated SDO, SDO it brings along)
  std::vector<IdKey> delivered_;
};

// ---------------------------------------------------------------------------
// One STIX object, reduced to the properties read here.

enum class Field : uint8_t {
  kOther,
  kType,
  kId,
  kName,
  kDescription,
  kPattern,
  kPatternType,
  kValidFrom,
  kValidUntil,
  kRevoked,
  kConfidence,
  kCreatedByRef,
  kIndicatorTypes,
  kLabels,
  kExternalReferences,
  kRelationshipType,
  kSourceRef,
  kTargetRef,
  kObjects,
};

// Dispatches on the length first: most keys of a STIX object are not read
// here, and a 2M-object feed asks this some 25M times.
Field FieldOf(std::string_view key) {
  switch (key.size()) {
    case 2: return key == "id" ? Field::kId : Field::kOther;
    case 4: return key == "type" ? Field::kType : key == "name" ? Field::kName : Field::kOther;
    case 6: return key == "labels" ? Field::kLabels : Field::kOther;
    case 7:
      return key == "pattern"   ? Field::kPattern
             : key == "revoked" ? Field::kRevoked
             : key == "objects" ? Field::kObjects
                                : Field::kOther;
    case 10:
      return key == "valid_from"   ? Field::kValidFrom
             : key == "confidence" ? Field::kConfidence
             : key == "source_ref" ? Field::kSourceRef
             : key == "target_ref" ? Field::kTargetRef
                                   : Field::kOther;
    case 11:
      return key == "description" ? Field::kDescription : key == "valid_until" ? Field::kValidUntil : Field::kOther;
    case 12: return key == "pattern_type" ? Field::kPatternType : Field::kOther;
    case 14: return key == "created_by_ref" ? Field::kCreatedByRef : Field::kOther;
    case 15: return key == "indicator_types" ? Field::kIndicatorTypes : Field::kOther;
    case 17: return key == "relationship_type" ? Field::kRelationshipType : Field::kOther;
    case 19: return key == "external_references" ? Field::kExternalReferences : Field::kOther;
    default: return Field::kOther;
  }
}

enum class RefField : uint8_t { kOther, kSourceName, kUrl, kExternalId };

struct StixObject {
  std::string type, id, name, description, pattern, pattern_type, valid_from, valid_until, created_by_ref;
  std::string relationship_type, source_ref, target_ref;
  bool has_pattern_type = false, has_valid_from = false, has_valid_until = false;
  bool revoked = false;
  int confidence = -1;
  std::vector<std::string> labels;  // indicator_types and labels, without repeats
  size_t label_count = 0;           // labels[0, label_count) are this object's
  std::string ref_source_name, ref_external_id;  // external_references[0]
  std::string ref_url;                           // the first reference with a url
  int line = 0, column = 0;

  // Empties every property, keeping the strings' capacity for the next object.
  void Clear() {
    for (std::string* s : {&type, &id, &name, &description, &pattern, &pattern_type, &valid_from, &valid_until,
                           &created_by_ref, &relationship_type, &source_ref, &target_ref, &ref_source_name,
                           &ref_external_id, &ref_url}) {
      s->clear();
    }
    has_pattern_type = has_valid_from = has_valid_until = revoked = false;
    confidence = -1;
    label_count = 0;
  }

  void AddLabel(std::string_view label) {
    for (size_t i = 0; i < label_count; ++i) {
      if (labels[i] == label) return;
    }
    if (label_count == labels.size()) labels.emplace_back();
    labels[label_count++].assign(label);
  }
};

// ---------------------------------------------------------------------------
// The reader: what happens to each collected object, and the report.

class StixReader {
 public:
  StixReader(std::string_view display_name, const FeedOptions& options, IndicatorSink* sink, FeedReport* report)
      : display_name_(display_name), sink_(sink), report_(report) {
    now_ = options.now_unix != 0 ? options.now_unix : static_cast<int64_t>(std::time(nullptr));
    report_->path.assign(display_name);
    report_->format = "stix";
  }

  bool Run(JsonInput* input);

  void HandleObject(const StixObject& o) {
    if (o.type == "indicator") {
      HandleIndicator(o);
    } else if (o.type == "malware" || o.type == "intrusion-set" || o.type == "campaign") {
      attribution_.AddSdo(o.id, o.name);
    } else if (o.type == "identity") {
      if (!o.id.empty() && !o.name.empty()) identities_[o.id] = o.name;
    } else if (o.type == "relationship") {
      attribution_.AddRelationship(o.relationship_type, o.source_ref, o.target_ref);
    }
  }

  void AddDiagnostic(rules::Diagnostic::Severity severity, int line, int column, std::string message) {
    rules::Diagnostic& d = report_->diagnostics.emplace_back();
    d.severity = severity;
    d.location = {std::string(display_name_), line, column};
    d.message = std::move(message);
  }

 private:
  void Warn(const StixObject& o, std::string message) {
    if (warnings_ == kMaxStixWarnings) {
      ++suppressed_;
      return;
    }
    ++warnings_;
    AddDiagnostic(rules::Diagnostic::Severity::kWarning, o.line, o.column, std::move(message));
  }

  void Skip(const StixObject& o, std::string message) {
    ++report_->skipped;
    Warn(o, std::move(message));
  }

  // Parses a validity bound; false (with a warning) when malformed.
  bool ReadTime(const StixObject& o, const char* field, const std::string& text, int64_t* out) {
    std::optional<int64_t> t = ParseRfc3339(text);
    if (!t) {
      Skip(o, "indicator " + Shown(o.id) + ": invalid " + field + " timestamp '" + Shown(text) + "'");
      return false;
    }
    *out = *t;
    return true;
  }

  void HandleIndicator(const StixObject& o);

  std::string_view display_name_;
  IndicatorSink* sink_;
  FeedReport* report_;
  int64_t now_ = 0;
  Indicator indicator_;  // reused for every indicator
  Attribution attribution_;
  absl::flat_hash_map<std::string, std::string> identities_;  // id -> name
  size_t warnings_ = 0, suppressed_ = 0;
};

void StixReader::HandleIndicator(const StixObject& o) {
  if (o.id.empty()) {
    Skip(o, "indicator without an id skipped");
    return;
  }
  if (o.revoked) {
    ++report_->expired;
    return;
  }
  if (o.has_pattern_type && o.pattern_type != "stix") {
    Skip(o, "indicator " + Shown(o.id) + ": pattern_type '" + Shown(o.pattern_type) + "' is not supported");
    return;
  }
  if (o.pattern.empty()) {
    Skip(o, "indicator " + Shown(o.id) + ": no pattern");
    return;
  }
  int64_t from = 0, until = 0;
  if (o.has_valid_from && !ReadTime(o, "valid_from", o.valid_from, &from)) return;
  if (o.has_valid_until && !ReadTime(o, "valid_until", o.valid_until, &until)) return;
  if ((o.has_valid_from && from > now_) || (o.has_valid_until && until <= now_)) {
    ++report_->expired;
    return;
  }
  Indicator& ind = indicator_;
  PatternError error;
  if (!ParseStixPattern(o.pattern, &ind.clauses, &error)) {
    Skip(o, "indicator " + Shown(o.id) + ": unsupported pattern: " + error.message + " at pattern offset " +
                std::to_string(error.offset));
    return;
  }
  ind.id.assign(o.id);
  ind.name.assign(o.name);
  ind.description.assign(o.description);
  ind.labels.resize(o.label_count);
  for (size_t i = 0; i < o.label_count; ++i) ind.labels[i].assign(o.labels[i]);
  ind.confidence = o.confidence;
  ind.source.clear();
  if (!o.created_by_ref.empty()) {
    if (auto it = identities_.find(o.created_by_ref); it != identities_.end()) ind.source.assign(it->second);
  }
  if (ind.source.empty()) ind.source.assign(o.ref_source_name);
  if (!o.ref_url.empty()) {
    ind.reference.assign(o.ref_url);
  } else {
    ind.reference.assign(o.ref_source_name);
    if (!o.ref_source_name.empty() && !o.ref_external_id.empty()) ind.reference.push_back(' ');
    ind.reference.append(o.ref_external_id);
  }
  ind.where.file.assign(display_name_);
  ind.where.line = o.line;
  ind.where.column = o.column;
  sink_->Add(ind);
  ++report_->indicators;
  for (const Clause& c : ind.clauses) {
    for (const Term& t : c.terms) ++report_->counts[static_cast<int>(t.type)];
  }
  attribution_.AddDelivered(o.id);
}

// ---------------------------------------------------------------------------
// SAX handler: tracks nesting and collects one object at a time.
//
// Depth counts open containers. The top-level value is a bundle, an array of
// objects or one bare object. A top-level object is collected as a bare
// object until its "objects" array starts; from then on each element of that
// array is collected instead. Keys of the collected object are read at
// obj_depth_; arrays of strings (labels) one level down, and
// external_references' objects two levels down. Everything else is skipped.

class Handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Handler> {
 public:
  Handler(StixReader* reader, JsonInput* input) : reader_(reader), input_(input) {}

  bool StartObject() {
    if (depth_ == elements_depth_ || depth_ == 0) {
      Begin(depth_ + 1);
    } else if (obj_depth_ >= 0 && depth_ == obj_depth_ + 1 && array_field_ == Field::kExternalReferences) {
      ++ref_index_;
      ref_field_ = RefField::kOther;
    }
    ++depth_;
    return true;
  }

  bool EndObject(rapidjson::SizeType) {
    --depth_;
    if (depth_ + 1 == obj_depth_) {
      obj_depth_ = -1;
      reader_->HandleObject(object_);
    }
    return true;
  }

  bool StartArray() {
    if (depth_ == 0) {
      elements_depth_ = 1;
    } else if (obj_depth_ >= 0 && depth_ == obj_depth_) {
      if (field_ == Field::kObjects && obj_depth_ == 1) {
        elements_depth_ = depth_ + 1;
        obj_depth_ = -1;  // a bundle, not a bare object
      } else if (field_ == Field::kLabels || field_ == Field::kIndicatorTypes ||
                 field_ == Field::kExternalReferences) {
        array_field_ = field_;
      }
    }
    ++depth_;
    return true;
  }

  bool EndArray(rapidjson::SizeType) {
    --depth_;
    if (depth_ == obj_depth_) array_field_ = Field::kOther;
    if (depth_ + 1 == elements_depth_) elements_depth_ = -1;
    return true;
  }

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (obj_depth_ < 0) return true;
    if (depth_ == obj_depth_) {
      field_ = FieldOf(std::string_view(s, n));
    } else if (depth_ == obj_depth_ + 2 && array_field_ == Field::kExternalReferences) {
      const std::string_view k(s, n);
      ref_field_ = k == "source_name"   ? RefField::kSourceName
                   : k == "url"         ? RefField::kUrl
                   : k == "external_id" ? RefField::kExternalId
                                        : RefField::kOther;
    }
    return true;
  }

  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (obj_depth_ < 0) return true;
    const std::string_view v(s, n);
    if (depth_ == obj_depth_) {
      SetString(v);
    } else if (depth_ == obj_depth_ + 1) {
      if (array_field_ == Field::kLabels || array_field_ == Field::kIndicatorTypes) object_.AddLabel(v);
    } else if (depth_ == obj_depth_ + 2 && array_field_ == Field::kExternalReferences) {
      if (ref_field_ == RefField::kUrl && object_.ref_url.empty()) object_.ref_url.assign(v);
      if (ref_index_ == 0 && ref_field_ == RefField::kSourceName) object_.ref_source_name.assign(v);
      if (ref_index_ == 0 && ref_field_ == RefField::kExternalId) object_.ref_external_id.assign(v);
    }
    return true;
  }

  bool Bool(bool b) {
    if (obj_depth_ >= 0 && depth_ == obj_depth_ && field_ == Field::kRevoked) object_.revoked = b;
    return true;
  }
  bool Int(int v) { return Integer(v); }
  bool Uint(unsigned v) { return Integer(v); }
  bool Int64(int64_t v) { return Integer(v); }
  bool Uint64(uint64_t v) { return Integer(v > 1000 ? 1000 : static_cast<int64_t>(v)); }
  bool Double(double v) {
    if (v >= 0 && v <= 100 && v == static_cast<double>(static_cast<int>(v))) return Integer(static_cast<int>(v));
    return true;
  }

 private:
  void Begin(int depth) {
    obj_depth_ = depth;
    object_.Clear();
    input_->Locate(input_->Tell(), &object_.line, &object_.column);
    field_ = array_field_ = Field::kOther;
    ref_index_ = -1;
  }

  // confidence: an integer 0..100; anything else leaves it unknown.
  bool Integer(int64_t v) {
    if (obj_depth_ >= 0 && depth_ == obj_depth_ && field_ == Field::kConfidence && v >= 0 && v <= 100) {
      object_.confidence = static_cast<int>(v);
    }
    return true;
  }

  void SetString(std::string_view v) {
    StixObject& o = object_;
    switch (field_) {
      case Field::kType: o.type.assign(v); break;
      case Field::kId: o.id.assign(v); break;
      case Field::kName: o.name.assign(v); break;
      case Field::kDescription: o.description.assign(v); break;
      case Field::kPattern: o.pattern.assign(v); break;
      case Field::kPatternType:
        o.pattern_type.assign(v);
        o.has_pattern_type = true;
        break;
      case Field::kValidFrom:
        o.valid_from.assign(v);
        o.has_valid_from = true;
        break;
      case Field::kValidUntil:
        o.valid_until.assign(v);
        o.has_valid_until = true;
        break;
      case Field::kCreatedByRef: o.created_by_ref.assign(v); break;
      case Field::kRelationshipType: o.relationship_type.assign(v); break;
      case Field::kSourceRef: o.source_ref.assign(v); break;
      case Field::kTargetRef: o.target_ref.assign(v); break;
      default: break;
    }
  }

  StixReader* reader_;
  JsonInput* input_;
  StixObject object_;
  int depth_ = 0;
  int obj_depth_ = -1;       // depth of the collected object's keys; -1 when none
  int elements_depth_ = -1;  // depth at which an object starts an element to collect
  Field field_ = Field::kOther;        // the key just read at obj_depth_
  Field array_field_ = Field::kOther;  // the array open at obj_depth_ + 1
  int ref_index_ = -1;                 // current external_references element
  RefField ref_field_ = RefField::kOther;
};

bool StixReader::Run(JsonInput* input) {
  Handler handler(this, input);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<rapidjson::kParseIterativeFlag>(*input, handler);
  bool ok = true;
  if (result.IsError()) {
    int line = 0, column = 0;
    input->Locate(result.Offset(), &line, &column);
    std::string message = input->read_error() ? "read error: " + std::string(std::strerror(errno))
                                              : "malformed JSON: " + std::string(GetParseError_En(result.Code()));
    AddDiagnostic(rules::Diagnostic::Severity::kError, line, column, std::move(message));
    ok = false;
  }
  attribution_.Resolve(sink_);
  if (suppressed_ > 0) {
    AddDiagnostic(rules::Diagnostic::Severity::kNote, 0, 0,
                  std::to_string(suppressed_) + " more warnings not shown");
  }
  return ok;
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!ReadDigits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !ReadDigits(s, 5, 2, &month) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ReadDigits(s, 11, 2, &hour) || s[13] != ':' || !ReadDigits(s, 14, 2, &minute) || s[16] != ':' ||
      !ReadDigits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (s[pos] == '.') {
    const size_t digits = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == digits) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    if (pos + 1 != s.size()) return std::nullopt;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (pos + 6 != s.size() || !ReadDigits(s, pos + 1, 2, &oh) || s[pos + 3] != ':' ||
        !ReadDigits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  static constexpr int kDaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  static constexpr int kDaysBefore[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  const bool leap = IsLeapYear(year);
  if (day > kDaysIn[month - 1] + (month == 2 && leap ? 1 : 0)) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
  const int64_t days = int64_t{365} * (year - 1970) + (LeapYearsThrough(year - 1) - LeapYearsThrough(1969)) +
                       kDaysBefore[month - 1] + (month > 2 && leap ? 1 : 0) + (day - 1);
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

bool ReadStixFile(const std::string& path, const FeedOptions& options, IndicatorSink* sink, FeedReport* report) {
  StixReader reader(path, options, sink, report);
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    reader.AddDiagnostic(rules::Diagnostic::Severity::kError, 0, 0,
                         "cannot open STIX file: " + std::string(std::strerror(errno)));
    return false;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(file, &std::fclose);
  JsonInput input(file);
  return reader.Run(&input);
}

bool ReadStixString(std::string_view json, std::string_view display_name, const FeedOptions& options,
                    IndicatorSink* sink, FeedReport* report) {
  StixReader reader(display_name, options, sink, report);
  JsonInput input(json);
  return reader.Run(&input);
}

}  // namespace kagami::feeds
