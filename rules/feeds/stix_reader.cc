#include "rules/feeds/stix_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// RapidJSON scans strings and whitespace 16 bytes at a time when told which
// instructions it may use (only this file includes it).
#if defined(__SSE4_2__)
#define RAPIDJSON_SSE42
#elif defined(__SSE2__)
#define RAPIDJSON_SSE2
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/radix_sort.h"
#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"
#include "rules/feeds/handoff_ring.h"
#include "rules/feeds/stix_pattern.h"

namespace kagami::feeds {
namespace {
// Selects the stack below for the RapidJSON reader of this file.
struct EagerJsonStack {};
}  // namespace
}  // namespace kagami::feeds

// RapidJSON 1.1.0 (Debian's) allocates a Reader's stack on its first push,
// and the test that decides to allocate adds the pushed size to the still
// null top pointer: undefined behaviour, which clang's UBSan reports on the
// first string of a document (fixed upstream after 1.1.0). The Reader's
// stack type follows its allocator argument, so the reader here gets this
// stack, which allocates when it is made and so never does arithmetic on a
// null pointer. It has only what the Reader calls; a RapidJSON that calls
// more fails to compile here rather than misbehave.
namespace rapidjson::internal {
template <>
class Stack<kagami::feeds::EagerJsonStack> {
 public:
  Stack(kagami::feeds::EagerJsonStack*, size_t capacity) {
    capacity = std::max<size_t>(capacity, 64);
    bytes_.reset(new char[capacity]);
    top_ = bytes_.get();
    end_ = top_ + capacity;
  }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  void Clear() { top_ = bytes_.get(); }

  template <typename T>
  RAPIDJSON_FORCEINLINE T* Push(size_t count = 1) {
    const size_t n = sizeof(T) * count;
    if (RAPIDJSON_UNLIKELY(static_cast<size_t>(end_ - top_) < n)) Grow(n);
    T* at = reinterpret_cast<T*>(top_);
    top_ += n;
    return at;
  }

  // The popped bytes stay readable until the next push: the Reader hands a
  // popped string to the handler from there.
  template <typename T>
  T* Pop(size_t count) {
    top_ -= sizeof(T) * count;
    return reinterpret_cast<T*>(top_);
  }

  template <typename T>
  T* Top() {
    return reinterpret_cast<T*>(top_ - sizeof(T));
  }

 private:
  void Grow(size_t n) {
    const size_t used = static_cast<size_t>(top_ - bytes_.get());
    const size_t capacity = std::max(used + n, 2 * static_cast<size_t>(end_ - bytes_.get()));
    std::unique_ptr<char[]> bigger(new char[capacity]);
    std::memcpy(bigger.get(), bytes_.get(), used);
    bytes_ = std::move(bigger);
    top_ = bytes_.get() + used;
    end_ = bytes_.get() + capacity;
  }

  std::unique_ptr<char[]> bytes_;
  char* top_;
  char* end_;
};
}  // namespace rapidjson::internal

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

// Comparisons with a literal that compile to a few word compares (the
// std::string_view operators call memcmp, millions of times per feed).
template <size_t N>
bool Is(std::string_view s, const char (&word)[N]) {
  return s.size() == N - 1 && std::memcmp(s.data(), word, N - 1) == 0;
}
template <size_t N>
bool StartsWith(std::string_view s, const char (&prefix)[N]) {
  return s.size() >= N - 1 && std::memcmp(s.data(), prefix, N - 1) == 0;
}

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
//
// Parsing a bundle byte by byte through a RapidJSON stream cost more than
// everything else the reader does. So the text is read in blocks into one
// buffer (Source); the tokens around the elements of "objects" (the root
// object or array, its keys, commas) are read by JsonDriver, and each element
// is parsed from memory in one pass by FastParser, which handles the plain
// JSON feeds are made of. Whatever FastParser does not handle, and every
// error, goes to RapidJSON: from memory once ContainerScan has found where the
// value ends, or streaming when it is larger than the buffer. The handler gets
// the same events, and errors come with the same codes and offsets, as when
// RapidJSON's iterative parser reads the whole text.

// The JSON text, read into one reused buffer. pos_ is the next byte to parse;
// a value being delimited is kept whole by moving it to the front of the
// buffer before the next read. The byte at end_ is always '\0', which RapidJSON
// takes as the end of the text; a '\0' inside the text ends it just the same
// (for RapidJSON and for the tokens read here). Newlines are counted by what
// steps over them anyway (the whitespace between elements, FastParser) and
// elsewhere lazily: Locate() counts them with memchr from where counting last
// stopped up to the offset asked for, and a read counts those in the bytes it
// drops. Offsets asked for only grow (object starts, then an error).
class Source {
 public:
  // 1 MiB stays in the L2 cache from the read to the parse, and a larger
  // buffer was no faster.
  static constexpr size_t kBlock = size_t{1} << 20;
  // Readable bytes after end_ (zero): ContainerScan loads 64 bytes at a time,
  // FastParser and RapidJSON 16, past the end of what they look at.
  static constexpr size_t kPadding = 64;

