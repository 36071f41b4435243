#pragma once
// Replacing an installed file so a reader (a sensor reloading its rules)
// sees the old file or the new one, never a part: the bytes go to a
// temporary file in the same directory, are fsync'd, and the temporary is
// renamed over the target; the directory is fsync'd so the rename
// survives a crash. On any failure the temporary is removed and the
// target is left as it was.

#include <string>
#include <string_view>

namespace kagami::rules::update {

// The new file gets the target's permission bits when the target exists,
// else 0644. False with why (naming the step and the path) on failure.
bool WriteFileAtomically(const std::string& path, std::string_view contents, std::string* error);

}  // namespace kagami::rules::update
