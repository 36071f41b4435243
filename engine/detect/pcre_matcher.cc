#include "engine/detect/pcre_matcher.h"

#include <algorithm>
#include <system_error>
#include <thread>
#include <variant>

#include "absl/strings/str_cat.h"

namespace kagami::detect {

absl::StatusOr<PcreCodePtr> CompilePcre(const rules::PcreOption& option) {
  uint32_t opts = option.compile_options;
  for (char c : option.flags) {
    switch (c) {
      case 'i': opts |= PCRE2_CASELESS; break;
      case 's': opts |= PCRE2_DOTALL; break;
      case 'm': opts |= PCRE2_MULTILINE; break;
      case 'x': opts |= PCRE2_EXTENDED; break;
      default: break;
    }
  }
  int err = 0;
  PCRE2_SIZE err_off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(option.pattern.data()),
                                   option.pattern.size(), opts, &err, &err_off, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    return absl::InvalidArgumentError(
        absl::StrCat("pcre \"", option.pattern, "\": ", reinterpret_cast<const char*>(buf),
                     " at offset ", err_off));
  }
  // JIT failure is not fatal: the interpreter gives the same answers.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return PcreCodePtr(code);
}

PcreBatch::PcreBatch(const std::vector<rules::Rule>& rules, unsigned threads) {
  for (const rules::Rule& rule : rules) {
    for (const rules::DetectStep& step : rule.steps) {
      if (const auto* p = std::get_if<rules::PcreOption>(&step.option)) options_.push_back(p);
    }
  }
  results_.reserve(options_.size());
  for (size_t i = 0; i < options_.size(); ++i) results_.emplace_back(absl::UnknownError("not compiled"));
  index_.reserve(options_.size());
  for (size_t i = 0; i < options_.size(); ++i) index_.emplace(options_[i], i);
  taken_.assign(options_.size(), false);
  auto compile = [this](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) results_[i] = CompilePcre(*options_[i]);
  };
  const size_t n = options_.size();
  // A thread is worth starting for a few hundred regexes, not for a handful.
  const size_t parts = std::clamp<size_t>(n / 256, 1, std::max(1u, threads));
  std::vector<std::thread> pool;
  size_t started = 1;
  for (; started < parts; ++started) {
    try {
      pool.emplace_back(compile, n * started / parts, n * (started + 1) / parts);
    } catch (const std::system_error&) {
      break;
    }
  }
  compile(0, n / parts);
  if (started < parts) compile(n * started / parts, n);
  for (std::thread& t : pool) t.join();
}

absl::StatusOr<PcreCodePtr> PcreBatch::Take(const rules::PcreOption& option) {
  auto it = index_.find(&option);
  if (it == index_.end() || taken_[it->second]) return CompilePcre(option);
  taken_[it->second] = true;
  return std::move(results_[it->second]);
}

PcreMatcher::PcreMatcher(uint32_t match_limit, uint32_t depth_limit) {
  md_ = pcre2_match_data_create(1, nullptr);  // only the whole-match span is used
  limited_ = pcre2_match_context_create(nullptr);
  unlimited_ = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(limited_, match_limit);
  pcre2_set_depth_limit(limited_, depth_limit);
  jit_stack_ = pcre2_jit_stack_create(32 * 1024, 512 * 1024, nullptr);
  if (jit_stack_) {
    pcre2_jit_stack_assign(limited_, nullptr, jit_stack_);
    pcre2_jit_stack_assign(unlimited_, nullptr, jit_stack_);
  }
}

PcreMatcher::~PcreMatcher() {
  pcre2_match_data_free(md_);
  pcre2_match_context_free(limited_);
  pcre2_match_context_free(unlimited_);
  if (jit_stack_) pcre2_jit_stack_free(jit_stack_);
}

bool PcreMatcher::Match(const pcre2_code* code, const uint8_t* subject, size_t len, size_t start,
                        bool unlimited, size_t* mstart, size_t* mend) {
  int rc = pcre2_match(code, subject, len, start, 0, md_, unlimited ? unlimited_ : limited_);
  if (rc < 0) {
    if (rc != PCRE2_ERROR_NOMATCH) ++limit_hits_;
    return false;
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md_);
  *mstart = ov[0];
  *mend = ov[1];
  return true;
}

}  // namespace kagami::detect