  // A smaller input gets a buffer its size (+1, to see its end in one read).
  explicit Source(int fd) : fd_(fd) {
    struct stat st;
    const bool small = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) < kBlock;
    Start(small ? static_cast<size_t>(st.st_size) + 1 : kBlock);
  }
  explicit Source(std::string_view text) : text_(text) { Start(std::min(text.size() + 1, kBlock)); }

  const char* pos() const { return pos_; }
  const char* end() const { return end_; }
  // The input did not fit in one buffer (or its size was not known).
  bool large() const { return capacity_ == kBlock; }
  const char*& mutable_pos() { return pos_; }
  const char* const* cursor() const { return &pos_; }
  size_t Offset(const char* p) const { return base_ + static_cast<size_t>(p - buffer_.get()); }
  bool read_error() const { return read_error_; }
  int read_errno() const { return read_errno_; }

  // The byte at pos_, reading the next block when all before it was parsed.
  char Peek() {
    if (pos_ == end_) Fill(pos_);
    return *pos_;
  }
  // Steps over the byte at pos_ (never the '\0' at end_).
  void Advance() { ++pos_; }
  // Newlines skipped here are counted on the way (from counted_ on).
  void SkipWhitespace() {
    CountLines(pos_);
    for (;;) {
      for (; pos_ != end_ && IsSpace(*pos_); ++pos_) {
        if (*pos_ == '\n' && pos_ >= counted_) NewLine(pos_);
      }
      counted_ = std::max(counted_, pos_);
      if (pos_ != end_ || Fill(pos_) != FillResult::kRead) return;
    }
  }

  // [start, end) has `newlines` newlines, the last at `last`: counted by a
  // parser that went through it, so Locate need not.
  void Counted(const char* start, const char* end, int newlines, const char* last) {
    if (counted_ != start) return;
    if (newlines > 0) {
      line_ += newlines;
      line_start_ = Offset(last + 1);
    }
    counted_ = end;
  }

  enum class FillResult : uint8_t { kRead, kEnd, kFull };
  // Drops the bytes before `keep` (counting their newlines) and reads more
  // after end_. kEnd: nothing more to read; kFull: the buffer holds only
  // [keep, end_) already.
  FillResult Fill(const char* keep) {
    if (eof_) return FillResult::kEnd;
    char* const begin = buffer_.get();
    if (keep == begin && end_ == begin + capacity_) return FillResult::kFull;
    CountLines(keep);
    const size_t drop = static_cast<size_t>(keep - begin);
    const size_t kept = static_cast<size_t>(end_ - keep);
    std::memmove(begin, keep, kept);
    pos_ -= drop;
    counted_ -= drop;
    base_ += drop;
    end_ = begin + kept;
    const size_t got = Read(begin + kept, capacity_ - kept);
    end_ += got;
    std::memset(begin + kept + got, 0, kPadding);
    return got > 0 ? FillResult::kRead : FillResult::kEnd;
  }

  // 1-based line and byte column of `offset` (at least the last one asked
  // for, at most the offset of end_).
  void Locate(size_t offset, int* line, int* column) {
    if (offset > base_) CountLines(buffer_.get() + std::min(offset - base_, static_cast<size_t>(end_ - buffer_.get())));
    *line = line_;
    // A minified bundle is one line of hundreds of megabytes.
    const size_t col = offset >= line_start_ ? offset - line_start_ + 1 : 1;
    *column = static_cast<int>(std::min<size_t>(col, std::numeric_limits<int>::max()));
  }

  static bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

 private:
  void Start(size_t capacity) {
    capacity_ = capacity;
    buffer_.reset(static_cast<char*>(::operator new(capacity + kPadding, std::align_val_t{64})));
    pos_ = end_ = counted_ = buffer_.get();
    Fill(pos_);
    // A UTF-8 byte order mark is skipped; columns on line 1 count from after it.
    if (end_ - pos_ >= 3 && std::memcmp(pos_, "\xEF\xBB\xBF", 3) == 0) {
      pos_ += 3;
      counted_ = pos_;
      line_start_ = 3;
    }
  }

  // Fills [out, out + size) as far as the input goes; fewer bytes only at
  // its end (or on a read error, which ends it too).
  size_t Read(char* out, size_t size) {
    size_t got = 0;
    if (fd_ < 0) {
      got = std::min(size, text_.size());
      std::memcpy(out, text_.data(), got);
      text_.remove_prefix(got);
    } else {
      while (got < size) {
        const ssize_t n = ::read(fd_, out + got, size - got);
        if (n > 0) {
          got += static_cast<size_t>(n);
        } else if (n == 0) {
          break;
        } else if (errno != EINTR) {
          read_error_ = true;
          read_errno_ = errno;
          break;
        }
      }
    }
    if (got < size) eof_ = true;
    return got;
  }

  void CountLines(const char* stop) {
    if (stop <= counted_) return;
    const char* p = counted_;
    while (const void* nl = std::memchr(p, '\n', static_cast<size_t>(stop - p))) {
      p = static_cast<const char*>(nl);
      NewLine(p++);
    }
    counted_ = stop;
  }

  void NewLine(const char* newline) {
    ++line_;
    line_start_ = Offset(newline + 1);
  }

  struct AlignedDelete {
    void operator()(char* p) const { ::operator delete(p, std::align_val_t{64}); }
  };

  int fd_ = -1;
  std::string_view text_;  // what is left of the text when there is no fd_
  size_t capacity_ = 0;  // bytes of text the buffer holds
  std::unique_ptr<char[], AlignedDelete> buffer_;  // capacity_ + kPadding bytes
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
  const char* counted_ = nullptr;  // newlines before this are in line_
  size_t base_ = 0;                // offset of buffer_[0]
  int line_ = 1;
  size_t line_start_ = 0;  // offset of the first byte of line_
  bool eof_ = false;
  bool read_error_ = false;
  int read_errno_ = 0;
};

// RapidJSON's stream for a value larger than the buffer: it reads the source
// through, dropping each block once parsed.
class StreamingInput {
 public:
  using Ch = char;
  explicit StreamingInput(Source* source) : source_(source) {}
  Ch Peek() const { return *source_->pos(); }
  Ch Take() {
    const char*& pos = source_->mutable_pos();
    const Ch c = *pos;
    if (pos != source_->end() && ++pos == source_->end()) source_->Fill(pos);
    return c;
  }
  size_t Tell() const { return source_->Offset(source_->pos()); }
  // Named by RapidJSON's in-situ code paths, which are compiled for every
  // stream but only run with kParseInsituFlag; this stream is read-only.
  Ch* PutBegin() { std::abort(); }
  void Put(Ch) { std::abort(); }
  size_t PutEnd(Ch*) { std::abort(); }

 private:
  Source* source_;
};

// Bit i of each mask describes byte i of a 64-byte block.
struct BlockMasks {
  uint64_t quote = 0, backslash = 0, open = 0, close = 0;
};

BlockMasks Classify(const char* p) {
  BlockMasks m;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}'), case_bit = _mm_set1_epi8(0x20);
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const __m128i folded = _mm_or_si128(v, case_bit);  // '[' -> '{', ']' -> '}', nothing else
    const auto bits = [&](__m128i eq) {
      return static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(eq))) << (16 * i);
    };
    m.quote |= bits(_mm_cmpeq_epi8(v, quote));
    m.backslash |= bits(_mm_cmpeq_epi8(v, backslash));
    m.open |= bits(_mm_cmpeq_epi8(folded, open));
    m.close |= bits(_mm_cmpeq_epi8(folded, close));
  }
#else
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    switch (p[i]) {
      case '"': m.quote |= bit; break;
      case '\\': m.backslash |= bit; break;
      case '{':
      case '[': m.open |= bit; break;
      case '}':
      case ']': m.close |= bit; break;
      default: break;
    }
  }
