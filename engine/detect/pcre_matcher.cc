#include "engine/detect/pcre_matcher.h"

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
