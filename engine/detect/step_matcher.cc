#include "engine/detect/step_matcher.h"

#include <algorithm>

#include "engine/detect/byte_ops.h"
#include "engine/detect/content_matcher.h"

namespace kagami::detect {
namespace {

enum class Result : uint8_t { kMatch, kNoMatch, kAbort };

struct Matcher {
  std::span<const CompiledStep> steps;
  StepMatchState& st;
  int64_t reach = 0;  // furthest content/pcre match end on the current path
  bool exhaustive = st.min_end >= 0;

  // Runs the rest of the rule with `end` as the newest match end.
  Result Continue(size_t i, int64_t cursor, int64_t end) {
    const int64_t saved = reach;
    reach = std::max(reach, end);
    const Result r = From(i, cursor);
    reach = saved;
    return r;
  }

  int64_t Eval(const Operand& o) const { return o.var >= 0 ? st.vars[o.var] : o.value; }

  Result From(size_t i, int64_t cursor) {
    if (i == steps.size()) {
      return exhaustive && reach <= st.min_end ? Result::kNoMatch : Result::kMatch;
    }
    const CompiledStep& step = steps[i];
    Result r = std::visit([&](const auto& op) { return Step(op, step, i, cursor); }, step.op);
    if (r == Result::kNoMatch && step.independent_suffix && !exhaustive) return Result::kAbort;
    return r;
  }

  // Computes the search window [start, end) of a content for `cursor`.
  void Window(const ContentStep& c, int64_t cursor, int64_t* start, int64_t* end) const {
    int64_t s = 0, e = st.len;
    if (c.relative()) {
      const int64_t dist = c.distance ? Eval(*c.distance) : 0;
      s = cursor + dist;
      if (c.within) e = std::min(e, cursor + dist + Eval(*c.within));
      if (s < 0) s = 0;
    }
    const int64_t off = c.offset ? Eval(*c.offset) : 0;
    if (c.offset) s = std::max(s, off);
    if (c.depth) e = std::min(e, (c.relative() ? cursor : off) + Eval(*c.depth));
    if (c.startswith) e = std::min(e, s + static_cast<int64_t>(c.pattern.size()));
    *start = s;
    *end = e;
  }

  Result Step(const ContentStep& c, const CompiledStep& step, size_t i, int64_t cursor) {
    const int64_t plen = static_cast<int64_t>(c.pattern.size());
    int64_t start, end;
    Window(c, cursor, &start, &end);
    if (c.endswith) {
      const int64_t pos = st.len - plen;
      const bool found = pos >= start && st.len <= end && pos >= 0 &&
                         ContentAt(st.buf, pos, c.pattern, c.nocase);
      if (c.negated) return found ? Result::kNoMatch : From(i + 1, cursor);
      if (!found) return Result::kNoMatch;
      return Continue(i + 1, c.check_only ? cursor : st.len, st.len);
    }
    if (c.negated || c.check_only) {
      if (st.budget == 0) return Result::kAbort;
      --st.budget;
      const bool found = FindContent(st.buf, start, end, c.pattern, c.nocase) >= 0;
      if (found == c.negated) return Result::kNoMatch;
      return From(i + 1, cursor);
    }
    int64_t from = start;
    for (;;) {
      if (st.budget == 0) return Result::kAbort;
      --st.budget;
      const int64_t pos = FindContent(st.buf, from, end, c.pattern, c.nocase);
      if (pos < 0) return Result::kNoMatch;
      const Result r = Continue(i + 1, pos + plen, pos + plen);
      if (r != Result::kNoMatch || !(step.next_relative || exhaustive)) return r;
      from = pos + 1;
    }
  }

  Result Step(const PcreStep& p, const CompiledStep& step, size_t i, int64_t cursor) {
    const uint8_t* subject = p.relative ? st.buf + cursor : st.buf;
    const size_t len = static_cast<size_t>(p.relative ? st.len - cursor : st.len);
    const int64_t base = p.relative ? cursor : 0;
    if (p.relative && cursor > st.len) return Result::kNoMatch;
    size_t from = 0;
    for (;;) {
      if (st.budget == 0) return Result::kAbort;
      --st.budget;
      size_t ms = 0, me = 0;
      const bool found = st.pcre->Match(reinterpret_cast<const pcre2_code*>(p.code), subject, len, from,
                                        p.unlimited, &ms, &me);
      if (p.negated) return found ? Result::kNoMatch : From(i + 1, cursor);
      if (!found) return Result::kNoMatch;
      const Result r = Continue(i + 1, base + static_cast<int64_t>(me), base + static_cast<int64_t>(me));
      if (r != Result::kNoMatch || !(step.next_relative || exhaustive)) return r;
      from = ms + 1;
      if (from > len) return Result::kNoMatch;
    }
  }