#endif
  return m;
}

// Bit i of the result: the parity of bits 0..i of x.
uint64_t PrefixXor(uint64_t x) {
  for (int shift = 1; shift < 64; shift *= 2) x ^= x << shift;
  return x;
}

// Where an object or array ends: brackets are counted (both kinds alike)
// outside strings, and a string runs from a quote to the next quote not
// escaped by an odd run of backslashes. Wherever this differs from JSON the
// text is malformed there, and RapidJSON reports it without reading further,
// so the span found always covers what RapidJSON reads of the value.
class ContainerScan {
 public:
  // Looks at [start + scanned_, end) of a value starting with '{' or '[';
  // returns its length when it ends there, else 0 (call again once more of
  // it is in memory; `start` may have moved).
  size_t Next(const char* start, const char* end) {
    const char* p = start + scanned_;
    while (p < end) {
      const size_t n = std::min<size_t>(64, static_cast<size_t>(end - p));
      const uint64_t valid = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
      BlockMasks m = Classify(p);
      // Bytes escaped by a backslash (itself not escaped); rare in STIX.
      uint64_t escaped = escape_next_ ? 1 : 0;
      escape_next_ = false;
      for (uint64_t b = m.backslash & valid; b != 0; b &= b - 1) {
        const int i = std::countr_zero(b);
        if ((escaped >> i) & 1) continue;
        if (static_cast<size_t>(i) + 1 == n) {
          escape_next_ = true;
        } else {
          escaped |= uint64_t{2} << i;
        }
      }
      const uint64_t in_string = PrefixXor(m.quote & valid & ~escaped) ^ in_string_;
      in_string_ = (in_string >> (n - 1)) & 1 ? ~uint64_t{0} : 0;
      for (uint64_t s = (m.open | m.close) & valid & ~in_string; s != 0; s &= s - 1) {
        const int i = std::countr_zero(s);
        if ((m.open >> i) & 1) {
          ++depth_;
        } else if (--depth_ == 0) {
          return static_cast<size_t>(p - start) + static_cast<size_t>(i) + 1;
        }
      }
      p += n;
      scanned_ += n;
    }
    return 0;
  }

 private:
  size_t scanned_ = 0;
  size_t depth_ = 0;
  uint64_t in_string_ = 0;  // all ones when the last byte looked at is in a string
  bool escape_next_ = false;
};

// ---------------------------------------------------------------------------
// Attribution

enum class SdoKind : uint8_t { kNone, kMalware, kIntrusionSet, kCampaign };

SdoKind KindOfId(std::string_view id) {
  if (StartsWith(id, "malware--")) return SdoKind::kMalware;
  if (StartsWith(id, "intrusion-set--")) return SdoKind::kIntrusionSet;
  if (StartsWith(id, "campaign--")) return SdoKind::kCampaign;
  return SdoKind::kNone;
}

AttributionKind ToAttributionKind(SdoKind k) {
  switch (k) {
    case SdoKind::kIntrusionSet: return AttributionKind::kIntrusionSet;
    case SdoKind::kCampaign: return AttributionKind::kCampaign;
    default: return AttributionKind::kMalware;
  }
}

constexpr char kIndicatorPrefixText[] = "indicator--";
constexpr std::string_view kIndicatorPrefix = kIndicatorPrefixText;

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
  // Compared as two 64-bit words: a million keys sort several times faster
  // than with std::array's comparisons (a memcmp call each).
  std::pair<uint64_t, uint64_t> Words() const {
    return {uint64_t{w[0]} << 32 | w[1], uint64_t{w[2]} << 32 | w[3]};
  }
  bool operator==(const IdKey& o) const { return Words() == o.Words(); }
  bool operator<(const IdKey& o) const { return Words() < o.Words(); }
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
    char text[kIndicatorPrefix.size() + 36];
    char* p = std::copy(kIndicatorPrefix.begin(), kIndicatorPrefix.end(), text);
    for (int nibble = 0; nibble < 32; ++nibble) {
      if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) *p++ = '-';
      *p++ = kHex[(key.w[nibble / 8] >> (28 - 4 * (nibble % 8))) & 15];
    }
    out->assign(text, sizeof text);
  }

 private:
  static bool PackUuid(std::string_view id, IdKey* key) {
    if (id.size() != kIndicatorPrefix.size() + 36 || !StartsWith(id, kIndicatorPrefixText)) return false;
    const char* uuid = id.data() + kIndicatorPrefix.size();
    if (uuid[8] != '-' || uuid[13] != '-' || uuid[18] != '-' || uuid[23] != '-') return false;
    if (uuid[19] != '8' && uuid[19] != '9' && uuid[19] != 'a' && uuid[19] != 'b') return false;
    // Where each byte's two digits are among the 36 characters. The bytes are
    // decoded independently (no chain of shifts through 32 digits).
    static constexpr uint8_t kByteAt[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    int bad = 0;
    uint8_t bytes[16];
    for (int i = 0; i < 16; ++i) {
      const int hi = kHexValue[static_cast<unsigned char>(uuid[kByteAt[i]])];
      const int lo = kHexValue[static_cast<unsigned char>(uuid[kByteAt[i] + 1])];
      bad |= hi | lo;
      bytes[i] = static_cast<uint8_t>(((hi & 15) << 4) | (lo & 15));
    }
    for (int word = 0; word < 4; ++word) {
      const uint8_t* b = bytes + 4 * word;
      key->w[word] = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    }
    return bad >= 0;
  }

  absl::flat_hash_map<std::string, uint32_t> odd_index_;
  std::vector<std::string> odd_;
};

