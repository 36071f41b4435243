#include "engine/output/sinks/fast_transport.h"

#include "absl/strings/str_cat.h"
#include "engine/output/sinks/fast_format.h"
#include "engine/output/sinks/file_transport.h"

namespace kagami::output {

DeliverResult FastTransport::Deliver(std::string_view records) {
  lines_.clear();
  marks_.clear();
  for (size_t at = 0; at < records.size();) {
    const size_t nl = records.find('\n', at);
    const size_t end = nl == std::string_view::npos ? records.size() : nl + 1;
    const bool ok = FastLine(records.substr(at, end - at), lines_);
    marks_.push_back(Mark{lines_.size(), end, !ok});
    at = end;
  }
  const DeliverResult written = lines_.empty() ? DeliverResult{} : file_->Deliver(lines_);
  // The file took whole lines up to written.bytes: every record whose line
  // ends there or before is delivered (a refused one, with no line, goes
  // with those before it and is counted as dropped: it never will be).
  DeliverResult r;
  r.status = written.status;
  r.rejected = written.rejected;
  for (const Mark& m : marks_) {
    if (m.line_end > written.bytes) break;
    r.bytes = m.record_end;
    if (m.refused) ++r.rejected;
  }
  return r;
}

absl::StatusOr<std::unique_ptr<Transport>> MakeFastTransport(OutputSpec& spec) {
  // Only alerts have a fast.log line: alert is the default, and asking for
  // more is a mistake to say, not to ignore.
  for (const OutputParam& p : spec.params) {
    if (p.key == "types" && spec.types != kEventAlert) {
      return ParamError(spec, p, absl::StrCat("types: fast writes alerts only, got '", p.value, "'"));
    }
  }
  spec.types = kEventAlert;
  if (spec.path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("output '", spec.url, "': fast: needs a path, or - for standard output"));
  }
  if (spec.path == "-") {
    for (const OutputParam& p : spec.params) {
      if (p.key == "rotate" || p.key == "keep") {
        return ParamError(spec, p, absl::StrCat(p.key, ": standard output cannot be rotated"));
      }
    }
  }
  absl::StatusOr<std::unique_ptr<Transport>> file = MakeFileTransport(spec);
  if (!file.ok()) return file.status();
  return std::unique_ptr<Transport>(new FastTransport(std::move(*file)));
}

}  // namespace kagami::output
