#pragma once
// The whole update on text, for `kagami rules update`: sources read and
// merged (source_set.h), management files parsed (management_files.h) and
// applied (apply_management.h), the merged file formatted
// (merged_output.h) and compared with the previous one (update_report.h).
// Nothing is downloaded or written here: the caller fetches, then checks
// the result (acceptance.h) and installs it (atomic_write.h).

#include <optional>
#include <string>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/update/apply_management.h"
#include "rules/update/management_files.h"
#include "rules/update/source_set.h"
#include "rules/update/update_report.h"

namespace kagami::rules::update {

struct ManagementText {
  ManagementKind kind = ManagementKind::kDisable;
  std::string name;  // labels diagnostics, e.g. "/etc/kagami/disable.conf"
  std::string text;
};

struct UpdateInput {
  std::vector<RuleFile> files;       // every source's files
  std::vector<std::string> sources;  // source names or URLs, for the header and the report
  std::vector<ManagementText> management;
  std::optional<std::string> previous_merged;  // the installed merged file's text, if any
  ApplyOptions options;
};

struct UpdateResult {
  std::string merged;  // the new merged file's text
  UpdateReport report;
  // Everything said, in order: rule files, management files, applying them.
  std::vector<rules::Diagnostic> diagnostics;
  // Errors in the management files (bad lines) and in applying them (a
  // modification refused): a caller should not install the result, since
  // what the files ask for was not all done.
  size_t management_errors = 0;
  // Rule lines that could not be read (left out of the merged file; the
  // acceptance check's counts and refusal policy cover what loads).
  size_t source_errors = 0;
};

UpdateResult BuildUpdate(UpdateInput input);

}  // namespace kagami::rules::update