// A growing array of trivially copyable T (one per indicator or relationship,
// millions in a large feed) in a mapping of its own: growing moves its pages
// with mremap rather than copying them to fresh ones, so each page is written
// and faulted in once (std::vector's doubling does both for about twice the
// final size).
template <typename T>
class GrowingArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  GrowingArray() = default;
  GrowingArray(const GrowingArray&) = delete;
  GrowingArray& operator=(const GrowingArray&) = delete;
  ~GrowingArray() {
    if (data_ != nullptr) ::munmap(data_, bytes_);
  }

  void push_back(const T& value) {
    if (size_ == capacity_) Grow();
    new (data_ + size_++) T(value);
  }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  // Drops the elements from `new_end` on.
  void erase_from(T* new_end) { size_ = static_cast<size_t>(new_end - data_); }

 private:
  void Grow() {
    const size_t bytes = std::max(bytes_ * 2, size_t{64} << 10);
    void* p = data_ == nullptr ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                               : ::mremap(data_, bytes_, bytes, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<T*>(p);
    bytes_ = bytes;
    capacity_ = bytes / sizeof(T);
  }

  T* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
  size_t bytes_ = 0;  // of the mapping
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
    if (Is(type, "indicates")) {
      if (StartsWith(source, kIndicatorPrefixText) && t != SdoKind::kNone) {
        indicates_.push_back({ids_.Key(source), Intern(target)});
      }
    } else if (Is(type, "attributed-to")) {
      if ((s == SdoKind::kMalware || s == SdoKind::kCampaign) && t == SdoKind::kIntrusionSet) {
        hops_.emplace_back(Intern(source), Intern(target));
      }
    } else if (Is(type, "uses")) {
      // A malware an indicator indicates is attributed to the intrusion sets
      // and campaigns that use it.
      if ((s == SdoKind::kIntrusionSet || s == SdoKind::kCampaign) && t == SdoKind::kMalware) {
        hops_.emplace_back(Intern(target), Intern(source));
      }
    }
  }

  void AddDelivered(std::string_view indicator_id) {
    delivered_.push_back({ids_.Key(indicator_id), static_cast<uint32_t>(delivered_.size())});
  }

  void Resolve(IndicatorSink* sink) {
    if (indicates_.empty()) return;
    const size_t deliveries = delivered_.size();
    {
      // The two big sorts (a million relationships, a million indicators)
      // share nothing: one runs on a second thread.
      std::thread sort_delivered([this] { SortUnique(&delivered_); });
      SortUnique(&indicates_);
      sort_delivered.join();
    }
    SortUnique(&hops_);
    PlacedAttribution placed;
    placed.set_of.assign(deliveries, PlacedAttribution::kNoSet);
    std::vector<uint32_t> first_indicates(deliveries, kNone);  // per place: into indicates_, for id_of
    // Both sorted by indicator: walked side by side, each delivered
    // indicator's relationships become its set of names.
    std::vector<uint32_t> sdos;
    const Delivered* delivered = delivered_.begin();
    for (size_t i = 0; i < indicates_.size();) {
      const IdKey& indicator = indicates_[i].indicator;
      size_t j = i;
      sdos.clear();
      for (; j < indicates_.size() && indicates_[j].indicator == indicator; ++j) sdos.push_back(indicates_[j].sdo);
      while (delivered != delivered_.end() && delivered->key < indicator) ++delivered;
      if (delivered != delivered_.end() && delivered->key == indicator) {
        const uint32_t set = SetFor(sdos, &placed);
        // Every delivery of the id (a bundle may hold several versions).
        for (; delivered != delivered_.end() && delivered->key == indicator; ++delivered) {
          placed.set_of[delivered->ordinal] = set;
          first_indicates[delivered->ordinal] = static_cast<uint32_t>(i);
        }
      }
      i = j;
    }
    std::string id;
    sink->AttributePlaced(placed, [&](uint32_t place) {
      ids_.Text(indicates_[first_indicates[place]].indicator, &id);
      return id;
    });
  }

 private:
  struct Sdo {
    SdoKind kind = SdoKind::kNone;
    std::string name;
  };
  struct Indicates {
    IdKey indicator;
    uint32_t sdo = 0;
    uint64_t Top() const { return indicator.Words().first; }
    bool operator==(const Indicates&) const = default;
    bool operator<(const Indicates& o) const {
      return indicator == o.indicator ? sdo < o.sdo : indicator < o.indicator;
    }
  };
  struct Delivered {
    IdKey key;
    uint32_t ordinal = 0;  // place among the indicators delivered
    uint64_t Top() const { return key.Words().first; }
    bool operator==(const Delivered&) const = default;
    bool operator<(const Delivered& o) const {
      return key == o.key ? ordinal < o.ordinal : key < o.key;
    }
  };

  static constexpr uint32_t kNone = UINT32_MAX;

  // The index in placed->sets of the names these SDOs bring (with their
  // hops), added on first sight; kNoSet when they bring no name. Most
  // indicators indicate one SDO, looked up directly.
  uint32_t SetFor(const std::vector<uint32_t>& sdos, PlacedAttribution* placed) {
    constexpr uint32_t kUnknown = PlacedAttribution::kNoSet - 1;
    uint32_t* known;
    if (sdos.size() == 1) {
      if (set_of_sdo_.size() < sdos_.size()) set_of_sdo_.resize(sdos_.size(), kUnknown);
      known = &set_of_sdo_[sdos[0]];
    } else {
      known = &set_of_sdos_.try_emplace(sdos, kUnknown).first->second;
    }
    if (*known != kUnknown) return *known;
    std::vector<std::pair<AttributionKind, std::string_view>> names;
    auto add = [&](uint32_t sdo) {
      const Sdo& s = sdos_[sdo];
      if (!s.name.empty()) names.emplace_back(ToAttributionKind(s.kind), s.name);
    };
    for (const uint32_t sdo : sdos) {
      add(sdo);
      auto hop = std::lower_bound(hops_.begin(), hops_.end(), std::make_pair(sdo, uint32_t{0}));
      for (; hop != hops_.end() && hop->first == sdo; ++hop) add(hop->second);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names.empty()) return *known = PlacedAttribution::kNoSet;
    auto& set = placed->sets.emplace_back();
    for (const auto& [kind, name] : names) set.push_back({kind, std::string(name)});
    return *known = static_cast<uint32_t>(placed->sets.size() - 1);
  }

  template <typename T>
  static void SortUnique(std::vector<T>* v) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  // A million relationships and indicators: ids are random UUIDs, whose
  // first 64 bits spread well.
  template <typename T>
  static void SortUnique(GrowingArray<T>* v) {
    RadixSort(v->begin(), v->end(), [](const T& x) { return x.Top(); }, [](const T& a, const T& b) { return a < b; });
    v->erase_from(std::unique(v->begin(), v->end()));
  }

  uint32_t Intern(std::string_view id) {
    // Looked up without making a std::string (this Abseil's string_view is its own type).
    if (auto it = sdo_index_.find(absl::string_view(id.data(), id.size())); it != sdo_index_.end()) {
      return it->second;
    }
    const auto index = static_cast<uint32_t>(sdos_.size());
    sdo_index_.emplace(std::string(id), index);
    sdos_.push_back({KindOfId(id), {}});
    return index;
  }

  IdTable ids_;
  absl::flat_hash_map<std::string, uint32_t> sdo_index_;
  std::vector<Sdo> sdos_;
  GrowingArray<Indicates> indicates_;                // 20 bytes per relationship
  std::vector<std::pair<uint32_t, uint32_t>> hops_;  // (indicated SDO, SDO it brings along)
  GrowingArray<Delivered> delivered_;
  std::vector<uint32_t> set_of_sdo_;  // SetFor, one SDO: by SDO
  std::map<std::vector<uint32_t>, uint32_t> set_of_sdos_;  // SetFor, several
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
    case 2: return Is(key, "id") ? Field::kId : Field::kOther;
    case 4: return Is(key, "type") ? Field::kType : Is(key, "name") ? Field::kName : Field::kOther;
    case 6: return Is(key, "labels") ? Field::kLabels : Field::kOther;
    case 7:
      if (Is(key, "pattern")) return Field::kPattern;
      if (Is(key, "revoked")) return Field::kRevoked;
      return Is(key, "objects") ? Field::kObjects : Field::kOther;
    case 10:
      if (Is(key, "valid_from")) return Field::kValidFrom;
      if (Is(key, "confidence")) return Field::kConfidence;
      if (Is(key, "source_ref")) return Field::kSourceRef;
      return Is(key, "target_ref") ? Field::kTargetRef : Field::kOther;
    case 11:
      return Is(key, "description") ? Field::kDescription : Is(key, "valid_until") ? Field::kValidUntil : Field::kOther;
    case 12: return Is(key, "pattern_type") ? Field::kPatternType : Field::kOther;
    case 14: return Is(key, "created_by_ref") ? Field::kCreatedByRef : Field::kOther;
    case 15: return Is(key, "indicator_types") ? Field::kIndicatorTypes : Field::kOther;
    case 17: return Is(key, "relationship_type") ? Field::kRelationshipType : Field::kOther;
    case 19: return Is(key, "external_references") ? Field::kExternalReferences : Field::kOther;
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

  bool Run(Source* source);

  void HandleObject(const StixObject& o) {
    if (Is(o.type, "indicator")) {
      HandleIndicator(o);
    } else if (Is(o.type, "malware") || Is(o.type, "intrusion-set") || Is(o.type, "campaign")) {
      attribution_.AddSdo(o.id, o.name);
    } else if (Is(o.type, "identity")) {
      if (!o.id.empty() && !o.name.empty()) identities_[o.id] = o.name;
    } else if (Is(o.type, "relationship")) {
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

// Hands collected objects to a thread of its own that runs
// StixReader::HandleObject on each, in order, so a large feed's JSON is parsed
// on one core while its patterns, times and ids are read (and the sink fed)
// on another. The parser collects each object straight into a slot of the
// ring. Everything HandleObject touches (the report, attribution,
// identities, the sink) is touched by that thread alone until Finish() has
// joined it.
class ObjectPipe {
 public:
  explicit ObjectPipe(StixReader* reader) : reader_(reader) {
    worker_ = std::thread([this] { Work(); });
  }
  ~ObjectPipe() { Finish(); }
  ObjectPipe(const ObjectPipe&) = delete;
  ObjectPipe& operator=(const ObjectPipe&) = delete;

  // The slot the next object is collected into (the same one until Push).
  StixObject& Claim() { return ring_.Claim(); }
  // The claimed slot holds a whole object: it is the worker's to handle.
  void Push() { ring_.Push(); }

  // Returns once every object pushed has been handled; rethrows what
  // HandleObject threw (the objects after it were not handled).
  void Finish() {
    if (!worker_.joinable()) return;
    ring_.Close();
    worker_.join();
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

 private:
  void Work() {
    ring_.Consume([this](StixObject& o) {
      if (failure_) return;
      try {
        reader_->HandleObject(o);
      } catch (...) {
        failure_ = std::current_exception();
      }
    });
  }

  StixReader* reader_;
  HandoffRing<StixObject> ring_{2048, 256};
  std::thread worker_;
  std::exception_ptr failure_;  // the worker's until joined
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
  if (o.has_pattern_type && !Is(o.pattern_type, "stix")) {
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
    Skip(o, "indicator " + Shown(o.id) + (error.unsupported ? ": unsupported pattern: " : ": invalid pattern: ") +
                error.message + " at pattern offset " +
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
  // STIX attribution arrives through relationships, not on the indicator.
  ind.campaigns.clear();
  ind.intrusion_sets.clear();
  ind.malware.clear();
  ++report_->indicators;
  for (const Clause& c : ind.clauses) {
    for (const Term& t : c.terms) ++report_->counts[static_cast<int>(t.type)];
  }
  // Every field was set above: what Take leaves in `ind` is overwritten
  // before the next indicator goes out.
  sink_->Take(&ind);
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
  // With a pipe, collected objects are handled on its thread.
  Handler(StixReader* reader, Source* source, ObjectPipe* pipe)
      : reader_(reader), source_(source), pipe_(pipe) {}

  // Where the parser is: the next byte it reads (the '{' for StartObject).
  void set_cursor(const char* const* cursor) { cursor_ = cursor; }

  // The next object at this depth is collected (Begin clears object_).
  bool CollectsNext() const { return depth_ == elements_depth_; }
  // A number here would be the confidence; number events anywhere else do
  // nothing.
  bool TakesNumber() const { return obj_depth_ >= 0 && depth_ == obj_depth_ && field_ == Field::kConfidence; }
  // Everything but object_: saved before a parser that may give up half-way
  // through a collected object, restored before RapidJSON parses it again.
  struct Nesting {
    int depth, obj_depth, elements_depth;
    Field field, array_field;
    int ref_index;
    RefField ref_field;
  };
  Nesting nesting() const {
    return {depth_, obj_depth_, elements_depth_, field_, array_field_, ref_index_, ref_field_};
  }
  void set_nesting(const Nesting& n) {
    depth_ = n.depth;
    obj_depth_ = n.obj_depth;
    elements_depth_ = n.elements_depth;
    field_ = n.field;
    array_field_ = n.array_field;
    ref_index_ = n.ref_index;
    ref_field_ = n.ref_field;
  }

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
      if (pipe_ != nullptr) {
        pipe_->Push();
      } else {
        reader_->HandleObject(*object_);
      }
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
      ref_field_ = Is(k, "source_name")   ? RefField::kSourceName
                   : Is(k, "url")         ? RefField::kUrl
                   : Is(k, "external_id") ? RefField::kExternalId
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
      if (array_field_ == Field::kLabels || array_field_ == Field::kIndicatorTypes) object_->AddLabel(v);
    } else if (depth_ == obj_depth_ + 2 && array_field_ == Field::kExternalReferences) {
      if (ref_field_ == RefField::kUrl && object_->ref_url.empty()) object_->ref_url.assign(v);
      if (ref_index_ == 0 && ref_field_ == RefField::kSourceName) object_->ref_source_name.assign(v);
      if (ref_index_ == 0 && ref_field_ == RefField::kExternalId) object_->ref_external_id.assign(v);
    }
    return true;
  }

  bool Bool(bool b) {
    if (obj_depth_ >= 0 && depth_ == obj_depth_ && field_ == Field::kRevoked) object_->revoked = b;
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
    // A top-level object that turns out to be a bundle, or an object FastParser
    // gave up on, is begun again in the same slot: only Push moves on.
    if (pipe_ != nullptr) object_ = &pipe_->Claim();
    object_->Clear();
    source_->Locate(source_->Offset(*cursor_), &object_->line, &object_->column);
    field_ = array_field_ = Field::kOther;
    ref_index_ = -1;
  }

  // confidence: an integer 0..100; anything else leaves it unknown.
  bool Integer(int64_t v) {
    if (obj_depth_ >= 0 && depth_ == obj_depth_ && field_ == Field::kConfidence && v >= 0 && v <= 100) {
      object_->confidence = static_cast<int>(v);
    }
    return true;
  }

  void SetString(std::string_view v) {
    StixObject& o = *object_;
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
  Source* source_;
  ObjectPipe* pipe_;
  const char* const* cursor_ = nullptr;
  StixObject own_;                // collects objects when there is no pipe
  StixObject* object_ = &own_;    // the object being collected
  int depth_ = 0;
  int obj_depth_ = -1;       // depth of the collected object's keys; -1 when none
  int elements_depth_ = -1;  // depth at which an object starts an element to collect
  Field field_ = Field::kOther;        // the key just read at obj_depth_
  Field array_field_ = Field::kOther;  // the array open at obj_depth_ + 1
  int ref_index_ = -1;                 // current external_references element
  RefField ref_field_ = RefField::kOther;
};

// Parses an object the handler collects in one pass over the buffer when it
// is plain JSON: any strings, numbers of at most 15 digits before and after
// the point and no exponent, true, false, null, nesting below kMaxDepth. The
// handler gets the events RapidJSON would give -- strings pointing into the
// buffer, or to a reused scratch string when escaped -- except for numbers it
// would do nothing with (Handler::TakesNumber); where it takes one, only a
// non-negative integer of at most nine digits is read here. Anything else
// (other numbers, every error, the '\0' at the end of the buffer) makes it
// give up; the caller then restores the handler's Nesting and has RapidJSON
// parse the object. No number read here can be one RapidJSON rejects as too
// big.
class FastParser {
 public:
  explicit FastParser(Handler* handler) : handler_(handler) {}

  // Returns the end of the object at p, or nullptr having given up at stop().
  const char* Parse(const char* p) {
    handler_->set_cursor(&cursor_);
    newlines_ = 0;
    return Object(p, 0);
  }
  const char* stop() const { return stop_; }
  // The newlines in the object parsed (all in whitespace), and the last one.
  int newlines() const { return newlines_; }
  const char* last_newline() const { return last_newline_; }

 private:
  static constexpr int kMaxDepth = 64;

  const char* GiveUp(const char* p) {
    stop_ = p;
    return nullptr;
  }

  const char* SkipSpace(const char* p) {
    for (; Source::IsSpace(*p); ++p) {
      if (*p == '\n') {
        ++newlines_;
        last_newline_ = p;
      }
    }
    return p;
  }

  // The first '"', '\\' or control byte at or after p (the buffer ends in
  // '\0', with padding after it for the 16-byte loads).
  static const char* FindSpecial(const char* p) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
    for (;; p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                           _mm_cmpeq_epi8(_mm_max_epu8(v, control), control));  // v <= 0x1f
      if (const int mask = _mm_movemask_epi8(special)) return p + std::countr_zero(static_cast<unsigned>(mask));
    }
#else
    while (*p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    return p;
#endif
  }

  const char* Object(const char* p, int depth) {
    cursor_ = p;
    handler_->StartObject();
    p = SkipSpace(p + 1);
    if (*p == '}') {
      handler_->EndObject(0);
      return p + 1;
    }
    for (rapidjson::SizeType members = 1;; ++members) {
      if (*p != '"') return GiveUp(p);
      if ((p = String(p, true)) == nullptr) return nullptr;
      p = SkipSpace(p);
      if (*p != ':') return GiveUp(p);
      if ((p = Value(SkipSpace(p + 1), depth)) == nullptr) return nullptr;
      p = SkipSpace(p);
      if (*p == '}') {
        handler_->EndObject(members);
        return p + 1;
      }
      if (*p != ',') return GiveUp(p);
      p = SkipSpace(p + 1);
    }
  }

  const char* Array(const char* p, int depth) {
    handler_->StartArray();
    p = SkipSpace(p + 1);
    if (*p == ']') {
      handler_->EndArray(0);
      return p + 1;
    }
    for (rapidjson::SizeType elements = 1;; ++elements) {
      if ((p = Value(p, depth)) == nullptr) return nullptr;
      p = SkipSpace(p);
      if (*p == ']') {
        handler_->EndArray(elements);
        return p + 1;
      }
      if (*p != ',') return GiveUp(p);
      p = SkipSpace(p + 1);
    }
  }

  const char* Value(const char* p, int depth) {
    switch (*p) {
      case '"': return String(p, false);
      case '{': return depth + 1 < kMaxDepth ? Object(p, depth + 1) : GiveUp(p);
      case '[': return depth + 1 < kMaxDepth ? Array(p, depth + 1) : GiveUp(p);
      case 't':
        if (!Literal(p, "true")) return nullptr;
        handler_->Bool(true);
        return p + 4;
      case 'f':
        if (!Literal(p, "false")) return nullptr;
        handler_->Bool(false);
        return p + 5;
      case 'n':
        if (!Literal(p, "null")) return nullptr;
        handler_->Null();
        return p + 4;
      default: return Number(p);
    }
  }

  const char* Number(const char* p) {
    const char* q = p + (*p == '-' ? 1 : 0);
    const char* const digits = q;
    if (*q == '0') {
      ++q;
    } else {
      while (IsDigit(*q) && q - digits < 15) ++q;
      if (q == digits) return GiveUp(q);  // not a value, or a lone '-'
    }
    const char* const integer_end = q;
    if (*q == '.') {
      const char* const fraction = ++q;
      while (IsDigit(*q) && q - fraction < 15) ++q;
      if (q == fraction) return GiveUp(q);
    }
    // An exponent, more digits (after a leading zero: an error), a second point.
    if (IsDigit(*q) || *q == '.' || *q == 'e' || *q == 'E') return GiveUp(q);
    if (handler_->TakesNumber()) {
      // RapidJSON's event for it: Uint.
      if (p != digits || q != integer_end || q - digits > 9) return GiveUp(p);
      unsigned value = 0;
      for (const char* d = digits; d != q; ++d) value = value * 10 + static_cast<unsigned>(*d - '0');
      handler_->Uint(value);
    }
    return q;
  }

  bool Literal(const char* p, std::string_view word) {
    for (size_t i = 1; i < word.size(); ++i) {
      if (p[i] != word[i]) {
        GiveUp(p + i);
        return false;
      }
    }
    return true;
  }

  const char* String(const char* p, bool key) {
    const char* const start = p + 1;
    p = FindSpecial(start);
    if (*p == '"') return Emit(start, static_cast<size_t>(p - start), key, p + 1);
    return EscapedString(start, p, key);
  }

  // The rest of a string from its first escape (or a control byte) at p,
  // unescaped as RapidJSON does it.
  [[gnu::noinline]] const char* EscapedString(const char* start, const char* p, bool key) {
    scratch_.assign(start, p);
    while (*p == '\\') {
      char c = 0;
      switch (p[1]) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': break;
        default: return GiveUp(p + 1);  // not an escape
      }
      if (c != 0) {
        scratch_.push_back(c);
        p += 2;
      } else if ((p = CodePoint(p + 2)) == nullptr) {
        return nullptr;
      }
      const char* q = FindSpecial(p);
      scratch_.append(p, q);
      p = q;
    }
    if (*p == '"') return Emit(scratch_.data(), scratch_.size(), key, p + 1);
    return GiveUp(p);  // a control byte: an error or the end of the buffer
  }

  // After "\u": appends the code point (a UTF-16 surrogate pair takes a second
  // \u escape) in UTF-8; a lone low surrogate is encoded as it is.
  const char* CodePoint(const char* p) {
    unsigned code = 0;
    if ((p = Hex4(p, &code)) == nullptr) return nullptr;
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (*p != '\\') return GiveUp(p);
      if (p[1] != 'u') return GiveUp(p + 1);
      unsigned low = 0;
      if ((p = Hex4(p + 2, &low)) == nullptr) return nullptr;
      if (low < 0xDC00 || low > 0xDFFF) return GiveUp(p);
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code < 0x80) {
      scratch_.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      scratch_.push_back(static_cast<char>(0xC0 | (code >> 6)));
      scratch_.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      scratch_.push_back(static_cast<char>(0xE0 | (code >> 12)));
      scratch_.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      scratch_.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      scratch_.push_back(static_cast<char>(0xF0 | (code >> 18)));
      scratch_.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      scratch_.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      scratch_.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
    return p;
  }

  const char* Hex4(const char* p, unsigned* code) {
    for (int i = 0; i < 4; ++i, ++p) {
      const char c = *p;
      const int v = IsDigit(c)               ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (v < 0) return GiveUp(p);
      *code = *code << 4 | static_cast<unsigned>(v);
    }
    return p;
  }

  const char* Emit(const char* s, size_t n, bool key, const char* next) {
    const auto size = static_cast<rapidjson::SizeType>(n);
    if (key) {
      handler_->Key(s, size, true);
    } else {
      handler_->String(s, size, true);
    }
    return next;
  }

  Handler* handler_;
  const char* cursor_ = nullptr;  // the object being started, for Handler::Begin
  const char* stop_ = nullptr;
  int newlines_ = 0;
  const char* last_newline_ = nullptr;
  std::string scratch_;  // an escaped string, unescaped
};

// Hands the string RapidJSON parsed for a key of the root object to the
// handler as that key.
class KeyForwarder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, KeyForwarder> {
 public:
  explicit KeyForwarder(Handler* handler) : handler_(handler) {}
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return handler_->Key(s, n, copy); }
  void set_cursor(const char* const*) {}

 private:
  Handler* handler_;
};

// Reads the root value and, when it is an object or array, its members or
// elements one by one (and likewise the arrays that are values of the root
// object's members: "objects"), giving every other value to RapidJSON whole.
// Tokens read here give the events and errors RapidJSON's iterative parser
// gives for them, in the states it would be in.
class JsonDriver {
 public:
  JsonDriver(Source* source, Handler* handler) : source_(source), handler_(handler), fast_(handler) {}

  // False on malformed JSON: see code() and error_offset().
  bool Document() {
    source_->SkipWhitespace();
    const char c = source_->Peek();
    if (c == '\0') return Fail(rapidjson::kParseErrorDocumentEmpty);
    if (!(c == '{' ? RootObject() : c == '[' ? Array() : Value(handler_))) return false;
    source_->SkipWhitespace();
    if (source_->Peek() != '\0') return Fail(rapidjson::kParseErrorDocumentRootNotSingular);
    return true;
  }

  rapidjson::ParseErrorCode code() const { return code_; }
  size_t error_offset() const { return error_offset_; }

 private:
  static constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;

  bool Fail(rapidjson::ParseErrorCode code) { return Fail(code, source_->Offset(source_->pos())); }
  bool Fail(rapidjson::ParseErrorCode code, size_t offset) {
    code_ = code;
    error_offset_ = offset;
    return false;
  }

  // What cannot start a value where one is expected ('\0': the end).
  static bool StartsNoValue(char c) { return c == '\0' || c == ']' || c == '}' || c == ',' || c == ':'; }

  bool RootObject() {
    handler_->set_cursor(source_->cursor());
    handler_->StartObject();
    source_->Advance();
    source_->SkipWhitespace();
    char c = source_->Peek();
    if (c == '}') {
      handler_->EndObject(0);
      source_->Advance();
      return true;
    }
    for (rapidjson::SizeType members = 1;; ++members) {
      if (c != '"') return Fail(rapidjson::kParseErrorObjectMissName);
      KeyForwarder key(handler_);
      if (!Value(&key)) return false;
      source_->SkipWhitespace();
      if (source_->Peek() != ':') return Fail(rapidjson::kParseErrorObjectMissColon);
      source_->Advance();
      source_->SkipWhitespace();
      c = source_->Peek();
      if (StartsNoValue(c)) return Fail(rapidjson::kParseErrorValueInvalid);
      if (!(c == '[' ? Array() : Value(handler_))) return false;
      source_->SkipWhitespace();
      c = source_->Peek();
      if (c == '}') {
        handler_->EndObject(members);
        source_->Advance();
        return true;
      }
      if (c != ',') return Fail(rapidjson::kParseErrorObjectMissCommaOrCurlyBracket);
      source_->Advance();
      source_->SkipWhitespace();
      c = source_->Peek();
    }
  }

  // The root array, or an array that is the value of a root object member.
  bool Array() {
    handler_->StartArray();
    source_->Advance();
    source_->SkipWhitespace();
    char c = source_->Peek();
    if (c == ']') {
      handler_->EndArray(0);
      source_->Advance();
      return true;
    }
    for (rapidjson::SizeType elements = 1;; ++elements) {
      if (StartsNoValue(c)) return Fail(rapidjson::kParseErrorValueInvalid);
      if (!(c == '{' && handler_->CollectsNext() ? CollectedObject() : Value(handler_))) return false;
      source_->SkipWhitespace();
      c = source_->Peek();
      if (c == ']') {
        handler_->EndArray(elements);
        source_->Advance();
        return true;
      }
      if (c != ',') return Fail(rapidjson::kParseErrorArrayMissCommaOrSquareBracket);
      source_->Advance();
      source_->SkipWhitespace();
      c = source_->Peek();
    }
  }

  // An object the handler collects: by FastParser when it can, which needs
  // all of it in the buffer, else by RapidJSON.
  bool CollectedObject() {
    for (;;) {
      const Handler::Nesting nesting = handler_->nesting();
      const char* start = source_->pos();
      if (const char* end = fast_.Parse(start)) {
        source_->Counted(start, end, fast_.newlines(), fast_.last_newline());
        source_->mutable_pos() = end;
        return true;
      }
      handler_->set_nesting(nesting);
      if (fast_.stop() != source_->end() || source_->Fill(source_->pos()) != Source::FillResult::kRead) {
        return Value(handler_);
      }
    }
  }

  // Parses the value starting at pos() with RapidJSON: from memory when all of
  // it that RapidJSON will read fits in the buffer, else streaming.
  template <typename H>
  bool Value(H* handler) {
    if (InMemory()) {
      const char* start = source_->pos();
      rapidjson::StringStream in(start);
      handler->set_cursor(&in.src_);
      const rapidjson::ParseResult result = reader_.Parse<kFlags>(in, *handler);
      if (result.IsError()) return Fail(result.Code(), source_->Offset(start) + result.Offset());
      source_->mutable_pos() = in.src_;
      return true;
    }
    StreamingInput in(source_);
    handler->set_cursor(source_->cursor());
    const rapidjson::ParseResult result = reader_.Parse<kFlags>(in, *handler);
    if (result.IsError()) return Fail(result.Code(), result.Offset());
    return true;
  }

  // Reads until the value at pos() is in memory: an object or array to its
  // closing bracket, a string to its closing quote, a number or literal up
  // to the byte after it, each or else to the end of the text. False when
  // the buffer is too small for it.
  bool InMemory() {
    const char first = *source_->pos();
    if (first == '{' || first == '[') {
      ContainerScan scan;
      for (;;) {
        if (scan.Next(source_->pos(), source_->end()) != 0) return true;
        if (const auto more = source_->Fill(source_->pos()); more != Source::FillResult::kRead) {
          return more == Source::FillResult::kEnd;
        }
      }
    }
    bool escape = false;
    for (size_t i = 1;; ++i) {
      if (source_->pos() + i == source_->end()) {
        if (const auto more = source_->Fill(source_->pos()); more != Source::FillResult::kRead) {
          return more == Source::FillResult::kEnd;
        }
      }
      const char c = source_->pos()[i];
      if (first != '"') {
        if (c == '\0' || Source::IsSpace(c) || c == ',' || c == ']' || c == '}' || c == ':' || c == '[' ||
            c == '{' || c == '"') {
          return true;
        }
      } else if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        return true;
      }
    }
  }

  Source* source_;
  Handler* handler_;
  FastParser fast_;
  // Reused: its stack keeps its size. EagerJsonStack: see above.
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, EagerJsonStack> reader_;
  rapidjson::ParseErrorCode code_ = rapidjson::kParseErrorNone;
  size_t error_offset_ = 0;
};

