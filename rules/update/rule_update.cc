#include "rules/update/rule_update.h"

#include <algorithm>

#include "rules/update/merged_output.h"

namespace kagami::rules::update {

namespace {

size_t Errors(const std::vector<rules::Diagnostic>& ds) {
  return static_cast<size_t>(std::count_if(ds.begin(), ds.end(), [](const rules::Diagnostic& d) {
    return d.severity == rules::Diagnostic::Severity::kError;
  }));
}

}  // namespace

UpdateResult BuildUpdate(UpdateInput input) {
  UpdateResult result;
  SourceSet set = ReadSources(std::move(input.files));
  result.source_errors = Errors(set.diagnostics);
  result.diagnostics = std::move(set.diagnostics);

  Management management;
  for (const ManagementText& m : input.management) ParseManagementFile(m.kind, m.text, m.name, &management);
  ManagementResult applied = ApplyManagement(management, &set.rules, input.options);
  result.management_errors = management.error_count() + Errors(applied.diagnostics);
  result.diagnostics.insert(result.diagnostics.end(), management.diagnostics.begin(), management.diagnostics.end());
  result.diagnostics.insert(result.diagnostics.end(), applied.diagnostics.begin(), applied.diagnostics.end());

  result.merged = FormatMergedRules(input.sources, set.rules);
  UpdateReport& report = result.report;
  report.sources = std::move(input.sources);
  report.files = std::move(set.files);
  report.duplicates = std::move(set.duplicates);
  report.management = std::move(applied);
  if (input.previous_merged) {
    CompareWithPrevious(set.rules, std::string_view(*input.previous_merged), &report);
  } else {
    CompareWithPrevious(set.rules, std::nullopt, &report);
  }
  return result;
}

}  // namespace kagami::rules::update