  // A byte count read from the data: only what the keyword allows.
  bool CountFromVar(int16_t var, rules::NumberBase base, int64_t min, int64_t* out) const {
    const int64_t n = st.vars[var];
    if (n < min || n > (base == rules::NumberBase::kBinary ? 8 : 23)) return false;
    *out = n;
    return true;
  }

  Result Step(const ByteTestStep& b, const CompiledStep&, size_t i, int64_t cursor) {
    const int64_t pos = (b.relative ? cursor : 0) + Eval(b.offset);
    int64_t nbytes = b.nbytes;
    if (b.nbytes_var >= 0 && !CountFromVar(b.nbytes_var, b.base, 1, &nbytes)) return Result::kNoMatch;
    uint64_t v;
    if (!ReadNumber(st.buf, st.len, pos, static_cast<uint32_t>(nbytes), b.endian, b.base, &v)) return Result::kNoMatch;
    v = ApplyBitmask(v, b.bitmask);
    const bool ok = ByteTestCompare(v, b.op, static_cast<uint64_t>(Eval(b.value)));
    if (ok == b.negated) return Result::kNoMatch;
    return From(i + 1, cursor);
  }

  Result Step(const ByteJumpStep& b, const CompiledStep&, size_t i, int64_t cursor) {
    const int64_t pos = (b.relative ? cursor : 0) + Eval(b.offset);
    uint64_t v = 0;
    int64_t nbytes = b.nbytes;
    if (b.nbytes_var >= 0 && !CountFromVar(b.nbytes_var, b.base, 0, &nbytes)) return Result::kNoMatch;
    if (nbytes == 0) {
      if (pos < 0 || pos > st.len) return Result::kNoMatch;  // a pure cursor move
    } else if (!ReadNumber(st.buf, st.len, pos, static_cast<uint32_t>(nbytes), b.endian, b.base, &v)) {
      return Result::kNoMatch;
    }
    v = ApplyBitmask(v, b.bitmask);
    int64_t val = static_cast<int64_t>(v) * static_cast<int64_t>(b.multiplier);
    if (b.align && (val % 4) != 0) val += 4 - (val % 4);
    int64_t target;
    if (b.from_beginning) target = val;
    else if (b.from_end) target = st.len + val;
    else target = pos + nbytes + val;
    target += b.post_offset;
    if (target < 0) target = 0;  // a negative post_offset stops at the buffer start
    if (target > st.len) return Result::kNoMatch;
    return From(i + 1, target);
  }

  Result Step(const ByteExtractStep& b, const CompiledStep&, size_t i, int64_t cursor) {
    const int64_t pos = (b.relative ? cursor : 0) + b.offset;
    uint64_t v;
    if (!ReadNumber(st.buf, st.len, pos, b.nbytes, b.endian, b.base, &v)) return Result::kNoMatch;
    v = ApplyBitmask(v, b.bitmask);
    int64_t val = static_cast<int64_t>(v) * static_cast<int64_t>(b.multiplier);
    if (b.align > 1 && (val % b.align) != 0) val += b.align - (val % b.align);
    st.vars[b.slot] = val;
    return From(i + 1, pos + static_cast<int64_t>(b.nbytes));
  }

  Result Step(const IsDataAtStep& d, const CompiledStep&, size_t i, int64_t cursor) {
    const int64_t n = Eval(d.offset);
    // Suricata: absolute "byte n exists"; relative "n more bytes after the cursor".
    const bool present = d.relative ? cursor + n <= st.len : n < st.len;
    if (present == d.negated) return Result::kNoMatch;
    return From(i + 1, cursor);
  }

  Result Step(const BsizeStep& b, const CompiledStep&, size_t i, int64_t cursor) {
    if (!b.check.Matches(static_cast<uint64_t>(st.len))) return Result::kNoMatch;
    return From(i + 1, cursor);
  }
};

}  // namespace

bool MatchSteps(std::span<const CompiledStep> steps, StepMatchState& st) {
  Matcher m{steps, st};
  return m.From(0, 0) == Result::kMatch;
}

}  // namespace kagami::detect