bool StixReader::Run(Source* source) {
  // A second thread pays off only for an input larger than one buffer; a
  // small one (most test and hand-written feeds) is handled inline.
  std::optional<ObjectPipe> pipe;
  if (source->large()) pipe.emplace(this);
  Handler handler(this, source, pipe ? &*pipe : nullptr);
  JsonDriver driver(source, &handler);
  bool ok;
  try {
    ok = driver.Document();
  } catch (...) {
    if (pipe) pipe->Finish();  // the worker must be stopped before this frame goes
    throw;
  }
  // Every object read is handled (and its warnings are reported) before the
  // error that stopped the reading.
  if (pipe) pipe->Finish();
  if (!ok) {
    int line = 0, column = 0;
    source->Locate(driver.error_offset(), &line, &column);
    std::string message = source->read_error()
                              ? "read error: " + std::string(std::strerror(source->read_errno()))
                              : "malformed JSON: " + std::string(GetParseError_En(driver.code()));
    AddDiagnostic(rules::Diagnostic::Severity::kError, line, column, std::move(message));
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
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    reader.AddDiagnostic(rules::Diagnostic::Severity::kError, 0, 0,
                         "cannot open STIX file: " + std::string(std::strerror(errno)));
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  Source source(fd);
  return reader.Run(&source);
}

bool ReadStixString(std::string_view json, std::string_view display_name, const FeedOptions& options,
                    IndicatorSink* sink, FeedReport* report) {
  StixReader reader(display_name, options, sink, report);
  Source source(json);
  return reader.Run(&source);
}

}  // namespace kagami::feeds
