#include "rules/update/threshold_passthrough.h"

#include "common/read_file.h"
#include "rules/threshold_config.h"
#include "rules/update/atomic_write.h"

namespace kagami::rules::update {

ThresholdCheck CheckThresholdText(std::string_view text, std::string_view name,
                                  const std::map<std::string, std::string>& variables) {
  ThresholdCheck check;
  ThresholdConfig config = ParseThresholdConfig(text, name, variables);
  check.errors = config.error_count();
  check.diagnostics = std::move(config.diagnostics);
  return check;
}

bool CopyThresholdFile(const std::string& in_path, const std::string& out_path,
                       const std::map<std::string, std::string>& variables, ThresholdCheck* check, std::string* error) {
  std::string text, why;
  if (!ReadWholeFile(in_path, &text, &why)) {
    *error = "cannot read " + in_path + ": " + why;
    return false;
  }
  *check = CheckThresholdText(text, in_path, variables);
  if (check->errors > 0) {
    *error = in_path + ": " + std::to_string(check->errors) + (check->errors == 1 ? " error" : " errors") +
             "; " + out_path + " left as it was";
    return false;
  }
  return WriteFileAtomically(out_path, text, error);
}

}  // namespace kagami::rules::update
